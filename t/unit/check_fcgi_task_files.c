/* check_fcgi_task_files.c - a task body's files and artifacts: parsed, judged against the sandbox, answered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "conf.h"
#include "handlers.h"
#include "intake.h"
#include "task_body.h"
#include "task_files.h"

#define HEAD "{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[\"true\"],"

static int parse(task_body *tb, body_error *err, const char *body)
{
	return task_body_parse(tb, body, strlen(body), err);
}

/* @members (after HEAD) must be refused with @code and a message containing @needle. */
static void refused(const char *members, const char *code, const char *needle)
{
	char body[8192];
	task_body tb;
	body_error err;

	snprintf(body, sizeof(body), HEAD "%s}", members);
	ck_assert_msg(parse(&tb, &err, body) == -1, "accepted %s", body);
	ck_assert_int_eq(err.status, 400);
	ck_assert_msg(strcmp(err.code, code) == 0, "%s: code %s, want %s (%s)", members, err.code, code, err.message);
	ck_assert_msg(strstr(err.message, needle) != NULL, "%s: message '%s' lacks '%s'", members, err.message, needle);
	ck_assert_ptr_null(tb.root);
	ck_assert_ptr_null(tb.files.files);
}

/* @members parse, then task_files_check() against @p with @cap gives @want (0, or -1 with @code and @needle). */
static void judged(const char *members, const ecs_sandbox_profile *p, size_t cap, int want, const char *code,
		const char *needle)
{
	char body[8192];
	task_body tb;
	body_error err;
	task_files_error ferr;

	snprintf(body, sizeof(body), HEAD "%s}", members);
	ck_assert_msg(parse(&tb, &err, body) == 0, "refused %s: %s", body, err.message);
	ck_assert_int_eq(task_files_check(&tb.files, p, cap, &ferr), want);
	if (want != 0) {
		ck_assert_msg(strcmp(ferr.code, code) == 0, "%s: code %s, want %s", members, ferr.code, code);
		ck_assert_msg(strstr(ferr.message, needle) != NULL, "%s: message '%s' lacks '%s'", members,
				ferr.message, needle);
	}
	task_body_clear(&tb);
}

START_TEST(test_task_files_parsed)
{
	task_body tb;
	body_error err;

	/* "AAEC/w==" is 00 01 02 ff: binary survives the decode. */
	ck_assert_int_eq(parse(&tb, &err, HEAD "\"files\":[{\"path\":\"/tmp/a.bin\",\"content\":\"AAEC/w==\",\"mode\":493},"
			"{\"path\":\"/tmp/d/e\",\"mode\":\"0600\"},{\"path\":\"/tmp/f\",\"content\":\"\"}],"
			"\"artifacts\":[\"/tmp/out\",\"/tmp\"]}"), 0);
	ck_assert_uint_eq(tb.files.files_len, 3);
	ck_assert_str_eq(tb.files.files[0].path, "/tmp/a.bin");
	ck_assert_uint_eq(tb.files.files[0].len, 4);
	ck_assert_mem_eq(tb.files.files[0].data, "\x00\x01\x02\xff", 4);
	ck_assert_uint_eq(tb.files.files[0].mode, 0755);
	ck_assert_uint_eq(tb.files.files[1].len, 0);
	ck_assert_uint_eq(tb.files.files[1].mode, 0600);
	ck_assert_uint_eq(tb.files.files[2].mode, 0);  /* libecs's 0644 */
	ck_assert_uint_eq(tb.files.files_bytes, 4);
	ck_assert_uint_eq(tb.files.artifacts_len, 2);
	ck_assert_str_eq(tb.files.artifacts[1], "/tmp");
	ck_assert_int_eq(tb.files.has_artifacts, 1);
	task_body_clear(&tb);

	/* Neither given: nothing asked, no artifacts member in the answer. */
	ck_assert_int_eq(parse(&tb, &err, HEAD "\"env\":[]}"), 0);
	ck_assert_uint_eq(tb.files.files_len, 0);
	ck_assert_int_eq(tb.files.has_artifacts, 0);
	task_body_clear(&tb);
	/* An empty list of artifacts is still asked: answered with []. */
	ck_assert_int_eq(parse(&tb, &err, HEAD "\"artifacts\":[],\"files\":[]}"), 0);
	ck_assert_int_eq(tb.files.has_artifacts, 1);
	task_body_clear(&tb);
}
END_TEST

