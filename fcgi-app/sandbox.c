/* sandbox.c - the operator's sandbox per client, narrowed per request. See sandbox.h. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sandbox.h"
#include "value.h"

#define BAD(...) do { snprintf(why, whylen, __VA_ARGS__); return -1; } while (0)

void sandbox_conf_init(sandbox_conf *s)
{
	memset(s, 0, sizeof(*s));
	s->writable_root = -1;
}

void sandbox_conf_clear(sandbox_conf *s)
{
	value_free_words(s->cap_add, s->cap_add_len);
	value_free_words(s->tmpfs, s->tmpfs_len);
	value_free_words(s->allowed_runtimes, s->allowed_runtimes_len);
	free(s->user);
	free(s->default_runtime);
	sandbox_conf_init(s);
}

/* What libecs says of a profile holding one operator value: the bounds and
 * names are libecs's, checked in one place. */
static int check_one(const ecs_sandbox_profile *p, char *why, size_t whylen)
{
	char inner[200];

	if (ecs_sandbox_profile_validate(p, inner, sizeof(inner)) == 0)
		return 0;
	BAD("%s", inner);
}

static int set_list(char ***list, size_t *len, int *set, const char *value, int which, char *why, size_t whylen)
{
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;
	char **w;
	size_t n, i;

	if (value_split_words(&w, &n, value) != 0)
		return -2;
	if (which == 0) {
		p.cap_add = (const char *const *)w;
		p.cap_add_len = n;
	} else if (which == 1) {
		p.tmpfs = (const char *const *)w;
		p.tmpfs_len = n;
	}
	for (i = 0; which == 2 && i < n; i++) {
		p.runtime = w[i];
		if (check_one(&p, why, whylen) != 0)
			break;
	}
	if ((which == 2 && i < n) || (which != 2 && check_one(&p, why, whylen) != 0)) {
		value_free_words(w, n);
		return -1;
	}
	value_free_words(*list, *len);
	*list = w;
	*len = n;
	*set = 1;
	return 0;
}

static int set_name(char **dst, const char *value, int is_user, char *why, size_t whylen)
{
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;
	char *s;

	if (is_user)
		p.user = value;
	else
		p.runtime = value;
	if (check_one(&p, why, whylen) != 0)
		return -1;
	s = strdup(value);
	if (s == NULL)
		return -2;
	free(*dst);
	*dst = s;
	return 0;
}

static int set_cap_add(void *t, const conf_key *k, const char *value, char *why, size_t whylen)
{
	sandbox_conf *s = t;

	(void)k;
	return set_list(&s->cap_add, &s->cap_add_len, &s->cap_add_set, value, 0, why, whylen);
}

static int set_tmpfs(void *t, const conf_key *k, const char *value, char *why, size_t whylen)
{
	sandbox_conf *s = t;

	(void)k;
	return set_list(&s->tmpfs, &s->tmpfs_len, &s->tmpfs_set, value, 1, why, whylen);
}

static int set_allowed_runtimes(void *t, const conf_key *k, const char *value, char *why, size_t whylen)
{
	sandbox_conf *s = t;

	(void)k;
	return set_list(&s->allowed_runtimes, &s->allowed_runtimes_len, &s->allowed_runtimes_set, value, 2,
			why, whylen);
}

static int set_user(void *t, const conf_key *k, const char *value, char *why, size_t whylen)
{
	(void)k;
	return set_name(&((sandbox_conf *)t)->user, value, 1, why, whylen);
}

static int set_default_runtime(void *t, const conf_key *k, const char *value, char *why, size_t whylen)
{
	(void)k;
	return set_name(&((sandbox_conf *)t)->default_runtime, value, 0, why, whylen);
}

static int set_tmp_size(void *t, const conf_key *k, const char *value, char *why, size_t whylen)
{
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;

	(void)k;
	if (strcmp(value, "unlimited") == 0)
		p.tmp_size = ECS_SANDBOX_UNLIMITED;
	else if (value_parse_size(&p.tmp_size, value) != 0 || p.tmp_size == 0)
		BAD("expected a size such as 64M, or unlimited");
	if (check_one(&p, why, whylen) != 0)
		return -1;
	((sandbox_conf *)t)->tmp_size = p.tmp_size;
	return 0;
}

