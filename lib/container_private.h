/*
 * Private (never installed): one container's life, create, start, wait,
 * logs, kill, delete, and listing the containers libecs made; the calls the
 * task runner, the pool, the sweep and the tests build on. A program using
 * the library runs tasks with ecs_task_run() (<ecs/task.h>) instead. Also
 * the containers made for the warm pool (lib/pool.c), and a start the task
 * runner bounds.
 */
#ifndef ECS_CONTAINER_PRIVATE_H
#define ECS_CONTAINER_PRIVATE_H

#include "agent_chan.h"

#include <ecs/ecs.h>
#include <stdint.h>
#include <time.h>
#include "http.h"
#include "image_private.h"

struct json_object;

#define ECS_CONTAINER_SPEC_VERSION 4

/**
 * ecs_container_spec - what to create. Strings and arrays belong to the caller.
 * @run: what runs (<ecs/task.h>); its image must exist locally, its
 *    command has at least one element, and its labels are checked (keys in
 *    "ecs." are ECS_EINVAL).
 * @task_id: value of the ECS_LABEL_TASK_ID label (required).
 * @deadline: unix time after which a sweep may delete the container whatever
 *            its state (ECS_LABEL_DEADLINE); 0 means no deadline label.
 * @profile: the sandbox (see <ecs/profile.h>); NULL for
 *    ECS_SANDBOX_PROFILE_INIT, the safe defaults. Must be valid.
 * @image_working_dir: the image's WorkingDir ("" for none) when the caller
 *    already inspected the image; NULL to have create inspect it (a tmpfs
 *    is never mounted over it).
 * @open_stdin: 1 to keep stdin open for one attach (OpenStdin + StdinOnce).
 * @own_labels, @own_labels_len: libecs's own labels ("ecs.*=value", not
 *    checked against the namespace: only libecs sets them), e.g. a
 *    session's; NULL/0 for none.
 * @attach_output: 1 when the caller reads stdout and stderr from an attach
 *    stream opened before start (what ecs_task_run() does): the log driver
 *    is then "none", so the engine keeps no copy of the output on its disk
 *    and ecs_container_logs() has nothing to read. 0: the "local" driver
 *    (byte-exact, but it keeps only the last 10 MB).
 * Always set: ECS_LABEL_MANAGED=true, no TTY, and what every profile gets
 * (CapDrop ALL, no-new-privileges, Init).
 *
 * Version 4 gathered what runs into @run (ecs_workload).
 */
typedef struct {
	unsigned int version;
	ecs_workload run;
	const char *task_id;
	time_t deadline;
	const ecs_sandbox_profile *profile;
	const char *image_working_dir;
	int open_stdin;
	int attach_output;
	const char *const *own_labels;
	size_t own_labels_len;
} ecs_container_spec;

#define ECS_CONTAINER_SPEC_INIT { .version = ECS_CONTAINER_SPEC_VERSION }

/**
 * ecs_container_create - POST /containers/create.
 * @id_out: receives the container id (free() it).
 * Returns 0, ECS_EINVAL (bad spec or profile, or the engine refused it as
 * bad: an unknown runtime, a user the image lacks),
 * ECS_ENOTFOUND (no such image locally), or a transport/engine error.
 * Any failure but ECS_EINVAL and ECS_ENOTFOUND (ECS_ENOMEM included: the
 * answer may run out of memory after the engine made it) may leave a
 * container behind: find it by its ECS_LABEL_TASK_ID label.
 */
int ecs_container_create(char **id_out, ecs_engine *engine, const ecs_container_spec *spec);

/**
 * ecs_container_start - POST /containers/{id}/start. Returns 0 (also when it
 * was already running), ECS_ENOTFOUND, ECS_EENGINE (e.g. the command does not
 * exist in the image: the engine's message says so), or a transport error.
 */
int ecs_container_start(ecs_engine *engine, const char *id);