/* Every path refusal names the path; ".." and friends are refused before the sandbox is looked at. */
START_TEST(test_task_files_path_grammar)
{
	refused("\"files\":[{\"path\":\"/tmp/../etc/passwd\",\"content\":\"\"}]", "PATH_REFUSED", "'/tmp/../etc/passwd'");
	refused("\"files\":[{\"path\":\"../../etc\"}]", "PATH_REFUSED", "'../../etc' is not an absolute path");
	refused("\"files\":[{\"path\":\"tmp/x\"}]", "PATH_REFUSED", "'tmp/x' is not an absolute path");
	refused("\"files\":[{\"path\":\"/tmp/./x\"}]", "PATH_REFUSED", "'/tmp/./x'");
	refused("\"files\":[{\"path\":\"/tmp//x\"}]", "PATH_REFUSED", "'/tmp//x'");
	refused("\"files\":[{\"path\":\"/tmp/x/\"}]", "PATH_REFUSED", "'/tmp/x/'");
	refused("\"files\":[{\"path\":\"/\"}]", "PATH_REFUSED", "'/'");
	refused("\"files\":[{\"path\":\"/tmp/..\"}]", "PATH_REFUSED", "'/tmp/..'");
	refused("\"files\":[{\"path\":\"\"}]", "PATH_REFUSED", "files[0].path must not be empty");
	refused("\"artifacts\":[\"/tmp/ok\",\"/tmp/a/../../etc\"]", "PATH_REFUSED", "artifacts[1] '/tmp/a/../../etc'");
	refused("\"artifacts\":[\"out.txt\"]", "PATH_REFUSED", "'out.txt' is not an absolute path");
	/* A NUL inside a path: JSON can carry it, a path cannot. */
	refused("\"artifacts\":[\"/tmp/a\\u0000b\"]", "BAD_REQUEST_BODY", "NUL");
}
END_TEST

START_TEST(test_task_files_path_length)
{
	char m[ECS_TASK_MAX_PATH + 64];
	char p[ECS_TASK_MAX_PATH + 2];
	task_body tb;
	body_error err;
	char *body = malloc(2 * ECS_TASK_MAX_PATH);

	ck_assert_ptr_nonnull(body);
	memset(p, 'a', sizeof(p) - 1);
	p[0] = '/';
	p[sizeof(p) - 1] = '\0';
	snprintf(m, sizeof(m), "\"artifacts\":[\"%s\"]", p);
	refused(m, "PATH_REFUSED", "is longer than 4096 bytes");
	p[ECS_TASK_MAX_PATH] = '\0';  /* exactly the bound */
	snprintf(body, 2 * ECS_TASK_MAX_PATH, HEAD "\"artifacts\":[\"%s\"]}", p);
	ck_assert_int_eq(parse(&tb, &err, body), 0);
	task_body_clear(&tb);
	free(body);
}
END_TEST

