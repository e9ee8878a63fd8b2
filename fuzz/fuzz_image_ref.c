/*
 * Fuzzer: image reference parsing (lib/image_ref.c), differential against
 * the engine's own rules.
 *
 * The engine (Docker 20.10, docker/distribution 2.8's reference package,
 * go-digest) decides what a string means; ecs_image_ref_parse() must agree.
 * Its rules are written out below from their source: the regular
 * expressions of distribution/reference regexp.go (ReferenceRegexp, built
 * from the same pieces; POSIX ERE expresses each of them, and only whole-
 * string acceptance is used, so leftmost-longest versus Go's leftmost-first
 * does not matter), then ParseNormalizedNamed's steps (the 64-hex refusal,
 * splitDockerDomain of 2.8's vintage, "repository name must be lowercase",
 * the 255-character bound on the normalised name) and go-digest's Parse
 * (sha256, sha384, sha512 with exact lower-case hex; the engine refuses
 * other algorithms), and moby's GetImage id resolution (ParseAnyReference,
 * then imageStore.Search by id prefix).
 *
 * Asserted for every input:
 *  - an input the engine resolves as an image id is never returned as a
 *    name (ECS_IMAGE_REF_ID or refused), and an id result is one of the id
 *    forms image.h documents;
 *  - an accepted name is one the engine accepts as a name (and is exactly
 *    the concatenation of its parts: nothing dropped or invented);
 *  - a refused input is one the engine refuses, or one of the documented
 *    extra refusals: no tag and no digest, upper case in a registry host, a
 *    Docker Hub repository called by a digest algorithm or by 64 hex
 *    digits, a first component the engine takes for a host (it has '.' or
 *    ':') that is no valid host (the engine's Parse then reads it as a
 *    path without host: "a_b.c/x:1"), or a name whose length is near the bounds (we count the name
 *    as written, the engine counts it normalised: "docker.io/library/" and
 *    all; that band is skipped, not asserted).
 *  - a refused input leaves the struct empty.
 */
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* distribution/reference regexp.go (2.8), as POSIX ERE. */
#define ALNUM "[a-z0-9]+"
#define SEPARATOR "(\\.|_|__|-+)"   /* 2.8 writes [-]*: zero dashes join two runs, the same language */
#define PATH_COMPONENT ALNUM "(" SEPARATOR ALNUM ")*"
#define DOMAIN_COMPONENT "([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
#define DOMAIN DOMAIN_COMPONENT "(\\." DOMAIN_COMPONENT ")*(:[0-9]+)?"
#define NAME "(" DOMAIN "/)?" PATH_COMPONENT "(/" PATH_COMPONENT ")*"
#define TAG "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
#define DIGEST "[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
#define REFERENCE "^" NAME "(:" TAG ")?(@" DIGEST ")?$"

static regex_t reference_re, domain_re;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (regcomp(&reference_re, REFERENCE, REG_EXTENDED | REG_NOSUB) != 0 ||
	    regcomp(&domain_re, "^" DOMAIN "$", REG_EXTENDED | REG_NOSUB) != 0)
		abort();
	return 0;
}

static int lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* go-digest: the hex length of a registered algorithm s[0..n), else 0. */
static size_t algorithm_len(const char *s, size_t n)
{
	if (n == 6 && memcmp(s, "sha256", 6) == 0)
		return 64;
	if (n == 6 && memcmp(s, "sha384", 6) == 0)
		return 96;
	if (n == 6 && memcmp(s, "sha512", 6) == 0)
		return 128;
	return 0;
}

/* go-digest's Parse succeeds: a registered algorithm, its exact lower-case hex. */
static int digest_parses(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t want;

	if (colon == NULL)
		return 0;
	want = algorithm_len(s, (size_t)(colon - s));
	return want != 0 && strlen(colon + 1) == want && lower_hex(colon + 1, want);
}

/*
 * moby GetImage: what it resolves as an id, never as a name.
 * ParseAnyReference: 64 hex, or a digest that parses; and, once no
 * repository:tag matched, imageStore.Search(s): a lower-case hex prefix
 * (no colon), or "sha256:" and a hex prefix (ids are sha256).
 */
static int engine_id(const char *s)
{
	size_t n = strlen(s);

	if (n >= 1 && n <= 64 && lower_hex(s, n))
		return 1;
	if (digest_parses(s))
		return 1;
	return n > 7 && n <= 7 + 64 && memcmp(s, "sha256:", 7) == 0 && lower_hex(s + 7, n - 7);
}

/* The id forms image.h documents for ECS_IMAGE_REF_ID. */
static int documented_id(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t n = strlen(s), want, hex;

	if (colon == NULL)
		return n == 64 && lower_hex(s, n);
	want = algorithm_len(s, (size_t)(colon - s));
	hex = n - (size_t)(colon - s) - 1;
	return want != 0 && hex >= 1 && hex <= want && lower_hex(colon + 1, hex);
}

/* The written name: up to '@', without a ':tag' after the last '/'. */
static size_t name_length(const char *s, int *has_tag, int *has_digest)
{
	const char *at = strchr(s, '@');
	size_t n = at != NULL ? (size_t)(at - s) : strlen(s), colon = n;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '/')
			colon = n;
		else if (s[i] == ':')
			colon = i;
	}
	*has_tag = colon < n;
	*has_digest = at != NULL;
	return colon;
}

