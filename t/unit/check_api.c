/*
 * Unit tests: the API conventions every caller (and every binding) relies
 * on, without an engine: ecs_engine_dup() copies a handle with what it
 * negotiated, the _init() functions match their _INIT macros, and a struct
 * of an older or newer version is taken or refused as the rules say.
 */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "engine_private.h"

START_TEST(test_engine_dup_copies_options_and_version)
{
	ecs_engine_options o = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *a = NULL, *b = NULL;
	const ecs_engine_options *bo;

	o.endpoint = "unix:///nonexistent/ecs-api-test.sock";
	o.ca_file = "/nonexistent/ca.pem";
	o.connect_timeout_ms = 1234;
	o.request_timeout_ms = 5678;
	o.instance = "inst-1";
	ck_assert_int_eq(ecs_engine_new(&a, &o), ECS_OK);
	/* As if a call had negotiated, and failed afterwards. */
	snprintf(a->api_version, sizeof(a->api_version), "1.41");
	ecs_engine_fail(a, ECS_EENGINE, "a previous failure");
	ck_assert_int_eq(ecs_engine_dup(&b, a), ECS_OK);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b->api_version, "1.41");
	ck_assert_str_eq(ecs_engine_errmsg(b), "");
	ck_assert_ptr_null(b->transport);
	bo = ecs_engine_options_get(b);
	ck_assert_str_eq(bo->endpoint, o.endpoint);
	ck_assert_str_eq(bo->ca_file, o.ca_file);
	ck_assert_ptr_null(bo->cert_file);
	ck_assert_str_eq(bo->instance, "inst-1");
	ck_assert_int_eq(bo->connect_timeout_ms, 1234);
	ck_assert_int_eq(bo->request_timeout_ms, 5678);
	/* Copies of its own: the original may go first. */
	ck_assert_ptr_ne(bo->endpoint, ecs_engine_options_get(a)->endpoint);
	ecs_engine_free(a);
	ck_assert_str_eq(ecs_engine_options_get(b)->endpoint, "unix:///nonexistent/ecs-api-test.sock");
	ecs_engine_free(b);
}
END_TEST

START_TEST(test_engine_dup_of_fresh_handle_negotiates_later)
{
	ecs_engine *a = NULL, *b = NULL;

	ck_assert_int_eq(ecs_engine_new(&a, NULL), ECS_OK);
	ck_assert_int_eq(ecs_engine_dup(&b, a), ECS_OK);
	ck_assert_str_eq(b->api_version, "");
	ck_assert_str_eq(ecs_engine_options_get(b)->endpoint, ECS_ENGINE_DEFAULT_ENDPOINT);
	ecs_engine_free(b);
	ecs_engine_free(a);
}
END_TEST

static void keep_line(ecs_log_level level, const char *message, void *userdata)
{
	(void)level;
	snprintf(userdata, 256, "%s", message);
}

/* An endpoint without its scheme is ECS_EINVAL, and the log hook says which forms are taken. */
START_TEST(test_engine_bad_endpoint_says_why)
{
	ecs_engine_options o = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e = (ecs_engine *)&o;
	char line[256] = "";

	o.endpoint = "/var/run/docker.sock";
	o.log = keep_line;
	o.log_userdata = line;
	ck_assert_int_eq(ecs_engine_new(&e, &o), ECS_EINVAL);
	ck_assert_ptr_null(e);
	ck_assert_msg(strstr(line, "\"/var/run/docker.sock\"") != NULL && strstr(line, "unix:///") != NULL, "%s", line);
}
END_TEST

