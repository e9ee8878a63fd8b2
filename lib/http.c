/*
 * The transport: HTTP to the engine over libcurl, and the API version
 * negotiation. One easy handle per engine handle, made on first use and
 * reset between requests (curl_easy_reset keeps live connections, so
 * keep-alive reuse survives it). Hijacked attach streams (stream.c) connect
 * with the same settings through ecs_http_setup().
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_private.h"
#include "http.h"
#include "json_util.h"

#define DEFAULT_MAX_BODY (8u * 1024u * 1024u)
/*
 * Idle connections an engine handle keeps. Its requests are sequential, so
 * one is all it reuses; more only pile up (a create forces a fresh
 * connection, and curl's default cache of 5 per handle kept them all).
 */
#define MAX_IDLE_CONNECTIONS 1L

static void transport_free(void *transport)
{
	curl_easy_cleanup(transport);
}

/* The handle's easy handle, made on first use; NULL on ENOMEM. */
static CURL *easy(ecs_engine *e)
{
	if (e->transport == NULL) {
		e->transport = curl_easy_init();
		if (e->transport != NULL)
			e->transport_free = transport_free;
	}
	return e->transport;
}

void ecs_http_setup(ecs_engine *e, CURL *c, long connect_timeout_ms)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (e->socket_path)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, e->socket_path);
	if (e->tls) {
		if (e->ca_file)
			curl_easy_setopt(c, CURLOPT_CAINFO, e->ca_file);
		if (e->cert_file)
			curl_easy_setopt(c, CURLOPT_SSLCERT, e->cert_file);
		if (e->key_file)
			curl_easy_setopt(c, CURLOPT_SSLKEY, e->key_file);
	}
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, e->tls ? "https" : "http");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			connect_timeout_ms > 0 ? connect_timeout_ms : e->opts.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXCONNECTS, MAX_IDLE_CONNECTIONS);
}

/* One request on one easy handle: what its callbacks need and what must outlive the transfer. */
struct transfer {
	ecs_engine *engine;
	const ecs_http_request *req;
	ecs_http_response *resp;
	CURL *curl;
	size_t max_body;
	int sink_rc;      /* what a sink or the body cap asked to stop with */
	struct curl_slist *headers;
	char *url;
	char errbuf[CURL_ERROR_SIZE];
};

