/*
 * Unit tests: reading what the engine sends (lib/json_util.c), picking the
 * API version (lib/engine.c), and the small pure pieces of lib/common.c.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "engine_private.h"
#include "json_util.h"

/* Bodies as engine 20.10 (API 1.41) sends them. */
static const char version_body[] =
	"{\"Platform\":{\"Name\":\"\"},\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\":\"1.41\","
	"\"MinAPIVersion\":\"1.12\",\"Os\":\"linux\",\"Arch\":\"amd64\",\"KernelVersion\":\"6.1.0\","
	"\"Experimental\":false,\"BuildTime\":\"2023-05-03T10:33:55.000000000+00:00\"}\n";
static const char inspect_body[] =
	"{\"Id\":\"4fa6e0f0c678\",\"Created\":\"2024-01-02T03:04:05.123456789Z\","
	"\"State\":{\"Status\":\"exited\",\"Running\":false,\"OOMKilled\":true,\"Pid\":0,\"ExitCode\":137,"
	"\"StartedAt\":\"0001-01-01T00:00:00Z\"},\"Image\":\"sha256:abc\","
	"\"Config\":{\"Labels\":{\"ecs.managed\":\"true\",\"ecs.task-id\":\"t1\",\"ecs.deadline\":\"1700000000\"},"
	"\"Cmd\":[\"echo\",\"hi\"]},\"SizeRw\":9223372036854775807}\n";

static json_object *obj;

static void setup(void)
{
	obj = NULL;
}

static void teardown(void)
{
	json_object_put(obj);
	obj = NULL;
}

/* Parse from an exactly-sized heap copy, so a read past @len is an error under ASan and valgrind. */
static json_object *parse_exact(const char *data, size_t len)
{
	char *copy = malloc(len ? len : 1);
	json_object *o;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, data, len);
	o = ecs_json_parse(copy, len);
	free(copy);
	return o;
}

#define PARSE(lit) parse_exact((lit), sizeof(lit) - 1)

static void assert_refused(const char *data, size_t len)
{
	json_object *o = parse_exact(data, len);

	ck_assert_msg(o == NULL, "accepted: %.*s", (int)len, data);
}

#define REFUSED(lit) assert_refused((lit), sizeof(lit) - 1)

START_TEST(test_engine_json_version_body)
{
	obj = PARSE(version_body);
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(ecs_json_get_string(obj, "ApiVersion"), "1.41");
	ck_assert_str_eq(ecs_json_get_string(obj, "MinAPIVersion"), "1.12");
	ck_assert_str_eq(ecs_json_get_string(obj, "Version"), "20.10.24+dfsg1");
	ck_assert_str_eq(ecs_json_get_string(ecs_json_get_object(obj, "Platform"), "Name"), "");
}
END_TEST