START_TEST(test_task_files_shape)
{
	refused("\"files\":{\"path\":\"/tmp/a\"}", "BAD_REQUEST_BODY", "files must be an array");
	refused("\"files\":[\"/tmp/a\"]", "BAD_REQUEST_BODY", "files[0] must be an object");
	refused("\"files\":[{\"content\":\"\"}]", "BAD_REQUEST_BODY", "files[0].path is required");
	refused("\"files\":[{\"path\":7}]", "BAD_REQUEST_BODY", "files[0].path must be a string");
	refused("\"files\":[{\"path\":\"/tmp/a\",\"owner\":\"root\"}]", "BAD_REQUEST_BODY", "unknown property 'files[0].owner'");
	refused("\"files\":[{\"path\":\"/tmp/a\",\"content\":\"not base64!\"}]", "BAD_REQUEST_BODY",
			"files[0].content of '/tmp/a' must be standard base64");
	refused("\"files\":[{\"path\":\"/tmp/a\",\"content\":\"QQ\"}]", "BAD_REQUEST_BODY", "'/tmp/a'");
	refused("\"files\":[{\"path\":\"/tmp/a\",\"content\":3}]", "BAD_REQUEST_BODY", "files[0].content must be a base64 string");
	refused("\"files\":[{\"path\":\"/tmp/a\",\"mode\":512}]", "BAD_REQUEST_BODY", "files[0].mode must be permission bits");
	refused("\"files\":[{\"path\":\"/tmp/a\",\"mode\":-1}]", "BAD_REQUEST_BODY", "files[0].mode");
	refused("\"files\":[{\"path\":\"/tmp/a\",\"mode\":\"0800\"}]", "BAD_REQUEST_BODY", "files[0].mode");
	refused("\"files\":[{\"path\":\"/tmp/a\",\"mode\":\"01777\"}]", "BAD_REQUEST_BODY", "files[0].mode");
	refused("\"files\":[{\"path\":\"/tmp/a\",\"mode\":\"\"}]", "BAD_REQUEST_BODY", "files[0].mode");
	refused("\"files\":[{\"path\":\"/tmp/a\",\"mode\":4.5}]", "BAD_REQUEST_BODY", "files[0].mode");
	refused("\"artifacts\":\"/tmp\"", "BAD_REQUEST_BODY", "artifacts must be an array");
	refused("\"artifacts\":[1]", "BAD_REQUEST_BODY", "artifacts[0] must be a string");
}
END_TEST

/* More than ECS_TASK_MAX_FILES entries: refused, counted before anything is decoded. */
START_TEST(test_task_files_too_many)
{
	size_t n = ECS_TASK_MAX_FILES + 1, i, used;
	size_t size = 64 + n * 40;
	char *body = malloc(size);
	task_body tb;
	body_error err;

	ck_assert_ptr_nonnull(body);
	used = (size_t)snprintf(body, size, HEAD "\"files\":[");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(body + used, size - used, "%s{\"path\":\"/tmp/%zu\"}", i ? "," : "", i);
	snprintf(body + used, size - used, "]}");
	ck_assert_int_eq(parse(&tb, &err, body), -1);
	ck_assert_str_eq(err.code, "BAD_REQUEST_BODY");
	ck_assert_ptr_nonnull(strstr(err.message, "files has more than 1024 elements"));
	/* Exactly the bound passes. */
	used = (size_t)snprintf(body, size, HEAD "\"artifacts\":[");
	for (i = 0; i < ECS_TASK_MAX_FILES; i++)
		used += (size_t)snprintf(body + used, size - used, "%s\"/tmp/%zu\"", i ? "," : "", i);
	snprintf(body + used, size - used, "]}");
	ck_assert_int_eq(parse(&tb, &err, body), 0);
	ck_assert_uint_eq(tb.files.artifacts_len, ECS_TASK_MAX_FILES);
	task_body_clear(&tb);
	free(body);
}
END_TEST