START_TEST(test_engine_dup_null)
{
	ecs_engine *b = (ecs_engine *)&b;

	ck_assert_int_eq(ecs_engine_dup(NULL, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_engine_dup(&b, NULL), ECS_EINVAL);
	ck_assert_ptr_null(b);
}
END_TEST

/* A refused spec (no I/O) after a failed call: the handle must say what the result says. */
START_TEST(test_task_run_validate_failure_sets_errmsg)
{
	const char *cmd[] = { "true" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_engine *e = NULL;

	ck_assert_int_eq(ecs_engine_new(&e, NULL), ECS_OK);
	ecs_engine_fail(e, ECS_EENGINE, "a previous failure");
	spec.run.image = "not a reference";
	spec.run.cmd = cmd;
	spec.run.cmd_len = 1;
	ck_assert_int_eq(ecs_task_run(&r, e, NULL, &spec), ECS_EINVAL);
	ck_assert_int_eq(r.error_phase, ECS_TASK_PHASE_VALIDATE);
	ck_assert_str_ne(r.error, "");
	ck_assert_str_eq(ecs_engine_errmsg(e), r.error);
	ecs_task_result_clear(&r);

	spec.run.image = NULL;
	ck_assert_int_eq(ecs_task_run(&r, e, NULL, &spec), ECS_EINVAL);
	ck_assert_str_eq(ecs_engine_errmsg(e), r.error);
	ecs_task_result_clear(&r);
	ecs_engine_free(e);
}
END_TEST

/* Every code has a name and a text: the table in common.c is dense up to the last. */
START_TEST(test_error_codes_named)
{
	for (int c = ECS_OK; c >= ECS_ENOUSER; c--) {
		ck_assert_str_ne(ecs_error_name(c), "ECS_UNKNOWN");
		ck_assert_str_ne(ecs_strerror(c), "unknown error");
	}
	ck_assert_str_eq(ecs_error_name(ECS_ENOUSER), "ECS_ENOUSER");
	ck_assert_str_eq(ecs_error_name(ECS_ENOUSER - 1), "ECS_UNKNOWN");
}
END_TEST

/* The names are the HTTP API's and ecs-run's: they never change. */
START_TEST(test_task_phase_name_keeps_the_old_strings)
{
	ck_assert_ptr_null(ecs_task_phase_name(ECS_TASK_PHASE_NONE));
	ck_assert_str_eq(ecs_task_phase_name(ECS_TASK_PHASE_VALIDATE), "validate");
	ck_assert_str_eq(ecs_task_phase_name(ECS_TASK_PHASE_PULL), "pull");
	ck_assert_str_eq(ecs_task_phase_name(ECS_TASK_PHASE_CREATE), "create");
	ck_assert_str_eq(ecs_task_phase_name(ECS_TASK_PHASE_START), "start");
	ck_assert_str_eq(ecs_task_phase_name(ECS_TASK_PHASE_ATTACH), "attach");
	ck_assert_str_eq(ecs_task_phase_name(ECS_TASK_PHASE_RUN), "run");
	ck_assert_str_eq(ecs_task_phase_name(ECS_TASK_PHASE_WAIT), "wait");
	ck_assert_str_eq(ecs_task_phase_name(ECS_TASK_PHASE_LOGS), "logs");
	ck_assert_ptr_null(ecs_task_phase_name((ecs_task_phase)(ECS_TASK_PHASE_LOGS + 1)));
	ck_assert_ptr_null(ecs_task_phase_name((ecs_task_phase)-1));
}
END_TEST

static ecs_engine *nowhere(void)
{
	ecs_engine_options o = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e = NULL;

	o.endpoint = "unix:///nonexistent/ecs-api-test.sock";
	o.connect_timeout_ms = 200;
	ck_assert_int_eq(ecs_engine_new(&e, &o), ECS_OK);
	return e;
}

/* Run @spec against no engine: the phase tells whether validate let it through (to the pull). */
static ecs_task_phase phase_of(const void *spec, int *rc, char *error, size_t size)
{
	ecs_engine *e = nowhere();
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_task_phase p;

	*rc = ecs_task_run(&r, e, NULL, spec);
	p = r.error_phase;
	snprintf(error, size, "%s", r.error);
	ecs_task_result_clear(&r);
	ecs_engine_free(e);
	return p;
}

START_TEST(test_task_labels_checked_in_validate)
{
	static const char *const cmd[] = { "true" };
	static const char *const ok[] = { "team=api", "empty=", "dotted.key=x=y" };
	static const char *const reserved[] = { "team=api", "ecs.managed=false" };
	static const char *const reserved2[] = { "ecs.anything=1" };
	static const char *const no_value[] = { "team" };
	static const char *const no_key[] = { "=x" };
	static const char *const twice[] = { "a=1", "b=2", "a=3" };
	static const char *many[ECS_LABELS_MAX + 1];
	char long_label[ECS_LABEL_MAX + 8], error[512];
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	int rc;

	spec.run.image = "ecs/busybox:latest";
	spec.run.cmd = cmd;
	spec.run.cmd_len = 1;
	spec.run.labels = ok;
	spec.run.labels_len = 3;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_PULL);
	spec.run.labels = reserved;
	spec.run.labels_len = 2;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	ck_assert_int_eq(rc, ECS_EINVAL);
	ck_assert_msg(strstr(error, "ecs.") != NULL, "%s", error);
	spec.run.labels = reserved2;
	spec.run.labels_len = 1;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	spec.run.labels = no_value;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	spec.run.labels = no_key;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	spec.run.labels = twice;
	spec.run.labels_len = 3;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	spec.run.labels = NULL;
	spec.run.labels_len = 1;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	for (size_t i = 0; i < ECS_LABELS_MAX + 1; i++)
		many[i] = "k=v";
	spec.run.labels = many;
	spec.run.labels_len = ECS_LABELS_MAX + 1;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	memset(long_label, 'v', sizeof(long_label) - 1);
	long_label[sizeof(long_label) - 1] = '\0';
	long_label[0] = 'k';
	long_label[1] = '=';
	many[0] = long_label;
	spec.run.labels_len = 1;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	ck_assert_msg(strstr(error, "longer") != NULL, "%s", error);
}
END_TEST

/* The shape of a file's or an artifact's path (ecs_task_path_check(), lib/task_paths.c): what can be refused before any I/O. */
START_TEST(test_path_check_shapes)
{
	static const char *const good[] = { "/tmp/a", "/a", "/tmp/x/y.bin", "/tmp/..a", "/tmp/.hidden", "/tmp/a..b" };
	static const char *const bad[] = { "", "/", "tmp/a", "/tmp/../etc", "/tmp/./a", "/tmp//a", "/tmp/a/",
					   "/..", "/tmp/..", "../../etc/passwd", "/." };
	char why[300], huge[ECS_TASK_MAX_PATH + 2];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(ecs_task_path_check(good[i], "file", why, sizeof(why)) == 0, "%s refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ecs_task_path_check(bad[i], "artifact", why, sizeof(why)) == ECS_EINVAL, "%s let through", bad[i]);
		ck_assert_msg(strncmp(why, "artifact \"", 10) == 0 && strstr(why, bad[i]) != NULL, "%s", why);
	}
	ck_assert_int_eq(ecs_task_path_check(NULL, "file", why, sizeof(why)), ECS_EINVAL);
	huge[0] = '/';
	memset(huge + 1, 'a', sizeof(huge) - 2);
	huge[sizeof(huge) - 1] = '\0';
	ck_assert_int_eq(ecs_task_path_check(huge, "file", why, sizeof(why)), ECS_EINVAL);
	ck_assert_msg(strstr(why, "longer") != NULL, "%s", why);
	huge[sizeof(huge) - 2] = '\0';
	ck_assert_int_eq(ecs_task_path_check(huge, "file", NULL, 0), 0);
}
END_TEST

/* `true` in the test image: a spec validate lets through. */
static ecs_task_spec true_spec(void)
{
	static const char *const cmd[] = { "true" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;

	spec.run.image = "ecs/busybox:latest";
	spec.run.cmd = cmd;
	spec.run.cmd_len = 1;
	return spec;
}

/* A task's files and artifacts: refused in validate, naming the path, before any I/O. */
START_TEST(test_task_files_checked_in_validate)
{
	static const char *const escape[] = { "/tmp/out", "/tmp/../../etc" };
	static const char *const relative[] = { "etc/passwd" };
	ecs_file files[2] = { { "/tmp/in", (const unsigned char *)"x", 1, 0644 }, { "/tmp/in2", NULL, 0, 0 } };
	ecs_task_spec spec = true_spec();
	char error[512];
	int rc;

	spec.artifacts = escape;
	spec.artifacts_len = 2;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	ck_assert_int_eq(rc, ECS_EINVAL);
	ck_assert_msg(strstr(error, "/tmp/../../etc") != NULL, "%s", error);
	spec.artifacts = relative;
	spec.artifacts_len = 1;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	ck_assert_msg(strstr(error, "etc/passwd") != NULL, "%s", error);
	spec.artifacts = NULL;
	spec.artifacts_len = 1;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	spec.artifacts_len = 0;
	spec.files = files;
	spec.files_len = 2;
	files[1].mode = 04755;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	ck_assert_msg(strstr(error, "/tmp/in2") != NULL && strstr(error, "mode") != NULL, "%s", error);
	files[1].mode = 0;
	files[1].len = 3;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	files[1].len = 0;
	spec.files_len = ECS_TASK_MAX_FILES + 1;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	/* well-formed, but the Swarm backend has no agent to carry them */
	spec.files_len = 2;
	spec.backend = ECS_TASK_BACKEND_SWARM;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	ck_assert_msg(strstr(error, "ecs-agent") != NULL, "%s", error);
}
END_TEST

/*
 * The spec versions of libecs.so.4 and before (1 to 5) had another layout:
 * a program built with them cannot load libecs.so.5, and a struct claiming
 * one is refused before any I/O, as is a version newer than this library.
 */
START_TEST(test_task_spec_older_version_refused)
{
	ecs_task_spec spec = true_spec();
	char error[512];
	int rc;

	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_PULL);
	ck_assert_int_eq(rc, ECS_EUNAVAILABLE);
	/* the socket that is missing, not curl's placeholder host */
	ck_assert_msg(strstr(error, "socket /nonexistent/ecs-api-test.sock: No such file or directory") != NULL &&
			      strstr(error, "port 80") == NULL, "%s", error);
	/* versions 6 (the first of this soname) and 7 are prefixes of the current one: still taken */
	spec.version = 6;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_PULL);
	spec.version = 7;
	spec.channel_dir = "relative";  /* past a version 7 struct: never read */
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_PULL);
	spec.version = ECS_TASK_SPEC_VERSION;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	ck_assert_str_eq(error, "channel_dir is not an absolute path");
	spec.channel_dir = NULL;
	for (unsigned int v = 1; v < 6; v++) {
		spec.version = v;
		ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
		ck_assert_str_eq(error, "unsupported task spec version");
	}
	spec.version = ECS_TASK_SPEC_VERSION + 1;
	ck_assert_int_eq(phase_of(&spec, &rc, error, sizeof(error)), ECS_TASK_PHASE_VALIDATE);
	ck_assert_str_eq(error, "unsupported task spec version");
}
END_TEST

