/*
 * pool_config.c - the warm pool's configuration keys (pool_config.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ecs/ecs.h>

#include "pool_config.h"
#include "value.h"

#define DEFAULT_BUDGET 8u
#define DEFAULT_ADAPTIVE_SIZE 2u
#define MAX_CONCURRENCY 16
#define STR_(x) #x
#define STR(x) STR_(x)
/* libecs's bound, spelt so that the messages can name it. */
#define POOL_MAX 1024
_Static_assert(POOL_MAX == ECS_POOL_MAX_SIZE, "POOL_MAX is libecs's ECS_POOL_MAX_SIZE");
#define COUNT_FROM(min) "expected a count between " #min " and " STR(POOL_MAX)

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

static int set_agent(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	pool_conf *p = t;
	char *a;

	(void)k;
	if (v[0] != '/')
		BAD("expected an absolute path");
	if ((a = strdup(v)) == NULL)
		return -2;
	free(p->agent);
	p->agent = a;
	return 0;
}

const conf_key pool_conf_keys[] = {
	CONF_BOOL("pool_adaptive", pool_conf, adaptive),
	CONF_UINT("pool_budget", pool_conf, budget, 0, POOL_MAX, COUNT_FROM(0)),
	CONF_UINT("pool_adaptive_size", pool_conf, adaptive_size, 1, POOL_MAX, COUNT_FROM(1)),
	CONF_UINT("pool_idle_ttl", pool_conf, idle_ttl_s, 1, 86400, "expected whole seconds between 1 and 86400"),
	CONF_UINT("pool_refill_concurrency", pool_conf, concurrency, 1, MAX_CONCURRENCY,
		  "expected a count between 1 and " STR(MAX_CONCURRENCY)),
	CONF_FN("pool_agent", set_agent),
	CONF_KEYS_END
};

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

const conf_key pool_fixed_keys[] = {
	CONF_UINT("size", pool_fixed, size, 0, POOL_MAX, COUNT_FROM(0)),
	CONF_KEYS_END
};
