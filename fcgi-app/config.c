/*
 * config.c - ecs.conf: read once by ini.h (lines, unknown keys and
 * duplicates as errors), then each entry handed to the concern whose key
 * table names it (conf_key.h): the service's own keys here, the limits
 * (limit_caps.h), the sandbox (sandbox.h), the pool (pool_config.h) and the
 * registries (registries.h). Checks across keys run once the whole file is
 * read, and name the line of the key that broke them.
 */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ecs/ecs.h>

#include "conf.h"
#include "conf_key.h"
#include "image_match.h"
#include "ini.h"
#include "limit_caps.h"
#include "registries.h"
#include "sandbox.h"
#include "value.h"

/* The words of auth, in the order of auth_mode's values. */
static const char *const auth_words[] = { "client-cert", "basic", "client-cert+basic", "none", NULL };

const char *config_auth_name(auth_mode m)
{
	return (unsigned int)m < sizeof(auth_words) / sizeof(auth_words[0]) - 1 ? auth_words[m] : "?";
}

int config_auth_has_basic(auth_mode m)
{
	return m == AUTH_MODE_BASIC || m == AUTH_MODE_CLIENT_CERT_BASIC;
}

/* ---- defaults */

config *config_defaults(void)
{
	config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->log_level = LOG_LEVEL_INFO;
	c->endpoint = strdup(ECS_ENGINE_DEFAULT_ENDPOINT);
	c->connect_timeout_ms = 5000;
	c->request_timeout_ms = 30000;
	c->workers = 64;
	/* A quarter of the default pool: one client cannot hold every worker. */
	c->max_client_tasks = 16;
	c->auth = AUTH_MODE_CLIENT_CERT;
	c->trusted_probe = 1;
	/* A dead engine takes the node out of a balancer within 4 s (two checks). */
	c->engine_check_interval_s = 2;
	/* Room for files (issue 17): a task body carries them in base64. */
	c->body_limit = 1024 * 1024;
	c->files_cap = 1024 * 1024;
	c->artifacts_cap = ECS_TASK_DEFAULT_ARTIFACTS_CAP;
	c->default_timeout_s = 60;
	c->caps.max_timeout_s = 600;
	/* Safe when nothing is configured: libecs's sandbox defaults. */
	c->caps.max_memory = ECS_SANDBOX_DEFAULT_MEMORY;
	c->caps.max_cpus = (double)ECS_SANDBOX_DEFAULT_NANO_CPUS / 1e9;
	c->caps.max_pids = ECS_SANDBOX_DEFAULT_PIDS;
	c->caps.max_nofile = ECS_SANDBOX_DEFAULT_NOFILE;
	sandbox_conf_init(&c->sandbox);
	session_conf_init(&c->sessions);
	callback_conf_init(&c->callbacks);
	store_conf_init(&c->store);
	if (pool_conf_init(&c->pool) != 0) {
		config_free(c);
		return NULL;
	}
	c->stdout_cap = 1024 * 1024;
	c->stderr_cap = 1024 * 1024;
	c->pull_policy = ECS_PULL_IF_NOT_PRESENT;
	c->backend = ECS_TASK_BACKEND_LOCAL;
	c->pull_timeout_s = 300;
	c->default_network = strdup(ECS_SANDBOX_DEFAULT_NETWORK);
	c->sweep_interval_s = 300;
	c->sweep_min_age_s = 60;
	c->instance_dir = strdup(ECS_INSTANCE_DIR_DEFAULT);
	c->shutdown_grace_s = 30;
	if (c->endpoint == NULL || c->default_network == NULL ||
	    value_split_words(&c->allowed_networks, &c->allowed_networks_len, "none bridge") != 0 ||
	    registries_defaults(c) != 0 || registries_finish(c) != 0 ||
	    /* gVisor is stricter than any default runtime: asking for it never loosens. */
	    value_split_words(&c->sandbox.allowed_runtimes, &c->sandbox.allowed_runtimes_len, "runsc") != 0) {
		config_free(c);
		return NULL;
	}
	return c;
}