/*
 * A version 1 caller's pool options end before channel_dir: whatever lies
 * past them is not read (a version 2 struct with a relative channel_dir is
 * refused). No engine is needed: nothing is made until a size is set.
 */
START_TEST(test_pool_options_version_1_taken)
{
	ecs_pool_options po = ECS_POOL_OPTIONS_INIT;
	ecs_pool *pool = NULL;

	po.engine.endpoint = "unix:///nonexistent/ecs-api-test.sock";
	po.channel_dir = "relative";
	ck_assert_int_eq(ecs_pool_new(&pool, &po), ECS_EINVAL);
	ck_assert_ptr_null(pool);
	po.version = 1;
	ck_assert_int_eq(ecs_pool_new(&pool, &po), ECS_OK);
	ck_assert_ptr_nonnull(pool);
	ecs_pool_free(pool);
	po.version = ECS_POOL_OPTIONS_VERSION + 1;
	ck_assert_int_eq(ecs_pool_new(&pool, &po), ECS_EINVAL);
	po.version = 0;
	ck_assert_int_eq(ecs_pool_new(&pool, &po), ECS_EINVAL);
}
END_TEST

/*
 * Each _init() gives what its macro gives, and refuses a version it does not
 * know. SAME_LITERALS(a_, b_) runs before the bytes are compared: a string
 * default is a literal whose address is the library's copy, not this file's
 * (a sanitizer build does not merge literals across files), so such a member
 * is compared as a string and then set to this file's pointer.
 */