START_TEST(test_engine_json_inspect_body)
{
	json_object *state, *labels;
	long long n = 0;
	int b = -1;
	char *id;

	obj = PARSE(inspect_body);
	ck_assert_ptr_nonnull(obj);
	state = ecs_json_get_object(obj, "State");
	ck_assert_ptr_nonnull(state);
	ck_assert_str_eq(ecs_json_get_string(state, "Status"), "exited");
	ck_assert_int_eq(ecs_json_get_bool(state, "Running", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(ecs_json_get_bool(state, "OOMKilled", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(ecs_json_get_int64(state, "ExitCode", &n), 0);
	ck_assert_int_eq(n, 137);
	ck_assert_int_eq(ecs_json_get_int64(obj, "SizeRw", &n), 0);
	ck_assert(n == 9223372036854775807LL);
	ck_assert(ecs_json_parse_time(ecs_json_get_string(obj, "Created")) == 1704164645LL);
	labels = ecs_json_get_object(ecs_json_get_object(obj, "Config"), "Labels");
	ck_assert_str_eq(ecs_json_get_string(labels, ECS_LABEL_TASK_ID), "t1");
	id = ecs_json_dup_string(obj, "Id");
	ck_assert_str_eq(id, "4fa6e0f0c678");
	free(id);
}
END_TEST

START_TEST(test_engine_json_whitespace_around)
{
	obj = PARSE(" \t\r\n{\"a\":1}\r\n \t");
	ck_assert_ptr_nonnull(obj);
}
END_TEST

/* Scalars are documents too; the getters then find nothing. */
START_TEST(test_engine_json_non_object)
{
	static const char *const docs[] = { "[1,2]", "\"str\"", "42", "-1.5", "true", "[]", "[{\"a\":1}]" };
	long long n;
	int b;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_object *o = parse_exact(docs[i], strlen(docs[i]));

		ck_assert_msg(o != NULL, "refused: %s", docs[i]);
		ck_assert_ptr_null(ecs_json_get_string(o, "a"));
		ck_assert_int_eq(ecs_json_get_int64(o, "a", &n), -1);
		ck_assert_int_eq(ecs_json_get_bool(o, "a", &b), -1);
		ck_assert_ptr_null(ecs_json_get_object(o, "a"));
		ck_assert_ptr_null(ecs_json_dup_string(o, "a"));
		ck_assert_ptr_null(ecs_json_engine_message(o));
		json_object_put(o);
	}
	/* A bare number has no end of its own; the whole of it must be taken. */
	obj = PARSE("12345");
	ck_assert_int_eq(json_object_get_int(obj), 12345);
}
END_TEST

/* Every proper prefix of a document is refused, and none is read past. */
START_TEST(test_engine_json_truncated)
{
	size_t n = sizeof(inspect_body) - 2; /* without the newline, so no prefix is whole */

	for (size_t len = 0; len < n; len++)
		assert_refused(inspect_body, len);
	obj = parse_exact(inspect_body, n);
	ck_assert_ptr_nonnull(obj);
}
END_TEST

START_TEST(test_engine_json_trailing_garbage)
{
	REFUSED("{} x");
	REFUSED("{}{}");
	REFUSED("{}]");
	REFUSED("{\"a\":1}\n{\"a\":2}\n");
	REFUSED("[1] 2");
	REFUSED("12x");
	REFUSED("\"a\"b");
	REFUSED("{}\0");
	REFUSED("{}\n\0garbage");
}
END_TEST

START_TEST(test_engine_json_malformed)
{
	REFUSED("");
	REFUSED("   \n");
	REFUSED("{");
	REFUSED("}");
	REFUSED("{\"a\":}");
	REFUSED("{\"a\":1,}");
	REFUSED("[1,]");
	REFUSED("{'a':1}");
	REFUSED("{a:1}");
	REFUSED("{\"a\":tru}");
	REFUSED("[1 2]");
	REFUSED("\"unterminated");
	REFUSED("\"bad escape \\x\"");
	REFUSED("\"raw\ncontrol\"");
	REFUSED("<html>502 Bad Gateway</html>");
	REFUSED("OK");
	ck_assert_ptr_null(ecs_json_parse(NULL, 5));
}
END_TEST

START_TEST(test_engine_json_non_utf8)
{
	REFUSED("{\"a\":\"\xff\xfe\"}");
	REFUSED("{\"a\":\"\xc0\xaf\"}");           /* overlong '/' */
	REFUSED("{\"a\":\"\xe0\x80\xaf\"}");       /* overlong '/' */
	REFUSED("{\"a\":\"\xed\xa0\x80\"}");       /* surrogate U+D800 */
	REFUSED("{\"a\":\"\xf4\x90\x80\x80\"}");   /* past U+10FFFF */
	REFUSED("{\"a\":\"\xc3\"}");               /* cut sequence */
	REFUSED("{\"a\":\"x\"}\xc3");              /* cut at the very end */
	REFUSED("{\"a\":\"a\0b\"}");               /* raw NUL */
	obj = PARSE("{\"a\":\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x91\"}");
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(ecs_json_get_string(obj, "a"), "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x91");
}
END_TEST

START_TEST(test_engine_json_deep_nesting)
{
	char buf[2 * 1000];

	memset(buf, '[', 1000);
	memset(buf + 1000, ']', 1000);
	assert_refused(buf, sizeof(buf));
}
END_TEST

START_TEST(test_engine_json_wrong_types)
{
	long long n = 42;
	int b = 7;

	obj = PARSE("{\"s\":\"5\",\"i\":5,\"b\":true,\"o\":{},\"a\":[],\"n\":null,\"d\":1.5,\"e\":1e3,"
		"\"big\":1e300,\"neg\":-9223372036854775808}");
	ck_assert_ptr_nonnull(obj);
	ck_assert_ptr_null(ecs_json_get_string(obj, "i"));
	ck_assert_ptr_null(ecs_json_get_string(obj, "n"));
	ck_assert_ptr_null(ecs_json_get_string(obj, "missing"));
	ck_assert_int_eq(ecs_json_get_int64(obj, "s", &n), -1);
	ck_assert_int_eq(ecs_json_get_int64(obj, "b", &n), -1);
	ck_assert_int_eq(ecs_json_get_int64(obj, "n", &n), -1);
	ck_assert_int_eq(ecs_json_get_int64(obj, "d", &n), -1);
	ck_assert_int_eq(ecs_json_get_int64(obj, "big", &n), -1);
	ck_assert_int_eq(n, 42);
	ck_assert_int_eq(ecs_json_get_int64(obj, "e", &n), 0);
	ck_assert_int_eq(n, 1000);
	ck_assert_int_eq(ecs_json_get_int64(obj, "neg", &n), 0);
	ck_assert(n == -9223372036854775807LL - 1);
	ck_assert_int_eq(ecs_json_get_bool(obj, "i", &b), -1);
	ck_assert_int_eq(ecs_json_get_bool(obj, "s", &b), -1);
	ck_assert_int_eq(b, 7);
	ck_assert_ptr_null(ecs_json_get_object(obj, "a"));
	ck_assert_ptr_null(ecs_json_get_object(obj, "n"));
	ck_assert_ptr_nonnull(ecs_json_get_object(obj, "o"));
	ck_assert_ptr_null(ecs_json_dup_string(obj, "i"));
	/* NULL everywhere is "not there", never a crash. */
	ck_assert_ptr_null(ecs_json_get_string(NULL, "s"));
	ck_assert_ptr_null(ecs_json_get_string(obj, NULL));
	ck_assert_int_eq(ecs_json_get_int64(obj, "i", NULL), -1);
	ck_assert_int_eq(ecs_json_get_bool(NULL, "b", &b), -1);
	ck_assert_ptr_null(ecs_json_get_object(NULL, "o"));
	ck_assert_ptr_null(ecs_json_engine_message(NULL));
}
END_TEST

START_TEST(test_engine_json_dup_string)
{
	char *s;

	obj = PARSE("{\"a\":\"x\\u0000y\",\"b\":\"\\\"quoted\\\"\"}");
	ck_assert_ptr_nonnull(obj);
	s = ecs_json_dup_string(obj, "b");
	ck_assert_str_eq(s, "\"quoted\"");
	free(s);
	s = ecs_json_dup_string(obj, "a");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "x");
	free(s);
}
END_TEST

START_TEST(test_engine_json_engine_message)
{
	json_object *o;

	obj = PARSE("{\"message\":\"No such container: abc\"}\n");
	ck_assert_str_eq(ecs_json_engine_message(obj), "No such container: abc");
	/* An error inside a 200 pull stream. */
	o = PARSE("{\"errorDetail\":{\"message\":\"unauthorized: authentication required\"},"
		"\"error\":\"unauthorized: authentication required (legacy)\"}");
	ck_assert_str_eq(ecs_json_engine_message(o), "unauthorized: authentication required");
	json_object_put(o);
	o = PARSE("{\"error\":\"only the old member\"}");
	ck_assert_str_eq(ecs_json_engine_message(o), "only the old member");
	json_object_put(o);
	o = PARSE("{\"message\":42}");
	ck_assert_ptr_null(ecs_json_engine_message(o));
	json_object_put(o);
	o = PARSE("{\"status\":\"Pulling fs layer\"}");
	ck_assert_ptr_null(ecs_json_engine_message(o));
	json_object_put(o);
}
END_TEST

START_TEST(test_engine_json_parse_time)
{
	ck_assert(ecs_json_parse_time("1970-01-01T00:00:00Z") == 0);
	ck_assert(ecs_json_parse_time("2024-01-02T03:04:05.123456789Z") == 1704164645LL);
	ck_assert(ecs_json_parse_time("2024-01-02T03:04:05Z") == 1704164645LL);
	ck_assert(ecs_json_parse_time("2024-01-02T03:04:05.5Z") == 1704164645LL);
	ck_assert(ecs_json_parse_time("2024-01-02T04:04:05+01:00") == 1704164645LL);
	ck_assert(ecs_json_parse_time("2024-01-01T22:04:05.000000000-05:00") == 1704164645LL);
	ck_assert(ecs_json_parse_time("2024-02-29T00:00:00Z") == 1709164800LL);
	ck_assert(ecs_json_parse_time("2000-02-29T00:00:00Z") == 951782400LL);
	ck_assert(ecs_json_parse_time("2038-01-19T03:14:08Z") == 2147483648LL);
	/* Go's zero time, which the engine writes for "never". */
	ck_assert(ecs_json_parse_time("0001-01-01T00:00:00Z") == -62135596800LL);
}
END_TEST

START_TEST(test_engine_json_parse_time_malformed)
{
	static const char *const bad[] = {
		"", "2024", "2024-01-02", "2024-01-02T03:04:05", "2024-01-02 03:04:05Z",
		"2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-32T00:00:00Z",
		"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
		"2024-01-02T24:00:00Z", "2024-01-02T03:60:00Z", "2024-01-02T03:04:60Z",
		"2024-01-02T03:04:05.Z", "2024-01-02T03:04:05.1234567890Z", "2024-01-02T03:04:05Zx",
		"2024-01-02T03:04:05+01", "2024-01-02T03:04:05+0100", "2024-01-02T03:04:05+24:00",
		"24-01-02T03:04:05Z", "2024-1-02T03:04:05Z", " 2024-01-02T03:04:05Z", "2024-01-02T03:04:05 Z",
		"+024-01-02T03:04:05Z", "2024-01-02T03:04:0xZ",
	};

	ck_assert(ecs_json_parse_time(NULL) == -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ecs_json_parse_time(bad[i]) == -1, "accepted: %s", bad[i]);
}
END_TEST

/* ---- ecs_api_version_pick (lib/engine.c) */

static void assert_pick(const char *engine_max, const char *engine_min, int want_rc, const char *want)
{
	char out[16];
	int rc = ecs_api_version_pick(out, sizeof(out), engine_max, engine_min);

	ck_assert_msg(rc == want_rc, "pick(%s, %s) = %s, want %s", engine_max ? engine_max : "NULL",
			engine_min ? engine_min : "NULL", ecs_error_name(rc), ecs_error_name(want_rc));
	if (want != NULL)
		ck_assert_str_eq(out, want);
}

START_TEST(test_engine_json_version_pick_same)
{
	assert_pick("1.41", "1.12", 0, "1.41");
	assert_pick("1.41", NULL, 0, "1.41");
	assert_pick("1.41", "", 0, "1.41");
}
END_TEST

START_TEST(test_engine_json_version_pick_newer_engine)
{
	assert_pick("1.43", "1.12", 0, "1.41");
	assert_pick("1.100", "1.24", 0, "1.41");
	assert_pick("2.0", "1.12", 0, "1.41");
}
END_TEST

START_TEST(test_engine_json_version_pick_older_engine)
{
	assert_pick("1.40", "1.12", 0, "1.40");
	assert_pick("1.25", "1.12", 0, "1.25");
	assert_pick("1.24", "1.12", ECS_EVERSION, NULL);
	assert_pick("1.9", "1.9", ECS_EVERSION, NULL);
	assert_pick("0.99", NULL, ECS_EVERSION, NULL);
}
END_TEST

START_TEST(test_engine_json_version_pick_engine_min_too_high)
{
	assert_pick("1.45", "1.42", ECS_EVERSION, NULL);
	assert_pick("1.41", "1.41", 0, "1.41");
	assert_pick("1.44", "1.41", 0, "1.41");
}
END_TEST

START_TEST(test_engine_json_version_pick_malformed)
{
	static const char *const bad[] = { "", "1", "1.", ".41", "1.41.0", "v1.41", "1.4x", " 1.41", "1.41 ", "x" };
	char out[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ecs_api_version_pick(out, sizeof(out), bad[i], "1.12");

		ck_assert_msg(rc == ECS_EPROTO || rc == ECS_EVERSION, "accepted max \"%s\"", bad[i]);
		rc = ecs_api_version_pick(out, sizeof(out), "1.41", bad[i][0] ? bad[i] : "1.x");
		ck_assert_msg(rc == ECS_EPROTO || rc == ECS_EVERSION, "accepted min \"%s\"", bad[i]);
	}
	ck_assert_int_ne(ecs_api_version_pick(out, sizeof(out), NULL, "1.12"), 0);
}
END_TEST

/* ---- lib/common.c */

START_TEST(test_common_error_names)
{
	static const struct {
		int code;
		const char *name;
	} codes[] = {
		{ ECS_OK, "ECS_OK" }, { ECS_ERROR, "ECS_ERROR" }, { ECS_ENOMEM, "ECS_ENOMEM" },
		{ ECS_EINVAL, "ECS_EINVAL" }, { ECS_ENOTFOUND, "ECS_ENOTFOUND" },
		{ ECS_EUNAUTHORIZED, "ECS_EUNAUTHORIZED" }, { ECS_EUNAVAILABLE, "ECS_EUNAVAILABLE" },
		{ ECS_EENGINE, "ECS_EENGINE" }, { ECS_ETIMEDOUT, "ECS_ETIMEDOUT" }, { ECS_EPROTO, "ECS_EPROTO" },
		{ ECS_EVERSION, "ECS_EVERSION" }, { ECS_ECANCELED, "ECS_ECANCELED" }, { ECS_ETOOBIG, "ECS_ETOOBIG" },
		{ ECS_EDENIED, "ECS_EDENIED" }, { ECS_ENOUSER, "ECS_ENOUSER" },
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ck_assert_str_eq(ecs_error_name(codes[i].code), codes[i].name);
		ck_assert_ptr_nonnull(ecs_strerror(codes[i].code));
		ck_assert_str_ne(ecs_strerror(codes[i].code), "unknown error");
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(ecs_strerror(codes[i].code), ecs_strerror(codes[j].code));
	}
}
END_TEST

START_TEST(test_common_unknown_codes)
{
	static const int odd[] = { 1, 42, -15, -1000, -2147483647 - 1, 2147483647 };

	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		ck_assert_str_eq(ecs_strerror(odd[i]), "unknown error");
		ck_assert_str_eq(ecs_error_name(odd[i]), "ECS_UNKNOWN");
	}
}
END_TEST

START_TEST(test_common_version)
{
	ck_assert_str_eq(ecs_version(), ECS_VERSION_STRING);
}
END_TEST

START_TEST(test_common_global_init)
{
	ck_assert_int_eq(ecs_global_init(), 0);
	ecs_global_cleanup();
}
END_TEST

static ecs_cancel *signal_token;

static void on_alarm(int sig)
{
	(void)sig;
	ecs_cancel_trigger(signal_token);
}

static void *trigger_thread(void *arg)
{
	ecs_cancel_trigger(arg);
	return NULL;
}

START_TEST(test_common_cancel_token)
{
	ecs_cancel *c = NULL;
	pthread_t th;
	struct sigaction sa, old;

	ck_assert_int_eq(ecs_cancel_is_triggered(NULL), 0);
	ecs_cancel_trigger(NULL);
	ecs_cancel_free(NULL);
	ck_assert_int_eq(ecs_cancel_new(NULL), ECS_EINVAL);

	ck_assert_int_eq(ecs_cancel_new(&c), 0);
	ck_assert_int_eq(ecs_cancel_is_triggered(c), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, trigger_thread, c), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(ecs_cancel_is_triggered(c), 1);
	ecs_cancel_trigger(c);
	ck_assert_int_eq(ecs_cancel_is_triggered(c), 1);
	ecs_cancel_free(c);

	/* From a signal handler, which is what async-signal-safe is for. */
	ck_assert_int_eq(ecs_cancel_new(&signal_token), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, &old), 0);
	raise(SIGUSR1);
	ck_assert_int_eq(sigaction(SIGUSR1, &old, NULL), 0);
	ck_assert_int_eq(ecs_cancel_is_triggered(signal_token), 1);
	ecs_cancel_free(signal_token);
	signal_token = NULL;
}
END_TEST

