/* check_fcgi_task_body.c - every validation rule of the POST /v1.1/tasks body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "conf.h"
#include "intake.h"
#include "task_body.h"
#include "text.h"

static int parse(task_body *tb, body_error *err, const char *body)
{
	return task_body_parse(tb, body, strlen(body), err);
}

/* The body must be refused with @code and a message containing @needle. */
static void refused(const char *body, const char *code, const char *needle)
{
	task_body tb;
	body_error err;

	ck_assert_msg(parse(&tb, &err, body) == -1, "accepted %s", body);
	ck_assert_int_eq(err.status, 400);
	ck_assert_msg(strcmp(err.code, code) == 0, "%s: code %s, want %s", body, err.code, code);
	ck_assert_msg(strstr(err.message, needle) != NULL, "%s: message '%s' lacks '%s'", body, err.message, needle);
	ck_assert_ptr_null(tb.root);
}

static void accepted(const char *body)
{
	task_body tb;
	body_error err;

	ck_assert_msg(parse(&tb, &err, body) == 0, "refused %s: %s", body, err.message);
	task_body_clear(&tb);
}

/* A body of @kind: 0 accepted, else refused with a message containing @needle. */
static void kind_case(task_body_kind kind, const char *body, const char *needle)
{
	task_body tb;
	body_error err;
	int rc = task_body_parse_kind(&tb, body, strlen(body), kind, &err);

	if (needle == NULL) {
		ck_assert_msg(rc == 0, "refused %s: %s", body, err.message);
		task_body_clear(&tb);
		return;
	}
	ck_assert_msg(rc == -1, "accepted %s", body);
	ck_assert_msg(strstr(err.message, needle) != NULL, "%s: message '%s' lacks '%s'", body, err.message, needle);
}

/* A session's body: the container's properties and its expiry, no command; an exec's: the command's only. */
START_TEST(test_task_body_session_and_exec_kinds)
{
	kind_case(TASK_BODY_SESSION, "{\"docker_image\":\"a:b\"}", NULL);
	kind_case(TASK_BODY_SESSION, "{\"docker_image\":\"a:b\",\"idleTimeout\":60,\"lifetime\":600,\"env\":[\"A=1\"],"
		  "\"limits\":{\"pids\":16},\"network\":\"none\",\"user\":\"1000\"}", NULL);
	kind_case(TASK_BODY_SESSION, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"]}", "unknown property 'cmd'");
	kind_case(TASK_BODY_SESSION, "{\"docker_image\":\"a:b\",\"stdin\":\"\"}", "unknown property 'stdin'");
	kind_case(TASK_BODY_SESSION, "{\"idleTimeout\":60}", "docker_image is required");
	kind_case(TASK_BODY_SESSION, "{\"docker_image\":\"a:b\",\"idleTimeout\":0}", "idleTimeout must be at least 1");
	kind_case(TASK_BODY_SESSION, "{\"docker_image\":\"a:b\",\"lifetime\":604801}", "lifetime must be at most");
	kind_case(TASK_BODY_EXEC, "{\"cmd\":[\"x\"],\"workdir\":\"/tmp\",\"timeout\":5,\"stdin\":\"eA==\"}", NULL);
	kind_case(TASK_BODY_EXEC, "{\"cmd\":[\"x\"],\"docker_image\":\"a:b\"}", "unknown property 'docker_image'");
	kind_case(TASK_BODY_EXEC, "{\"cmd\":[\"x\"],\"idleTimeout\":5}", "unknown property 'idleTimeout'");
	kind_case(TASK_BODY_EXEC, "{\"cmd\":[\"x\"],\"workdir\":\"tmp\"}", "workdir must be an absolute path");
	kind_case(TASK_BODY_EXEC, "{\"env\":[]}", "cmd is required");
	/* a task keeps its own: no workdir, no session keys */
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"workdir\":\"/tmp\"}", "BAD_REQUEST_BODY", "unknown property 'workdir'");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"lifetime\":5}", "BAD_REQUEST_BODY", "unknown property 'lifetime'");
}
END_TEST

