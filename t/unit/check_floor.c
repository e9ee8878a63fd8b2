/*
 * Unit tests: libecs's ground floor and the reaper's typed jobs.
 * - the monotonic clock (lib/clock.c): its readings agree and never go
 *   back, and the timespec arithmetic carries;
 * - identifiers (lib/ids.c): generated ids are 32 lowercase hex digits,
 *   differ, and need a big enough buffer; the alphabet of chosen ids;
 * - string vectors (lib/strvec.c): growing, handing over, copying, freeing,
 *   nothing leaked (valgrind runs this program) or left half-done;
 * - reading a descriptor whole (lib/read_full.c): across several writes to
 *   a pipe, up to the end of file or the size given, never past it;
 * - the reaper's typed jobs (lib/reaper.c, reaper_private.h): a job carries
 *   its kind and is deleted through that kind's deleter, here one of the
 *   test's own, so no engine is needed (the reaper's handles point at a
 *   socket that does not exist and are never used). ecs_reaper_enqueue()
 *   with real containers: check_it_reaper.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ecs/ecs.h>
#include "clock.h"
#include "ids.h"
#include "read_full.h"
#include "reaper_private.h"
#include "strvec.h"

/* ---- clock */

START_TEST(test_clock_readings_agree_and_advance)
{
	struct timespec a = ecs_clock_now();
	long long ms = ecs_clock_ms();
	double msf = ecs_clock_ms_f();
	struct timespec pause = { 0, 20 * 1000000L };
	struct timespec b;

	ck_assert(a.tv_nsec >= 0 && a.tv_nsec < 1000000000L);
	/* one clock: the readings taken in a row are within a few ms of each other */
	ck_assert(msf >= (double)ms && msf - (double)ms < 50.0);
	ck_assert(ecs_clock_ms_between(a, ecs_clock_now()) >= 0.0);
	nanosleep(&pause, NULL);
	b = ecs_clock_now();
	ck_assert(ecs_clock_before(a, b));
	ck_assert(!ecs_clock_before(b, a));
	ck_assert(ecs_clock_ms_between(a, b) >= 20.0);
	ck_assert(ecs_clock_ms() - ms >= 20);
	ck_assert(ecs_clock_ms_f() - msf >= 20.0);
}
END_TEST

START_TEST(test_clock_add_ms_carries)
{
	struct timespec t = { 10, 999000000L };
	struct timespec u = ecs_clock_add_ms(t, 2);

	ck_assert_int_eq(u.tv_sec, 11);
	ck_assert_int_eq(u.tv_nsec, 1000000L);
	u = ecs_clock_add_ms(t, 12345);
	ck_assert_int_eq(u.tv_sec, 23);
	ck_assert_int_eq(u.tv_nsec, 344000000L);
	u = ecs_clock_add_ms(t, 0);
	ck_assert_int_eq(u.tv_sec, 10);
	ck_assert_int_eq(u.tv_nsec, 999000000L);
}
END_TEST

START_TEST(test_clock_before_and_between)
{
	struct timespec a = { 5, 500000000L }, b = { 6, 250000000L };

	ck_assert(ecs_clock_before(a, b));
	ck_assert(!ecs_clock_before(b, a));
	ck_assert(!ecs_clock_before(a, a));
	ck_assert(ecs_clock_ms_between(a, b) > 749.999 && ecs_clock_ms_between(a, b) < 750.001);
	ck_assert(ecs_clock_ms_between(b, a) < -749.999 && ecs_clock_ms_between(b, a) > -750.001);
}
END_TEST

/* ---- ids */

START_TEST(test_ids_generate_hex)
{
	char a[ECS_ID_SIZE], b[ECS_ID_SIZE];

	ck_assert_int_eq(ecs_id_generate(a, sizeof(a)), 0);
	ck_assert_int_eq(ecs_id_generate(b, sizeof(b)), 0);
	ck_assert_uint_eq(strlen(a), ECS_ID_SIZE - 1);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), ECS_ID_SIZE - 1);
	ck_assert_str_ne(a, b); /* 128 random bits */
	ck_assert(ecs_id_chars_ok(a, ECS_TASK_MAX_ID));
}
END_TEST

START_TEST(test_ids_generate_small_buffer)
{
	char small[ECS_ID_SIZE - 1];

	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(ecs_id_generate(small, sizeof(small)), ECS_ERROR);
	ck_assert_int_eq(small[0], 'x'); /* untouched */
	ck_assert_int_eq(ecs_id_generate(NULL, ECS_ID_SIZE), ECS_ERROR);
}
END_TEST

