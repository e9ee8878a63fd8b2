/* Private: mapping a sandbox profile onto an engine spec (lib/profile.c). */
#ifndef ECS_PROFILE_PRIVATE_H
#define ECS_PROFILE_PRIVATE_H

#include <json-c/json.h>
#include <ecs/ecs.h>

/**
 * ecs_sandbox_profile_key - a stable key of the whole profile, for pools of
 * containers made to one profile: "v1-" and the SHA-256 (hex) of a canonical
 * form (capability names upper case without "CAP_", lists sorted), so two
 * profiles that confine alike have the same key.
 * @buf: at least ECS_SANDBOX_KEY_SIZE bytes.
 * Returns 0, ECS_EINVAL (invalid profile or short buffer) or ECS_ENOMEM.
 * Thread-safe.
 */
int ecs_sandbox_profile_key(char *buf, size_t size, const ecs_sandbox_profile *profile);

/** What the mapping needs besides the profile: where to log, about whom, and the image. */
typedef struct {
	const ecs_engine *engine;  /* for the log hook; may be NULL */
	const char *task_id;       /* for log lines; may be NULL */
	const char *working_dir;   /* the image's WorkingDir; NULL or "" for none */
} ecs_profile_context;

/**
 * ecs_profile_apply - add what @p says to a container create body: User to
 * @config, the rest (CapDrop ALL, CapAdd, SecurityOpt no-new-privileges,
 * ReadonlyRootfs, Tmpfs, PidsLimit, Memory/MemorySwap, NanoCpus, Ulimits,
 * Init, NetworkMode, Runtime) to @host_config. @p must be valid
 * (ecs_sandbox_profile_validate()). A tmpfs path that would hide the image's
 * WorkingDir is skipped and logged. Returns 0, or -1 out of memory (the
 * objects are then half-filled: drop them).
 */
int ecs_profile_apply(json_object *config, json_object *host_config, const ecs_sandbox_profile *p,
		      const ecs_profile_context *ctx);

/**
 * ecs_profile_apply_service - the same profile onto a Swarm service spec (API
 * 1.41): CapabilityDrop ALL, CapabilityAdd, ReadOnly, Init, Ulimits, User and
 * tmpfs Mounts (/tmp and @p's paths, the WorkingDir rule as above) to
 * @container_spec; Resources.Limits (Pids, MemoryBytes, NanoCPUs) and
 * Networks to @task_template. Network "none" attaches @isolated_network (an
 * internal overlay: Swarm has no "none"); another name attaches that network.
 * What a service spec of API 1.41 cannot say: no-new-privileges, a swap
 * limit, tmpfs exec (Swarm mounts tmpfs noexec), the runtime. Returns 0; -1
 * out of memory (drop the half-filled objects); -2 when @p names a runtime
 * (a service cannot choose one: make it the nodes' default-runtime).
 */
int ecs_profile_apply_service(json_object *container_spec, json_object *task_template, const ecs_sandbox_profile *p,
			      const ecs_profile_context *ctx, const char *isolated_network);

/**
 * ecs_profile_poolable - 1 when a task of @p may run in a warm container:
 * none of its capabilities would let it reach ecs-agent (signal it, open its
 * /proc files: CAP_KILL, CAP_SYS_PTRACE, CAP_DAC_*, CAP_FOWNER, CAP_CHOWN,
 * CAP_SET*ID, CAP_SETPCAP, CAP_SYS_ADMIN, ...). 0: its tasks run cold.
 */
int ecs_profile_poolable(const ecs_sandbox_profile *p);

/**
 * ecs_profile_apply_agent - what a warm container adds to ecs_profile_apply()
 * (call after it): User "0:0", so that ecs-agent starts as root and moves to
 * its own uid, and CAP_SETUID, CAP_SETGID, CAP_SETPCAP and CAP_KILL added to
 * CapAdd for the agent alone (the task never holds them: agent/creds.c).
 * Returns 0, or -1 out of memory.
 */
int ecs_profile_apply_agent(json_object *config, json_object *host_config);

/** ecs_profile_hides - 1 when a tmpfs on @path would hide @working_dir (the same path or a parent of it). */
int ecs_profile_hides(const char *path, const char *working_dir);

#endif
