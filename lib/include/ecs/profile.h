/*
 * libecs: the sandbox profile, everything that confines a task's container,
 * as one versioned value.
 *
 * A profile is plain data: integers and borrowed strings. ecs_task_run() and
 * ecs_container_create() map it onto the engine's container spec; a caller
 * that serves several clients keeps one profile per client (what the
 * operator allows) and narrows it per request with
 * ecs_sandbox_profile_merge(), which can only tighten.
 *
 * What every profile gets, whatever its fields say: all capabilities dropped
 * (CapDrop ALL; only cap_add comes back), no-new-privileges, the engine's
 * default seccomp profile (never "unconfined"), and an init process as PID 1
 * (HostConfig.Init) that reaps zombies.
 *
 * The defaults (ECS_SANDBOX_PROFILE_INIT) are safe when nothing is
 * configured: read-only root with a 64 MiB tmpfs /tmp, 256 pids, 512 MiB of
 * memory and no swap, one CPU, 1024 open files, network "none", no
 * capabilities, the image's user, the engine's default runtime.
 */
#ifndef ECS_PROFILE_H
#define ECS_PROFILE_H

#include <stdint.h>
#include <ecs/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ECS_SANDBOX_PROFILE_VERSION 1

/**
 * ECS_SANDBOX_UNLIMITED - an explicit "no limit" for the integer limits
 * (pids, memory, nano_cpus, nofile, tmp_size). 0 is never a limit: in a
 * profile it is invalid, in the request of ecs_sandbox_profile_merge() it
 * means "not asked".
 */
#define ECS_SANDBOX_UNLIMITED INT64_C(-1)

/* Built-in defaults: what ECS_SANDBOX_PROFILE_INIT holds. */
#define ECS_SANDBOX_DEFAULT_PIDS      INT64_C(256)
#define ECS_SANDBOX_DEFAULT_MEMORY    (INT64_C(512) * 1024 * 1024)
#define ECS_SANDBOX_DEFAULT_NANO_CPUS INT64_C(1000000000)
#define ECS_SANDBOX_DEFAULT_NOFILE    INT64_C(1024)
#define ECS_SANDBOX_DEFAULT_TMP_SIZE  (INT64_C(64) * 1024 * 1024)
#define ECS_SANDBOX_DEFAULT_NETWORK   "none"

/*
 * Bounds, named once: ecs_sandbox_profile_validate() refuses anything outside
 * them (besides ECS_SANDBOX_UNLIMITED), so a value the engine or the kernel
 * would refuse at start is a caller error at validation, not an engine error.
 * PIDS_MAX is the kernel's PID_MAX_LIMIT (pids.max refuses more); MEMORY_MIN
 * is the engine's minimum; NOFILE_MAX is the kernel's default fs.nr_open
 * (setrlimit refuses more); NANO_CPUS_MIN is the engine's 0.01 CPU.
 * PIDS_MIN is the container's init (ecs-agent; docker-init where the agent
 * cannot serve) plus the task: with 1, the init's fork of the task fails
 * (the agent's: 502; docker-init's: 201, exit 1). ID_MAX bounds a numeric uid or gid
 * in user: the engine refuses more at start ("uids and gids must be in
 * range 0-2147483647"), and (uid_t)-1 is no uid for the kernel either.
 */
#define ECS_SANDBOX_PIDS_MIN       INT64_C(2)
#define ECS_SANDBOX_PIDS_MAX       INT64_C(4194304)
#define ECS_SANDBOX_MEMORY_MIN     (INT64_C(6) * 1024 * 1024)
#define ECS_SANDBOX_MEMORY_MAX     (INT64_C(1) << 50)            /* 1 PiB */
#define ECS_SANDBOX_NANO_CPUS_MIN  INT64_C(10000000)             /* 0.01 CPU */
#define ECS_SANDBOX_NANO_CPUS_MAX  (INT64_C(1024) * 1000000000)  /* 1024 CPUs */
#define ECS_SANDBOX_NOFILE_MIN     INT64_C(16)
#define ECS_SANDBOX_NOFILE_MAX     INT64_C(1048576)
#define ECS_SANDBOX_TMP_SIZE_MIN   INT64_C(4096)
#define ECS_SANDBOX_TMP_SIZE_MAX   (INT64_C(1) << 40)            /* 1 TiB */
#define ECS_SANDBOX_MAX_CAPS       64u   /* entries in cap_add */
#define ECS_SANDBOX_MAX_TMPFS      16u   /* entries in tmpfs */
#define ECS_SANDBOX_MAX_PATH       255u  /* bytes of a tmpfs path */
#define ECS_SANDBOX_MAX_NAME       64u   /* bytes of network, user, runtime */
#define ECS_SANDBOX_ID_MAX         INT64_C(2147483647)  /* a numeric uid or gid */