/* splitDockerDomain (2.8, before the upper-case rule of later versions): the domain's length, 0 for Docker Hub. */
static size_t domain_length(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t first;

	if (slash == NULL)
		return 0;
	first = (size_t)(slash - s);
	if (memchr(s, '.', first) != NULL || memchr(s, ':', first) != NULL ||
	    (first == 9 && memcmp(s, "localhost", 9) == 0))
		return first;
	return 0;
}

/* The engine takes @s as a name (ParseNormalizedNamed, then its digest). */
static int engine_name(const char *s, size_t *normalised_len)
{
	int has_tag, has_digest;
	size_t name_len = name_length(s, &has_tag, &has_digest), dom = domain_length(s), rest, remote_end;
	const char *at, *remote = s + (dom ? dom + 1 : 0);
	int hub = dom == 0 || (dom == 15 && memcmp(s, "index.docker.io", 15) == 0) ||
		(dom == 9 && memcmp(s, "docker.io", 9) == 0);

	if (strlen(s) == 64 && lower_hex(s, 64))
		return 0;
	/* "repository name must be lowercase": up to the first ':' of the remainder. */
	remote_end = strcspn(remote, ":");
	for (size_t i = 0; i < remote_end; i++)
		if (remote[i] >= 'A' && remote[i] <= 'Z')
			return 0;
	if (regexec(&reference_re, s, 0, NULL, 0) != 0)
		return 0;
	rest = name_len - (size_t)(remote - s);
	*normalised_len = (hub ? strlen("docker.io/") : dom + 1) + rest +
		(hub && memchr(remote, '/', rest) == NULL ? strlen("library/") : 0);
	at = strchr(s, '@');
	return at == NULL || digest_parses(at + 1);
}

/* A documented extra refusal of ours. */
static int extra_refusal(const char *s)
{
	int has_tag, has_digest;
	size_t name_len = name_length(s, &has_tag, &has_digest), dom = domain_length(s), path_len;
	const char *path = s + (dom ? dom + 1 : 0);
	int hub = dom == 0 || (dom == 15 && memcmp(s, "index.docker.io", 15) == 0) ||
		(dom == 9 && memcmp(s, "docker.io", 9) == 0);

	if (!has_tag && !has_digest)
		return 1;
	for (size_t i = 0; i < dom; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return 1;
	/* splitDockerDomain takes it for a host, Parse then for a path with no
	 * host at all ("a_b.c/x:1"): a name that means two things. */
	if (dom > 0) {
		char *d = strndup(s, dom);
		int bad = d == NULL || regexec(&domain_re, d, 0, NULL, 0) != 0;

		free(d);
		if (bad)
			return 1;
	}
	path_len = name_len - (size_t)(path - s);
	if (hub && path_len > 8 && memcmp(path, "library/", 8) == 0) {
		path += 8;
		path_len -= 8;
	}
	return hub && (algorithm_len(path, path_len) != 0 || (path_len == 64 && lower_hex(path, 64)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ecs_image_ref ref;
	char *s, *again;
	size_t n, normalised = 0;
	int rc, engine_named, has_tag, has_digest, near_bound;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* Go strings may hold NUL; ours end there, so compare what we parse. */
	n = strlen(s);

	rc = ecs_image_ref_parse(&ref, s);
	engine_named = n > 0 && !engine_id(s) && engine_name(s, &normalised);
	near_bound = name_length(s, &has_tag, &has_digest) > 255 || normalised > 255;

	if (rc != 0) {
		if (rc != ECS_EINVAL && rc != ECS_ENOMEM)
			abort();
		if (ref.registry || ref.repository || ref.tag || ref.digest || ref.kind != ECS_IMAGE_REF_NAME)
			abort();
		/* Refused: the engine refuses it too, or it is an id, or one of ours. */
		if (rc == ECS_EINVAL && engine_named && !near_bound && !extra_refusal(s))
			abort();
		free(s);
		return 0;
	}

	if (ref.kind == ECS_IMAGE_REF_ID) {
		if (!documented_id(s) || ref.registry || ref.repository || ref.tag || ref.digest == NULL)
			abort();
		/* The digest is the input, "sha256:" added to a bare id. */
		if (strcmp(ref.digest, s) != 0 &&
		    !(strncmp(ref.digest, "sha256:", 7) == 0 && strcmp(ref.digest + 7, s) == 0 && n == 64))
			abort();
		ecs_image_ref_clear(&ref);
		free(s);
		return 0;
	}

	/* A name: never what the engine resolves as an id; always what it takes as a name. */
	if (ref.kind != ECS_IMAGE_REF_NAME || engine_id(s) || documented_id(s))
		abort();
	if (!engine_named && !near_bound)
		abort();
	if (extra_refusal(s))
		abort();
	if (ref.repository == NULL || (ref.tag == NULL && ref.digest == NULL))
		abort();

	again = malloc(n + 1);
	if (again == NULL)
		abort();
	snprintf(again, n + 1, "%s%s%s%s%s%s%s", ref.registry ? ref.registry : "", ref.registry ? "/" : "",
		ref.repository, ref.tag ? ":" : "", ref.tag ? ref.tag : "", ref.digest ? "@" : "",
		ref.digest ? ref.digest : "");
	if (strcmp(again, s) != 0)
		abort();

	free(again);
	ecs_image_ref_clear(&ref);
	free(s);
	return 0;
}