START_TEST(test_task_body_original_minimal)
{
	task_body tb;
	body_error err;

	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\": \"ecs/busybox:latest\", \"cmd\": [\"echo\", \"hello world\"]}"), 0);
	ck_assert_str_eq(tb.image, "ecs/busybox:latest");
	ck_assert_uint_eq(tb.cmd_len, 2);
	ck_assert_str_eq(tb.cmd[1], "hello world");
	ck_assert_ptr_null(tb.cmd[2]);
	ck_assert_int_eq(tb.has_creds, 0);
	ck_assert_ptr_null(tb.network);
	task_body_clear(&tb);
}
END_TEST

START_TEST(test_task_body_image_forms_accepted)
{
	accepted("{\"docker_image\":\"busybox:1.36\",\"cmd\":[\"true\"]}");
	accepted("{\"docker_image\":\"registry.example.com:5000/team/tool:v2\",\"cmd\":[\"true\"]}");
	accepted("{\"docker_image\":\"busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"cmd\":[\"true\"]}");
}
END_TEST

START_TEST(test_task_body_image_invalid)
{
	refused("{\"docker_image\":\"busybox\",\"cmd\":[\"true\"]}", "IMAGE_NAME_IS_INVALID", "busybox");
	refused("{\"docker_image\":\"Busybox:latest\",\"cmd\":[\"true\"]}", "IMAGE_NAME_IS_INVALID", "not a valid");
	refused("{\"docker_image\":\"bad image:latest\",\"cmd\":[\"true\"]}", "IMAGE_NAME_IS_INVALID", "not a valid");
	refused("{\"docker_image\":\"busybox:\",\"cmd\":[\"true\"]}", "IMAGE_NAME_IS_INVALID", "not a valid");
}
END_TEST

START_TEST(test_task_body_the_four_bad_bodies)
{
	refused("{\"cmd\":[\"true\"]}", "BAD_REQUEST_BODY", "docker_image is required");
	refused("{\"docker_image\":\"ecs/busybox:latest\"}", "BAD_REQUEST_BODY", "cmd is required");
	refused("{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[]}", "BAD_REQUEST_BODY", "at least one");
	refused("{}", "BAD_REQUEST_BODY", "docker_image is required");
}
END_TEST

START_TEST(test_task_body_malformed_json)
{
	refused("", "BAD_REQUEST_BODY", "empty");
	refused("{", "BAD_REQUEST_BODY", "malformed JSON");
	refused("{\"docker_image\":'x:y'}", "BAD_REQUEST_BODY", "malformed JSON");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],}", "BAD_REQUEST_BODY", "malformed JSON");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"]} {}", "BAD_REQUEST_BODY", "malformed JSON");
	refused("not json", "BAD_REQUEST_BODY", "malformed JSON");
}
END_TEST

START_TEST(test_task_body_not_an_object)
{
	refused("[]", "BAD_REQUEST_BODY", "JSON object");
	refused("\"x\"", "BAD_REQUEST_BODY", "JSON object");
	refused("null", "BAD_REQUEST_BODY", "JSON object");
}
END_TEST

START_TEST(test_task_body_wrong_types)
{
	refused("{\"docker_image\":42,\"cmd\":[\"true\"]}", "BAD_REQUEST_BODY", "docker_image must be a string");
	refused("{\"docker_image\":\"a:b\",\"cmd\":\"true\"}", "BAD_REQUEST_BODY", "cmd must be an array");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[1]}", "BAD_REQUEST_BODY", "cmd[0] must be a string");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"echo\",null]}", "BAD_REQUEST_BODY", "cmd[1] must be a string");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"creds\":\"u:p\"}", "BAD_REQUEST_BODY", "creds must be an object");
}
END_TEST

