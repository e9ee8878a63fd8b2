/* Unit tests: the multiplexed log stream splitter (lib/demux.c). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "demux.h"

#define BIG_CAP ((size_t)1 << 20)

static ecs_demux d;

static void setup(void)
{
	ecs_demux_init(&d, BIG_CAP, BIG_CAP);
}

static void teardown(void)
{
	ecs_demux_clear(&d);
}

/* Append one frame (header + payload) to buf at *off. */
static void put_frame(unsigned char *buf, size_t *off, int stream, const void *payload, size_t len)
{
	buf[*off + 0] = (unsigned char)stream;
	buf[*off + 1] = 0;
	buf[*off + 2] = 0;
	buf[*off + 3] = 0;
	buf[*off + 4] = (unsigned char)(len >> 24);
	buf[*off + 5] = (unsigned char)(len >> 16);
	buf[*off + 6] = (unsigned char)(len >> 8);
	buf[*off + 7] = (unsigned char)len;
	memcpy(buf + *off + 8, payload, len);
	*off += 8 + len;
}

static void assert_buffer(const ecs_buffer *b, const void *want, size_t want_len, int truncated)
{
	ck_assert_uint_eq(b->len, want_len);
	ck_assert_int_eq(b->truncated, truncated);
	if (want_len > 0) {
		ck_assert_ptr_nonnull(b->data);
		ck_assert_mem_eq(b->data, want, want_len);
	}
	if (b->data != NULL)
		ck_assert_int_eq(b->data[b->len], 0);
}

/*
 * A stream with both streams interleaved, stdin echo, empty frames and
 * binary payloads; the expected outputs are what each split must give.
 */
static unsigned char multi[256];
static size_t multi_len;
static const unsigned char bin[] = { 0xff, 0xfe, 0x00, 0x01, 0x80, 0x00 };
static const char want_out[] = "hello \xff\xfe\x00\x01\x80\x00world\n";
static const char want_err[] = "oops\n\x00";

static void build_multi(void)
{
	multi_len = 0;
	put_frame(multi, &multi_len, 1, "hello ", 6);
	put_frame(multi, &multi_len, 2, "oops\n", 5);
	put_frame(multi, &multi_len, 0, "stdin", 5);
	put_frame(multi, &multi_len, 1, bin, sizeof(bin));
	put_frame(multi, &multi_len, 2, "", 0);
	put_frame(multi, &multi_len, 1, "", 0);
	put_frame(multi, &multi_len, 2, "\x00", 1);
	put_frame(multi, &multi_len, 1, "world\n", 6);
}

static void assert_multi(const ecs_demux *dm)
{
	assert_buffer(&dm->out, want_out, sizeof(want_out) - 1, 0);
	assert_buffer(&dm->err, want_err, sizeof(want_err) - 1, 0);
}

START_TEST(test_demux_one_frame)
{
	unsigned char buf[64];
	size_t n = 0;

	put_frame(buf, &n, 1, "hello world\n", 12);
	ck_assert_int_eq(ecs_demux_feed(&d, buf, n), 0);
	ck_assert_int_eq(ecs_demux_finish(&d), 0);
	assert_buffer(&d.out, "hello world\n", 12, 0);
	assert_buffer(&d.err, "", 0, 0);
}
END_TEST

START_TEST(test_demux_interleaved)
{
	build_multi();
	ck_assert_int_eq(ecs_demux_feed(&d, multi, multi_len), 0);
	ck_assert_int_eq(ecs_demux_finish(&d), 0);
	assert_multi(&d);
}
END_TEST

/* Every split point in two pieces: header boundaries, mid-header, mid-payload. */
START_TEST(test_demux_every_split_point)
{
	build_multi();
	for (size_t cut = 0; cut <= multi_len; cut++) {
		ecs_demux x;

		ecs_demux_init(&x, BIG_CAP, BIG_CAP);
		ck_assert_int_eq(ecs_demux_feed(&x, multi, cut), 0);
		ck_assert_int_eq(ecs_demux_feed(&x, multi + cut, multi_len - cut), 0);
		ck_assert_int_eq(ecs_demux_finish(&x), 0);
		assert_multi(&x);
		ecs_demux_clear(&x);
	}
}
END_TEST

START_TEST(test_demux_byte_by_byte)
{
	build_multi();
	for (size_t i = 0; i < multi_len; i++)
		ck_assert_int_eq(ecs_demux_feed(&d, multi + i, 1), 0);
	ck_assert_int_eq(ecs_demux_finish(&d), 0);
	assert_multi(&d);
}
END_TEST

START_TEST(test_demux_empty_stream)
{
	ck_assert_int_eq(ecs_demux_feed(&d, NULL, 0), 0);
	ck_assert_int_eq(ecs_demux_finish(&d), 0);
	assert_buffer(&d.out, "", 0, 0);
	assert_buffer(&d.err, "", 0, 0);
}
END_TEST

