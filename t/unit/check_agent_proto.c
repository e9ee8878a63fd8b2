/*
 * Unit tests of agent/proto.c, protocol version 2: the requests (encoder,
 * prefix and body parser), the agent's streaming reader of its stdin
 * (requests, chunks, cancel, EOF), and the streaming decoder of the agent's
 * frames across several answers.
 */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* ---- requests */

static unsigned char *encode_req(size_t *len, const ecs_agent_request *r)
{
	unsigned char *buf;

	ck_assert_int_eq(ecs_agent_request_encode(NULL, 0, len, r), ECS_AGENT_ETOOBIG);
	buf = malloc(*len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(ecs_agent_request_encode(buf, *len, len, r), 0);
	return buf;
}

static unsigned char *encode(size_t *len, char **argv, size_t argc, char **env, size_t envc, const char *wd)
{
	ecs_agent_request r = { .kind = ECS_AGENT_REQ_EXEC, .argv = argv, .argc = argc, .env = env, .envc = envc,
				.workdir = wd };

	return encode_req(len, &r);
}

/* Prefix and body of an encoded request, parsed. */
static int parse_req(ecs_agent_request *r, const unsigned char *buf, size_t len)
{
	size_t body_len;
	unsigned kind;
	int rc = ecs_agent_prefix_parse(&kind, &body_len, buf);

	memset(r, 0, sizeof(*r));
	if (rc != 0)
		return rc;
	ck_assert_uint_eq(body_len + ECS_AGENT_PREFIX_LEN, len);
	return ecs_agent_body_parse(r, kind, buf + ECS_AGENT_PREFIX_LEN, body_len);
}

START_TEST(test_agent_proto_exec_roundtrip)
{
	char *argv[] = { "sh", "-c", "echo \"$X\"", "" };
	char *env[] = { "X=1", "EMPTY=", "A=b=c" };
	ecs_agent_request r = { .kind = ECS_AGENT_REQ_EXEC, .argv = argv, .argc = 4, .env = env, .envc = 3,
				.workdir = "/tmp/w d", .timeout_ms = 2000 };
	ecs_agent_request t;
	size_t len;
	unsigned char *buf = encode_req(&len, &r);

	ck_assert_mem_eq(buf, "ECSA\002\001\000\000", 8);
	ck_assert_int_eq(parse_req(&t, buf, len), 0);
	ck_assert_uint_eq(t.kind, ECS_AGENT_REQ_EXEC);
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
	ck_assert_uint_eq(t.timeout_ms, 2000);
	ecs_agent_request_clear(&t);
	ck_assert_ptr_null(t.argv);
	ecs_agent_request_clear(&t); /* twice is fine */
	free(buf);
}
END_TEST

START_TEST(test_agent_proto_exec_minimal)
{
	char *argv[] = { "true" };
	ecs_agent_request t;
	size_t len;
	unsigned char *buf = encode(&len, argv, 1, NULL, 0, NULL);

	/* prefix, then one field: tag 'A', length 5, "true\0"; no T without a timeout */
	ck_assert_uint_eq(len, 12 + 5 + 5);
	ck_assert_mem_eq(buf + 12, "A\000\000\000\005true\000", 10);
	ck_assert_int_eq(parse_req(&t, buf, len), 0);
	ck_assert_uint_eq(t.argc, 1);
	ck_assert_uint_eq(t.envc, 0);
	ck_assert_ptr_null(t.env[0]);
	ck_assert_ptr_null(t.workdir);
	ck_assert_uint_eq(t.timeout_ms, 0);
	ecs_agent_request_clear(&t);
	free(buf);
}
END_TEST

START_TEST(test_agent_proto_exec_stdin_null_timeout)
{
	char *argv[] = { "cat" };
	ecs_agent_request t = { .kind = ECS_AGENT_REQ_EXEC, .argv = argv, .argc = 1, .stdin_null = 1,
				.timeout_ms = ECS_AGENT_TIMEOUT_MAX_MS };
	unsigned char buf[64];
	size_t len;

	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), 0);
	/* after argv's field: tag 'S', length 5, "null\0"; then T "604800000" */
	ck_assert_uint_eq(len, 12 + 9 + 10 + 15);
	ck_assert_mem_eq(buf + 21, "S\000\000\000\005null\000T\000\000\000\012604800000\000", 25);
	ck_assert_int_eq(parse_req(&t, buf, len), 0);
	ck_assert_int_eq(t.stdin_null, 1);
	ck_assert_uint_eq(t.timeout_ms, ECS_AGENT_TIMEOUT_MAX_MS);
	ck_assert_str_eq(t.argv[0], "cat");
	ecs_agent_request_clear(&t);
}
END_TEST

