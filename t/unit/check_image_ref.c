/* Unit tests: image reference parsing (lib/image_ref.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "image_private.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static ecs_image_ref ref;

/*
 * Garbage, not zeros: parse must overwrite the struct without freeing what it
 * held. Every test parses before anything else, so teardown never sees it.
 */
static void setup(void)
{
	memset(&ref, 0x5a, sizeof(ref));
}

static void teardown(void)
{
	ecs_image_ref_clear(&ref);
}

/* Parse @s and compare every member; NULL means "must be absent". */
static void assert_ref(const char *s, const char *registry, const char *repository, const char *tag,
		const char *digest)
{
	ck_assert_msg(ecs_image_ref_parse(&ref, s) == 0, "refused: %s", s);
	if (registry == NULL)
		ck_assert_ptr_null(ref.registry);
	else
		ck_assert_str_eq(ref.registry, registry);
	ck_assert_str_eq(ref.repository, repository);
	if (tag == NULL)
		ck_assert_ptr_null(ref.tag);
	else
		ck_assert_str_eq(ref.tag, tag);
	if (digest == NULL)
		ck_assert_ptr_null(ref.digest);
	else
		ck_assert_str_eq(ref.digest, digest);
	ecs_image_ref_clear(&ref);
	ck_assert_ptr_null(ref.repository);
}

/* @s is refused with ECS_EINVAL and leaves the struct all NULL. */
static void assert_bad(const char *s)
{
	ck_assert_msg(ecs_image_ref_parse(&ref, s) == ECS_EINVAL, "accepted: %s", s ? s : "(null)");
	ck_assert_ptr_null(ref.registry);
	ck_assert_ptr_null(ref.repository);
	ck_assert_ptr_null(ref.tag);
	ck_assert_ptr_null(ref.digest);
}

/* The text of the parts reads back as the same parts. */
START_TEST(test_image_ref_format_round_trip)
{
	static const char *const refs[] = {
		"busybox:1", "127.0.0.1:5000/ecs/x:1.0", "a/b@sha256:0123456789012345678901234567890123456789012345678901234567890123",
		"reg.example:443/a/b:t@sha256:0123456789012345678901234567890123456789012345678901234567890123",
		"sha256:0123abcd",
	};

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		char *text = NULL;

		ck_assert_int_eq(ecs_image_ref_parse(&ref, refs[i]), ECS_OK);
		ck_assert_int_eq(ecs_image_ref_format(&text, &ref), ECS_OK);
		ck_assert_str_eq(text, refs[i]);
		free(text);
		ecs_image_ref_clear(&ref);
	}
	{
		ecs_image_ref empty = { NULL, NULL, NULL, NULL, ECS_IMAGE_REF_NAME };
		char *text = (char *)"untouched";

		ck_assert_int_eq(ecs_image_ref_format(&text, &empty), ECS_EINVAL);
		ck_assert_ptr_null(text);
	}
}
END_TEST

START_TEST(test_image_ref_name_tag)
{
	assert_ref("busybox:latest", NULL, "busybox", "latest", NULL);
	assert_ref("ecs/busybox:1.36", NULL, "ecs/busybox", "1.36", NULL);
	assert_ref("library/debian:12-slim", NULL, "library/debian", "12-slim", NULL);
	assert_ref("a:_", NULL, "a", "_", NULL);
}
END_TEST

START_TEST(test_image_ref_host_port)
{
	assert_ref("127.0.0.1:5000/x/y:tag", "127.0.0.1:5000", "x/y", "tag", NULL);
	assert_ref("registry.example.com/team/app:v1.2.3", "registry.example.com", "team/app", "v1.2.3", NULL);
	assert_ref("my-host:443/app:1", "my-host:443", "app", "1", NULL);
}
END_TEST

/*
 * The engine uses a registry host as written: "Docker.io" is not Docker
 * Hub to it. Upper case in a host is refused, so no matcher can lower it
 * into a registry the engine would not contact.
 */