void config_free(config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->endpoint);
	free(c->engine_ca_file);
	free(c->instance_dir);
	free(c->engine_cert_file);
	free(c->engine_key_file);
	free(c->default_network);
	value_free_words(c->allowed_networks, c->allowed_networks_len);
	for (i = 0; i < c->clients_len; i++) {
		free(c->clients[i].name);
		image_parts_free_array(c->clients[i].patterns, c->clients[i].images_len);
		value_free_words(c->clients[i].images, c->clients[i].images_len);
		sandbox_conf_clear(&c->clients[i].sandbox);
		free(c->clients[i].callback_secret);
	}
	sandbox_conf_clear(&c->sandbox);
	pool_conf_clear(&c->pool);
	session_conf_clear(&c->sessions);
	callback_conf_clear(&c->callbacks);
	store_conf_clear(&c->store);
	free(c->clients);
	registries_free(c);
	free(c);
}

/* ---- the service's keys of [ecs]; their target is the config */

/* The words of pull_policy and backend, in the order of their values (auth_words: above). */
static const char *const pull_words[] = { "if-not-present", "always", "never", NULL };
static const char *const backend_words[] = { "local", "swarm", NULL };
_Static_assert(AUTH_MODE_CLIENT_CERT == 0 && AUTH_MODE_BASIC == 1 && AUTH_MODE_CLIENT_CERT_BASIC == 2 &&
	       AUTH_MODE_NONE == 3, "auth_words follows auth_mode");
_Static_assert(ECS_PULL_IF_NOT_PRESENT == 0 && ECS_PULL_ALWAYS == 1 && ECS_PULL_NEVER == 2,
	       "pull_words follows ecs_pull_policy");
_Static_assert(ECS_TASK_BACKEND_LOCAL == 0 && ECS_TASK_BACKEND_SWARM == 1, "backend_words follows ecs_task_backend");

#define CLIENT_TASKS_EXPECT "expected a number of tasks between 0 (no cap) and 4096"
#define OUTPUT_CAP_EXPECT "expected a size between 1 and 256M, such as 1M"

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (s == NULL)
		return -2;
	free(*dst);
	*dst = s;
	return 0;
}

static int set_log_level(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	static const struct { const char *word; log_level level; } levels[] = {
		{ "debug", LOG_LEVEL_DEBUG }, { "info", LOG_LEVEL_INFO }, { "warning", LOG_LEVEL_WARNING },
		{ "warn", LOG_LEVEL_WARNING }, { "error", LOG_LEVEL_ERROR }, { "critical", LOG_LEVEL_ERROR },
	};
	size_t i;

	(void)k;
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcasecmp(v, levels[i].word) == 0) {
			((config *)t)->log_level = levels[i].level;
			return 0;
		}
	}
	return conf_why(why, whylen, "expected debug, info, warning or error");
}

