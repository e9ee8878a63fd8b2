/*
 * libecs: run one task from start to finish.
 *
 * ecs_task_run() makes sure the image is there (pulling it per the policy),
 * creates the container, attaches to it before it starts (one stream for
 * stdin, stdout and stderr), starts it, writes its stdin and reads its
 * output live as it arrives (capped per stream, the head kept, the totals
 * counted; the engine keeps no log of it), waits for it (killing it at the
 * timeout), and hands the container to deletion on every path after create:
 * to the reaper when one is given (the caller gets the result first), or
 * deleting it before returning.
 */
#ifndef ECS_TASK_H
#define ECS_TASK_H

#include <ecs/image.h>
#include <ecs/pool.h>
#include <ecs/reaper.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	ECS_PULL_IF_NOT_PRESENT = 0, /* inspect first, pull only when missing (default) */
	ECS_PULL_ALWAYS = 1,         /* pull every time (picks up a moved tag) */
	ECS_PULL_NEVER = 2           /* never pull: a missing image is ECS_ENOTFOUND */
} ecs_pull_policy;

/**
 * ecs_task_backend - where a task executes.
 * @ECS_TASK_BACKEND_LOCAL: in a container of the engine the handle talks to
 *    (a fresh one: create, start, wait).
 * @ECS_TASK_BACKEND_SWARM: as a one-replica, never-restarted service on the
 *    Swarm manager the handle talks to; the swarm picks the node and
 *    result->node names it. The image is pinned by the id the manager has
 *    (every node must hold the same image: load it, or pull by digest);
 *    stdin travels as a config object and needs /bin/sh in the image; the
 *    profile may not name a runtime (ECS_EINVAL: make runsc the nodes'
 *    default-runtime); network "none" is an internal overlay network
 *    ("ecs-isolated", no route out); output is read from the node's log
 *    after the exit (spec->on_output gets all of it then, in one go). A node lost while the task ran is ECS_EUNAVAILABLE;
 *    lost before it started, the task runs once more.
 */
typedef enum {
	ECS_TASK_BACKEND_LOCAL = 0,
	ECS_TASK_BACKEND_SWARM = 1
} ecs_task_backend;

#define ECS_TASK_SPEC_VERSION 8
#define ECS_TASK_DEFAULT_TIMEOUT_MS 60000L
#define ECS_TASK_DEFAULT_START_TIMEOUT_MS 60000L
#define ECS_TASK_DEFAULT_OUTPUT_CAP (1024u * 1024u)
/** Bytes of artifacts kept per task, all files together, when the spec says 0. */
#define ECS_TASK_DEFAULT_ARTIFACTS_CAP (16u * 1024u * 1024u)
/** Seconds added to the timeout for the deadline label (see ECS_LABEL_DEADLINE). */
#define ECS_TASK_DEADLINE_GRACE_S 300

/*
 * The bounds ecs_task_run() checks a spec against, named once (the profile's
 * own are in <ecs/profile.h>). A caller that validates earlier (an HTTP
 * layer) uses these rather than numbers of its own.
 */
#define ECS_TASK_MAX_CMD 4096u      /* command arguments */
#define ECS_TASK_MAX_ENV 4096u      /* environment entries */
#define ECS_TASK_MAX_ID 64u         /* bytes of a task id */
#define ECS_TASK_MAX_FILES 1024u    /* entries of files, and of artifacts */
#define ECS_TASK_MAX_PATH 4096u     /* bytes of a file or artifact path */
/* Far beyond any short-lived task; fits a 32-bit long and keeps the deadline in range. */
#define ECS_TASK_MAX_TIMEOUT_MS (7L * 24 * 3600 * 1000)

/**
 * ecs_workload - what runs, the same for every way of running it (a task's
 * container, a warm container, a Swarm service). Borrowed: everything
 * belongs to the caller.
 * @image: "name:tag", "host:port/name:tag" or "name@sha256:..." (a bare name
 *    is ECS_EINVAL). May be NULL when the task spec gives @image_ref.
 * @cmd, @cmd_len: at least one string.
 * @env, @env_len: "KEY=VALUE" strings; may be NULL/0.
 * @labels, @labels_len: the caller's own labels, "key=value" strings, put on
 *    the container (local backend) or the service (Swarm); NULL/0 for none.
 *    At most ECS_LABELS_MAX of at most ECS_LABEL_MAX bytes each, keys not
 *    empty, not repeated and not in ECS_LABEL_NAMESPACE ("ecs."): else
 *    ECS_EINVAL in phase validate. A warm container's labels were set when
 *    it was made, so a task with labels never takes one: it runs cold.
 */
