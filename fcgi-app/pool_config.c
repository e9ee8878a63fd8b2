/*
 * pool_config.c - the warm pool's configuration keys (pool_config.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ecs/ecs.h>

#include "conf.h"
#include "image_match.h"
#include "pool_config.h"
#include "value.h"

#define DEFAULT_BUDGET 8u
#define DEFAULT_ADAPTIVE_SIZE 2u
#define MAX_CONCURRENCY 16

#define BAD(...) do { snprintf(why, whylen, __VA_ARGS__); return -1; } while (0)

int pool_conf_init(pool_conf *p)
{
	memset(p, 0, sizeof(*p));
	p->adaptive = 1;
	p->budget = DEFAULT_BUDGET;
	p->adaptive_size = DEFAULT_ADAPTIVE_SIZE;
	p->idle_ttl_s = ECS_POOL_DEFAULT_IDLE_TTL_S;
	p->concurrency = ECS_POOL_DEFAULT_CONCURRENCY;
	p->agent = strdup(ECS_POOL_AGENT_DEFAULT);
	return p->agent != NULL ? 0 : -2;
}

void pool_conf_clear(pool_conf *p)
{
	for (size_t i = 0; i < p->fixed_len; i++)
		free(p->fixed[i].image);
	free(p->fixed);
	free(p->agent);
	memset(p, 0, sizeof(*p));
}

static int parse_count(unsigned int *out, const char *v, long long min, long long max)
{
	long long n;

	if (value_parse_uint(&n, v, min, max) != 0)
		return -1;
	*out = (unsigned int)n;
	return 0;
}

int pool_conf_apply_ecs(pool_conf *p, const char *key, const char *v, char *why, size_t whylen)
{
	if (strcmp(key, "pool_adaptive") == 0) {
		if (value_parse_bool(&p->adaptive, v) != 0)
			BAD("expected yes or no");
	} else if (strcmp(key, "pool_budget") == 0) {
		if (parse_count(&p->budget, v, 0, ECS_POOL_MAX_SIZE) != 0)
			BAD("expected a count between 0 and %u", ECS_POOL_MAX_SIZE);
	} else if (strcmp(key, "pool_adaptive_size") == 0) {
		if (parse_count(&p->adaptive_size, v, 1, ECS_POOL_MAX_SIZE) != 0)
			BAD("expected a count between 1 and %u", ECS_POOL_MAX_SIZE);
	} else if (strcmp(key, "pool_idle_ttl") == 0) {
		if (parse_count(&p->idle_ttl_s, v, 1, 86400) != 0)
			BAD("expected whole seconds between 1 and 86400");
	} else if (strcmp(key, "pool_refill_concurrency") == 0) {
		if (parse_count(&p->concurrency, v, 1, MAX_CONCURRENCY) != 0)
			BAD("expected a count between 1 and %d", MAX_CONCURRENCY);
	} else if (strcmp(key, "pool_agent") == 0) {
		char *a;

		if (v[0] != '/')
			BAD("expected an absolute path");
		if ((a = strdup(v)) == NULL)
			return -2;
		free(p->agent);
		p->agent = a;
	} else {
		return 1;
	}
	return 0;
}

int pool_conf_section(pool_conf *p, const char *section, int line, pool_fixed **cur, char *why, size_t whylen)
{
	pool_fixed *grown;
	ecs_image_ref ref;
	size_t n;
	char *image;
	int rc;

	*cur = NULL;
	if (strncasecmp(section, "pool", 4) != 0 || section[4] != ' ')
		return 1;
	section += 4;
	while (*section == ' ')
		section++;
	n = strlen(section);
	if (n < 3 || section[0] != '"' || section[n - 1] != '"')
		BAD("expected [pool \"IMAGE\"]");
	if ((image = strndup(section + 1, n - 2)) == NULL)
		return -2;
	rc = ecs_image_ref_parse(&ref, image);
	ecs_image_ref_clear(&ref);
	if (rc != 0) {
		free(image);
		if (rc == ECS_ENOMEM)
			return -2;
		BAD("the image must be name:tag or name@sha256:...");
	}
	grown = realloc(p->fixed, (p->fixed_len + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(image);
		return -2;
	}
	p->fixed = grown;
	*cur = &p->fixed[p->fixed_len++];
	(*cur)->image = image;
	(*cur)->size = 1;
	(*cur)->line = line;
	return 0;
}

int pool_conf_apply_fixed(pool_fixed *f, const char *key, const char *v, char *why, size_t whylen)
{
	if (strcmp(key, "size") != 0)
		return 1;
	if (parse_count(&f->size, v, 0, ECS_POOL_MAX_SIZE) != 0)
		BAD("expected a count between 0 and %u", ECS_POOL_MAX_SIZE);
	return 0;
}