#define CHECK_INIT(type, fn, macro, ver, SAME_LITERALS)                    \
	do {                                                                   \
		static const type a_ = macro;                                  \
		type b_;                                                       \
		memset(&b_, 0x5a, sizeof(b_));                                 \
		ck_assert_int_eq(fn(&b_, ver), ECS_OK);                    \
		ck_assert_uint_eq(b_.version, ver);                        \
		SAME_LITERALS(a_, b_);                                         \
		ck_assert_mem_eq(&a_, &b_, sizeof(a_));                        \
		memset(&b_, 0x5a, sizeof(b_));                                 \
		ck_assert_int_eq(fn(&b_, (ver) + 1), ECS_EINVAL);          \
		ck_assert_uint_eq(b_.version, 0x5a5a5a5au);                    \
		ck_assert_int_eq(fn(NULL, ver), ECS_EINVAL);               \
	} while (0)

#define NO_LITERALS(a, b) ((void)0)
#define PROFILE_LITERALS(a, b)                         \
	do {                                           \
		ck_assert_str_eq((b).network, (a).network); \
		(b).network = (a).network;             \
	} while (0)

START_TEST(test_init_functions_match_macros)
{
	CHECK_INIT(ecs_task_spec, ecs_task_spec_init, ECS_TASK_SPEC_INIT, ECS_TASK_SPEC_VERSION, NO_LITERALS);
	{
		/* a version 7 caller: its struct ends before channel_dir, which is never written */
		ecs_task_spec v7;
		const unsigned char *tail = (const unsigned char *)&v7 + offsetof(ecs_task_spec, channel_dir);

		memset(&v7, 0x5a, sizeof(v7));
		ck_assert_int_eq(ecs_task_spec_init(&v7, 7), ECS_OK);
		ck_assert_uint_eq(v7.version, 7);
		ck_assert_ptr_null(v7.on_output);
		for (size_t i = 0; i < sizeof(v7) - offsetof(ecs_task_spec, channel_dir); i++)
			ck_assert_uint_eq(tail[i], 0x5a);
		ck_assert_int_eq(ecs_task_spec_init(&v7, 5), ECS_EINVAL);
	}
	CHECK_INIT(ecs_sandbox_profile, ecs_sandbox_profile_init, ECS_SANDBOX_PROFILE_INIT, ECS_SANDBOX_PROFILE_VERSION,
		   PROFILE_LITERALS);
	CHECK_INIT(ecs_task_result, ecs_task_result_init, ECS_TASK_RESULT_INIT, ECS_TASK_RESULT_VERSION, NO_LITERALS);
	CHECK_INIT(ecs_engine_options, ecs_engine_options_init, ECS_ENGINE_OPTIONS_INIT, ECS_ENGINE_OPTIONS_VERSION,
		   NO_LITERALS);
	CHECK_INIT(ecs_pool_options, ecs_pool_options_init, ECS_POOL_OPTIONS_INIT, ECS_POOL_OPTIONS_VERSION, NO_LITERALS);
	{
		/* a version 1 caller: its struct ends before channel_dir, which is never written */
		ecs_pool_options v1;
		const unsigned char *tail = (const unsigned char *)&v1 + offsetof(ecs_pool_options, channel_dir);

		memset(&v1, 0x5a, sizeof(v1));
		ck_assert_int_eq(ecs_pool_options_init(&v1, 1), ECS_OK);
		ck_assert_uint_eq(v1.version, 1);
		ck_assert_uint_eq(v1.budget, 0);
		for (size_t i = 0; i < sizeof(v1) - offsetof(ecs_pool_options, channel_dir); i++)
			ck_assert_uint_eq(tail[i], 0x5a);
	}
	CHECK_INIT(ecs_reaper_options, ecs_reaper_options_init, ECS_REAPER_OPTIONS_INIT, ECS_REAPER_OPTIONS_VERSION,
		   NO_LITERALS);
	CHECK_INIT(ecs_sweep_options, ecs_sweep_options_init, ECS_SWEEP_OPTIONS_INIT, ECS_SWEEP_OPTIONS_VERSION,
		   NO_LITERALS);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("engine_dup");

	tcase_add_test(tc, test_engine_dup_copies_options_and_version);
	tcase_add_test(tc, test_error_codes_named);
	tcase_add_test(tc, test_engine_dup_of_fresh_handle_negotiates_later);
	tcase_add_test(tc, test_engine_dup_null);
	tcase_add_test(tc, test_engine_bad_endpoint_says_why);
	suite_add_tcase(s, tc);
	tc = tcase_create("task_errmsg");
	tcase_add_test(tc, test_task_run_validate_failure_sets_errmsg);
	tcase_add_test(tc, test_task_phase_name_keeps_the_old_strings);
	tcase_add_test(tc, test_task_labels_checked_in_validate);
	tcase_add_test(tc, test_path_check_shapes);
	tcase_add_test(tc, test_task_files_checked_in_validate);
	tcase_add_test(tc, test_task_spec_older_version_refused);
	tcase_add_test(tc, test_init_functions_match_macros);
	tcase_add_test(tc, test_pool_options_version_1_taken);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(api_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
