/* check_fcgi_handlers.c - request to response without an engine: routing,
 * authentication, the error document on every error path, the endpoints
 * that need no engine, and the mapping of libecs errors. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "handlers.h"
#include "metrics.h"
#include "text.h"

static config *cfg;
static handler_ctx ctx;

typedef struct {
	const char *data;
	size_t len, pos;
} mem_reader;

static int mem_read(void *c, char *buf, int n)
{
	mem_reader *m = c;
	size_t k = m->len - m->pos;

	if (k > (size_t)n)
		k = (size_t)n;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return (int)k;
}

static void setup(void)
{
	cfg = config_defaults();
	ck_assert_ptr_nonnull(cfg);
	cfg->auth = AUTH_MODE_NONE;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.workers = 2;
	metrics_reset();
}

static void teardown(void)
{
	config_free(cfg);
}

/* Run one request; @env is NULL-terminated; @body may be NULL. */
static void run(response *r, handler_info *info, char **env, const char *body)
{
	mem_reader m = { body ? body : "", body ? strlen(body) : 0, 0 };
	request req;

	response_init(r);
	ck_assert_int_eq(request_init(&req, env, mem_read, &m), 0);
	handler_handle(r, info, &ctx, &req);
	handler_finish(info, &req, r);
	request_clear(&req);
}

/* The error document with @status and @code, and the request id echoed. */
static void assert_error(const response *r, int status, const char *code)
{
	struct json_object *o, *v;

	ck_assert_int_eq(r->status, status);
	ck_assert_str_eq(r->content_type, "application/json; charset=utf-8");
	ck_assert_msg(text_utf8_prefix(r->body, r->body_len) == r->body_len, "not UTF-8: %s", r->body);
	o = json_tokener_parse(r->body);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "status", &v));
	ck_assert_int_eq(json_object_get_int(v), status);
	ck_assert(json_object_object_get_ex(o, "code", &v));
	ck_assert_str_eq(json_object_get_string(v), code);
	ck_assert(json_object_object_get_ex(o, "message", &v));
	ck_assert_int_gt(json_object_get_string_len(v), 0);
	ck_assert(json_object_object_get_ex(o, "requestId", &v));
	ck_assert_int_gt(json_object_get_string_len(v), 0);
	json_object_put(o);
}

