/* image_match.c - image patterns, parsed then matched part by part. See image_match.h. */
#include <config.h>

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>

#include "image_match.h"

/*
 * The longest pattern we look at: the longest valid reference (lib/image_ref.c:
 * name 255, ":" tag 128, "@" digest 255), so every reference admits itself.
 */
#define PATTERN_MAX_LEN (255 + 1 + 128 + 1 + 255)
#define TAG_PATTERN_MAX_LEN 128

#define BAD(...) do { snprintf(why, whylen, __VA_ARGS__); rc = -1; goto out; } while (0)

void image_parts_clear(image_parts *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->host);
	free(p->port);
	for (i = 0; i < p->path_len; i++)
		free(p->path[i]);
	free(p->path);
	free(p->tag);
	free(p->digest);
	memset(p, 0, sizeof(*p));
}

static int is_wild(char c)
{
	return c == '*' || c == '?';
}

/* Every character of s[0..n) in @set (letters and digits by class) or a wildcard. */
static int chars_ok(const char *s, size_t n, int upper, int digits, const char *extra)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_wild((char)c) || (c >= 'a' && c <= 'z') || (upper && c >= 'A' && c <= 'Z') ||
		    (digits && c >= '0' && c <= '9') || (c != '\0' && strchr(extra, c) != NULL))
			continue;
		return 0;
	}
	return 1;
}

/*
 * Set host and port from "host[:port]" s[0..n); @pattern allows wildcards.
 * The host is lowered for patterns and registry lists an operator wrote; a
 * reference's host is lower case already (ecs_image_ref_parse() refuses
 * upper case there, as the engine would use it verbatim).
 */
static int set_registry(image_parts *out, const char *s, size_t n, int pattern, char *why, size_t whylen)
{
	const char *colon = memchr(s, ':', n);
	size_t host_len = colon != NULL ? (size_t)(colon - s) : n, i, start = 0;
	int rc = 0;

	if (host_len == 0)
		BAD("no registry host before ':'");
	for (i = 0; i <= host_len; i++) {
		if (i < host_len && s[i] != '.')
			continue;
		if (i == start || !chars_ok(s + start, i - start, 1, 1, "-"))
			BAD("bad registry host '%.*s' (letters, digits, '-', '.', '*' and '?')", (int)host_len, s);
		start = i + 1;
	}
	if (colon != NULL) {
		size_t port_len = n - host_len - 1;

		for (i = 0; i < port_len; i++)
			if (!(colon[1 + i] >= '0' && colon[1 + i] <= '9') && !(pattern && is_wild(colon[1 + i])))
				break;
		if (port_len == 0 || i < port_len)
			BAD("bad registry port '%.*s'", (int)port_len, colon + 1);
		if ((out->port = strndup(colon + 1, port_len)) == NULL)
			return -2;
	}
	if ((out->host = strndup(s, host_len)) == NULL)
		return -2;
	for (i = 0; i < host_len; i++)
		out->host[i] = (char)tolower((unsigned char)out->host[i]);
	/* The engine's one other name for Docker Hub (splitDockerDomain). It
	 * keeps registry-1.docker.io as written, a registry of its own, and so
	 * do we: matching it as docker.io would admit what the engine treats
	 * as another registry. */
	if (strcmp(out->host, "index.docker.io") == 0 && out->port == NULL)
		strcpy(out->host, "docker.io");
out:
	return rc;
}

/* Split the path s[0..n) into segments, "library/" first for one-segment Docker Hub names. */
static int set_path(image_parts *out, const char *s, size_t n, int pattern, char *why, size_t whylen)
{
	size_t i, start = 0, count = 1, k = 0;
	int library, rc = 0;

	for (i = 0; i < n; i++)
		count += s[i] == '/';
	library = count == 1 && strcmp(out->host, "docker.io") == 0 && out->port == NULL;
	out->path = calloc(count + (size_t)library, sizeof(*out->path));
	if (out->path == NULL)
		return -2;
	if (library) {
		if ((out->path[k++] = strdup("library")) == NULL)
			return -2;
		out->path_len = k;
	}
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (pattern && !chars_ok(s + start, i - start, 0, 1, "._-"))
			BAD("bad path segment '%.*s' (lower-case letters, digits, '.', '_', '-', '*' and '?')",
					(int)(i - start), s + start);
		if ((out->path[k++] = strndup(s + start, i - start)) == NULL)
			return -2;
		out->path_len = k;
		start = i + 1;
	}
out:
	return rc;
}