START_TEST(test_agent_proto_put_get_ping)
{
	ecs_agent_request put = { .kind = ECS_AGENT_REQ_PUT, .path = "/tmp/in" };
	ecs_agent_request get = { .kind = ECS_AGENT_REQ_GET, .path = "/tmp/out dir", .limit = 0 };
	ecs_agent_request ping = { .kind = ECS_AGENT_REQ_PING };
	ecs_agent_request t;
	unsigned char buf[128];
	size_t len;

	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &put), 0);
	ck_assert_uint_eq(len, 12 + 5 + 8);
	ck_assert_mem_eq(buf, "ECSA\002\002\000\000\000\000\000\015P\000\000\000\010/tmp/in\000", 25);
	ck_assert_int_eq(parse_req(&t, buf, len), 0);
	ck_assert_uint_eq(t.kind, ECS_AGENT_REQ_PUT);
	ck_assert_str_eq(t.path, "/tmp/in");
	ck_assert_ptr_null(t.argv);
	ecs_agent_request_clear(&t);

	/* L is always written, 0 included (the entries, no content) */
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &get), 0);
	ck_assert_mem_eq(buf + 4, "\002\003", 2);
	ck_assert_mem_eq(buf + len - 7, "L\000\000\000\0020\000", 7);
	ck_assert_int_eq(parse_req(&t, buf, len), 0);
	ck_assert_str_eq(t.path, "/tmp/out dir");
	ck_assert_uint_eq(t.limit, 0);
	ecs_agent_request_clear(&t);
	get.limit = UINT64_MAX;
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &get), 0);
	ck_assert_int_eq(parse_req(&t, buf, len), 0);
	ck_assert(t.limit == UINT64_MAX);
	ecs_agent_request_clear(&t);
	/* absent L: the default */
	ck_assert_int_eq(ecs_agent_body_parse(&t, ECS_AGENT_REQ_GET, (const unsigned char *)"P\000\000\000\002/\000", 7), 0);
	ck_assert_uint_eq(t.limit, ECS_AGENT_GET_LIMIT_DEFAULT);
	ecs_agent_request_clear(&t);

	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &ping), 0);
	ck_assert_uint_eq(len, 12);
	ck_assert_mem_eq(buf, "ECSA\002\004\000\000\000\000\000\000", 12);
	ck_assert_int_eq(parse_req(&t, buf, len), 0);
	ck_assert_uint_eq(t.kind, ECS_AGENT_REQ_PING);
	ecs_agent_request_clear(&t);
}
END_TEST

START_TEST(test_agent_proto_v1_header)
{
	/* what lib/backend_pool.c sends until it speaks v2: version 1, no kind; a v2 agent refuses it */
	char *argv[] = { "true" };
	ecs_agent_task t = { .argv = argv, .argc = 1, .timeout_ms = 5 };
	unsigned char buf[64];
	size_t len, body_len;
	unsigned kind;

	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &len, &t), 0);
	ck_assert_uint_eq(len, 12 + 10);
	ck_assert_mem_eq(buf, "ECSA\001\000\000\000", 8);
	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &body_len, buf), ECS_AGENT_EPROTO);
}
END_TEST

