/* Private: the engine handle's insides, shared by the files of libecs. */
#ifndef ECS_ENGINE_PRIVATE_H
#define ECS_ENGINE_PRIVATE_H

#include <stdarg.h>
#include <ecs/engine.h>

/**
 * ecs_engine_options_get - the options the handle was made with (its own
 * copies, valid as long as the handle). Use it to make another handle for
 * another thread.
 */
const ecs_engine_options *ecs_engine_options_get(const ecs_engine *engine);

struct ecs_engine {
	ecs_engine_options opts;   /* its strings point at the owned copies below */
	char *endpoint;
	char *ca_file;
	char *cert_file;
	char *key_file;
	char *instance;            /* ECS_LABEL_INSTANCE of what it creates; NULL for none */
	char *agent_path;          /* ecs-agent on the engine's host: never NULL (the default) */
	char *socket_path;         /* unix endpoints only */
	char *base_url;            /* "http://localhost" for unix, else scheme://host:port */
	int tls;
	/*
	 * The transport's state (http.c: its curl handle, kept between calls so
	 * the connection is reused), made on first use and freed through
	 * transport_free: the handle knows nothing of HTTP.
	 */
	void *transport;
	void (*transport_free)(void *transport);
	char api_version[16];      /* negotiated; "" until the first versioned request */
	int swarm_network_seen;    /* swarm.c: ECS_SWARM_ISOLATED_NETWORK seen or made through this handle */
	/*
	 * backend_cold.c: no direct channel offered to a cold task's agent
	 * before this ecs_clock_ms(): the engine refused its mount, or an
	 * agent did not come, lately (0: offer).
	 */
	long long chan_retry_ms;
	char errmsg[1024];
};

/** Set the handle's error message (printf-style) and return @code. */
int ecs_engine_fail(ecs_engine *engine, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Clear the handle's error message. */
void ecs_engine_clear_error(ecs_engine *engine);

/** Log through the handle's hook, if any (printf-style). */
void ecs_engine_log(const ecs_engine *engine, ecs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Log through a bare hook (printf-style); does nothing when @fn is NULL. */
void ecs_log_to(ecs_log_fn fn, void *userdata, ecs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/**
 * Pick the API version to use from what GET /version said: the lower of the
 * engine's ApiVersion and ECS_API_VERSION_MAX, refused (ECS_EVERSION) if below
 * ECS_API_VERSION_MIN or below the engine's MinAPIVersion. Pure; unit-tested.
 */
int ecs_api_version_pick(char *out, size_t size, const char *engine_max, const char *engine_min);

/** Compare two "MAJOR.MINOR" versions like strcmp. */
int ecs_api_version_cmp(const char *a, const char *b);

struct json_object;

/**
 * Fill @out from the JSON document of GET /info: its "Runtimes" object's
 * keys and its "DefaultRuntime". Pure; unit-tested. Returns 0, ECS_EPROTO
 * (no "Runtimes" object, a name that is empty or not a string key) or
 * ECS_ENOMEM; @out is all zero on failure.
 */
int ecs_engine_runtimes_from_info(ecs_engine_runtimes *out, struct json_object *info);

#endif