static int append(ecs_http_response *resp, const char *data, size_t len)
{
	char *grown;
	size_t cap;

	if (len == 0)
		return 0;
	/* grow geometrically so long streams stay linear */
	cap = resp->len + len + 1;
	if (cap < 2 * resp->len)
		cap = 2 * resp->len;
	grown = realloc(resp->body, cap);
	if (grown == NULL)
		return ECS_ENOMEM;
	memcpy(grown + resp->len, data, len);
	resp->body = grown;
	resp->len += len;
	resp->body[resp->len] = '\0';
	return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	t->resp->status = status;
	if (t->req->sink != NULL && status >= 200 && status < 300) {
		t->sink_rc = t->req->sink(data, len, t->req->sink_userdata);
		return t->sink_rc == 0 ? len : 0;
	}
	if (t->resp->len + len > t->max_body) {
		t->sink_rc = ECS_EPROTO;
		ecs_engine_fail(t->engine, ECS_EPROTO, "the engine's answer is larger than %zu bytes", t->max_body);
		return 0;
	}
	if (append(t->resp, data, len) != 0) {
		t->sink_rc = ECS_ENOMEM;
		return 0;
	}
	return len;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = userdata;

	(void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
	return ecs_cancel_is_triggered(t->req->cancel) ? 1 : 0;
}

static int map_curl_error(ecs_engine *e, CURLcode cc, struct transfer *t, const char *url_path, const char *curl_msg)
{
	long request_size = 0;

	if (t->sink_rc != 0) {
		if (t->sink_rc == ECS_ENOMEM)
			return ecs_engine_fail(e, ECS_ENOMEM, "%s: out of memory", url_path);
		return t->sink_rc; /* the sink or the cap set the message */
	}
	switch (cc) {
	case CURLE_ABORTED_BY_CALLBACK:
		return ecs_engine_fail(e, ECS_ECANCELED, "%s: cancelled", url_path);
	case CURLE_OPERATION_TIMEDOUT:
		/* nothing sent means we never got through to the engine
		 * (CURLINFO_CONNECT_TIME stays 0 on unix sockets either way) */
		curl_easy_getinfo(t->curl, CURLINFO_REQUEST_SIZE, &request_size);
		if (request_size <= 0)
			return ecs_engine_fail(e, ECS_EUNAVAILABLE, "%s: cannot connect to the engine at %s: %s",
					url_path, e->endpoint, curl_msg);
		return ecs_engine_fail(e, ECS_ETIMEDOUT, "%s: the engine did not answer in time: %s", url_path, curl_msg);
	case CURLE_OUT_OF_MEMORY:
		return ecs_engine_fail(e, ECS_ENOMEM, "%s: out of memory", url_path);
	case CURLE_COULDNT_CONNECT:
		/* curl names the placeholder host ("localhost port 80"); the socket is what failed. */
		if (e->socket_path != NULL) {
			long os_errno = 0;
			char buf[128];

			curl_easy_getinfo(t->curl, CURLINFO_OS_ERRNO, &os_errno);
			return ecs_engine_fail(e, ECS_EUNAVAILABLE, "%s: cannot connect to the engine's socket %s: %s",
					       url_path, e->socket_path,
					       os_errno != 0 ? strerror_r((int)os_errno, buf, sizeof(buf)) : "refused");
		}
		/* fall through */
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return ecs_engine_fail(e, ECS_EUNAVAILABLE, "%s: cannot talk to the engine at %s: %s",
				url_path, e->endpoint, curl_msg);
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
		return ecs_engine_fail(e, ECS_EPROTO, "%s: malformed answer from the engine: %s", url_path, curl_msg);
	default:
		return ecs_engine_fail(e, ECS_ERROR, "%s: %s", url_path, curl_msg);
	}
}

int ecs_http_negotiate(ecs_engine *e)
{
	ecs_engine_version v;

	if (e->api_version[0] != '\0')
		return ECS_OK;
	return ecs_engine_version_get(&v, e);
}

/* Requests a caller may make: a method and a versioned or unversioned absolute path. */
static int request_valid(const ecs_engine *e, const ecs_http_request *req)
{
	return e != NULL && req != NULL && req->method != NULL && req->path != NULL && req->path[0] == '/';
}

/*
 * Set @c up for @req (reset first: a reused handle keeps its connections,
 * not its options) and fill @t; transfer_clear() releases what it made,
 * whatever this returned.
 */
static int transfer_prepare(struct transfer *t, ecs_engine *e, CURL *c, const ecs_http_request *req,
			    ecs_http_response *resp)
{
	struct curl_slist *grown;
	char header[256];
	size_t url_len, i;
	long timeout;

	memset(t, 0, sizeof(*t));
	t->engine = e;
	t->req = req;
	t->resp = resp;
	t->curl = c;
	t->max_body = req->max_body ? req->max_body : DEFAULT_MAX_BODY;

	url_len = strlen(e->base_url) + strlen(req->path) + sizeof(e->api_version) + 4;
	t->url = malloc(url_len);
	if (t->url == NULL)
		return ecs_engine_fail(e, ECS_ENOMEM, "out of memory");
	if (req->unversioned)
		snprintf(t->url, url_len, "%s%s", e->base_url, req->path);
	else
		snprintf(t->url, url_len, "%s/v%s%s", e->base_url, e->api_version, req->path);

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(c, CURLOPT_URL, t->url);
	ecs_http_setup(e, c, 0);
	timeout = req->timeout_ms == 0 ? e->opts.request_timeout_ms : (req->timeout_ms < 0 ? 0 : req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	/*
	 * When a kept-alive connection turns out dead, libcurl silently sends
	 * the request again on a new one. For a request that is not idempotent
	 * (container create) the first copy may already have been acted on, and
	 * the engine would make two containers; a new connection is never retried.
	 */
	if (req->fresh_connection)
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	if (req->cancel) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}

	if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
		snprintf(header, sizeof(header), "Content-Type: %s", req->content_type ? req->content_type : "application/json");
		if ((grown = curl_slist_append(t->headers, header)) == NULL)
			return ecs_engine_fail(e, ECS_ENOMEM, "out of memory");
		t->headers = grown;
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
	/* no "Expect: 100-continue" round trip for our small bodies */
	if ((grown = curl_slist_append(t->headers, "Expect:")) == NULL)
		return ecs_engine_fail(e, ECS_ENOMEM, "out of memory");
	t->headers = grown;
	for (i = 0; i < req->headers_len; i++) {
		if ((grown = curl_slist_append(t->headers, req->headers[i])) == NULL)
			return ecs_engine_fail(e, ECS_ENOMEM, "out of memory");
		t->headers = grown;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
	return ECS_OK;
}

/* What the transfer's end (@cc) means: ecs_http_do()'s return, with the status in the response. */
static int transfer_conclude(struct transfer *t, CURLcode cc)
{
	if (cc != CURLE_OK)
		return map_curl_error(t->engine, cc, t, t->req->path,
				      t->errbuf[0] ? t->errbuf : curl_easy_strerror(cc));
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->resp->status);
	/* callers may always read body as a string */
	if (t->resp->body == NULL && (t->resp->body = calloc(1, 1)) == NULL)
		return ecs_engine_fail(t->engine, ECS_ENOMEM, "out of memory");
	return ECS_OK;
}

static void transfer_clear(struct transfer *t)
{
	/* the header list, URL and error buffer must outlive the transfer, not the handle */
	if (t->curl != NULL) {
		curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, NULL);
	}
	curl_slist_free_all(t->headers);
	free(t->url);
	t->headers = NULL;
	t->url = NULL;
}

