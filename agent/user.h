/*
 * ecs-agent: the task's user, resolved as the engine resolves a container's
 * `User` (Docker 20.10 with runc's libcontainer/user rules) from the image's
 * /etc/passwd and /etc/group, so a pooled task runs with the uid, gid,
 * supplementary groups and HOME a cold task of the same profile gets.
 *
 * Pure functions on bytes (no I/O, no globals, no exit): the agent reads the
 * two files and passes their contents; the fuzzer (fuzz/fuzz_agent_proto.c)
 * passes anything.
 */
#ifndef ECS_AGENT_USER_H
#define ECS_AGENT_USER_H

#include <stddef.h>
#include <sys/types.h>

/* Supplementary groups kept at most (the kernel's NGROUPS_MAX is 65536; images have a handful). */
#define AGENT_USER_MAX_GROUPS 64
/* Longest HOME taken from /etc/passwd. */
#define AGENT_USER_MAX_HOME 1024
/* The engine accepts ids 0 .. 2^31-1 (libcontainer/user's maxID). */
#define AGENT_USER_MAX_ID 2147483647L

typedef struct {
	uid_t uid;
	gid_t gid;
	gid_t groups[AGENT_USER_MAX_GROUPS]; /* supplementary: gid, then the user's in /etc/group order */
	size_t ngroups;
	char home[AGENT_USER_MAX_HOME];      /* the passwd entry of uid's home, "/" when none */
} agent_user;

/* Why a user spec does not resolve (negative, like the protocol's errors). */
#define AGENT_USER_ENOUSER (-1)  /* a name with no passwd entry */
#define AGENT_USER_ENOGROUP (-2) /* a group name with no group entry */
#define AGENT_USER_ERANGE (-3)   /* a numeric id outside 0 .. 2^31-1 */
#define AGENT_USER_EINVAL (-4)   /* the spec is malformed (NUL, more than one ':', too long) */
#define AGENT_USER_ETOOMANY (-5) /* more supplementary groups than AGENT_USER_MAX_GROUPS */

/**
 * agent_user_resolve - resolve @spec ("", "user", "uid", "user:group",
 * "uid:gid"; "" is uid 0) against the contents of /etc/passwd and
 * /etc/group (@passwd/@group may be NULL: the file is missing).
 * Returns 0 with @out filled, or a negative AGENT_USER_E* value.
 */
int agent_user_resolve(agent_user *out, const char *spec, const char *passwd, size_t passwd_len, const char *group,
		       size_t group_len);

/** A static English text for an AGENT_USER_E* value. */
const char *agent_user_strerror(int err);

#endif
