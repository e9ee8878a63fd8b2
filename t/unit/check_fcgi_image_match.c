/* check_fcgi_image_match.c - image patterns: parsed, then matched part by part. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "image_match.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define E64 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static const struct {
	const char *pattern;
	const char *image;
	int want;
} cases[] = {
	/* the attacks of issue 8: '*' crossed ':', '/' and '.' as fnmatch on the raw string */
	{ "python:*", "python:5000/evil/x:1", 0 },
	{ "python:*", "python:3.12", 1 },
	{ "ecs*", "ecs.evil.io/x:1", 0 },
	{ "ecs*", "ecsy:1", 1 },
	{ "ecs/*", "ecs/a/b:1", 0 },
	{ "ecs/*", "ecs/tool:1", 1 },
	{ "ecs/busybox:*", "ecs/busybox:latest", 1 },
	{ "ecs/busybox:*", "ecs/busybox:latest@sha256:" D64, 0 },  /* the digest decides, not the tag */
	{ "ecs/busybox:*", "ecs/busybox@sha256:" D64, 0 },
	{ "ecs/busybox:*", "evil.io/ecs/busybox:latest", 0 },
	{ "ecs/busybox:*", "localhost/ecs/busybox:latest", 0 },
	{ "ecs/busybox:*", "127.0.0.1:5000/ecs/busybox:latest", 0 },
	{ "*/*", "127.0.0.1:5000/x:1", 0 },
	{ "*/*:*", "localhost:5000/x:1", 0 },
	{ "*/*", "someone/tool:2", 1 },
	/* docker.io/library/ is one image however it is written */
	{ "busybox:1", "busybox:1", 1 },
	{ "busybox:1", "library/busybox:1", 1 },
	{ "busybox:1", "docker.io/library/busybox:1", 1 },
	{ "busybox:1", "docker.io/busybox:1", 1 },
	{ "busybox:1", "index.docker.io/library/busybox:1", 1 },
	{ "docker.io/library/busybox:1", "busybox:1", 1 },
	{ "library/busybox:*", "busybox:1", 1 },
	{ "busybox:1", "busybox:12", 0 },
	{ "busybox:1", "other/busybox:1", 0 },
	{ "*", "busybox:1", 1 },
	{ "*", "ecs/busybox:1", 0 },
	/* registries: host, port, label by label */
	{ "registry.example.com/ci/*", "registry.example.com/ci/tool:1", 1 },
	/* an upper-case host is another registry to the engine: refused, never lowered into a match */
	{ "registry.example.com/ci/*", "REGISTRY.example.com/ci/tool:1", 0 },
	{ "docker.io/ecs/*", "Docker.io/ecs/busybox:latest", 0 },
	{ "ecs/busybox:*", "Docker.io/ecs/busybox:latest", 0 },
	{ "*/*/*:*", "Docker.io/ecs/busybox:latest", 0 },
	/* registry-1.docker.io is not docker.io to the engine (only index.docker.io is) */
	{ "busybox:1", "registry-1.docker.io/library/busybox:1", 0 },
	{ "registry-1.docker.io/library/busybox:1", "registry-1.docker.io/library/busybox:1", 1 },
	{ "registry.example.com/ci/*", "registry.example.com:5000/ci/tool:1", 0 },
	{ "registry.example.com/ci/*", "registry.example.com.evil.io/ci/tool:1", 0 },
	{ "registry.example.com/ci/*", "registry.example.com/ci/a/tool:1", 0 },
	{ "*.example.com/ci/*", "r1.example.com/ci/tool:1", 1 },
	{ "*.example.com/ci/*", "a.b.example.com/ci/tool:1", 0 },
	{ "*.example.com/ci/*", "example.com/ci/tool:1", 0 },
	{ "127.0.0.1:5000/ecs/*:*", "127.0.0.1:5000/ecs/private-busybox:1.0", 1 },
	{ "127.0.0.1:5000/ecs/*:*", "127.0.0.1:5001/ecs/private-busybox:1.0", 0 },
	{ "127.0.0.1:5000/ecs/*:*", "127.0.0.1/ecs/private-busybox:1.0", 0 },
	{ "127.0.0.1:*/ecs/*:*", "127.0.0.1:8521/ecs/x:1", 1 },
	{ "localhost/x:1", "localhost/x:1", 1 },
	/* tags and digests, each its own part */
	{ "ecs/tool:1.*", "ecs/tool:1.2.3", 1 },
	{ "ecs/tool:1.*", "ecs/tool:2.1", 0 },
	{ "ecs/tool:v?", "ecs/tool:v1", 1 },
	{ "ecs/tool:v?", "ecs/tool:v10", 0 },
	{ "ecs/tool@sha256:*", "ecs/tool@sha256:" D64, 1 },
	{ "ecs/tool@sha256:*", "ecs/tool:1@sha256:" D64, 1 },
	{ "ecs/tool@sha256:*", "ecs/tool:1", 0 },
	/* an algorithm the engine does not know is no reference (it was admitted before issue 22) */
	{ "ecs/t0:o_@h" "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvva5:" D64, "ecs/t0:o_@h" "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvva5:" D64, 0 },
	{ "ecs/tool@sha512:*", "ecs/tool@sha512:" D64 E64, 1 },
	{ "ecs/tool@sha256:" D64, "ecs/tool@sha256:" E64, 0 },
	{ "ecs/tool:1@sha256:*", "ecs/tool@sha256:" D64, 0 },
	{ "ecs/tool:1@sha256:*", "ecs/tool:1@sha256:" D64, 1 },
	{ "ecs/tool", "ecs/tool@sha256:" D64, 1 },
	{ "ecs/tool", "ecs/tool:anything", 1 },
	/* references the engine would refuse are never admitted */
	{ "*", "BusyBox:1", 0 },
	{ "*", "busybox", 0 },
	{ "*/*", "a//b:1", 0 },
	/* image ids name no repository: no pattern admits one (issue 22) */
	{ "*", "sha256:2", 0 },
	{ "sha256:*", "sha256:2", 0 },
	{ "sha256", "sha256:2d", 0 },
	{ "library/sha256:*", "sha256:" D64, 0 },
	{ "*:*", D64, 0 },
	{ "*@sha256:*", "sha256:" D64, 0 },
	{ "*", "sha512:0", 0 },
	{ "*:*", D64 ":latest", 0 },
};

