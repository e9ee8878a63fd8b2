/*
 * Integration tests: a container's life on the real engine (lib/container.c,
 * lib/logs.c, lib/stdin.c). Needs the engine and the test image; see it_util.h.
 */
#include <config.h>

#include <check.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ecs/ecs.h>
#include "container_private.h"
#include "http.h"
#include "json_util.h"
#include "it_util.h"

#define BIG_CAP ((size_t)4 << 20)
#define WAIT_MS 20000L

static ecs_engine *engine;

static void setup(void)
{
	engine = it_engine_new();
}

static void teardown(void)
{
	it_cleanup_tracked();
	ecs_engine_free(engine);
	engine = NULL;
}

/* The engine's own inspect document, to check what we asked for really landed. */
static json_object *raw_inspect(const char *id)
{
	ecs_http_request req = { 0 };
	ecs_http_response resp;
	json_object *doc;
	char path[256];
	int rc;

	snprintf(path, sizeof(path), "/containers/%s/json", id);
	req.method = "GET";
	req.path = path;
	rc = ecs_http_do(engine, &req, &resp);
	ck_assert_msg(rc == ECS_OK && resp.status == 200, "raw inspect: %s %ld", ecs_error_name(rc), resp.status);
	doc = ecs_json_parse(resp.body, resp.len);
	ck_assert_ptr_nonnull(doc);
	ecs_http_response_clear(&resp);
	return doc;
}

static long long get_int(json_object *obj, const char *key)
{
	long long v = -12345;

	ck_assert_msg(ecs_json_get_int64(obj, key, &v) == 0, "%s is not a number", key);
	return v;
}

static void assert_none_with_task(const char *task_id)
{
	char label[256];

	snprintf(label, sizeof(label), ECS_LABEL_TASK_ID "=%s", task_id);
	ck_assert_int_eq(it_count_labelled(engine, label), 0);
}