typedef struct {
	const char *image;
	const char *const *cmd;
	size_t cmd_len;
	const char *const *env;
	size_t env_len;
	const char *const *labels;
	size_t labels_len;
} ecs_workload;

/**
 * ecs_file - one file written into the container before the command runs
 * (ecs_task_spec.files). Borrowed: everything belongs to the caller.
 * @path: absolute, under one of the container's writable mounts (the
 *    profile's tmpfs paths and /tmp; anywhere with a writable root); no
 *    "." or ".." component, no symlink on the way (ECS_EINVAL naming the
 *    path otherwise). Missing parent directories are made (mode 0755).
 * @data, @len: the bytes (may be NULL/0 for an empty file).
 * @mode: permission bits, at most 0777 (more, such as setuid, is ECS_EINVAL);
 *    0 = 0644. Owned by the task's user.
 */
typedef struct {
	const char *path;
	const unsigned char *data;
	size_t len;
	unsigned int mode;
} ecs_file;

/**
 * ecs_artifact - one file collected after the command exited
 * (ecs_task_result.artifacts). Owned by the result.
 * @path: the file's absolute path in the container.
 * @content: its first bytes (content.truncated when the result's artifact
 *    cap cut it, or left it out: len 0).
 * @size: the file's size in the container.
 */
typedef struct {
	char *path;
	ecs_buffer content;
	uint64_t size;
} ecs_artifact;

/** ECS_TASK_STDOUT / ECS_TASK_STDERR: the stream an ecs_output_fn is given. */
#define ECS_TASK_STDOUT 1
#define ECS_TASK_STDERR 2

/**
 * ecs_output_fn - live output (ecs_task_spec.on_output): called on the
 * thread of ecs_task_run() with bytes of @stream (ECS_TASK_STDOUT or
 * ECS_TASK_STDERR) as they arrive, in arrival order, before any cap (the
 * result still keeps its capped copy). Return 0 to go on, non-zero to
 * cancel the task (as the spec's cancel token would: a streaming client
 * went away; the run then fails with ECS_ECANCELED in phase wait). Under
 * the Swarm backend the output comes from the node's log after the exit:
 * every byte is handed over then, and a non-zero return only stops the
 * calls.
 */
typedef int (*ecs_output_fn)(int stream, const unsigned char *data, size_t len, void *arg);