static Suite *engine_json_suite(void)
{
	Suite *s = suite_create("engine_json");
	TCase *tc = tcase_create("json");
	TCase *tv = tcase_create("version_pick");
	TCase *tcm = tcase_create("common");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_engine_json_version_body);
	tcase_add_test(tc, test_engine_json_inspect_body);
	tcase_add_test(tc, test_engine_json_whitespace_around);
	tcase_add_test(tc, test_engine_json_non_object);
	tcase_add_test(tc, test_engine_json_truncated);
	tcase_add_test(tc, test_engine_json_trailing_garbage);
	tcase_add_test(tc, test_engine_json_malformed);
	tcase_add_test(tc, test_engine_json_non_utf8);
	tcase_add_test(tc, test_engine_json_deep_nesting);
	tcase_add_test(tc, test_engine_json_wrong_types);
	tcase_add_test(tc, test_engine_json_dup_string);
	tcase_add_test(tc, test_engine_json_engine_message);
	tcase_add_test(tc, test_engine_json_parse_time);
	tcase_add_test(tc, test_engine_json_parse_time_malformed);
	suite_add_tcase(s, tc);

	tcase_add_test(tv, test_engine_json_version_pick_same);
	tcase_add_test(tv, test_engine_json_version_pick_newer_engine);
	tcase_add_test(tv, test_engine_json_version_pick_older_engine);
	tcase_add_test(tv, test_engine_json_version_pick_engine_min_too_high);
	tcase_add_test(tv, test_engine_json_version_pick_malformed);
	suite_add_tcase(s, tv);

	tcase_add_test(tcm, test_common_error_names);
	tcase_add_test(tcm, test_common_unknown_codes);
	tcase_add_test(tcm, test_common_version);
	tcase_add_test(tcm, test_common_global_init);
	tcase_add_test(tcm, test_common_cancel_token);
	suite_add_tcase(s, tcm);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(engine_json_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
