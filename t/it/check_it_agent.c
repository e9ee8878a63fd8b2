/*
 * ecs-agent against the real engine: each test makes a pooled container of
 * the test image (the agent bind-mounted read-only as its entrypoint, started
 * ahead, read-only root, no capabilities, no network, log driver none, user
 * 65534, pids and memory limits), attaches, sends one task header and the
 * task's stdin, half-closes, and decodes the engine's stream with
 * agent/proto.c. Every container carries ecs.managed=true and a label of this
 * run; each test removes its own, main() whatever a failed test left.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "raw_client.h"
#include "tar.h"

#define TIMEOUT_MS 60000

static char label[64];
static const char *agent_path;

static char *container_as(const char *runtime, const char *env, const char *user)
{
	/* under runsc the sentry's threads count against the pids limit: at 64
	 * the sandbox itself dies (exit 2) mid-task; 256 leaves it room */
	ita_spec spec = { .agent = agent_path, .label = label, .runtime = runtime, .env = env, .user = user,
			  .pids_limit = runtime != NULL && strcmp(runtime, "runsc") == 0 ? 256 : 64 };
	char *id = ita_pool_container(&spec);

	ck_assert_msg(id != NULL, "pooled container: %s", ita_error());
	return id;
}

static char *container(const char *runtime, const char *env)
{
	return container_as(runtime, env, NULL);
}

static void run_raw_as(const char *runtime, const char *user, const unsigned char *hdr, size_t hdr_len,
		       const void *in, size_t in_len, ita_result *r)
{
	char *id = container_as(runtime, "ECS_IT_IMAGE_VAR=image", user);
	int fd = ita_attach(id);

	ck_assert_msg(fd >= 0, "attach: %s", ita_error());
	/* to EOF: nothing may follow the exit record, and the stream must end */
	ck_assert_msg(ita_run(fd, hdr, hdr_len, in, in_len, 1, TIMEOUT_MS, NULL, NULL, r) == 0, "run: %s",
		      ita_error());
	ck_assert_int_eq(ita_remove(id), 0);
	free(id);
	ck_assert_msg(r->proto_error == 0, "protocol error %d", r->proto_error);
	ck_assert_msg(r->exited, "no exit record");
	ck_assert_int_eq(r->trailing, 0);
	ck_assert_int_eq((long)r->raw_stderr, 0);
}

static void run_raw(const char *runtime, const unsigned char *hdr, size_t hdr_len, const void *in, size_t in_len,
		    ita_result *r)
{
	run_raw_as(runtime, NULL, hdr, hdr_len, in, in_len, r);
}

static void run_as(const char *runtime, const char *user, const char *const *argv, ita_result *r)
{
	size_t len;
	unsigned char *hdr = ita_header(&len, argv, NULL, NULL);

	ck_assert_ptr_nonnull(hdr);
	run_raw_as(runtime, user, hdr, len, NULL, 0, r);
	free(hdr);
}

static void run_in(const char *runtime, const char *const *argv, const char *const *env, const char *workdir,
		   const void *in, size_t in_len, ita_result *r)
{
	size_t len;
	unsigned char *hdr = ita_header(&len, argv, env, workdir);

	ck_assert_ptr_nonnull(hdr);
	run_raw(runtime, hdr, len, in, in_len, r);
	free(hdr);
}

static void run(const char *const *argv, ita_result *r)
{
	run_in(NULL, argv, NULL, NULL, NULL, 0, r);
}

static void assert_exited(const ita_result *r, int code)
{
	ck_assert_msg(r->exit.kind == ECS_AGENT_EXITED, "kind %u", r->exit.kind);
	ck_assert_int_eq(r->exit.code, code);
	ck_assert_int_eq(r->exit.signal, 0);
	ck_assert_msg(r->started, "no start record");
}