START_TEST(test_ids_chars)
{
	char longest[65], over[66];

	ck_assert(ecs_id_chars_ok("a", 64));
	ck_assert(ecs_id_chars_ok("Task_1.2-3", 64));
	ck_assert(ecs_id_chars_ok(".", 64));   /* the alphabet allows it; instance ids refuse it on top */
	ck_assert(ecs_id_chars_ok("-x", 64));  /* likewise; sandbox names refuse a leading '-' */
	ck_assert(!ecs_id_chars_ok("", 64));
	ck_assert(!ecs_id_chars_ok(NULL, 64));
	ck_assert(!ecs_id_chars_ok("a b", 64));
	ck_assert(!ecs_id_chars_ok("a/b", 64));
	ck_assert(!ecs_id_chars_ok("a:b", 64));
	ck_assert(!ecs_id_chars_ok("\xc3\xa9", 64));
	memset(longest, 'a', 64);
	longest[64] = '\0';
	memset(over, 'a', 65);
	over[65] = '\0';
	ck_assert(ecs_id_chars_ok(longest, 64));
	ck_assert(!ecs_id_chars_ok(over, 64));
	ck_assert(!ecs_id_chars_ok("abc", 2));
}
END_TEST

/* ---- string vectors */

START_TEST(test_strvec_push_grows_in_order)
{
	ecs_strvec sv = ECS_STRVEC_INIT;
	char buf[16];

	for (int i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "id-%d", i);
		if (i % 2 == 0)
			ck_assert_int_eq(ecs_strvec_push_dup(&sv, buf), 0);
		else
			ck_assert_int_eq(ecs_strvec_push(&sv, strdup(buf)), 0);
	}
	ck_assert_uint_eq(sv.n, 100);
	ck_assert(sv.cap >= sv.n);
	ck_assert_str_eq(sv.v[0], "id-0");
	ck_assert_str_eq(sv.v[57], "id-57");
	ck_assert_str_eq(sv.v[99], "id-99");
	ecs_strvec_clear(&sv);
	ck_assert_ptr_null(sv.v);
	ck_assert_uint_eq(sv.n, 0);
	/* reusable after a clear */
	ck_assert_int_eq(ecs_strvec_push_dup(&sv, "again"), 0);
	ck_assert_str_eq(sv.v[0], "again");
	ecs_strvec_clear(&sv);
	ecs_strvec_clear(&sv); /* twice is fine */
}
END_TEST

START_TEST(test_strvec_take_hands_over)
{
	ecs_strvec sv = ECS_STRVEC_INIT;
	char **v = (char **)&sv; /* anything but NULL */
	size_t n = 99;

	ecs_strvec_take(&sv, &v, &n);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ecs_strvec_push_dup(&sv, "a"), 0);
	ck_assert_int_eq(ecs_strvec_push_dup(&sv, "b"), 0);
	ecs_strvec_take(&sv, &v, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0], "a");
	ck_assert_str_eq(v[1], "b");
	ck_assert_ptr_null(sv.v);
	ck_assert_uint_eq(sv.n, 0);
	ck_assert_uint_eq(sv.cap, 0);
	ecs_strv_free(v, n);
}
END_TEST

START_TEST(test_strv_dup_and_free)
{
	const char *const in[] = { "CAP_NET_RAW", "", "/tmp:size=1m" };
	char **out = (char **)in; /* anything but NULL */

	ck_assert_int_eq(ecs_strv_dup(&out, in, 0), 0);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(ecs_strv_dup(&out, in, 3), 0);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(out[i], in[i]);
		ck_assert_ptr_ne(out[i], in[i]); /* copies */
	}
	ecs_strv_free(out, 3);
	ecs_strv_free(NULL, 5);
}
END_TEST

/* ---- the reaper's typed jobs */

/* What the test's deleter saw; its own lock, as the reaper's threads call it. */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static char seen_ids[32][40];
static unsigned int seen_calls;
static unsigned int flaky_calls;

/* "gone-*": already gone; "flaky-*": fails once; "never-*": always fails; else deleted. */
static int fake_remove(ecs_engine *engine, const char *id)
{
	int rc = 0;

	(void)engine;
	pthread_mutex_lock(&seen_mu);
	if (seen_calls < 32)
		snprintf(seen_ids[seen_calls], sizeof(seen_ids[0]), "%s", id);
	seen_calls++;
	if (strncmp(id, "gone-", 5) == 0)
		rc = ECS_ENOTFOUND;
	else if (strncmp(id, "flaky-", 6) == 0 && flaky_calls++ == 0)
		rc = ECS_EENGINE;
	else if (strncmp(id, "never-", 6) == 0)
		rc = ECS_EENGINE;
	pthread_mutex_unlock(&seen_mu);
	return rc;
}

static const ecs_reap_kind fake_kind = { "fake", fake_remove };

static ecs_reaper *reaper;

static void reaper_setup(void)
{
	ecs_reaper_options opts = ECS_REAPER_OPTIONS_INIT;

	seen_calls = flaky_calls = 0;
	memset(seen_ids, 0, sizeof(seen_ids));
	opts.engine.endpoint = "unix:///nonexistent/ecs-check-reaper-jobs.sock";
	opts.workers = 2;
	opts.retry_base_ms = 10;
	opts.max_attempts = 3;
	ck_assert_int_eq(ecs_reaper_new(&reaper, &opts), ECS_OK);
}

static void reaper_teardown(void)
{
	ecs_reaper_free(reaper);
	reaper = NULL;
}

