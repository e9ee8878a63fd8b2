/*
 * libecs: a connection to a Docker engine.
 *
 * Threads: an ecs_engine is used by one thread at a time (like a libcurl easy
 * handle, which it wraps). Make one per thread (ecs_engine_dup() of a handle
 * that already talked to the engine skips the version negotiation); they are
 * cheap, and each keeps its own connection alive between calls. ecs_engine_errmsg() belongs to the
 * handle, so read it on the thread that made the failing call.
 */
#ifndef ECS_ENGINE_H
#define ECS_ENGINE_H

#include <ecs/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ecs_engine ecs_engine;

/** The Docker Engine API versions libecs speaks. */
#define ECS_API_VERSION_MIN "1.25"
#define ECS_API_VERSION_MAX "1.41"

#define ECS_ENGINE_DEFAULT_ENDPOINT "unix:///var/run/docker.sock"

#define ECS_ENGINE_OPTIONS_VERSION 3

/** Where the Debian package installs ecs-agent (ecs_engine_options.agent_path). */
#define ECS_ENGINE_AGENT_DEFAULT "/usr/libexec/ecs/ecs-agent"

/**
 * ecs_engine_options - how to reach an engine.
 * @endpoint: "unix:///path/to/docker.sock", "http://host:port" or
 *            "https://host:port"; NULL means ECS_ENGINE_DEFAULT_ENDPOINT.
 * @ca_file, @cert_file, @key_file: PEM files for https endpoints (the CA that
 *            signed the engine's certificate, and our client certificate and
 *            key); NULL for the system defaults / no client certificate.
 * @connect_timeout_ms: 0 means 5000.
 * @request_timeout_ms: bound on ordinary requests (not on container wait or
 *            image pull, which have their own); 0 means 30000.
 * @log, @log_userdata: optional log hook (see ecs_log_fn).
 * @instance: since version 2: the responder instance (ecs_instance_id(),
 *            see ecs/instance.h) every container this handle creates is
 *            labelled with (ECS_LABEL_INSTANCE); NULL for none. A version 1
 *            caller gets none.
 * @agent_path: since version 3: ecs-agent on the engine's host (an absolute
 *            path), bind-mounted read-only as the entrypoint of every task
 *            container this handle creates (cold, warm, session;
 *            agent/PROTOCOL.md); NULL means ECS_ENGINE_AGENT_DEFAULT. On a
 *            local engine (unix://) a task fails (ECS_ERROR, phase create,
 *            naming the path) when the file is not there; a remote engine's
 *            host must have it at that path. A version 1 or 2 caller gets
 *            the default.
 * The strings are copied by ecs_engine_new(); the caller keeps ownership.
 */
typedef struct {
	unsigned int version;
	const char *endpoint;
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	long connect_timeout_ms;
	long request_timeout_ms;
	ecs_log_fn log;
	void *log_userdata;
	const char *instance;
	/* version 3 */
	const char *agent_path;
} ecs_engine_options;

#define ECS_ENGINE_OPTIONS_INIT { .version = ECS_ENGINE_OPTIONS_VERSION }

/**
 * ecs_engine_options_init - set @out to ECS_ENGINE_OPTIONS_INIT, for bindings that cannot use the macro.
 * @version: ECS_ENGINE_OPTIONS_VERSION of the header the caller was built with; another
 *    is ECS_EINVAL (then @out is untouched).
 * Returns 0 or ECS_EINVAL (also for a NULL @out). Thread-safe.
 */
ECS_EXTERN int ecs_engine_options_init(ecs_engine_options *out, unsigned int version);

/**
 * ecs_engine_new - make an engine handle. Does no I/O: the endpoint is
 * checked for form only; the API version is negotiated on first use.
 * @out: receives the handle, freed with ecs_engine_free().
 * @opts: may be NULL for all defaults.
 * Returns 0, ECS_EINVAL (bad endpoint or options version) or ECS_ENOMEM.
 * A bad endpoint (a bare path without "unix://", say) is also reported,
 * with the forms that are taken, through @opts->log, since there is no
 * handle to keep the message on.
 */
ECS_EXTERN int ecs_engine_new(ecs_engine **out, const ecs_engine_options *opts);

