/*
 * The engine handle: endpoint parsing, error detail, logging, version
 * negotiation. The HTTP work itself lives in http.c.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_private.h"
#include "http.h"
#include "json_util.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_REQUEST_TIMEOUT_MS 30000L

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : ECS_ENOMEM;
}

/* Accept "unix:///abs/path", "http://host:port", "https://host:port" and
 * Docker's "tcp://host:port" (plain HTTP); keep what curl needs. */
static int parse_endpoint(ecs_engine *e, const char *endpoint)
{
	const char *rest;
	size_t len;

	if (strncmp(endpoint, "unix://", 7) == 0) {
		rest = endpoint + 7;
		if (rest[0] != '/' || rest[1] == '\0')
			return ECS_EINVAL;
		e->socket_path = strdup(rest);
		e->base_url = strdup("http://localhost");
		return (e->socket_path && e->base_url) ? 0 : ECS_ENOMEM;
	}
	if (strncmp(endpoint, "https://", 8) == 0) {
		rest = endpoint + 8;
		e->tls = 1;
	} else if (strncmp(endpoint, "http://", 7) == 0) {
		rest = endpoint + 7;
	} else if (strncmp(endpoint, "tcp://", 6) == 0) {
		rest = endpoint + 6;
	} else {
		return ECS_EINVAL;
	}
	len = strcspn(rest, "/?#");
	if (len == 0 || (rest[len] != '\0' && strcmp(rest + len, "/") != 0))
		return ECS_EINVAL;
	if (strpbrk(rest, " \t\r\n@") != NULL)
		return ECS_EINVAL;
	e->base_url = malloc(len + 9);
	if (e->base_url == NULL)
		return ECS_ENOMEM;
	snprintf(e->base_url, len + 9, "%s%.*s", e->tls ? "https://" : "http://", (int)len, rest);
	return 0;
}

int ecs_engine_new(ecs_engine **out, const ecs_engine_options *opts)
{
	static const ecs_engine_options defaults = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e;
	int rc;

	if (out == NULL)
		return ECS_EINVAL;
	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != ECS_ENGINE_OPTIONS_VERSION || opts->connect_timeout_ms < 0 ||
	    opts->request_timeout_ms < 0)
		return ECS_EINVAL;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return ECS_ENOMEM;
	e->opts = *opts;
	if ((rc = dup_opt(&e->endpoint, opts->endpoint ? opts->endpoint : ECS_ENGINE_DEFAULT_ENDPOINT)) != 0 ||
	    (rc = dup_opt(&e->ca_file, opts->ca_file)) != 0 ||
	    (rc = dup_opt(&e->cert_file, opts->cert_file)) != 0 ||
	    (rc = dup_opt(&e->key_file, opts->key_file)) != 0 ||
	    (rc = parse_endpoint(e, e->endpoint)) != 0)
		goto fail;
	e->opts.endpoint = e->endpoint;
	e->opts.ca_file = e->ca_file;
	e->opts.cert_file = e->cert_file;
	e->opts.key_file = e->key_file;
	if (e->opts.connect_timeout_ms == 0)
		e->opts.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	if (e->opts.request_timeout_ms == 0)
		e->opts.request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
	e->curl = curl_easy_init();
	if (e->curl == NULL) {
		rc = ECS_ENOMEM;
		goto fail;
	}
	*out = e;
	return 0;
fail:
	ecs_engine_free(e);
	return rc;
}

void ecs_engine_free(ecs_engine *e)
{
	if (e == NULL)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	free(e->endpoint);
	free(e->ca_file);
	free(e->cert_file);
	free(e->key_file);
	free(e->socket_path);
	free(e->base_url);
	free(e);
}

const ecs_engine_options *ecs_engine_options_get(const ecs_engine *e)
{
	return e ? &e->opts : NULL;
}

const char *ecs_engine_errmsg(const ecs_engine *e)
{
	return e ? e->errmsg : "";
}

int ecs_engine_fail(ecs_engine *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->errmsg, sizeof(e->errmsg), fmt, ap);
	va_end(ap);
	return code;
}

void ecs_engine_clear_error(ecs_engine *e)
{
	e->errmsg[0] = '\0';
}

static void vlog_to(ecs_log_fn fn, void *userdata, ecs_log_level level, const char *fmt, va_list ap)
{
	char line[1024];

	if (fn == NULL)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	fn(level, line, userdata);
}

void ecs_log_to(ecs_log_fn fn, void *userdata, ecs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_to(fn, userdata, level, fmt, ap);
	va_end(ap);
}

void ecs_engine_log(const ecs_engine *e, ecs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_to(e->opts.log, e->opts.log_userdata, level, fmt, ap);
	va_end(ap);
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
	ecs_http_request req = { .method = "GET", .path = "/_ping", .unversioned = 1 };
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

int ecs_engine_version_get(ecs_engine *e, ecs_engine_version *out)
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
