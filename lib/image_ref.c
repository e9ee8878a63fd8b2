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
 *
 * The first component is a domain only when it contains "." or ":" or is
 * "localhost" and more components follow (Docker's splitDockerDomain), so
 * "localhost:5000" alone is the name "localhost" with the tag "5000".
 * The name, domain included, is at most 255 characters.
 *
 * Digests are go-digest's, as the engine parses them (it refuses the rest
 * as "unsupported digest algorithm" or a bad length): sha256, sha384 and
 * sha512 with exactly 64, 96 and 128 lower-case hex digits.
 *
 * Image ids: before any of that, the engine (moby daemon/images GetImage,
 * 20.10) reads a bare 64-hex string and "algorithm:hex" with a full-length
 * hex as an id (ParseAnyReference), and, when a string names no local
 * repository:tag, searches it as an id prefix (imageStore.Search), which
 * matches "sha256:<1..64 hex>" (and a bare hex prefix, which has no tag, so
 * we refuse it anyway). Read as name:tag, "sha256:2d" would be the public
 * repository docker.io/library/sha256 and skip every registry rule while
 * the engine ran whichever cached image's id starts with 2d. So these are
 * returned as ECS_IMAGE_REF_ID, never as a name, and names that only look
 * like them (a hub repository called sha256, or 64 hex digits) are refused.
 *
 * Registry hosts: the engine uses the host exactly as written (only
 * "index.docker.io" becomes "docker.io"), so "Docker.io/x:1" is not Docker
 * Hub to it but a registry of its own, reached over DNS (case-blind) with
 * credentials and cache entries keyed by the string. Any matcher that
 * lower-cased the host would admit it as docker.io, and one that did not
 * would still hold two spellings of one server. Refusing upper case in a
 * host is the safe reading: every host we accept means one thing to the
 * engine, to DNS and to our allow-lists alike.
 *
 * A digest (algorithm, colon, hex) is at most 255 characters: the grammar
 * sets no bound, but a request's reference must have one (image patterns
 * hold the longest reference, name:tag@digest).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/image.h>
#include "image_private.h"

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

/* A host name or IPv4 address with an optional :port, s[0..n); lower case only (see the top). */
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

			if (len == 0 || !is_lower_alnum(c[0]) || !is_lower_alnum(c[len - 1]))
				return 0;
			for (size_t j = 1; j + 1 < len; j++)
				if (!is_lower_alnum(c[j]) && c[j] != '-')
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

/* go-digest's algorithms, with their hex lengths. */
static const struct {
	const char *name;
	size_t hex_len;
} algorithms[] = {
	{ "sha256", 64 },
	{ "sha384", 96 },
	{ "sha512", 128 },
};

/* The hex length of the algorithm s[0..n) names, or 0 when it names none. */
static size_t algorithm_hex_len(const char *s, size_t n)
{
	for (size_t k = 0; k < sizeof(algorithms) / sizeof(algorithms[0]); k++)
		if (strlen(algorithms[k].name) == n && memcmp(algorithms[k].name, s, n) == 0)
			return algorithms[k].hex_len;
	return 0;
}

static int all_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return 0;
	return 1;
}

/* "algorithm:hex", s[0..n): a known algorithm and its exact hex length. */
static int valid_digest(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t want;

	if (colon == NULL || n > DIGEST_MAX_LEN)
		return 0;
	want = algorithm_hex_len(s, (size_t)(colon - s));
	return want != 0 && n - (size_t)(colon - s) - 1 == want && all_lower_hex(colon + 1, want);
}

/*
 * An id reference, as the engine resolves it: a bare 64-hex id, or
 * "algorithm:hex" with 1 to the algorithm's length of lower-case hex.
 */
static int id_reference(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t want, hex_len;

	if (colon == NULL)
		return n == 64 && all_lower_hex(s, n);
	want = algorithm_hex_len(s, (size_t)(colon - s));
	hex_len = n - (size_t)(colon - s) - 1;
	return want != 0 && hex_len >= 1 && hex_len <= want && all_lower_hex(colon + 1, hex_len);
}

/*
 * A Docker Hub repository (no registry written, or docker.io, or
 * index.docker.io; "library/" or not) called by a digest algorithm or by
 * 64 hex digits: the engine takes the one for an id and refuses the other
 * ("cannot specify 64-byte hexadecimal strings").
 */
static int id_lookalike(const char *registry, size_t registry_len, const char *path, size_t path_len)
{
	if (registry != NULL && !(registry_len == 9 && memcmp(registry, "docker.io", 9) == 0) &&
	    !(registry_len == 15 && memcmp(registry, "index.docker.io", 15) == 0))
		return 0;
	if (path_len > 8 && memcmp(path, "library/", 8) == 0) {
		path += 8;
		path_len -= 8;
	}
	return algorithm_hex_len(path, path_len) != 0 || (path_len == 64 && all_lower_hex(path, path_len));
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
	ref->kind = ECS_IMAGE_REF_NAME;
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

	if (id_reference(reference, total)) {
		const char *prefix = memchr(reference, ':', total) == NULL ? "sha256:" : "";
		size_t plen = strlen(prefix);

		if ((out->digest = malloc(plen + total + 1)) == NULL)
			return ECS_ENOMEM;
		memcpy(out->digest, prefix, plen);
		memcpy(out->digest + plen, reference, total + 1);
		out->kind = ECS_IMAGE_REF_ID;
		return ECS_OK;
	}

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
	if (id_lookalike(is_domain ? reference : NULL, domain_len, path, path_len))
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

/* "[registry/]repository[:tag][@digest]" as printf arguments. */
#define FORMAT_ARGS(r)                                                                                  \
	"%s%s%s%s%s%s%s", (r)->registry != NULL ? (r)->registry : "", (r)->registry != NULL ? "/" : "",    \
		(r)->repository, (r)->tag != NULL ? ":" : "", (r)->tag != NULL ? (r)->tag : "",             \
		(r)->digest != NULL ? "@" : "", (r)->digest != NULL ? (r)->digest : ""

int ecs_image_ref_format(char **out, const ecs_image_ref *ref)
{
	int n;

	if (out != NULL)
		*out = NULL;
	/* An id is its digest; a name has a repository and a tag or a digest. */
	if (out == NULL || ref == NULL ||
	    (ref->kind == ECS_IMAGE_REF_ID ? ref->digest == NULL
					   : ref->repository == NULL || (ref->tag == NULL && ref->digest == NULL)))
		return ECS_EINVAL;
	if (ref->kind == ECS_IMAGE_REF_ID) {
		*out = strdup(ref->digest);
		return *out != NULL ? ECS_OK : ECS_ENOMEM;
	}
	n = snprintf(NULL, 0, FORMAT_ARGS(ref));
	if (n < 0 || (*out = malloc((size_t)n + 1)) == NULL)
		return ECS_ENOMEM;
	snprintf(*out, (size_t)n + 1, FORMAT_ARGS(ref));
	return ECS_OK;
}
