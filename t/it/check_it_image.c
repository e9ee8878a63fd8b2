/*
 * Integration tests: image inspect and pull against the real engine and the
 * private test registry (lib/image.c). The registry cases need the ECS_TEST_*
 * variables `./bootstrap test` sets; without them they fail, never skip.
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

#include <openssl/evp.h>

#include <ecs/ecs.h>
#include "image_private.h"
#include "it_util.h"

#define PULL_MS 120000L

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

/* Credentials from the environment; the strings stay the environment's. */
static ecs_registry_auth registry_auth(void)
{
	ecs_registry_auth a = { NULL, NULL, NULL, NULL };

	a.username = it_require_env("ECS_TEST_REGISTRY_USER");
	a.password = it_require_env("ECS_TEST_REGISTRY_PASSWORD");
	return a;
}

/* Forget the private image locally so the next pull really asks the registry. */
static void forget(const char *image)
{
	int rc = it_image_remove(engine, image);

	ck_assert_msg(rc == ECS_OK || rc == ECS_ENOTFOUND, "remove %s: %s: %s", image, ecs_error_name(rc),
			ecs_engine_errmsg(engine));
	ck_assert_int_eq(ecs_image_inspect(NULL, engine, image), ECS_ENOTFOUND);
}

/* The password must never reach an error message. */
static void assert_no_secret(const char *secret)
{
	ck_assert_msg(strstr(ecs_engine_errmsg(engine), secret) == NULL, "the error message shows the password");
}

START_TEST(test_image_inspect_present)
{
	ecs_image_info info = ECS_IMAGE_INFO_INIT;
	int rc;

	rc = ecs_image_inspect(&info, engine, it_test_image());
	ck_assert_msg(rc == ECS_OK, "inspect %s: %s: %s", it_test_image(), ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_nonnull(info.id);
	ck_assert_int_eq(strncmp(info.id, "sha256:", 7), 0);
	/*
	 * Built with docker import, so no digest of its own; but the private
	 * test image is the same image pushed, and a pull of it gives this id one.
	 */
	ck_assert(info.repo_digest == NULL || strstr(info.repo_digest, "@sha256:") != NULL);
	/* docker import sets no WorkingDir: "" rather than NULL. */
	ck_assert_str_eq(info.working_dir, "");
	ecs_image_info_clear(&info);
	ck_assert_ptr_null(info.id);
	ck_assert_int_eq(ecs_image_inspect(NULL, engine, it_test_image()), ECS_OK);
}
END_TEST

START_TEST(test_image_inspect_missing)
{
	ecs_image_info info = ECS_IMAGE_INFO_INIT;
	int rc;

	rc = ecs_image_inspect(&info, engine, "ecs/no-such-image:never");
	ck_assert_msg(rc == ECS_ENOTFOUND, "inspect: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_null(info.id);
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(engine), "no-such-image"));
	ck_assert_int_eq(ecs_image_inspect(&info, engine, ""), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_inspect(NULL, engine, NULL), ECS_EINVAL);
	/* Characters that mean something in a URL stay part of the name, which the engine then refuses. */
	ck_assert_int_eq(ecs_image_inspect(NULL, engine, "x?y=1&z#w"), ECS_EINVAL);
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(engine), "x?y=1&z#w"));
}
END_TEST

