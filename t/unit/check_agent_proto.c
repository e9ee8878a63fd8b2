/*
 * Unit tests of agent/proto.c: the task header (encoder, prefix and body
 * parser) and the streaming decoder of the agent's frames.
 */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* ---- header */

static unsigned char *encode(size_t *len, char **argv, size_t argc, char **env, size_t envc, const char *wd)
{
	ecs_agent_task t = { .argv = argv, .argc = argc, .env = env, .envc = envc, .workdir = wd };
	unsigned char *buf;

	ck_assert_int_eq(ecs_agent_header_encode(NULL, 0, len, &t), ECS_AGENT_ETOOBIG);
	buf = malloc(*len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(ecs_agent_header_encode(buf, *len, len, &t), 0);
	return buf;
}

START_TEST(test_agent_proto_header_roundtrip)
{
	char *argv[] = { "sh", "-c", "echo \"$X\"", "" };
	char *env[] = { "X=1", "EMPTY=", "A=b=c" };
	ecs_agent_task t;
	size_t len, body_len;
	unsigned char *buf = encode(&len, argv, 4, env, 3, "/tmp/w d");

	ck_assert_mem_eq(buf, "ECSA\001\000\000\000", 8);
	ck_assert_int_eq(ecs_agent_prefix_parse(&body_len, buf), 0);
	ck_assert_uint_eq(body_len + ECS_AGENT_PREFIX_LEN, len);
	ck_assert_int_eq(ecs_agent_body_parse(&t, buf + ECS_AGENT_PREFIX_LEN, body_len), 0);
	ck_assert_uint_eq(t.argc, 4);
	ck_assert_str_eq(t.argv[0], "sh");
	ck_assert_str_eq(t.argv[2], "echo \"$X\"");
	ck_assert_str_eq(t.argv[3], "");
	ck_assert_ptr_null(t.argv[4]);
	ck_assert_uint_eq(t.envc, 3);
	ck_assert_str_eq(t.env[1], "EMPTY=");
	ck_assert_str_eq(t.env[2], "A=b=c");
	ck_assert_ptr_null(t.env[3]);
	ck_assert_str_eq(t.workdir, "/tmp/w d");
	ck_assert_int_eq(t.stdin_null, 0);
	ecs_agent_task_clear(&t);
	ck_assert_ptr_null(t.argv);
	ecs_agent_task_clear(&t); /* twice is fine */
	free(buf);
}
END_TEST

START_TEST(test_agent_proto_header_minimal)
{
	char *argv[] = { "true" };
	ecs_agent_task t;
	size_t len, body_len;
	unsigned char *buf = encode(&len, argv, 1, NULL, 0, NULL);

	/* prefix, then one field: tag 'A', length 5, "true\0" */
	ck_assert_uint_eq(len, 12 + 5 + 5);
	ck_assert_mem_eq(buf + 12, "A\000\000\000\005true\000", 10);
	ck_assert_int_eq(ecs_agent_prefix_parse(&body_len, buf), 0);
	ck_assert_int_eq(ecs_agent_body_parse(&t, buf + 12, body_len), 0);
	ck_assert_uint_eq(t.argc, 1);
	ck_assert_uint_eq(t.envc, 0);
	ck_assert_ptr_null(t.env[0]);
	ck_assert_ptr_null(t.workdir);
	ecs_agent_task_clear(&t);
	free(buf);
}
END_TEST

START_TEST(test_agent_proto_header_stdin_null)
{
	char *argv[] = { "cat" };
	ecs_agent_task t = { .argv = argv, .argc = 1, .stdin_null = 1 };
	unsigned char buf[64];
	size_t len, body_len;

	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, &t), 0);
	/* after argv's field: tag 'S', length 5, "null\0" */
	ck_assert_uint_eq(len, 12 + 9 + 10);
	ck_assert_mem_eq(buf + 21, "S\000\000\000\005null\000", 10);
	ck_assert_int_eq(ecs_agent_prefix_parse(&body_len, buf), 0);
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(ecs_agent_body_parse(&t, buf + 12, body_len), 0);
	ck_assert_int_eq(t.stdin_null, 1);
	ck_assert_str_eq(t.argv[0], "cat");
	ecs_agent_task_clear(&t);
}
END_TEST