static int set_endpoint(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	(void)k;
	if (strncmp(v, "unix:///", 8) != 0 && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
		return conf_why(why, whylen, "expected unix:///path, http://host:port or https://host:port");
	return set_str(&((config *)t)->endpoint, v);
}

static int network_ok(const char *v)
{
	return strcmp(v, "none") == 0 || strcmp(v, "bridge") == 0;
}

static int set_default_network(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	(void)k;
	if (!network_ok(v))
		return conf_why(why, whylen, "expected none or bridge");
	return set_str(&((config *)t)->default_network, v);
}

static int set_allowed_networks(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	config *c = t;
	char **w;
	size_t wl, i;

	(void)k;
	if (value_split_words(&w, &wl, v) != 0)
		return -2;
	for (i = 0; i < wl && network_ok(w[i]); i++)
		;
	if (wl == 0 || i < wl) {
		value_free_words(w, wl);
		return conf_why(why, whylen, "expected a list of none and/or bridge");
	}
	value_free_words(c->allowed_networks, c->allowed_networks_len);
	c->allowed_networks = w;
	c->allowed_networks_len = wl;
	return 0;
}

static int set_instance_dir(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	(void)k;
	if (v[0] != '/')
		return conf_why(why, whylen, "expected an absolute directory");
	return set_str(&((config *)t)->instance_dir, v);
}

/* engine_ca_file, engine_cert_file and engine_key_file. */
static int set_engine_file(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	config *c = t;

	if (access(v, R_OK) != 0)
		return conf_why(why, whylen, "cannot read '%s': %s", v, strerror(errno));
	return set_str(strcmp(k->name, "engine_ca_file") == 0 ? &c->engine_ca_file :
		       strcmp(k->name, "engine_cert_file") == 0 ? &c->engine_cert_file : &c->engine_key_file, v);
}

static const conf_key service_keys[] = {
	CONF_FN("log_level", set_log_level),
	CONF_FN("docker_remote_api", set_endpoint),
	CONF_UINT("docker_remote_api_connect_timeout", config, connect_timeout_ms, 1, 600000,
		  "expected milliseconds between 1 and 600000"),
	CONF_UINT("docker_remote_api_request_timeout", config, request_timeout_ms, 1, 3600000,
		  "expected milliseconds between 1 and 3600000"),
	CONF_UINT("max_concurrent_executing_http_requests", config, workers, 1, 4096,
		  "expected a number of workers between 1 and 4096"),
	CONF_UINT("max_client_tasks", config, max_client_tasks, 0, 4096, CLIENT_TASKS_EXPECT),
	CONF_WORD("auth", config, auth, auth_words, "expected client-cert, basic, client-cert+basic or none"),
	CONF_BOOL("trusted_probe", config, trusted_probe),
	CONF_UINT("engine_check_interval", config, engine_check_interval_s, 0, 3600,
		  "expected whole seconds between 0 (no background check) and 3600"),
	CONF_SIZE("body_limit", config, body_limit, 64, 64 * 1024 * 1024, "expected a size between 64 and 64M, such as 1M"),
	CONF_SIZE("files_cap", config, files_cap, 1, 64 * 1024 * 1024, "expected a size between 1 and 64M, such as 1M"),
	CONF_SIZE("artifacts_cap", config, artifacts_cap, 1, 256 * 1024 * 1024, OUTPUT_CAP_EXPECT),
	CONF_UINT("default_timeout", config, default_timeout_s, 1, 86400, "expected whole seconds between 1 and 86400"),
	CONF_SIZE("stdout_cap", config, stdout_cap, 1, 256 * 1024 * 1024, OUTPUT_CAP_EXPECT),
	CONF_SIZE("stderr_cap", config, stderr_cap, 1, 256 * 1024 * 1024, OUTPUT_CAP_EXPECT),
	CONF_WORD("pull_policy", config, pull_policy, pull_words, "expected if-not-present, always or never"),
	CONF_WORD("backend", config, backend, backend_words, "expected local or swarm"),
	CONF_UINT("pull_timeout", config, pull_timeout_s, 1, 86400, "expected whole seconds between 1 and 86400"),
	CONF_FN("default_network", set_default_network),
	CONF_FN("allowed_networks", set_allowed_networks),
	CONF_UINT("sweep_interval", config, sweep_interval_s, 0, 86400, "expected whole seconds between 0 and 86400"),
	/* 0 would mean "libecs's default" to the reaper's timer but "no
	 * minimum" to the start-up sweep: refused for sweep_min_age. */
	CONF_UINT("sweep_min_age", config, sweep_min_age_s, 1, 86400, "expected whole seconds between 1 and 86400"),
	CONF_UINT("shutdown_grace", config, shutdown_grace_s, 0, 86400, "expected whole seconds between 0 and 86400"),
	CONF_FN("instance_dir", set_instance_dir),
	CONF_FN("engine_ca_file", set_engine_file),
	CONF_FN("engine_cert_file", set_engine_file),
	CONF_FN("engine_key_file", set_engine_file),
	CONF_KEYS_END
};

/* ---- a [client] section's own keys; their target is the client_rule */

/* Each pattern parses (image_match.h), so a typo stops start-up; kept
 * parsed, so a request is matched without parsing a pattern again. */
static int set_images(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	client_rule *r = t;
	size_t i;

	(void)k;
	if (value_split_words(&r->images, &r->images_len, v) != 0)
		return -2;
	if (r->images_len == 0)
		return conf_why(why, whylen, "expected one or more image patterns such as ecs/busybox:*");
	r->patterns = calloc(r->images_len, sizeof(*r->patterns));
	if (r->patterns == NULL)
		return -2;
	for (i = 0; i < r->images_len; i++) {
		int rc = image_pattern_parse(&r->patterns[i], r->images[i], why, whylen);

		if (rc != 0)
			return rc;
	}
	return 0;
}

static const conf_key client_keys[] = {
	CONF_FN("images", set_images),
	CONF_UINT("max_client_tasks", client_rule, max_tasks, 0, 4096, CLIENT_TASKS_EXPECT),
	CONF_UINT("max_client_queued", client_rule, max_queued, 1, 10000000, "expected a whole number between 1 and 10000000"),
	CONF_KEYS_END
};

/* ---- the sections and the concerns whose keys they hold */

typedef struct {
	const conf_key *keys;
	size_t offset;       /* of the concern's struct in the section's */
} concern;

static const concern ecs_concerns[] = {
	{ service_keys, 0 },
	{ limits_keys, offsetof(config, caps) },
	{ sandbox_keys, offsetof(config, sandbox) },
	{ pool_conf_keys, offsetof(config, pool) },
	{ session_conf_keys, offsetof(config, sessions) },
	{ callback_conf_keys, offsetof(config, callbacks) },
	{ store_conf_keys, offsetof(config, store) },
	{ registries_keys, 0 },
	{ NULL, 0 }
};

static const concern client_concerns[] = {
	{ client_keys, 0 },
	{ limits_keys, offsetof(client_rule, caps) },
	{ sandbox_keys, offsetof(client_rule, sandbox) },
	{ callback_client_keys, offsetof(client_rule, callback_secret) },
	{ NULL, 0 }
};

static const concern pool_concerns[] = {
	{ pool_fixed_keys, 0 },
	{ NULL, 0 }
};

/* Where the entries of the current section go. */
typedef struct {
	const concern *concerns;
	void *base;          /* the config, a client_rule or a pool_fixed */
} section_target;

/* "client \"DN\"" or "client:user" -> the name and kind; -1 otherwise. */
static int client_section(char **name, int *by_user, const char *section)
{
	size_t n;

	*name = NULL;
	if (strncasecmp(section, "client:", 7) == 0) {
		const char *u = section + 7;

		while (*u == ' ')
			u++;
		if (*u == '\0')
			return -1;
		*by_user = 1;
		*name = strdup(u);
		return *name ? 0 : -2;
	}
	if (strncasecmp(section, "client", 6) != 0 || section[6] != ' ')
		return -1;
	section += 6;
	while (*section == ' ')
		section++;
	n = strlen(section);
	if (n < 3 || section[0] != '"' || section[n - 1] != '"')
		return -1;
	*by_user = 0;
	*name = strndup(section + 1, n - 2);
	return *name ? 0 : -2;
}

static int add_client(client_rule **out, config *c, const ini_entry *e)
{
	client_rule *grown;
	char *name = NULL;
	int by_user = 0, rc = client_section(&name, &by_user, e->section);

	if (rc != 0)
		return rc;
	grown = realloc(c->clients, (c->clients_len + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(name);
		return -2;
	}
	c->clients = grown;
	*out = &c->clients[c->clients_len++];
	memset(*out, 0, sizeof(**out));
	(*out)->name = name;
	(*out)->by_user = by_user;
	(*out)->max_tasks = -1;
	(*out)->max_queued = -1;
	(*out)->line = e->line;
	sandbox_conf_init(&(*out)->sandbox);
	return 0;
}

/* A section header: which concerns its keys belong to. */
static int open_section(section_target *to, config *c, const ini_entry *e, const char *path, char *err, size_t errlen)
{
	pool_fixed *fixed = NULL;
	client_rule *rule = NULL;
	char why[256];
	int rc;

	if (strcasecmp(e->section, "ecs") == 0) {
		to->concerns = ecs_concerns;
		to->base = c;
		return 0;
	}
	rc = pool_conf_section(&c->pool, e->section, e->line, &fixed, why, sizeof(why));
	if (rc == -1)
		snprintf(err, errlen, "%s:%d: bad section [%s]: %s", path, e->line, e->section, why);
	if (rc == 0) {
		to->concerns = pool_concerns;
		to->base = fixed;
	}
	if (rc != 1)
		return rc;
	rc = add_client(&rule, c, e);
	if (rc == -1)
		snprintf(err, errlen, "%s:%d: unknown section [%s] (expected [ecs], [client \"SUBJECT DN\"], "
			 "[client:USER] or [pool \"IMAGE\"])", path, e->line, e->section);
	if (rc == 0) {
		to->concerns = client_concerns;
		to->base = rule;
	}
	return rc;
}

/* One key = value, to the concern whose table names the key. */
static int apply_entry(const section_target *to, const ini_entry *e, const char *path, char *err, size_t errlen)
{
	const concern *cs;
	char why[256] = "";
	int rc;

	for (cs = to->concerns; cs->keys != NULL; cs++) {
		const conf_key *k = conf_key_find(cs->keys, e->key);

		if (k == NULL)
			continue;
		rc = k->apply((char *)to->base + cs->offset, k, e->value, why, sizeof(why));
		if (rc == -1)
			snprintf(err, errlen, "%s:%d: bad value '%s' for '%s' in [%s]: %s",
					path, e->line, e->value, e->key, e->section, why);
		return rc;
	}
	snprintf(err, errlen, "%s:%d: unknown key '%s' in [%s]", path, e->line, e->key, e->section);
	return -1;
}

/* ---- checks across keys, once the whole file is read */

static int check_service(config *c, const ini_file *f, const char *path, char *err, size_t errlen)
{
	int line_timeout = ini_line(f, "ecs", "default_timeout");
	size_t i;

	if (!config_network_allowed(c, c->default_network)) {
		int line = ini_line(f, "ecs", "default_network");

		snprintf(err, errlen, "%s:%d: default_network '%s' is not in allowed_networks", path,
				line ? line : ini_line(f, "ecs", "allowed_networks"), c->default_network);
		return -1;
	}
	/* A Swarm service cannot choose its runtime (API 1.41): every task would be refused. */
	if (c->backend == ECS_TASK_BACKEND_SWARM) {
		const char *rt = c->sandbox.default_runtime;

		for (i = 0; rt == NULL && i < c->clients_len; i++)
			rt = c->clients[i].sandbox.default_runtime;
		if (rt != NULL) {
			snprintf(err, errlen, "%s:%d: backend = swarm with default_runtime '%s': a service cannot "
				 "choose its runtime; make it the nodes' default-runtime and leave default_runtime unset",
				 path, ini_line(f, "ecs", "backend"), rt);
			return -1;
		}
	}
	/* A lowered max_timeout lowers the built-in default with it; only a
	 * default_timeout written above max_timeout is a contradiction. */
	if (c->caps.max_timeout_s > 0 && c->default_timeout_s > c->caps.max_timeout_s && line_timeout == 0)
		c->default_timeout_s = c->caps.max_timeout_s;
	if (c->caps.max_timeout_s > 0 && c->default_timeout_s > c->caps.max_timeout_s) {
		snprintf(err, errlen, "%s:%d: default_timeout %ld exceeds max_timeout %ld", path,
				line_timeout, c->default_timeout_s, c->caps.max_timeout_s);
		return -1;
	}
	return 0;
}

static int check_clients(const config *c, const char *path, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < c->clients_len; i++) {
		const client_rule *r = &c->clients[i];
		const char *bad = NULL;

		if (r->images_len == 0)
			bad = "needs an 'images' key";
		else if (r->by_user && !config_auth_has_basic(c->auth))
			/* REMOTE_USER is not read without BASIC: such a section could
			 * only be reached by a forged Authorization header. */
			bad = "is a [client:USER] section, but auth has no basic (REMOTE_USER is ignored)";
		else if (c->caps.max_timeout_s > 0 && r->caps.max_timeout_s > c->caps.max_timeout_s)
			bad = "max_timeout above the [ecs] cap";
		else if (limits_exceed((double)r->caps.max_memory, (double)c->caps.max_memory))
			bad = "max_memory above the [ecs] cap";
		else if (limits_exceed(r->caps.max_cpus, c->caps.max_cpus))
			bad = "max_cpus above the [ecs] cap";
		else if (limits_exceed((double)r->caps.max_pids, (double)c->caps.max_pids))
			bad = "max_pids above the [ecs] cap";
		else if (limits_exceed((double)r->caps.max_nofile, (double)c->caps.max_nofile))
			bad = "max_nofile above the [ecs] cap";
		if (bad != NULL) {
			snprintf(err, errlen, "%s:%d: client '%s' %s", path, r->line, r->name, bad);
			return -1;
		}
	}
	return 0;
}

/* ---- the file */

/* Every entry of @f into @c, section by section. */
static int apply_file(config *c, const ini_file *f, const char *path, char *err, size_t errlen)
{
	section_target to = { NULL, NULL };
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < f->len; i++) {
		const ini_entry *e = &f->v[i];

		if (e->key == NULL)
			rc = open_section(&to, c, e, path, err, errlen);
		else
			rc = apply_entry(&to, e, path, err, errlen);
	}
	return rc;
}

