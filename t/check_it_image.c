/*
 * Integration tests: image inspect and pull against the real engine and the
 * private test registry (lib/image.c). The registry cases need the ECS_TEST_*
 * variables `./bootstrap test` sets; without them they fail, never skip.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
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
	ck_assert_int_eq(ecs_image_inspect(engine, image, NULL), ECS_ENOTFOUND);
}

/* The password must never reach an error message. */
static void assert_no_secret(const char *secret)
{
	ck_assert_msg(strstr(ecs_engine_errmsg(engine), secret) == NULL, "the error message shows the password");
}

START_TEST(test_image_inspect_present)
{
	ecs_image_info info = { NULL, NULL };
	int rc;

	rc = ecs_image_inspect(engine, it_test_image(), &info);
	ck_assert_msg(rc == ECS_OK, "inspect %s: %s: %s", it_test_image(), ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_nonnull(info.id);
	ck_assert_int_eq(strncmp(info.id, "sha256:", 7), 0);
	/* Built with docker import: it never came from a registry. */
	ck_assert_ptr_null(info.repo_digest);
	ecs_image_info_clear(&info);
	ck_assert_ptr_null(info.id);
	ck_assert_int_eq(ecs_image_inspect(engine, it_test_image(), NULL), ECS_OK);
}
END_TEST

START_TEST(test_image_inspect_missing)
{
	ecs_image_info info = { NULL, NULL };
	int rc;

	rc = ecs_image_inspect(engine, "ecs/no-such-image:never", &info);
	ck_assert_msg(rc == ECS_ENOTFOUND, "inspect: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_null(info.id);
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(engine), "no-such-image"));
	ck_assert_int_eq(ecs_image_inspect(engine, "", &info), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_inspect(engine, NULL, NULL), ECS_EINVAL);
	/* Characters that mean something in a URL stay part of the name, which the engine then refuses. */
	ck_assert_int_eq(ecs_image_inspect(engine, "x?y=1&z#w", NULL), ECS_EINVAL);
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(engine), "x?y=1&z#w"));
}
END_TEST

START_TEST(test_image_pull_private_with_credentials)
{
	const char *image = it_require_env("ECS_TEST_PRIVATE_IMAGE");
	ecs_registry_auth auth = registry_auth();
	ecs_image_info info = { NULL, NULL };
	char *by_digest = NULL;
	const char *at;
	int rc;

	forget(image);
	rc = ecs_image_pull(engine, image, &auth, PULL_MS);
	ck_assert_msg(rc == ECS_OK, "pull %s: %s: %s", image, ecs_error_name(rc), ecs_engine_errmsg(engine));
	rc = ecs_image_inspect(engine, image, &info);
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
	rc = ecs_image_pull(engine, by_digest, &auth, 0);
	ck_assert_msg(rc == ECS_OK, "pull %s: %s: %s", by_digest, ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_int_eq(ecs_image_inspect(engine, by_digest, NULL), ECS_OK);

	/* Leave the engine as we found it, so the next run pulls again. */
	forget(by_digest);
	free(by_digest);
}
END_TEST

START_TEST(test_image_pull_unknown_repository)
{
	const char *registry = it_require_env("ECS_TEST_REGISTRY");
	ecs_registry_auth auth = registry_auth();
	char *image = NULL;
	int rc;

	ck_assert_int_ge(asprintf(&image, "%s/ecs/no-such-repository:1.0", registry), 0);
	rc = ecs_image_pull(engine, image, &auth, PULL_MS);
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
	rc = ecs_image_pull(engine, image, &auth, PULL_MS);
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
	rc = ecs_image_pull(engine, image, &auth, PULL_MS);
	ck_assert_msg(rc == ECS_EUNAUTHORIZED, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_msg(ecs_engine_errmsg(engine)[0] != '\0', "no error message");
	assert_no_secret(wrong);
}
END_TEST

START_TEST(test_image_pull_without_credentials)
{
	const char *image = it_require_env("ECS_TEST_PRIVATE_IMAGE");
	int rc;

	rc = ecs_image_pull(engine, image, NULL, PULL_MS);
	ck_assert_msg(rc == ECS_EUNAUTHORIZED, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
}
END_TEST

START_TEST(test_image_pull_unreachable_registry)
{
	int rc;

	rc = ecs_image_pull(engine, "127.0.0.1:1/x:y", NULL, PULL_MS);
	ck_assert_msg(rc == ECS_EENGINE, "pull: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(engine), "127.0.0.1:1"));
}
END_TEST

START_TEST(test_image_pull_rejects_bad_arguments)
{
	ecs_registry_auth half = { "someone", NULL, NULL, NULL };

	/* A bare name would silently mean ":latest". */
	ck_assert_int_eq(ecs_image_pull(engine, "ecs/busybox", NULL, PULL_MS), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(engine, "UPPER/case:1", NULL, PULL_MS), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(engine, "", NULL, PULL_MS), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(engine, NULL, NULL, PULL_MS), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(engine, "ecs/busybox:latest", NULL, -1), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(engine, "127.0.0.1:1/x:y", &half, PULL_MS), ECS_EINVAL);
	ck_assert_int_eq(ecs_image_pull(NULL, "ecs/busybox:latest", NULL, PULL_MS), ECS_EINVAL);
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
	tcase_add_test(tc, test_image_pull_rejects_bad_arguments);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ecs_global_cleanup();
	return failed == 0 ? 0 : 1;
}