const conf_key sandbox_keys[] = {
	CONF_FN("cap_add", set_cap_add),
	CONF_FN("tmpfs", set_tmpfs),
	CONF_FN("allowed_runtimes", set_allowed_runtimes),
	CONF_FN("user", set_user),
	CONF_FN("default_runtime", set_default_runtime),
	CONF_BOOL("writable_root", sandbox_conf, writable_root),
	CONF_FN("tmp_size", set_tmp_size),
	CONF_KEYS_END
};

/* The [client]'s value where it set one, else the [ecs] one. */
#define PICK_LIST(g, c, m) ((c) != NULL && (c)->m##_set ? (c) : (g))

void sandbox_allowed(ecs_sandbox_profile *out, const config *cfg, const client_rule *rule, const limit_caps *caps)
{
	const sandbox_conf *g = &cfg->sandbox, *c = rule != NULL ? &rule->sandbox : NULL;
	const sandbox_conf *l;

	(void)ecs_sandbox_profile_init(out, ECS_SANDBOX_PROFILE_VERSION);
	out->memory = caps->max_memory ? caps->max_memory : ECS_SANDBOX_DEFAULT_MEMORY;
	out->pids = caps->max_pids ? caps->max_pids : ECS_SANDBOX_DEFAULT_PIDS;
	out->nofile = caps->max_nofile ? caps->max_nofile : ECS_SANDBOX_DEFAULT_NOFILE;
	if (caps->max_cpus < 0)
		out->nano_cpus = ECS_SANDBOX_UNLIMITED;
	else if (caps->max_cpus > 0)
		out->nano_cpus = value_nano_cpus(caps->max_cpus);
	l = PICK_LIST(g, c, cap_add);
	out->cap_add = (const char *const *)l->cap_add;
	out->cap_add_len = l->cap_add_len;
	l = PICK_LIST(g, c, tmpfs);
	out->tmpfs = (const char *const *)l->tmpfs;
	out->tmpfs_len = l->tmpfs_len;
	if (c != NULL && c->tmp_size != 0)
		out->tmp_size = c->tmp_size;
	else if (g->tmp_size != 0)
		out->tmp_size = g->tmp_size;
	if (c != NULL && c->writable_root >= 0)
		out->writable_root = c->writable_root;
	else
		out->writable_root = g->writable_root > 0;
	out->user = c != NULL && c->user != NULL ? c->user : g->user;
	out->runtime = c != NULL && c->default_runtime != NULL ? c->default_runtime : g->default_runtime;
	out->network = cfg->default_network;
}

int sandbox_runtime_allowed(const config *cfg, const client_rule *rule, const char *runtime)
{
	const sandbox_conf *g = &cfg->sandbox, *c = rule != NULL ? &rule->sandbox : NULL;
	const sandbox_conf *l = PICK_LIST(g, c, allowed_runtimes);
	const char *def = c != NULL && c->default_runtime != NULL ? c->default_runtime : g->default_runtime;
	size_t i;

	/* The section's own default is allowed by being named. */
	if (def != NULL && strcmp(def, runtime) == 0)
		return 1;
	for (i = 0; i < l->allowed_runtimes_len; i++)
		if (strcmp(l->allowed_runtimes[i], runtime) == 0)
			return 1;
	return 0;
}

limit_caps sandbox_caps(const config *cfg, const client_rule *rule)
{
	limit_caps r = cfg->caps;
	const limit_caps *c;

	if (rule == NULL)
		return r;
	c = &rule->caps;
	/* config_load() refused a client cap above the [ecs] one: a set one is lower. */
	if (c->max_timeout_s > 0 && (r.max_timeout_s == 0 || c->max_timeout_s < r.max_timeout_s))
		r.max_timeout_s = c->max_timeout_s;
	if (c->max_memory != 0)
		r.max_memory = c->max_memory;
	if (c->max_cpus != 0)
		r.max_cpus = c->max_cpus;
	if (c->max_pids != 0)
		r.max_pids = c->max_pids;
	if (c->max_nofile != 0)
		r.max_nofile = c->max_nofile;
	return r;
}

