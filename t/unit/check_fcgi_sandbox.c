/* check_fcgi_sandbox.c - the sandbox a task gets: ecs.conf's keys, [client] inheritance, request narrowing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "conf.h"
#include "profile_private.h"
#include "sandbox.h"
#include "task_body.h"

static char path[64];

static void setup(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/check_fcgi_sandbox.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
}

/* config_load() of @text; its message in @err. */
static int load_text(config **c, const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	*c = NULL;
	return config_load(c, path, err, errlen);
}

static config *load(const char *text)
{
	config *c;
	char err[512];

	ck_assert_msg(load_text(&c, text, err, sizeof(err)) == 0, "config_load: %s", err);
	return c;
}

static void refused(const char *text, const char *needle)
{
	config *c;
	char err[512];

	ck_assert_int_eq(load_text(&c, text, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, needle) != NULL, "'%s' lacks '%s'", err, needle);
}

static void body(task_body *tb, const char *json)
{
	body_error e;

	ck_assert_msg(task_body_parse(tb, json, strlen(json), &e) == 0, "%s", e.message);
}

static char seen_user[80], seen_runtime[80];

/* The profile a request @json of @client gets (its user and runtime in
 * seen_user, seen_runtime); 0 when granted, else the status. */
static int request(ecs_sandbox_profile *p, const config *c, const char *client, const char *json, char *why,
		size_t whylen)
{
	const client_rule *rule = client != NULL ? config_find_client(c, client, NULL) : NULL;
	limit_caps caps = sandbox_caps(c, rule);
	const char *code = NULL;
	task_body tb;
	int status = 0, rc;

	body(&tb, json);
	rc = sandbox_for_request(p, c, rule, &caps, &tb, &status, &code, why, whylen);
	ck_assert_int_ne(rc, -2);
	if (rc == 0) {
		char inner[200];

		ck_assert_msg(ecs_sandbox_profile_validate(p, inner, sizeof(inner)) == 0, "%s", inner);
	}
	/* The profile's strings may point into the body, freed below: keep copies. */
	snprintf(seen_user, sizeof(seen_user), "%s", rc == 0 && p->user != NULL ? p->user : "(image's)");
	snprintf(seen_runtime, sizeof(seen_runtime), "%s", rc == 0 && p->runtime != NULL ? p->runtime : "(engine's)");
	task_body_clear(&tb);
	return rc == 0 ? 0 : status;
}

#define ASKS_NOTHING "{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[\"true\"]}"

START_TEST(test_defaults_are_the_safe_profile)
{
	config *c = config_defaults();
	ecs_sandbox_profile p, d = ECS_SANDBOX_PROFILE_INIT;
	char why[256], k1[ECS_SANDBOX_KEY_SIZE], k2[ECS_SANDBOX_KEY_SIZE];

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(request(&p, c, NULL, ASKS_NOTHING, why, sizeof(why)), 0);
	/* A task that asks for nothing is confined exactly as libecs's defaults. */
	ck_assert_int_eq(ecs_sandbox_profile_key(k1, sizeof(k1), &p), 0);
	ck_assert_int_eq(ecs_sandbox_profile_key(k2, sizeof(k2), &d), 0);
	ck_assert_str_eq(k1, k2);
	ck_assert_str_eq(p.network, "none");
	ck_assert_int_eq(p.writable_root, 0);
	ck_assert_uint_eq(p.cap_add_len, 0);
	ck_assert_ptr_null(p.runtime);
	ck_assert_ptr_null(p.user);
	ck_assert_int_eq(sandbox_warn_unlimited(c, NULL), 0);
	config_free(c);
}
END_TEST

START_TEST(test_ecs_keys_shape_the_profile)
{
	config *c = load("[ecs]\nmax_memory = 256M\nmax_cpus = 0.5\nmax_pids = 64\nmax_nofile = 256\n"
			 "tmp_size = 16M\ntmpfs = /run /var/tmp\ncap_add = NET_BIND_SERVICE\nuser = 65534:65534\n"
			 "default_runtime = runsc\nallowed_networks = none bridge\n");
	ecs_sandbox_profile p;
	char why[256];

	ck_assert_int_eq(request(&p, c, NULL, ASKS_NOTHING, why, sizeof(why)), 0);
	ck_assert_int_eq(p.memory, 256 * 1024 * 1024);
	ck_assert_int_eq(p.nano_cpus, 500000000);
	ck_assert_int_eq(p.pids, 64);
	ck_assert_int_eq(p.nofile, 256);
	ck_assert_int_eq(p.tmp_size, 16 * 1024 * 1024);
	ck_assert_uint_eq(p.tmpfs_len, 2);
	ck_assert_str_eq(p.tmpfs[1], "/var/tmp");
	ck_assert_uint_eq(p.cap_add_len, 1);
	ck_assert_str_eq(p.cap_add[0], "NET_BIND_SERVICE");
	ck_assert_str_eq(p.user, "65534:65534");
	ck_assert_str_eq(p.runtime, "runsc");
	/* A request narrows, never widens. */
	ck_assert_int_eq(request(&p, c, NULL, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"pids\":8,"
				 "\"memory\":\"64M\",\"cpus\":0.25}}", why, sizeof(why)), 0);
	ck_assert_int_eq(p.pids, 8);
	ck_assert_int_eq(p.memory, 64 * 1024 * 1024);
	ck_assert_int_eq(p.nano_cpus, 250000000);
	ck_assert_int_eq(request(&p, c, NULL, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"0\"}", why,
				 sizeof(why)), 403);
	ck_assert_msg(strstr(why, "user") != NULL, "%s", why);
	ck_assert_int_eq(request(&p, c, NULL, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"65534:65534\"}",
				 why, sizeof(why)), 0);
	ck_assert_str_eq(seen_user, "65534:65534");
	config_free(c);
}
END_TEST