/**
 * ecs_task_spec - a task: what runs, and how. Everything belongs to the
 * caller and must stay valid during ecs_task_run().
 * @task_id: NULL to have one generated (32 hex digits); else [A-Za-z0-9_.-]{1,64}.
 * @run: the image, command, environment and labels (see ecs_workload).
 * @image_ref: NULL, or @run.image already parsed by ecs_image_ref_parse()
 *    (a caller that parsed it at its edge, to authorize it, passes it down
 *    so the library does not parse it again). When set, it is the image
 *    that runs and @run.image may be NULL (when both are set they must name
 *    the same image: the library trusts @image_ref and uses @run.image for
 *    messages only).
 * @auth: registry credentials for the pull; NULL for none.
 * @stdin_data, @stdin_len: bytes for the process's stdin; NULL/0 for none
 *    (then stdin is empty).
 * @timeout_ms: how long the command may run, kept by the container's
 *    ecs-agent: from its fork (after @files were written; cold: after the
 *    engine's start answered, so a slow start does not eat into it) to its
 *    reaping. A command reaped before the agent's kill is its own exit
 *    (not timed out), whatever the clock says; one the kill ended is
 *    result->timed_out, exit 137. The reader waits for the agent's report
 *    until the timeout plus 2 s, then kills the container (timed out too).
 *    0 = ECS_TASK_DEFAULT_TIMEOUT_MS.
 * @start_timeout_ms: bound on the engine's start of the container; 0 =
 *    ECS_TASK_DEFAULT_START_TIMEOUT_MS. Past it the run fails with
 *    ECS_ETIMEDOUT in phase start and the container is disposed of. Not used
 *    by a warm container (started long before) nor by the Swarm backend
 *    (its timeout counts from the service's creation).
 * @profile: the sandbox (see <ecs/profile.h>); NULL for
 *    ECS_SANDBOX_PROFILE_INIT, the safe defaults. An invalid one is ECS_EINVAL
 *    in phase "validate".
 * @stdout_cap, @stderr_cap: bytes kept per stream; 0 = ECS_TASK_DEFAULT_OUTPUT_CAP.
 * @pull_policy: see ecs_pull_policy.
 * @pull_timeout_ms: 0 = 300000.
 * @cancel: optional; triggering it kills the container and ends the run with ECS_ECANCELED.
 * @backend: see ecs_task_backend; ECS_TASK_BACKEND_LOCAL (0) by default.
 * @pool: a warm pool (<ecs/pool.h>) to take the container from, local
 *    backend only; NULL for none. A task its pool has no warm container for
 *    (image id and profile) runs cold; result->pooled tells which.
 *
 * @files, @files_len: written before the command runs (see ecs_file); at
 *    most ECS_TASK_MAX_FILES. NULL/0 for none.
 * @artifacts, @artifacts_len: absolute paths of files or directories
 *    (collected recursively) read after the command exited, into
 *    result->artifacts; same path rules as ecs_file. NULL/0 for none.
 * @artifacts_cap: bytes of artifact content kept in all; 0 =
 *    ECS_TASK_DEFAULT_ARTIFACTS_CAP.
 * @on_output, @on_output_arg: live output (see ecs_output_fn); NULL for none.
 * @channel_dir: since version 8: an existing directory on this host (an
 *    absolute path) where a cold task's ecs-agent may connect its direct
 *    channel (ecs_pool(3), channel_dir): the task's requests and output then
 *    skip the engine's attach stream. Used with a local engine (unix://) and
 *    a runtime other than runsc; where the engine cannot see the directory
 *    or the agent does not come within 2 s, the task attaches as it does
 *    without, and this handle offers none for a minute. NULL (a version 7
 *    caller's): the attach stream.
 *
 * Version 6 (libecs.so.5) gathered what runs into @run and added
 * @image_ref; version 7 appended @files, @artifacts, @artifacts_cap and
 * @on_output; version 8 @channel_dir; later versions append members.
 */
typedef struct {
	unsigned int version;
	const char *task_id;
	ecs_workload run;
	const ecs_image_ref *image_ref;
	const ecs_registry_auth *auth;
	const unsigned char *stdin_data;
	size_t stdin_len;
	long timeout_ms;
	long start_timeout_ms;
	const ecs_sandbox_profile *profile;
	size_t stdout_cap;
	size_t stderr_cap;
	ecs_pull_policy pull_policy;
	long pull_timeout_ms;
	ecs_cancel *cancel;
	ecs_task_backend backend;
	ecs_pool *pool;
	/* version 7 */
	const ecs_file *files;
	size_t files_len;
	const char *const *artifacts;
	size_t artifacts_len;
	size_t artifacts_cap;
	ecs_output_fn on_output;
	void *on_output_arg;
	/* version 8 */
	const char *channel_dir;
} ecs_task_spec;

/* Everything not named is 0: the defaults (ECS_PULL_IF_NOT_PRESENT, ECS_TASK_BACKEND_LOCAL). */
#define ECS_TASK_SPEC_INIT { .version = ECS_TASK_SPEC_VERSION }

/**
 * ecs_task_spec_init - set @out to ECS_TASK_SPEC_INIT, for bindings that cannot use the macro.
 * @version: ECS_TASK_SPEC_VERSION of the header the caller was built with; another
 *    is ECS_EINVAL (then @out is untouched).
 * Returns 0 or ECS_EINVAL (also for a NULL @out). Thread-safe.
 */
ECS_EXTERN int ecs_task_spec_init(ecs_task_spec *out, unsigned int version);

/**
 * ecs_task_phase - the step of ecs_task_run() that failed (result->error_phase).
 * @ECS_TASK_PHASE_NONE: no failure (0, what a successful run leaves).
 * @ECS_TASK_PHASE_VALIDATE: the spec was refused before any I/O (nothing was
 *    created), or the task id could not be generated; the pool backend's agent
 *    refusing the task's command or environment too.
 * @ECS_TASK_PHASE_PULL: the image inspect or pull, per the pull policy.
 * @ECS_TASK_PHASE_CREATE: creating the container (or the Swarm service).
 * @ECS_TASK_PHASE_START: starting it, or handing the task to a warm container.
 * @ECS_TASK_PHASE_ATTACH: the stream that carries stdin, stdout and stderr.
 * @ECS_TASK_PHASE_RUN: the Swarm node was lost while the task ran.
 * @ECS_TASK_PHASE_WAIT: waiting for the exit (a cancel is recorded here).
 * @ECS_TASK_PHASE_LOGS: what follows the exit: the rest of the output, the
 *    container's inspect, the Swarm node's log.
 * New phases are added at the end.
 */