START_TEST(test_handlers_unknown_path_404)
{
	char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/random", "REQUEST_ID=feed", NULL };
	handler_info info;
	response r;

	run(&r, &info, env, NULL);
	assert_error(&r, 404, "NOT_FOUND");
	ck_assert_ptr_nonnull(strstr(r.body, "\"requestId\":\"feed\""));
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_wrong_method_405_with_allow)
{
	/* Issue 18: GET /v1.1/tasks lists; PUT is the wrong method now. */
	char *env[] = { "REQUEST_METHOD=PUT", "REQUEST_URI=/v1.1/tasks", NULL };
	handler_info info;
	response r;

	run(&r, &info, env, NULL);
	assert_error(&r, 405, "METHOD_NOT_ALLOWED");
	ck_assert_str_eq(r.headers, "Allow: GET, HEAD, POST\r\n");
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_unauthenticated_401)
{
	char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health", NULL };
	handler_info info;
	response r;

	cfg->auth = AUTH_MODE_CLIENT_CERT;
	run(&r, &info, env, NULL);
	assert_error(&r, 401, "UNAUTHENTICATED");
	ck_assert_str_eq(r.headers, "");
	response_clear(&r);
	cfg->auth = AUTH_MODE_BASIC;
	run(&r, &info, env, NULL);
	assert_error(&r, 401, "UNAUTHENTICATED");
	ck_assert_str_eq(r.headers, "WWW-Authenticate: Basic realm=\"ecs\"\r\n");
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_trusted_probe_quick_health_only)
{
	char *quick[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health", "QUERY_STRING=quick=true", "ECS_TRUSTED_PROBE=1", NULL };
	char *full[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health", "QUERY_STRING=quick=false", "ECS_TRUSTED_PROBE=1", NULL };
	char *other[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_metrics", "ECS_TRUSTED_PROBE=1", NULL };
	char *notone[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health", "ECS_TRUSTED_PROBE=yes", NULL };
	char *header[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health", "HTTP_ECS_TRUSTED_PROBE=1", NULL };
	handler_info info;
	response r;

	cfg->auth = AUTH_MODE_CLIENT_CERT;
	run(&r, &info, quick, NULL);
	ck_assert_int_eq(r.status, 200);
	response_clear(&r);
	run(&r, &info, full, NULL);
	assert_error(&r, 401, "UNAUTHENTICATED");
	response_clear(&r);
	run(&r, &info, other, NULL);
	assert_error(&r, 401, "UNAUTHENTICATED");
	response_clear(&r);
	run(&r, &info, notone, NULL);
	assert_error(&r, 401, "UNAUTHENTICATED");
	response_clear(&r);
	run(&r, &info, header, NULL);
	assert_error(&r, 401, "UNAUTHENTICATED");
	response_clear(&r);
	cfg->trusted_probe = 0;
	run(&r, &info, quick, NULL);
	assert_error(&r, 401, "UNAUTHENTICATED");
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_version_and_self_href)
{
	char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_version", "HTTPS=on", "HTTP_HOST=ecs.example:8443", NULL };
	handler_info info;
	response r;

	run(&r, &info, env, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"version\":\"" PACKAGE_VERSION "\",\"links\":{\"self\":{\"href\":\"https://ecs.example:8443/v1.1/_version\"}}}");
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_noop)
{
	char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_noop", "HTTP_HOST=h", NULL };
	handler_info info;
	response r;

	run(&r, &info, env, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"links\":{\"self\":{\"href\":\"http://h/v1.1/_noop\"}}}");
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_health_quick_variants)
{
	static const char *const qs[] = { "", "quick=true", "x=1&quick=true" };
	size_t i;

	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		char q[64];
		char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health", q, NULL };
		handler_info info;
		response r;

		snprintf(q, sizeof(q), "QUERY_STRING=%s", qs[i]);
		run(&r, &info, env, NULL);
		ck_assert_int_eq(r.status, 200);
		ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"green\""));
		response_clear(&r);
	}
}
END_TEST

START_TEST(test_handlers_health_quick_dave_400)
{
	char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health?quick=dave", NULL };
	handler_info info;
	response r;

	run(&r, &info, env, NULL);
	assert_error(&r, 400, "BAD_QUERY_PARAMETER");
	ck_assert_ptr_nonnull(strstr(r.body, "dave"));
	response_clear(&r);
}
END_TEST

/* Echoed input stays UTF-8 (the issue's %ff, a path of raw bytes); FALSE is not false. */
START_TEST(test_handlers_echoes_stay_utf8)
{
	char *q1[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health", "QUERY_STRING=quick=%ff", NULL };
	char *q2[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health", "QUERY_STRING=quick=FALSE", NULL };
	char *p1[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/\xff\xc3", NULL };
	char *m1[] = { "REQUEST_METHOD=G\xe9T", "REQUEST_URI=/v1.1/_noop", NULL };
	handler_info info;
	response r;

	run(&r, &info, q1, NULL);
	assert_error(&r, 400, "BAD_QUERY_PARAMETER");
	ck_assert_ptr_nonnull(strstr(r.body, "\\\\xFF"));
	response_clear(&r);
	run(&r, &info, q2, NULL);
	assert_error(&r, 400, "BAD_QUERY_PARAMETER");
	response_clear(&r);
	run(&r, &info, p1, NULL);
	assert_error(&r, 404, "NOT_FOUND");
	response_clear(&r);
	run(&r, &info, m1, NULL);
	assert_error(&r, 405, "METHOD_NOT_ALLOWED");
	response_clear(&r);
}
END_TEST

/* The self link is absolute however long the URL (nginx takes URIs up to 8 KB). */
START_TEST(test_handlers_long_url_absolute_self)
{
	static char uri[8200];
	char *env[] = { "REQUEST_METHOD=GET", uri, "HTTP_HOST=h", "HTTPS=on", NULL };
	struct json_object *o, *v;
	handler_info info;
	response r;
	size_t n = strlen("REQUEST_URI=/v1.1/_noop?x=");

	memcpy(uri, "REQUEST_URI=/v1.1/_noop?x=", n);
	memset(uri + n, 'y', sizeof(uri) - n - 2);
	uri[sizeof(uri) - 2] = '\xff';
	run(&r, &info, env, NULL);
	ck_assert_int_eq(r.status, 200);
	o = json_tokener_parse(r.body);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "links", &v));
	ck_assert(json_object_object_get_ex(v, "self", &v));
	ck_assert(json_object_object_get_ex(v, "href", &v));
	ck_assert_int_eq(strncmp(json_object_get_string(v), "https://h/v1.1/_noop?x=yyy", 26), 0);
	ck_assert_ptr_nonnull(strstr(json_object_get_string(v), "yyy%FF"));
	json_object_put(o);
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_health_comprehensive_without_engine_is_red)
{
	char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health?quick=false", NULL };
	handler_info info;
	response r;

	run(&r, &info, env, NULL);
	ck_assert_int_eq(r.status, 503);
	ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"red\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"connectivity\":\"red\""));
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_metrics_counts_requests)
{
	char *h[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_noop", NULL };
	char *m[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_metrics", NULL };
	handler_info info;
	response r;

	run(&r, &info, h, NULL);
	response_clear(&r);
	run(&r, &info, m, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body, "ecs_http_requests_total{endpoint=\"_noop\",status=\"200\"} 1\n"));
	response_clear(&r);
}
END_TEST

#define BODY "{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[\"echo\",\"hi\"],\"network\":\"none\"}"

START_TEST(test_handlers_tasks_415)
{
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/v1.1/tasks", "CONTENT_TYPE=text/plain", NULL };
	handler_info info;
	response r;

	run(&r, &info, env, BODY);
	assert_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_tasks_413_by_content_length)
{
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/v1.1/tasks", "CONTENT_TYPE=application/json",
		"CONTENT_LENGTH=1049601", NULL };  /* the 1 MiB default limit and 1 KiB (5 KiB before issue 17) */
	handler_info info;
	response r;

	run(&r, &info, env, BODY);
	assert_error(&r, 413, "PAYLOAD_TOO_LARGE");
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_tasks_413_by_bytes_read)
{
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/v1.1/tasks/", "CONTENT_TYPE=application/json", NULL };
	size_t n = 1024 * 1024 + 1024;  /* over the 1 MiB default limit (5 KiB before issue 17) */
	char *big = malloc(n + 1);
	handler_info info;
	response r;

	memset(big, ' ', n);
	big[n] = '\0';
	run(&r, &info, env, big);
	assert_error(&r, 413, "PAYLOAD_TOO_LARGE");
	response_clear(&r);
	free(big);
}
END_TEST

START_TEST(test_handlers_tasks_400_bad_body)
{
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/v1.1/tasks", "CONTENT_TYPE=application/json; charset=utf-8", NULL };
	handler_info info;
	response r;

	run(&r, &info, env, "{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[]}");
	assert_error(&r, 400, "BAD_REQUEST_BODY");
	response_clear(&r);
	run(&r, &info, env, "{\"docker_image\":\"ecs/busybox\",\"cmd\":[\"true\"]}");
	assert_error(&r, 400, "IMAGE_NAME_IS_INVALID");
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_tasks_400_network_not_allowed)
{
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/v1.1/tasks", "CONTENT_TYPE=application/json", NULL };
	handler_info info;
	response r;

	free(cfg->allowed_networks[1]);
	cfg->allowed_networks_len = 1;  /* "none" only */
	run(&r, &info, env, "{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[\"true\"],\"network\":\"bridge\"}");
	assert_error(&r, 400, "BAD_REQUEST_BODY");
	ck_assert_ptr_nonnull(strstr(r.body, "not allowed"));
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_tasks_403_outside_patterns)
{
	char path[] = "/tmp/check_fcgi_handlers.XXXXXX", err[256];
	static const char text[] = "[ecs]\nauth = client-cert\n[client \"CN=alice\"]\nimages = other/*\nmax_pids = 10\n";
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/v1.1/tasks", "CONTENT_TYPE=application/json",
		"SSL_CLIENT_VERIFY=SUCCESS", "SSL_CLIENT_S_DN=CN=alice", NULL };
	int fd = mkstemp(path);
	config *c = NULL;
	handler_info info;
	response r;

	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (int)sizeof(text) - 1);
	close(fd);
	ck_assert_msg(config_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	ctx.cfg = c;
	run(&r, &info, env, BODY);
	assert_error(&r, 403, "FORBIDDEN");
	ck_assert_str_eq(info.client, "CN=alice");
	response_clear(&r);
	/* Allowed image, but above the client's lower cap. */
	run(&r, &info, env, "{\"docker_image\":\"other/x:1\",\"cmd\":[\"true\"],\"limits\":{\"pids\":11}}");
	assert_error(&r, 403, "FORBIDDEN");
	ck_assert_ptr_nonnull(strstr(r.body, "limits.pids"));
	response_clear(&r);
	ctx.cfg = cfg;
	config_free(c);
}
END_TEST