START_TEST(test_client_inherits_and_overrides)
{
	config *c = load("[ecs]\nauth = client-cert\nmax_pids = 128\ncap_add = CHOWN\n"
			 "[client \"CN=a\"]\nimages = ecs/*\nmax_pids = 32\nwritable_root = yes\n"
			 "allowed_runtimes = runc\n"
			 "[client \"CN=b\"]\nimages = ecs/*\ncap_add =\n");
	ecs_sandbox_profile p;
	char why[256];

	ck_assert_int_eq(request(&p, c, "CN=a", ASKS_NOTHING, why, sizeof(why)), 0);
	ck_assert_int_eq(p.pids, 32);
	ck_assert_int_eq(p.writable_root, 1);
	ck_assert_uint_eq(p.cap_add_len, 1);  /* inherited */
	ck_assert_int_eq(request(&p, c, "CN=b", ASKS_NOTHING, why, sizeof(why)), 0);
	ck_assert_int_eq(p.pids, 128);
	ck_assert_int_eq(p.writable_root, 0);
	ck_assert_uint_eq(p.cap_add_len, 0);  /* an empty list is a choice */
	/* runtimes: a's own list replaces [ecs]'s (runsc by default) */
	ck_assert_int_eq(request(&p, c, "CN=a", "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"runtime\":\"runc\"}",
				 why, sizeof(why)), 0);
	ck_assert_str_eq(seen_runtime, "runc");
	ck_assert_int_eq(request(&p, c, "CN=a", "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"runtime\":\"runsc\"}",
				 why, sizeof(why)), 403);
	ck_assert_int_eq(request(&p, c, "CN=b", "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"runtime\":\"runsc\"}",
				 why, sizeof(why)), 0);
	ck_assert_str_eq(seen_runtime, "runsc");
	ck_assert_int_eq(request(&p, c, "CN=b", "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"runtime\":\"kata\"}",
				 why, sizeof(why)), 403);
	ck_assert_msg(strstr(why, "kata") != NULL, "%s", why);
	ck_assert_int_eq(sandbox_warn_unlimited(c, NULL), 1);  /* a's writable root */
	config_free(c);
}
END_TEST

START_TEST(test_unlimited_is_explicit_and_warned)
{
	config *c = load("[ecs]\nmax_memory = unlimited\nmax_pids = unlimited\nmax_cpus = unlimited\n"
			 "max_nofile = unlimited\ntmp_size = unlimited\n");
	ecs_sandbox_profile p;
	char why[256];
	FILE *out = tmpfile();
	char text[1024] = "";
	size_t n;

	ck_assert_int_eq(request(&p, c, NULL, ASKS_NOTHING, why, sizeof(why)), 0);
	ck_assert_int_eq(p.memory, ECS_SANDBOX_UNLIMITED);
	ck_assert_int_eq(p.pids, ECS_SANDBOX_UNLIMITED);
	ck_assert_int_eq(p.nano_cpus, ECS_SANDBOX_UNLIMITED);
	ck_assert_int_eq(p.nofile, ECS_SANDBOX_UNLIMITED);
	ck_assert_int_eq(p.tmp_size, ECS_SANDBOX_UNLIMITED);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(sandbox_warn_unlimited(c, out), 5);
	rewind(out);
	n = fread(text, 1, sizeof(text) - 1, out);
	text[n] = '\0';
	fclose(out);
	ck_assert_msg(strstr(text, "warning: [ecs]: max_pids = unlimited") != NULL, "%s", text);
	config_free(c);
}
END_TEST

START_TEST(test_bad_values_refused)
{
	refused("[ecs]\nmax_memory = 0\n", "write unlimited");
	refused("[ecs]\nmax_pids = 0\n", "write unlimited");
	refused("[ecs]\nmax_cpus = 0\n", "unlimited");
	refused("[ecs]\nmax_nofile = 8\n", "max_nofile");
	refused("[ecs]\ncap_add = NET_RAWW\n", "cap_add");
	refused("[ecs]\ntmpfs = relative/path\n", "tmpfs");
	refused("[ecs]\ntmpfs = /proc/x\n", "tmpfs");
	refused("[ecs]\nwritable_root = maybe\n", "yes or no");
	refused("[ecs]\nuser = a b\n", "user");
	refused("[ecs]\ndefault_runtime = a/b\n", "default_runtime");
	refused("[ecs]\ntmp_size = 0\n", "tmp_size");
	/* A client above the [ecs] cap, or unlimited under a numeric one. */
	refused("[ecs]\nauth = client-cert\nmax_pids = 64\n[client \"CN=a\"]\nimages = x:*\nmax_pids = 65\n",
		"max_pids above");
	refused("[ecs]\nauth = client-cert\n[client \"CN=a\"]\nimages = x:*\nmax_memory = unlimited\n",
		"max_memory above");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_sandbox");
	TCase *tc = tcase_create("sandbox");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults_are_the_safe_profile);
	tcase_add_test(tc, test_ecs_keys_shape_the_profile);
	tcase_add_test(tc, test_client_inherits_and_overrides);
	tcase_add_test(tc, test_unlimited_is_explicit_and_warned);
	tcase_add_test(tc, test_bad_values_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