START_TEST(test_agent_proto_encode_rejects)
{
	char *empty0[] = { "" };
	char *withnull[] = { "a", NULL };
	char *argv[] = { "a" };
	char *noeq[] = { "NAME" };
	char *noname[] = { "=v" };
	ecs_agent_task t = { .argv = argv, .argc = 0 };
	unsigned char buf[256];
	size_t len;

	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, NULL), ECS_AGENT_EINVAL);
	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.argv = empty0, t.argc = 1;
	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.argv = withnull, t.argc = 2;
	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.argv = argv, t.argc = 1, t.env = noeq, t.envc = 1;
	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.env = noname;
	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.env = NULL;
	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.envc = 0, t.workdir = "relative";
	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.workdir = "/ok";
	ck_assert_int_eq(ecs_agent_header_encode(buf, 10, &len, &t), ECS_AGENT_ETOOBIG);
	ck_assert_uint_eq(len, 12 + 7 + 9);
	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, &t), 0);
}
END_TEST

START_TEST(test_agent_proto_bounds)
{
	size_t n = ECS_AGENT_ARGV_MAX + 1, len, body_len;
	char **argv = malloc(n * sizeof(char *));
	ecs_agent_task t = { .argv = argv, .argc = n };
	unsigned char *buf;
	size_t i;

	ck_assert_ptr_nonnull(argv);
	for (i = 0; i < n; i++)
		argv[i] = "x";
	ck_assert_int_eq(ecs_agent_header_encode(NULL, 0, &len, &t), ECS_AGENT_ETOOBIG);
	/* the parser enforces the same bound on a header someone else made */
	t.argc = ECS_AGENT_ARGV_MAX;
	buf = encode(&len, argv, ECS_AGENT_ARGV_MAX, NULL, 0, NULL);
	buf = realloc(buf, len + 7);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf + len, "A\000\000\000\002x\000", 7);
	ck_assert_int_eq(ecs_agent_body_parse(&t, buf + 12, len + 7 - 12), ECS_AGENT_ETOOBIG);
	ecs_agent_task_clear(&t);
	ck_assert_int_eq(ecs_agent_body_parse(&t, buf + 12, len - 12), 0);
	ck_assert_uint_eq(t.argc, ECS_AGENT_ARGV_MAX);
	ecs_agent_task_clear(&t);
	free(buf);
	free(argv);

	/* body length over the bound */
	ck_assert_int_eq(ecs_agent_prefix_parse(&body_len, (const unsigned char *)"ECSA\001\000\000\000\000\020\000\001"),
			 ECS_AGENT_ETOOBIG);
	ck_assert_int_eq(ecs_agent_prefix_parse(&body_len, (const unsigned char *)"ECSA\001\000\000\000\000\020\000\000"), 0);
	ck_assert_uint_eq(body_len, ECS_AGENT_BODY_MAX);
}
END_TEST