int ecs_http_do(ecs_engine *e, const ecs_http_request *req, ecs_http_response *resp)
{
	struct transfer t;
	CURL *c;
	int rc;

	if (resp == NULL)
		return ECS_EINVAL;
	memset(resp, 0, sizeof(*resp));
	if (!request_valid(e, req))
		return ECS_EINVAL;
	ecs_engine_clear_error(e);
	if (!req->unversioned && (rc = ecs_http_negotiate(e)) != 0)
		return rc;
	c = easy(e);
	if (c == NULL)
		return ecs_engine_fail(e, ECS_ENOMEM, "out of memory");
	rc = transfer_prepare(&t, e, c, req, resp);
	if (rc == ECS_OK)
		rc = transfer_conclude(&t, curl_easy_perform(c));
	transfer_clear(&t);
	return rc;
}

/*
 * An asynchronous request: its own easy handle (so its own connection: the
 * handle's kept-alive one stays free) in a multi handle of its own, which
 * ecs_http_async_wait() moves on while the caller watches another socket.
 */
struct ecs_http_async {
	struct transfer t;
	ecs_http_request req;        /* the caller's, with @path copied */
	char *path;
	ecs_http_response resp;
	CURLM *multi;
	CURL *curl;
	int added;                   /* @curl is in @multi */
	int done;
	CURLcode cc;
};

/* Collect the transfer's end, if it came. */
static void async_check(ecs_http_async *a)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(a->multi, &left)) != NULL) {
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == a->curl) {
			a->done = 1;
			a->cc = msg->data.result;
		}
	}
}