START_TEST(test_demux_empty_frames)
{
	unsigned char buf[64];
	size_t n = 0;

	put_frame(buf, &n, 1, "", 0);
	put_frame(buf, &n, 2, "", 0);
	put_frame(buf, &n, 0, "", 0);
	ck_assert_int_eq(ecs_demux_feed(&d, buf, n), 0);
	ck_assert_int_eq(ecs_demux_finish(&d), 0);
	assert_buffer(&d.out, "", 0, 0);
	assert_buffer(&d.err, "", 0, 0);
}
END_TEST

START_TEST(test_demux_stdin_dropped)
{
	unsigned char buf[64];
	size_t n = 0;

	put_frame(buf, &n, 0, "input", 5);
	put_frame(buf, &n, 1, "out", 3);
	ck_assert_int_eq(ecs_demux_feed(&d, buf, n), 0);
	ck_assert_int_eq(ecs_demux_finish(&d), 0);
	assert_buffer(&d.out, "out", 3, 0);
	assert_buffer(&d.err, "", 0, 0);
}
END_TEST

START_TEST(test_demux_cap_keeps_first_bytes)
{
	unsigned char buf[128];
	size_t n = 0;
	ecs_demux x;

	ecs_demux_init(&x, 4, 6);
	put_frame(buf, &n, 1, "0123456789", 10);
	put_frame(buf, &n, 2, "abc", 3);
	put_frame(buf, &n, 2, "defgh", 5);
	put_frame(buf, &n, 1, "more", 4);
	ck_assert_int_eq(ecs_demux_feed(&x, buf, n), 0);
	ck_assert_int_eq(ecs_demux_finish(&x), 0);
	assert_buffer(&x.out, "0123", 4, 1);
	assert_buffer(&x.err, "abcdef", 6, 1);
	/* The counts are what the process wrote, not what was kept. */
	ck_assert_uint_eq(x.out_bytes, 14);
	ck_assert_uint_eq(x.err_bytes, 8);
	ecs_demux_clear(&x);
}
END_TEST

START_TEST(test_demux_cap_exact_not_truncated)
{
	unsigned char buf[64];
	size_t n = 0;
	ecs_demux x;

	ecs_demux_init(&x, 5, 5);
	put_frame(buf, &n, 1, "12345", 5);
	put_frame(buf, &n, 1, "", 0);
	ck_assert_int_eq(ecs_demux_feed(&x, buf, n), 0);
	assert_buffer(&x.out, "12345", 5, 0);
	ck_assert_uint_eq(x.out_bytes, 5);
	ck_assert_uint_eq(x.err_bytes, 0);
	ecs_demux_clear(&x);
}
END_TEST

START_TEST(test_demux_cap_zero)
{
	unsigned char buf[64];
	size_t n = 0;
	ecs_demux x;

	ecs_demux_init(&x, 0, BIG_CAP);
	put_frame(buf, &n, 1, "dropped", 7);
	put_frame(buf, &n, 2, "kept", 4);
	ck_assert_int_eq(ecs_demux_feed(&x, buf, n), 0);
	ck_assert_int_eq(ecs_demux_finish(&x), 0);
	assert_buffer(&x.out, "", 0, 1);
	assert_buffer(&x.err, "kept", 4, 0);
	ecs_demux_clear(&x);
}
END_TEST

START_TEST(test_demux_unknown_stream)
{
	static const unsigned char hdr[8] = { 3, 0, 0, 0, 0, 0, 0, 1 };

	ck_assert_int_eq(ecs_demux_feed(&d, hdr, sizeof(hdr)), ECS_EPROTO);
	/* The error sticks: later bytes cannot be misread as frames. */
	ck_assert_int_eq(ecs_demux_feed(&d, "x", 1), ECS_EPROTO);
	ck_assert_int_eq(ecs_demux_finish(&d), ECS_EPROTO);
}
END_TEST

/* A Swarm task's logs: stream 3 is the manager's own error, kept apart (capped) when asked for. */
START_TEST(test_demux_system_stream)
{
	unsigned char buf[256];
	size_t off = 0;

	d.sys_cap = 8;
	put_frame(buf, &off, 1, "out", 3);
	put_frame(buf, &off, 3, "node is down", 12);
	put_frame(buf, &off, 2, "err", 3);
	ck_assert_int_eq(ecs_demux_feed(&d, buf, off), ECS_OK);
	ck_assert_int_eq(ecs_demux_finish(&d), ECS_OK);
	assert_buffer(&d.out, "out", 3, 0);
	assert_buffer(&d.err, "err", 3, 0);
	assert_buffer(&d.sys, "node is ", 8, 1);
	ck_assert_int_eq(d.out_bytes, 3);
	ck_assert_int_eq(d.err_bytes, 3);
}
END_TEST

