/*
 * bench/async_client.c - the async benchmark's load: N POSTs of one body
 * from C concurrent clients, each on a kept-alive TLS connection with the
 * client certificate, driven by libcurl's multi interface in one thread.
 * bench/async.py runs it (bench/async.sh compiles it): at 16 clients on 2
 * cores a Python client's TLS and interpreter took the CPU ecs-fcgi needs,
 * so its figure measured the client. Measures; asserts nothing.
 *
 *   async_client URL N C WANT BODY [HEADER...]
 *     URL     the endpoint (https://host:port/v1.1/tasks)
 *     WANT    the HTTP status a good answer has (202, 201)
 *     BODY    the request body (JSON)
 *     HEADER  more request headers ("Prefer: respond-async")
 *   Environment (bench/stack.sh's ecs.env): ECS_CA_CERT, ECS_CLIENT_CERT,
 *   ECS_CLIENT_KEY; ECS_KEY and ECS_SECRET when the stack wants BASIC.
 *
 * The C connections are opened (GET /v1.1/_noop on each, at once) before
 * the clock starts. Prints one JSON object: {"wall_s", "cpu_s" (this
 * client's own CPU time over the batch, user and system), "ms": [each good
 * answer's latency, in the order they ended], "bad": [the first failures,
 * "HTTP <status> <body head>"], "failed": N}. Exit 0, or 2 on bad usage.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>

/* Failures kept for the report (the rest are only counted). */
#define BAD_KEPT 5
/* Answer bytes kept per request: enough for an error's head. */
#define BODY_KEPT 200

typedef struct {
	CURL *h;
	double t0;
	char body[BODY_KEPT + 1];
	size_t len;
} client;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static size_t keep_head(char *data, size_t size, size_t n, void *arg)
{
	client *c = arg;
	size_t len = size * n, room = BODY_KEPT - c->len;

	memcpy(c->body + c->len, data, len < room ? len : room);
	c->len += len < room ? len : room;
	c->body[c->len] = '\0';
	return len;
}

static int env_need(const char *name, const char **out)
{
	*out = getenv(name);
	if (*out == NULL || **out == '\0') {
		fprintf(stderr, "async_client: %s is not set\n", name);
		return -1;
	}
	return 0;
}

/* One handle's fixed options: TLS with the client certificate, a kept connection. */
static int setup(client *c, struct curl_slist *headers, const char *userpwd)
{
	const char *ca, *cert, *key;

	if (env_need("ECS_CA_CERT", &ca) || env_need("ECS_CLIENT_CERT", &cert) || env_need("ECS_CLIENT_KEY", &key))
		return -1;
	c->h = curl_easy_init();
	if (c->h == NULL)
		return -1;
	curl_easy_setopt(c->h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c->h, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(c->h, CURLOPT_SSLKEY, key);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, keep_head);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(c->h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	if (userpwd != NULL)
		curl_easy_setopt(c->h, CURLOPT_USERPWD, userpwd);
	return 0;
}

/* Requests added to the multi and not yet ended (one thread: no lock). */
static long inflight;

static void start(CURLM *m, client *c)
{
	c->len = 0;
	c->body[0] = '\0';
	c->t0 = now_ms();
	inflight++;
	curl_multi_add_handle(m, c->h);
}

/* Run the multi until no request is in flight; each ended request goes to @done (which may start another). */
static void run(CURLM *m, void (*done)(void *arg, client *c, CURLcode rc), void *arg)
{
	while (inflight > 0) {
		CURLMsg *msg;
		int running, left;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			client *c = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
			curl_multi_remove_handle(m, c->h);
			inflight--;
			done(arg, c, msg->data.result);
		}
		if (inflight > 0)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
}

typedef struct {
	CURLM *m;
	long want;
	long left;              /* requests not started yet */
	double *ms;
	long good, failed, connects;
	char bad[BAD_KEPT][BODY_KEPT + 64];
} batch;

static void warm_done(void *arg, client *c, CURLcode rc)
{
	(void)arg;
	if (rc != CURLE_OK)
		fprintf(stderr, "async_client: warm-up: %s\n", curl_easy_strerror(rc));
	(void)c;
}

static void batch_done(void *arg, client *c, CURLcode rc)
{
	batch *b = arg;
	double ms = now_ms() - c->t0;
	long status = 0;

	long fresh = 0;

	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c->h, CURLINFO_NUM_CONNECTS, &fresh);
	b->connects += fresh;
	if (rc == CURLE_OK && status == b->want) {
		b->ms[b->good++] = ms;
	} else {
		if (b->failed < BAD_KEPT)
			snprintf(b->bad[b->failed], sizeof(b->bad[0]), "HTTP %ld %s", status,
				 rc == CURLE_OK ? c->body : curl_easy_strerror(rc));
		b->failed++;
	}
	if (b->left > 0) {
		b->left--;
		start(b->m, c);
	}
}