START_TEST(test_handlers_tasks_without_engine_503)
{
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/v1.1/tasks", "CONTENT_TYPE=application/json", NULL };
	handler_info info;
	response r;

	run(&r, &info, env, BODY);
	assert_error(&r, 503, "ENGINE_UNAVAILABLE");
	response_clear(&r);
}
END_TEST

/* Intake's refusals before the engine, in its order: an image id, a registry
 * not allowed, a name outside libecs's one grammar (a leading '.'). */
START_TEST(test_handlers_tasks_intake_refusals)
{
	static const struct { const char *body; int status; const char *code, *says; } cases[] = {
		{ "{\"docker_image\":\"sha256:2d6b\",\"cmd\":[\"true\"]}", 400, "IMAGE_ID_NOT_ALLOWED", "image id" },
		{ "{\"docker_image\":\"127.0.0.1:5000/x/y:1\",\"cmd\":[\"true\"]}", 403, "REGISTRY_NOT_ALLOWED",
		  "127.0.0.1:5000" },
		{ "{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[\"true\"],\"user\":\".x\"}", 400, "BAD_REQUEST_BODY",
		  "user must be" },
		{ "{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[\"true\"],\"runtime\":\".x\"}", 400,
		  "BAD_REQUEST_BODY", "runtime must be" },
	};
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/v1.1/tasks", "CONTENT_TYPE=application/json", NULL };
	handler_info info;
	response r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(&r, &info, env, cases[i].body);
		assert_error(&r, cases[i].status, cases[i].code);
		ck_assert_msg(strstr(r.body, cases[i].says) != NULL, "%s lacks '%s'", r.body, cases[i].says);
		response_clear(&r);
	}
}
END_TEST