START_TEST(test_demux_unknown_stream_ff)
{
	static const unsigned char hdr[8] = { 0xff, 0, 0, 0, 0, 0, 0, 0 };

	ck_assert_int_eq(ecs_demux_feed(&d, hdr, sizeof(hdr)), ECS_EPROTO);
}
END_TEST

START_TEST(test_demux_nonzero_padding)
{
	for (int i = 1; i <= 3; i++) {
		unsigned char hdr[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };
		ecs_demux x;

		hdr[i] = 1;
		ecs_demux_init(&x, BIG_CAP, BIG_CAP);
		ck_assert_int_eq(ecs_demux_feed(&x, hdr, sizeof(hdr)), ECS_EPROTO);
		ck_assert_int_eq(ecs_demux_finish(&x), ECS_EPROTO);
		ecs_demux_clear(&x);
	}
}
END_TEST

/* Plain text where frames should be, as a TTY container would send. */
START_TEST(test_demux_plain_text)
{
	ck_assert_int_eq(ecs_demux_feed(&d, "hello world\n", 12), ECS_EPROTO);
}
END_TEST

START_TEST(test_demux_truncated_in_header)
{
	unsigned char buf[64];
	size_t n = 0;

	put_frame(buf, &n, 1, "abc", 3);
	put_frame(buf, &n, 2, "def", 3);
	ck_assert_int_eq(ecs_demux_feed(&d, buf, 11 + 5), 0); /* 5 bytes into the second header */
	ck_assert_int_eq(ecs_demux_finish(&d), ECS_EPROTO);
	assert_buffer(&d.out, "abc", 3, 0);
}
END_TEST

START_TEST(test_demux_truncated_in_payload)
{
	unsigned char buf[64];
	size_t n = 0;

	put_frame(buf, &n, 1, "abcdef", 6);
	ck_assert_int_eq(ecs_demux_feed(&d, buf, n - 2), 0);
	ck_assert_int_eq(ecs_demux_finish(&d), ECS_EPROTO);
	assert_buffer(&d.out, "abcd", 4, 0);
}
END_TEST

START_TEST(test_demux_binary_byte_exact)
{
	unsigned char payload[256], buf[256 + 8];
	size_t n = 0;

	for (int i = 0; i < 256; i++)
		payload[i] = (unsigned char)(255 - i); /* 0xff 0xfe ... 0x00 */
	put_frame(buf, &n, 2, payload, sizeof(payload));
	ck_assert_int_eq(ecs_demux_feed(&d, buf, n), 0);
	ck_assert_int_eq(ecs_demux_finish(&d), 0);
	assert_buffer(&d.err, payload, sizeof(payload), 0);
	assert_buffer(&d.out, "", 0, 0);
}
END_TEST

/* Many one-byte frames: must stay linear (the test times out if it is not). */
START_TEST(test_demux_many_small_frames)
{
	enum { FRAMES = 200000 };
	unsigned char *buf = malloc(FRAMES * 9);
	size_t n = 0;

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < FRAMES; i++)
		put_frame(buf, &n, 1 + (int)(i % 2), "a", 1);
	for (size_t off = 0; off < n; off += 4096)
		ck_assert_int_eq(ecs_demux_feed(&d, buf + off, n - off < 4096 ? n - off : 4096), 0);
	ck_assert_int_eq(ecs_demux_finish(&d), 0);
	ck_assert_uint_eq(d.out.len, FRAMES / 2);
	ck_assert_uint_eq(d.err.len, FRAMES / 2);
	ck_assert_int_eq(d.out.data[d.out.len], 0);
	free(buf);
}
END_TEST