START_TEST(test_image_match_table)
{
	int got = image_match(cases[_i].pattern, cases[_i].image);

	ck_assert_msg(got == cases[_i].want, "'%s' vs '%s': got %d, want %d",
			cases[_i].pattern, cases[_i].image, got, cases[_i].want);
}
END_TEST

static const char *bad_patterns[] = {
	"", "ecs/", "/ecs", "ecs//x", "ecs/Busybox:*", "ecs/busybox:", "ecs/busybox:a/b", "ecs/x@",
	"ecs/x@sha256", "ecs/x@*", "ecs/x@sha256:xyz", "ecs/x@sha256:a:b", "ecs/[ab]:1", "ecs/x\\y:1",
	"bad_host.io/x:1", "host.io:/x:1", "host.io:50a0/x:1", ":5000/x:1", "ecs/x:a b",
};

/*
 * The longest valid reference (name 255, tag 128, digest sha512's 135)
 * admits itself as a pattern (fuzz_image_match found a 516-character one
 * that did not).
 */
START_TEST(test_image_match_longest_reference)
{
	char ref[255 + 1 + 128 + 1 + 135 + 1];
	size_t n = 0;

	memset(ref, 'a', 255);
	n = 255;
	ref[n++] = ':';
	memset(ref + n, 't', 128);
	n += 128;
	memcpy(ref + n, "@sha512:", 8);
	n += 8;
	memset(ref + n, 'f', 128);
	n += 128;
	ref[n] = '\0';
	ck_assert_uint_eq(strlen(ref), sizeof(ref) - 1);
	ck_assert_int_eq(image_match(ref, ref), 1);
}
END_TEST

START_TEST(test_image_match_bad_patterns)
{
	image_parts p;
	char why[200] = "";

	ck_assert_msg(image_pattern_parse(&p, bad_patterns[_i], why, sizeof(why)) == -1,
			"'%s' accepted", bad_patterns[_i]);
	ck_assert_msg(why[0] != '\0', "no reason for '%s'", bad_patterns[_i]);
	ck_assert_ptr_null(p.host);
	ck_assert_ptr_null(p.path);
	ck_assert_int_eq(image_match(bad_patterns[_i], "ecs/x:1"), 0);
}
END_TEST