typedef enum {
	ECS_TASK_PHASE_NONE = 0,
	ECS_TASK_PHASE_VALIDATE = 1,
	ECS_TASK_PHASE_PULL = 2,
	ECS_TASK_PHASE_CREATE = 3,
	ECS_TASK_PHASE_START = 4,
	ECS_TASK_PHASE_ATTACH = 5,
	ECS_TASK_PHASE_RUN = 6,
	ECS_TASK_PHASE_WAIT = 7,
	ECS_TASK_PHASE_LOGS = 8
} ecs_task_phase;

/**
 * ecs_task_phase_name - the phase's name as logs and the HTTP API print it:
 * "validate", "pull", "create", "start", "attach", "run", "wait", "logs".
 * Returns a static string; NULL for ECS_TASK_PHASE_NONE and for a value this
 * library does not know.
 */
ECS_EXTERN const char *ecs_task_phase_name(ecs_task_phase phase);

/** Milliseconds spent in each phase; 0 for a phase that did not happen. */
typedef struct {
	double pull;    /* inspect and, if needed, pull */
	double create;
	double start;   /* attach and start */
	double run;     /* stdin, output and the wait until exit (or kill) */
	double logs;    /* what follows the exit: the rest of the output after a kill, inspect */
	double total;
} ecs_task_timings;

/**
 * Milliseconds of a pooled task's own steps (ecs_task_result version 3),
 * beside ecs_task_timings; all 0 for a task a fresh container ran.
 * @acquire: finding and taking a warm container of the task's key.
 * @attach: opening the stream to the container's ecs-agent (the pooled
 *    task's timings.start).
 * @release: handing the container to deletion after the exit (counted
 *    in timings.total, in no other phase).
 */
typedef struct {
	double acquire;
	double attach;
	double release;
} ecs_task_pool_timings;

#define ECS_TASK_RESULT_VERSION 3
/** Bytes of ecs_task_result.task_id and .error, fixed for every version. */
#define ECS_TASK_RESULT_ID_SIZE 72
#define ECS_TASK_RESULT_ERROR_SIZE 512

/**
 * ecs_task_result - what happened. Owned by the caller, who sets @version
 * (start from ECS_TASK_RESULT_INIT); ecs_task_run() fills it and
 * ecs_task_result_clear() frees what it holds.
 * @version: ECS_TASK_RESULT_VERSION of the header the caller was built
 *    with. Later versions only append members, and the library writes only
 *    the members the caller's version has, so a program built against an
 *    older header keeps working with a newer libecs.
 * @task_id: the task's id (the spec's, or the generated one); "" before
 *    validation passed.
 * @container_id: NULL if it failed before create.
 * @exit_code: the process's exit status (137 after a kill); -1 if it never ran.
 * @timed_out: the task ran past its timeout and was killed (the call still
 *    returns 0 and the output so far).
 * @image_id: the id of the image that ran ("sha256:..."), on every backend.
 * @repo_digest: its repository digest, "name@sha256:..." (the image
 *    inspect's RepoDigests entry of spec->image's repository), which pulls
 *    the same image anywhere; NULL when the image has none (built or
 *    imported locally, or pulled under another name and tagged as this one).
 * @error_phase: on failure, the phase that failed (see ecs_task_phase;
 *    ecs_task_phase_name() gives its name); ECS_TASK_PHASE_NONE on success.
 * @error: on failure, a one-line message (the engine's words where it gave
 *    any; never credentials); "" on success.
 * @stdout_bytes, @stderr_bytes: how many bytes the task wrote to each
 *    stream, before any cap (out.len and err.len are what was kept: the
 *    first bytes, up to the cap).
 * @node: the Swarm node that ran the task (its hostname) under the Swarm
 *    backend; NULL on the local engine.
 * @pooled: 1 when a warm container of spec->pool ran the task, 0 when a
 *    fresh one did. Nothing else differs.
 * @artifacts, @artifacts_len: (version 2) what spec->artifacts collected,
 *    one entry per file, in the order the paths were asked and, within a
 *    directory, the order the agent read them; NULL/0 for none.
 * @pool_timings: (version 3) where a pooled task's time went besides
 *    @timings (ecs_task_pool_timings); zero for a cold task.
 */