/* Create, start and wait for @cmd; returns the id (tracked) and the exit code. */
static char *run(const char *const *cmd, size_t cmd_len, int *exit_code)
{
	char *id = it_create(engine, cmd, cmd_len, 0, NULL);
	int rc;

	rc = ecs_container_start(engine, id);
	ck_assert_msg(rc == ECS_OK, "start: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	rc = ecs_container_wait(exit_code, engine, id, WAIT_MS, NULL);
	ck_assert_msg(rc == ECS_OK, "wait: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	return id;
}

static char *run_sh(const char *script, int *exit_code)
{
	const char *cmd[] = { "sh", "-c", script };

	return run(cmd, 3, exit_code);
}

static void logs(const char *id, ecs_buffer *out, ecs_buffer *err, size_t out_cap, size_t err_cap)
{
	int rc = ecs_container_logs(out, err, engine, id, out_cap, err_cap);

	ck_assert_msg(rc == ECS_OK, "logs: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_nonnull(out->data);
	ck_assert_ptr_nonnull(err->data);
}

START_TEST(test_container_create_sets_labels_and_limits)
{
	static const char *const cmd[] = { "sh", "-c", "exit 0" };
	static const char *const env[] = { "GREETING=hello world", "EMPTY=" };
	static const char *const caps[] = { "net_bind_service", "CAP_KILL" };
	static const char *const tmpfs[] = { "/scratch" };
	static const char *const own[] = { "team=api", "note=a=b", "empty=" };
	ecs_container_spec spec = ECS_CONTAINER_SPEC_INIT;
	ecs_sandbox_profile profile = ECS_SANDBOX_PROFILE_INIT;
	ecs_container_info info;
	json_object *doc, *config, *labels, *hc, *log, *log_config, *sec, *v;
	char *task_id = it_task_id("labels");
	char *id = NULL;
	time_t deadline = time(NULL) + 3600;
	int rc;

	spec.run.image = it_test_image();
	spec.run.cmd = cmd;
	spec.run.cmd_len = 3;
	spec.run.env = env;
	spec.run.env_len = 2;
	spec.task_id = task_id;
	spec.deadline = deadline;
	spec.run.labels = own;
	spec.run.labels_len = 3;
	profile.memory = 64 << 20;
	profile.nano_cpus = 500000000;
	profile.pids = 32;
	profile.nofile = 100;
	profile.tmp_size = 1 << 20;
	profile.cap_add = caps;
	profile.cap_add_len = 2;
	profile.tmpfs = tmpfs;
	profile.tmpfs_len = 1;
	profile.user = "65534:65534";
	spec.profile = &profile;
	rc = ecs_container_create(&id, engine, &spec);
	ck_assert_msg(rc == ECS_OK, "create: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	it_track_container(id);

	rc = ecs_container_inspect(&info, engine, id);
	ck_assert_msg(rc == ECS_OK, "inspect: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_str_eq(info.id, id);
	ck_assert_str_eq(info.status, "created");
	ck_assert_int_eq(info.running, 0);
	ck_assert_int_eq(strncmp(info.image_id, "sha256:", 7), 0);
	ck_assert_str_eq(info.task_id, task_id);
	ck_assert_int_eq((long long)info.deadline, (long long)deadline);
	ck_assert_msg(info.created > time(NULL) - 600 && info.created <= time(NULL) + 5,
			"created %lld is not about now", (long long)info.created);
	ecs_container_info_clear(&info);
	ck_assert_ptr_null(info.id);

	doc = raw_inspect(id);
	config = ecs_json_get_object(doc, "Config");
	labels = ecs_json_get_object(config, "Labels");
	ck_assert_str_eq(ecs_json_get_string(labels, ECS_LABEL_MANAGED), "true");
	ck_assert_str_eq(ecs_json_get_string(labels, ECS_LABEL_TASK_ID), task_id);
	ck_assert_str_eq(ecs_json_get_string(labels, "team"), "api");
	ck_assert_str_eq(ecs_json_get_string(labels, "note"), "a=b");
	ck_assert_str_eq(ecs_json_get_string(labels, "empty"), "");
	{
		char want[32];

		snprintf(want, sizeof(want), "%lld", (long long)deadline);
		ck_assert_str_eq(ecs_json_get_string(labels, ECS_LABEL_DEADLINE), want);
	}
	{
		int b = -1;

		ck_assert_int_eq(ecs_json_get_bool(config, "Tty", &b), 0);
		ck_assert_int_eq(b, 0);
		ck_assert_int_eq(ecs_json_get_bool(config, "OpenStdin", &b), 0);
		ck_assert_int_eq(b, 0);
	}
	hc = ecs_json_get_object(doc, "HostConfig");
	ck_assert_int_eq(get_int(hc, "Memory"), 64 << 20);
	ck_assert_int_eq(get_int(hc, "MemorySwap"), 64 << 20);
	ck_assert_int_eq(get_int(hc, "NanoCpus"), 500000000);
	ck_assert_int_eq(get_int(hc, "PidsLimit"), 32);
	ck_assert_str_eq(ecs_json_get_string(hc, "NetworkMode"), "none");
	ck_assert_str_eq(ecs_json_get_string(config, "User"), "65534:65534");
	{
		int b = -1;

		ck_assert_int_eq(ecs_json_get_bool(hc, "ReadonlyRootfs", &b), 0);
		ck_assert_int_eq(b, 1);
		ck_assert_int_eq(ecs_json_get_bool(hc, "Init", &b), 0);
		ck_assert_int_eq(b, 1);
	}
	ck_assert(json_object_object_get_ex(hc, "CapDrop", &v));
	ck_assert_int_eq(json_object_array_length(v), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)), "ALL");
	ck_assert(json_object_object_get_ex(hc, "CapAdd", &v));
	ck_assert_int_eq(json_object_array_length(v), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)), "CAP_NET_BIND_SERVICE");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 1)), "CAP_KILL");
	v = ecs_json_get_object(hc, "Tmpfs");
	ck_assert_str_eq(ecs_json_get_string(v, "/tmp"), "rw,exec,nosuid,nodev,size=1048576");
	ck_assert_str_eq(ecs_json_get_string(v, "/scratch"), "rw,exec,nosuid,nodev,size=1048576");
	ck_assert(json_object_object_get_ex(hc, "Ulimits", &v));
	ck_assert_int_eq(json_object_array_length(v), 1);
	ck_assert_str_eq(ecs_json_get_string(json_object_array_get_idx(v, 0), "Name"), "nofile");
	ck_assert_int_eq(get_int(json_object_array_get_idx(v, 0), "Soft"), 100);
	ck_assert_int_eq(get_int(json_object_array_get_idx(v, 0), "Hard"), 100);
	ck_assert(json_object_object_get_ex(hc, "SecurityOpt", &sec));
	ck_assert_int_eq(json_object_array_length(sec), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(sec, 0)), "no-new-privileges");
	log = ecs_json_get_object(hc, "LogConfig");
	ck_assert_str_eq(ecs_json_get_string(log, "Type"), "local");
	log_config = ecs_json_get_object(log, "Config");
	ck_assert_str_eq(ecs_json_get_string(log_config, "max-size"), "10m");
	ck_assert_str_eq(ecs_json_get_string(log_config, "max-file"), "1");
	json_object_put(doc);

	/* The env made it in, byte for byte. */
	{
		static const char *const show[] = { "sh", "-c", "printf '%s|%s' \"$GREETING\" \"$EMPTY\"" };
		ecs_buffer out, err;
		int code = -1;
		char *id2;

		spec.run.cmd = show;
		spec.run.cmd_len = 3;
		rc = ecs_container_create(&id2, engine, &spec);
		ck_assert_int_eq(rc, ECS_OK);
		it_track_container(id2);
		ck_assert_int_eq(ecs_container_start(engine, id2), ECS_OK);
		ck_assert_int_eq(ecs_container_wait(&code, engine, id2, WAIT_MS, NULL), ECS_OK);
		ck_assert_int_eq(code, 0);
		logs(id2, &out, &err, BIG_CAP, BIG_CAP);
		ck_assert_str_eq((char *)out.data, "hello world|");
		ecs_buffer_clear(&out);
		ecs_buffer_clear(&err);
		free(id2);
	}
	/* attach_output: the engine keeps no log (output comes from the attach stream). */
	{
		char *id3;
		int b = 0;

		spec.attach_output = 1;
		rc = ecs_container_create(&id3, engine, &spec);
		ck_assert_int_eq(rc, ECS_OK);
		it_track_container(id3);
		doc = raw_inspect(id3);
		hc = ecs_json_get_object(doc, "HostConfig");
		log = ecs_json_get_object(hc, "LogConfig");
		ck_assert_str_eq(ecs_json_get_string(log, "Type"), "none");
		config = ecs_json_get_object(doc, "Config");
		ck_assert_int_eq(ecs_json_get_bool(config, "AttachStdout", &b), 0);
		ck_assert_int_eq(b, 1);
		json_object_put(doc);
		free(id3);
	}
	free(id);
	free(task_id);
}
END_TEST