START_TEST(test_image_ref_host_upper_case)
{
	assert_bad("Registry.Example.COM/app:1");
	assert_bad("Docker.io/ecs/busybox:latest");
	assert_bad("DOCKER.IO/library/busybox:1");
	assert_bad("docker.IO/library/busybox:1");
	assert_bad("Localhost:5000/x:1");
	assert_bad("LOCALHOST/x:1");
	assert_ref("docker.io/ecs/busybox:latest", "docker.io", "ecs/busybox", "latest", NULL);
	assert_ref("index.docker.io/ecs/busybox:latest", "index.docker.io", "ecs/busybox", "latest", NULL);
}
END_TEST

START_TEST(test_image_ref_localhost)
{
	assert_ref("localhost/x:1", "localhost", "x", "1", NULL);
	assert_ref("localhost:5000/x:1", "localhost:5000", "x", "1", NULL);
	/* Alone, "localhost" is a name and what follows the colon a tag. */
	assert_ref("localhost:5000", NULL, "localhost", "5000", NULL);
	/* Without a dot, colon or "localhost", the first component is a path. */
	assert_ref("myhost/x:1", NULL, "myhost/x", "1", NULL);
}
END_TEST

START_TEST(test_image_ref_digest)
{
	assert_ref("busybox@sha256:" HEX64, NULL, "busybox", NULL, "sha256:" HEX64);
	assert_ref("127.0.0.1:5000/x/y@sha256:" HEX64, "127.0.0.1:5000", "x/y", NULL, "sha256:" HEX64);
}
END_TEST

START_TEST(test_image_ref_tag_and_digest)
{
	assert_ref("busybox:1.36@sha256:" HEX64, NULL, "busybox", "1.36", "sha256:" HEX64);
	assert_ref("localhost:5000/a/b:t@sha256:" HEX64, "localhost:5000", "a/b", "t", "sha256:" HEX64);
}
END_TEST

START_TEST(test_image_ref_separators)
{
	assert_ref("a.b_c__d-e---f:1", NULL, "a.b_c__d-e---f", "1", NULL);
	assert_bad("a___b:1");
	assert_bad("a..b:1");
	assert_bad("a._b:1");
	assert_bad("-a:1");
	assert_bad("a-:1");
	assert_bad("_a:1");
	assert_bad("a_:1");
	assert_bad(".a:1");
	assert_bad("x/a.:1");
}
END_TEST

START_TEST(test_image_ref_no_tag)
{
	assert_bad("busybox");
	assert_bad("ecs/busybox");
	assert_bad("localhost:5000/x");
	assert_bad("busybox:");
	assert_bad("busybox@");
}
END_TEST

START_TEST(test_image_ref_upper_case)
{
	assert_bad("BusyBox:1");
	assert_bad("ecs/BusyBox:1");
	assert_bad("localhost/X:1");
	assert_bad("Foo/bar:1");
}
END_TEST

START_TEST(test_image_ref_empty)
{
	assert_bad(NULL);
	assert_bad("");
	assert_bad(":");
	assert_bad(":tag");
	assert_bad("@sha256:" HEX64);
	ck_assert_int_eq(ecs_image_ref_parse(NULL, "a:1"), ECS_EINVAL);
}
END_TEST

START_TEST(test_image_ref_slashes)
{
	assert_bad("/a:1");
	assert_bad("a/:1");
	assert_bad("a//b:1");
	assert_bad("localhost//b:1");
	assert_bad("localhost/:1");
	assert_bad("a/b/:1");
}
END_TEST

START_TEST(test_image_ref_bad_domain)
{
	assert_bad("-host.com/a:1");
	assert_bad("host-.com/a:1");
	assert_bad("host..com/a:1");
	assert_bad("host.com:/a:1");
	assert_bad("host.com:50a0/a:1");
	assert_bad("host.com:1:2/a:1");
	assert_bad("ho_st.com/a:1");
	assert_bad(".com/a:1");
}
END_TEST