int config_load(config **out, const char *path, char *err, size_t errlen)
{
	ini_file f;
	config *c = NULL;
	char why[256];
	int rc;

	*out = NULL;
	err[0] = '\0';
	rc = ini_read(&f, path, err, errlen);
	if (rc == 0) {
		c = config_defaults();
		rc = c == NULL || (c->path = strdup(path)) == NULL ? -2 : 0;
	}
	if (rc == 0)
		rc = apply_file(c, &f, path, err, errlen);
	if (rc == 0)
		rc = check_service(c, &f, path, err, errlen);
	if (rc == 0)
		rc = check_clients(c, path, err, errlen);
	if (rc == 0 && (sandbox_check(c, why, sizeof(why)) != 0 || session_conf_check(&c->sessions, why, sizeof(why)) != 0 ||
			store_conf_check(&c->store, why, sizeof(why)) != 0)) {
		snprintf(err, errlen, "%s: %s", path, why);
		rc = -1;
	}
	if (rc == 0)
		rc = registries_finish(c);
	if (rc == -2)
		snprintf(err, errlen, "%s: out of memory", path);
	if (rc == 0) {
		*out = c;
		c = NULL;
	}
	config_free(c);
	ini_free(&f);
	return rc;
}

const client_rule *config_find_client(const config *cfg, const char *dn, const char *user)
{
	size_t i;

	if (dn != NULL && *dn != '\0')
		for (i = 0; i < cfg->clients_len; i++)
			if (!cfg->clients[i].by_user && strcmp(cfg->clients[i].name, dn) == 0)
				return &cfg->clients[i];
	if (user != NULL && *user != '\0')
		for (i = 0; i < cfg->clients_len; i++)
			if (cfg->clients[i].by_user && strcmp(cfg->clients[i].name, user) == 0)
				return &cfg->clients[i];
	return NULL;
}

int config_client_task_limit(const config *cfg, const client_rule *rule)
{
	return rule != NULL && rule->max_tasks >= 0 ? rule->max_tasks : cfg->max_client_tasks;
}

int config_network_allowed(const config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->allowed_networks_len; i++)
		if (strcmp(cfg->allowed_networks[i], name) == 0)
			return 1;
	return 0;
}