/* A frame announcing 4 GiB - 1: nothing is allocated before bytes arrive. */
START_TEST(test_demux_huge_frame_header)
{
	static const unsigned char hdr[8] = { 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
	ecs_demux x;

	ecs_demux_init(&x, 16, 16);
	ck_assert_int_eq(ecs_demux_feed(&x, hdr, sizeof(hdr)), 0);
	ck_assert_int_eq(ecs_demux_feed(&x, "0123456789abcdefXYZ", 19), 0);
	ck_assert_int_eq(ecs_demux_finish(&x), ECS_EPROTO);
	assert_buffer(&x.out, "0123456789abcdef", 16, 1);
	ecs_demux_clear(&x);
}
END_TEST

/* A caller may take a buffer and zero it; the demuxer starts that stream afresh. */
START_TEST(test_demux_buffer_moved_out)
{
	unsigned char buf[64];
	size_t n = 0;
	ecs_buffer taken;

	put_frame(buf, &n, 1, "first", 5);
	ck_assert_int_eq(ecs_demux_feed(&d, buf, n), 0);
	taken = d.out;
	memset(&d.out, 0, sizeof(d.out));
	n = 0;
	put_frame(buf, &n, 1, "second", 6);
	ck_assert_int_eq(ecs_demux_feed(&d, buf, n), 0);
	assert_buffer(&taken, "first", 5, 0);
	assert_buffer(&d.out, "second", 6, 0);
	ecs_buffer_clear(&taken);
	ck_assert_ptr_null(taken.data);
	ck_assert_uint_eq(taken.len, 0);
}
END_TEST

START_TEST(test_demux_clear_twice)
{
	unsigned char buf[64];
	size_t n = 0;

	put_frame(buf, &n, 1, "x", 1);
	ck_assert_int_eq(ecs_demux_feed(&d, buf, n), 0);
	ecs_demux_clear(&d);
	ck_assert_ptr_null(d.out.data);
	ecs_demux_clear(&d);
	ecs_demux_clear(NULL);
	ecs_buffer_clear(NULL);
}
END_TEST

/* An agent's next answer on the same stream: fresh buffers, counts and caps; a frame split across answers survives. */
START_TEST(test_demux_restart_keeps_framing)
{
	unsigned char buf[64];
	size_t off = 0;
	ecs_buffer out, err;

	ecs_demux_init(&d, 3, 3);
	put_frame(buf, &off, 1, "abcdef", 6);
	put_frame(buf, &off, 2, "xy", 2);
	ck_assert_int_eq(ecs_demux_feed(&d, buf, 17), ECS_OK); /* inside the second frame's header */
	ck_assert_uint_eq(d.out.len, 3);
	ck_assert_int_eq(d.out.truncated, 1);
	ecs_demux_restart(&d, 10, 1);
	ck_assert_uint_eq(d.out_bytes, 0);
	ck_assert_uint_eq(d.out.len, 0);
	ck_assert_int_eq(d.out.truncated, 0);
	ck_assert_int_eq(ecs_demux_feed(&d, buf + 17, off - 17), ECS_OK);
	ck_assert_int_eq(ecs_demux_finish(&d), ECS_OK);
	ck_assert_int_eq(ecs_demux_take(&d, &out, &err), ECS_OK);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_uint_eq(err.len, 1);
	ck_assert_int_eq(err.truncated, 1);
	ck_assert_uint_eq(d.err_bytes, 2);
	ecs_buffer_clear(&out);
	ecs_buffer_clear(&err);
}
END_TEST

/* The capped append serves another buffer (a GET's tar) as it serves the streams; no cap is SIZE_MAX. */
START_TEST(test_demux_append_capped)
{
	ecs_buffer b = { 0 };

	ck_assert_int_eq(ecs_demux_append_capped(&b, 4, "abc", 3), ECS_OK);
	ck_assert_int_eq(ecs_demux_append_capped(&b, 4, "def", 3), ECS_OK);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_str_eq((const char *)b.data, "abcd");
	ck_assert_int_eq(b.truncated, 1);
	ecs_buffer_clear(&b);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(ecs_demux_append_capped(&b, SIZE_MAX, "0123456789", 10), ECS_OK);
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_int_eq(b.truncated, 0);
	ck_assert_int_eq(b.data[10000], '\0');
	ecs_buffer_clear(&b);
}
END_TEST

static Suite *demux_suite(void)
{
	Suite *s = suite_create("demux");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_demux_one_frame);
	tcase_add_test(tc, test_demux_interleaved);
	tcase_add_test(tc, test_demux_every_split_point);
	tcase_add_test(tc, test_demux_byte_by_byte);
	tcase_add_test(tc, test_demux_empty_stream);
	tcase_add_test(tc, test_demux_empty_frames);
	tcase_add_test(tc, test_demux_stdin_dropped);
	tcase_add_test(tc, test_demux_cap_keeps_first_bytes);
	tcase_add_test(tc, test_demux_system_stream);
	tcase_add_test(tc, test_demux_cap_exact_not_truncated);
	tcase_add_test(tc, test_demux_cap_zero);
	tcase_add_test(tc, test_demux_unknown_stream);
	tcase_add_test(tc, test_demux_unknown_stream_ff);
	tcase_add_test(tc, test_demux_nonzero_padding);
	tcase_add_test(tc, test_demux_plain_text);
	tcase_add_test(tc, test_demux_truncated_in_header);
	tcase_add_test(tc, test_demux_truncated_in_payload);
	tcase_add_test(tc, test_demux_binary_byte_exact);
	tcase_add_test(tc, test_demux_many_small_frames);
	tcase_add_test(tc, test_demux_huge_frame_header);
	tcase_add_test(tc, test_demux_buffer_moved_out);
	tcase_add_test(tc, test_demux_clear_twice);
	tcase_add_test(tc, test_demux_restart_keeps_framing);
	tcase_add_test(tc, test_demux_append_capped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(demux_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