START_TEST(test_task_body_empty_strings)
{
	refused("{\"docker_image\":\"\",\"cmd\":[\"true\"]}", "BAD_REQUEST_BODY", "docker_image must not be empty");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"\"]}", "BAD_REQUEST_BODY", "cmd[0] must not be empty");
}
END_TEST

START_TEST(test_task_body_nul_bytes)
{
	task_body tb;
	body_error err;
	static const char raw[] = "{\"docker_image\":\"a:b\",\"cmd\":[\"x\0\"]}";

	ck_assert_int_eq(task_body_parse(&tb, raw, sizeof(raw) - 1, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "NUL byte"));
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"ec\\u0000ho\"]}", "BAD_REQUEST_BODY", "NUL");
	refused("{\"docker_image\":\"a:b\\u0000\",\"cmd\":[\"x\"]}", "BAD_REQUEST_BODY", "NUL");
}
END_TEST

/* Not UTF-8, an unpaired surrogate, a key twice: refused, never run as
 * something other than was sent. Echoed keys stay UTF-8 when cut. */
START_TEST(test_task_body_strict_text)
{
	char key[200], body[300];
	task_body tb;
	body_error err;

	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"echo\",\"\xff\"]}", "BAD_REQUEST_BODY", "not UTF-8");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"\xc0\xaf\"]}", "BAD_REQUEST_BODY", "not UTF-8");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"\xed\xa0\x80\"]}", "BAD_REQUEST_BODY", "not UTF-8");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"\\ud800\"]}", "BAD_REQUEST_BODY", "surrogate");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"cmd\":[\"y\"]}", "BAD_REQUEST_BODY", "same key twice");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"pids\":1,\"pids\":2}}",
			"BAD_REQUEST_BODY", "same key twice");
	accepted("{\"docker_image\":\"a:b\",\"cmd\":[\"caf\xc3\xa9\",\"\\ud83d\\ude00\",\"a:b\"]}");

	memset(key, 'k', 63);
	strcpy(key + 63, "\xc3\xa9");
	snprintf(body, sizeof(body), "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"%s\":1}", key);
	ck_assert_int_eq(parse(&tb, &err, body), -1);
	ck_assert_uint_eq(text_utf8_prefix(err.message, strlen(err.message)), strlen(err.message));
	memset(key, 'a', 127);
	strcpy(key + 127, "\xc3\xa9\xc3\xa9:1");
	snprintf(body, sizeof(body), "{\"docker_image\":\"%s\",\"cmd\":[\"x\"]}", key);
	ck_assert_int_eq(parse(&tb, &err, body), -1);
	ck_assert_str_eq(err.code, "IMAGE_NAME_IS_INVALID");
	ck_assert_uint_eq(text_utf8_prefix(err.message, strlen(err.message)), strlen(err.message));
}
END_TEST

START_TEST(test_task_body_unknown_properties)
{
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"tag\":\"latest\"}", "BAD_REQUEST_BODY", "unknown property 'tag'");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"creds\":{\"username\":\"u\",\"password\":\"p\",\"email\":\"e\",\"x\":1}}",
			"BAD_REQUEST_BODY", "creds.x");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"swap\":1}}", "BAD_REQUEST_BODY", "limits.swap");
}
END_TEST

START_TEST(test_task_body_creds)
{
	task_body tb;
	body_error err;

	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"creds\":{\"username\":\"u\",\"password\":\"p\",\"email\":\"e@x\"}}"), 0);
	ck_assert_int_eq(tb.has_creds, 1);
	ck_assert_str_eq(tb.creds.username, "u");
	ck_assert_str_eq(tb.creds.password, "p");
	ck_assert_str_eq(tb.creds.email, "e@x");
	task_body_clear(&tb);
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"creds\":{\"username\":\"u\",\"password\":\"p\"}}", "BAD_REQUEST_BODY", "creds.email is required");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"creds\":{\"username\":\"\",\"password\":\"p\",\"email\":\"e\"}}", "BAD_REQUEST_BODY", "creds.username must not be empty");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"creds\":{\"username\":\"u\",\"password\":1,\"email\":\"e\"}}", "BAD_REQUEST_BODY", "creds.password must be a string");
}
END_TEST

