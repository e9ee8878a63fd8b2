/* registries.c - allowed_registries and public_registries. See registries.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registries.h"
#include "value.h"

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -2;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -2;
	(*n)++;
	return 0;
}

int registries_defaults(config *c)
{
	if (push(&c->allowed_registries, &c->allowed_registries_len, "docker.io") != 0 ||
	    push(&c->public_registries, &c->public_registries_len, "docker.io") != 0)
		return -2;
	return 0;
}

/* The parsed lists go stale when a list changes: registries_finish() makes them again. */
static void drop_parts(config *c)
{
	image_parts_free_array(c->allowed_registry_parts, c->allowed_registry_parts ? c->allowed_registries_len : 0);
	image_parts_free_array(c->public_registry_parts, c->public_registry_parts ? c->public_registries_len : 0);
	c->allowed_registry_parts = c->public_registry_parts = NULL;
}

void registries_free(config *c)
{
	drop_parts(c);
	value_free_words(c->allowed_registries, c->allowed_registries_len);
	value_free_words(c->public_registries, c->public_registries_len);
	c->allowed_registries = c->public_registries = NULL;
	c->allowed_registries_len = c->public_registries_len = 0;
}

/* A list of registries: words split on spaces and commas, each a valid pattern. */
static int parse_list(char ***out, size_t *len, const char *value, int allow_empty, char *why, size_t whylen)
{
	char **v = NULL;
	size_t n = 0, i;
	int rc = value_split_words(&v, &n, value);

	for (i = 0; rc == 0 && i < n; i++) {
		image_parts p;
		char inner[160];

		rc = image_registry_parse(&p, v[i], inner, sizeof(inner));
		image_parts_clear(&p);
		if (rc == -1)
			snprintf(why, whylen, "'%s': %s", v[i], inner);
	}
	if (rc == 0 && n == 0 && !allow_empty) {
		snprintf(why, whylen, "expected one or more registries such as docker.io registry.example.com:5000");
		rc = -1;
	}
	if (rc != 0) {
		value_free_words(v, n);
		return rc;
	}
	*out = v;
	*len = n;
	return 0;
}

/* No public registry at all is a choice (check every image); no allowed one is not. */
static int set_registries(config *c, int allowed, const char *value, char *why, size_t whylen)
{
	char ***list = allowed ? &c->allowed_registries : &c->public_registries;
	size_t *len = allowed ? &c->allowed_registries_len : &c->public_registries_len;
	char **v = NULL;
	size_t n = 0;
	int rc;

	drop_parts(c);
	rc = parse_list(&v, &n, value, !allowed, why, whylen);
	if (rc != 0)
		return rc;
	value_free_words(*list, *len);
	*list = v;
	*len = n;
	return 0;
}

static int set_allowed(void *t, const conf_key *k, const char *value, char *why, size_t whylen)
{
	(void)k;
	return set_registries(t, 1, value, why, whylen);
}

static int set_public(void *t, const conf_key *k, const char *value, char *why, size_t whylen)
{
	(void)k;
	return set_registries(t, 0, value, why, whylen);
}

const conf_key registries_keys[] = {
	CONF_FN("allowed_registries", set_allowed),
	CONF_FN("public_registries", set_public),
	CONF_KEYS_END
};

/* Each registry of a list parsed, once, into *@out (validated when the key was read). */
static int parse_parts(image_parts **out, char *const *list, size_t n)
{
	size_t i;

	*out = calloc(n + 1, sizeof(**out));
	if (*out == NULL)
		return -2;
	for (i = 0; i < n; i++) {
		char why[160];

		if (image_registry_parse(&(*out)[i], list[i], why, sizeof(why)) == -2)
			return -2;
	}
	return 0;
}

static int listed(const image_parts *list, size_t n, const image_parts *image)
{
	size_t i;

	for (i = 0; list != NULL && i < n; i++)
		if (image_registry_match(&list[i], image))
			return 1;
	return 0;
}

int registries_finish(config *c)
{
	size_t i, j;

	drop_parts(c);
	if (parse_parts(&c->allowed_registry_parts, c->allowed_registries, c->allowed_registries_len) != 0 ||
	    parse_parts(&c->public_registry_parts, c->public_registries, c->public_registries_len) != 0)
		return -2;
	for (i = 0; i < c->clients_len; i++) {
		for (j = 0; j < c->clients[i].images_len; j++) {
			const image_parts *p = &c->clients[i].patterns[j];
			image_parts *grown;
			char name[300], why[160];

			if (!image_parts_literal_host(p) ||
			    listed(c->allowed_registry_parts, c->allowed_registries_len, p))
				continue;
			image_parts_registry(name, sizeof(name), p);
			grown = realloc(c->allowed_registry_parts, (c->allowed_registries_len + 1) * sizeof(*grown));
			if (grown == NULL)
				return -2;
			c->allowed_registry_parts = grown;
			memset(&grown[c->allowed_registries_len], 0, sizeof(*grown));
			if (image_registry_parse(&grown[c->allowed_registries_len], name, why, sizeof(why)) == -2 ||
			    push(&c->allowed_registries, &c->allowed_registries_len, name) != 0) {
				image_parts_clear(&grown[c->allowed_registries_len]);
				return -2;
			}
		}
	}
	return 0;
}

int registries_allowed(const config *c, const image_parts *image)
{
	return listed(c->allowed_registry_parts, c->allowed_registries_len, image);
}

int registries_public(const config *c, const image_parts *image)
{
	return listed(c->public_registry_parts, c->public_registries_len, image);
}