/**
 * ecs_container_wait - POST /containers/{id}/wait: block until the container
 * stops (one request, no polling).
 * @exit_code: receives the exit status.
 * @timeout_ms: how long to wait; 0 waits without bound.
 * @cancel: optional token; triggering it ends the wait with ECS_ECANCELED.
 * Returns 0, ECS_ETIMEDOUT (the container is still running; nothing is
 * killed), ECS_ECANCELED, ECS_ENOTFOUND, or a transport/engine error.
 */
int ecs_container_wait(int *exit_code, ecs_engine *engine, const char *id, long timeout_ms, ecs_cancel *cancel);

/**
 * ecs_container_logs - GET /containers/{id}/logs with stdout and stderr in
 * one call, the multiplexed stream split back into the two streams.
 * @out, @err: filled with at most @out_cap / @err_cap bytes each (their
 *    truncated flags set when more was written); free with
 *    ecs_buffer_clear(). Left empty on failure.
 * Returns 0, ECS_ENOTFOUND, ECS_EPROTO (a malformed stream), or a
 * transport/engine error.
 */
int ecs_container_logs(ecs_buffer *out, ecs_buffer *err, ecs_engine *engine, const char *id,
		size_t out_cap, size_t err_cap);

/**
 * ecs_container_kill - POST /containers/{id}/kill.
 * @signal: e.g. "SIGKILL"; NULL means SIGKILL.
 * Returns 0 (also when it was not running), ECS_ENOTFOUND, or a transport/engine error.
 */
int ecs_container_kill(ecs_engine *engine, const char *id, const char *signal);

/**
 * ecs_container_delete - DELETE /containers/{id}?force=1&v=1.
 * Returns 0, ECS_ENOTFOUND (already gone: callers usually treat it as done),
 * or a transport/engine error (e.g. removal already in progress).
 */
int ecs_container_delete(ecs_engine *engine, const char *id);

/** What container inspect reports. Strings owned by the struct; see ecs_container_info_clear(). */
typedef struct {
	char *id;
	char *image_id;      /* "sha256:..." the image that ran */
	char *status;        /* "created", "running", "exited", "dead"... */
	int running;
	int exit_code;
	int oom_killed;
	time_t created;      /* unix seconds */
	char *task_id;       /* ECS_LABEL_TASK_ID, NULL if absent */
	time_t deadline;     /* ECS_LABEL_DEADLINE, 0 if absent */
	time_t finished;     /* unix seconds it stopped; 0 if it never did (inspect only, not list) */
	char *instance;      /* ECS_LABEL_INSTANCE, NULL if absent */
	struct json_object *labels; /* every label (a reference held; NULL if none), for the label a caller needs */
} ecs_container_info;

/** ecs_container_info_clear - free the members and zero them. NULL is allowed. */
void ecs_container_info_clear(ecs_container_info *info);

/**
 * ecs_container_inspect - GET /containers/{id}/json.
 * Returns 0, ECS_ENOTFOUND, ECS_EPROTO, or a transport/engine error.
 */
int ecs_container_inspect(ecs_container_info *out, ecs_engine *engine, const char *id);

/**
 * ecs_container_list - GET /containers/json?all=1 filtered by labels.
 * @out, @count: receive an array of @count entries (only id, status,
 *    created, task_id, deadline and instance are filled: running is status=="running");
 *    free with ecs_container_list_free().
 * @labels, @labels_len: "key" or "key=value" filters, all of which must match;
 *    ECS_LABEL_MANAGED "=true" is always added.
 * Returns 0, or a transport/engine/protocol error.
 */
int ecs_container_list(ecs_container_info **out, size_t *count, ecs_engine *engine,
		const char *const *labels, size_t labels_len);

/** ecs_container_list_free - free what ecs_container_list() returned. NULL is allowed. */
void ecs_container_list_free(ecs_container_info *list, size_t count);