START_TEST(test_agent_proto_encode_rejects)
{
	char *empty0[] = { "" };
	char *withnull[] = { "a", NULL };
	char *argv[] = { "a" };
	char *noeq[] = { "NAME" };
	char *noname[] = { "=v" };
	ecs_agent_request t = { .kind = ECS_AGENT_REQ_EXEC, .argv = argv, .argc = 0 };
	ecs_agent_request p = { .kind = ECS_AGENT_REQ_PUT };
	unsigned char buf[256];
	size_t len;
	char *longpath = malloc(ECS_AGENT_PATH_MAX + 1);

	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, NULL), ECS_AGENT_EINVAL);
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.argv = empty0, t.argc = 1;
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.argv = withnull, t.argc = 2;
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.argv = argv, t.argc = 1, t.env = noeq, t.envc = 1;
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.env = noname;
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.env = NULL;
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.envc = 0, t.workdir = "relative";
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.workdir = "/ok", t.timeout_ms = ECS_AGENT_TIMEOUT_MAX_MS + 1;
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);
	t.timeout_ms = 0;
	ck_assert_int_eq(ecs_agent_request_encode(buf, 10, &len, &t), ECS_AGENT_ETOOBIG);
	ck_assert_uint_eq(len, 12 + 7 + 9);
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), 0);
	t.kind = 9;
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &t), ECS_AGENT_EINVAL);

	/* PUT and GET need an absolute path within the bound */
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &p), ECS_AGENT_EINVAL);
	p.path = "tmp/x";
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &len, &p), ECS_AGENT_EINVAL);
	ck_assert_ptr_nonnull(longpath);
	memset(longpath, 'a', ECS_AGENT_PATH_MAX);
	longpath[0] = '/';
	longpath[ECS_AGENT_PATH_MAX] = '\0';
	p.path = longpath;
	ck_assert_int_eq(ecs_agent_request_encode(NULL, 0, &len, &p), ECS_AGENT_ETOOBIG);
	ck_assert_uint_eq(len, 0);
	longpath[ECS_AGENT_PATH_MAX - 1] = '\0';
	ck_assert_int_eq(ecs_agent_request_encode(NULL, 0, &len, &p), ECS_AGENT_ETOOBIG);
	ck_assert_uint_eq(len, 12 + 5 + ECS_AGENT_PATH_MAX);
	free(longpath);
}
END_TEST

START_TEST(test_agent_proto_bounds)
{
	size_t n = ECS_AGENT_ARGV_MAX + 1, len, body_len;
	char **argv = malloc(n * sizeof(char *));
	ecs_agent_request t = { .kind = ECS_AGENT_REQ_EXEC, .argv = argv, .argc = n };
	unsigned char *buf;
	unsigned kind;
	size_t i;

	ck_assert_ptr_nonnull(argv);
	for (i = 0; i < n; i++)
		argv[i] = "x";
	ck_assert_int_eq(ecs_agent_request_encode(NULL, 0, &len, &t), ECS_AGENT_ETOOBIG);
	/* the parser enforces the same bound on a request someone else made */
	buf = encode(&len, argv, ECS_AGENT_ARGV_MAX, NULL, 0, NULL);
	buf = realloc(buf, len + 7);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf + len, "A\000\000\000\002x\000", 7);
	ck_assert_int_eq(ecs_agent_body_parse(&t, ECS_AGENT_REQ_EXEC, buf + 12, len + 7 - 12), ECS_AGENT_ETOOBIG);
	ecs_agent_request_clear(&t);
	ck_assert_int_eq(ecs_agent_body_parse(&t, ECS_AGENT_REQ_EXEC, buf + 12, len - 12), 0);
	ck_assert_uint_eq(t.argc, ECS_AGENT_ARGV_MAX);
	ecs_agent_request_clear(&t);
	free(buf);
	free(argv);

	/* body length over the bound */
	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &body_len,
						(const unsigned char *)"ECSA\002\001\000\000\000\020\000\001"),
			 ECS_AGENT_ETOOBIG);
	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &body_len,
						(const unsigned char *)"ECSA\002\001\000\000\000\020\000\000"), 0);
	ck_assert_uint_eq(body_len, ECS_AGENT_BODY_MAX);
	ck_assert_uint_eq(kind, ECS_AGENT_REQ_EXEC);
}
END_TEST

START_TEST(test_agent_proto_prefix_rejects)
{
	size_t n = 99;
	unsigned kind = 7;

	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &n, (const unsigned char *)"ECSB\002\001\000\000\000\000\000\001"),
			 ECS_AGENT_EPROTO);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(kind, 0);
	/* version 1 (a v1 reader), 3, kind 0 and 5, padding */
	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &n, (const unsigned char *)"ECSA\001\000\000\000\000\000\000\001"),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &n, (const unsigned char *)"ECSA\003\001\000\000\000\000\000\001"),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &n, (const unsigned char *)"ECSA\002\000\000\000\000\000\000\001"),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &n, (const unsigned char *)"ECSA\002\005\000\000\000\000\000\001"),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &n, (const unsigned char *)"ECSA\002\001\001\000\000\000\000\001"),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &n, (const unsigned char *)"ECSA\002\001\000\001\000\000\000\001"),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(ecs_agent_prefix_parse(&kind, &n, (const unsigned char *)"ECSA\002\003\000\000\000\000\000\001"), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(kind, ECS_AGENT_REQ_GET);
}
END_TEST

