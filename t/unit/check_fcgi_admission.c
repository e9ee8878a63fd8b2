/* check_fcgi_admission.c - per-client task counts: limits, clients apart, release. */
#include <stdlib.h>

#include <check.h>

#include "admission.h"

static admission *a;

static void setup(void)
{
	ck_assert_int_eq(admission_new(&a), 0);
}

static void teardown(void)
{
	admission_free(a);
	a = NULL;
}

START_TEST(test_admission_limit)
{
	ck_assert_int_eq(admission_enter(a, "CN=alice", 2), 0);
	ck_assert_int_eq(admission_enter(a, "CN=alice", 2), 0);
	ck_assert_int_eq(admission_enter(a, "CN=alice", 2), 1);
	ck_assert_int_eq(admission_count(a, "CN=alice"), 2);
	admission_leave(a, "CN=alice");
	ck_assert_int_eq(admission_enter(a, "CN=alice", 2), 0);
	admission_leave(a, "CN=alice");
	admission_leave(a, "CN=alice");
	ck_assert_int_eq(admission_count(a, "CN=alice"), 0);
}
END_TEST

START_TEST(test_admission_clients_apart)
{
	ck_assert_int_eq(admission_enter(a, "alice", 1), 0);
	ck_assert_int_eq(admission_enter(a, "alice", 1), 1);
	ck_assert_int_eq(admission_enter(a, "bob", 1), 0);
	ck_assert_int_eq(admission_count(a, "bob"), 1);
	admission_leave(a, "alice");
	ck_assert_int_eq(admission_count(a, "alice"), 0);
	ck_assert_int_eq(admission_count(a, "bob"), 1);
	/* left in the table: admission_free() frees it */
}
END_TEST

START_TEST(test_admission_no_cap)
{
	int i;

	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(admission_enter(a, "carol", 0), 0);
	ck_assert_int_eq(admission_count(a, "carol"), 1000);
	/* a lower limit now refuses until enough have left */
	ck_assert_int_eq(admission_enter(a, "carol", 5), 1);
	for (i = 0; i < 1000; i++)
		admission_leave(a, "carol");
	ck_assert_int_eq(admission_count(a, "carol"), 0);
	/* leaving a client that has nothing is harmless */
	admission_leave(a, "nobody");
	ck_assert_int_eq(admission_count(a, "nobody"), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fcgi_admission");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_admission_limit);
	tcase_add_test(tc, test_admission_clients_apart);
	tcase_add_test(tc, test_admission_no_cap);
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