START_TEST(test_task_body_timeout)
{
	task_body tb;
	body_error err;

	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"timeout\":30}"), 0);
	ck_assert_int_eq(tb.timeout_s, 30);
	task_body_clear(&tb);
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"timeout\":0}", "BAD_REQUEST_BODY", "timeout must be at least 1");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"timeout\":1.5}", "BAD_REQUEST_BODY", "whole number");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"timeout\":\"30\"}", "BAD_REQUEST_BODY", "whole number");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"timeout\":100000}", "BAD_REQUEST_BODY", "at most 86400");
}
END_TEST

START_TEST(test_task_body_env)
{
	task_body tb;
	body_error err;

	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"env\":[\"A=1\",\"_B=\",\"C=x=y\"]}"), 0);
	ck_assert_uint_eq(tb.env_len, 3);
	ck_assert_str_eq(tb.env[2], "C=x=y");
	task_body_clear(&tb);
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"env\":[\"NOEQUALS\"]}", "BAD_REQUEST_BODY", "env[0]");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"env\":[\"=v\"]}", "BAD_REQUEST_BODY", "env[0]");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"env\":[\"1A=v\"]}", "BAD_REQUEST_BODY", "env[0]");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"env\":{\"A\":\"1\"}}", "BAD_REQUEST_BODY", "env must be an array");
}
END_TEST

START_TEST(test_task_body_stdin)
{
	task_body tb;
	body_error err;

	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"cat\"],\"stdin\":\"aGVsbG8=\"}"), 0);
	ck_assert_int_eq(tb.has_stdin, 1);
	ck_assert_uint_eq(tb.stdin_len, 5);
	ck_assert_int_eq(memcmp(tb.stdin_data, "hello", 5), 0);
	task_body_clear(&tb);
	accepted("{\"docker_image\":\"a:b\",\"cmd\":[\"cat\"],\"stdin\":\"\"}");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"cat\"],\"stdin\":\"hello\"}", "BAD_REQUEST_BODY", "base64");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"cat\"],\"stdin\":5}", "BAD_REQUEST_BODY", "base64");
}
END_TEST

START_TEST(test_task_body_limits)
{
	task_body tb;
	body_error err;

	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"memory\":\"64M\",\"cpus\":0.5,\"pids\":32}}"), 0);
	ck_assert_int_eq(tb.memory, 64 * 1024 * 1024);
	ck_assert(tb.cpus == 0.5);
	ck_assert_int_eq(tb.pids, 32);
	task_body_clear(&tb);
	accepted("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"memory\":67108864,\"cpus\":2}}");
	accepted("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{}}");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"memory\":1024}}", "BAD_REQUEST_BODY", "at least 6M");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"memory\":\"lots\"}}", "BAD_REQUEST_BODY", "limits.memory");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"cpus\":0}}", "BAD_REQUEST_BODY", "limits.cpus");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"cpus\":\"1\"}}", "BAD_REQUEST_BODY", "limits.cpus must be a number");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"pids\":0}}", "BAD_REQUEST_BODY", "limits.pids");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"pids\":9223372036854775806}}", "BAD_REQUEST_BODY", "limits.pids");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"pids\":4194305}}", "BAD_REQUEST_BODY", "limits.pids");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":[1]}", "BAD_REQUEST_BODY", "limits must be an object");
}
END_TEST

START_TEST(test_task_body_network)
{
	task_body tb;
	body_error err;

	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"network\":\"none\"}"), 0);
	ck_assert_str_eq(tb.network, "none");
	task_body_clear(&tb);
	accepted("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"network\":\"bridge\"}");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"network\":\"host\"}", "BAD_REQUEST_BODY", "network must be");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"network\":null}", "BAD_REQUEST_BODY", "network must be a string");
}
END_TEST