/**
 * ecs_sandbox_profile - what confines a container. Strings and arrays are
 * borrowed: they belong to the caller and must outlive every use of the
 * profile. Start from ECS_SANDBOX_PROFILE_INIT or ecs_sandbox_profile_init().
 *
 * @version: ECS_SANDBOX_PROFILE_VERSION; a newer library refuses what it
 *    does not know.
 * @cap_add, @cap_add_len: capabilities given back after CapDrop ALL
 *    ("NET_BIND_SERVICE" or "CAP_NET_BIND_SERVICE"; the kernel's names).
 *    NULL/0 for none (the default).
 * @writable_root: 1 for a writable root filesystem; 0 (default) mounts it
 *    read-only (ReadonlyRootfs).
 * @tmp_size: bytes of the tmpfs on /tmp (and of each @tmpfs path), mounted
 *    rw, exec, nosuid, nodev; ECS_SANDBOX_UNLIMITED for the kernel's default
 *    (half the host's memory, still charged to @memory).
 * @tmpfs, @tmpfs_len: further tmpfs paths (absolute, not under /proc, /sys
 *    or /dev). A path that is the image's WorkingDir or one of its parents is
 *    skipped (logged, never mounted): the image ships files there and a
 *    tmpfs would hide them. /tmp follows the same rule.
 * @pids: PidsLimit.
 * @memory: Memory, with MemorySwap equal to it (no swap).
 * @nano_cpus: NanoCpus (1000000000 is one CPU).
 * @nofile: the RLIMIT_NOFILE soft and hard limit.
 * @network: NetworkMode: "none" (default), "bridge" or a user-defined
 *    network's name; "host" and "container:..." are refused. "none" on a
 *    local engine, with the hosts file beside ecs-agent, is created with
 *    NetworkDisabled instead (the same loopback-only namespace without the
 *    engine's network sandbox) and that file at /etc/hosts.
 * @user: "uid[:gid]" or a name the image knows; NULL for the image's own.
 * @runtime: the engine's runtime name ("runc", "runsc"); NULL for the
 *    engine's default. One the engine lacks is its error at create.
 */
typedef struct {
	unsigned int version;
	const char *const *cap_add;
	size_t cap_add_len;
	int writable_root;
	int64_t tmp_size;
	const char *const *tmpfs;
	size_t tmpfs_len;
	int64_t pids;
	int64_t memory;
	int64_t nano_cpus;
	int64_t nofile;
	const char *network;
	const char *user;
	const char *runtime;
} ecs_sandbox_profile;

/* The defaults are not 0 (0 is no limit, and invalid): each is named. */
#define ECS_SANDBOX_PROFILE_INIT {                     \
	.version = ECS_SANDBOX_PROFILE_VERSION,         \
	.tmp_size = ECS_SANDBOX_DEFAULT_TMP_SIZE,       \
	.pids = ECS_SANDBOX_DEFAULT_PIDS,               \
	.memory = ECS_SANDBOX_DEFAULT_MEMORY,           \
	.nano_cpus = ECS_SANDBOX_DEFAULT_NANO_CPUS,     \
	.nofile = ECS_SANDBOX_DEFAULT_NOFILE,           \
	.network = ECS_SANDBOX_DEFAULT_NETWORK,         \
}

/**
 * ecs_sandbox_profile_init - set @out to ECS_SANDBOX_PROFILE_INIT, for bindings that cannot use the macro.
 * @version: ECS_SANDBOX_PROFILE_VERSION of the header the caller was built with; another
 *    is ECS_EINVAL (then @out is untouched).
 * Returns 0 or ECS_EINVAL (also for a NULL @out). Thread-safe.
 */
ECS_EXTERN int ecs_sandbox_profile_init(ecs_sandbox_profile *out, unsigned int version);

/**
 * ecs_sandbox_profile_validate - check every field against the bounds above.
 * @why, @whylen: on failure, one line naming the field and the bound; may be
 *    NULL/0.
 * Returns 0, or ECS_EINVAL (unknown version, 0 limit, value out of bounds,
 * unknown capability, bad path or name). Thread-safe.
 */
ECS_EXTERN int ecs_sandbox_profile_validate(const ecs_sandbox_profile *profile, char *why, size_t whylen);

/**
 * ecs_sandbox_profile_merge - narrow what an operator allows by what a
 * request asks; never looser than @allowed.
 * @out: receives the result; its strings point into @allowed or @request.
 * @allowed: a valid profile (what the operator allows this client).
 * @request: what the request asks; 0 and NULL members mean "not asked".
 * Field by field:
 *  - pids, memory, nano_cpus, nofile, tmp_size: not asked gives @allowed's;
 *    else the request's value when @allowed is ECS_SANDBOX_UNLIMITED or the
 *    value is at most @allowed's; ECS_SANDBOX_UNLIMITED or a larger value is
 *    refused otherwise.
 *  - cap_add, tmpfs: not asked (NULL) gives @allowed's list; else every entry
 *    must be in @allowed's list (a subset; an empty list asks for none).
 *  - writable_root: 1 only where @allowed has 1; 0 (not asked) gives @allowed's.
 *  - network: not asked gives @allowed's; "none" is always granted; any other
 *    value only when it equals @allowed's.
 *  - user: not asked gives @allowed's; a request may name any user when
 *    @allowed has none (NULL, the image's own), else only the same one.
 *  - runtime: not asked gives @allowed's; else it must equal @allowed's
 *    (choose among several runtimes before merging, by setting @allowed's).
 * @why, @whylen: on refusal, one line naming the field; may be NULL/0.
 * Returns 0; ECS_EDENIED when the request asks for more than @allowed (a 403
 * to an HTTP caller); ECS_EINVAL when either is invalid (the request is
 * checked as a profile after the merge). Thread-safe.
 */
ECS_EXTERN int ecs_sandbox_profile_merge(ecs_sandbox_profile *out, const ecs_sandbox_profile *allowed,
		const ecs_sandbox_profile *request, char *why, size_t whylen);

/** Bytes ecs_sandbox_profile_key() writes, the NUL included. */
#define ECS_SANDBOX_KEY_SIZE 68

#ifdef __cplusplus
}
#endif
#endif