static int parse(unsigned kind, const char *body, size_t len)
{
	ecs_agent_request t;
	int rc = ecs_agent_body_parse(&t, kind, (const unsigned char *)body, len);

	ecs_agent_request_clear(&t);
	return rc;
}
#define PARSE(lit) parse(ECS_AGENT_REQ_EXEC, lit, sizeof(lit) - 1)
#define PARSE_K(k, lit) parse(k, lit, sizeof(lit) - 1)

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
	/* T: one spelling of 1..604800000 */
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000T\000\000\000\0020\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000T\000\000\000\00301\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000T\000\000\000\003+1\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000T\000\000\000\012604800001\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000T\000\000\000\0021\000T\000\000\000\0021\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000T\000\000\000\0021\000"), 0);
	/* fields of another kind */
	ck_assert_int_eq(PARSE("A\000\000\000\002a\000P\000\000\000\002/\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_PUT, "P\000\000\000\002/\000A\000\000\000\002a\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_PUT, "P\000\000\000\002/\000L\000\000\000\0021\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_PING, "P\000\000\000\002/\000"), ECS_AGENT_EPROTO);
	/* P: one, absolute; L: one decimal without overflow */
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_PUT, ""), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_GET, "L\000\000\000\0021\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_PUT, "P\000\000\000\002x\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_PUT, "P\000\000\000\002/\000P\000\000\000\002/\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_GET, "P\000\000\000\002/\000L\000\000\000\02518446744073709551616\000"),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_GET, "P\000\000\000\002/\000L\000\000\000\00212\000"), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_GET, "P\000\000\000\002/\000L\000\000\000\0021\000L\000\000\000\0021\000"),
			 ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_GET, "P\000\000\000\002/\000L\000\000\000\02518446744073709551615\000"), 0);
	ck_assert_int_eq(PARSE_K(0, ""), ECS_AGENT_EPROTO);
	ck_assert_int_eq(PARSE_K(ECS_AGENT_REQ_PING, ""), 0);
	/* order is free: env and workdir may come first, an empty later arg is fine */
	ck_assert_int_eq(PARSE("W\000\000\000\002/\000E\000\000\000\004X=1\000A\000\000\000\002a\000A\000\000\000\001\000"),
			 0);
}
END_TEST

/* ---- the agent's reader */

typedef struct {
	int requests, ends, cancels;
	unsigned kind;
	unsigned char data[4096];
	size_t data_len;
	int rc;
} rcollected;

static void rfeed(ecs_agent_reader *r, rcollected *c, const unsigned char *p, size_t n)
{
	for (;;) {
		ecs_agent_rev ev;
		int rc = ecs_agent_reader_feed(r, &p, &n, &ev);

		if (rc != 0) {
			c->rc = rc;
			return;
		}
		if (ev.type == ECS_AGENT_REV_NONE) {
			ck_assert_uint_eq(n, 0);
			return;
		}
		if (ev.type == ECS_AGENT_REV_REQUEST) {
			c->requests++;
			c->kind = r->req.kind;
		} else if (ev.type == ECS_AGENT_REV_CHUNK) {
			ck_assert_uint_gt(ev.len, 0);
			ck_assert_uint_le(c->data_len + ev.len, sizeof(c->data));
			memcpy(c->data + c->data_len, ev.data, ev.len);
			c->data_len += ev.len;
		} else if (ev.type == ECS_AGENT_REV_END) {
			c->ends++;
		} else {
			c->cancels++;
		}
	}
}

static size_t put_chunk(unsigned char *p, const void *data, size_t len)
{
	ecs_agent_chunk_header(p, (uint32_t)len);
	memcpy(p + ECS_AGENT_CHUNK_HDR_LEN, data, len);
	return ECS_AGENT_CHUNK_HDR_LEN + len;
}

/* EXEC "cat" with stdin "hello" in two chunks, the end chunk, a cancel. */
static size_t exec_stream(unsigned char *buf)
{
	char *argv[] = { "cat" };
	ecs_agent_request r = { .kind = ECS_AGENT_REQ_EXEC, .argv = argv, .argc = 1, .timeout_ms = 1 };
	size_t n;

	ck_assert_int_eq(ecs_agent_request_encode(buf, 256, &n, &r), 0);
	n += put_chunk(buf + n, "hel", 3);
	n += put_chunk(buf + n, "lo", 2);
	n += put_chunk(buf + n, "", 0);
	ecs_agent_cancel_encode(buf + n);
	return n + ECS_AGENT_CHUNK_HDR_LEN;
}