/**
 * ecs_container_send_stdin - attach to a created (open_stdin) container's
 * stdin, write @len bytes and close it, so the process sees end-of-file.
 * Call after ecs_container_start(). Uses a connection of its own.
 * @timeout_ms: bound on the whole exchange; 0 means the engine's request timeout.
 * Returns 0 (also when the process exited without reading it all),
 * ECS_ENOTFOUND, or a transport/engine error.
 */
int ecs_container_send_stdin(ecs_engine *engine, const char *id, const void *data, size_t len, long timeout_ms);

/* Where ecs-agent appears inside every container ecs runs (agent/PROTOCOL.md). */
#define ECS_AGENT_MOUNT "/.ecs/agent"
/*
 * The file beside ecs-agent on the engine's host that a task without a
 * network sees as /etc/hosts (container.c: NetworkDisabled; agent/Makefile.am).
 */
#define ECS_AGENT_HOSTS "hosts"

/**
 * ecs_container_agent - what makes a container one whose PID 1 is ecs-agent:
 * a cold task's, a warm one's (lib/pool.c), a session's. Borrowed.
 * @agent_path: ecs-agent on the engine's host, bind-mounted read-only at
 *    ECS_AGENT_MOUNT; NULL for the engine handle's (ecs_engine_options).
 * @pool_label: the value of ECS_LABEL_POOL (a warm container); NULL for none.
 * @task_user: the task's user as the engine would take it (the profile's,
 *    else the image's; "" root): the agent's "-u".
 * @set_home: the image's Env has no HOME: the agent gives the task its
 *    user's ("-h").
 * @keep_stdin: 0: stdin is one-shot (StdinOnce: the end of the one attach
 *    is the agent's EOF; a task container); 1: it stays open across
 *    attaches (a session: readers attach per request).
 * @channel_dir: a directory on the engine's host holding the socket of the
 *    agent's direct channel (agent_chan.h), bind-mounted read-only at
 *    ECS_AGENT_CHAN_MOUNT; the agent gets "-c ECS_AGENT_CHAN_SOCKET". NULL:
 *    the attach stream only.
 */
typedef struct {
	const char *agent_path;
	const char *pool_label;
	const char *task_user;
	int set_home;
	int keep_stdin;
	const char *channel_dir;
} ecs_container_agent;

#define ECS_CONTAINER_AGENT_INIT { NULL, NULL, NULL, 0, 0, NULL }

/**
 * ecs_container_agent_user - set @agent's task_user and set_home as the
 * engine would run the task: @profile's user (may be NULL), else @image's
 * User; "-h" when @image's Env has no HOME. @agent borrows @profile's and
 * @image's strings.
 */
void ecs_container_agent_user(ecs_container_agent *agent, const ecs_sandbox_profile *profile,
			      const ecs_image_info *image);

/**
 * ecs_container_agent_missing - 1 when @path (NULL: the handle's agent
 * path) is not a regular file and @engine is local (a unix socket: the
 * engine's host is this one), where the engine would bind-mount an empty
 * directory in its place and nothing could start; else 0. A remote
 * engine's host has its own files, which we cannot see.
 */
int ecs_container_agent_missing(const ecs_engine *engine, const char *path);

/**
 * ecs_container_create_agent - ecs_container_create() of a container whose
 * entrypoint is ecs-agent, the one place that config is made (cold tasks,
 * warm containers, sessions): @spec as for a task (image, profile, task id
 * label, deadline, working dir; @cmd is ignored: the commands come later on
 * stdin; @env, when given, is the container's, which every command starts
 * from: a session's), but the entrypoint is ecs-agent with "-u TASK_USER"
 * (and "-h" with @set_home), started as root (User 0:0) with the agent's
 * four capabilities added (ecs_profile_apply_agent()), Init off (the agent
 * is PID 1), stdin open (OpenStdin, AttachStdin; StdinOnce unless
 * @keep_stdin), output on an attach stream (log driver none), and the
 * labels add ECS_LABEL_POOL when @pool_label is set. A local engine
 * without the agent file: ECS_ERROR naming the path, nothing created.
 * Otherwise the same returns as ecs_container_create().
 */