/* The writable mounts of the merged profile: /tmp and the tmpfs paths, or the whole root but /proc, /sys, /dev. */
START_TEST(test_task_files_mounts)
{
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;
	const char *const tmpfs[] = { "/work", "/data/" };

	judged("\"files\":[{\"path\":\"/tmp/a\"}],\"artifacts\":[\"/tmp\",\"/tmp/b\"]", &p, 0, 0, NULL, NULL);
	judged("\"files\":[{\"path\":\"/etc/passwd\"}]", &p, 0, -1, "PATH_REFUSED",
			"files[0].path '/etc/passwd' is not below a writable mount of this task (/tmp)");
	judged("\"files\":[{\"path\":\"/tmpx/a\"}]", &p, 0, -1, "PATH_REFUSED", "'/tmpx/a'");
	/* A file cannot replace a mount point; an artifact may be the whole mount. */
	judged("\"files\":[{\"path\":\"/tmp\"}]", &p, 0, -1, "PATH_REFUSED", "'/tmp'");
	judged("\"artifacts\":[\"/tmp/x\",\"/etc\"]", &p, 0, -1, "PATH_REFUSED",
			"artifacts[1] '/etc' is not in a writable mount");
	judged("\"artifacts\":[\"/work/x\"]", &p, 0, -1, "PATH_REFUSED", "'/work/x'");

	p.tmpfs = tmpfs;
	p.tmpfs_len = 2;
	judged("\"files\":[{\"path\":\"/work/src/main.c\"},{\"path\":\"/data/x\"}],\"artifacts\":[\"/work\",\"/data\"]",
			&p, 0, 0, NULL, NULL);
	judged("\"files\":[{\"path\":\"/workshop/x\"}]", &p, 0, -1, "PATH_REFUSED", "(/tmp, /work, /data/)");

	p.writable_root = 1;
	judged("\"files\":[{\"path\":\"/etc/motd\"},{\"path\":\"/srv/app/x\"}],\"artifacts\":[\"/var/log\"]",
			&p, 0, 0, NULL, NULL);
	judged("\"files\":[{\"path\":\"/proc/1/mem\"}]", &p, 0, -1, "PATH_REFUSED", "'/proc/1/mem'");
	judged("\"artifacts\":[\"/sys\"]", &p, 0, -1, "PATH_REFUSED", "'/sys'");
	judged("\"artifacts\":[\"/dev/shm/x\"]", &p, 0, -1, "PATH_REFUSED", "'/dev/shm/x'");
	judged("\"artifacts\":[\"/device\"]", &p, 0, 0, NULL, NULL);
}
END_TEST

/* The operator's cap on the files' bytes, all together: the message names the file that crossed it. */
START_TEST(test_task_files_cap)
{
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;
	/* "QUFBQQ==" is 4 bytes */
	const char *two = "\"files\":[{\"path\":\"/tmp/a\",\"content\":\"QUFBQQ==\"},{\"path\":\"/tmp/b\",\"content\":\"QUFBQQ==\"}]";

	judged(two, &p, 8, 0, NULL, NULL);
	judged(two, &p, 0, 0, NULL, NULL);
	judged(two, &p, 7, -1, "BAD_REQUEST_BODY", "files[1] '/tmp/b' brings the files to 8 bytes, over the cap of 7 bytes");
}
END_TEST

/* A libecs error that names one of the request's paths is about its files (the handler's PATH_REFUSED). */
START_TEST(test_task_files_named)
{
	task_body tb;
	body_error err;

	ck_assert_int_eq(parse(&tb, &err, HEAD "\"files\":[{\"path\":\"/tmp/in\"}],\"artifacts\":[\"/tmp/d\"]}"), 0);
	ck_assert_int_eq(task_files_named(&tb.files, "ecs-agent: /tmp/d/link: a symlink on the way (ELOOP)"), 1);
	ck_assert_int_eq(task_files_named(&tb.files, "file \"/tmp/in\": no space"), 1);
	ck_assert_int_eq(task_files_named(&tb.files, "pull: manifest unknown"), 0);
	task_body_clear(&tb);
}
END_TEST