START_TEST(test_agent_proto_prefix_rejects)
{
	size_t n = 99;

	ck_assert_int_eq(ecs_agent_prefix_parse(&n, (const unsigned char *)"ECSB\001\000\000\000\000\000\000\001"),
			 ECS_AGENT_EPROTO);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ecs_agent_prefix_parse(&n, (const unsigned char *)"ECSA\002\000\000\000\000\000\000\001"),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(ecs_agent_prefix_parse(&n, (const unsigned char *)"ECSA\001\000\001\000\000\000\000\001"),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(ecs_agent_prefix_parse(&n, (const unsigned char *)"ECSA\001\000\000\000\000\000\000\001"), 0);
	ck_assert_uint_eq(n, 1);
}
END_TEST

static int parse(const char *body, size_t len)
{
	ecs_agent_task t;
	int rc = ecs_agent_body_parse(&t, (const unsigned char *)body, len);

	ecs_agent_task_clear(&t);
	return rc;
}
#define PARSE(lit) parse(lit, sizeof(lit) - 1)

START_TEST(test_agent_proto_body_rejects)
{
	ck_assert_int_eq(PARSE(""), ECS_AGENT_EPROTO);                              /* no argv */
	ck_assert_int_eq(PARSE("A\000\000\000"), ECS_AGENT_EPROTO);                  /* cut field header */
	ck_assert_int_eq(PARSE("A\000\000\000\000"), ECS_AGENT_EPROTO);              /* zero length */
	ck_assert_int_eq(PARSE("A\000\000\000\003ab"), ECS_AGENT_EPROTO);            /* value past the end */
	ck_assert_int_eq(PARSE("A\000\000\000\002ab"), ECS_AGENT_EPROTO);            /* no NUL */
	ck_assert_int_eq(PARSE("A\000\000\000\003a\000\000"), ECS_AGENT_EPROTO);     /* inner NUL */
	ck_assert_int_eq(PARSE("A\000\000\000\001\000"), ECS_AGENT_EPROTO);          /* empty argv[0] */
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000Z\000\000\000\002z\000"), ECS_AGENT_EPROTO); /* tag */
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000E\000\000\000\002X\000"), ECS_AGENT_EPROTO); /* no = */
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000E\000\000\000\003=x\000"), ECS_AGENT_EPROTO); /* no name */
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000W\000\000\000\002w\000"), ECS_AGENT_EPROTO); /* relative */
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000W\000\000\000\002/\000W\000\000\000\002/\000"),
			 ECS_AGENT_EPROTO); /* two workdirs */
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000S\000\000\000\005none\000"), ECS_AGENT_EPROTO); /* not null */
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000S\000\000\000\005null\000S\000\000\000\005null\000"),
			 ECS_AGENT_EPROTO); /* two */
	ck_assert_int_eq(PARSE("E\000\000\000\004X=1\000"), ECS_AGENT_EPROTO);      /* env only */
	/* order is free: env and workdir may come first, an empty later arg is fine */
	ck_assert_int_eq(PARSE("W\000\000\000\002/\000E\000\000\000\004X=1\000A\000\000\000\002a\000A\000\000\000\001\000"),
			 0);
}
END_TEST

/* ---- decoder */

typedef struct {
	unsigned char out[256], err[256], msg[256];
	size_t out_len, err_len, msg_len;
	int starts, exits;
	ecs_agent_start start;
	ecs_agent_exit exit;
	int rc;
} collected;

static void feed(ecs_agent_decoder *d, collected *c, const unsigned char *p, size_t n)
{
	for (;;) {
		ecs_agent_event ev;
		int rc = ecs_agent_decode(d, &p, &n, &ev);

		if (rc != 0) {
			c->rc = rc;
			return;
		}
		if (ev.type == ECS_AGENT_EV_NONE) {
			ck_assert_uint_eq(n, 0);
			return;
		}
		if (ev.type == ECS_AGENT_EV_START) {
			c->starts++;
			c->start = ev.start;
		} else if (ev.type == ECS_AGENT_EV_EXIT) {
			c->exits++;
			c->exit = ev.exit;
		} else {
			unsigned char *dst = ev.stream == 1 ? c->out : ev.stream == 2 ? c->err : c->msg;
			size_t *l = ev.stream == 1 ? &c->out_len : ev.stream == 2 ? &c->err_len : &c->msg_len;

			ck_assert_uint_le(*l + ev.len, 256);
			memcpy(dst + *l, ev.data, ev.len);
			*l += ev.len;
		}
	}
}

static size_t frame(unsigned char *p, unsigned type, const void *payload, size_t len)
{
	ecs_agent_frame_header(p, type, (uint32_t)len);
	memcpy(p + 8, payload, len);
	return 8 + len;
}

/* A whole session: START, interleaved data, a message, an empty frame, EXIT. */
static size_t session(unsigned char *buf)
{
	unsigned char rec[ECS_AGENT_EXIT_LEN];
	ecs_agent_start s = { .version = 1, .pid = 0x01020304 };
	ecs_agent_exit x = { .kind = ECS_AGENT_SIGNALED, .flags = ECS_AGENT_EXIT_OOM, .code = 137, .signal = 9 };
	size_t n = 0;

	ecs_agent_start_encode(rec, &s);
	n += frame(buf + n, ECS_AGENT_FRAME_START, rec, ECS_AGENT_START_LEN);
	n += frame(buf + n, ECS_AGENT_FRAME_STDOUT, "\377\376\000", 3);
	n += frame(buf + n, ECS_AGENT_FRAME_STDERR, "err", 3);
	n += frame(buf + n, ECS_AGENT_FRAME_STDOUT, "", 0);
	n += frame(buf + n, ECS_AGENT_FRAME_MESSAGE, "note", 4);
	n += frame(buf + n, ECS_AGENT_FRAME_STDOUT, "more", 4);
	ecs_agent_exit_encode(rec, &x);
	n += frame(buf + n, ECS_AGENT_FRAME_EXIT, rec, ECS_AGENT_EXIT_LEN);
	return n;
}

