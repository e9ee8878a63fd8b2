/* check_fcgi_watch.c - the client-abort watcher: a hang-up triggers the tokens, nothing else does. */
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <ecs/ecs.h>
#include "watch.h"

static watch *w;
static int sp[2];
static ecs_cancel *cancel, *gone;

static void setup(void)
{
	ck_assert_int_eq(watch_new(&w), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(ecs_cancel_new(&cancel), 0);
	ck_assert_int_eq(ecs_cancel_new(&gone), 0);
}

static void teardown(void)
{
	watch_free(w);
	close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	ecs_cancel_free(cancel);
	ecs_cancel_free(gone);
}

/* Up to 5 s for the watcher thread to notice. */
static int triggered_soon(const ecs_cancel *c)
{
	for (int i = 0; i < 500; i++) {
		if (ecs_cancel_is_triggered(c))
			return 1;
		poll(NULL, 0, 10);
	}
	return 0;
}

START_TEST(test_watch_hangup_cancels)
{
	watch_entry *e = watch_add(w, sp[0], cancel, gone);

	ck_assert_ptr_nonnull(e);
	close(sp[1]);
	sp[1] = -1;
	ck_assert(triggered_soon(cancel));
	ck_assert(ecs_cancel_is_triggered(gone));
	watch_remove(w, e);
}
END_TEST

START_TEST(test_watch_data_is_not_a_hangup)
{
	watch_entry *e = watch_add(w, sp[0], cancel, gone);
	char c = 'x';

	ck_assert_int_eq(write(sp[1], &c, 1), 1);
	/* Nothing to wait on but time: a quarter second of data pending. */
	poll(NULL, 0, 250);
	ck_assert(!ecs_cancel_is_triggered(cancel));
	ck_assert(!ecs_cancel_is_triggered(gone));
	watch_remove(w, e);
}
END_TEST

START_TEST(test_watch_removed_is_not_watched)
{
	watch_entry *e = watch_add(w, sp[0], cancel, NULL);
	ecs_cancel *other;
	int sp2[2];

	watch_remove(w, e);
	close(sp[1]);
	sp[1] = -1;
	/* A second entry shows the thread went round after the hang-up. */
	ck_assert_int_eq(ecs_cancel_new(&other), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp2), 0);
	e = watch_add(w, sp2[0], other, NULL);
	close(sp2[1]);
	ck_assert(triggered_soon(other));
	ck_assert(!ecs_cancel_is_triggered(cancel));
	watch_remove(w, e);
	close(sp2[0]);
	ecs_cancel_free(other);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fcgi_watch");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_watch_hangup_cancels);
	tcase_add_test(tc, test_watch_data_is_not_a_hangup);
	tcase_add_test(tc, test_watch_removed_is_not_watched);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