static int async_perform(ecs_http_async *a)
{
	int running = 0;
	CURLMcode mc = curl_multi_perform(a->multi, &running);

	if (mc != CURLM_OK) {
		/* the transfer cannot go on: count it as ended by that error */
		a->done = 1;
		a->cc = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_SEND_ERROR;
		return ECS_OK;
	}
	async_check(a);
	return ECS_OK;
}

int ecs_http_async_start(ecs_http_async **out, ecs_engine *e, const ecs_http_request *req)
{
	ecs_http_async *a;
	int rc;

	if (out == NULL)
		return ECS_EINVAL;
	*out = NULL;
	if (!request_valid(e, req) || req->sink != NULL)
		return ECS_EINVAL;
	ecs_engine_clear_error(e);
	if (!req->unversioned && (rc = ecs_http_negotiate(e)) != 0)
		return rc;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return ecs_engine_fail(e, ECS_ENOMEM, "out of memory");
	a->req = *req;
	a->path = strdup(req->path);
	a->req.path = a->path;
	a->curl = curl_easy_init();
	a->multi = curl_multi_init();
	if (a->path == NULL || a->curl == NULL || a->multi == NULL) {
		rc = ecs_engine_fail(e, ECS_ENOMEM, "out of memory");
		goto fail;
	}
	rc = transfer_prepare(&a->t, e, a->curl, &a->req, &a->resp);
	if (rc != ECS_OK)
		goto fail;
	if (curl_multi_add_handle(a->multi, a->curl) != CURLM_OK) {
		rc = ecs_engine_fail(e, ECS_ENOMEM, "%s: cannot start the request", a->path);
		goto fail;
	}
	a->added = 1;
	/* connect and send now: the engine acts while the caller goes on */
	async_perform(a);
	*out = a;
	return ECS_OK;
fail:
	ecs_http_async_free(a);
	return rc;
}

int ecs_http_async_wait(ecs_http_async *a, int fd, long timeout_ms)
{
	struct curl_waitfd extra = { 0 };
	CURLMcode mc;

	if (timeout_ms < 0)
		timeout_ms = 0;
	if (a->done) {
		/* nothing of ours in flight: only @fd, if any */
		struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };

		if (fd >= 0 && poll(&p, 1, (int)timeout_ms) < 0 && errno != EINTR)
			return ecs_engine_fail(a->t.engine, ECS_ERROR, "poll: %s", strerror(errno));
		return ECS_OK;
	}
	extra.fd = fd;
	extra.events = CURL_WAIT_POLLIN;
	mc = curl_multi_poll(a->multi, fd >= 0 ? &extra : NULL, fd >= 0 ? 1 : 0, (int)timeout_ms, NULL);
	if (mc != CURLM_OK)
		return ecs_engine_fail(a->t.engine, ECS_ERROR, "%s: waiting for the engine: %s", a->path,
				       curl_multi_strerror(mc));
	return async_perform(a);
}

int ecs_http_async_done(const ecs_http_async *a)
{
	return a->done;
}

int ecs_http_async_finish(ecs_http_async *a, ecs_http_response *resp)
{
	int rc;

	memset(resp, 0, sizeof(*resp));
	if (!a->done)
		return ecs_engine_fail(a->t.engine, ECS_ETIMEDOUT, "%s: the engine did not answer in time", a->path);
	rc = transfer_conclude(&a->t, a->cc);
	*resp = a->resp;
	memset(&a->resp, 0, sizeof(a->resp));
	return rc;
}

void ecs_http_async_free(ecs_http_async *a)
{
	if (a == NULL)
		return;
	if (a->added)
		curl_multi_remove_handle(a->multi, a->curl);
	transfer_clear(&a->t);
	/* an unfinished transfer's connection closes here: the engine sees the client gone */
	curl_easy_cleanup(a->curl);
	curl_multi_cleanup(a->multi);
	ecs_http_response_clear(&a->resp);
	free(a->path);
	free(a);
}

