/* check_fcgi_text.c - caller-supplied bytes in messages (text.c) and the
 * strict checks json-c lacks (json_strict.c). */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "json_strict.h"
#include "text.h"

static int valid(const char *s)
{
	return text_utf8_prefix(s, strlen(s)) == strlen(s);
}

START_TEST(test_text_utf8_prefix_rfc3629)
{
	ck_assert(valid(""));
	ck_assert(valid("plain ascii"));
	ck_assert(valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
	ck_assert_uint_eq(text_utf8_prefix("ab\xff", 3), 2);
	ck_assert_uint_eq(text_utf8_prefix("a\xc0\x80", 3), 1);          /* overlong NUL */
	ck_assert_uint_eq(text_utf8_prefix("a\xe0\x80\xaf", 4), 1);      /* overlong / */
	ck_assert_uint_eq(text_utf8_prefix("a\xed\xa0\x80", 4), 1);      /* surrogate D800 */
	ck_assert_uint_eq(text_utf8_prefix("a\xf4\x90\x80\x80", 5), 1);  /* above U+10FFFF */
	ck_assert_uint_eq(text_utf8_prefix("a\xc3", 2), 1);              /* cut short */
	ck_assert_uint_eq(text_utf8_prefix("a\x80", 2), 1);              /* lone continuation */
	ck_assert_uint_eq(text_utf8_prefix("\xc3\xa9", 1), 0);           /* the length is honoured */
}
END_TEST

START_TEST(test_text_quote_escapes_bad_bytes)
{
	char q[64];

	ck_assert_str_eq(text_quote(q, sizeof(q), "\xff", 64), "\\xFF");
	ck_assert_str_eq(text_quote(q, sizeof(q), "a\xc3(b", 64), "a\\xC3(b");
	ck_assert_str_eq(text_quote(q, sizeof(q), "line\nbreak\x7f", 64), "line\\x0Abreak\\x7F");
	ck_assert_str_eq(text_quote(q, sizeof(q), "caf\xc3\xa9", 64), "caf\xc3\xa9");
}
END_TEST

START_TEST(test_text_quote_cuts_on_boundaries)
{
	char big[300], q[200];
	size_t i;

	/* 127 a + éé (the image name): cut at 128 bytes, never inside é. */
	memset(big, 'a', 127);
	strcpy(big + 127, "\xc3\xa9\xc3\xa9:1");
	text_quote(q, sizeof(q), big, 128);
	ck_assert(valid(q));
	ck_assert_uint_le(strlen(q), 128);
	ck_assert_str_eq(q + strlen(q) - 3, "...");
	/* Whatever the limit and the room, the output is UTF-8 and fits. */
	for (i = 0; i < 140; i++) {
		char small[16];

		text_quote(q, sizeof(q), big, i);
		ck_assert(valid(q));
		ck_assert_uint_le(strlen(q), i);
		text_quote(small, sizeof(small), big + 120, 200);
		ck_assert(valid(small));
	}
	/* Exactly fitting: no "...". */
	ck_assert_str_eq(text_quote(q, sizeof(q), "abc", 3), "abc");
	ck_assert_str_eq(text_quote(q, sizeof(q), "abcd", 3), "...");
	ck_assert_str_eq(text_quote(q, 1, "abc", 3), "");
}
END_TEST

START_TEST(test_text_cut_drops_a_partial_end)
{
	char a[] = "ok \xe2\x82", b[] = "ok \xe2\x82\xac", c[] = "ok \xff";

	ck_assert_str_eq(text_cut(a), "ok ");
	ck_assert_str_eq(text_cut(b), "ok \xe2\x82\xac");
	ck_assert_str_eq(text_cut(c), "ok \xff");  /* not a cut: left for text_quote */
}
END_TEST

static int strict(const char *text)
{
	struct json_object *root = json_tokener_parse(text);
	char why[96];
	int rc;

	ck_assert_msg(root != NULL, "json-c refused %s", text);
	rc = json_strict_check(text, strlen(text), root, why, sizeof(why));
	json_object_put(root);
	return rc;
}

START_TEST(test_json_strict_duplicates)
{
	ck_assert_int_eq(strict("{\"a\": 1, \"b\": {\"a\": 2}, \"c\": [{\"a\": 3}, {\"a\": \"x:y\"}]}"), 0);
	ck_assert_int_eq(strict("{\"a\": 1, \"a\": 2}"), -1);
	ck_assert_int_eq(strict("{\"a\": 1, \"\\u0061\": 2}"), -1);
	ck_assert_int_eq(strict("{\"x\": [{\"k\": 1, \"k\": 1}]}"), -1);
	ck_assert_int_eq(strict("{\"x\": {\"y\": {}, \"y\": {\"z\": 1}}}"), -1);
	ck_assert_int_eq(strict("{\"a:b\": \"c:\\\"d\", \"e\": \"\\\\\"}"), 0);
	ck_assert_int_eq(strict("[]"), 0);
}
END_TEST

START_TEST(test_json_strict_surrogates_and_bytes)
{
	char why[96];
	const char *bad = "{\"a\": \"\xc0\x80\"}";
	struct json_object *root = json_tokener_parse(bad);

	ck_assert_int_eq(strict("[\"\\ud83d\\ude00\", \"\\u00e9\", \"\\\\ud800\"]"), 0);
	ck_assert_int_eq(strict("[\"\\ud800\"]"), -1);
	ck_assert_int_eq(strict("[\"\\udc00\\ud800\"]"), -1);
	ck_assert_int_eq(strict("[\"\\ud800\\u0041\"]"), -1);
	ck_assert_int_eq(strict("[\"\\uD83D\\uDE00x\"]"), 0);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(json_strict_check(bad, strlen(bad), root, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "byte 7"));
	json_object_put(root);
}
END_TEST

static Suite *text_suite(void)
{
	Suite *s = suite_create("fcgi_text");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, test_text_utf8_prefix_rfc3629);
	tcase_add_test(tc, test_text_quote_escapes_bad_bytes);
	tcase_add_test(tc, test_text_quote_cuts_on_boundaries);
	tcase_add_test(tc, test_text_cut_drops_a_partial_end);
	tcase_add_test(tc, test_json_strict_duplicates);
	tcase_add_test(tc, test_json_strict_surrogates_and_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(text_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