START_TEST(test_image_ref_bad_chars)
{
	assert_bad("a b:1");
	assert_bad("a:1 ");
	assert_bad("a:1\n");
	assert_bad("a:t@g");
	assert_bad("a:1:2");
	assert_bad("a$:1");
	assert_bad("a:-1");
	assert_bad("a:.1");
	assert_bad("a:\xc3\xa9");
}
END_TEST

START_TEST(test_image_ref_tag_length)
{
	char s[2 + 129 + 1];

	memcpy(s, "a:", 2);
	memset(s + 2, 't', 128);
	s[2 + 128] = '\0';
	assert_ref(s, NULL, "a", s + 2, NULL);
	memset(s + 2, 't', 129);
	s[2 + 129] = '\0';
	assert_bad(s);
}
END_TEST

START_TEST(test_image_ref_bad_digest)
{
	assert_bad("a@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_bad("a@sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg");
	assert_bad("a@sha256:" HEX64 "0");
	assert_bad("a@sha256:" "0123456789abcdef");
	assert_bad("a@sha256:");
	assert_bad("a@sha256" HEX64);
	assert_bad("a@:" HEX64);
	assert_bad("a@SHA256:" HEX64);
	assert_bad("a@sha256:" HEX64 "@sha256:" HEX64);
	assert_bad("a@sha256-:" HEX64);
	assert_bad("a@sha256:" HEX64 ":1");
	assert_bad("a:1@sha256:" HEX64 " ");
}
END_TEST

/* go-digest's algorithms only: the engine answers "unsupported digest algorithm" to the rest. */
START_TEST(test_image_ref_other_digest_algorithms)
{
	assert_ref("a@sha512:" HEX64 HEX64, NULL, "a", NULL, "sha512:" HEX64 HEX64);
	assert_ref("a@sha384:" HEX64 "0123456789abcdef0123456789abcdef", NULL, "a", NULL,
			"sha384:" HEX64 "0123456789abcdef0123456789abcdef");
	assert_bad("a@sha512:" HEX64);
	assert_bad("a@sha384:" HEX64);
	assert_bad("a@multihash+base58:" HEX64);
	assert_bad("a@sha256+b64:" HEX64);
	assert_bad("a@foo:" HEX64);
	assert_bad("a@x:0123456789abcdef");
}
END_TEST

/* The longest digest is sha512's, 135 characters. */
START_TEST(test_image_ref_digest_length)
{
	assert_ref("a:1@sha512:" HEX64 HEX64, NULL, "a", "1", "sha512:" HEX64 HEX64);
	assert_bad("a:1@sha512:" HEX64 HEX64 "0");
}
END_TEST

/* Parse @s as an id reference whose digest is @digest. */
static void assert_id(const char *s, const char *digest)
{
	ck_assert_msg(ecs_image_ref_parse(&ref, s) == 0, "refused: %s", s);
	ck_assert_msg(ref.kind == ECS_IMAGE_REF_ID, "not an id: %s", s);
	ck_assert_ptr_null(ref.registry);
	ck_assert_ptr_null(ref.repository);
	ck_assert_ptr_null(ref.tag);
	ck_assert_str_eq(ref.digest, digest);
	ecs_image_ref_clear(&ref);
	ck_assert_int_eq(ref.kind, ECS_IMAGE_REF_NAME);
	ck_assert_ptr_null(ref.digest);
}

/*
 * What the engine resolves as an image id (by prefix): never a name. Read
 * as name:tag, "sha256:2" was docker.io/library/sha256 and skipped every
 * registry rule (issue 22).
 */
START_TEST(test_image_ref_id)
{
	char s[8 + 64 + 1];

	for (const char *d = "0123456789abcdef"; *d != '\0'; d++) {
		snprintf(s, sizeof(s), "sha256:%c", *d);
		assert_id(s, s);
	}
	for (size_t n = 1; n <= 64; n++) {
		snprintf(s, sizeof(s), "sha256:%.*s", (int)n, HEX64);
		assert_id(s, s);
	}
	assert_id(HEX64, "sha256:" HEX64);
	assert_id("sha512:" HEX64 HEX64, "sha512:" HEX64 HEX64);
	assert_id("sha384:abc", "sha384:abc");
	assert_id("sha512:0", "sha512:0");
	/* Past the algorithm's length, upper case, or no hex: not an id, and
	 * not a name either (a Docker Hub repository called sha256). */
	assert_bad("sha256:" HEX64 "0");
	assert_bad("sha256:" HEX64 "00");
	assert_bad("sha256:ABC");
	assert_bad("sha256:2D6B");
	assert_bad("sha256:latest");
	assert_bad("sha256:");
	assert_bad("sha256:2:latest");
	assert_bad("sha256:2@sha256:" HEX64);
	assert_bad("sha256@sha256:" HEX64);
	assert_bad("library/sha256:2");
	assert_bad("docker.io/library/sha256:2");
	assert_bad("index.docker.io/sha256:2");
	assert_bad("sha512:x");
	/* A bare hex prefix is resolved by the engine too, but has no tag. */
	assert_bad("2d6b");
	assert_bad("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde");
	assert_bad(HEX64 "0");
	/* Another registry's sha256 repository is a name to the engine. */
	assert_ref("127.0.0.1:5000/sha256:2", "127.0.0.1:5000", "sha256", "2", NULL);
	assert_ref("ecs/sha256:2", NULL, "ecs/sha256", "2", NULL);
	/* Other "x:hex" are names: the engine's id search needs sha256. */
	assert_ref("md5:2d", NULL, "md5", "2d", NULL);
	assert_ref("a2d:2d", NULL, "a2d", "2d", NULL);
}
END_TEST

/* A Docker Hub repository named by 64 hex digits: the engine refuses it ("cannot specify 64-byte hexadecimal strings"). */
START_TEST(test_image_ref_hex_repository)
{
	assert_bad(HEX64 ":latest");
	assert_bad(HEX64 "@sha256:" HEX64);
	assert_bad("library/" HEX64 ":1");
	assert_bad("docker.io/" HEX64 ":1");
	assert_bad("docker.io/library/" HEX64 ":1");
	assert_ref("ecs/" HEX64 ":1", NULL, "ecs/" HEX64, "1", NULL);
	assert_ref("127.0.0.1:5000/" HEX64 ":1", "127.0.0.1:5000", HEX64, "1", NULL);
	assert_ref("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde:1", NULL,
			"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", "1", NULL);
}
END_TEST

START_TEST(test_image_ref_name_length)
{
	char s[320], name[256];

	/* 255 characters of name are fine, 256 are not; the tag does not count. */
	memset(name, 'a', 255);
	name[255] = '\0';
	snprintf(s, sizeof(s), "%s:1", name);
	assert_ref(s, NULL, name, "1", NULL);
	snprintf(s, sizeof(s), "a%s:1", name);
	assert_bad(s);
	/* The registry counts: "localhost/" is 10 of the 256. */
	name[246] = '\0';
	snprintf(s, sizeof(s), "localhost/%s:1", name);
	assert_bad(s);
	name[245] = '\0';
	snprintf(s, sizeof(s), "localhost/%s:1", name);
	assert_ref(s, "localhost", name, "1", NULL);
}
END_TEST

/* A name keeps kind NAME; the garbage of the fixture never shows through. */
START_TEST(test_image_ref_kind_name)
{
	ck_assert_int_eq(ecs_image_ref_parse(&ref, "busybox:1"), 0);
	ck_assert_int_eq(ref.kind, ECS_IMAGE_REF_NAME);
	ecs_image_ref_clear(&ref);
	ck_assert_int_eq(ecs_image_ref_parse(&ref, "a b"), ECS_EINVAL);
	ck_assert_int_eq(ref.kind, ECS_IMAGE_REF_NAME);
	ck_assert_int_eq(ecs_image_ref_parse(&ref, "busybox@sha256:" HEX64), 0);
	ck_assert_int_eq(ref.kind, ECS_IMAGE_REF_NAME);
}
END_TEST

/* Which RepoDigests entry is the reference's own (image.c picks result->repo_digest by it). */
START_TEST(test_image_same_repository)
{
	ck_assert(ecs_image_same_repository("busybox:1.36", "busybox@sha256:" HEX64));
	ck_assert(ecs_image_same_repository("library/busybox:1", "busybox@sha256:" HEX64));
	ck_assert(ecs_image_same_repository("docker.io/library/busybox:1", "busybox@sha256:" HEX64));
	ck_assert(ecs_image_same_repository("ecs/busybox:latest", "docker.io/ecs/busybox@sha256:" HEX64));
	ck_assert(ecs_image_same_repository("127.0.0.1:5000/ecs/private:v1", "127.0.0.1:5000/ecs/private@sha256:" HEX64));
	/* another repository, another registry, the same path elsewhere */
	ck_assert(!ecs_image_same_repository("ecs/busybox:latest", "127.0.0.1:5000/ecs/busybox@sha256:" HEX64));
	ck_assert(!ecs_image_same_repository("ecs/busybox:latest", "busybox@sha256:" HEX64));
	ck_assert(!ecs_image_same_repository("127.0.0.1:5000/ecs/private:v1", "127.0.0.1:5001/ecs/private@sha256:" HEX64));
	ck_assert(!ecs_image_same_repository("ecs/library/x:1", "x@sha256:" HEX64));
	/* not references */
	ck_assert(!ecs_image_same_repository("sha256:" HEX64, "busybox@sha256:" HEX64));
	ck_assert(!ecs_image_same_repository("sha256:0", "sha256:0"));
	ck_assert(!ecs_image_same_repository(HEX64, HEX64));
	ck_assert(!ecs_image_same_repository("busybox:1", ""));
	/* the fixture parses something, for teardown */
	ck_assert_int_eq(ecs_image_ref_parse(&ref, "x:1"), 0);
}
END_TEST

static Suite *image_ref_suite(void)
{
	Suite *s = suite_create("image_ref");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_image_ref_name_tag);
	tcase_add_test(tc, test_image_ref_format_round_trip);
	tcase_add_test(tc, test_image_ref_digest_length);
	tcase_add_test(tc, test_image_ref_host_port);
	tcase_add_test(tc, test_image_ref_host_upper_case);
	tcase_add_test(tc, test_image_ref_id);
	tcase_add_test(tc, test_image_ref_hex_repository);
	tcase_add_test(tc, test_image_ref_kind_name);
	tcase_add_test(tc, test_image_ref_localhost);
	tcase_add_test(tc, test_image_ref_digest);
	tcase_add_test(tc, test_image_ref_tag_and_digest);
	tcase_add_test(tc, test_image_ref_separators);
	tcase_add_test(tc, test_image_ref_no_tag);
	tcase_add_test(tc, test_image_ref_upper_case);
	tcase_add_test(tc, test_image_ref_empty);
	tcase_add_test(tc, test_image_ref_slashes);
	tcase_add_test(tc, test_image_ref_bad_domain);
	tcase_add_test(tc, test_image_ref_bad_chars);
	tcase_add_test(tc, test_image_ref_tag_length);
	tcase_add_test(tc, test_image_ref_bad_digest);
	tcase_add_test(tc, test_image_ref_other_digest_algorithms);
	tcase_add_test(tc, test_image_ref_name_length);
	tcase_add_test(tc, test_image_same_repository);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(image_ref_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