START_TEST(test_image_match_parts)
{
	image_parts p;
	char why[200], reg[64];

	ck_assert_int_eq(image_parts_from_ref(&p, "busybox:1"), 0);
	ck_assert_str_eq(p.host, "docker.io");
	ck_assert_ptr_null(p.port);
	ck_assert_uint_eq(p.path_len, 2);
	ck_assert_str_eq(p.path[0], "library");
	ck_assert_str_eq(p.path[1], "busybox");
	ck_assert_str_eq(p.tag, "1");
	ck_assert_ptr_null(p.digest);
	image_parts_clear(&p);

	ck_assert_int_eq(image_pattern_parse(&p, "Reg.Example.com:50*/a/b:*", why, sizeof(why)), 0);
	ck_assert_str_eq(p.host, "reg.example.com");
	ck_assert_str_eq(p.port, "50*");
	ck_assert_int_eq(image_parts_literal_host(&p), 0);
	image_parts_registry(reg, sizeof(reg), &p);
	ck_assert_str_eq(reg, "reg.example.com:50*");
	image_parts_clear(&p);
	image_parts_clear(NULL);

	ck_assert_int_eq(image_parts_from_ref(&p, "not a ref"), -1);
	ck_assert_ptr_null(p.host);
	/* an id is a valid reference, but names no registry or repository to match */
	ck_assert_int_eq(image_parts_from_ref(&p, "sha256:2"), -1);
	ck_assert_ptr_null(p.host);
	ck_assert_int_eq(image_parts_from_ref(&p, D64), -1);
	ck_assert_ptr_null(p.host);
	ck_assert_int_eq(image_parts_from_ref(&p, "Docker.io/ecs/busybox:latest"), -1);
	ck_assert_ptr_null(p.host);
}
END_TEST

START_TEST(test_image_match_registries)
{
	image_parts r, im;
	char why[200];

	ck_assert_int_eq(image_registry_parse(&r, "docker.io", why, sizeof(why)), 0);
	ck_assert_int_eq(image_parts_from_ref(&im, "ecs/busybox:latest"), 0);
	ck_assert_int_eq(image_registry_match(&r, &im), 1);
	image_parts_clear(&im);
	ck_assert_int_eq(image_parts_from_ref(&im, "127.0.0.1:8521/x/y:1"), 0);
	ck_assert_int_eq(image_registry_match(&r, &im), 0);
	image_parts_clear(&im);
	/* the engine's normalisations, and only those */
	ck_assert_int_eq(image_parts_from_ref(&im, "index.docker.io/x/y:1"), 0);
	ck_assert_int_eq(image_registry_match(&r, &im), 1);
	image_parts_clear(&im);
	ck_assert_int_eq(image_parts_from_ref(&im, "docker.io/y:1"), 0);
	ck_assert_int_eq(image_registry_match(&r, &im), 1);
	ck_assert_str_eq(im.path[0], "library");
	image_parts_clear(&im);
	ck_assert_int_eq(image_parts_from_ref(&im, "registry-1.docker.io/x/y:1"), 0);
	ck_assert_int_eq(image_registry_match(&r, &im), 0);
	image_parts_clear(&im);
	ck_assert_int_eq(image_parts_from_ref(&im, "127.0.0.1:8521/x/y:1"), 0);
	image_parts_clear(&r);
	ck_assert_int_eq(image_registry_parse(&r, "127.0.0.1:5000", why, sizeof(why)), 0);
	ck_assert_int_eq(image_registry_match(&r, &im), 0);
	image_parts_clear(&im);
	ck_assert_int_eq(image_parts_from_ref(&im, "127.0.0.1:5000/x/y:1"), 0);
	ck_assert_int_eq(image_registry_match(&r, &im), 1);
	image_parts_clear(&im);
	image_parts_clear(&r);
	ck_assert_int_eq(image_registry_parse(&r, "docker.io/library", why, sizeof(why)), -1);
	ck_assert_int_eq(image_registry_parse(&r, "", why, sizeof(why)), -1);
	ck_assert_int_eq(image_registry_parse(&r, "a..b", why, sizeof(why)), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_image_match");
	TCase *tc = tcase_create("image_match");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_image_match_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_loop_test(tc, test_image_match_bad_patterns, 0, (int)(sizeof(bad_patterns) / sizeof(bad_patterns[0])));
	tcase_add_test(tc, test_image_match_parts);
	tcase_add_test(tc, test_image_match_longest_reference);
	tcase_add_test(tc, test_image_match_registries);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