/* What handler_prepare() answers itself and what it leaves to a task worker. */
static handler_next prepare(response *r, handler_info *info, const char *method, const char *uri)
{
	char m[64], u[256];
	char *env[] = { m, u, NULL };
	mem_reader mr = { "", 0, 0 };
	request req;
	handler_next next;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	response_init(r);
	ck_assert_int_eq(request_init(&req, env, mem_read, &mr), 0);
	next = handler_prepare(r, info, &ctx, &req);
	request_clear(&req);
	return next;
}

START_TEST(test_handlers_prepare_splits_quick_from_engine_work)
{
	handler_info info;
	response r;

	ck_assert_int_eq(prepare(&r, &info, "GET", "/v1.1/_noop"), HANDLER_DONE);
	ck_assert_int_eq(r.status, 200);
	response_clear(&r);
	ck_assert_int_eq(prepare(&r, &info, "GET", "/v1.1/_health"), HANDLER_DONE);
	ck_assert_int_eq(r.status, 200);
	response_clear(&r);
	ck_assert_int_eq(prepare(&r, &info, "GET", "/v1.1/_health?quick=maybe"), HANDLER_DONE);
	ck_assert_int_eq(r.status, 400);
	response_clear(&r);
	ck_assert_int_eq(prepare(&r, &info, "GET", "/v1.1/_health?quick=false"), HANDLER_ENGINE);
	response_clear(&r);
	ck_assert_int_eq(prepare(&r, &info, "POST", "/v1.1/tasks"), HANDLER_TASK);
	ck_assert_str_eq(info.client, "-");
	response_clear(&r);
	/* Issue 18: a listing and a poll only read the store (none here: 503), a cancel waits on a worker */
	ck_assert_int_eq(prepare(&r, &info, "GET", "/v1.1/tasks"), HANDLER_DONE);
	assert_error(&r, 503, "STORE_UNAVAILABLE");
	response_clear(&r);
	ck_assert_int_eq(prepare(&r, &info, "GET", "/v1.1/tasks/abc"), HANDLER_DONE);
	assert_error(&r, 503, "STORE_UNAVAILABLE");
	response_clear(&r);
	ck_assert_int_eq(prepare(&r, &info, "DELETE", "/v1.1/tasks/abc"), HANDLER_ENGINE);
	response_clear(&r);
	/* unauthenticated tasks never reach a worker */
	cfg->auth = AUTH_MODE_BASIC;
	ck_assert_int_eq(prepare(&r, &info, "POST", "/v1.1/tasks"), HANDLER_DONE);
	ck_assert_int_eq(r.status, 401);
	response_clear(&r);
}
END_TEST

