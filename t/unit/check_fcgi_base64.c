/* check_fcgi_base64.c - base64 as the task response and the stdin extension use it. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "base64.h"

START_TEST(test_base64_encode_hello_world)
{
	char *s = NULL;

	ck_assert_int_eq(base64_encode(&s, (const unsigned char *)"hello world\n", 12), 0);
	ck_assert_str_eq(s, "aGVsbG8gd29ybGQK");
	free(s);
}
END_TEST

START_TEST(test_base64_encode_empty)
{
	char *s = NULL;

	ck_assert_int_eq(base64_encode(&s, NULL, 0), 0);
	ck_assert_str_eq(s, "");
	free(s);
}

END_TEST

START_TEST(test_base64_encode_padding)
{
	char *s = NULL;

	ck_assert_int_eq(base64_encode(&s, (const unsigned char *)"a", 1), 0);
	ck_assert_str_eq(s, "YQ==");
	free(s);
	ck_assert_int_eq(base64_encode(&s, (const unsigned char *)"ab", 2), 0);
	ck_assert_str_eq(s, "YWI=");
	free(s);
}
END_TEST

START_TEST(test_base64_roundtrip_binary)
{
	unsigned char in[256], *out = NULL;
	char *s = NULL;
	size_t i, n = 0;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)i;
	ck_assert_int_eq(base64_encode(&s, in, sizeof(in)), 0);
	ck_assert_int_eq(base64_decode(&out, &n, s, strlen(s)), 0);
	ck_assert_uint_eq(n, sizeof(in));
	ck_assert_int_eq(memcmp(in, out, n), 0);
	free(s);
	free(out);
}
END_TEST

START_TEST(test_base64_decode_padding_lengths)
{
	unsigned char *out = NULL;
	size_t n = 0;

	ck_assert_int_eq(base64_decode(&out, &n, "YQ==", 4), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq((char *)out, "a");
	free(out);
	ck_assert_int_eq(base64_decode(&out, &n, "YWI=", 4), 0);
	ck_assert_uint_eq(n, 2);
	free(out);
	ck_assert_int_eq(base64_decode(&out, &n, "", 0), 0);
	ck_assert_uint_eq(n, 0);
	free(out);
}
END_TEST

START_TEST(test_base64_decode_rejects_bad_input)
{
	static const char *const bad[] = { "YQ=", "Y", "YQ=A", "Y?==", "YW I", "aGVsbG8gd29ybGQK\n", "=YQ=", "YQ==YQ==" };
	unsigned char *out = NULL;
	size_t i, n = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(base64_decode(&out, &n, bad[i], strlen(bad[i])) == -1, "accepted '%s'", bad[i]);
		ck_assert_ptr_null(out);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_base64");
	TCase *tc = tcase_create("base64");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_base64_encode_hello_world);
	tcase_add_test(tc, test_base64_encode_empty);
	tcase_add_test(tc, test_base64_encode_padding);
	tcase_add_test(tc, test_base64_roundtrip_binary);
	tcase_add_test(tc, test_base64_decode_padding_lengths);
	tcase_add_test(tc, test_base64_decode_rejects_bad_input);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