static void check_exec_stream(const ecs_agent_reader *r, const rcollected *c)
{
	ck_assert_int_eq(c->rc, 0);
	ck_assert_int_eq(c->requests, 1);
	ck_assert_uint_eq(c->kind, ECS_AGENT_REQ_EXEC);
	ck_assert_str_eq(r->req.argv[0], "cat");
	ck_assert_uint_eq(r->req.timeout_ms, 1);
	ck_assert_uint_eq(c->data_len, 5);
	ck_assert_mem_eq(c->data, "hello", 5);
	ck_assert_int_eq(c->ends, 1);
	ck_assert_int_eq(c->cancels, 1);
	ck_assert_int_eq(ecs_agent_reader_complete(r), 1);
}

START_TEST(test_agent_proto_reader_exec)
{
	unsigned char buf[512];
	size_t n = exec_stream(buf), cut, i;

	/* every split point, and byte by byte: the same events */
	for (cut = 0; cut <= n; cut++) {
		ecs_agent_reader r;
		rcollected c = { 0 };

		ecs_agent_reader_init(&r);
		rfeed(&r, &c, buf, cut);
		rfeed(&r, &c, buf + cut, n - cut);
		check_exec_stream(&r, &c);
		/* stdin may end while the command runs (a task's reader half-closes) */
		ck_assert_int_eq(ecs_agent_reader_eof(&r), 0);
		ecs_agent_reader_clear(&r);
	}
	{
		ecs_agent_reader r;
		rcollected c = { 0 };

		ecs_agent_reader_init(&r);
		for (i = 0; i < n; i++)
			rfeed(&r, &c, buf + i, 1);
		check_exec_stream(&r, &c);
		ecs_agent_reader_clear(&r);
	}
}
END_TEST

START_TEST(test_agent_proto_reader_sequence)
{
	/* PUT (a chunk), its answer, GET, its answer, PING, EOF between requests */
	ecs_agent_request put = { .kind = ECS_AGENT_REQ_PUT, .path = "/tmp" };
	ecs_agent_request get = { .kind = ECS_AGENT_REQ_GET, .path = "/tmp/x", .limit = 7 };
	ecs_agent_request ping = { .kind = ECS_AGENT_REQ_PING };
	unsigned char buf[512];
	ecs_agent_reader r;
	rcollected c = { 0 };
	size_t n;

	ecs_agent_reader_init(&r);
	ck_assert_int_eq(ecs_agent_reader_eof(&r), 0);
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &n, &put), 0);
	n += put_chunk(buf + n, "tar", 3);
	n += put_chunk(buf + n, "", 0);
	rfeed(&r, &c, buf, n);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_uint_eq(c.kind, ECS_AGENT_REQ_PUT);
	ck_assert_str_eq(r.req.path, "/tmp");
	ck_assert_int_eq(c.ends, 1);
	ck_assert_uint_eq(c.data_len, 3);
	ck_assert_int_eq(ecs_agent_reader_complete(&r), 1);
	ecs_agent_reader_done(&r);
	ck_assert_int_eq(ecs_agent_reader_complete(&r), 0);

	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &n, &get), 0);
	rfeed(&r, &c, buf, n);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_int_eq(c.requests, 2);
	ck_assert_uint_eq(c.kind, ECS_AGENT_REQ_GET);
	ck_assert_uint_eq(r.req.limit, 7);
	ck_assert_int_eq(ecs_agent_reader_complete(&r), 1);
	ecs_agent_reader_done(&r);

	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &n, &ping), 0);
	rfeed(&r, &c, buf, n);
	ck_assert_int_eq(c.requests, 3);
	ck_assert_uint_eq(c.kind, ECS_AGENT_REQ_PING);
	ecs_agent_reader_done(&r);
	ck_assert_int_eq(ecs_agent_reader_eof(&r), 0);
	ecs_agent_reader_clear(&r);
}
END_TEST

static int reader_all(const unsigned char *p, size_t n, rcollected *c, ecs_agent_reader *r)
{
	memset(c, 0, sizeof(*c));
	ecs_agent_reader_init(r);
	rfeed(r, c, p, n);
	return c->rc;
}