START_TEST(test_image_pull_private_with_credentials)
{
	const char *image = it_require_env("ECS_TEST_PRIVATE_IMAGE");
	ecs_registry_auth auth = registry_auth();
	ecs_image_info info = ECS_IMAGE_INFO_INIT;
	char *by_digest = NULL;
	const char *at;
	int lock = it_lock_private_image();
	int rc;

	forget(image);
	rc = ecs_image_pull(engine, image, &auth, PULL_MS, NULL);
	ck_assert_msg(rc == ECS_OK, "pull %s: %s: %s", image, ecs_error_name(rc), ecs_engine_errmsg(engine));
	rc = ecs_image_inspect(&info, engine, image);
	ck_assert_msg(rc == ECS_OK, "inspect after pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_int_eq(strncmp(info.id, "sha256:", 7), 0);
	ck_assert_ptr_nonnull(info.repo_digest);
	at = strstr(info.repo_digest, "@sha256:");
	ck_assert_ptr_nonnull(at);

	/* Pinned by digest: "registry/repo@sha256:..." pulls too. */
	ck_assert_int_ge(asprintf(&by_digest, "%s", info.repo_digest), 0);
	ecs_image_info_clear(&info);
	forget(image);
	forget(by_digest);
	rc = ecs_image_pull(engine, by_digest, &auth, 0, NULL);
	ck_assert_msg(rc == ECS_OK, "pull %s: %s: %s", by_digest, ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_int_eq(ecs_image_inspect(NULL, engine, by_digest), ECS_OK);

	/* Leave the engine as we found it, so the next run pulls again. */
	forget(by_digest);
	free(by_digest);
	it_unlock_private_image(lock);
}
END_TEST

START_TEST(test_image_pull_unknown_repository)
{
	const char *registry = it_require_env("ECS_TEST_REGISTRY");
	ecs_registry_auth auth = registry_auth();
	char *image = NULL;
	int rc;

	ck_assert_int_ge(asprintf(&image, "%s/ecs/no-such-repository:1.0", registry), 0);
	rc = ecs_image_pull(engine, image, &auth, PULL_MS, NULL);
	ck_assert_msg(rc == ECS_ENOTFOUND, "pull %s: %s: %s", image, ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(engine), "no-such-repository"));
	assert_no_secret(auth.password);
	free(image);
}
END_TEST

START_TEST(test_image_pull_unknown_tag)
{
	const char *registry = it_require_env("ECS_TEST_REGISTRY");
	ecs_registry_auth auth = registry_auth();
	char *image = NULL;
	int rc;

	ck_assert_int_ge(asprintf(&image, "%s/ecs/private-busybox:no-such-tag", registry), 0);
	rc = ecs_image_pull(engine, image, &auth, PULL_MS, NULL);
	ck_assert_msg(rc == ECS_ENOTFOUND, "pull %s: %s: %s", image, ecs_error_name(rc), ecs_engine_errmsg(engine));
	free(image);
}
END_TEST

START_TEST(test_image_pull_wrong_password)
{
	const char *image = it_require_env("ECS_TEST_PRIVATE_IMAGE");
	ecs_registry_auth auth = registry_auth();
	static const char wrong[] = "not-the-password-4711";
	int rc;

	auth.password = wrong;
	rc = ecs_image_pull(engine, image, &auth, PULL_MS, NULL);
	ck_assert_msg(rc == ECS_EUNAUTHORIZED, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_msg(ecs_engine_errmsg(engine)[0] != '\0', "no error message");
	assert_no_secret(wrong);
}
END_TEST

START_TEST(test_image_pull_without_credentials)
{
	const char *image = it_require_env("ECS_TEST_PRIVATE_IMAGE");
	int rc;

	rc = ecs_image_pull(engine, image, NULL, PULL_MS, NULL);
	ck_assert_msg(rc == ECS_EUNAUTHORIZED, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
}
END_TEST

/* The registry's verdict on credentials, without pulling: the image stays absent. */
START_TEST(test_image_distribution_inspect)
{
	const char *image = it_require_env("ECS_TEST_PRIVATE_IMAGE");
	const char *registry = it_require_env("ECS_TEST_REGISTRY");
	ecs_registry_auth auth = registry_auth();
	static const char wrong[] = "not-the-password-4711";
	char *digest = NULL, *missing = NULL;
	int present = ecs_image_inspect(NULL, engine, image) == ECS_OK, rc;

	rc = ecs_image_distribution_inspect(&digest, engine, image, &auth);
	ck_assert_msg(rc == ECS_OK, "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_nonnull(digest);
	ck_assert_msg(strncmp(digest, "sha256:", 7) == 0 && strlen(digest) == 71, "digest %s", digest);
	free(digest);
	if (!present)
		ck_assert_int_eq(ecs_image_inspect(NULL, engine, image), ECS_ENOTFOUND);
	{
		/* the same question with the reference parsed by the caller (ecs-fcgi parses at its edge) */
		ecs_image_ref ref;

		ck_assert_int_eq(ecs_image_ref_parse(&ref, image), ECS_OK);
		rc = ecs_image_distribution_inspect_ref(&digest, engine, &ref, image, &auth);
		ck_assert_msg(rc == ECS_OK, "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
		ck_assert_msg(digest != NULL && strncmp(digest, "sha256:", 7) == 0, "digest %s", digest ? digest : "(null)");
		free(digest);
		digest = NULL;
		auth.password = wrong;
		rc = ecs_image_distribution_inspect_ref(NULL, engine, &ref, image, &auth);
		ck_assert_msg(rc == ECS_EUNAUTHORIZED, "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
		auth = registry_auth();
		ck_assert_int_eq(ecs_image_distribution_inspect_ref(NULL, engine, NULL, image, &auth), ECS_EINVAL);
		ecs_image_ref_clear(&ref);
	}

	auth.password = wrong;
	rc = ecs_image_distribution_inspect(&digest, engine, image, &auth);
	ck_assert_msg(rc == ECS_EUNAUTHORIZED, "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_null(digest);
	assert_no_secret(wrong);
	rc = ecs_image_distribution_inspect(NULL, engine, image, NULL);
	ck_assert_msg(rc == ECS_EUNAUTHORIZED, "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));

	auth = registry_auth();
	ck_assert_int_ge(asprintf(&missing, "%s/ecs/private-busybox:no-such-tag", registry), 0);
	rc = ecs_image_distribution_inspect(NULL, engine, missing, &auth);
	ck_assert_msg(rc == ECS_ENOTFOUND, "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	free(missing);
	ck_assert_int_eq(ecs_image_distribution_inspect(NULL, engine, "no tag", &auth), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_distribution_inspect(NULL, NULL, image, &auth), ECS_EINVAL);
	rc = ecs_image_distribution_inspect(NULL, engine, "127.0.0.1:1/x:y", NULL);
	ck_assert_msg(rc == ECS_EENGINE, "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
}
END_TEST

START_TEST(test_image_pull_unreachable_registry)
{
	int rc;

	rc = ecs_image_pull(engine, "127.0.0.1:1/x:y", NULL, PULL_MS, NULL);
	ck_assert_msg(rc == ECS_EENGINE, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(engine), "127.0.0.1:1"));
}
END_TEST

static void *trigger_soon(void *arg)
{
	struct timespec pause = { 0, 300 * 1000000L };

	nanosleep(&pause, NULL);
	ecs_cancel_trigger(arg);
	return NULL;
}

/*
 * A registry that accepts connections and never answers (a listening socket
 * nobody accepts on) holds a pull for as long as the engine's own timeouts;
 * the cancel token ends it. ECS_ECANCELED can only come from the token.
 */
START_TEST(test_image_pull_cancelled_while_registry_hangs)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	ecs_cancel *cancel = NULL;
	pthread_t th;
	char image[64];
	int fd, rc;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	snprintf(image, sizeof(image), "127.0.0.1:%d/ecs/hangs:1", ntohs(sa.sin_port));
	ck_assert_int_eq(ecs_cancel_new(&cancel), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, trigger_soon, cancel), 0);
	rc = ecs_image_pull(engine, image, NULL, PULL_MS, cancel);
	pthread_join(th, NULL);
	ck_assert_msg(rc == ECS_ECANCELED, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	/* A token triggered before the call stops it at once. */
	rc = ecs_image_pull(engine, image, NULL, PULL_MS, cancel);
	ck_assert_msg(rc == ECS_ECANCELED, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ecs_cancel_free(cancel);
	close(fd);
}
END_TEST

START_TEST(test_image_pull_rejects_bad_arguments)
{
	ecs_registry_auth half = { "someone", NULL, NULL, NULL };

	/* A bare name would silently mean ":latest". */
	ck_assert_int_eq(ecs_image_pull(engine, "ecs/busybox", NULL, PULL_MS, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(engine, "UPPER/case:1", NULL, PULL_MS, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(engine, "", NULL, PULL_MS, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(engine, NULL, NULL, PULL_MS, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(engine, "ecs/busybox:latest", NULL, -1, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(engine, "127.0.0.1:1/x:y", &half, PULL_MS, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(NULL, "ecs/busybox:latest", NULL, PULL_MS, NULL), ECS_EINVAL);
}
END_TEST

/*
 * A fake engine on a loopback port, to see how pull reads a progress stream
 * the real engine only sends when a registry misbehaves mid-pull: it answers
 * GET /version, and POST .../images/create with @status and then @parts, each
 * written separately (with a pause) so they reach the client as separate chunks.
 */
typedef struct {
	int fd;
	int port;
	const char *status;
	const char *const *parts;
	pthread_mutex_t lock;
	char request[8192];   /* the last images/create request, headers included */
} fake_engine;

static void write_str(int c, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(c, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void *fake_serve(void *arg)
{
	static const char version[] = "{\"Version\":\"20.10.24\",\"ApiVersion\":\"1.41\","
		"\"MinAPIVersion\":\"1.12\",\"Os\":\"linux\",\"Arch\":\"amd64\"}";
	fake_engine *f = arg;
	char req[8192], head[256];
	int c;

	while ((c = accept(f->fd, NULL, NULL)) >= 0) {
		size_t have = 0;
		ssize_t n;
		size_t i;

		while (have < sizeof(req) - 1 && (n = read(c, req + have, sizeof(req) - 1 - have)) > 0) {
			have += (size_t)n;
			req[have] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		req[have] = '\0';
		if (strncmp(req, "GET /version", 12) == 0) {
			snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
					"Content-Length: %zu\r\nConnection: close\r\n\r\n", strlen(version));
			write_str(c, head);
			write_str(c, version);
		} else {
			pthread_mutex_lock(&f->lock);
			memcpy(f->request, req, have + 1);
			pthread_mutex_unlock(&f->lock);
			snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
					"Connection: close\r\n\r\n", f->status);
			write_str(c, head);
			for (i = 0; f->parts[i] != NULL; i++) {
				usleep(20 * 1000);
				write_str(c, f->parts[i]);
			}
		}
		close(c);
	}
	return NULL;
}

/* Start a fake engine; returns a handle to it (its thread dies with the test's process). */
static ecs_engine *fake_start(fake_engine *f, const char *status, const char *const *parts)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	pthread_t thread;
	char endpoint[64];
	ecs_engine_options opts = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e = NULL;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->status = status;
	f->parts = parts;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(f->fd, 8), 0);
	ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&addr, &len), 0);
	f->port = ntohs(addr.sin_port);
	ck_assert_int_eq(pthread_create(&thread, NULL, fake_serve, f), 0);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", f->port);
	opts.endpoint = endpoint;
	ck_assert_int_eq(ecs_engine_new(&e, &opts), ECS_OK);
	return e;
}

START_TEST(test_image_pull_error_inside_200_stream)
{
	/* The error line arrives in three chunks, split inside its JSON. */
	static const char *const parts[] = {
		"{\"status\":\"Pulling from ecs/x\",\"id\":\"1.0\"}\n{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"ab\"}\n{\"errorDetail\":{\"mess",
		"age\":\"unauthorized: authentication required\"},\"error\":\"unauthor",
		"ized: authentication required\"}\r\n",
		NULL,
	};
	fake_engine f;
	ecs_engine *e = fake_start(&f, "200 OK", parts);
	int rc;

	rc = ecs_image_pull(e, "127.0.0.1:5000/ecs/x:1.0", NULL, 10000, NULL);
	ck_assert_msg(rc == ECS_EUNAUTHORIZED, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	ck_assert_str_eq(ecs_engine_errmsg(e), "pull 127.0.0.1:5000/ecs/x:1.0: unauthorized: authentication required");
	ecs_engine_free(e);
}
END_TEST

START_TEST(test_image_pull_error_on_last_line_without_newline)
{
	static const char *const parts[] = {
		"{\"status\":\"Pulling from ecs/x\"}\n",
		"{\"errorDetail\":{\"message\":\"manifest unknown: manifest unknown\"}}",
		NULL,
	};
	fake_engine f;
	ecs_engine *e = fake_start(&f, "200 OK", parts);
	int rc;

	rc = ecs_image_pull(e, "127.0.0.1:5000/ecs/x@sha256:0123456789012345678901234567890123456789012345678901234567890123",
			NULL, 10000, NULL);
	ck_assert_msg(rc == ECS_ENOTFOUND, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	/* A digest travels in the tag parameter, as the docker CLI sends it. */
	pthread_mutex_lock(&f.lock);
	ck_assert_msg(strstr(f.request, "fromImage=127.0.0.1%3A5000%2Fecs%2Fx&tag=sha256%3A0123") != NULL,
			"request: %s", f.request);
	pthread_mutex_unlock(&f.lock);
	ecs_engine_free(e);
}
END_TEST

START_TEST(test_image_pull_clean_stream_and_auth_header)
{
	static const char *const parts[] = {
		"{\"status\":\"Pulling from ecs/x\"}\r\n{\"status\":\"Digest: sha256:ab\"}\n",
		"{\"status\":\"Status: Downloaded newer image for 127.0.0.1:5000/ecs/x:1.0\"}\n",
		NULL,
	};
	ecs_registry_auth auth = { "alice", "s3cret", NULL, NULL };
	unsigned char json[1024];
	char encoded[1024];
	const char *h;
	fake_engine f;
	ecs_engine *e = fake_start(&f, "200 OK", parts);
	size_t i, len;
	int rc, n;

	rc = ecs_image_pull(e, "127.0.0.1:5000/ecs/x:1.0", &auth, 10000, NULL);
	ck_assert_msg(rc == ECS_OK, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	pthread_mutex_lock(&f.lock);
	ck_assert_msg(strncmp(f.request, "POST /v1.41/images/create?fromImage=127.0.0.1%3A5000%2Fecs%2Fx&tag=1.0 ", 71) == 0,
			"request: %s", f.request);
	h = strstr(f.request, "X-Registry-Auth: ");
	ck_assert_ptr_nonnull(h);
	h += strlen("X-Registry-Auth: ");
	len = strcspn(h, "\r");
	ck_assert_uint_lt(len, sizeof(encoded) - 4);
	/* base64url back to base64 for OpenSSL's decoder. */
	for (i = 0; i < len; i++)
		encoded[i] = h[i] == '-' ? '+' : h[i] == '_' ? '/' : h[i];
	while (i % 4 != 0)
		encoded[i++] = '=';
	encoded[i] = '\0';
	pthread_mutex_unlock(&f.lock);
	n = EVP_DecodeBlock(json, (unsigned char *)encoded, (int)i);
	ck_assert_int_gt(n, 0);
	json[n] = '\0';
	/* The server address defaults to the reference's registry. */
	ck_assert_msg(strstr((char *)json, "\"serveraddress\":\"127.0.0.1:5000\"") != NULL, "auth: %s", json);
	ck_assert_msg(strstr((char *)json, "\"username\":\"alice\"") != NULL, "auth: %s", json);
	ecs_engine_free(e);
}
END_TEST

START_TEST(test_image_pull_engine_error_status)
{
	static const char *const parts[] = { "{\"message\":\"write /var/lib/docker/tmp: no space left on device\"}", NULL };
	fake_engine f;
	ecs_engine *e = fake_start(&f, "500 Internal Server Error", parts);
	int rc;

	rc = ecs_image_pull(e, "127.0.0.1:5000/ecs/x:1.0", NULL, 10000, NULL);
	ck_assert_msg(rc == ECS_EENGINE, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(e), "no space left on device"));
	ecs_engine_free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("it_image");
	SRunner *sr;
	TCase *tc;
	int failed;

	it_global_init();

	tc = tcase_create("inspect");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_image_inspect_present);
	tcase_add_test(tc, test_image_inspect_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("pull");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_image_pull_private_with_credentials);
	tcase_add_test(tc, test_image_pull_unknown_repository);
	tcase_add_test(tc, test_image_pull_unknown_tag);
	tcase_add_test(tc, test_image_pull_wrong_password);
	tcase_add_test(tc, test_image_pull_without_credentials);
	tcase_add_test(tc, test_image_pull_unreachable_registry);
	tcase_add_test(tc, test_image_distribution_inspect);
	tcase_add_test(tc, test_image_pull_rejects_bad_arguments);
	tcase_add_test(tc, test_image_pull_cancelled_while_registry_hangs);
	suite_add_tcase(s, tc);

	tc = tcase_create("stream");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_image_pull_error_inside_200_stream);
	tcase_add_test(tc, test_image_pull_error_on_last_line_without_newline);
	tcase_add_test(tc, test_image_pull_clean_stream_and_auth_header);
	tcase_add_test(tc, test_image_pull_engine_error_status);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ecs_global_cleanup();
	return failed == 0 ? 0 : 1;
}