/* @s as a JSON string's contents (the failures' heads are bytes from the wire). */
static void json_text(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
}

int main(int argc, char **argv)
{
	struct curl_slist *headers = NULL;
	char *url, *noop = NULL, *userpwd = NULL;
	const char *body, *key = getenv("ECS_KEY");
	long n, c, i;
	client *cl;
	batch b;
	double t0, wall, cpu0;

	if (argc < 6 || (n = atol(argv[2])) < 1 || (c = atol(argv[3])) < 1) {
		fprintf(stderr, "usage: async_client URL N C WANT BODY [HEADER...]\n");
		return 2;
	}
	url = argv[1];
	body = argv[5];
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	headers = curl_slist_append(headers, "Content-Type: application/json");
	for (i = 6; i < argc; i++)
		headers = curl_slist_append(headers, argv[i]);
	if (key != NULL && *key != '\0' && asprintf(&userpwd, "%s:%s", key, getenv("ECS_SECRET") ? getenv("ECS_SECRET") : "") < 0)
		return 1;
	/* The same origin's _noop opens the connections. */
	if (asprintf(&noop, "%.*s/v1.1/_noop", (int)(strstr(url, "/v1.1/") ? strstr(url, "/v1.1/") - url : (long)strlen(url)),
		     url) < 0)
		return 1;
	cl = calloc((size_t)c, sizeof(*cl));
	memset(&b, 0, sizeof(b));
	b.ms = calloc((size_t)n, sizeof(*b.ms));
	b.m = curl_multi_init();
	if (cl == NULL || b.ms == NULL || b.m == NULL)
		return 1;
	curl_multi_setopt(b.m, CURLMOPT_MAXCONNECTS, c);
	for (i = 0; i < c; i++) {
		if (setup(&cl[i], headers, userpwd) != 0)
			return 1;
		curl_easy_setopt(cl[i].h, CURLOPT_URL, noop);
		start(b.m, &cl[i]);
	}
	run(b.m, warm_done, NULL);

	b.want = atol(argv[4]);
	b.left = n;
	for (i = 0; i < c && b.left > 0; i++, b.left--) {
		curl_easy_setopt(cl[i].h, CURLOPT_URL, url);
		curl_easy_setopt(cl[i].h, CURLOPT_POSTFIELDS, body);
	}
	t0 = now_ms();
	cpu0 = cpu_s();
	for (i = 0; i < c && i < n; i++)
		start(b.m, &cl[i]);
	run(b.m, batch_done, &b);
	wall = (now_ms() - t0) / 1000.0;

	printf("{\"wall_s\": %.3f, \"cpu_s\": %.3f, \"connects\": %ld, \"failed\": %ld, \"ms\": [", wall,
	       cpu_s() - cpu0, b.connects, b.failed);
	for (i = 0; i < b.good; i++)
		printf("%s%.3f", i ? ", " : "", b.ms[i]);
	printf("], \"bad\": [");
	for (i = 0; i < b.failed && i < BAD_KEPT; i++) {
		printf("%s\"", i ? ", " : "");
		json_text(b.bad[i]);
		printf("\"");
	}
	printf("]}\n");
	for (i = 0; i < c; i++)
		curl_easy_cleanup(cl[i].h);
	curl_multi_cleanup(b.m);
	curl_slist_free_all(headers);
	curl_global_cleanup();
	free(cl);
	free(b.ms);
	free(noop);
	free(userpwd);
	return 0;
}