START_TEST(test_agent_proto_reader_rejects)
{
	char *argv[] = { "cat" };
	ecs_agent_request ex = { .kind = ECS_AGENT_REQ_EXEC, .argv = argv, .argc = 1 };
	ecs_agent_request get = { .kind = ECS_AGENT_REQ_GET, .path = "/tmp" };
	unsigned char buf[512];
	ecs_agent_reader r;
	rcollected c;
	size_t n, m;

	/* a version 1 header */
	ck_assert_int_eq(ecs_agent_header_encode(buf, sizeof(buf), &n, &ex), 0);
	ck_assert_int_eq(reader_all(buf, n, &c, &r), ECS_AGENT_EPROTO);
	ck_assert_int_eq(ecs_agent_reader_eof(&r), ECS_AGENT_EPROTO);
	ecs_agent_reader_clear(&r);

	/* EOF inside a prefix, a body, a chunk header, a chunk */
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &n, &ex), 0);
	m = n + put_chunk(buf + n, "abc", 3);
	for (size_t cut = 1; cut < m; cut++) {
		ck_assert_int_eq(reader_all(buf, cut, &c, &r), 0);
		ck_assert_int_eq(ecs_agent_reader_eof(&r), ECS_AGENT_EPROTO);
		ecs_agent_reader_clear(&r);
	}

	/* a bad chunk tag, padding, an oversize chunk */
	memcpy(buf + n, "\020\000\000\001\000\000\000\000", 8);
	ck_assert_int_eq(reader_all(buf, n + 8, &c, &r), ECS_AGENT_EPROTO);
	ecs_agent_reader_clear(&r);
	memcpy(buf + n, "\021\000\000\000\000\000\000\000", 8); /* a cancel before the stdin ended */
	ck_assert_int_eq(reader_all(buf, n + 8, &c, &r), ECS_AGENT_EPROTO);
	ecs_agent_reader_clear(&r);
	ecs_agent_chunk_header(buf + n, ECS_AGENT_CHUNK_MAX + 1);
	ck_assert_int_eq(reader_all(buf, n + 8, &c, &r), ECS_AGENT_EPROTO);
	ecs_agent_reader_clear(&r);

	/* S null, then a non-empty chunk */
	ex.stdin_null = 1;
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &n, &ex), 0);
	m = n + put_chunk(buf + n, "x", 1);
	ck_assert_int_eq(reader_all(buf, m, &c, &r), ECS_AGENT_EPROTO);
	ecs_agent_reader_clear(&r);
	m = n + put_chunk(buf + n, "", 0);
	ck_assert_int_eq(reader_all(buf, m, &c, &r), 0);
	ck_assert_int_eq(c.ends, 1);
	ecs_agent_reader_clear(&r);

	/* after the end chunk: one cancel, nothing else; two cancels are an error */
	ecs_agent_cancel_encode(buf + m);
	ecs_agent_cancel_encode(buf + m + 8);
	ck_assert_int_eq(reader_all(buf, m + 16, &c, &r), ECS_AGENT_EPROTO);
	ck_assert_int_eq(c.cancels, 1);
	ecs_agent_reader_clear(&r);
	memcpy(buf + m, "\011\000\000\000\000\000\000\000", 8);
	ck_assert_int_eq(reader_all(buf, m + 8, &c, &r), ECS_AGENT_EPROTO);
	ecs_agent_reader_clear(&r);
	memcpy(buf + m, "\021\000\000\000\000\000\000\001", 8);
	ck_assert_int_eq(reader_all(buf, m + 8, &c, &r), ECS_AGENT_EPROTO);
	ecs_agent_reader_clear(&r);
	/* a cancel that crossed the EXIT: dropped once, between requests; a second is an error */
	ck_assert_int_eq(reader_all(buf, m, &c, &r), 0);
	ecs_agent_reader_done(&r);
	ecs_agent_cancel_encode(buf + m);
	{
		ecs_agent_request ping = { .kind = ECS_AGENT_REQ_PING };

		ck_assert_int_eq(ecs_agent_request_encode(buf + m + 8, sizeof(buf) - m - 8, &n, &ping), 0);
		rfeed(&r, &c, buf + m, 8 + n);
		ck_assert_int_eq(c.rc, 0);
		ck_assert_int_eq(c.cancels, 0);
		ck_assert_int_eq(c.requests, 2);
		ck_assert_uint_eq(c.kind, ECS_AGENT_REQ_PING);
		ecs_agent_reader_done(&r);
		memset(buf + m + 8, 0, 4);
		rfeed(&r, &c, buf + m, 12);
		ck_assert_int_eq(c.rc, ECS_AGENT_EPROTO); /* after a PING: no cancel, it is a bad prefix */
	}
	ecs_agent_reader_clear(&r);
	/* the next request before the answer was done */
	ck_assert_int_eq(ecs_agent_request_encode(buf + m, sizeof(buf) - m, &n, &get), 0);
	ck_assert_int_eq(reader_all(buf, m + n, &c, &r), ECS_AGENT_EPROTO);
	ecs_agent_reader_clear(&r);

	/* GET has no chunks: any byte before its answer is an error, a cancel too */
	ck_assert_int_eq(ecs_agent_request_encode(buf, sizeof(buf), &n, &get), 0);
	ecs_agent_cancel_encode(buf + n);
	ck_assert_int_eq(reader_all(buf, n + 8, &c, &r), ECS_AGENT_EPROTO);
	ck_assert_int_eq(c.requests, 1);
	/* and the error sticks, also after done */
	ecs_agent_reader_done(&r);
	ck_assert_int_eq(reader_all(buf, 0, &c, &r), 0);
	ecs_agent_reader_clear(&r);
	{
		const unsigned char *p = buf;
		ecs_agent_rev ev;

		n = 12;
		ecs_agent_reader_init(&r);
		memcpy(buf, "ECSA\002\002\000\000\000\000\000\000", 12); /* PUT without P */
		ck_assert_int_eq(ecs_agent_reader_feed(&r, &p, &n, &ev), ECS_AGENT_EPROTO);
		ecs_agent_reader_done(&r);
		ck_assert_int_eq(ecs_agent_reader_feed(&r, &p, &n, &ev), ECS_AGENT_EPROTO);
		ck_assert_int_eq(ecs_agent_reader_eof(&r), ECS_AGENT_EPROTO);
		ecs_agent_reader_clear(&r);
	}
}
END_TEST

