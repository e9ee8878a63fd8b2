/* Unit tests: the X-Registry-Auth encoding (lib/registry_auth.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include <ecs/ecs.h>
#include "image_private.h"

static char *enc;

static void setup(void)
{
	enc = NULL;
}

static void teardown(void)
{
	free(enc);
	enc = NULL;
}

/*
 * Undo the encoding independently of the code under test: back to the
 * standard alphabet, EVP_DecodeBlock, then json-c. Checks the form of the
 * base64 on the way. The caller json_object_put()s the result.
 */
static json_object *decode(const char *s)
{
	size_t n = strlen(s), pad = 0;
	char *std = malloc(n + 1);
	unsigned char *raw = malloc(n + 1);
	json_object *obj;
	int len;

	ck_assert_ptr_nonnull(std);
	ck_assert_ptr_nonnull(raw);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(n % 4, 0);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		ck_assert_msg((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				c == '-' || c == '_' || c == '=', "not base64url: %c", c);
		if (c == '=')
			ck_assert_uint_ge(i, n - 2);
		std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	std[n] = '\0';
	while (pad < n && s[n - 1 - pad] == '=')
		pad++;
	len = EVP_DecodeBlock(raw, (const unsigned char *)std, (int)n);
	ck_assert_int_ge(len, 0);
	len -= (int)pad; /* EVP_DecodeBlock counts padding as zero bytes */
	raw[len] = '\0';
	ck_assert_uint_eq(strlen((char *)raw), (size_t)len);
	obj = json_tokener_parse((char *)raw);
	ck_assert_ptr_nonnull(obj);
	ck_assert(json_object_is_type(obj, json_type_object));
	free(raw);
	free(std);
	return obj;
}

/* The string member @key, or NULL when absent; fails on a non-string. */
static const char *member(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	ck_assert(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

/* Encode @auth, decode it back and compare every field. */
static void assert_round_trip(const ecs_registry_auth *auth)
{
	json_object *obj;

	ck_assert_int_eq(ecs_registry_auth_encode(&enc, auth), 0);
	ck_assert_ptr_nonnull(enc);
	obj = decode(enc);
	ck_assert_str_eq(member(obj, "username"), auth->username);
	ck_assert_str_eq(member(obj, "password"), auth->password);
	if (auth->email == NULL)
		ck_assert_ptr_null(member(obj, "email"));
	else
		ck_assert_str_eq(member(obj, "email"), auth->email);
	if (auth->server_address == NULL)
		ck_assert_ptr_null(member(obj, "serveraddress"));
	else
		ck_assert_str_eq(member(obj, "serveraddress"), auth->server_address);
	ck_assert_int_eq(json_object_object_length(obj),
			2 + (auth->email != NULL) + (auth->server_address != NULL));
	json_object_put(obj);
	free(enc);
	enc = NULL;
}

START_TEST(test_registry_auth_basic)
{
	ecs_registry_auth a = { "ecs", "s3cret", NULL, "127.0.0.1:5000" };

	assert_round_trip(&a);
}
END_TEST

START_TEST(test_registry_auth_exact_json)
{
	ecs_registry_auth a = { "u", "p", NULL, "h:5000/x" };
	static const char want[] = "{\"username\":\"u\",\"password\":\"p\",\"serveraddress\":\"h:5000/x\"}";
	unsigned char std[sizeof(want) * 2];

	/* The exact bytes: compact JSON in field order, and the URL-safe alphabet. */
	EVP_EncodeBlock(std, (const unsigned char *)want, (int)sizeof(want) - 1);
	for (unsigned char *p = std; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	ck_assert_int_eq(ecs_registry_auth_encode(&enc, &a), 0);
	ck_assert_str_eq(enc, (char *)std);
}
END_TEST

START_TEST(test_registry_auth_email_and_no_server)
{
	ecs_registry_auth a = { "ecs", "pw", "ecs@example.com", NULL };
	ecs_registry_auth b = { "ecs", "pw", "ecs@example.com", "registry.example.com" };
	ecs_registry_auth c = { "", "", NULL, NULL };

	assert_round_trip(&a);
	assert_round_trip(&b);
	assert_round_trip(&c);
}
END_TEST

START_TEST(test_registry_auth_special_chars)
{
	static const char *const passwords[] = {
		"quote\"quote",
		"back\\slash\\",
		"sl/ash+plus=eq",
		"new\nline\ttab\r\x01\x1f",
		"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x91",   /* é, check mark, key emoji */
		"</script>{\"username\":\"admin\"}",
		"'single' `back` $dollar %s %n",
		"\xe2\x80\xa8\xe2\x80\xa9",                   /* U+2028, U+2029 */
	};

	for (size_t i = 0; i < sizeof(passwords) / sizeof(passwords[0]); i++) {
		ecs_registry_auth a = { "us\"er\\", passwords[i], NULL, "127.0.0.1:5000" };

		assert_round_trip(&a);
	}
}
END_TEST

/* Every padding length, and inputs whose standard base64 has '+' and '/'. */
START_TEST(test_registry_auth_url_safe_alphabet)
{
	char pw[64];
	int saw_dash = 0, saw_underscore = 0, pads[3] = { 0, 0, 0 };

	for (int len = 0; len < 40; len++) {
		for (int i = 0; i < len; i++)
			pw[i] = "?>~"[(i + len) % 3]; /* bytes that land on indices 62 and 63 */
		pw[len] = '\0';
		{
			ecs_registry_auth a = { "u", pw, NULL, NULL };
			size_t n, pad = 0;

			assert_round_trip(&a);
			ck_assert_int_eq(ecs_registry_auth_encode(&enc, &a), 0);
			n = strlen(enc);
			saw_dash |= strchr(enc, '-') != NULL;
			saw_underscore |= strchr(enc, '_') != NULL;
			ck_assert_ptr_null(strchr(enc, '+'));
			ck_assert_ptr_null(strchr(enc, '/'));
			while (pad < n && enc[n - 1 - pad] == '=')
				pad++;
			pads[pad] = 1;
			free(enc);
			enc = NULL;
		}
	}
	ck_assert(saw_dash);
	ck_assert(saw_underscore);
	ck_assert(pads[0] && pads[1] && pads[2]);
}
END_TEST

START_TEST(test_registry_auth_long_password)
{
	char *pw = malloc(100001);
	ecs_registry_auth a = { "u", NULL, NULL, NULL };

	ck_assert_ptr_nonnull(pw);
	for (int i = 0; i < 100000; i++)
		pw[i] = (char)('a' + i % 26);
	pw[100000] = '\0';
	a.password = pw;
	assert_round_trip(&a);
	free(pw);
}
END_TEST

START_TEST(test_registry_auth_null_args)
{
	ecs_registry_auth no_user = { NULL, "p", NULL, NULL };
	ecs_registry_auth no_pass = { "u", NULL, NULL, NULL };
	ecs_registry_auth ok = { "u", "p", NULL, NULL };

	enc = (char *)"not touched";
	ck_assert_int_eq(ecs_registry_auth_encode(&enc, NULL), ECS_EINVAL);
	ck_assert_ptr_null(enc);
	ck_assert_int_eq(ecs_registry_auth_encode(&enc, &no_user), ECS_EINVAL);
	ck_assert_ptr_null(enc);
	ck_assert_int_eq(ecs_registry_auth_encode(&enc, &no_pass), ECS_EINVAL);
	ck_assert_ptr_null(enc);
	ck_assert_int_eq(ecs_registry_auth_encode(NULL, &ok), ECS_EINVAL);
}
END_TEST

static Suite *registry_auth_suite(void)
{
	Suite *s = suite_create("registry_auth");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_registry_auth_basic);
	tcase_add_test(tc, test_registry_auth_exact_json);
	tcase_add_test(tc, test_registry_auth_email_and_no_server);
	tcase_add_test(tc, test_registry_auth_special_chars);
	tcase_add_test(tc, test_registry_auth_url_safe_alphabet);
	tcase_add_test(tc, test_registry_auth_long_password);
	tcase_add_test(tc, test_registry_auth_null_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(registry_auth_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
