/* check_fcgi_log.c - the key=value log line: quoting and the timestamp. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "log.h"

START_TEST(test_log_plain_values_unquoted)
{
	log_line l;

	l.len = 0;
	l.buf[0] = '\0';
	log_kv(&l, "status", "201");
	log_kv(&l, "path", "/v1.1/tasks");
	ck_assert_str_eq(l.buf, "status=201 path=/v1.1/tasks");
}
END_TEST

START_TEST(test_log_quotes_and_escapes)
{
	log_line l;

	l.len = 0;
	l.buf[0] = '\0';
	log_kv(&l, "client", "CN=alice,O=Example Corp");
	log_kv(&l, "msg", "say \"hi\"\\\n");
	log_kv(&l, "empty", "");
	log_kv(&l, "null", NULL);
	ck_assert_str_eq(l.buf, "client=\"CN=alice,O=Example Corp\" msg=\"say \\\"hi\\\"\\\\\\x0a\" empty=- null=-");
}
END_TEST

START_TEST(test_log_begin_has_utc_timestamp)
{
	log_line l;

	log_begin(&l, LOG_LEVEL_INFO, "request");
	/* ts=YYYY-MM-DDTHH:MM:SS.mmmZ level=info event=request */
	ck_assert_int_eq(strncmp(l.buf, "ts=", 3), 0);
	ck_assert_int_eq(l.buf[3 + 10], 'T');
	ck_assert_int_eq(l.buf[3 + 23], 'Z');
	ck_assert_ptr_nonnull(strstr(l.buf, " level=info event=request"));
}
END_TEST

START_TEST(test_log_long_line_truncated_not_overflowed)
{
	log_line l;
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	l.len = 0;
	l.buf[0] = '\0';
	log_kv(&l, "v", big);
	ck_assert_uint_eq(l.len, sizeof(l.buf) - 1);
	ck_assert_uint_eq(strlen(l.buf), l.len);
}
END_TEST

/* Client text (a path with %ff decoded) must not make the log invalid UTF-8. */
START_TEST(test_log_invalid_utf8_escaped)
{
	log_line l;

	l.len = 0;
	l.buf[0] = '\0';
	log_kv(&l, "path", "/v1.1/\xff\xfe");
	log_kv(&l, "ok", "caf\xc3\xa9");
	log_kv(&l, "cut", "a\xc3");
	log_kv(&l, "overlong", "\xc0\xaf");
	ck_assert_str_eq(l.buf, "path=\"/v1.1/\\xff\\xfe\" ok=caf\xc3\xa9 cut=\"a\\xc3\" overlong=\"\\xc0\\xaf\"");
}
END_TEST

/* A cut at the end of the buffer never leaves half a character. */
START_TEST(test_log_truncation_keeps_utf8)
{
	log_line l;
	char big[3000];
	size_t i;

	for (i = 0; i + 1 < sizeof(big); i += 2) {
		big[i] = '\xc3';
		big[i + 1] = '\xa9';
	}
	big[sizeof(big) - 1] = '\0';
	l.len = 0;
	l.buf[0] = '\0';
	log_kv(&l, "v", "x");
	log_kv(&l, "w", big);
	ck_assert_uint_eq(strlen(l.buf), l.len);
	ck_assert_uint_eq((unsigned char)l.buf[l.len - 1], 0xa9);
}
END_TEST

START_TEST(test_log_levels)
{
	log_set_level(LOG_LEVEL_WARNING);
	ck_assert_int_eq(log_enabled(LOG_LEVEL_ERROR), 1);
	ck_assert_int_eq(log_enabled(LOG_LEVEL_INFO), 0);
	log_set_level(LOG_LEVEL_INFO);
	ck_assert_int_eq(log_enabled(LOG_LEVEL_INFO), 1);
	ck_assert_int_eq(log_enabled(LOG_LEVEL_DEBUG), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_log");
	TCase *tc = tcase_create("log");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_log_plain_values_unquoted);
	tcase_add_test(tc, test_log_quotes_and_escapes);
	tcase_add_test(tc, test_log_begin_has_utc_timestamp);
	tcase_add_test(tc, test_log_long_line_truncated_not_overflowed);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_log_invalid_utf8_escaped);
	tcase_add_test(tc, test_log_truncation_keeps_utf8);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