/* ---- decoder */

typedef struct {
	unsigned char out[256], err[256], msg[256], dat[256];
	size_t out_len, err_len, msg_len, dat_len;
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
			unsigned char *dst = ev.stream == 1 ? c->out : ev.stream == 2 ? c->err : ev.stream == 4 ? c->msg : c->dat;
			size_t *l = ev.stream == 1 ? &c->out_len : ev.stream == 2 ? &c->err_len
				  : ev.stream == 4 ? &c->msg_len : &c->dat_len;

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
	ecs_agent_start s = { .version = 2, .pid = 0x01020304 };
	ecs_agent_exit x = { .kind = ECS_AGENT_SIGNALED, .flags = ECS_AGENT_EXIT_OOM | ECS_AGENT_EXIT_TIMED_OUT,
			     .code = 137, .signal = 9 };
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
	ck_assert_uint_eq(c->start.version, 2);
	ck_assert_uint_eq(c->start.pid, 0x01020304);
	ck_assert_uint_eq(c->out_len, 7);
	ck_assert_mem_eq(c->out, "\377\376\000more", 7);
	ck_assert_uint_eq(c->err_len, 3);
	ck_assert_uint_eq(c->msg_len, 4);
	ck_assert_int_eq(c->exits, 1);
	ck_assert_uint_eq(c->exit.kind, ECS_AGENT_SIGNALED);
	ck_assert_uint_eq(c->exit.flags, ECS_AGENT_EXIT_OOM | ECS_AGENT_EXIT_TIMED_OUT);
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

/* Three answers on one stream: an EXEC's, a GET's (DATA, TRUNCATED), a PING's. */
START_TEST(test_agent_proto_decode_answers)
{
	unsigned char buf[1024], rec[ECS_AGENT_EXIT_LEN];
	ecs_agent_exit x = { .kind = ECS_AGENT_EXITED, .flags = ECS_AGENT_EXIT_TRUNCATED };
	ecs_agent_decoder d;
	collected c = { 0 };
	size_t n = session(buf), first = n, i;

	n += frame(buf + n, ECS_AGENT_FRAME_DATA, "ustar", 5);
	n += frame(buf + n, ECS_AGENT_FRAME_MESSAGE, "!", 1);
	n += frame(buf + n, ECS_AGENT_FRAME_DATA, "..", 2);
	ecs_agent_exit_encode(rec, &x);
	n += frame(buf + n, ECS_AGENT_FRAME_EXIT, rec, ECS_AGENT_EXIT_LEN);
	x.flags = 0;
	ecs_agent_exit_encode(rec, &x);
	n += frame(buf + n, ECS_AGENT_FRAME_EXIT, rec, ECS_AGENT_EXIT_LEN);

	ecs_agent_decoder_init(&d);
	/* the first EXIT leaves the rest of the input to the caller */
	{
		const unsigned char *p = buf;
		size_t left = n;
		ecs_agent_event ev;

		do
			ck_assert_int_eq(ecs_agent_decode(&d, &p, &left, &ev), 0);
		while (ev.type != ECS_AGENT_EV_EXIT);
		ck_assert_ptr_eq(p, buf + first);
		ck_assert_int_eq(ecs_agent_decode_finish(&d), 0);
		feed(&d, &c, p, left);
	}
	ck_assert_int_eq(c.rc, 0);
	ck_assert_int_eq(c.exits, 2);
	ck_assert_uint_eq(c.exit.flags, 0);
	ck_assert_uint_eq(c.dat_len, 7);
	ck_assert_mem_eq(c.dat, "ustar..", 7);
	ck_assert_uint_eq(c.msg_len, 1);
	ck_assert_int_eq(ecs_agent_decode_finish(&d), 0);
	ck_assert_uint_eq(d.answers, 3);
	/* byte by byte: the same */
	memset(&c, 0, sizeof(c));
	ecs_agent_decoder_init(&d);
	for (i = 0; i < n; i++)
		feed(&d, &c, buf + i, 1);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_int_eq(c.exits, 3);
	ck_assert_int_eq(c.starts, 1);
	ck_assert_uint_eq(c.dat_len, 7);
	/* a second START is fine in the next answer */
	memset(&c, 0, sizeof(c));
	ecs_agent_decoder_init(&d);
	feed(&d, &c, buf, first);
	feed(&d, &c, buf, first);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_int_eq(c.starts, 2);
	ck_assert_int_eq(c.exits, 2);
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
	ck_assert_int_eq(decode_all((const unsigned char *)"\007\000\000\000\000\000\000\000", 8, &c), ECS_AGENT_EPROTO);
	ck_assert_int_eq(decode_all((const unsigned char *)"\006\000\000\000\000\000\000\000", 8, &c), 0);
	ecs_agent_frame_header(buf, ECS_AGENT_FRAME_DATA, ECS_AGENT_DATA_MAX + 1);
	ck_assert_int_eq(decode_all(buf, 8, &c), ECS_AGENT_EPROTO);
	/* one answer is an EXEC's or a GET's: DATA with START or STDOUT, either order */
	n = frame(buf, ECS_AGENT_FRAME_STDOUT, "a", 1);
	n += frame(buf + n, ECS_AGENT_FRAME_DATA, "b", 1);
	ck_assert_int_eq(decode_all(buf, n, &c), ECS_AGENT_EPROTO);
	n = frame(buf, ECS_AGENT_FRAME_DATA, "b", 1);
	n += frame(buf + n, ECS_AGENT_FRAME_START, rec, ECS_AGENT_START_LEN);
	ck_assert_int_eq(decode_all(buf, n, &c), ECS_AGENT_EPROTO);
	n = frame(buf, ECS_AGENT_FRAME_DATA, "b", 1);
	n += frame(buf + n, ECS_AGENT_FRAME_STDERR, "b", 1);
	ck_assert_int_eq(decode_all(buf, n, &c), ECS_AGENT_EPROTO);
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

	/* after EXIT a new answer may start (a partial frame is not finished); a bad one fails, and the error sticks */
	n = frame(buf, ECS_AGENT_FRAME_EXIT, rec, ECS_AGENT_EXIT_LEN);
	buf[n++] = 1;
	ck_assert_int_eq(decode_all(buf, n, &c), 0);
	memcpy(buf + n, "\001\000\000\000\000\000\000", 7);
	n += 7;
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
	ck_assert_str_eq(ecs_agent_strerror(ECS_AGENT_EINVAL), "invalid request");
	ck_assert_str_eq(ecs_agent_strerror(-1000), "unknown error");
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("agent_proto");
	TCase *tc = tcase_create("agent_proto");

	tcase_add_test(tc, test_agent_proto_exec_roundtrip);
	tcase_add_test(tc, test_agent_proto_exec_minimal);
	tcase_add_test(tc, test_agent_proto_exec_stdin_null_timeout);
	tcase_add_test(tc, test_agent_proto_put_get_ping);
	tcase_add_test(tc, test_agent_proto_v1_header);
	tcase_add_test(tc, test_agent_proto_encode_rejects);
	tcase_add_test(tc, test_agent_proto_bounds);
	tcase_add_test(tc, test_agent_proto_prefix_rejects);
	tcase_add_test(tc, test_agent_proto_body_rejects);
	tcase_add_test(tc, test_agent_proto_reader_exec);
	tcase_add_test(tc, test_agent_proto_reader_sequence);
	tcase_add_test(tc, test_agent_proto_reader_rejects);
	tcase_add_test(tc, test_agent_proto_decode_session);
	tcase_add_test(tc, test_agent_proto_decode_split);
	tcase_add_test(tc, test_agent_proto_decode_answers);
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