int ecs_container_create_agent(char **id_out, ecs_engine *engine, const ecs_container_spec *spec,
			       const ecs_container_agent *agent);

/**
 * ecs_container_chan_offer - a direct channel (agent_chan.h) listening in
 * @dir under @name, for a container of @profile (may be NULL), or NULL: no
 * @dir, an engine not on this host (it could not see @dir), gVisor's
 * runtime (its sandbox cannot reach a host socket), or the socket cannot be
 * made there (logged at WARN after @who). The one place these rules are
 * kept, for the pool's containers and the cold backend's.
 */
ecs_agent_chan *ecs_container_chan_offer(ecs_engine *engine, const char *dir, const ecs_sandbox_profile *profile,
					 const char *name, const char *who);

/**
 * ecs_container_create_agent_offering - ecs_container_create_agent()
 * offering the agent the direct channel *@ch (agent_chan.h; NULL: none):
 * @agent->channel_dir is set from it. An engine that cannot see the
 * channel's directory (another mount namespace) answers the create with an
 * error: the container is then made without the channel, *@ch freed and
 * set to NULL, and @refused (@refused_len bytes) says so with the engine's
 * reason, for the caller's one line about what it does next. Otherwise
 * @refused is "" and the returns are ecs_container_create_agent()'s; after
 * a failure *@ch may be NULL.
 */
int ecs_container_create_agent_offering(char **id_out, ecs_engine *engine, const ecs_container_spec *spec,
					ecs_container_agent *agent, ecs_agent_chan **ch, char *refused, size_t refused_len);

/**
 * ecs_container_start_within - ecs_container_start() bounded by @timeout_ms
 * (0: the handle's request timeout) instead of the handle's: under load a
 * start can take seconds, and the task runner bounds it on its own
 * (ecs_task_spec.start_timeout_ms). ECS_ETIMEDOUT when the engine did not
 * answer in time (it may still start the container). Same returns otherwise.
 */
int ecs_container_start_within(ecs_engine *engine, const char *id, long timeout_ms);

/**
 * ecs_container_inspect_within - ecs_container_inspect() bounded by
 * @timeout_ms (0: the handle's request timeout): after a kill at the
 * timeout, what the engine saw must not cost the task more than that.
 */
int ecs_container_inspect_within(ecs_container_info *out, ecs_engine *engine, const char *id, long timeout_ms);

/*
 * The kill and the force removal of a container as asynchronous requests
 * (http.h), bounded by @timeout_ms, for a caller that keeps draining the
 * container's attach stream meanwhile (capture.c): the engine completes
 * neither while its attach writer is blocked on a full socket. Move them on
 * with ecs_http_async_wait(); the _end() call reads the outcome and frees.
 */

/** POST /containers/@id/kill?signal=SIGKILL sent; 0 with *@out, or the error. */
int ecs_container_kill_begin(ecs_http_async **out, ecs_engine *engine, const char *id, long timeout_ms);

/**
 * The kill's outcome: 0 when it landed; also 0 with *@not_running = 1 when
 * the engine said the container was not running (409: it had ended by
 * itself); ECS_ENOTFOUND when it is gone; ECS_ETIMEDOUT when the engine did
 * not answer within the bound; another ECS_E* code. Frees @a.
 */
int ecs_container_kill_end(ecs_engine *engine, ecs_http_async *a, int *not_running);

/** DELETE /containers/@id?force=1&v=1 sent (the engine kills, then removes); 0 with *@out, or the error. */
int ecs_container_remove_begin(ecs_http_async **out, ecs_engine *engine, const char *id, long timeout_ms);

/** The removal's outcome: 0, ECS_ENOTFOUND (already gone), ECS_ETIMEDOUT, another ECS_E* code. Frees @a. */
int ecs_container_remove_end(ecs_engine *engine, ecs_http_async *a);

#endif