START_TEST(test_task_body_user_and_runtime)
{
	task_body tb;
	body_error err;

	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"65534:65534\",\"runtime\":\"runsc\"}"), 0);
	ck_assert_str_eq(tb.user, "65534:65534");
	ck_assert_str_eq(tb.runtime, "runsc");
	task_body_clear(&tb);
	accepted("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"nobody\"}");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"\"}", "BAD_REQUEST_BODY", "user must not be empty");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"1:2:3\"}", "BAD_REQUEST_BODY", "user must be uid");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"1:\"}", "BAD_REQUEST_BODY", "user must be uid");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"a b\"}", "BAD_REQUEST_BODY", "user must be uid");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":0}", "BAD_REQUEST_BODY", "user must be a string");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"runtime\":\"run:sc\"}", "BAD_REQUEST_BODY", "runtime must be");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"runtime\":\"-x\"}", "BAD_REQUEST_BODY", "runtime must be");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"runtime\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		"BAD_REQUEST_BODY", "runtime must be");
}
END_TEST

/* json-c keeps keys as C strings: "cmd\u0000x" would read as "cmd". */
START_TEST(test_task_body_nul_in_keys)
{
	refused("{\"docker_image\":\"a:b\",\"cmd\\u0000x\":[\"true\"],\"cmd\":[\"x\"]}", "BAD_REQUEST_BODY",
		"unknown property 'cmd\\u0000x'");
	refused("{\"docker_image\":\"a:b\",\"cmd\\u0000x\":[\"true\"]}", "BAD_REQUEST_BODY",
		"unknown property 'cmd\\u0000x'");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"timeout\\u0000\":5}", "BAD_REQUEST_BODY",
		"unknown property 'timeout\\u0000'");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"pids\\u0000\":5}}", "BAD_REQUEST_BODY",
		"unknown property 'pids\\u0000'");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"\\u0000\":5}", "BAD_REQUEST_BODY",
		"unknown property '\\u0000'");
	/* The key echoed stays UTF-8 and bounded whatever surrounds the NUL. */
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"\\u00e9\\u0000\\\"\":5}", "BAD_REQUEST_BODY",
		"unknown property");
	/* A NUL escape in a value is the value's business (get_string refuses it where it matters). */
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\\u0000y\"]}", "BAD_REQUEST_BODY", "NUL");
	/* "\\u0000" spelled with an escaped backslash is no NUL: an unknown key like any other. */
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"a\\\\u0000\":5}", "BAD_REQUEST_BODY", "unknown property");
	accepted("{\"docker_image\":\"a:b\",\"cmd\":[\"\\\\u0000\"]}");
}
END_TEST

/* The engine refuses ids above 2^31-1 at start (a 502 before); (uid_t)-1 is no uid. */
START_TEST(test_task_body_user_id_range)
{
	accepted("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"2147483647:2147483647\"}");
	accepted("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"0:0\"}");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"4294967295\"}", "BAD_REQUEST_BODY",
		"0..2147483647");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"99999999999\"}", "BAD_REQUEST_BODY",
		"0..2147483647");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"2147483648\"}", "BAD_REQUEST_BODY",
		"0..2147483647");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"1:4294967295\"}", "BAD_REQUEST_BODY",
		"0..2147483647");
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"user\":\"nobody:99999999999999999999999\"}",
		"BAD_REQUEST_BODY", "0..2147483647");
}
END_TEST

/* pids 1 leaves the container's init no room for the task: cold and pooled answered apart. */
START_TEST(test_task_body_pids_minimum)
{
	refused("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"pids\":1}}", "BAD_REQUEST_BODY",
		"limits.pids must be at least 2");
	accepted("{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"pids\":2}}");
}
END_TEST