void ecs_http_response_clear(ecs_http_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

int ecs_http_json(ecs_engine *e, const ecs_http_request *req, const char *what, json_object **answer)
{
	ecs_http_response resp;
	int rc;

	*answer = NULL;
	rc = ecs_http_do(e, req, &resp);
	if (rc == 0 && !ecs_http_ok(&resp))
		rc = ecs_http_fail(e, &resp, what);
	if (rc == 0) {
		*answer = ecs_json_parse(resp.body, resp.len);
		if (*answer == NULL)
			rc = ecs_engine_fail(e, ECS_EPROTO, "%s: the engine's answer is not JSON", what);
	}
	ecs_http_response_clear(&resp);
	return rc;
}

int ecs_http_ok(const ecs_http_response *resp)
{
	return resp != NULL && resp->status >= 200 && resp->status < 300;
}

int ecs_http_fail(ecs_engine *e, const ecs_http_response *resp, const char *what)
{
	json_object *doc = NULL;
	const char *msg = NULL;
	int code;

	switch (resp->status) {
	case 400: code = ECS_EINVAL; break;
	case 404: code = ECS_ENOTFOUND; break;
	default: code = ECS_EENGINE; break;
	}
	if (resp->body != NULL && resp->len > 0) {
		doc = ecs_json_parse(resp->body, resp->len);
		msg = doc ? ecs_json_engine_message(doc) : NULL;
	}
	if (msg != NULL)
		ecs_engine_fail(e, code, "%s: %s", what, msg);
	else if (resp->body != NULL && resp->len > 0)
		ecs_engine_fail(e, code, "%s: HTTP %ld: %.200s", what, resp->status, resp->body);
	else
		ecs_engine_fail(e, code, "%s: HTTP %ld", what, resp->status);
	json_object_put(doc);
	return code;
}

char *ecs_http_escape(const char *s)
{
	char *escaped, *copy;

	if (s == NULL)
		return NULL;
	/* curl ignores the handle argument for escaping since 7.82 */
	escaped = curl_easy_escape(NULL, s, 0);
	if (escaped == NULL)
		return NULL;
	copy = strdup(escaped);
	curl_free(escaped);
	return copy;
}

char *ecs_http_path(const char *collection, const char *id, const char *suffix)
{
	char *esc = ecs_http_escape(id);
	char *path = NULL;

	if (esc == NULL)
		return NULL;
	if (asprintf(&path, "/%s/%s%s", collection, esc, suffix) < 0)
		path = NULL;
	free(esc);
	return path;
}

int ecs_http_object_request(ecs_http_request *req, char **path, ecs_engine *engine, const char *method,
			    const char *collection, const char *id, const char *suffix, const char *what)
{
	memset(req, 0, sizeof(*req));
	*path = ecs_http_path(collection, id, suffix);
	if (*path == NULL)
		return ecs_engine_fail(engine, ECS_ENOMEM, "%s: out of memory", what);
	req->method = method;
	req->path = *path;
	return 0;
}

/* "1.41" -> major 1, minor 41; -1 for anything else. */
static int parse_api_version(const char *s, long *major, long *minor)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	*major = strtol(s, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	*minor = strtol(end + 1, &end, 10);
	if (*end != '\0' || *major > 999 || *minor > 999)
		return -1;
	return 0;
}

int ecs_api_version_cmp(const char *a, const char *b)
{
	long amaj = 0, amin = 0, bmaj = 0, bmin = 0;

	parse_api_version(a, &amaj, &amin);
	parse_api_version(b, &bmaj, &bmin);
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

int ecs_api_version_pick(char *out, size_t size, const char *engine_max, const char *engine_min)
{
	long major, minor;
	const char *pick;

	if (out == NULL || size == 0)
		return ECS_EINVAL;
	out[0] = '\0';
	if (parse_api_version(engine_max, &major, &minor) != 0)
		return ECS_EPROTO;
	if (engine_min != NULL && *engine_min != '\0' && parse_api_version(engine_min, &major, &minor) != 0)
		return ECS_EPROTO;
	pick = ecs_api_version_cmp(engine_max, ECS_API_VERSION_MAX) < 0 ? engine_max : ECS_API_VERSION_MAX;
	if (ecs_api_version_cmp(pick, ECS_API_VERSION_MIN) < 0)
		return ECS_EVERSION;
	if (engine_min != NULL && *engine_min != '\0' && ecs_api_version_cmp(pick, engine_min) < 0)
		return ECS_EVERSION;
	if ((size_t)snprintf(out, size, "%s", pick) >= size)
		return ECS_EINVAL;
	return 0;
}

int ecs_engine_ping(ecs_engine *e)
{
	return ecs_http_ping(e, 0);
}

int ecs_http_ping(ecs_engine *e, long timeout_ms)
{
	ecs_http_request req = { .method = "GET", .path = "/_ping", .unversioned = 1, .timeout_ms = timeout_ms };
	ecs_http_response resp;
	int rc;

	if (e == NULL)
		return ECS_EINVAL;
	rc = ecs_http_do(e, &req, &resp);
	if (rc == 0 && !ecs_http_ok(&resp))
		rc = ecs_http_fail(e, &resp, "ping");
	if (rc == ECS_ENOTFOUND || rc == ECS_EINVAL)
		rc = ECS_EENGINE; /* a 404/400 on /_ping means whatever answered is no engine */
	if (rc == 0 && (resp.len < 2 || strncmp(resp.body, "OK", 2) != 0))
		rc = ecs_engine_fail(e, ECS_EENGINE, "ping: unexpected answer");
	ecs_http_response_clear(&resp);
	return rc;
}

static void copy_field(char *dst, size_t size, json_object *obj, const char *key)
{
	const char *v = ecs_json_get_string(obj, key);

	snprintf(dst, size, "%s", v ? v : "");
}

int ecs_engine_version_get(ecs_engine_version *out, ecs_engine *e)
{
	ecs_http_request req = { .method = "GET", .path = "/version", .unversioned = 1 };
	ecs_engine_version v;
	json_object *doc = NULL;
	int rc;

	if (e == NULL)
		return ECS_EINVAL;
	memset(&v, 0, sizeof(v));
	rc = ecs_http_json(e, &req, "version", &doc);
	if (rc == ECS_ENOTFOUND || rc == ECS_EINVAL)
		rc = ECS_EENGINE; /* a 404/400 on /version means whatever answered is no engine */
	if (rc != 0)
		goto out;
	if (!json_object_is_type(doc, json_type_object)) {
		rc = ecs_engine_fail(e, ECS_EPROTO, "version: the engine's answer is not a JSON object");
		goto out;
	}
	copy_field(v.version, sizeof(v.version), doc, "Version");
	copy_field(v.api_version, sizeof(v.api_version), doc, "ApiVersion");
	copy_field(v.min_api_version, sizeof(v.min_api_version), doc, "MinAPIVersion");
	copy_field(v.os, sizeof(v.os), doc, "Os");
	copy_field(v.arch, sizeof(v.arch), doc, "Arch");
	rc = ecs_api_version_pick(v.negotiated, sizeof(v.negotiated), v.api_version, v.min_api_version);
	if (rc == ECS_EPROTO) {
		ecs_engine_fail(e, rc, "version: unparseable API version \"%s\"", v.api_version);
	} else if (rc != 0) {
		ecs_engine_fail(e, rc, "version: the engine speaks API %s to %s, libecs %s to %s",
				v.min_api_version[0] ? v.min_api_version : "?", v.api_version,
				ECS_API_VERSION_MIN, ECS_API_VERSION_MAX);
	} else {
		memcpy(e->api_version, v.negotiated, sizeof(e->api_version));
	}
out:
	if (out)
		*out = v;
	json_object_put(doc);
	return rc;
}
