/*
 * conf.h - the ecs-fcgi configuration: an INI file (ini.h), its keys read by
 * the tables of each concern (conf_key.h).
 *
 * [ecs] holds the service settings (the original service's keys where they
 * still mean something, plus ours); [client "SUBJECT DN"] and [client:USER]
 * sections map a client certificate subject or a BASIC user to the images it
 * may run and to lower limit caps. packaging/ecs.conf documents every key.
 */
#ifndef ECSFCGI_CONF_H
#define ECSFCGI_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "image_match.h"
#include "pool_config.h"
#include "session_conf.h"
#include "store_conf.h"
#include "callback_conf.h"

#define CONFIG_DEFAULT_PATH "/etc/ecs/ecs.conf"

typedef enum {
	AUTH_MODE_CLIENT_CERT = 0,
	AUTH_MODE_BASIC,
	AUTH_MODE_CLIENT_CERT_BASIC,
	AUTH_MODE_NONE
} auth_mode;

typedef enum {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
} log_level;

/*
 * Upper bounds on what a task body may ask for, which are also what a task
 * that asks for nothing gets. 0 means "not set here" (a [client] inherits
 * the [ecs] value; [ecs] starts from libecs's safe defaults, <ecs/profile.h>);
 * LIMIT_UNLIMITED (ECS_SANDBOX_UNLIMITED, written "unlimited") is no limit.
 * max_timeout_s has no "unlimited": 0 there is no cap, as before.
 */
#define LIMIT_UNLIMITED (-1)
typedef struct {
	long max_timeout_s;
	int64_t max_memory;   /* bytes */
	double max_cpus;
	int64_t max_pids;
	int64_t max_nofile;
} limit_caps;

/*
 * The rest of the sandbox an operator sets in [ecs] or a [client] section
 * (sandbox.h). In a [client], an unset member inherits the [ecs] one: the
 * *_set flags say whether a list was written (an empty list is a choice).
 */
typedef struct {
	char **cap_add;             /* capabilities given back after CapDrop ALL */
	size_t cap_add_len;
	int cap_add_set;
	char **tmpfs;               /* further tmpfs paths */
	size_t tmpfs_len;
	int tmpfs_set;
	int64_t tmp_size;           /* bytes of /tmp and each tmpfs; 0 not set */
	int writable_root;          /* -1 not set, 0 read-only root, 1 writable */
	char *user;                 /* NULL not set; in [ecs], NULL is the image's own */
	char *default_runtime;      /* NULL not set; in [ecs], NULL is the engine's default */
	char **allowed_runtimes;    /* runtimes a request may name */
	size_t allowed_runtimes_len;
	int allowed_runtimes_set;
} sandbox_conf;

/** One [client ...] section. */
typedef struct {
	char *name;         /* the subject DN or BASIC user, exactly as written */
	int by_user;        /* 1 for [client:USER], 0 for [client "DN"] */
	char **images;      /* image patterns (image_match.h), as written */
	image_parts *patterns; /* the same, parsed at load: images_len of them */
	size_t images_len;
	limit_caps caps;    /* 0 members inherit the [ecs] cap */
	sandbox_conf sandbox;
	int max_tasks;      /* max_client_tasks; -1 inherits the [ecs] value, 0 = no cap */
	int max_queued;     /* max_client_queued; -1 inherits the [ecs] value (store_conf.max_client_queued) */
	char *callback_secret; /* callback_secret; NULL inherits the [ecs] one */
	int line;           /* where the section starts, for messages */
} client_rule;

typedef struct {
	char *path;                 /* the file read; NULL when running on built-in defaults */
	log_level log_level;
	char *endpoint;             /* docker_remote_api */
	char *engine_ca_file;
	char *engine_cert_file;
	char *engine_key_file;
	long connect_timeout_ms;    /* docker_remote_api_connect_timeout */
	long request_timeout_ms;    /* docker_remote_api_request_timeout */
	int workers;                /* max_concurrent_executing_http_requests */
	int max_client_tasks;       /* tasks one client may have in flight; 0 = no cap */
	auth_mode auth;
	int trusted_probe;          /* honour ECS_TRUSTED_PROBE=1 for the quick health check */
	unsigned int engine_check_interval_s; /* the background engine check (engine_watch.h); 0 = none */
	size_t body_limit;          /* bytes of a task body (POST /v1.1/tasks) */
	size_t files_cap;           /* bytes of a task's files, decoded, all together */
	size_t artifacts_cap;       /* bytes of a task's artifacts kept, all together (spec.artifacts_cap) */
	long default_timeout_s;
	limit_caps caps;
	sandbox_conf sandbox;
	size_t stdout_cap;
	size_t stderr_cap;
	int pull_policy;            /* an ecs_pull_policy */
	int backend;                /* an ecs_task_backend: where tasks execute */
	pool_conf pool;             /* the warm pool (pool_config.h) */
	session_conf sessions;      /* sessions (session_conf.h) */
	store_conf store;           /* the task store and its queue (store_conf.h) */
	callback_conf callbacks;    /* task callbacks (callback_conf.h) */
	long pull_timeout_s;
	char *default_network;
	char **allowed_networks;
	size_t allowed_networks_len;
	unsigned int sweep_interval_s;
	unsigned int sweep_min_age_s;
	char *instance_dir;        /* lock files of the live instances of this host (ecs/instance.h) */
	unsigned int shutdown_grace_s;
	client_rule *clients;
	size_t clients_len;
	/* registries.h: where images may come from, and which need no credentials check */
	char **allowed_registries;
	image_parts *allowed_registry_parts; /* parsed at load (registries_finish()): _len of them */
	size_t allowed_registries_len;
	char **public_registries;
	image_parts *public_registry_parts;
	size_t public_registries_len;
} config;

/**
 * config_defaults - a configuration with every built-in default.
 * Returns NULL when out of memory; free with config_free().
 */
config *config_defaults(void);

/**
 * config_load - read and validate @path.
 * @out: receives the configuration (free with config_free()).
 * @err, @errlen: on failure, one line naming the file, the line and the
 *   problem ("ecs.conf:12: unknown key 'foo' in [ecs]").
 * Returns 0, -1 for a bad or unreadable file, -2 out of memory.
 */
int config_load(config **out, const char *path, char *err, size_t errlen);

/** config_free - free a configuration. NULL is allowed. */
void config_free(config *cfg);

/**
 * config_find_client - the rule for a certificate subject (@dn) or BASIC
 * user (@user); either may be NULL. A subject rule is preferred.
 * Returns NULL when none matches.
 */
const client_rule *config_find_client(const config *cfg, const char *dn, const char *user);

/** config_client_task_limit - max_client_tasks for @rule (NULL: the [ecs] value). */
int config_client_task_limit(const config *cfg, const client_rule *rule);

/** config_network_allowed - 1 when @name is in allowed_networks. */
int config_network_allowed(const config *cfg, const char *name);

const char *config_auth_name(auth_mode m);

/** config_auth_has_basic - 1 when @m includes BASIC: only then is REMOTE_USER read. */
int config_auth_has_basic(auth_mode m);

#endif