START_TEST(test_agent_exit_codes)
{
	const char *ok[] = { "true", NULL };
	const char *three[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	ita_result r;

	run(ok, &r);
	assert_exited(&r, 0);
	ck_assert_int_eq((long)r.out_len, 0);
	ck_assert_int_eq((long)r.err_len, 0);
	ck_assert_msg(!(r.exit.flags & ECS_AGENT_EXIT_OOM_UNKNOWN), "the memory cgroup's OOM counter is readable");
	ita_result_clear(&r);

	run(three, &r);
	assert_exited(&r, 3);
	ck_assert_str_eq((char *)r.out, "out\n");
	ck_assert_str_eq((char *)r.err, "err\n");
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_missing_command)
{
	const char *argv[] = { "no-such-command", "x", NULL };
	ita_result r;

	run(argv, &r);
	assert_exited(&r, 127);
	/* the agent's own line, the whole of stderr (every container has the agent now, not tini) */
	ck_assert_str_eq((char *)r.err, "ecs-agent: exec no-such-command: No such file or directory\n");
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_not_executable)
{
	/* a directory: found, but execve says EACCES, as for a file without x */
	const char *argv[] = { "/bin", NULL };
	ita_result r;

	run(argv, &r);
	assert_exited(&r, 126);
	ck_assert_str_eq((char *)r.err, "ecs-agent: exec /bin: Permission denied\n");
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_self_kill)
{
	const char *argv[] = { "sh", "-c", "kill -9 $$", NULL };
	ita_result r;

	run(argv, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_SIGNALED);
	ck_assert_int_eq(r.exit.signal, 9);
	ck_assert_int_eq(r.exit.code, 137);
	ck_assert_msg(!(r.exit.flags & ECS_AGENT_EXIT_OOM), "not an OOM kill");
	ita_result_clear(&r);
}
END_TEST

static void binary_case(const char *runtime)
{
	const char *argv[] = { "sh", "-c", "printf '\\377\\376\\000a\\000'; printf '\\000\\377x' >&2; exit 9", NULL };
	ita_result r;

	run_in(runtime, argv, NULL, NULL, NULL, 0, &r);
	assert_exited(&r, 9);
	ck_assert_int_eq((long)r.out_len, 5);
	ck_assert_mem_eq(r.out, "\377\376\000a\000", 5);
	ck_assert_int_eq((long)r.err_len, 3);
	ck_assert_mem_eq(r.err, "\000\377x", 3);
	ita_result_clear(&r);
}

START_TEST(test_agent_binary_output)
{
	binary_case(NULL);
}
END_TEST

START_TEST(test_agent_large_output)
{
	const char *argv[] = { "sh", "-c", "seq 1 1400000; echo end >&2", NULL };
	size_t cap = 11u << 20, len = 0;
	char *want = malloc(cap);
	ita_result r;

	ck_assert_ptr_nonnull(want);
	for (int i = 1; i <= 1400000; i++)
		len += (size_t)sprintf(want + len, "%d\n", i);
	run(argv, &r);
	assert_exited(&r, 0);
	ck_assert_uint_ge(len, 10u * 1000 * 1000);
	ck_assert_uint_eq(r.out_len, len);
	ck_assert_msg(memcmp(r.out, want, len) == 0, "10 MB of stdout differ");
	ck_assert_str_eq((char *)r.err, "end\n");
	free(want);
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_stdin)
{
	const char *count[] = { "sh", "-c", "cat | wc -c", NULL };
	const char *echo[] = { "cat", NULL };
	size_t n = 1u << 20;
	unsigned char *in = malloc(n);
	ita_result r;

	ck_assert_ptr_nonnull(in);
	for (size_t i = 0; i < n; i++)
		in[i] = (unsigned char)(i * 7 + i / 251);
	run_in(NULL, count, NULL, NULL, in, 100 * 1024, &r);
	assert_exited(&r, 0);
	ck_assert_str_eq((char *)r.out, "102400\n");
	ita_result_clear(&r);

	/* 1 MiB both ways at once: stdin is read while output is relayed */
	run_in(NULL, echo, NULL, NULL, in, n, &r);
	assert_exited(&r, 0);
	ck_assert_uint_eq(r.out_len, n);
	ck_assert_msg(memcmp(r.out, in, n) == 0, "stdin came back different");
	free(in);
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_env_and_workdir)
{
	const char *argv[] = { "sh", "-c", "pwd; echo \"$FOO|$ECS_IT_IMAGE_VAR|$EMPTY|\"; id -u", NULL };
	const char *env[] = { "FOO=bar baz", "ECS_IT_IMAGE_VAR=task", "EMPTY=", NULL };
	ita_result r;

	run_in(NULL, argv, env, "/bin", NULL, 0, &r);
	assert_exited(&r, 0);
	ck_assert_str_eq((char *)r.out, "/bin\nbar baz|task||\n65534\n");
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_bad_workdir)
{
	const char *argv[] = { "true", NULL };
	ita_result r;

	run_in(NULL, argv, NULL, "/no/such/dir", NULL, 0, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
	ck_assert_int_eq(r.exit.code, ENOENT);
	ck_assert_msg(!r.started, "the task did not run");
	ck_assert_ptr_nonnull(strstr((char *)r.msg, "working directory /no/such/dir"));
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_bad_header)
{
	static const unsigned char junk[12] = "GET / HTTP/1";
	ita_result r;

	run_raw(NULL, junk, sizeof(junk), NULL, 0, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
	ck_assert_int_eq(r.exit.code, EPROTO);
	ck_assert_ptr_nonnull(strstr((char *)r.msg, "bad request: protocol error"));
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_orphans)
{
	/* a background child outlives the task, and another keeps writing: the
	 * agent still reports and the container's stream still ends */
	const char *argv[] = { "sh", "-c", "sleep 1000 & (while :; do echo spam; done) & echo started; exit 4", NULL };
	ita_result r;

	run(argv, &r);
	assert_exited(&r, 4);
	ck_assert_ptr_nonnull(strstr((char *)r.out, "started\n"));
	ita_result_clear(&r);
}
END_TEST

/* the bytes of an EXIT frame saying "exited 99", as printf(1) octal escapes */
#define FORGED_EXIT "\\005\\000\\000\\000\\000\\000\\000\\014\\000\\000\\000\\000\\000\\000\\000\\143\\000\\000\\000\\000"

START_TEST(test_agent_cannot_forge_exit)
{
	const char *argv[] = { "sh", "-c", "printf '" FORGED_EXIT "'; printf '" FORGED_EXIT "' >&2; exit 7", NULL };
	const char *via_proc[] = { "sh", "-c",
				   "printf '" FORGED_EXIT "' >/proc/1/fd/1 || echo refused; "
				   "printf '" FORGED_EXIT "' >/proc/1/fd/2 || echo refused; exit 6",
				   NULL };
	static const unsigned char forged[20] = { 5, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 0 };
	ita_result r;

	run(argv, &r);
	assert_exited(&r, 7);
	ck_assert_uint_eq(r.out_len, sizeof(forged));
	ck_assert_mem_eq(r.out, forged, sizeof(forged));
	ck_assert_uint_eq(r.err_len, sizeof(forged));
	ck_assert_mem_eq(r.err, forged, sizeof(forged));
	ita_result_clear(&r);

	/* the agent is not dumpable: its fds are not the task's to open */
	run(via_proc, &r);
	assert_exited(&r, 6);
	ck_assert_str_eq((char *)r.out, "refused\nrefused\n");
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_oom)
{
	/* the shell holds 200 MB of x in a variable; the limit is 64 MiB */
	const char *argv[] = { "sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' x); echo survived", NULL };
	ita_result r;

	run(argv, &r);
	ck_assert_msg(r.exit.flags & ECS_AGENT_EXIT_OOM, "OOM reported (kind %u code %d)", r.exit.kind, r.exit.code);
	ck_assert_ptr_null(strstr(r.out ? (char *)r.out : "", "survived"));
	ita_result_clear(&r);
}
END_TEST

/*
 * Issue 22: the task runs as its own user, never the agent's (2147483646),
 * and cannot reach PID 1: not its fds, mem, oom_score_adj, nor a signal.
 * Under runsc a root task could open the agent's fd 1: the agent refuses it
 * (FAILED EPERM, the reader runs it cold).
 */
#define REACH_PID1                                                                                      \
	"printf '" FORGED_EXIT "' 2>/dev/null >/proc/1/fd/1 && echo fd1; "                             \
	"printf '" FORGED_EXIT "' 2>/dev/null >/proc/1/fd/2 && echo fd2; "                             \
	"(exec 3</proc/1/mem) 2>/dev/null && echo mem; "                                                \
	"echo 1000 2>/dev/null >/proc/1/oom_score_adj && echo oom; kill -9 1 2>/dev/null && echo kill; " \
	"id -u; grep -E '^Cap(Prm|Eff)' /proc/self/status; exit 5"

static void reach_case(const char *runtime, const char *user, const char *want_out)
{
	const char *argv[] = { "sh", "-c", REACH_PID1, NULL };
	ita_result r;

	run_as(runtime, user, argv, &r);
	if (want_out == NULL) {
		ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
		ck_assert_int_eq(r.exit.code, EPERM);
		ck_assert_msg(!r.started, "the task did not run");
		ck_assert_msg(r.msg != NULL && strstr((char *)r.msg, "runs cold") != NULL, "message: %s",
			      r.msg ? (char *)r.msg : "");
	} else {
		assert_exited(&r, 5);
		ck_assert_str_eq((char *)r.out, want_out);
	}
	ita_result_clear(&r);
}

#define NO_CAPS "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"

START_TEST(test_agent_task_cannot_reach_pid1)
{
	const char *argv[] = { "true", NULL };
	ita_result r;

	reach_case(NULL, "65534:65534", "65534\n" NO_CAPS);
	reach_case(NULL, "", "0\n" NO_CAPS);
	reach_case(NULL, "nobody", "65534\n" NO_CAPS);
	/* the agent's own uid is never the task's */
	run_as(NULL, "2147483646", argv, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
	ck_assert_int_eq(r.exit.code, EPERM);
	ck_assert_msg(strstr((char *)r.msg, "agent's own") != NULL, "message: %s", (char *)r.msg);
	ita_result_clear(&r);
	run_as(NULL, "nosuchuser", argv, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
	ck_assert_int_eq(r.exit.code, EPERM);
	ck_assert_msg(strstr((char *)r.msg, "unable to find user nosuchuser") != NULL, "message: %s", (char *)r.msg);
	ita_result_clear(&r);
}
END_TEST

typedef struct {
	const char *id;
	int status;
} kill_arg;

static void send_term(void *p)
{
	kill_arg *k = p;
	char path[256];

	snprintf(path, sizeof(path), "/containers/%s/kill?signal=TERM", k->id);
	k->status = ita_post(path);
}

START_TEST(test_agent_forwards_sigterm)
{
	const char *argv[] = { "sleep", "1000", NULL };
	char *id = container(NULL, NULL);
	kill_arg k = { .id = id };
	unsigned char *hdr;
	size_t len;
	ita_result r;
	int fd;

	hdr = ita_header(&len, argv, NULL, NULL);
	ck_assert_ptr_nonnull(hdr);
	fd = ita_attach(id);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ita_run(fd, hdr, len, NULL, 0, 1, TIMEOUT_MS, send_term, &k, &r), 0);
	free(hdr);
	ck_assert_int_eq(k.status, 204);
	ck_assert_msg(r.exited, "no exit record");
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_SIGNALED);
	ck_assert_int_eq(r.exit.signal, SIGTERM);
	ck_assert_int_eq(ita_remove(id), 0);
	free(id);
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_stop_while_waiting)
{
	/* a waiting pooled container stops on SIGTERM at once (143), not after
	 * the engine's 30 s grace and a SIGKILL (137) */
	char *id = container(NULL, NULL);
	char path[256], *body = NULL;

	snprintf(path, sizeof(path), "/containers/%s/stop?t=30", id);
	ck_assert_int_eq(ita_post(path), 204);
	snprintf(path, sizeof(path), "/containers/%s/json", id);
	ck_assert_int_eq(ita_get(path, &body), 200);
	ck_assert_msg(strstr(body, "\"ExitCode\":143") != NULL, "exit code 143 in %.300s", strstr(body, "\"State\""));
	free(body);
	ck_assert_int_eq(ita_remove(id), 0);
	free(id);
}
END_TEST


/* ---- protocol version 2: several requests on one stream */

typedef struct {
	char *id;
	ita_conn *c;
} v2_session;

static void v2_open(v2_session *v, const char *runtime, const char *user)
{
	v->id = container_as(runtime, NULL, user);
	v->c = ita_conn_open(v->id);
	ck_assert_msg(v->c != NULL, "attach: %s", ita_error());
}

/* Stdin ends between requests: the agent exits, the stream ends, nothing trails the last answer. */
static void v2_close(v2_session *v)
{
	ita_result r;

	ck_assert_msg(ita_conn_finish(v->c, TIMEOUT_MS, &r) == 0, "finish: %s", ita_error());
	ck_assert_int_eq(r.trailing, 0);
	ck_assert_int_eq(r.proto_error, 0);
	ita_result_clear(&r);
	ita_conn_close(v->c);
	ck_assert_int_eq(ita_remove(v->id), 0);
	free(v->id);
}

static void v2_send(v2_session *v, const ecs_agent_request *req, const void *data, size_t len,
		    void (*on_start)(void *), void *arg, ita_result *r)
{
	size_t n;
	unsigned char *b = ita_request(&n, req);

	ck_assert_ptr_nonnull(b);
	ck_assert_msg(ita_conn_request(v->c, b, n, data, len, TIMEOUT_MS, on_start, arg, r) == 0, "request: %s",
		      ita_error());
	free(b);
	ck_assert_msg(r->proto_error == 0, "protocol error %d", r->proto_error);
	ck_assert_msg(r->exited, "no exit record");
	ck_assert_int_eq((long)r->raw_stderr, 0);
}

static void v2_exec(v2_session *v, const char *script, const void *in, size_t in_len, uint32_t timeout_ms,
		    ita_result *r)
{
	char *argv[] = { "sh", "-c", (char *)script };
	ecs_agent_request req = { .kind = ECS_AGENT_REQ_EXEC, .argv = argv, .argc = 3, .timeout_ms = timeout_ms };

	v2_send(v, &req, in, in_len, NULL, NULL, r);
}

/* An exec whose stdout must be @want, exit 0. */
static void v2_expect(v2_session *v, const char *script, const char *want)
{
	ita_result r;

	v2_exec(v, script, NULL, 0, 0, &r);
	ck_assert_msg(r.exit.kind == ECS_AGENT_EXITED && r.exit.code == 0, "%s: kind %u code %d: %s%s", script,
		      r.exit.kind, (int)r.exit.code, r.err ? (char *)r.err : "", r.msg ? (char *)r.msg : "");
	ck_assert_str_eq(r.out ? (char *)r.out : "", want);
	ita_result_clear(&r);
}

static void v2_put(v2_session *v, const char *dir, const void *tar, size_t len, ita_result *r)
{
	ecs_agent_request req = { .kind = ECS_AGENT_REQ_PUT, .path = dir };

	v2_send(v, &req, tar, len, NULL, NULL, r);
}

static void v2_get(v2_session *v, const char *path, uint64_t limit, ita_result *r)
{
	ecs_agent_request req = { .kind = ECS_AGENT_REQ_GET, .path = path, .limit = limit };

	v2_send(v, &req, NULL, 0, NULL, NULL, r);
}

/* A refused PUT or GET: FAILED with @err, a message naming @path. */
static void assert_refused(ita_result *r, int err, const char *path)
{
	ck_assert_msg(r->exit.kind == ECS_AGENT_FAILED, "%s: kind %u code %d", path, r->exit.kind, (int)r->exit.code);
	ck_assert_msg(r->exit.code == err, "errno %d, not %d: %s", (int)r->exit.code, err, r->msg ? (char *)r->msg : "");
	ck_assert_msg(r->msg != NULL && strstr((char *)r->msg, path) != NULL, "message names %s: %s", path,
		      r->msg ? (char *)r->msg : "");
	ck_assert_msg(!r->started, "nothing ran");
	ita_result_clear(r);
}

/* A tar stream, built with agent/tar.c. */
typedef struct {
	unsigned char *p;
	size_t len;
} tarbuf;

static void tar_add(tarbuf *t, const char *name, unsigned type, unsigned mode, const void *data, size_t size)
{
	ecs_tar_entry e = { .name = name, .type = type, .mode = mode, .size = size, .real_size = size };
	unsigned char h[ECS_TAR_HEADER_MAX];
	size_t n;

	ck_assert_int_eq(ecs_tar_header(h, sizeof(h), &n, &e), 0);
	t->p = realloc(t->p, t->len + n + size + ECS_TAR_BLOCK + ECS_TAR_END_LEN);
	ck_assert_ptr_nonnull(t->p);
	memcpy(t->p + t->len, h, n);
	t->len += n;
	if (size > 0)
		memcpy(t->p + t->len, data, size);
	t->len += size;
	memset(t->p + t->len, 0, ecs_tar_pad(size));
	t->len += ecs_tar_pad(size);
}

/* Change the type byte of the header at @off (and its checksum): a symlink, a device, ... */
static void tar_retype(tarbuf *t, size_t off, char type, const char *link)
{
	unsigned char *h = t->p + off;
	unsigned sum = 0;

	h[156] = (unsigned char)type;
	if (link != NULL)
		snprintf((char *)h + 157, 100, "%s", link);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < ECS_TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static void tar_end(tarbuf *t)
{
	memset(t->p + t->len, 0, ECS_TAR_END_LEN);
	t->len += ECS_TAR_END_LEN;
}

/* The content of @name in a GET's tar stream (malloc'ed), its real size and whether it was cut. */
static unsigned char *tar_find(const ita_result *r, const char *name, size_t *len, uint64_t *real)
{
	ecs_tar_parser p;
	const unsigned char *b = r->data;
	size_t left = r->data_len, have = 0;
	unsigned char *out = NULL;
	int in = 0, found = 0;

	ecs_tar_parser_init(&p);
	for (;;) {
		ecs_tar_event ev;

		ck_assert_int_eq(ecs_tar_parse(&p, &b, &left, &ev), 0);
		if (ev.type == ECS_TAR_EV_NONE)
			break;
		if (ev.type == ECS_TAR_EV_ENTRY) {
			in = strcmp(ev.entry->name, name) == 0;
			if (in) {
				found = 1;
				*real = ev.entry->real_size;
				out = malloc(ev.entry->size + 1);
				ck_assert_ptr_nonnull(out);
			}
		} else if (ev.type == ECS_TAR_EV_DATA && in) {
			memcpy(out + have, ev.data, ev.len);
			have += ev.len;
		}
	}
	ck_assert_int_eq(ecs_tar_parse_finish(&p), 0);
	ck_assert_msg(found, "%s in the tar stream", name);
	*len = have;
	return out;
}

static void v2_state_case(const char *runtime, const char *user)
{
	static unsigned char big[300000];
	v2_session v;
	ita_result r;
	char script[128];
	const char *pid;

	v2_open(&v, runtime, user);
	/* what one exec writes under /tmp, the next sees */
	v2_expect(&v, "echo one > /tmp/state", "");
	v2_expect(&v, "cat /tmp/state; echo two >> /tmp/state", "one\n");
	v2_expect(&v, "cat /tmp/state", "one\ntwo\n");
	/* stdin framed in chunks, several of them, byte-exact; and the next request after it */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + (i >> 9));
	v2_exec(&v, "cat", big, sizeof(big), 0, &r);
	assert_exited(&r, 0);
	ck_assert_uint_eq(r.out_len, sizeof(big));
	ck_assert_mem_eq(r.out, big, sizeof(big));
	ita_result_clear(&r);
	/* a command that reads nothing of a large stdin: the rest is read and dropped, the stream stays in step */
	v2_exec(&v, "exit 2", big, sizeof(big), 0, &r);
	assert_exited(&r, 2);
	ita_result_clear(&r);
	v2_exec(&v, "read x; echo \"got $x\"", "y\n", 2, 0, &r);
	assert_exited(&r, 0);
	ck_assert_str_eq((char *)r.out, "got y\n");
	ita_result_clear(&r);
	/* a background process never outlives its exec */
	v2_exec(&v, "sleep 1000 & echo $!", NULL, 0, 0, &r);
	assert_exited(&r, 0);
	ck_assert_ptr_nonnull(r.out);
	pid = (char *)r.out;
	snprintf(script, sizeof(script), "kill -0 %.*s 2>/dev/null && echo alive || echo gone", (int)strcspn(pid, "\n"),
		 pid);
	ita_result_clear(&r);
	v2_expect(&v, script, "gone\n");
	{
		ecs_agent_request ping = { .kind = ECS_AGENT_REQ_PING };

		v2_send(&v, &ping, NULL, 0, NULL, NULL, &r);
		ck_assert_uint_eq(r.exit.kind, ECS_AGENT_EXITED);
		ck_assert_int_eq(r.exit.code, 0);
		ita_result_clear(&r);
	}
	v2_close(&v);
}

START_TEST(test_agent_v2_requests)
{
	v2_state_case(NULL, NULL);
}
END_TEST

static void v2_timeout_case(const char *runtime, const char *user)
{
	v2_session v;
	ita_result r;

	v2_open(&v, runtime, user);
	/* still running at the deadline: the agent's kill ends it, TIMED_OUT */
	v2_exec(&v, "exec sleep 5", NULL, 0, 500, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_SIGNALED);
	ck_assert_int_eq(r.exit.signal, SIGKILL);
	ck_assert_msg(r.exit.flags & ECS_AGENT_EXIT_TIMED_OUT, "flags 0x%x", r.exit.flags);
	ita_result_clear(&r);
	/* the clock stops when the command is reaped: a background child does not make it time out */
	v2_exec(&v, "sleep 1000 & exit 3", NULL, 0, 1000, &r);
	assert_exited(&r, 3);
	ck_assert_uint_eq(r.exit.flags & ECS_AGENT_EXIT_TIMED_OUT, 0);
	ita_result_clear(&r);
	v2_exec(&v, "true", NULL, 0, 5000, &r);
	assert_exited(&r, 0);
	ck_assert_uint_eq(r.exit.flags & ECS_AGENT_EXIT_TIMED_OUT, 0);
	ita_result_clear(&r);
	/* the user's case, at the edge: whichever came first, the answer is consistent with it */
	v2_exec(&v, "sleep 2; echo done", NULL, 0, 2000, &r);
	if (r.out_len > 0) {
		ck_assert_str_eq((char *)r.out, "done\n");
		assert_exited(&r, 0);
		ck_assert_uint_eq(r.exit.flags & ECS_AGENT_EXIT_TIMED_OUT, 0);
	} else {
		ck_assert_uint_eq(r.exit.kind, ECS_AGENT_SIGNALED);
		ck_assert_msg(r.exit.flags & ECS_AGENT_EXIT_TIMED_OUT, "flags 0x%x", r.exit.flags);
	}
	ita_result_clear(&r);
	v2_close(&v);
}

START_TEST(test_agent_v2_timeout)
{
	v2_timeout_case(NULL, NULL);
}
END_TEST

static void send_cancel(void *arg)
{
	unsigned char c[ECS_AGENT_CHUNK_HDR_LEN];

	ecs_agent_cancel_encode(c);
	ck_assert_int_eq(ita_conn_send(arg, c, sizeof(c)), 0);
}

START_TEST(test_agent_v2_cancel)
{
	char *argv[] = { "sh", "-c", "echo a; exec sleep 30" };
	ecs_agent_request req = { .kind = ECS_AGENT_REQ_EXEC, .argv = argv, .argc = 3, .timeout_ms = 60000 };
	v2_session v;
	ita_result r;

	v2_open(&v, NULL, NULL);
	v2_send(&v, &req, NULL, 0, send_cancel, v.c, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_SIGNALED);
	ck_assert_int_eq(r.exit.signal, SIGKILL);
	ck_assert_uint_eq(r.exit.flags & ECS_AGENT_EXIT_TIMED_OUT, 0);
	ita_result_clear(&r);
	/* the stream goes on */
	v2_expect(&v, "echo after", "after\n");
	/* a cancel that crosses the EXIT (sent after it) is dropped, once */
	send_cancel(v.c);
	v2_expect(&v, "echo still", "still\n");
	v2_close(&v);
}
END_TEST

static void v2_files_case(const char *runtime, const char *user)
{
	static unsigned char rnd[1 << 20];
	tarbuf t = { 0 };
	v2_session v;
	ita_result r;
	unsigned char *got;
	size_t got_len;
	uint64_t real;
	FILE *f = fopen("/dev/urandom", "rb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(rnd, 1, sizeof(rnd), f), sizeof(rnd));
	fclose(f);
	tar_add(&t, "d", ECS_TAR_DIR, 0750, NULL, 0);
	tar_add(&t, "d/bin", ECS_TAR_FILE, 0640, rnd, sizeof(rnd));
	tar_add(&t, "d/x.sh", ECS_TAR_FILE, 04755, "echo from-put\n", 14);
	/* a directory its owner may not write still takes its entries (its mode comes last) */
	tar_add(&t, "ro", ECS_TAR_DIR, 0555, NULL, 0);
	tar_add(&t, "ro/f", ECS_TAR_FILE, 0444, "r", 1);
	tar_end(&t);
	v2_open(&v, runtime, user);
	/* PUT makes the missing target, as the task's user, modes & 0777 */
	v2_put(&v, "/tmp/in/new", t.p, t.len, &r);
	ck_assert_msg(r.exit.kind == ECS_AGENT_EXITED && r.exit.code == 0, "PUT: %u %d %s", r.exit.kind,
		      (int)r.exit.code, r.msg ? (char *)r.msg : "");
	ita_result_clear(&r);
	v2_expect(&v, "stat -c '%a %u' /tmp/in/new/d /tmp/in/new/ro; "
		      "stat -c '%a %u %s' /tmp/in/new/d/bin /tmp/in/new/d/x.sh /tmp/in/new/ro/f; sh /tmp/in/new/d/x.sh",
		  "750 65534\n555 65534\n640 65534 1048576\n755 65534 14\n444 65534 1\nfrom-put\n");
	/* the next exec's output then GET: byte-exact, 1 MiB of random bytes */
	v2_get(&v, "/tmp/in/new/d/bin", ECS_AGENT_GET_LIMIT_DEFAULT, &r);
	ck_assert_msg(r.exit.kind == ECS_AGENT_EXITED && r.exit.code == 0, "GET: %s", r.msg ? (char *)r.msg : "");
	ck_assert_uint_eq(r.exit.flags & ECS_AGENT_EXIT_TRUNCATED, 0);
	got = tar_find(&r, "bin", &got_len, &real);
	ck_assert_uint_eq(got_len, sizeof(rnd));
	ck_assert_mem_eq(got, rnd, sizeof(rnd));
	free(got);
	ita_result_clear(&r);
	/* a directory, names relative to its parent; a cap cuts content and says so */
	v2_get(&v, "/tmp/in/new/d", 100, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_EXITED);
	ck_assert_msg(r.exit.flags & ECS_AGENT_EXIT_TRUNCATED, "flags 0x%x", r.exit.flags);
	got = tar_find(&r, "d/bin", &got_len, &real);
	ck_assert_uint_le(got_len, 100);
	ck_assert_uint_eq(real, sizeof(rnd));
	ck_assert_mem_eq(got, rnd, got_len);
	free(got);
	ita_result_clear(&r);
	/* what an exec writes, GET reads */
	v2_expect(&v, "printf 'made\\0by exec' > /tmp/out", "");
	v2_get(&v, "/tmp/out", ECS_AGENT_GET_LIMIT_DEFAULT, &r);
	got = tar_find(&r, "out", &got_len, &real);
	ck_assert_uint_eq(got_len, 12);
	ck_assert_mem_eq(got, "made\0by exec", 12);
	free(got);
	ita_result_clear(&r);
	/* missing: ENOENT, named */
	v2_get(&v, "/tmp/none", 10, &r);
	assert_refused(&r, ENOENT, "/tmp/none");
	free(t.p);
	v2_close(&v);
}

START_TEST(test_agent_v2_files)
{
	v2_files_case(NULL, NULL);
}
END_TEST

/* A PUT of one entry named @raw (as it is, not checked) of tar type @type: refused with @err, naming @named. */
static void put_entry_refused(v2_session *v, const char *dir, const char *raw, char type, const char *link, int err,
			      const char *named)
{
	tarbuf t = { 0 };
	ita_result r;

	tar_add(&t, "a", ECS_TAR_FILE, 0644, "x", 1);
	snprintf((char *)t.p, 100, "%s", raw);
	tar_retype(&t, 0, type, link);
	tar_end(&t);
	v2_put(v, dir, t.p, t.len, &r);
	assert_refused(&r, err, named);
	free(t.p);
}

/*
 * The attacks on confinement. None of this could be tried on version 1
 * (no PUT or GET); each control below shows the attack is real: the task's
 * user can write /outside, and the kernel follows the planted symlink
 * there, so a PUT that walked names as the kernel does would land outside.
 */
static void v2_attacks_case(const char *runtime, const char *user)
{
	static const struct {
		const char *path;
		int err;
	} targets[] = { { "/tmp/../outside", EINVAL }, { "/tmp/../../etc", EINVAL }, { "/outside", EXDEV },
			{ "/etc/x", EXDEV }, { "/tmp/l", ELOOP }, { "/tmp/l/sub", ELOOP } };
	tarbuf t = { 0 };
	v2_session v;
	ita_result r;

	tar_add(&t, "x", ECS_TAR_FILE, 0644, "x", 1);
	tar_end(&t);
	v2_open(&v, runtime, user);
	/* control: /outside is writable to the task, and a symlink to it works for the kernel */
	v2_expect(&v, "ln -s /outside /tmp/l && echo ctl > /tmp/l/ctl && cat /outside/ctl && rm /outside/ctl", "ctl\n");

	/* targets: "..", outside the roots, and through the planted symlink (as the target, and on the way) */
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		v2_put(&v, targets[i].path, t.p, t.len, &r);
		assert_refused(&r, targets[i].err, targets[i].path);
	}
	/* ... and as a tar entry's first component */
	put_entry_refused(&v, "/tmp", "l/x", '0', NULL, ELOOP, "l/x");
	/* a symlink at a file's place is refused, not followed */
	v2_expect(&v, "ln -s /outside/f /tmp/f", "");
	put_entry_refused(&v, "/tmp", "f", '0', NULL, ELOOP, "f");
	/* tar entries: '..', an absolute name, a symlink, a hard link, a device */
	put_entry_refused(&v, "/tmp/sub", "../../outside/dd", '0', NULL, EINVAL, "../../outside/dd");
	put_entry_refused(&v, "/tmp", "/outside/abs", '0', NULL, EINVAL, "/outside/abs");
	put_entry_refused(&v, "/tmp/sub2", "s", '2', "/outside", EINVAL, "\"s\"");
	put_entry_refused(&v, "/tmp/sub2", "h", '1', "/outside/x", EINVAL, "\"h\"");
	put_entry_refused(&v, "/tmp", "null", '3', NULL, EINVAL, "null");
	/* GET: outside the roots, and through the symlink */
	v2_get(&v, "/etc/passwd", 1000, &r);
	assert_refused(&r, EXDEV, "/etc/passwd");
	v2_get(&v, "/tmp/l", 1000, &r);
	assert_refused(&r, ELOOP, "/tmp/l");
	v2_get(&v, "/tmp/l/x", 1000, &r);
	assert_refused(&r, ELOOP, "/tmp/l/x");
	/* a directory's symlinks are left out of a GET */
	v2_expect(&v, "mkdir /tmp/g && echo in > /tmp/g/f && ln -s /outside /tmp/g/out", "");
	v2_get(&v, "/tmp/g", 1000, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_EXITED);
	ck_assert_ptr_null(memmem(r.data, r.data_len, "g/out", 5));
	ck_assert_ptr_nonnull(memmem(r.data, r.data_len, "g/f", 3));
	ita_result_clear(&r);
	/* nothing was written outside, and nothing through the symlinks */
	v2_expect(&v, "ls -A /outside; ls /tmp/sub 2>/dev/null; ls /tmp/l/", "");
	free(t.p);
	v2_close(&v);
}

START_TEST(test_agent_v2_attacks)
{
	v2_attacks_case(NULL, NULL);
}
END_TEST

START_TEST(test_agent_v1_reader_refused)
{
	/* a version 1 reader's header: a clean FAILED EPROTO record it understands, then the agent ends */
	const char *argv[] = { "true", NULL };
	ecs_agent_task t = { .argv = (char **)argv, .argc = 1 };
	unsigned char hdr[64];
	size_t len;
	ita_result r;

	ck_assert_int_eq(ecs_agent_header_encode(hdr, sizeof(hdr), &len, &t), 0);
	run_raw(NULL, hdr, len, NULL, 0, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
	ck_assert_int_eq(r.exit.code, EPROTO);
	ck_assert_msg(!r.started, "nothing ran");
	ita_result_clear(&r);
}
END_TEST

/* ---- the direct channel (agent/channel.c, PROTOCOL.md) */

/* A listener at @dir/a (@dir made 0711, the socket 0666: the agent has no capability over files). */
static int chan_listen(char *dir, size_t size)
{
	struct sockaddr_un sa;
	int fd;

	snprintf(dir, size, "/tmp/check_it_agent.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0711), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/a", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(chmod(sa.sun_path, 0666), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	return fd;
}

static void chan_unlisten(int fd, const char *dir)
{
	char sock[128];

	close(fd);
	snprintf(sock, sizeof(sock), "%s/a", dir);
	ck_assert_int_eq(unlink(sock), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}

/* The agent's connection (readiness: it connects as it starts), from the agent's own uid. */
static int chan_accept(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int c;

	ck_assert_msg(poll(&p, 1, TIMEOUT_MS) == 1, "the agent did not connect");
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len), 0);
	ck_assert_uint_eq(cred.uid, ECS_AGENT_UID);
	ck_assert_uint_eq(cred.gid, ECS_AGENT_UID);
	return c;
}

/* A PING on the channel: the answer comes back on it, bare frames (no engine headers), one EXIT. */
static void chan_ping(int c)
{
	ecs_agent_request req = { .kind = ECS_AGENT_REQ_PING };
	ecs_agent_decoder dec;
	unsigned char buf[4096];
	size_t n;
	unsigned char *b = ita_request(&n, &req);
	int exited = 0;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(write(c, b, n), (ssize_t)n);
	free(b);
	ecs_agent_decoder_init(&dec);
	while (!exited) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		const unsigned char *q = buf;
		ssize_t got;

		ck_assert_msg(poll(&p, 1, TIMEOUT_MS) == 1, "no answer on the channel");
		got = read(c, buf, sizeof(buf));
		ck_assert_int_gt(got, 0);
		n = (size_t)got;
		while (n > 0) {
			ecs_agent_event ev;

			ck_assert_int_eq(ecs_agent_decode(&dec, &q, &n, &ev), 0);
			if (ev.type == ECS_AGENT_EV_NONE)
				break;
			ck_assert_int_eq(ev.type, ECS_AGENT_EV_EXIT);
			ck_assert_int_eq(ev.exit.kind, ECS_AGENT_EXITED);
			ck_assert_int_eq(ev.exit.code, 0);
			ck_assert_uint_eq(n, 0);
			exited = 1;
		}
	}
}

/*
 * The agent connects to its channel at its start; then the first sign of
 * life decides. A reader that attached instead (the pool gave up waiting)
 * is answered on the attach stream, whether the channel stays silent or
 * ended first; a request on the channel is answered on it, and the
 * channel's end is then the agent's end, as stdin's is.
 */
START_TEST(test_agent_channel)
{
	for (int mode = 0; mode < 3; mode++) {
		char dir[64];
		int lfd = chan_listen(dir, sizeof(dir)), c;
		ita_spec spec = { .agent = agent_path, .label = label, .pids_limit = 64, .channel = dir };
		v2_session v;

		v.id = ita_pool_container(&spec);
		ck_assert_msg(v.id != NULL, "pooled container: %s", ita_error());
		c = chan_accept(lfd);
		if (mode == 2) {
			char path[128];

			chan_ping(c);
			chan_ping(c);
			ck_assert_int_eq(shutdown(c, SHUT_WR), 0);
			/* the agent exits at the channel's end: the container stops by itself */
			snprintf(path, sizeof(path), "/containers/%s/wait", v.id);
			ck_assert_int_eq(ita_post(path), 200);
			close(c);
			ck_assert_int_eq(ita_remove(v.id), 0);
			free(v.id);
		} else {
			if (mode == 1)
				close(c);
			v.c = ita_conn_open(v.id);
			ck_assert_msg(v.c != NULL, "attach: %s", ita_error());
			v2_expect(&v, "echo via-stdin", "via-stdin\n");
			v2_expect(&v, "echo again", "again\n");
			v2_close(&v);
			if (mode == 0)
				close(c);
		}
		chan_unlisten(lfd, dir);
	}
}
END_TEST

START_TEST(test_agent_runsc)
{
	const char *argv[] = { "sh", "-c", "dmesg | head -n 1; exit 5", NULL };
	char *info = NULL;
	ita_result r;

	ck_assert_int_eq(ita_get("/info", &info), 200);
	if (strstr(info, "\"runsc\"") == NULL) {
		fprintf(stderr, "check_it_agent: SKIP runsc cases: the engine has no runsc runtime registered\n");
		free(info);
		return;
	}
	free(info);
	run_in("runsc", argv, NULL, NULL, NULL, 0, &r);
	assert_exited(&r, 5);
	ck_assert_msg(strstr((char *)r.out, "gVisor") != NULL, "under gVisor: %s", r.out ? (char *)r.out : "");
	ita_result_clear(&r);
	binary_case("runsc");
	reach_case("runsc", "65534:65534", "65534\n" NO_CAPS);
	reach_case("runsc", "", NULL);
	/* version 2 under gVisor, for a non-root user (a root task's agent refuses there) */
	v2_state_case("runsc", "65534:65534");
	v2_timeout_case("runsc", "65534:65534");
	v2_files_case("runsc", "65534:65534");
	v2_attacks_case("runsc", "65534:65534");
}
END_TEST

static Suite *agent_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("agent");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_agent_exit_codes);
	tcase_add_test(tc, test_agent_missing_command);
	tcase_add_test(tc, test_agent_not_executable);
	tcase_add_test(tc, test_agent_self_kill);
	tcase_add_test(tc, test_agent_binary_output);
	tcase_add_test(tc, test_agent_large_output);
	tcase_add_test(tc, test_agent_stdin);
	tcase_add_test(tc, test_agent_env_and_workdir);
	tcase_add_test(tc, test_agent_bad_workdir);
	tcase_add_test(tc, test_agent_bad_header);
	tcase_add_test(tc, test_agent_orphans);
	tcase_add_test(tc, test_agent_cannot_forge_exit);
	tcase_add_test(tc, test_agent_oom);
	tcase_add_test(tc, test_agent_task_cannot_reach_pid1);
	tcase_add_test(tc, test_agent_forwards_sigterm);
	tcase_add_test(tc, test_agent_stop_while_waiting);
	tcase_add_test(tc, test_agent_v2_requests);
	tcase_add_test(tc, test_agent_v2_timeout);
	tcase_add_test(tc, test_agent_v2_cancel);
	tcase_add_test(tc, test_agent_v2_files);
	tcase_add_test(tc, test_agent_v2_attacks);
	tcase_add_test(tc, test_agent_v1_reader_refused);
	tcase_add_test(tc, test_agent_channel);
	suite_add_tcase(s, tc);
	/* its own case: CK_RUN_CASE=runsc runs it alone */
	tc = tcase_create("runsc");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_agent_runsc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed, left;

	agent_path = getenv("ECS_AGENT");
	if (agent_path == NULL || *agent_path == '\0')
		agent_path = ECS_AGENT_BUILT;
	snprintf(label, sizeof(label), "ecs.test=agent-it-%ld", (long)getpid());
	sr = srunner_create(agent_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* whatever a failed test left goes now; finding any is a failure of its own */
	left = ita_remove_labelled(label);
	if (left != 0) {
		fprintf(stderr, "check_it_agent: %d container(s) of this run were left behind (%s)\n", left,
			left < 0 ? ita_error() : "deleted now");
		failed++;
	}
	return failed == 0 ? 0 : 1;
}
