/* check_fcgi_query.c - query-string parsing for ?quick=. */
#include <stdlib.h>

#include <check.h>

#include "query.h"

START_TEST(test_query_finds_value)
{
	char *v = NULL;

	ck_assert_int_eq(query_get(&v, "quick=true", "quick"), 1);
	ck_assert_str_eq(v, "true");
	free(v);
	ck_assert_int_eq(query_get(&v, "a=1&quick=false&b=2", "quick"), 1);
	ck_assert_str_eq(v, "false");
	free(v);
}
END_TEST

START_TEST(test_query_absent)
{
	char *v = NULL;

	ck_assert_int_eq(query_get(&v, "", "quick"), 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(query_get(&v, NULL, "quick"), 0);
	ck_assert_int_eq(query_get(&v, "quickly=1&xquick=2", "quick"), 0);
	ck_assert_ptr_null(v);
}
END_TEST

START_TEST(test_query_first_occurrence_wins)
{
	char *v = NULL;

	ck_assert_int_eq(query_get(&v, "quick=dave&quick=true", "quick"), 1);
	ck_assert_str_eq(v, "dave");
	free(v);
}
END_TEST

START_TEST(test_query_percent_decoding)
{
	char *v = NULL;

	ck_assert_int_eq(query_get(&v, "q%75ick=tr%75e", "quick"), 1);
	ck_assert_str_eq(v, "true");
	free(v);
	ck_assert_int_eq(query_get(&v, "x=a+b%20c", "x"), 1);
	ck_assert_str_eq(v, "a b c");
	free(v);
}
END_TEST

START_TEST(test_query_empty_and_bare)
{
	char *v = NULL;

	ck_assert_int_eq(query_get(&v, "quick=", "quick"), 1);
	ck_assert_str_eq(v, "");
	free(v);
	ck_assert_int_eq(query_get(&v, "quick", "quick"), 1);
	ck_assert_str_eq(v, "");
	free(v);
	ck_assert_int_eq(query_get(&v, "&&quick=true&", "quick"), 1);
	ck_assert_str_eq(v, "true");
	free(v);
}
END_TEST

START_TEST(test_query_malformed_escape)
{
	char *v = NULL;

	ck_assert_int_eq(query_get(&v, "quick=%zz", "quick"), -1);
	ck_assert_int_eq(query_get(&v, "quick=%2", "quick"), -1);
	ck_assert_int_eq(query_get(&v, "quick=a%00b", "quick"), -1);
	ck_assert_ptr_null(v);
}
END_TEST

START_TEST(test_query_parse_bool)
{
	int b = -1;

	ck_assert_int_eq(query_parse_bool(&b, "true"), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(query_parse_bool(&b, "false"), 0);
	ck_assert_int_eq(b, 0);
	/* Exactly the reference's words: no other case. */
	ck_assert_int_eq(query_parse_bool(&b, "FALSE"), -1);
	ck_assert_int_eq(query_parse_bool(&b, "True"), -1);
	ck_assert_int_eq(query_parse_bool(&b, "dave"), -1);
	ck_assert_int_eq(query_parse_bool(&b, ""), -1);
	ck_assert_int_eq(query_parse_bool(&b, "1"), -1);
	ck_assert_int_eq(query_parse_bool(&b, NULL), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_query");
	TCase *tc = tcase_create("query");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_query_finds_value);
	tcase_add_test(tc, test_query_absent);
	tcase_add_test(tc, test_query_first_occurrence_wins);
	tcase_add_test(tc, test_query_percent_decoding);
	tcase_add_test(tc, test_query_empty_and_bare);
	tcase_add_test(tc, test_query_malformed_escape);
	tcase_add_test(tc, test_query_parse_bool);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
