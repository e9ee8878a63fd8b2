/* check_fcgi_auth.c - authentication decisions from the nginx params, and authorization by identity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "auth.h"

static config *cfg;

static void setup(void)
{
	cfg = config_defaults();
	ck_assert_ptr_nonnull(cfg);
}

static void teardown(void)
{
	config_free(cfg);
}

START_TEST(test_auth_client_cert_verified)
{
	char *env[] = { "SSL_CLIENT_VERIFY=SUCCESS", "SSL_CLIENT_S_DN=CN=alice,O=Example", "SSL_CLIENT_FINGERPRINT=ab12", NULL };
	auth_result a;

	auth_check(&a, cfg, env);
	ck_assert_int_eq(a.status, 0);
	ck_assert_str_eq(a.subject, "CN=alice,O=Example");
	ck_assert_str_eq(auth_identity(&a), "CN=alice,O=Example");
}
END_TEST

START_TEST(test_auth_client_cert_refused_without_params)
{
	char *env[] = { NULL };
	auth_result a;

	auth_check(&a, cfg, env);
	ck_assert_int_eq(a.status, 401);
	ck_assert_str_eq(a.code, "UNAUTHENTICATED");
	ck_assert_int_eq(a.basic_challenge, 0);
	ck_assert_str_eq(auth_identity(&a), "-");
}
END_TEST

START_TEST(test_auth_client_cert_refused_when_not_verified)
{
	static const char *const verdicts[] = { "NONE", "FAILED:certificate has expired", "success", "" };
	size_t i;

	for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		char v[64];
		char *env[] = { v, "SSL_CLIENT_S_DN=CN=mallory", NULL };
		auth_result a;

		snprintf(v, sizeof(v), "SSL_CLIENT_VERIFY=%s", verdicts[i]);
		auth_check(&a, cfg, env);
		ck_assert_int_eq(a.status, 401);
		/* An unverified subject is never trusted, not even for logs. */
		ck_assert_ptr_null(a.subject);
	}
}
END_TEST

START_TEST(test_auth_basic)
{
	char *ok[] = { "REMOTE_USER=bob", NULL };
	char *empty[] = { "REMOTE_USER=", NULL };
	char *certonly[] = { "SSL_CLIENT_VERIFY=SUCCESS", NULL };
	auth_result a;

	cfg->auth = AUTH_MODE_BASIC;
	auth_check(&a, cfg, ok);
	ck_assert_int_eq(a.status, 0);
	ck_assert_str_eq(auth_identity(&a), "bob");
	auth_check(&a, cfg, empty);
	ck_assert_int_eq(a.status, 401);
	ck_assert_int_eq(a.basic_challenge, 1);
	auth_check(&a, cfg, certonly);
	ck_assert_int_eq(a.status, 401);
}
END_TEST

START_TEST(test_auth_cert_and_basic_needs_both)
{
	char *both[] = { "SSL_CLIENT_VERIFY=SUCCESS", "SSL_CLIENT_S_DN=CN=a", "REMOTE_USER=bob", NULL };
	char *nouser[] = { "SSL_CLIENT_VERIFY=SUCCESS", NULL };
	char *nocert[] = { "REMOTE_USER=bob", NULL };
	auth_result a;

	cfg->auth = AUTH_MODE_CLIENT_CERT_BASIC;
	auth_check(&a, cfg, both);
	ck_assert_int_eq(a.status, 0);
	auth_check(&a, cfg, nouser);
	ck_assert_int_eq(a.status, 401);
	ck_assert_int_eq(a.basic_challenge, 1);
	auth_check(&a, cfg, nocert);
	ck_assert_int_eq(a.status, 401);
	ck_assert_int_eq(a.basic_challenge, 1);
}
END_TEST

START_TEST(test_auth_none_lets_anyone_in)
{
	char *env[] = { NULL };
	auth_result a;

	cfg->auth = AUTH_MODE_NONE;
	auth_check(&a, cfg, env);
	ck_assert_int_eq(a.status, 0);
}
END_TEST