/* No profile is the safe default profile, not the engine's defaults. */
START_TEST(test_container_create_defaults_are_the_safe_profile)
{
	static const char *const cmd[] = { "true" };
	char *id = it_create(engine, cmd, 1, 1, NULL);
	json_object *doc = raw_inspect(id), *hc, *config, *v;
	int b = -1;

	hc = ecs_json_get_object(doc, "HostConfig");
	ck_assert_int_eq(get_int(hc, "Memory"), ECS_SANDBOX_DEFAULT_MEMORY);
	ck_assert_int_eq(get_int(hc, "MemorySwap"), ECS_SANDBOX_DEFAULT_MEMORY);
	ck_assert_int_eq(get_int(hc, "NanoCpus"), ECS_SANDBOX_DEFAULT_NANO_CPUS);
	ck_assert_int_eq(get_int(hc, "PidsLimit"), ECS_SANDBOX_DEFAULT_PIDS);
	ck_assert_str_eq(ecs_json_get_string(hc, "NetworkMode"), "none");
	ck_assert_int_eq(ecs_json_get_bool(hc, "ReadonlyRootfs", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(ecs_json_get_bool(hc, "Init", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert(json_object_object_get_ex(hc, "CapDrop", &v));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)), "ALL");
	ck_assert_str_eq(ecs_json_get_string(ecs_json_get_object(hc, "Tmpfs"), "/tmp"), "rw,exec,nosuid,nodev,size=67108864");
	config = ecs_json_get_object(doc, "Config");
	ck_assert_int_eq(ecs_json_get_bool(config, "OpenStdin", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(ecs_json_get_bool(config, "StdinOnce", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_ptr_null(ecs_json_get_string(ecs_json_get_object(config, "Labels"), ECS_LABEL_DEADLINE));
	json_object_put(doc);
	free(id);
}
END_TEST

/* Each bad spec is refused before any request, with a message naming the field. */
START_TEST(test_container_create_rejects_bad_specs)
{
	static const char *const cmd[] = { "true" };
	static const char *const null_arg[] = { "sh", NULL };
	ecs_container_spec good = ECS_CONTAINER_SPEC_INIT, spec;
	char *never = it_task_id("never");
	char *id = (char *)"untouched";

	good.run.image = it_test_image();
	good.run.cmd = cmd;
	good.run.cmd_len = 1;
	good.task_id = never;

#define REFUSED(field, value, words) do { \
		spec = good; \
		spec.field = value; \
		ck_assert_int_eq(ecs_container_create(&id, engine, &spec), ECS_EINVAL); \
		ck_assert_ptr_null(id); \
		ck_assert_msg(strstr(ecs_engine_errmsg(engine), words) != NULL, "errmsg \"%s\" lacks \"%s\"", \
				ecs_engine_errmsg(engine), words); \
	} while (0)

	REFUSED(run.image, NULL, "image");
	REFUSED(run.image, "", "image");
	REFUSED(run.cmd, NULL, "command");
	REFUSED(run.cmd_len, 0, "command");
	spec = good;
	spec.run.cmd = null_arg;
	spec.run.cmd_len = 2;
	ck_assert_int_eq(ecs_container_create(&id, engine, &spec), ECS_EINVAL);
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(engine), "command"));
	REFUSED(task_id, NULL, "task id");
	{
		ecs_sandbox_profile bad = ECS_SANDBOX_PROFILE_INIT;

		bad.memory = 0;
		REFUSED(profile, &bad, "memory");
		bad = (ecs_sandbox_profile)ECS_SANDBOX_PROFILE_INIT;
		bad.nano_cpus = -5;
		REFUSED(profile, &bad, "nano_cpus");
		bad = (ecs_sandbox_profile)ECS_SANDBOX_PROFILE_INIT;
		bad.pids = ECS_SANDBOX_PIDS_MAX + 1;
		REFUSED(profile, &bad, "pids");
	}
	REFUSED(run.env_len, 2, "env");
	REFUSED(version, 99, "version");
	REFUSED(version, 1, "version");
	{
		static const char *const reserved[] = { "ecs.task-id=forged" };
		static const char *const bare[] = { "team" };

		good.run.labels_len = 1;
		REFUSED(run.labels, reserved, "ecs.");
		REFUSED(run.labels, bare, "key=value");
		REFUSED(run.labels, NULL, "labels");
		good.run.labels_len = 0;
	}
#undef REFUSED
	ck_assert_int_eq(ecs_container_create(&id, engine, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_container_create(NULL, engine, &good), ECS_EINVAL);
	assert_none_with_task(never);
	free(never);
}
END_TEST

START_TEST(test_container_create_missing_image_is_not_found)
{
	static const char *const cmd[] = { "true" };
	ecs_container_spec spec = ECS_CONTAINER_SPEC_INIT;
	char *never = it_task_id("never");
	char *id = NULL;
	int rc;

	spec.run.image = "ecs/no-such-image:never";
	spec.run.cmd = cmd;
	spec.run.cmd_len = 1;
	spec.task_id = never;
	rc = ecs_container_create(&id, engine, &spec);
	ck_assert_msg(rc == ECS_ENOTFOUND, "create: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(engine), "no-such-image"));
	assert_none_with_task(never);
	free(never);
}
END_TEST

START_TEST(test_container_create_bad_memory_is_einval)
{
	static const char *const cmd[] = { "true" };
	ecs_container_spec spec = ECS_CONTAINER_SPEC_INIT;
	char *never = it_task_id("never");
	char *id = NULL;
	int rc;

	/* Below the engine's 6 MB minimum: refused by the profile's bounds, before the engine is asked. */
	ecs_sandbox_profile profile = ECS_SANDBOX_PROFILE_INIT;

	profile.memory = 1024;
	spec.run.image = it_test_image();
	spec.run.cmd = cmd;
	spec.run.cmd_len = 1;
	spec.task_id = never;
	spec.profile = &profile;
	rc = ecs_container_create(&id, engine, &spec);
	ck_assert_msg(rc == ECS_EINVAL, "create: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(strstr(ecs_engine_errmsg(engine), "memory"));
	assert_none_with_task(never);
	free(never);
}
END_TEST

START_TEST(test_container_exit_codes)
{
	int code = -1;

	free(run_sh("exit 0", &code));
	ck_assert_int_eq(code, 0);
	free(run_sh("exit 1", &code));
	ck_assert_int_eq(code, 1);
	/* A command the shell cannot find: the shell's own 127. */
	free(run_sh("nosuchcmd", &code));
	ck_assert_int_eq(code, 127);
	free(run_sh("exit 255", &code));
	ck_assert_int_eq(code, 255);
}
END_TEST

/*
 * Every profile runs an init (docker-init) as PID 1, which execs the command:
 * a missing executable is its exit 127 and message, as from a shell. A start
 * the engine itself refuses (a user the image lacks) is ECS_EENGINE.
 */
START_TEST(test_container_missing_executable_fails_start)
{
	static const char *const cmd[] = { "/bin/nosuchcmd" };
	static const char *const true_cmd[] = { "true" };
	ecs_container_spec spec = ECS_CONTAINER_SPEC_INIT;
	ecs_sandbox_profile profile = ECS_SANDBOX_PROFILE_INIT;
	ecs_container_info info;
	ecs_buffer out, err;
	char *task_id = it_task_id("nouser");
	char *id = it_create(engine, cmd, 1, 0, NULL);
	int code, rc;

	ck_assert_int_eq(ecs_container_start(engine, id), ECS_OK);
	code = -1;
	ck_assert_int_eq(ecs_container_wait(&code, engine, id, WAIT_MS, NULL), ECS_OK);
	ck_assert_int_eq(code, 127);
	logs(id, &out, &err, BIG_CAP, BIG_CAP);
	ck_assert_msg(err.data != NULL && strstr((char *)err.data, "nosuchcmd") != NULL, "stderr: %s",
		      err.data ? (char *)err.data : "");
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
	free(id);

	profile.user = "nosuchuser";
	spec.run.image = it_test_image();
	spec.run.cmd = true_cmd;
	spec.run.cmd_len = 1;
	spec.task_id = task_id;
	spec.profile = &profile;
	id = NULL;
	rc = ecs_container_create(&id, engine, &spec);
	ck_assert_msg(rc == ECS_OK, "create: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	it_track_container(id);
	free(task_id);
	rc = ecs_container_start(engine, id);
	ck_assert_msg(rc == ECS_EENGINE, "start: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_msg(strstr(ecs_engine_errmsg(engine), "nosuchuser") != NULL, "errmsg: %s", ecs_engine_errmsg(engine));
	ck_assert_int_eq(ecs_container_inspect(&info, engine, id), ECS_OK);
	ck_assert_int_eq(info.running, 0);
	ck_assert_str_eq(info.status, "created");
	ecs_container_info_clear(&info);
	free(id);
}
END_TEST

START_TEST(test_container_start_twice_is_ok)
{
	static const char *const cmd[] = { "sleep", "30" };
	char *id = it_create(engine, cmd, 2, 0, NULL);
	ecs_container_info info;

	ck_assert_int_eq(ecs_container_start(engine, id), ECS_OK);
	ck_assert_int_eq(ecs_container_start(engine, id), ECS_OK);
	ck_assert_int_eq(ecs_container_inspect(&info, engine, id), ECS_OK);
	ck_assert_int_eq(info.running, 1);
	ck_assert_str_eq(info.status, "running");
	ecs_container_info_clear(&info);
	ck_assert_int_eq(ecs_container_kill(engine, id, NULL), ECS_OK);
	free(id);
}
END_TEST

START_TEST(test_container_logs_keep_streams_apart)
{
	ecs_buffer out, err;
	int code = -1;
	char *id = run_sh("echo out1; echo err1 >&2; echo out2; echo err2 >&2; exit 3", &code);

	ck_assert_int_eq(code, 3);
	logs(id, &out, &err, BIG_CAP, BIG_CAP);
	ck_assert_str_eq((char *)out.data, "out1\nout2\n");
	ck_assert_uint_eq(out.len, 10);
	ck_assert_str_eq((char *)err.data, "err1\nerr2\n");
	ck_assert_int_eq(out.truncated, 0);
	ck_assert_int_eq(err.truncated, 0);
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
	ck_assert_ptr_null(out.data);
	free(id);
}
END_TEST

START_TEST(test_container_logs_are_byte_exact)
{
	static const unsigned char want[] = { 0xff, 0xfe, 0x00, 'a', 0x80, '\n', 0x01 };
	ecs_buffer out, err;
	int code = -1;
	char *id = run_sh("printf '\\377\\376\\000a\\200\\n\\001'; printf '\\377\\000' >&2", &code);

	ck_assert_int_eq(code, 0);
	logs(id, &out, &err, BIG_CAP, BIG_CAP);
	ck_assert_uint_eq(out.len, sizeof(want));
	ck_assert_mem_eq(out.data, want, sizeof(want));
	ck_assert_int_eq(out.data[out.len], 0);
	ck_assert_uint_eq(err.len, 2);
	ck_assert_mem_eq(err.data, "\377\000", 2);
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
	free(id);
}
END_TEST

START_TEST(test_container_logs_empty)
{
	ecs_buffer out, err;
	int code = -1;
	char *id = run_sh("true", &code);

	logs(id, &out, &err, BIG_CAP, BIG_CAP);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_uint_eq(err.len, 0);
	ck_assert_str_eq((char *)out.data, "");
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
	free(id);
}
END_TEST

START_TEST(test_container_logs_truncate_at_cap)
{
	ecs_buffer out, err;
	int code = -1;
	size_t i;
	/* 300000 bytes spans many 16 KiB frames of the "local" driver. */
	char *id = run_sh("yes abcdefghi | head -c 300000; echo tail >&2", &code);

	ck_assert_int_eq(code, 0);
	logs(id, &out, &err, 1000, BIG_CAP);
	ck_assert_uint_eq(out.len, 1000);
	ck_assert_int_eq(out.truncated, 1);
	for (i = 0; i < out.len; i++)
		ck_assert_int_eq(out.data[i], "abcdefghi\n"[i % 10]);
	ck_assert_str_eq((char *)err.data, "tail\n");
	ck_assert_int_eq(err.truncated, 0);
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);

	/* Under a big cap the whole output arrives. */
	logs(id, &out, &err, BIG_CAP, 2);
	ck_assert_uint_eq(out.len, 300000);
	ck_assert_int_eq(out.truncated, 0);
	ck_assert_uint_eq(err.len, 2);
	ck_assert_int_eq(err.truncated, 1);
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
	free(id);
}
END_TEST

START_TEST(test_container_wait_timeout_then_kill)
{
	static const char *const cmd[] = { "sleep", "60" };
	ecs_container_info info;
	char *id = it_create(engine, cmd, 2, 0, NULL);
	double t0;
	int code = -1, rc;

	ck_assert_int_eq(ecs_container_start(engine, id), ECS_OK);
	t0 = it_now_ms();
	rc = ecs_container_wait(&code, engine, id, 300, NULL);
	ck_assert_msg(rc == ECS_ETIMEDOUT, "wait: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_msg(it_now_ms() - t0 < 3000, "the timed-out wait took %.0f ms", it_now_ms() - t0);
	/* A timeout kills nothing. */
	ck_assert_int_eq(ecs_container_inspect(&info, engine, id), ECS_OK);
	ck_assert_int_eq(info.running, 1);
	ecs_container_info_clear(&info);

	rc = ecs_container_kill(engine, id, NULL);
	ck_assert_msg(rc == ECS_OK, "kill: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_int_eq(ecs_container_wait(&code, engine, id, WAIT_MS, NULL), ECS_OK);
	ck_assert_int_eq(code, 137);
	/* Killing a stopped container is not an error. */
	rc = ecs_container_kill(engine, id, "SIGTERM");
	ck_assert_msg(rc == ECS_OK, "second kill: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	free(id);
}
END_TEST

START_TEST(test_container_kill_with_signal)
{
	static const char *const cmd[] = { "sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done" };
	char *id = it_create(engine, cmd, 3, 0, NULL);
	int code = -1;

	ck_assert_int_eq(ecs_container_start(engine, id), ECS_OK);
	/* Give the shell time to set its trap. */
	usleep(300 * 1000);
	ck_assert_int_eq(ecs_container_kill(engine, id, "SIGTERM"), ECS_OK);
	ck_assert_int_eq(ecs_container_wait(&code, engine, id, WAIT_MS, NULL), ECS_OK);
	ck_assert_int_eq(code, 42);
	/* The engine checks the signal name before the state. */
	ck_assert_int_eq(ecs_container_kill(engine, id, "NOSUCHSIGNAL"), ECS_EINVAL);
	free(id);
}
END_TEST

static void *trigger_later(void *arg)
{
	usleep(300 * 1000);
	ecs_cancel_trigger(arg);
	return NULL;
}

START_TEST(test_container_wait_cancel)
{
	static const char *const cmd[] = { "sleep", "60" };
	char *id = it_create(engine, cmd, 2, 0, NULL);
	ecs_cancel *cancel = NULL;
	pthread_t thread;
	double t0;
	int code = -1, rc;

	ck_assert_int_eq(ecs_cancel_new(&cancel), ECS_OK);
	ck_assert_int_eq(ecs_container_start(engine, id), ECS_OK);
	ck_assert_int_eq(pthread_create(&thread, NULL, trigger_later, cancel), 0);
	t0 = it_now_ms();
	rc = ecs_container_wait(&code, engine, id, 0, cancel);
	ck_assert_msg(rc == ECS_ECANCELED, "wait: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_msg(it_now_ms() - t0 < 5000, "the cancelled wait took %.0f ms", it_now_ms() - t0);
	pthread_join(thread, NULL);
	/* The handle is still usable after an aborted request. */
	ck_assert_int_eq(ecs_container_kill(engine, id, NULL), ECS_OK);
	ck_assert_int_eq(ecs_container_wait(&code, engine, id, WAIT_MS, cancel), ECS_ECANCELED);
	ck_assert_int_eq(ecs_container_wait(&code, engine, id, WAIT_MS, NULL), ECS_OK);
	ck_assert_int_eq(code, 137);
	ecs_cancel_free(cancel);
	free(id);
}
END_TEST

START_TEST(test_container_delete_and_missing)
{
	static const char *const cmd[] = { "sleep", "60" };
	static const char *missing = "0000000000000000000000000000000000000000000000000000000000000bad";
	char *id = it_create(engine, cmd, 2, 0, NULL);
	ecs_container_info info;
	ecs_buffer out, err;
	int code = -1;

	ck_assert_int_eq(ecs_container_start(engine, id), ECS_OK);
	/* Forced: a running container goes too. */
	ck_assert_int_eq(ecs_container_delete(engine, id), ECS_OK);
	ck_assert_int_eq(ecs_container_inspect(&info, engine, id), ECS_ENOTFOUND);
	ck_assert_ptr_null(info.id);
	ck_assert_int_eq(ecs_container_delete(engine, id), ECS_ENOTFOUND);

	ck_assert_int_eq(ecs_container_start(engine, missing), ECS_ENOTFOUND);
	ck_assert_int_eq(ecs_container_kill(engine, missing, NULL), ECS_ENOTFOUND);
	ck_assert_int_eq(ecs_container_wait(&code, engine, missing, 1000, NULL), ECS_ENOTFOUND);
	ck_assert_int_eq(ecs_container_logs(&out, &err, engine, missing, 10, 10), ECS_ENOTFOUND);
	ck_assert_ptr_null(out.data);
	ck_assert_int_eq(ecs_container_send_stdin(engine, missing, "x", 1, 5000), ECS_ENOTFOUND);
	ck_assert_msg(strstr(ecs_engine_errmsg(engine), "No such container") != NULL ||
			strstr(ecs_engine_errmsg(engine), "no such container") != NULL,
			"errmsg: %s", ecs_engine_errmsg(engine));
	ck_assert_int_eq(ecs_container_delete(engine, ""), ECS_EINVAL);
	ck_assert_int_eq(ecs_container_start(engine, NULL), ECS_EINVAL);
	free(id);
}
END_TEST

START_TEST(test_container_list_filters_by_label)
{
	static const char *const cmd[] = { "true" };
	ecs_container_info *list = NULL;
	char *task_a = NULL, *task_b = NULL, *label = NULL;
	char *a = it_create(engine, cmd, 1, 0, &task_a);
	char *b = it_create(engine, cmd, 1, 0, &task_b);
	const char *filter[1];
	size_t count = 0, i;
	int seen_a = 0, seen_b = 0;

	ck_assert_int_ge(asprintf(&label, ECS_LABEL_TASK_ID "=%s", task_a), 0);
	filter[0] = label;
	ck_assert_int_eq(ecs_container_list(&list, &count, engine, filter, 1), ECS_OK);
	ck_assert_uint_eq(count, 1);
	ck_assert_str_eq(list[0].id, a);
	ck_assert_str_eq(list[0].task_id, task_a);
	ck_assert_str_eq(list[0].status, "created");
	ck_assert_int_eq(list[0].running, 0);
	ck_assert_msg(list[0].created > time(NULL) - 600, "created %lld", (long long)list[0].created);
	ecs_container_list_free(list, count);

	/* No filter: every managed container, ours among them. */
	ck_assert_int_eq(ecs_container_list(&list, &count, engine, NULL, 0), ECS_OK);
	for (i = 0; i < count; i++) {
		seen_a += strcmp(list[i].id, a) == 0;
		seen_b += strcmp(list[i].id, b) == 0;
	}
	ck_assert_int_eq(seen_a, 1);
	ck_assert_int_eq(seen_b, 1);
	ecs_container_list_free(list, count);

	/* A key-only filter, and one nobody matches. */
	filter[0] = ECS_LABEL_TASK_ID;
	ck_assert_int_eq(ecs_container_list(&list, &count, engine, filter, 1), ECS_OK);
	ck_assert_uint_ge(count, 2);
	ecs_container_list_free(list, count);
	filter[0] = ECS_LABEL_TASK_ID "=it-nobody-has-this \"quoted\" & odd";
	ck_assert_int_eq(ecs_container_list(&list, &count, engine, filter, 1), ECS_OK);
	ck_assert_uint_eq(count, 0);
	ck_assert_ptr_null(list);
	filter[0] = "";
	ck_assert_int_eq(ecs_container_list(&list, &count, engine, filter, 1), ECS_EINVAL);

	free(label);
	free(task_a);
	free(task_b);
	free(a);
	free(b);
}
END_TEST

/* Start an open-stdin container running @cmd, feed it @len bytes, wait. */
static char *feed(const char *const *cmd, size_t cmd_len, const void *data, size_t len, int *exit_code)
{
	char *id = it_create(engine, cmd, cmd_len, 1, NULL);
	int rc;

	ck_assert_int_eq(ecs_container_start(engine, id), ECS_OK);
	rc = ecs_container_send_stdin(engine, id, data, len, WAIT_MS);
	ck_assert_msg(rc == ECS_OK, "send_stdin: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	rc = ecs_container_wait(exit_code, engine, id, WAIT_MS, NULL);
	ck_assert_msg(rc == ECS_OK, "wait: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	return id;
}

START_TEST(test_container_stdin_round_trip)
{
	static const char *const cmd[] = { "cat" };
	static const unsigned char data[] = "hello\nworld\000\377\376 end";
	ecs_buffer out, err;
	int code = -1;
	char *id = feed(cmd, 1, data, sizeof(data) - 1, &code);

	ck_assert_int_eq(code, 0);
	logs(id, &out, &err, BIG_CAP, BIG_CAP);
	ck_assert_uint_eq(out.len, sizeof(data) - 1);
	ck_assert_mem_eq(out.data, data, sizeof(data) - 1);
	ck_assert_uint_eq(err.len, 0);
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
	free(id);
}
END_TEST

START_TEST(test_container_stdin_large)
{
	static const char *const cmd[] = { "cat" };
	size_t len = 200 * 1024, i;
	unsigned char *data = malloc(len);
	ecs_buffer out, err;
	int code = -1;
	char *id;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)((i * 131 + (i >> 8)) & 0xff);
	id = feed(cmd, 1, data, len, &code);
	ck_assert_int_eq(code, 0);
	logs(id, &out, &err, BIG_CAP, BIG_CAP);
	ck_assert_uint_eq(out.len, len);
	ck_assert_int_eq(memcmp(out.data, data, len), 0);
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
	free(data);
	free(id);
}
END_TEST

START_TEST(test_container_stdin_empty_gives_eof)
{
	static const char *const cmd[] = { "sh", "-c", "wc -c" };
	ecs_buffer out, err;
	int code = -1;
	char *id = feed(cmd, 3, NULL, 0, &code);

	ck_assert_int_eq(code, 0);
	logs(id, &out, &err, BIG_CAP, BIG_CAP);
	ck_assert_ptr_nonnull(strstr((char *)out.data, "0"));
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
	free(id);
}
END_TEST

START_TEST(test_container_stdin_unread)
{
	static const char *const exits[] = { "sh", "-c", "exit 5" };
	static const char *const partial[] = { "head", "-c", "5" };
	size_t len = 1024 * 1024;
	unsigned char *data = malloc(len);
	ecs_buffer out, err;
	double t0;
	int code = -1;
	char *id;

	ck_assert_ptr_nonnull(data);
	memset(data, 'z', len);
	memcpy(data, "first", 5);

	/* Exits at once without reading: the bytes go nowhere, and that is no error. */
	t0 = it_now_ms();
	id = feed(exits, 3, data, len, &code);
	ck_assert_int_eq(code, 5);
	ck_assert_msg(it_now_ms() - t0 < 10000, "took %.0f ms", it_now_ms() - t0);
	free(id);

	/* Reads a little, then exits with most of a megabyte unread. */
	t0 = it_now_ms();
	id = feed(partial, 3, data, len, &code);
	ck_assert_int_eq(code, 0);
	ck_assert_msg(it_now_ms() - t0 < 10000, "took %.0f ms", it_now_ms() - t0);
	logs(id, &out, &err, BIG_CAP, BIG_CAP);
	ck_assert_uint_eq(out.len, 5);
	ck_assert_mem_eq(out.data, "first", 5);
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
	free(id);
	free(data);
}
END_TEST

START_TEST(test_container_stdin_timeout)
{
	/* Never reads: a megabyte cannot all be taken, so the bound must fire. */
	static const char *const cmd[] = { "sleep", "60" };
	size_t len = 4 * 1024 * 1024;
	unsigned char *data = calloc(1, len);
	char *id = it_create(engine, cmd, 2, 1, NULL);
	double t0;
	int rc;

	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(ecs_container_start(engine, id), ECS_OK);
	t0 = it_now_ms();
	rc = ecs_container_send_stdin(engine, id, data, len, 1000);
	ck_assert_msg(rc == ECS_ETIMEDOUT, "send_stdin: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_msg(it_now_ms() - t0 < 4000, "took %.0f ms", it_now_ms() - t0);
	ck_assert_int_eq(ecs_container_kill(engine, id, NULL), ECS_OK);
	free(data);
	free(id);
}
END_TEST

static TCase *tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	return tc;
}

int main(void)
{
	Suite *s = suite_create("it_container");
	SRunner *sr;
	TCase *tc;
	int failed, left;

	it_global_init();

	tc = tcase("create");
	tcase_add_test(tc, test_container_create_sets_labels_and_limits);
	tcase_add_test(tc, test_container_create_defaults_are_the_safe_profile);
	tcase_add_test(tc, test_container_create_rejects_bad_specs);
	tcase_add_test(tc, test_container_create_missing_image_is_not_found);
	tcase_add_test(tc, test_container_create_bad_memory_is_einval);
	suite_add_tcase(s, tc);

	tc = tcase("lifecycle");
	tcase_add_test(tc, test_container_exit_codes);
	tcase_add_test(tc, test_container_missing_executable_fails_start);
	tcase_add_test(tc, test_container_start_twice_is_ok);
	tcase_add_test(tc, test_container_wait_timeout_then_kill);
	tcase_add_test(tc, test_container_kill_with_signal);
	tcase_add_test(tc, test_container_wait_cancel);
	tcase_add_test(tc, test_container_delete_and_missing);
	tcase_add_test(tc, test_container_list_filters_by_label);
	suite_add_tcase(s, tc);

	tc = tcase("logs");
	tcase_add_test(tc, test_container_logs_keep_streams_apart);
	tcase_add_test(tc, test_container_logs_are_byte_exact);
	tcase_add_test(tc, test_container_logs_empty);
	tcase_add_test(tc, test_container_logs_truncate_at_cap);
	suite_add_tcase(s, tc);

	tc = tcase("stdin");
	tcase_add_test(tc, test_container_stdin_round_trip);
	tcase_add_test(tc, test_container_stdin_large);
	tcase_add_test(tc, test_container_stdin_empty_gives_eof);
	tcase_add_test(tc, test_container_stdin_unread);
	tcase_add_test(tc, test_container_stdin_timeout);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	/* Whatever a failed test could not clean up goes now, and counts as a failure. */
	left = it_cleanup_run();
	if (left != 0) {
		fprintf(stderr, "it_container: %d container(s) of this run were left behind (%s)\n", left,
				left < 0 ? ecs_error_name(left) : "deleted now");
		failed++;
	}
	ecs_global_cleanup();
	return failed == 0 ? 0 : 1;
}