/* Split "name[:tag][@digest]" into its three parts (no validation). */
static void split_reference(const char *s, size_t *name_len, const char **tag, size_t *tag_len,
		const char **digest)
{
	const char *at = strchr(s, '@');
	size_t n = at != NULL ? (size_t)(at - s) : strlen(s), i;
	const char *colon = NULL;

	*digest = at != NULL ? at + 1 : NULL;
	/* A tag is a ':' after the last '/'; one before it is the registry's port. */
	for (i = 0; i < n; i++) {
		if (s[i] == '/')
			colon = NULL;
		else if (s[i] == ':')
			colon = s + i;
	}
	*tag = colon != NULL ? colon + 1 : NULL;
	*tag_len = colon != NULL ? n - (size_t)(colon + 1 - s) : 0;
	*name_len = colon != NULL ? (size_t)(colon - s) : n;
}

/* The engine's rule: the first of several segments is a host when it has '.' or ':' or is localhost. */
static size_t host_length(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	size_t first;

	if (slash == NULL)
		return 0;
	first = (size_t)(slash - s);
	if (memchr(s, '.', first) != NULL || memchr(s, ':', first) != NULL ||
	    (first == 9 && memcmp(s, "localhost", 9) == 0))
		return first;
	return 0;
}

int image_pattern_parse(image_parts *out, const char *pattern, char *why, size_t whylen)
{
	const char *tag, *digest;
	size_t name_len, tag_len, host_len;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (pattern == NULL || pattern[0] == '\0')
		BAD("empty image pattern");
	if (strlen(pattern) > PATTERN_MAX_LEN)
		BAD("image pattern longer than %d characters", PATTERN_MAX_LEN);
	split_reference(pattern, &name_len, &tag, &tag_len, &digest);
	if (digest != NULL) {
		const char *colon = strchr(digest, ':');

		if (colon == NULL || !chars_ok(digest, (size_t)(colon - digest), 0, 1, "+._-") ||
		    strspn(colon + 1, "0123456789abcdef*?") != strlen(colon + 1) || colon[1] == '\0')
			BAD("bad digest pattern '%s' (want algorithm:hex, such as sha256:*)", digest);
		if (strchr(colon + 1, ':') != NULL)
			BAD("bad digest pattern '%s' (want algorithm:hex, such as sha256:*)", digest);
		if ((out->digest = strdup(digest)) == NULL)
			return -2;
	}
	if (tag != NULL) {
		if (tag_len > TAG_PATTERN_MAX_LEN || !chars_ok(tag, tag_len, 1, 1, "_.-"))
			BAD("bad tag pattern '%.*s' (letters, digits, '_', '.', '-', '*' and '?')", (int)tag_len, tag);
		if ((out->tag = strndup(tag, tag_len)) == NULL)
			return -2;
	}
	if (name_len == 0)
		BAD("no repository name in '%s'", pattern);
	host_len = host_length(pattern, name_len);
	if (host_len > 0)
		rc = set_registry(out, pattern, host_len, 1, why, whylen);
	else if ((out->host = strdup("docker.io")) == NULL)
		rc = -2;
	if (rc == 0)
		rc = set_path(out, pattern + (host_len ? host_len + 1 : 0), name_len - (host_len ? host_len + 1 : 0),
				1, why, whylen);
out:
	if (rc != 0)
		image_parts_clear(out);
	return rc;
}

int image_registry_parse(image_parts *out, const char *registry, char *why, size_t whylen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (registry == NULL || registry[0] == '\0' || strlen(registry) > PATTERN_MAX_LEN) {
		snprintf(why, whylen, "empty or overlong registry");
		return -1;
	}
	if (strchr(registry, '/') != NULL || strchr(registry, '@') != NULL) {
		snprintf(why, whylen, "a registry is host[:port], without '/' or '@'");
		return -1;
	}
	rc = set_registry(out, registry, strlen(registry), 1, why, whylen);
	if (rc != 0)
		image_parts_clear(out);
	return rc;
}

int image_parts_from_image_ref(image_parts *out, const ecs_image_ref *ref)
{
	char why[160];
	int rc;

	memset(out, 0, sizeof(*out));
	/* An id names no registry or repository: no pattern or list can admit it. */
	if (ref->kind == ECS_IMAGE_REF_ID)
		return -1;
	if (ref->registry != NULL)
		rc = set_registry(out, ref->registry, strlen(ref->registry), 0, why, sizeof(why));
	else
		rc = (out->host = strdup("docker.io")) != NULL ? 0 : -2;
	if (rc == 0)
		rc = set_path(out, ref->repository, strlen(ref->repository), 0, why, sizeof(why));
	if (rc == 0 && ref->tag != NULL && (out->tag = strdup(ref->tag)) == NULL)
		rc = -2;
	if (rc == 0 && ref->digest != NULL && (out->digest = strdup(ref->digest)) == NULL)
		rc = -2;
	if (rc != 0) {
		image_parts_clear(out);
		return rc == -2 ? -2 : -1;
	}
	return 0;
}