/* intake_spec() hands the parsed files and the artifact cap to libecs. */
START_TEST(test_task_files_to_spec)
{
	intake_task t;
	body_error err;
	config *cfg = config_defaults();
	ecs_task_spec spec;

	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->artifacts_cap, 16u * 1024 * 1024);
	ck_assert_uint_eq(cfg->files_cap, 1024u * 1024);
	ck_assert_uint_eq(cfg->body_limit, 1024u * 1024);
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(parse(&t.body, &err, HEAD "\"files\":[{\"path\":\"/tmp/a\",\"content\":\"QQ==\"}],"
			"\"artifacts\":[\"/tmp/o\"]}"), 0);
	cfg->artifacts_cap = 1234;
	intake_spec(&spec, &t, cfg, NULL, NULL, NULL);
	ck_assert_uint_eq(spec.files_len, 1);
	ck_assert_str_eq(spec.files[0].path, "/tmp/a");
	ck_assert_uint_eq(spec.files[0].len, 1);
	ck_assert_uint_eq(spec.artifacts_len, 1);
	ck_assert_str_eq(spec.artifacts[0], "/tmp/o");
	ck_assert_uint_eq(spec.artifacts_cap, 1234);
	intake_clear(&t);
	config_free(cfg);
}
END_TEST

/* The answer: each artifact's path, base64 content, real size and whether the cap cut it. */
START_TEST(test_task_files_render)
{
	ecs_task_result res = ECS_TASK_RESULT_INIT;
	ecs_artifact a[2];
	unsigned char bin[] = { 0x00, 0xff, 0x10 };
	struct json_object *doc, *list, *o, *v;

	memset(a, 0, sizeof(a));
	a[0].path = "/tmp/out.bin";
	a[0].content.data = bin;
	a[0].content.len = sizeof(bin);
	a[0].size = 3;
	a[1].path = "/tmp/big";
	a[1].content.data = (unsigned char *)"";
	a[1].content.truncated = 1;
	a[1].size = 99999999;
	res.exit_code = 0;
	res.artifacts = a;
	res.artifacts_len = 2;
	doc = handler_task_json(&res);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(json_object_object_get_ex(doc, "artifacts", NULL), 0);  /* only when asked */
	ck_assert_int_eq(handler_task_artifacts(doc, &res), 0);
	ck_assert(json_object_object_get_ex(doc, "artifacts", &list));
	ck_assert_uint_eq(json_object_array_length(list), 2);
	o = json_object_array_get_idx(list, 0);
	ck_assert(json_object_object_get_ex(o, "path", &v));
	ck_assert_str_eq(json_object_get_string(v), "/tmp/out.bin");
	ck_assert(json_object_object_get_ex(o, "content", &v));
	ck_assert_str_eq(json_object_get_string(v), "AP8Q");
	ck_assert(json_object_object_get_ex(o, "size", &v));
	ck_assert_int_eq(json_object_get_int64(v), 3);
	ck_assert(json_object_object_get_ex(o, "truncated", &v));
	ck_assert_int_eq(json_object_get_boolean(v), 0);
	o = json_object_array_get_idx(list, 1);
	ck_assert(json_object_object_get_ex(o, "size", &v));
	ck_assert_int_eq(json_object_get_int64(v), 99999999);
	ck_assert(json_object_object_get_ex(o, "content", &v));
	ck_assert_str_eq(json_object_get_string(v), "");
	ck_assert(json_object_object_get_ex(o, "truncated", &v));
	ck_assert_int_eq(json_object_get_boolean(v), 1);
	json_object_put(doc);

	/* Asked, none came back: an empty list, never a missing member. */
	res.artifacts = NULL;
	res.artifacts_len = 0;
	doc = handler_task_json(&res);
	ck_assert_int_eq(handler_task_artifacts(doc, &res), 0);
	ck_assert(json_object_object_get_ex(doc, "artifacts", &list));
	ck_assert_uint_eq(json_object_array_length(list), 0);
	json_object_put(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_task_files");
	TCase *tc = tcase_create("task_files");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_task_files_parsed);
	tcase_add_test(tc, test_task_files_path_grammar);
	tcase_add_test(tc, test_task_files_path_length);
	tcase_add_test(tc, test_task_files_shape);
	tcase_add_test(tc, test_task_files_too_many);
	tcase_add_test(tc, test_task_files_mounts);
	tcase_add_test(tc, test_task_files_cap);
	tcase_add_test(tc, test_task_files_named);
	tcase_add_test(tc, test_task_files_to_spec);
	tcase_add_test(tc, test_task_files_render);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
