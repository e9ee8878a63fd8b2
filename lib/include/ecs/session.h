/*
 * libecs: sessions, sandboxes that live for several commands.
 *
 * A session is one container whose entrypoint is ecs-agent, confined by the
 * same sandbox profile as a task's, kept running between requests: each
 * request (an exec, a write of files, a read of files) attaches to it anew
 * and speaks the agent's protocol (version 2, agent/PROTOCOL.md), so what one
 * exec writes under a writable path the next one sees, and each exec costs
 * the agent's fork and exec, not a container's start.
 *
 * Everything a session is lives in its container's labels, so a program that
 * lost its memory of it (a restart, a crash) finds it again with
 * ecs_session_list(): ECS_LABEL_SESSION (its id), ECS_LABEL_SESSION_OWNER
 * (the SHA-256 of the client identity that made it, never the identity),
 * ECS_LABEL_SESSION_HOME (the SHA-256 of the name of the program instance
 * that keeps it), ECS_LABEL_SESSION_IDLE (its idle timeout) and
 * ECS_LABEL_DEADLINE (its end of life: a sweep removes it past that, even
 * when nobody keeps it any more). A sweep never removes a session container
 * because the instance that made it is dead (ECS_LABEL_INSTANCE): a session
 * outlives the process that made it, up to its deadline.
 *
 * The library keeps no table of sessions: the caller does (who may use
 * which, idle expiry, one request at a time per session). An
 * ecs_session_info names a session for every call.
 */
#ifndef ECS_SESSION_H
#define ECS_SESSION_H

#include <time.h>

#include <ecs/task.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ECS_LABEL_SESSION       "ecs.session"        /* the session's id */
#define ECS_LABEL_SESSION_OWNER "ecs.session-owner"  /* SHA-256 hex of the owner's identity */
#define ECS_LABEL_SESSION_HOME  "ecs.session-home"   /* SHA-256 hex of the keeper's home name */
#define ECS_LABEL_SESSION_IDLE  "ecs.session-idle"   /* idle timeout, seconds */
#define ECS_LABEL_SESSION_IMAGE "ecs.session-image"  /* the image as the caller named it */

/** Bytes of a SHA-256 in hex with its NUL (ecs_session_hash()). */
#define ECS_SESSION_HASH_SIZE 65
/** Bytes of a session id with its NUL (ids are 1-64 of [A-Za-z0-9_.-]). */
#define ECS_SESSION_ID_SIZE 72

#define ECS_SESSION_SPEC_VERSION 1

/**
 * ecs_session_spec - a session to create. Borrowed: everything belongs to
 * the caller and lives during ecs_session_create().
 * @session_id: NULL to have one generated (32 hex digits); else
 *    [A-Za-z0-9_.-]{1,64}.
 * @image, @image_ref: the image, as for a task (ecs_task_spec): @image_ref
 *    parsed by the caller, or NULL to have @image parsed.
 * @env, @env_len: "KEY=VALUE" strings, the container's environment (every
 *    exec starts from it); NULL/0 for none.
 * @auth: registry credentials for the pull; NULL for none.
 * @profile: the sandbox (<ecs/profile.h>); NULL for the safe defaults.
 * @pull_policy, @pull_timeout_ms: as for a task.
 * @owner: the identity of the client the session belongs to (required);
 *    only its SHA-256 is stored.
 * @home: the name of whoever keeps the session (a responder's name that
 *    survives its restarts); only its SHA-256 is stored. ecs_session_list()
 *    finds a home's sessions.
 * @idle_timeout_s: recorded in ECS_LABEL_SESSION_IDLE for the keeper's idle
 *    expiry (the library does not act on it); 0 for none.
 * @lifetime_s: seconds from creation to the deadline label, 1 to
 *    ECS_TASK_MAX_TIMEOUT_MS / 1000 (required).
 * @agent_path: ecs-agent on the engine's host; NULL for ECS_POOL_AGENT_DEFAULT.
 * @start_timeout_ms: bound on the engine's start and the agent's first
 *    answer; 0 = ECS_TASK_DEFAULT_START_TIMEOUT_MS.
 */
typedef struct {
	unsigned int version;
	const char *session_id;
	const char *image;
	const ecs_image_ref *image_ref;
	const char *const *env;
	size_t env_len;
	const ecs_registry_auth *auth;
	const ecs_sandbox_profile *profile;
	ecs_pull_policy pull_policy;
	long pull_timeout_ms;
	const char *owner;
	const char *home;
	long idle_timeout_s;
	long lifetime_s;
	const char *agent_path;
	long start_timeout_ms;
} ecs_session_spec;

