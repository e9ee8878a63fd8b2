/*
 * Integration tests: the engine handle against the real engine (lib/engine.c,
 * lib/http.c): ping, version negotiation, unreachable endpoints, endpoint forms.
 */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ecs/ecs.h>
#include "image_private.h"
#include "container_private.h"
#include "engine_private.h"
#include "it_util.h"

static ecs_engine *engine;

static void setup(void)
{
	engine = it_engine_new();
}

static void teardown(void)
{
	ecs_engine_free(engine);
	engine = NULL;
}

static ecs_engine *engine_at(const char *endpoint, long connect_ms, long request_ms)
{
	ecs_engine_options opts = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e = NULL;
	int rc;

	opts.endpoint = endpoint;
	opts.connect_timeout_ms = connect_ms;
	opts.request_timeout_ms = request_ms;
	rc = ecs_engine_new(&e, &opts);
	ck_assert_msg(rc == ECS_OK, "ecs_engine_new(%s): %s", endpoint, ecs_error_name(rc));
	return e;
}

START_TEST(test_engine_ping)
{
	int rc = ecs_engine_ping(engine);

	ck_assert_msg(rc == ECS_OK, "ping: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_str_eq(ecs_engine_errmsg(engine), "");
	/* Twice on one handle: the kept connection is reused. */
	ck_assert_int_eq(ecs_engine_ping(engine), ECS_OK);
}
END_TEST

START_TEST(test_engine_version_negotiates)
{
	ecs_engine_version v;
	int rc;

	memset(&v, 0x55, sizeof(v));
	rc = ecs_engine_version_get(&v, engine);
	ck_assert_msg(rc == ECS_OK, "version: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_msg(v.version[0] != '\0', "no engine version");
	ck_assert_str_eq(v.os, "linux");
	ck_assert_msg(v.arch[0] != '\0', "no arch");
	ck_assert_msg(v.api_version[0] != '\0' && v.min_api_version[0] != '\0', "no API versions");
	/* The highest both speak: the engine's own when it is older than ours. */
	if (ecs_api_version_cmp(v.api_version, ECS_API_VERSION_MAX) <= 0)
		ck_assert_str_eq(v.negotiated, v.api_version);
	else
		ck_assert_str_eq(v.negotiated, ECS_API_VERSION_MAX);
}
END_TEST

START_TEST(test_engine_negotiates_on_first_use)
{
	ecs_engine *fresh = it_engine_new();
	ecs_container_info *list = NULL;
	ecs_engine_version v;
	size_t count = 0;
	int rc;

	/* A versioned request first: the handle must negotiate by itself. */
	rc = ecs_container_list(&list, &count, fresh, NULL, 0);
	ck_assert_msg(rc == ECS_OK, "list: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(fresh));
	ecs_container_list_free(list, count);
	ck_assert_int_eq(ecs_image_inspect(NULL, fresh, it_test_image()), ECS_OK);
	ck_assert_int_eq(ecs_engine_version_get(&v, fresh), ECS_OK);
	ck_assert_msg(v.negotiated[0] == '1' && v.negotiated[1] == '.', "negotiated \"%s\"", v.negotiated);
	ecs_engine_free(fresh);
}
END_TEST

START_TEST(test_engine_dup_works_without_its_original)
{
	ecs_engine *orig = it_engine_new(), *copy = NULL;
	ecs_container_info *list = NULL;
	ecs_engine_version v;
	size_t count = 0;
	char negotiated[16];
	int rc;

	ck_assert_int_eq(ecs_engine_version_get(&v, orig), ECS_OK);
	snprintf(negotiated, sizeof(negotiated), "%s", orig->api_version);
	ck_assert_int_eq(ecs_engine_dup(&copy, orig), ECS_OK);
	ecs_engine_free(orig);
	/* The copy starts with the version, and its own connection works alone. */
	ck_assert_str_eq(copy->api_version, negotiated);
	rc = ecs_container_list(&list, &count, copy, NULL, 0);
	ck_assert_msg(rc == ECS_OK, "list: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(copy));
	ecs_container_list_free(list, count);
	ck_assert_int_eq(ecs_image_inspect(NULL, copy, it_test_image()), ECS_OK);
	ecs_engine_free(copy);
}
END_TEST

START_TEST(test_engine_missing_socket_is_unavailable)
{
	ecs_engine *e = engine_at("unix:///nonexistent/ecs-test/docker.sock", 0, 0);
	ecs_container_info *list = NULL;
	ecs_engine_version v;
	size_t count = 0;
	double t0 = it_now_ms();
	int rc;

	rc = ecs_engine_ping(e);
	ck_assert_msg(rc == ECS_EUNAVAILABLE, "ping: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	ck_assert_msg(strstr(ecs_engine_errmsg(e), "/nonexistent/ecs-test/docker.sock") != NULL,
			"errmsg does not name the endpoint: %s", ecs_engine_errmsg(e));
	ck_assert_int_eq(ecs_engine_version_get(&v, e), ECS_EUNAVAILABLE);
	/* A versioned call fails the same way (through the negotiation). */
	ck_assert_int_eq(ecs_container_list(&list, &count, e, NULL, 0), ECS_EUNAVAILABLE);
	ck_assert_int_eq(ecs_image_pull(e, "127.0.0.1:1/x:y", NULL, 0, NULL), ECS_EUNAVAILABLE);
	ck_assert_int_eq(ecs_container_send_stdin(e, "abc", "x", 1, 1000), ECS_EUNAVAILABLE);
	ck_assert_msg(it_now_ms() - t0 < 2000, "failing took %.0f ms", it_now_ms() - t0);
	ecs_engine_free(e);
}
END_TEST

START_TEST(test_engine_refused_port_is_unavailable)
{
	ecs_engine *e = engine_at("http://127.0.0.1:1", 0, 0);
	double t0 = it_now_ms();
	int rc;

	rc = ecs_engine_ping(e);
	ck_assert_msg(rc == ECS_EUNAVAILABLE, "ping: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	ck_assert_msg(it_now_ms() - t0 < 2000, "failing took %.0f ms", it_now_ms() - t0);
	ecs_engine_free(e);

	/* TLS to nothing: the same, whatever the (absent) certificate files. */
	{
		ecs_engine_options opts = ECS_ENGINE_OPTIONS_INIT;

		opts.endpoint = "https://127.0.0.1:1";
		opts.ca_file = "/nonexistent/ca.pem";
		ck_assert_int_eq(ecs_engine_new(&e, &opts), ECS_OK);
		rc = ecs_engine_ping(e);
		ck_assert_msg(rc == ECS_EUNAVAILABLE, "ping: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
		ecs_engine_free(e);
	}
}
END_TEST

/* A TCP listener on a free loopback port that answers every connection with @reply (NULL: never answers). */
typedef struct {
	int fd;
	int port;
	const char *reply;
	pthread_t thread;
} fake_server;

static void *serve(void *arg)
{
	fake_server *s = arg;
	char buf[4096];
	int c;

	while ((c = accept(s->fd, NULL, NULL)) >= 0) {
		ssize_t n = read(c, buf, sizeof(buf));

		if (s->reply == NULL) {
			/* Read the request and sit on it until the client gives up. */
			while (n > 0)
				n = read(c, buf, sizeof(buf));
		} else if (n > 0) {
			ssize_t w = write(c, s->reply, strlen(s->reply));

			(void)w;
		}
		close(c);
	}
	return NULL;
}

static void fake_start(fake_server *s, const char *reply)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->reply = reply;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s->fd, 0);
	ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(s->fd, 8), 0);
	ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&addr, &len), 0);
	s->port = ntohs(addr.sin_port);
	ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

START_TEST(test_engine_not_an_engine)
{
	fake_server s;
	char endpoint[64];
	ecs_engine *e;
	ecs_engine_version v;
	int rc;

	fake_start(&s, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot here\n");
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", s.port);
	e = engine_at(endpoint, 0, 0);
	rc = ecs_engine_ping(e);
	ck_assert_msg(rc == ECS_EENGINE, "ping: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	rc = ecs_engine_version_get(&v, e);
	ck_assert_msg(rc == ECS_EENGINE, "version: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	ecs_engine_free(e);
	/* The listener thread dies with this test's process. */
}
END_TEST

START_TEST(test_engine_silent_server_times_out)
{
	fake_server s;
	char endpoint[64];
	ecs_engine *e;
	double t0;
	int rc;

	fake_start(&s, NULL);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", s.port);
	e = engine_at(endpoint, 0, 300);
	t0 = it_now_ms();
	rc = ecs_engine_ping(e);
	ck_assert_msg(rc == ECS_ETIMEDOUT, "ping: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	ck_assert_msg(it_now_ms() - t0 < 3000, "the timeout took %.0f ms", it_now_ms() - t0);
	ecs_engine_free(e);
}
END_TEST

START_TEST(test_engine_runtimes_lists_default)
{
	ecs_engine_runtimes rt;
	const char *want = getenv("ECS_TEST_RUNTIME");
	int rc;

	rc = ecs_engine_runtimes_get(&rt, engine);
	ck_assert_msg(rc == ECS_OK, "runtimes: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_uint_ge(rt.count, 1);
	ck_assert_ptr_nonnull(rt.names);
	/* Every engine has runc, and its default is one it lists. */
	ck_assert_msg(ecs_engine_runtimes_has(&rt, "runc"), "no runc among %zu runtimes", rt.count);
	ck_assert_msg(rt.default_runtime[0] != '\0', "no default runtime");
	ck_assert_msg(ecs_engine_runtimes_has(&rt, rt.default_runtime), "default %s not listed", rt.default_runtime);
	for (size_t i = 1; i < rt.count; i++)
		ck_assert_msg(strcmp(rt.names[i - 1], rt.names[i]) < 0, "not sorted: %s, %s", rt.names[i - 1], rt.names[i]);
	/* The suite asked to run under a runtime: the engine must have it. */
	if (want != NULL && want[0] != '\0')
		ck_assert_msg(ecs_engine_runtimes_has(&rt, want), "ECS_TEST_RUNTIME=%s, which the engine lacks", want);
	ecs_engine_runtimes_clear(&rt);
	ck_assert_ptr_null(rt.names);
	/* Twice on one handle. */
	ck_assert_int_eq(ecs_engine_runtimes_get(&rt, engine), ECS_OK);
	ecs_engine_runtimes_clear(&rt);
}
END_TEST

START_TEST(test_engine_runtimes_failures)
{
	/* Something that speaks the version but answers /info without Runtimes. */
	static const char body[] = "{\"Version\":\"20.10.24\",\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12\"}";
	char reply[512], endpoint[64];
	ecs_engine_runtimes rt;
	fake_server s;
	ecs_engine *e;
	int rc;

	snprintf(reply, sizeof(reply), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			"Content-Length: %zu\r\nConnection: close\r\n\r\n%s", sizeof(body) - 1, body);
	fake_start(&s, reply);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", s.port);
	e = engine_at(endpoint, 0, 0);
	memset(&rt, 0x5a, sizeof(rt));
	rc = ecs_engine_runtimes_get(&rt, e);
	ck_assert_msg(rc == ECS_EPROTO, "runtimes: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	ck_assert_msg(strstr(ecs_engine_errmsg(e), "runtimes") != NULL, "errmsg: %s", ecs_engine_errmsg(e));
	ck_assert_ptr_null(rt.names);
	ck_assert_ptr_null(rt.default_runtime);
	ecs_engine_free(e);

	/* No engine at all. */
	e = engine_at("unix:///nonexistent/ecs-test/docker.sock", 0, 0);
	rc = ecs_engine_runtimes_get(&rt, e);
	ck_assert_msg(rc == ECS_EUNAVAILABLE, "runtimes: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	ck_assert_uint_eq(rt.count, 0);
	ecs_engine_free(e);
}
END_TEST

START_TEST(test_engine_endpoint_forms)
{
	static const char *const good[] = {
		"unix:///var/run/docker.sock", "http://127.0.0.1:2375", "https://engine.example:2376",
		"tcp://127.0.0.1:2375", "http://[::1]:2375", "https://engine.example:2376/",
	};
	static const char *const bad[] = {
		"", "ftp://x:1", "unix://relative.sock", "unix://", "http://", "https://", "/var/run/docker.sock",
		"http://host:1/path", "http://user:pw@host:1", "http://ho st:1",
	};
	ecs_engine_options opts = ECS_ENGINE_OPTIONS_INIT;
	const ecs_engine_options *got;
	ecs_engine *e = NULL;
	char ca[] = "/etc/ecs/ca.pem", cert[] = "/etc/ecs/cert.pem", key[] = "/etc/ecs/key.pem";
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		opts.endpoint = good[i];
		ck_assert_msg(ecs_engine_new(&e, &opts) == ECS_OK, "refused %s", good[i]);
		ecs_engine_free(e);
		e = NULL;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		opts.endpoint = bad[i];
		ck_assert_msg(ecs_engine_new(&e, &opts) == ECS_EINVAL, "accepted \"%s\"", bad[i]);
		ck_assert_ptr_null(e);
	}

	/* https with certificates: the options are copied, not borrowed. */
	opts.endpoint = "https://engine.example:2376";
	opts.ca_file = ca;
	opts.cert_file = cert;
	opts.key_file = key;
	opts.connect_timeout_ms = 1234;
	ck_assert_int_eq(ecs_engine_new(&e, &opts), ECS_OK);
	memset(ca, 'x', sizeof(ca) - 1);
	got = ecs_engine_options_get(e);
	ck_assert_str_eq(got->endpoint, "https://engine.example:2376");
	ck_assert_str_eq(got->ca_file, "/etc/ecs/ca.pem");
	ck_assert_str_eq(got->cert_file, "/etc/ecs/cert.pem");
	ck_assert_str_eq(got->key_file, "/etc/ecs/key.pem");
	ck_assert_int_eq(got->connect_timeout_ms, 1234);
	ck_assert_str_eq(ecs_engine_errmsg(e), "");
	ecs_engine_free(e);
	e = NULL;

	/* Defaults. */
	ck_assert_int_eq(ecs_engine_new(&e, NULL), ECS_OK);
	ck_assert_str_eq(ecs_engine_options_get(e)->endpoint, ECS_ENGINE_DEFAULT_ENDPOINT);
	ck_assert_ptr_null(ecs_engine_options_get(e)->ca_file);
	ecs_engine_free(e);
	e = NULL;

	/* Versions and limits. */
	opts = (ecs_engine_options)ECS_ENGINE_OPTIONS_INIT;
	opts.version = 99;
	ck_assert_int_eq(ecs_engine_new(&e, &opts), ECS_EINVAL);
	opts = (ecs_engine_options)ECS_ENGINE_OPTIONS_INIT;
	opts.request_timeout_ms = -1;
	ck_assert_int_eq(ecs_engine_new(&e, &opts), ECS_EINVAL);
	ck_assert_int_eq(ecs_engine_new(NULL, NULL), ECS_EINVAL);
	ecs_engine_free(NULL);
	ck_assert_str_eq(ecs_engine_errmsg(NULL), "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("it_engine");
	SRunner *sr;
	TCase *tc;
	int failed;

	it_global_init();

	tc = tcase_create("engine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_engine_ping);
	tcase_add_test(tc, test_engine_version_negotiates);
	tcase_add_test(tc, test_engine_negotiates_on_first_use);
	tcase_add_test(tc, test_engine_dup_works_without_its_original);
	tcase_add_test(tc, test_engine_missing_socket_is_unavailable);
	tcase_add_test(tc, test_engine_refused_port_is_unavailable);
	tcase_add_test(tc, test_engine_not_an_engine);
	tcase_add_test(tc, test_engine_silent_server_times_out);
	tcase_add_test(tc, test_engine_endpoint_forms);
	tcase_add_test(tc, test_engine_runtimes_lists_default);
	tcase_add_test(tc, test_engine_runtimes_failures);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ecs_global_cleanup();
	return failed == 0 ? 0 : 1;
}