static config *load(const char *text)
{
	char path[] = "/tmp/check_fcgi_auth.XXXXXX", err[256];
	int fd = mkstemp(path);
	config *c = NULL;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	ck_assert_msg(config_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	return c;
}

/* auth_authorize_image() on @image parsed as the responder parses a request's. */
static int may_run(const client_rule **r, const config *c, const auth_result *a, const char *image)
{
	image_parts im;
	int ok;

	ck_assert_int_eq(image_parts_from_ref(&im, image), 0);
	ok = auth_authorize_image(r, c, a, &im);
	image_parts_clear(&im);
	return ok;
}

START_TEST(test_auth_images_without_map_allows_all)
{
	char *env[] = { "SSL_CLIENT_VERIFY=SUCCESS", "SSL_CLIENT_S_DN=CN=x", NULL };
	const client_rule *r;
	auth_result a;

	auth_check(&a, cfg, env);
	ck_assert_int_eq(may_run(&r, cfg, &a, "anything/at:all"), 1);
	ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_auth_images_by_subject_and_user)
{
	config *c = load("[ecs]\nauth = client-cert+basic\n"
			"[client \"CN=alice,O=Example\"]\nimages = ecs/busybox:*\n[client:bob]\nimages = ecs/*:latest other:1\n");
	char *alice[] = { "SSL_CLIENT_VERIFY=SUCCESS", "SSL_CLIENT_S_DN=CN=alice,O=Example", "REMOTE_USER=a", NULL };
	char *bob[] = { "SSL_CLIENT_VERIFY=SUCCESS", "SSL_CLIENT_S_DN=CN=bob", "REMOTE_USER=bob", NULL };
	char *carol[] = { "SSL_CLIENT_VERIFY=SUCCESS", "SSL_CLIENT_S_DN=CN=carol", "REMOTE_USER=carol", NULL };
	const client_rule *r;
	auth_result a;

	auth_check(&a, c, alice);
	ck_assert_int_eq(may_run(&r, c, &a, "ecs/busybox:latest"), 1);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(may_run(&r, c, &a, "ecs/other:latest"), 0);
	ck_assert_int_eq(may_run(&r, c, &a, "busybox:latest"), 0);
	auth_check(&a, c, bob);
	ck_assert_int_eq(may_run(&r, c, &a, "ecs/tool:latest"), 1);
	ck_assert_int_eq(may_run(&r, c, &a, "other:1"), 1);
	ck_assert_int_eq(may_run(&r, c, &a, "other:2"), 0);
	/* Someone with no section may run nothing once a map exists. */
	auth_check(&a, c, carol);
	ck_assert_int_eq(may_run(&r, c, &a, "ecs/busybox:latest"), 0);
	ck_assert_ptr_null(r);
	config_free(c);
}
END_TEST

/* nginx fills $remote_user from any Authorization: Basic header, auth_basic
 * or not: without BASIC in the mode, REMOTE_USER is a forgery. */
START_TEST(test_auth_remote_user_ignored_without_basic)
{
	char *forged[] = { "SSL_CLIENT_VERIFY=SUCCESS", "SSL_CLIENT_S_DN=CN=mallory", "REMOTE_USER=alice", NULL };
	char *anon[] = { "REMOTE_USER=alice", NULL };
	auth_result a;

	auth_check(&a, cfg, forged);
	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_null(a.user);
	ck_assert_str_eq(auth_identity(&a), "CN=mallory");
	ck_assert_ptr_null(config_find_client(cfg, a.subject, a.user));
	cfg->auth = AUTH_MODE_NONE;
	auth_check(&a, cfg, anon);
	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_null(a.user);
	ck_assert_str_eq(auth_identity(&a), "-");
}
END_TEST

/* The patterns match parsed references: '*' crosses no '/', ':' or '.'. */
START_TEST(test_auth_images_parsed_not_globbed)
{
	config *c = load("[client \"CN=alice\"]\nimages = python:* ecs*\n");
	char *alice[] = { "SSL_CLIENT_VERIFY=SUCCESS", "SSL_CLIENT_S_DN=CN=alice", NULL };
	const client_rule *r;
	auth_result a;

	auth_check(&a, c, alice);
	ck_assert_int_eq(may_run(&r, c, &a, "python:3"), 1);
	ck_assert_int_eq(may_run(&r, c, &a, "python:5000/evil/x:1"), 0);
	ck_assert_int_eq(may_run(&r, c, &a, "ecs.evil.io/x:1"), 0);
	ck_assert_int_eq(may_run(&r, c, &a, "docker.io/library/ecsy:1"), 1);
	config_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_auth");
	TCase *tc = tcase_create("auth");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_auth_client_cert_verified);
	tcase_add_test(tc, test_auth_client_cert_refused_without_params);
	tcase_add_test(tc, test_auth_client_cert_refused_when_not_verified);
	tcase_add_test(tc, test_auth_basic);
	tcase_add_test(tc, test_auth_cert_and_basic_needs_both);
	tcase_add_test(tc, test_auth_none_lets_anyone_in);
	tcase_add_test(tc, test_auth_images_without_map_allows_all);
	tcase_add_test(tc, test_auth_images_by_subject_and_user);
	tcase_add_test(tc, test_auth_remote_user_ignored_without_basic);
	tcase_add_test(tc, test_auth_images_parsed_not_globbed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
