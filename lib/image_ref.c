/*
 * libecs: image references, checked against the grammar of Docker's
 * distribution/reference package so a bad reference is refused here, as the
 * caller's fault, instead of as an engine error after a round trip:
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain "/"] path-component ["/" path-component]*
 *   domain           := domain-component ["." domain-component]* [":" port]
 *   domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   port             := [0-9]+
 *   path-component   := [a-z0-9]+ (separator [a-z0-9]+)*
 *   separator        := [._] | "__" | "-"+
 *   tag              := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest           := algorithm ":" hex
 *   algorithm        := [a-z0-9]+ ([+._-][a-z0-9]+)*
 *
 * The first component is a domain only when it contains "." or ":" or is
 * "localhost" and more components follow (Docker's splitDockerDomain), so
 * "localhost:5000" alone is the name "localhost" with the tag "5000".
 * The name, domain included, is at most 255 characters.
 *
 * Digests: sha256, sha384 and sha512 need exactly 64, 96 and 128 lower-case
 * hex digits, as go-digest validates them; other algorithms pass with at
 * least 32 (the grammar's minimum) and are left for the engine to judge.
 * A digest (algorithm, colon, hex) is at most 255 characters: the grammar
 * sets no bound, but a request's reference must have one (image patterns
 * hold the longest reference, name:tag@digest).
 */
#include <stdlib.h>
#include <string.h>

#include <ecs/image.h>

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
#define DIGEST_MAX_LEN 255

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_lower_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* One path component: s[0..n). */
static int valid_path_component(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower_alnum(s[0]))
		return 0;
	while (i < n) {
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return 1;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return 0;
		}
		/* A separator must sit between two alphanumeric runs. */
		if (i == n || !is_lower_alnum(s[i]))
			return 0;
	}
	return 1;
}

/* The path: components joined by single slashes, s[0..n). */
static int valid_path(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!valid_path_component(s + start, i - start))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

/* A host name or IPv4 address with an optional :port, s[0..n). */
static int valid_domain(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t host_len = colon != NULL ? (size_t)(colon - s) : n;
	size_t start = 0;

	if (colon != NULL) {
		size_t port_len = n - host_len - 1;

		if (port_len == 0)
			return 0;
		for (size_t i = host_len + 1; i < n; i++)
			if (!is_digit(s[i]))
				return 0;
	}
	for (size_t i = 0; i <= host_len; i++) {
		if (i == host_len || s[i] == '.') {
			size_t len = i - start;
			const char *c = s + start;

			if (len == 0 || !is_alnum(c[0]) || !is_alnum(c[len - 1]))
				return 0;
			for (size_t j = 1; j + 1 < len; j++)
				if (!is_alnum(c[j]) && c[j] != '-')
					return 0;
			start = i + 1;
		}
	}
	return 1;
}

static int valid_tag(const char *s, size_t n)
{
	if (n == 0 || n > TAG_MAX_LEN)
		return 0;
	if (!is_alnum(s[0]) && s[0] != '_')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

static int valid_digest(const char *s, size_t n)
{
	static const struct {
		const char *name;
		size_t hex_len;
	} known[] = {
		{ "sha256", 64 },
		{ "sha384", 96 },
		{ "sha512", 128 },
	};
	const char *colon = memchr(s, ':', n);
	size_t alg_len, hex_len;
	const char *hex;

	if (colon == NULL || n > DIGEST_MAX_LEN)
		return 0;
	alg_len = (size_t)(colon - s);
	hex = colon + 1;
	hex_len = n - alg_len - 1;

	/* Algorithm: runs of [a-z0-9] joined by single [+._-]. */
	if (alg_len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[alg_len - 1]))
		return 0;
	for (size_t i = 1; i < alg_len; i++) {
		if (is_lower_alnum(s[i]))
			continue;
		if (strchr("+._-", s[i]) == NULL || !is_lower_alnum(s[i + 1]))
			return 0;
	}

	for (size_t i = 0; i < hex_len; i++)
		if (!is_lower_hex(hex[i]))
			return 0;
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (strlen(known[k].name) == alg_len && memcmp(known[k].name, s, alg_len) == 0)
			return hex_len == known[k].hex_len;
	return hex_len >= 32;
}

static char *dup_range(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void ecs_image_ref_clear(ecs_image_ref *ref)
{
	if (ref == NULL)
		return;
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	ref->registry = ref->repository = ref->tag = ref->digest = NULL;
}

int ecs_image_ref_parse(ecs_image_ref *out, const char *reference)
{
	const char *at, *slash, *colon, *path;
	size_t name_len, domain_len = 0, path_len, tag_len = 0, digest_len = 0, total;
	const char *tag = NULL, *digest = NULL;
	int is_domain = 0;

	if (out == NULL)
		return ECS_EINVAL;
	/* Overwritten, not freed: the caller may hand us an uninitialised struct. */
	memset(out, 0, sizeof(*out));
	if (reference == NULL || reference[0] == '\0')
		return ECS_EINVAL;
	total = strlen(reference);

	/* Neither name nor tag may hold '@', so the first one starts the digest. */
	at = strchr(reference, '@');
	name_len = at != NULL ? (size_t)(at - reference) : total;
	if (at != NULL) {
		digest = at + 1;
		digest_len = total - name_len - 1;
		if (!valid_digest(digest, digest_len))
			return ECS_EINVAL;
	}

	/* A tag is a ':' after the last '/'; one before it is the registry's port. */
	slash = NULL;
	colon = NULL;
	for (size_t i = 0; i < name_len; i++) {
		if (reference[i] == '/') {
			slash = reference + i;
			colon = NULL;
		} else if (reference[i] == ':') {
			colon = reference + i;
		}
	}
	if (colon != NULL) {
		tag = colon + 1;
		tag_len = name_len - (size_t)(tag - reference);
		name_len = (size_t)(colon - reference);
		if (!valid_tag(tag, tag_len))
			return ECS_EINVAL;
	}
	if (tag == NULL && digest == NULL)
		return ECS_EINVAL; /* a bare name would silently mean :latest */
	if (name_len == 0 || name_len > NAME_MAX_LEN)
		return ECS_EINVAL;

	slash = memchr(reference, '/', name_len);
	if (slash != NULL) {
		size_t first = (size_t)(slash - reference);

		is_domain = memchr(reference, '.', first) != NULL || memchr(reference, ':', first) != NULL ||
			(first == 9 && memcmp(reference, "localhost", 9) == 0);
		if (is_domain)
			domain_len = first;
	}
	if (is_domain && !valid_domain(reference, domain_len))
		return ECS_EINVAL;
	path = is_domain ? reference + domain_len + 1 : reference;
	path_len = name_len - (size_t)(path - reference);
	if (!valid_path(path, path_len))
		return ECS_EINVAL;

	if ((is_domain && (out->registry = dup_range(reference, domain_len)) == NULL) ||
	    (out->repository = dup_range(path, path_len)) == NULL ||
	    (tag != NULL && (out->tag = dup_range(tag, tag_len)) == NULL) ||
	    (digest != NULL && (out->digest = dup_range(digest, digest_len)) == NULL)) {
		ecs_image_ref_clear(out);
		return ECS_ENOMEM;
	}
	return ECS_OK;
}