#define ECS_SESSION_SPEC_INIT { .version = ECS_SESSION_SPEC_VERSION }

/**
 * ecs_session_spec_init - set @out to ECS_SESSION_SPEC_INIT, for bindings
 * that cannot use the macro. @version: ECS_SESSION_SPEC_VERSION of the
 * caller's header; another is ECS_EINVAL (@out untouched). Thread-safe.
 */
ECS_EXTERN int ecs_session_spec_init(ecs_session_spec *out, unsigned int version);

/**
 * ecs_session_info - one session as its labels tell it. Owned: free with
 * ecs_session_info_clear().
 * @id: the session's id.
 * @container_id: its container.
 * @image: the image as the creator named it (ECS_LABEL_SESSION_IMAGE).
 * @owner: SHA-256 hex of the owner's identity (compare with ecs_session_hash()).
 * @created: unix seconds.
 * @expires: unix seconds, the deadline label (end of its lifetime).
 * @idle_timeout_s: ECS_LABEL_SESSION_IDLE, 0 when absent.
 * @running: its container runs (as listed or inspected).
 */
typedef struct {
	char id[ECS_SESSION_ID_SIZE];
	char *container_id;
	char *image;
	char owner[ECS_SESSION_HASH_SIZE];
	time_t created;
	time_t expires;
	long idle_timeout_s;
	int running;
} ecs_session_info;

/** ecs_session_info_clear - free what @info holds and zero it. NULL is allowed. */
ECS_EXTERN void ecs_session_info_clear(ecs_session_info *info);

/**
 * ecs_session_hash - the SHA-256 of @text in lower-case hex into @out, as
 * the owner and home labels hold it. Returns 0, or ECS_EINVAL (NULL
 * argument), ECS_ERROR (the digest failed). Thread-safe.
 */
ECS_EXTERN int ecs_session_hash(char out[ECS_SESSION_HASH_SIZE], const char *text);

/**
 * ecs_session_create - make the session: the image made sure of (pulled
 * per the policy), the container created with ecs-agent as its entrypoint
 * (stdin open for any number of attaches), started, and its agent asked
 * to answer (a PING). On any failure after the create, the container is
 * deleted before returning.
 * @out: filled on success (free with ecs_session_info_clear()).
 * @err, @errlen: a one-line reason on failure (may be NULL/0); the engine
 *    handle's message says the same.
 * Returns 0, ECS_EINVAL (bad spec, or the engine refused the container),
 * ECS_ENOTFOUND (no such image), ECS_EUNAUTHORIZED, ECS_ENOUSER (the
 * profile's user is not in the image), ECS_ETIMEDOUT, or another
 * transport/engine error. The engine handle is the caller's thread's.
 */
ECS_EXTERN int ecs_session_create(ecs_session_info *out, ecs_engine *engine, const ecs_session_spec *spec,
				  char *err, size_t errlen);

#define ECS_SESSION_EXEC_VERSION 1

/**
 * ecs_session_exec_spec - one command in a session. Borrowed.
 * @cmd, @cmd_len: the command (at least one string, the first not empty).
 * @env, @env_len: "KEY=VALUE" added to the session's environment.
 * @workdir: absolute; NULL for the container's.
 * @stdin_data, @stdin_len: bytes for its stdin; NULL/0 for none (/dev/null).
 * @timeout_ms: the agent kills the command past it; 0 =
 *    ECS_TASK_DEFAULT_TIMEOUT_MS. The caller waits the timeout plus 2 s for
 *    the agent's answer, after which the session is lost (ECS_EPROTO).
 * @stdout_cap, @stderr_cap: bytes kept per stream; 0 = ECS_TASK_DEFAULT_OUTPUT_CAP.
 * @files, @files_len: written before the command (see ecs_file).
 * @artifacts, @artifacts_len, @artifacts_cap: read after it (see ecs_task_spec).
 * @on_output, @on_output_arg: live output (see ecs_output_fn).
 * @cancel: triggering it has the agent kill the command (ECS_ECANCELED).
 */