/* The cap is compared as the engine will see it (NanoCpus), and the message says so. */
START_TEST(test_task_body_cpus_cap_precision)
{
	task_body tb;
	body_error err;
	limit_caps caps = { 0, 0, 1.0, 0, 0 };
	char why[256];

	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"cpus\":1.0000001}}"), 0);
	ck_assert_int_eq(task_body_check_caps(&tb, &caps, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "1.0000001") != NULL, "%s", why);
	ck_assert_msg(strstr(why, "1000000100") != NULL, "%s", why);
	ck_assert_msg(strstr(why, "1000000000") != NULL, "%s", why);
	task_body_clear(&tb);
	/* Below the engine's precision: the same NanoCpus as the cap, so not over it. */
	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"cpus\":1.0000000001}}"), 0);
	ck_assert_int_eq(task_body_check_caps(&tb, &caps, why, sizeof(why)), 0);
	task_body_clear(&tb);
}
END_TEST

START_TEST(test_task_body_caps)
{
	task_body tb;
	body_error err;
	limit_caps caps = { 60, 128 * 1024 * 1024, 1.0, 64, 1024 };
	limit_caps none = { 0, 0, 0, 0, 0 };
	limit_caps unlimited = { 0, LIMIT_UNLIMITED, LIMIT_UNLIMITED, LIMIT_UNLIMITED, LIMIT_UNLIMITED };
	char why[256];

	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"timeout\":61}"), 0);
	ck_assert_int_eq(task_body_check_caps(&tb, &caps, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "timeout"));
	ck_assert_int_eq(task_body_check_caps(&tb, &none, why, sizeof(why)), 0);
	task_body_clear(&tb);
	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"cpus\":1.5}}"), 0);
	ck_assert_int_eq(task_body_check_caps(&tb, &caps, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "limits.cpus"));
	task_body_clear(&tb);
	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"memory\":\"256M\"}}"), 0);
	ck_assert_int_eq(task_body_check_caps(&tb, &caps, why, sizeof(why)), -1);
	task_body_clear(&tb);
	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"limits\":{\"pids\":65}}"), 0);
	ck_assert_int_eq(task_body_check_caps(&tb, &caps, why, sizeof(why)), -1);
	ck_assert_int_eq(task_body_check_caps(&tb, &unlimited, why, sizeof(why)), 0);
	task_body_clear(&tb);
	ck_assert_int_eq(parse(&tb, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"],\"timeout\":60,\"limits\":{\"pids\":64,\"cpus\":1}}"), 0);
	ck_assert_int_eq(task_body_check_caps(&tb, &caps, why, sizeof(why)), 0);
	task_body_clear(&tb);
}
END_TEST

START_TEST(test_task_body_to_spec_defaults)
{
	intake_task t;
	body_error err;
	config *cfg = config_defaults();
	limit_caps caps = { 30, 64 * 1024 * 1024, 0.5, 16, 0 };
	ecs_task_spec spec;

	ck_assert_ptr_nonnull(cfg);
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(parse(&t.body, &err, "{\"docker_image\":\"a:b\",\"cmd\":[\"x\"]}"), 0);
	t.caps = caps;
	intake_spec(&spec, &t, cfg, NULL, NULL, "/run/ecs/instances/x.chan");
	ck_assert_str_eq(spec.run.image, "a:b");
	ck_assert_str_eq(spec.channel_dir, "/run/ecs/instances/x.chan");  /* cold tasks' direct channels */
	ck_assert_uint_eq(spec.run.cmd_len, 1);
	ck_assert_int_eq(spec.timeout_ms, 30000);  /* default 60 s, lowered to the cap */
	ck_assert_ptr_eq(spec.profile, &t.profile);  /* sandbox_for_request()'s (check_fcgi_sandbox) */
	ck_assert_ptr_null(spec.auth);
	ck_assert_ptr_null(spec.stdin_data);
	intake_clear(&t);
	config_free(cfg);
}
END_TEST