int image_parts_from_ref(image_parts *out, const char *reference)
{
	ecs_image_ref ref;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ecs_image_ref_parse(&ref, reference);
	if (rc == ECS_ENOMEM)
		return -2;
	if (rc != ECS_OK)
		return -1;
	rc = image_parts_from_image_ref(out, &ref);
	ecs_image_ref_clear(&ref);
	return rc;
}

void image_parts_free_array(image_parts *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		image_parts_clear(&v[i]);
	free(v);
}

/* One part against its glob: the parts hold no separator, so fnmatch cannot cross one. */
static int part_match(const char *pattern, const char *s)
{
	return fnmatch(pattern, s, 0) == 0;
}

/* Label by label: '*' in a host never crosses '.'. */
static int host_match(const char *pattern, const char *host)
{
	const char *p = pattern, *h = host;

	for (;;) {
		const char *pe = strchr(p, '.'), *he = strchr(h, '.');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p), hl = he ? (size_t)(he - h) : strlen(h);
		char pl_buf[256], hl_buf[256];

		if ((pe == NULL) != (he == NULL) || pl >= sizeof(pl_buf) || hl >= sizeof(hl_buf))
			return 0;
		memcpy(pl_buf, p, pl);
		pl_buf[pl] = '\0';
		memcpy(hl_buf, h, hl);
		hl_buf[hl] = '\0';
		if (!part_match(pl_buf, hl_buf))
			return 0;
		if (pe == NULL)
			return 1;
		p = pe + 1;
		h = he + 1;
	}
}

int image_registry_match(const image_parts *registry, const image_parts *image)
{
	if (registry->host == NULL || image->host == NULL || !host_match(registry->host, image->host))
		return 0;
	if (registry->port == NULL || image->port == NULL)
		return registry->port == NULL && image->port == NULL;
	return part_match(registry->port, image->port);
}

/* "algorithm:hex" against "algorithm:hex", each half on its own. */
static int digest_match(const char *pattern, const char *digest)
{
	const char *pc = strchr(pattern, ':'), *dc = strchr(digest, ':');
	char *alg_p, *alg_d;
	int m;

	if (pc == NULL || dc == NULL)
		return 0;
	/* Algorithms have no length bound of their own (the reference parser
	 * takes any), so copy them whole: a fixed buffer refused long ones. */
	alg_p = strndup(pattern, (size_t)(pc - pattern));
	alg_d = strndup(digest, (size_t)(dc - digest));
	m = alg_p != NULL && alg_d != NULL && part_match(alg_p, alg_d) && part_match(pc + 1, dc + 1);
	free(alg_p);
	free(alg_d);
	return m;
}

int image_pattern_match(const image_parts *pattern, const image_parts *image)
{
	size_t i;

	if (!image_registry_match(pattern, image) || pattern->path_len != image->path_len)
		return 0;
	for (i = 0; i < pattern->path_len; i++)
		if (!part_match(pattern->path[i], image->path[i]))
			return 0;
	if (pattern->tag == NULL && pattern->digest == NULL)
		return 1;
	if (pattern->tag != NULL && (image->tag == NULL || !part_match(pattern->tag, image->tag)))
		return 0;
	/* With a digest the engine ignores the tag: only a digest pattern may admit one. */
	if (pattern->digest == NULL)
		return image->digest == NULL;
	return image->digest != NULL && digest_match(pattern->digest, image->digest);
}

int image_match(const char *pattern, const char *image)
{
	image_parts p, im;
	char why[160];
	int rc;

	rc = image_pattern_parse(&p, pattern, why, sizeof(why));
	if (rc != 0)
		return rc == -2 ? -2 : 0;
	rc = image_parts_from_ref(&im, image);
	if (rc != 0) {
		image_parts_clear(&p);
		return rc == -2 ? -2 : 0;
	}
	rc = image_pattern_match(&p, &im);
	image_parts_clear(&im);
	image_parts_clear(&p);
	return rc;
}

int image_parts_literal_host(const image_parts *p)
{
	return p->host != NULL && strpbrk(p->host, "*?") == NULL && (p->port == NULL || strpbrk(p->port, "*?") == NULL);
}

void image_parts_registry(char *out, size_t outlen, const image_parts *p)
{
	snprintf(out, outlen, "%s%s%s", p->host ? p->host : "", p->port ? ":" : "", p->port ? p->port : "");
}