typedef struct {
	unsigned int version;
	const char *const *cmd;
	size_t cmd_len;
	const char *const *env;
	size_t env_len;
	const char *workdir;
	const unsigned char *stdin_data;
	size_t stdin_len;
	long timeout_ms;
	size_t stdout_cap, stderr_cap;
	const ecs_file *files;
	size_t files_len;
	const char *const *artifacts;
	size_t artifacts_len;
	size_t artifacts_cap;
	ecs_output_fn on_output;
	void *on_output_arg;
	ecs_cancel *cancel;
} ecs_session_exec_spec;

#define ECS_SESSION_EXEC_INIT { .version = ECS_SESSION_EXEC_VERSION }

/**
 * ecs_session_exec - run one command in session @s, its answer shaped as
 * a task's: @result (version set by the caller, as for ecs_task_run()) gets
 * exit_code, out/err and their byte counts, timed_out (the agent's timeout
 * killed it), artifacts, timings.run and task_id (the session's id);
 * container_id is the session's container. Background processes the
 * command left are killed when it exits.
 * Returns 0 when the command ran (whatever its exit), ECS_EINVAL (bad spec,
 * or the agent refused a file path: result->error names it), ECS_ENOTFOUND
 * (the container is gone), ECS_ECANCELED, ECS_EPROTO (the agent did not
 * answer in time or broke the protocol: the session is lost), or a
 * transport error.
 */
ECS_EXTERN int ecs_session_exec(ecs_task_result *result, ecs_engine *engine, const ecs_session_info *s,
				const ecs_session_exec_spec *x);

/**
 * ecs_session_put - write into session @s, as its user, confined to its
 * writable mounts: with @is_tar 0, the file @path gets @data (@len bytes,
 * mode 0644, parents made); with @is_tar 1, the tar stream @data unpacks
 * into directory @path (made when missing).
 * @why, @whylen: the agent's reason for a refused path (names it).
 * Returns 0, ECS_EINVAL (path refused or tar malformed), ECS_ENOTFOUND (no
 * container), ECS_EPROTO, or a transport error.
 */
ECS_EXTERN int ecs_session_put(ecs_engine *engine, const ecs_session_info *s, const char *path, const void *data,
			       size_t len, int is_tar, char *why, size_t whylen);

/**
 * ecs_session_get - read @path of session @s: a regular file's bytes
 * (*@is_dir 0) or a directory as a tar stream (*@is_dir 1), at most @cap
 * bytes of file content (0 = ECS_TASK_DEFAULT_ARTIFACTS_CAP; out->truncated
 * when cut). @out is the caller's (ecs_buffer_clear()).
 * Returns 0, ECS_ENOTFOUND (no such path: @why names it), ECS_EINVAL
 * (refused: @why says why), ECS_EPROTO, or a transport error.
 */
ECS_EXTERN int ecs_session_get(ecs_buffer *out, int *is_dir, ecs_engine *engine, const ecs_session_info *s,
			       const char *path, size_t cap, char *why, size_t whylen);

/**
 * ecs_session_check - is session @s's container still running? Returns 0
 * when it runs; ECS_ENOTFOUND when it is gone; ECS_EUNAVAILABLE when it
 * stopped, with the reason in @why ("killed: out of memory", "exited with
 * status N"); or a transport error (nothing known).
 */
ECS_EXTERN int ecs_session_check(ecs_engine *engine, const ecs_session_info *s, char *why, size_t whylen);

/**
 * ecs_session_list - the sessions of @home (ecs_session_spec.home; NULL for
 * every home) that the engine holds, running or not.
 * @out, @count: an array freed with ecs_session_list_free().
 * Returns 0 or a transport/engine error.
 */
ECS_EXTERN int ecs_session_list(ecs_session_info **out, size_t *count, ecs_engine *engine, const char *home);

/** ecs_session_list_free - free what ecs_session_list() returned. NULL is allowed. */
ECS_EXTERN void ecs_session_list_free(ecs_session_info *list, size_t count);

/**
 * ecs_session_delete - end session @s: its container goes to @reaper
 * (deleted within seconds), or, with a NULL @reaper or one that refused it,
 * is deleted before returning. Returns 0 (also when it was gone already)
 * or the delete's error (the sweep removes it past its deadline).
 */
ECS_EXTERN int ecs_session_delete(ecs_engine *engine, ecs_reaper *reaper, const ecs_session_info *s);

#ifdef __cplusplus
}
#endif
#endif