/**
 * ecs_engine_dup - another handle to the same engine, for another thread:
 * the same options (copied) and the API version @engine already negotiated,
 * so the new handle makes no GET /version of its own (one made before
 * @engine negotiated negotiates on first use, as ecs_engine_new() does).
 * It has a connection of its own and an empty ecs_engine_errmsg().
 * @out: receives the handle, freed with ecs_engine_free() (independently
 *    of @engine: either may be freed first).
 * @engine: only read; no other thread may be making a call on it meanwhile.
 * Returns 0, ECS_EINVAL (NULL argument) or ECS_ENOMEM. Does no I/O.
 */
ECS_EXTERN int ecs_engine_dup(ecs_engine **out, const ecs_engine *engine);

/** ecs_engine_free - close the connection and free the handle. NULL is allowed. */
ECS_EXTERN void ecs_engine_free(ecs_engine *engine);

/**
 * ecs_engine_errmsg - detail of the last failed call on this handle: the
 * engine's own message or the transport error. Never NULL ("" when none).
 * Valid until the next call on the handle.
 */
ECS_EXTERN const char *ecs_engine_errmsg(const ecs_engine *engine);

/**
 * ecs_engine_ping - GET /_ping.
 * Returns 0 when the engine answers OK, ECS_EUNAVAILABLE when it cannot be
 * reached, ECS_ETIMEDOUT, or ECS_EENGINE.
 */
ECS_EXTERN int ecs_engine_ping(ecs_engine *engine);

/** What GET /version says, and the API version this handle uses. */
typedef struct {
	char version[64];          /* engine version, e.g. "20.10.24+dfsg1" */
	char api_version[16];      /* highest API version the engine speaks */
	char min_api_version[16];  /* lowest API version the engine speaks */
	char os[32];
	char arch[32];
	char negotiated[16];       /* the version this handle uses in its paths */
} ecs_engine_version;

/**
 * ecs_engine_version_get - ask the engine for its version and (re)negotiate
 * the API version: the highest one both sides speak, between
 * ECS_API_VERSION_MIN and ECS_API_VERSION_MAX.
 * Returns 0, ECS_EUNAVAILABLE, ECS_ETIMEDOUT, ECS_EPROTO, or ECS_EVERSION when
 * there is no common version (@out is still filled with what the engine said).
 */
ECS_EXTERN int ecs_engine_version_get(ecs_engine_version *out, ecs_engine *engine);

/**
 * ecs_engine_runtimes - the OCI runtimes an engine can run a container with,
 * as GET /info lists them ("runc", "runsc" for gVisor, ...). Owned by the
 * struct; free its members with ecs_engine_runtimes_clear().
 * @names: @count NUL-terminated names, sorted by strcmp(); NULL when @count is 0.
 * @count: how many.
 * @default_runtime: the runtime a container gets when it names none (the
 *    engine's DefaultRuntime, usually "runc"); "" when the engine said none.
 *    Never NULL after a successful ecs_engine_runtimes_get().
 */
typedef struct {
	char **names;
	size_t count;
	char *default_runtime;
} ecs_engine_runtimes;

/**
 * ecs_engine_runtimes_get - ask the engine which runtimes it has (GET /info).
 * A runtime registered in the engine's daemon.json appears once the engine
 * reloaded it (SIGHUP) or restarted.
 * @out: filled on success; all zero (names NULL, count 0, default_runtime
 *    NULL) on failure. Free its members with ecs_engine_runtimes_clear().
 * @engine: used by this thread only for the duration of the call.
 * Returns 0, ECS_EUNAVAILABLE, ECS_ETIMEDOUT, ECS_EENGINE (the engine refused,
 * its words in ecs_engine_errmsg()), ECS_EPROTO (an answer without a
 * "Runtimes" object) or ECS_ENOMEM.
 */
ECS_EXTERN int ecs_engine_runtimes_get(ecs_engine_runtimes *out, ecs_engine *engine);

/**
 * ecs_engine_runtimes_has - 1 when @name is one of @runtimes' names, else 0
 * (also for NULL arguments).
 */
ECS_EXTERN int ecs_engine_runtimes_has(const ecs_engine_runtimes *runtimes, const char *name);

/** ecs_engine_runtimes_clear - free the members and zero the struct. NULL is allowed. */
ECS_EXTERN void ecs_engine_runtimes_clear(ecs_engine_runtimes *runtimes);

#ifdef __cplusplus
}
#endif
#endif