typedef struct {
	unsigned int version;
	char task_id[ECS_TASK_RESULT_ID_SIZE];
	char *container_id;
	int exit_code;
	ecs_buffer out;
	ecs_buffer err;
	int timed_out;
	int oom_killed;
	char *image_id;
	char *repo_digest;
	ecs_task_timings timings;
	ecs_task_phase error_phase;
	char error[ECS_TASK_RESULT_ERROR_SIZE];
	uint64_t stdout_bytes;
	uint64_t stderr_bytes;
	char *node;
	int pooled;
	/* version 2 */
	ecs_artifact *artifacts;
	size_t artifacts_len;
	/* version 3 */
	ecs_task_pool_timings pool_timings;
} ecs_task_result;

#define ECS_TASK_RESULT_INIT { .version = ECS_TASK_RESULT_VERSION, .exit_code = -1 }

/**
 * ecs_task_result_init - set @out to ECS_TASK_RESULT_INIT, for bindings that cannot use the macro.
 * @version: ECS_TASK_RESULT_VERSION of the header the caller was built with; another
 *    is ECS_EINVAL (then @out is untouched).
 * Returns 0 or ECS_EINVAL (also for a NULL @out). Thread-safe.
 */
ECS_EXTERN int ecs_task_result_init(ecs_task_result *out, unsigned int version);

/**
 * ecs_task_run - run one task to completion.
 * @result: filled in all cases; its version set (ECS_TASK_RESULT_INIT, or a
 *    result that ecs_task_result_clear() emptied). A result of a version this
 *    library does not know is ECS_EINVAL, and nothing is written to it.
 * @engine: used by this thread only for the duration of the call.
 * @reaper: where the container goes after the run; NULL to delete it before
 *    returning. Thread-safe: many threads may share one reaper.
 * @spec: what to run.
 * The container's PID 1 is ecs-agent (ecs_engine_options.agent_path;
 * agent/PROTOCOL.md), which runs the command: one that cannot be found is a
 * completed run with exit_code 127, one that cannot be executed 126, the
 * agent's words in result->err, as a shell reports them. Where the agent
 * cannot keep the task apart from itself (under runsc a root task; a
 * capability that reaches another uid's process) the container runs
 * docker-init instead, and @files/@artifacts are ECS_EINVAL there.
 * Returns 0 when the container ran (whatever its exit code, also when it
 * timed out); else ECS_EINVAL (bad spec: nothing was created, error_phase
 * ECS_TASK_PHASE_VALIDATE; or the engine refused the container as invalid), ECS_ENOTFOUND
 * (no such image), ECS_EUNAUTHORIZED (registry refused), ECS_EUNAVAILABLE,
 * ECS_ETIMEDOUT (the engine did not answer in time; in phase start, the
 * start took longer than start_timeout_ms), ECS_ECANCELED,
 * ECS_EENGINE, ECS_EPROTO or ECS_ENOMEM, with result->error_phase and
 * result->error telling where and why. The engine handle's
 * ecs_engine_errmsg() is then result->error (also for a refused spec), and
 * "" after a run that returned 0.
 */
ECS_EXTERN int ecs_task_run(ecs_task_result *result, ecs_engine *engine, ecs_reaper *reaper, const ecs_task_spec *spec);

/**
 * ecs_task_path_check - the shape every path of a task's files and
 * artifacts (and a session's files) must have, checked as ecs_task_run()
 * checks it: absolute, at most ECS_TASK_MAX_PATH bytes, at least one
 * component, no empty, "." or ".." component (so no "//" and no trailing
 * "/"). Whether it lies under a writable mount and passes no symlink only
 * the container's agent can tell.
 * @path: the path (NULL is refused).
 * @what: the word @why starts with ("file", "artifact"; NULL: "path").
 * @why, @why_len: on refusal, a message naming the path (cut at 200
 *    bytes) and what is wrong with it; may be NULL/0.
 * Returns 0 or ECS_EINVAL. Thread-safe.
 */
ECS_EXTERN int ecs_task_path_check(const char *path, const char *what, char *why, size_t why_len);

/**
 * ecs_task_result_clear - free what a result holds and empty it as
 * ECS_TASK_RESULT_INIT does, keeping its version, so it can be passed to
 * ecs_task_run() again. NULL is allowed.
 */
ECS_EXTERN void ecs_task_result_clear(ecs_task_result *result);

#ifdef __cplusplus
}
#endif
#endif
