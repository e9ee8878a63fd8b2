/* registries.c - allowed_registries and public_registries. See registries.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registries.h"

static void free_list(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

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

void registries_free(config *c)
{
	free_list(c->allowed_registries, c->allowed_registries_len);
	free_list(c->public_registries, c->public_registries_len);
	c->allowed_registries = c->public_registries = NULL;
	c->allowed_registries_len = c->public_registries_len = 0;
}

/* A list of registries: words split on spaces and commas, each a valid pattern. */
static int parse_list(char ***out, size_t *len, const char *value, int allow_empty, char *why, size_t whylen)
{
	char *copy = strdup(value), *save = NULL, *w;
	char **v = NULL;
	size_t n = 0;
	int rc = 0;

	if (copy == NULL)
		return -2;
	for (w = strtok_r(copy, " \t,", &save); w != NULL && rc == 0; w = strtok_r(NULL, " \t,", &save)) {
		image_parts p;
		char inner[160];

		rc = image_registry_parse(&p, w, inner, sizeof(inner));
		image_parts_clear(&p);
		if (rc == -1)
			snprintf(why, whylen, "'%s': %s", w, inner);
		if (rc == 0)
			rc = push(&v, &n, w);
	}
	if (rc == 0 && n == 0 && !allow_empty) {
		snprintf(why, whylen, "expected one or more registries such as docker.io registry.example.com:5000");
		rc = -1;
	}
	free(copy);
	if (rc != 0) {
		free_list(v, n);
		return rc;
	}
	*out = v;
	*len = n;
	return 0;
}

int registries_apply(config *c, const char *key, const char *value, char *why, size_t whylen)
{
	char **v = NULL;
	size_t n = 0;
	int rc, allowed = strcmp(key, "allowed_registries") == 0;

	if (!allowed && strcmp(key, "public_registries") != 0)
		return 1;
	/* No public registry at all is a choice: check every image. */
	rc = parse_list(&v, &n, value, !allowed, why, whylen);
	if (rc != 0)
		return rc;
	if (allowed) {
		free_list(c->allowed_registries, c->allowed_registries_len);
		c->allowed_registries = v;
		c->allowed_registries_len = n;
	} else {
		free_list(c->public_registries, c->public_registries_len);
		c->public_registries = v;
		c->public_registries_len = n;
	}
	return 0;
}

static int listed(char *const *list, size_t n, const image_parts *image)
{
	size_t i;

	for (i = 0; i < n; i++) {
		image_parts r;
		char why[160];
		int ok;

		if (image_registry_parse(&r, list[i], why, sizeof(why)) != 0)
			continue;  /* validated at load; out of memory refuses */
		ok = image_registry_match(&r, image);
		image_parts_clear(&r);
		if (ok)
			return 1;
	}
	return 0;
}

int registries_finish(config *c)
{
	size_t i, j;

	for (i = 0; i < c->clients_len; i++) {
		for (j = 0; j < c->clients[i].images_len; j++) {
			image_parts p;
			char why[160], name[300];
			int rc = image_pattern_parse(&p, c->clients[i].images[j], why, sizeof(why));

			if (rc == -2)
				return -2;
			if (rc != 0)
				continue;  /* apply_client refused it already */
			image_parts_registry(name, sizeof(name), &p);
			if (image_parts_literal_host(&p) && !listed(c->allowed_registries, c->allowed_registries_len, &p) &&
			    push(&c->allowed_registries, &c->allowed_registries_len, name) != 0) {
				image_parts_clear(&p);
				return -2;
			}
			image_parts_clear(&p);
		}
	}
	return 0;
}

int registries_allowed(const config *c, const image_parts *image)
{
	return listed(c->allowed_registries, c->allowed_registries_len, image);
}

int registries_public(const config *c, const image_parts *image)
{
	return listed(c->public_registries, c->public_registries_len, image);
}