static int check_section(const config *cfg, const client_rule *rule, char *why, size_t whylen)
{
	limit_caps caps = sandbox_caps(cfg, rule);
	ecs_sandbox_profile p;
	char inner[200];

	sandbox_allowed(&p, cfg, rule, &caps);
	if (ecs_sandbox_profile_validate(&p, inner, sizeof(inner)) != 0) {
		if (rule != NULL)
			BAD("line %d: client '%s': %s", rule->line, rule->name, inner);
		BAD("[ecs]: %s", inner);
	}
	return 0;
}

int sandbox_check(const config *cfg, char *why, size_t whylen)
{
	size_t i;

	if (check_section(cfg, NULL, why, whylen) != 0)
		return -1;
	for (i = 0; i < cfg->clients_len; i++)
		if (check_section(cfg, &cfg->clients[i], why, whylen) != 0)
			return -1;
	return 0;
}

int sandbox_for_request(ecs_sandbox_profile *out, const config *cfg, const client_rule *rule,
		const limit_caps *caps, const task_body *tb, int *status, const char **code, char *why, size_t whylen)
{
	ecs_sandbox_profile allowed, asked;
	int rc;

	memset(&asked, 0, sizeof(asked));
	asked.version = ECS_SANDBOX_PROFILE_VERSION;
	sandbox_allowed(&allowed, cfg, rule, caps);
	if (tb->runtime != NULL) {
		if (!sandbox_runtime_allowed(cfg, rule, tb->runtime)) {
			*status = 403;
			*code = "RUNTIME_NOT_ALLOWED";
			BAD("the runtime \"%s\" is not one this %s may use (allowed_runtimes)", tb->runtime,
					rule != NULL ? "client" : "service");
		}
		allowed.runtime = tb->runtime;
	}
	/* handlers.c checked it against allowed_networks. */
	if (tb->network != NULL)
		allowed.network = tb->network;
	asked.memory = tb->memory;
	asked.pids = tb->pids;
	if (tb->cpus > 0)
		asked.nano_cpus = value_nano_cpus(tb->cpus);
	asked.user = tb->user;
	rc = ecs_sandbox_profile_merge(out, &allowed, &asked, why, whylen);
	if (rc == 0)
		return 0;
	if (rc == ECS_ENOMEM)
		return -2;
	*status = rc == ECS_EDENIED ? 403 : 400;
	*code = rc == ECS_EDENIED ? "FORBIDDEN" : "BAD_REQUEST_BODY";
	return -1;
}

/* One warning line on @out, or only counted when @out is NULL. */
static int warn(FILE *out, const char *where, const char *what, const char *why)
{
	if (out != NULL)
		fprintf(out, "warning: %s: %s: %s\n", where, what, why);
	return 1;
}

static int warn_section(const limit_caps *caps, const sandbox_conf *s, const char *where, FILE *out)
{
	static const char all[] = "a task may use all the host has";
	int n = 0;

	if (caps->max_memory == LIMIT_UNLIMITED)
		n += warn(out, where, "max_memory = unlimited", all);
	if (caps->max_cpus < 0)
		n += warn(out, where, "max_cpus = unlimited", all);
	if (caps->max_pids == LIMIT_UNLIMITED)
		n += warn(out, where, "max_pids = unlimited", "a fork bomb can exhaust the host's PIDs");
	if (caps->max_nofile == LIMIT_UNLIMITED)
		n += warn(out, where, "max_nofile = unlimited", all);
	if (s->tmp_size == ECS_SANDBOX_UNLIMITED)
		n += warn(out, where, "tmp_size = unlimited", "/tmp may take half the host's memory");
	if (s->writable_root == 1)
		n += warn(out, where, "writable_root = yes", "tasks may write to the engine's disk");
	return n;
}

int sandbox_warn_unlimited(const config *cfg, FILE *out)
{
	char where[300];
	size_t i;
	int n = warn_section(&cfg->caps, &cfg->sandbox, "[ecs]", out);

	for (i = 0; i < cfg->clients_len; i++) {
		snprintf(where, sizeof(where), "line %d: client '%s'", cfg->clients[i].line, cfg->clients[i].name);
		n += warn_section(&cfg->clients[i].caps, &cfg->clients[i].sandbox, where, out);
	}
	return n;
}