START_TEST(test_task_body_three_kib_cmd)
{
	char body[4096], arg[3073];
	task_body tb;
	body_error err;

	memset(arg, 'a', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	snprintf(body, sizeof(body), "{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[\"echo\",\"%s\"]}", arg);
	ck_assert_int_eq(parse(&tb, &err, body), 0);
	ck_assert_uint_eq(strlen(tb.cmd[1]), 3072);
	task_body_clear(&tb);
}
END_TEST

#define IMG "\"docker_image\": \"busybox:latest\", \"cmd\": [\"true\"]"

/* Issue 18: labels, a small map of the client's strings; each refusal names the key at fault. */
START_TEST(test_task_body_labels)
{
	task_body tb;
	body_error err;
	char big[600], key64[100];
	int i;

	ck_assert_int_eq(parse(&tb, &err, "{" IMG ", \"labels\": {\"batch\": \"b-7\", \"a/b.c_d-e\": \"\"}}"), 0);
	ck_assert_ptr_nonnull(tb.labels);
	ck_assert_int_eq(json_object_object_length(tb.labels), 2);
	task_body_clear(&tb);
	accepted("{" IMG ", \"labels\": {}}");
	refused("{" IMG ", \"labels\": [\"a\"]}", "BAD_REQUEST_BODY", "labels must be an object");
	refused("{" IMG ", \"labels\": {\"n\": 1}}", "BAD_REQUEST_BODY", "labels.n must be a string");
	refused("{" IMG ", \"labels\": {\"sp ace\": \"x\"}}", "BAD_REQUEST_BODY", "labels key 'sp ace'");
	refused("{" IMG ", \"labels\": {\"\": \"x\"}}", "BAD_REQUEST_BODY", "labels key ''");
	refused("{" IMG ", \"labels\": {\"k\": \"a\\nb\"}}", "BAD_REQUEST_BODY", "labels.k must be");
	refused("{" IMG ", \"labels\": {\"k\": \"a\\u007fb\"}}", "BAD_REQUEST_BODY", "labels.k must be");
	/* a key of 64 bytes, one over */
	memset(key64, 'k', 64);
	key64[64] = '\0';
	snprintf(big, sizeof(big), "{" IMG ", \"labels\": {\"%s\": \"x\"}}", key64);
	refused(big, "BAD_REQUEST_BODY", "labels key");
	key64[63] = '\0';
	snprintf(big, sizeof(big), "{" IMG ", \"labels\": {\"%s\": \"x\"}}", key64);
	accepted(big);
	/* a value of 256 bytes, one over */
	{
		char v[300], body[400];

		memset(v, 'v', 256);
		v[256] = '\0';
		snprintf(body, sizeof(body), "{" IMG ", \"labels\": {\"k\": \"%s\"}}", v);
		refused(body, "BAD_REQUEST_BODY", "labels.k must be a string of at most 255");
		v[255] = '\0';
		snprintf(body, sizeof(body), "{" IMG ", \"labels\": {\"k\": \"%s\"}}", v);
		accepted(body);
	}
	/* 17 labels, one over */
	{
		char body[1024];
		size_t used = (size_t)snprintf(body, sizeof(body), "{" IMG ", \"labels\": {");

		for (i = 0; i < 17; i++)
			used += (size_t)snprintf(body + used, sizeof(body) - used, "%s\"k%d\": \"v\"", i ? ", " : "", i);
		snprintf(body + used, sizeof(body) - used, "}}");
		refused(body, "BAD_REQUEST_BODY", "more than 16");
	}
}
END_TEST

/* Issue 18: callback {"url"} is syntax here (callback_check() judges the URL in intake). */
START_TEST(test_task_body_callback)
{
	task_body tb;
	body_error err;
	char *body;
	size_t n = 2100;

	ck_assert_int_eq(parse(&tb, &err, "{" IMG ", \"callback\": {\"url\": \"https://example.org/hook\"}}"), 0);
	ck_assert_str_eq(tb.callback_url, "https://example.org/hook");
	task_body_clear(&tb);
	refused("{" IMG ", \"callback\": \"https://x\"}", "BAD_REQUEST_BODY", "callback must be an object");
	refused("{" IMG ", \"callback\": {}}", "BAD_REQUEST_BODY", "callback.url is required");
	refused("{" IMG ", \"callback\": {\"url\": 1}}", "BAD_REQUEST_BODY", "callback.url must be a string");
	refused("{" IMG ", \"callback\": {\"url\": \"\"}}", "BAD_REQUEST_BODY", "callback.url must not be empty");
	refused("{" IMG ", \"callback\": {\"url\": \"https://x\", \"secret\": \"s\"}}", "BAD_REQUEST_BODY",
		"unknown property 'callback.secret'");
	body = malloc(n + 200);
	ck_assert_ptr_nonnull(body);
	{
		size_t used = (size_t)snprintf(body, n + 200, "{" IMG ", \"callback\": {\"url\": \"https://x/");

		memset(body + used, 'a', 2049 - 10);
		snprintf(body + used + 2049 - 10, 200, "\"}}");
	}
	refused(body, "BAD_REQUEST_BODY", "at most 2048 bytes");
	free(body);
	/* an exec takes them too; a session's create does not */
	{
		static const char exec[] = "{\"cmd\": [\"true\"], \"labels\": {\"a\": \"b\"}, "
					   "\"callback\": {\"url\": \"https://x\"}}";

		ck_assert_int_eq(task_body_parse_kind(&tb, exec, strlen(exec), TASK_BODY_EXEC, &err), 0);
		ck_assert_str_eq(tb.callback_url, "https://x");
		task_body_clear(&tb);
		ck_assert_int_eq(task_body_parse_kind(&tb, "{\"docker_image\": \"busybox:1\", \"labels\": {}}", 43,
						      TASK_BODY_SESSION, &err), -1);
	}
	task_body_clear(&tb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_task_body");
	TCase *tc = tcase_create("task_body");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_task_body_original_minimal);
	tcase_add_test(tc, test_task_body_image_forms_accepted);
	tcase_add_test(tc, test_task_body_image_invalid);
	tcase_add_test(tc, test_task_body_the_four_bad_bodies);
	tcase_add_test(tc, test_task_body_malformed_json);
	tcase_add_test(tc, test_task_body_not_an_object);
	tcase_add_test(tc, test_task_body_wrong_types);
	tcase_add_test(tc, test_task_body_empty_strings);
	tcase_add_test(tc, test_task_body_nul_bytes);
	tcase_add_test(tc, test_task_body_strict_text);
	tcase_add_test(tc, test_task_body_unknown_properties);
	tcase_add_test(tc, test_task_body_creds);
	tcase_add_test(tc, test_task_body_timeout);
	tcase_add_test(tc, test_task_body_env);
	tcase_add_test(tc, test_task_body_stdin);
	tcase_add_test(tc, test_task_body_limits);
	tcase_add_test(tc, test_task_body_session_and_exec_kinds);
	tcase_add_test(tc, test_task_body_network);
	tcase_add_test(tc, test_task_body_user_and_runtime);
	tcase_add_test(tc, test_task_body_caps);
	tcase_add_test(tc, test_task_body_nul_in_keys);
	tcase_add_test(tc, test_task_body_user_id_range);
	tcase_add_test(tc, test_task_body_pids_minimum);
	tcase_add_test(tc, test_task_body_cpus_cap_precision);
	tcase_add_test(tc, test_task_body_to_spec_defaults);
	tcase_add_test(tc, test_task_body_three_kib_cmd);
	tcase_add_test(tc, test_task_body_labels);
	tcase_add_test(tc, test_task_body_callback);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
