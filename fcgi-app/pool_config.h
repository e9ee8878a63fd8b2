/*
 * pool_config.h - the warm pool's keys in ecs.conf (see ecs.conf(5)):
 * in [ecs] pool_adaptive, pool_budget, pool_adaptive_size, pool_idle_ttl,
 * pool_refill_concurrency and pool_agent; and [pool "IMAGE"] sections with
 * one key, size: that many warm containers of IMAGE under the [ecs] profile.
 */
#ifndef ECSFCGI_POOL_CONFIG_H
#define ECSFCGI_POOL_CONFIG_H

#include <stddef.h>

#include "conf_key.h"

typedef struct {
	char *image;           /* as written between the quotes */
	unsigned int size;
	int line;
} pool_fixed;

typedef struct {
	int adaptive;          /* pool_adaptive: 1 (default) grows a pool for a key that missed */
	unsigned int budget;   /* pool_budget: warm containers of all pools together; 0 turns pooling off */
	unsigned int adaptive_size;
	unsigned int idle_ttl_s;
	unsigned int concurrency;
	char *agent;           /* pool_agent: ecs-agent on the engine's host */
	pool_fixed *fixed;
	size_t fixed_len;
} pool_conf;

/** pool_conf_init - the defaults. Returns 0 or -2 (out of memory). */
int pool_conf_init(pool_conf *p);

/** pool_conf_clear - free what @p holds. */
void pool_conf_clear(pool_conf *p);

/** pool_conf_keys - the pool's keys of [ecs]; their target is a pool_conf. */
extern const conf_key pool_conf_keys[];

/**
 * pool_conf_section - a section header: [pool "IMAGE"] adds a fixed pool
 * (returned in *@cur, size 1 until its key says otherwise).
 * Returns 0 ours, 1 not a pool section, -1 a malformed one (reason in
 * @why), -2 out of memory.
 */
int pool_conf_section(pool_conf *p, const char *section, int line, pool_fixed **cur, char *why, size_t whylen);

/** pool_fixed_keys - the keys of a [pool "IMAGE"] section (size); their target is a pool_fixed. */
extern const conf_key pool_fixed_keys[];

#endif
