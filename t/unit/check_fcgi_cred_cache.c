/* check_fcgi_cred_cache.c - the cache of credentials a registry accepted lately. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cred_cache.h"

START_TEST(test_cred_cache_keys_differ_by_every_field)
{
	cred_cache *c = cred_cache_new(8, 60);
	ecs_registry_auth a = { "u", "p", NULL, NULL }, b = a;
	unsigned char k1[CRED_CACHE_KEY_LEN], k2[CRED_CACHE_KEY_LEN];

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cred_cache_key(k1, c, "CN=a", "x/y:1", &a), 0);
	ck_assert_int_eq(cred_cache_key(k2, c, "CN=a", "x/y:1", &b), 0);
	ck_assert_mem_eq(k1, k2, sizeof(k1));
	b.password = "q";
	ck_assert_int_eq(cred_cache_key(k2, c, "CN=a", "x/y:1", &b), 0);
	ck_assert(memcmp(k1, k2, sizeof(k1)) != 0);
	ck_assert_int_eq(cred_cache_key(k2, c, "CN=b", "x/y:1", &a), 0);
	ck_assert(memcmp(k1, k2, sizeof(k1)) != 0);
	ck_assert_int_eq(cred_cache_key(k2, c, "CN=a", "x/y:2", &a), 0);
	ck_assert(memcmp(k1, k2, sizeof(k1)) != 0);
	ck_assert_int_eq(cred_cache_key(k2, c, "CN=a", "x/y:1", NULL), 0);
	ck_assert(memcmp(k1, k2, sizeof(k1)) != 0);
	/* Field boundaries count: ("ab", "c") is not ("a", "bc"). */
	b.username = "up";
	b.password = "";
	ck_assert_int_eq(cred_cache_key(k2, c, "CN=a", "x/y:1", &b), 0);
	ck_assert(memcmp(k1, k2, sizeof(k1)) != 0);
	cred_cache_free(c);
}
END_TEST

START_TEST(test_cred_cache_ttl)
{
	cred_cache *c = cred_cache_new(8, 60);
	ecs_registry_auth a = { "u", "p", NULL, NULL };
	unsigned char k[CRED_CACHE_KEY_LEN];

	ck_assert_int_eq(cred_cache_key(k, c, "CN=a", "x/y:1", &a), 0);
	ck_assert_int_eq(cred_cache_hit(c, k, 1000), 0);
	cred_cache_put(c, k, 1000);
	ck_assert_int_eq(cred_cache_hit(c, k, 1000), 1);
	ck_assert_int_eq(cred_cache_hit(c, k, 1059.9), 1);
	ck_assert_int_eq(cred_cache_hit(c, k, 1060), 0);
	cred_cache_put(c, k, 1060);
	ck_assert_int_eq(cred_cache_hit(c, k, 1100), 1);
	cred_cache_free(c);
	cred_cache_free(NULL);
	ck_assert_ptr_null(cred_cache_new(0, 60));
}
END_TEST

/* Bounded: a full cache replaces the entry closest to expiry. */
START_TEST(test_cred_cache_bounded)
{
	cred_cache *c = cred_cache_new(4, 60);
	unsigned char k[6][CRED_CACHE_KEY_LEN];
	char img[32];
	int i;

	for (i = 0; i < 6; i++) {
		snprintf(img, sizeof(img), "x/y:%d", i);
		ck_assert_int_eq(cred_cache_key(k[i], c, "CN=a", img, NULL), 0);
		cred_cache_put(c, k[i], 1000 + i);
	}
	ck_assert_int_eq(cred_cache_hit(c, k[0], 1010), 0);
	ck_assert_int_eq(cred_cache_hit(c, k[1], 1010), 0);
	for (i = 2; i < 6; i++)
		ck_assert_int_eq(cred_cache_hit(c, k[i], 1010), 1);
	cred_cache_free(c);
}
END_TEST

static cred_cache *shared;

static void *hammer(void *arg)
{
	unsigned char k[CRED_CACHE_KEY_LEN];
	char img[32];
	int i, t = (int)(long)arg;

	for (i = 0; i < 2000; i++) {
		snprintf(img, sizeof(img), "x/y:%d-%d", t, i % 50);
		if (cred_cache_key(k, shared, "CN=a", img, NULL) != 0)
			return (void *)1;
		cred_cache_put(shared, k, 1000);
		if (!cred_cache_hit(shared, k, 1000))
			return (void *)1;
	}
	return NULL;
}

START_TEST(test_cred_cache_threads)
{
	pthread_t th[4];
	void *ret;
	long i;

	shared = cred_cache_new(CRED_CACHE_SIZE, 60);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, (void *)i), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	cred_cache_free(shared);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_cred_cache");
	TCase *tc = tcase_create("cred_cache");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cred_cache_keys_differ_by_every_field);
	tcase_add_test(tc, test_cred_cache_ttl);
	tcase_add_test(tc, test_cred_cache_bounded);
	tcase_add_test(tc, test_cred_cache_threads);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