static void check_session(const collected *c)
{
	ck_assert_int_eq(c->rc, 0);
	ck_assert_int_eq(c->starts, 1);
	ck_assert_uint_eq(c->start.version, 1);
	ck_assert_uint_eq(c->start.pid, 0x01020304);
	ck_assert_uint_eq(c->out_len, 7);
	ck_assert_mem_eq(c->out, "\377\376\000more", 7);
	ck_assert_uint_eq(c->err_len, 3);
	ck_assert_uint_eq(c->msg_len, 4);
	ck_assert_int_eq(c->exits, 1);
	ck_assert_uint_eq(c->exit.kind, ECS_AGENT_SIGNALED);
	ck_assert_uint_eq(c->exit.flags, ECS_AGENT_EXIT_OOM);
	ck_assert_int_eq(c->exit.code, 137);
	ck_assert_int_eq(c->exit.signal, 9);
}

START_TEST(test_agent_proto_decode_session)
{
	unsigned char buf[512];
	size_t n = session(buf);
	ecs_agent_decoder d;
	collected c = { 0 };

	ecs_agent_decoder_init(&d);
	ck_assert_int_eq(ecs_agent_decode_finish(&d), ECS_AGENT_EPROTO);
	feed(&d, &c, buf, n);
	check_session(&c);
	ck_assert_int_eq(ecs_agent_decode_finish(&d), 0);
}
END_TEST

START_TEST(test_agent_proto_decode_split)
{
	/* every split point, and byte by byte: the same events */
	unsigned char buf[512];
	size_t n = session(buf), cut, i;

	for (cut = 0; cut <= n; cut++) {
		ecs_agent_decoder d;
		collected c = { 0 };

		ecs_agent_decoder_init(&d);
		feed(&d, &c, buf, cut);
		feed(&d, &c, buf + cut, n - cut);
		check_session(&c);
	}
	{
		ecs_agent_decoder d;
		collected c = { 0 };

		ecs_agent_decoder_init(&d);
		for (i = 0; i < n; i++)
			feed(&d, &c, buf + i, 1);
		check_session(&c);
	}
}
END_TEST

static int decode_all(const unsigned char *p, size_t n, collected *c)
{
	ecs_agent_decoder d;

	memset(c, 0, sizeof(*c));
	ecs_agent_decoder_init(&d);
	feed(&d, c, p, n);
	return c->rc;
}