/* Hand @a and @b over as the test's kind and wait until the reaper is done with both. */
static void reap_two(ecs_reaper_stats *st, const char *a, const char *b)
{
	ck_assert_int_eq(ecs_reaper_enqueue_kind(reaper, &fake_kind, a), ECS_OK);
	ck_assert_int_eq(ecs_reaper_enqueue_kind(reaper, &fake_kind, b), ECS_OK);
	ck_assert_int_eq(ecs_reaper_wait_idle(reaper, 5000), ECS_OK);
	ecs_reaper_stats_get(st, reaper);
}

START_TEST(test_reaper_jobs_deleter_of_the_kind)
{
	ecs_reaper_stats st;

	reap_two(&st, "obj-1", "gone-2");
	ck_assert_uint_eq(seen_calls, 2);
	/* the id as handed over: no prefix, nothing parsed out of it */
	ck_assert(strcmp(seen_ids[0], "obj-1") == 0 || strcmp(seen_ids[1], "obj-1") == 0);
	ck_assert(strcmp(seen_ids[0], "gone-2") == 0 || strcmp(seen_ids[1], "gone-2") == 0);
	ck_assert_uint_eq(st.deleted, 2); /* already gone counts as deleted */
	ck_assert_uint_eq(st.failed, 0);
	ck_assert_uint_eq(st.queued, 0);
}
END_TEST

START_TEST(test_reaper_jobs_retried_then_given_up)
{
	ecs_reaper_stats st;

	reap_two(&st, "flaky-1", "never-2");
	ck_assert_uint_eq(st.deleted, 1);
	ck_assert_uint_eq(st.failed, 1);
	/* flaky once, never twice before its third and last attempt */
	ck_assert_uint_eq(st.retries, 3);
	ck_assert_uint_eq(seen_calls, 2 + 3);
}
END_TEST

START_TEST(test_reaper_jobs_refused)
{
	ck_assert_int_eq(ecs_reaper_enqueue_kind(reaper, NULL, "x"), ECS_EINVAL);
	ck_assert_int_eq(ecs_reaper_enqueue_kind(reaper, &fake_kind, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_reaper_enqueue_kind(reaper, &fake_kind, ""), ECS_EINVAL);
	ck_assert_int_eq(ecs_reaper_enqueue_kind(NULL, &fake_kind, "x"), ECS_EINVAL);
	ck_assert_uint_eq(seen_calls, 0);
}
END_TEST

/* A pipe written in two pieces and closed: read whole, to its end of file. */
START_TEST(test_read_full_to_eof)
{
	int p[2];
	char buf[16];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "abc", 3), 3);
	ck_assert_int_eq(write(p[1], "defg", 4), 4);
	close(p[1]);
	ck_assert_uint_eq(ecs_read_full(p[0], buf, sizeof(buf)), 7);
	ck_assert_int_eq(errno, 0);
	ck_assert_int_eq(memcmp(buf, "abcdefg", 7), 0);
	close(p[0]);
}
END_TEST

/* More on the pipe than asked for: exactly the size, the rest left unread. */
START_TEST(test_read_full_stops_at_size)
{
	int p[2];
	char buf[8] = { 0 };

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "0123456789", 10), 10);
	ck_assert_uint_eq(ecs_read_full(p[0], buf, 4), 4);
	ck_assert_int_eq(memcmp(buf, "0123", 4), 0);
	ck_assert_int_eq(buf[4], 0);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 6);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A descriptor that cannot be read: nothing, and errno says why. */
START_TEST(test_read_full_error)
{
	char buf[4];

	ck_assert_uint_eq(ecs_read_full(-1, buf, sizeof(buf)), 0);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("floor");
	TCase *tc[] = { tcase_create("clock"), tcase_create("ids"), tcase_create("strvec"), tcase_create("reaper_jobs"),
			tcase_create("read_full") };
	SRunner *sr;
	int failed;

	tcase_add_test(tc[0], test_clock_readings_agree_and_advance);
	tcase_add_test(tc[0], test_clock_add_ms_carries);
	tcase_add_test(tc[0], test_clock_before_and_between);
	tcase_add_test(tc[1], test_ids_generate_hex);
	tcase_add_test(tc[1], test_ids_generate_small_buffer);
	tcase_add_test(tc[1], test_ids_chars);
	tcase_add_test(tc[2], test_strvec_push_grows_in_order);
	tcase_add_test(tc[2], test_strvec_take_hands_over);
	tcase_add_test(tc[2], test_strv_dup_and_free);
	tcase_add_checked_fixture(tc[3], reaper_setup, reaper_teardown);
	tcase_add_test(tc[3], test_reaper_jobs_deleter_of_the_kind);
	tcase_add_test(tc[3], test_reaper_jobs_retried_then_given_up);
	tcase_add_test(tc[3], test_reaper_jobs_refused);
	tcase_add_test(tc[4], test_read_full_to_eof);
	tcase_add_test(tc[4], test_read_full_stops_at_size);
	tcase_add_test(tc[4], test_read_full_error);
	for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++)
		suite_add_tcase(s, tc[i]);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