START_TEST(test_handlers_refusals_carry_retry_after)
{
	char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/v1.1/tasks", NULL };
	mem_reader mr = { "", 0, 0 };
	request req;
	response r;

	ck_assert_int_eq(request_init(&req, env, mem_read, &mr), 0);
	response_init(&r);
	handler_refuse(&r, &req, HANDLER_REFUSE_CLIENT_LIMIT, 3);
	assert_error(&r, 429, "TOO_MANY_TASKS");
	ck_assert_ptr_nonnull(strstr(r.body, "3 task(s)"));
	ck_assert_ptr_nonnull(strstr(r.headers, "Retry-After: 1\r\n"));
	response_clear(&r);
	response_init(&r);
	handler_refuse(&r, &req, HANDLER_REFUSE_BUSY, 0);
	assert_error(&r, 503, "SERVICE_BUSY");
	ck_assert_ptr_nonnull(strstr(r.headers, "Retry-After: 1\r\n"));
	response_clear(&r);
	request_clear(&req);
}
END_TEST

START_TEST(test_handlers_map_error)
{
	const char *code;

	ck_assert_int_eq(response_map_error(ECS_ENOTFOUND, &code), 404);
	ck_assert_str_eq(code, "IMAGE_NOT_FOUND");
	ck_assert_int_eq(response_map_error(ECS_EUNAUTHORIZED, &code), 401);
	ck_assert_str_eq(code, "REGISTRY_UNAUTHORIZED");
	ck_assert_int_eq(response_map_error(ECS_EUNAVAILABLE, &code), 503);
	ck_assert_str_eq(code, "ENGINE_UNAVAILABLE");
	ck_assert_int_eq(response_map_error(ECS_EENGINE, &code), 502);
	ck_assert_str_eq(code, "ENGINE_ERROR");
	/* A user name the image lacks is the request's fault (issue 22: it was a 502). */
	ck_assert_int_eq(response_map_error(ECS_ENOUSER, &code), 400);
	ck_assert_str_eq(code, "USER_NOT_FOUND");
	ck_assert_int_eq(response_map_error(ECS_EPROTO, &code), 502);
	ck_assert_int_eq(response_map_error(ECS_ETIMEDOUT, &code), 504);
	ck_assert_str_eq(code, "ENGINE_TIMEOUT");
	ck_assert_int_eq(response_map_error(ECS_EINVAL, &code), 400);
	ck_assert_int_eq(response_map_error(ECS_ECANCELED, &code), 503);
	ck_assert_str_eq(code, "SHUTTING_DOWN");
	ck_assert_int_eq(response_map_error(ECS_ENOMEM, &code), 500);
	ck_assert_str_eq(code, "INTERNAL_ERROR");
}
END_TEST