START_TEST(test_agent_proto_decode_rejects)
{
	unsigned char buf[512], rec[ECS_AGENT_RECORD_MAX + 1] = { 0 };
	collected c;
	size_t n;
	ecs_agent_decoder d;
	const unsigned char *p;
	ecs_agent_event ev;

	/* unknown type, padding, oversize data frame */
	ck_assert_int_eq(decode_all((const unsigned char *)"\006\000\000\000\000\000\000\000", 8, &c), ECS_AGENT_EPROTO);
	ck_assert_int_eq(decode_all((const unsigned char *)"\000\000\000\000\000\000\000\000", 8, &c), ECS_AGENT_EPROTO);
	ck_assert_int_eq(decode_all((const unsigned char *)"\001\001\000\000\000\000\000\001x", 9, &c), ECS_AGENT_EPROTO);
	ecs_agent_frame_header(buf, 1, ECS_AGENT_DATA_MAX + 1);
	ck_assert_int_eq(decode_all(buf, 8, &c), ECS_AGENT_EPROTO);
	ecs_agent_frame_header(buf, 1, ECS_AGENT_DATA_MAX);
	ck_assert_int_eq(decode_all(buf, 8, &c), 0);
	/* records: too short, too long, unknown kind, a second START */
	ck_assert_int_eq(decode_all(buf, frame(buf, ECS_AGENT_FRAME_EXIT, rec, ECS_AGENT_EXIT_LEN - 1), &c),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(decode_all(buf, frame(buf, ECS_AGENT_FRAME_EXIT, rec, ECS_AGENT_RECORD_MAX + 1), &c),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(decode_all(buf, frame(buf, ECS_AGENT_FRAME_START, rec, ECS_AGENT_START_LEN - 1), &c),
			 ECS_AGENT_EPROTO);
	rec[0] = 3;
	ck_assert_int_eq(decode_all(buf, frame(buf, ECS_AGENT_FRAME_EXIT, rec, ECS_AGENT_EXIT_LEN), &c),
			 ECS_AGENT_EPROTO);
	rec[0] = 0;
	n = frame(buf, ECS_AGENT_FRAME_START, rec, ECS_AGENT_START_LEN);
	n += frame(buf + n, ECS_AGENT_FRAME_START, rec, ECS_AGENT_START_LEN);
	ck_assert_int_eq(decode_all(buf, n, &c), ECS_AGENT_EPROTO);
	ck_assert_int_eq(c.starts, 1);

	/* a longer record from a newer agent: the known fields are read */
	rec[7] = 42;
	ck_assert_int_eq(decode_all(buf, frame(buf, ECS_AGENT_FRAME_EXIT, rec, ECS_AGENT_RECORD_MAX), &c), 0);
	ck_assert_int_eq(c.exits, 1);
	ck_assert_int_eq(c.exit.code, 42);

	/* anything after EXIT, and the error sticks */
	n = frame(buf, ECS_AGENT_FRAME_EXIT, rec, ECS_AGENT_EXIT_LEN);
	buf[n++] = 1;
	ecs_agent_decoder_init(&d);
	memset(&c, 0, sizeof(c));
	feed(&d, &c, buf, n);
	ck_assert_int_eq(c.rc, ECS_AGENT_EPROTO);
	ck_assert_int_eq(c.exits, 1);
	ck_assert_int_eq(ecs_agent_decode_finish(&d), ECS_AGENT_EPROTO);
	p = buf;
	n = 0;
	ck_assert_int_eq(ecs_agent_decode(&d, &p, &n, &ev), ECS_AGENT_EPROTO);

	/* the stream ended inside a frame */
	ecs_agent_decoder_init(&d);
	memset(&c, 0, sizeof(c));
	n = frame(buf, ECS_AGENT_FRAME_STDOUT, "abc", 3);
	feed(&d, &c, buf, n - 1);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_int_eq(ecs_agent_decode_finish(&d), ECS_AGENT_EPROTO);
}
END_TEST

START_TEST(test_agent_proto_strerror)
{
	ck_assert_str_eq(ecs_agent_strerror(0), "success");
	ck_assert_str_eq(ecs_agent_strerror(ECS_AGENT_EPROTO), "protocol error");
	ck_assert_str_eq(ecs_agent_strerror(ECS_AGENT_ETOOBIG), "over a protocol bound");
	ck_assert_str_eq(ecs_agent_strerror(ECS_AGENT_ENOMEM), "out of memory");
	ck_assert_str_eq(ecs_agent_strerror(ECS_AGENT_EINVAL), "invalid task");
	ck_assert_str_eq(ecs_agent_strerror(-1000), "unknown error");
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("agent_proto");
	TCase *tc = tcase_create("agent_proto");

	tcase_add_test(tc, test_agent_proto_header_roundtrip);
	tcase_add_test(tc, test_agent_proto_header_minimal);
	tcase_add_test(tc, test_agent_proto_header_stdin_null);
	tcase_add_test(tc, test_agent_proto_encode_rejects);
	tcase_add_test(tc, test_agent_proto_bounds);
	tcase_add_test(tc, test_agent_proto_prefix_rejects);
	tcase_add_test(tc, test_agent_proto_body_rejects);
	tcase_add_test(tc, test_agent_proto_decode_session);
	tcase_add_test(tc, test_agent_proto_decode_split);
	tcase_add_test(tc, test_agent_proto_decode_rejects);
	tcase_add_test(tc, test_agent_proto_strerror);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
