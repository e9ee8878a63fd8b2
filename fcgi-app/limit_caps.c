/* limit_caps.c - the limit caps' keys. See limit_caps.h. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <ecs/ecs.h>

#include "limit_caps.h"
#include "value.h"

/*
 * A limit: a whole number or size within libecs's bounds, or "unlimited".
 * 0 is refused: it meant "no cap" before limits had safe defaults, and
 * reading it as a limit or as none would each surprise someone.
 */
static int parse_limit(int64_t *out, const char *v, int is_size, int64_t min, int64_t max, const char *range,
		char *why, size_t whylen)
{
	long long n;
	int64_t sz;

	if (strcmp(v, "unlimited") == 0) {
		*out = LIMIT_UNLIMITED;
		return 0;
	}
	if (strcmp(v, "0") == 0)
		return conf_why(why, whylen, "0 is not a limit (it used to mean none): write unlimited, or leave the key "
				"out for the default");
	if (is_size) {
		if (value_parse_size(&sz, v) != 0 || sz < min || sz > max)
			return conf_why(why, whylen, "expected a size %s, such as 512M, or unlimited", range);
		*out = sz;
		return 0;
	}
	if (value_parse_uint(&n, v, min, max) != 0)
		return conf_why(why, whylen, "expected a whole number %s, or unlimited", range);
	*out = n;
	return 0;
}

/* max_memory (a size), max_pids and max_nofile: the entry holds the bounds and their words. */
static int set_limit(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	return parse_limit((int64_t *)(void *)((char *)t + k->offset), v, strcmp(k->name, "max_memory") == 0,
			k->min, k->max, k->expect, why, whylen);
}

#define LIMIT(name, member, min, max, range) \
	{ name, set_limit, offsetof(limit_caps, member), sizeof(int64_t), min, max, range, NULL }

static int set_max_cpus(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	limit_caps *caps = t;

	(void)k;
	if (strcmp(v, "unlimited") == 0) {
		caps->max_cpus = LIMIT_UNLIMITED;
		return 0;
	}
	if (value_parse_cpus(&caps->max_cpus, v) != 0 || caps->max_cpus < 0.01)
		return conf_why(why, whylen, "expected a number of CPUs from 0.01 to 1024, such as 1.5, or unlimited");
	return 0;
}

const conf_key limits_keys[] = {
	CONF_UINT("max_timeout", limit_caps, max_timeout_s, 1, 86400, "expected whole seconds between 1 and 86400"),
	LIMIT("max_memory", max_memory, ECS_SANDBOX_MEMORY_MIN, ECS_SANDBOX_MEMORY_MAX,
	      "from 6M (the engine's minimum) to 1P"),
	CONF_FN("max_cpus", set_max_cpus),
	LIMIT("max_pids", max_pids, ECS_SANDBOX_PIDS_MIN, ECS_SANDBOX_PIDS_MAX,
	      "from 2 (the container's init and the task) to 4194304"),
	LIMIT("max_nofile", max_nofile, ECS_SANDBOX_NOFILE_MIN, ECS_SANDBOX_NOFILE_MAX, "from 16 to 1048576"),
	CONF_KEYS_END
};

int limits_exceed(double client, double global)
{
	if (client == 0 || global == LIMIT_UNLIMITED)
		return 0;
	return client == LIMIT_UNLIMITED || client > global;
}