/* imageDigest stays the id (deprecated, relied on); imageId beside it; repoDigest only when there is one. */
START_TEST(test_handlers_task_json_image_fields)
{
	static char id[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static char digest[] = "127.0.0.1:5000/ecs/x@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
	ecs_task_result res = ECS_TASK_RESULT_INIT;
	struct json_object *o, *v;

	snprintf(res.task_id, sizeof(res.task_id), "t1");
	res.out.data = (unsigned char *)"";
	res.err.data = (unsigned char *)"";
	res.image_id = id;
	o = handler_task_json(&res);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "imageDigest", &v));
	ck_assert_str_eq(json_object_get_string(v), id);
	ck_assert(json_object_object_get_ex(o, "imageId", &v));
	ck_assert_str_eq(json_object_get_string(v), id);
	ck_assert(!json_object_object_get_ex(o, "repoDigest", NULL));
	json_object_put(o);

	res.repo_digest = digest;
	o = handler_task_json(&res);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "repoDigest", &v));
	ck_assert_str_eq(json_object_get_string(v), digest);
	json_object_put(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_handlers");
	TCase *tc = tcase_create("handlers");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_handlers_unknown_path_404);
	tcase_add_test(tc, test_handlers_wrong_method_405_with_allow);
	tcase_add_test(tc, test_handlers_unauthenticated_401);
	tcase_add_test(tc, test_handlers_trusted_probe_quick_health_only);
	tcase_add_test(tc, test_handlers_version_and_self_href);
	tcase_add_test(tc, test_handlers_noop);
	tcase_add_test(tc, test_handlers_health_quick_variants);
	tcase_add_test(tc, test_handlers_health_quick_dave_400);
	tcase_add_test(tc, test_handlers_health_comprehensive_without_engine_is_red);
	tcase_add_test(tc, test_handlers_echoes_stay_utf8);
	tcase_add_test(tc, test_handlers_long_url_absolute_self);
	tcase_add_test(tc, test_handlers_metrics_counts_requests);
	tcase_add_test(tc, test_handlers_tasks_415);
	tcase_add_test(tc, test_handlers_tasks_413_by_content_length);
	tcase_add_test(tc, test_handlers_tasks_413_by_bytes_read);
	tcase_add_test(tc, test_handlers_tasks_400_bad_body);
	tcase_add_test(tc, test_handlers_tasks_400_network_not_allowed);
	tcase_add_test(tc, test_handlers_tasks_403_outside_patterns);
	tcase_add_test(tc, test_handlers_tasks_without_engine_503);
	tcase_add_test(tc, test_handlers_tasks_intake_refusals);
	tcase_add_test(tc, test_handlers_map_error);
	tcase_add_test(tc, test_handlers_prepare_splits_quick_from_engine_work);
	tcase_add_test(tc, test_handlers_refusals_carry_retry_after);
	tcase_add_test(tc, test_handlers_task_json_image_fields);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
