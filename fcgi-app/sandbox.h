/*
 * sandbox.h - the sandbox profile a task gets: what the operator allows the
 * client ([ecs], then the client's [client] section), narrowed by what the
 * request asks, never looser (libecs's ecs_sandbox_profile_merge()).
 *
 * The keys (in [ecs] and in [client] sections; see ecs.conf(5)):
 *   max_memory, max_cpus, max_pids, max_nofile   limits (conf.h limit_caps)
 *   tmp_size         bytes of the tmpfs on /tmp (and each tmpfs path)
 *   tmpfs            further tmpfs paths
 *   cap_add          capabilities given back after CapDrop ALL
 *   writable_root    yes: a writable root filesystem (default no)
 *   user             the user tasks run as ("uid[:gid]" or a name)
 *   default_runtime  the runtime of a task that names none
 *   allowed_runtimes the runtimes a request may name ("runtime")
 * What a [client] leaves out it inherits from [ecs].
 */
#ifndef ECSFCGI_SANDBOX_H
#define ECSFCGI_SANDBOX_H

#include <stddef.h>
#include <stdio.h>

#include <ecs/ecs.h>

#include "conf.h"
#include "conf_key.h"
#include "task_body.h"

/** sandbox_conf_init - every member "not set". */
void sandbox_conf_init(sandbox_conf *s);

/** sandbox_conf_clear - free what @s holds and set it to "not set". */
void sandbox_conf_clear(sandbox_conf *s);

/** sandbox_keys - the sandbox's keys of [ecs] and of a [client]; their target is a sandbox_conf. */
extern const conf_key sandbox_keys[];

/**
 * sandbox_allowed - the profile the operator allows @rule (NULL: a client
 * with no section of its own). @caps are the limits that apply to it
 * (handlers.c lowers the [ecs] caps by the client's). Strings point into
 * @cfg; the result is what a request that asks for nothing gets.
 */
void sandbox_allowed(ecs_sandbox_profile *out, const config *cfg, const client_rule *rule, const limit_caps *caps);

/**
 * sandbox_caps - the limits that apply to @rule: the [ecs] caps, lowered by
 * those its section sets (NULL: the [ecs] caps).
 */
limit_caps sandbox_caps(const config *cfg, const client_rule *rule);

/** sandbox_runtime_allowed - 1 when a request of @rule may name @runtime. */
int sandbox_runtime_allowed(const config *cfg, const client_rule *rule, const char *runtime);

/**
 * sandbox_check - after the whole file: each default_runtime is one its
 * section allows, and the profile of [ecs] and of every [client] is valid.
 * Returns 0, or -1 with @why naming the section and the problem.
 */
int sandbox_check(const config *cfg, char *why, size_t whylen);

/**
 * sandbox_for_request - the profile of one task: sandbox_allowed() narrowed
 * by @tb's limits, user, network and runtime. Strings point into @cfg and @tb.
 * Returns 0; -1 refused (*@status 403 or 400, *@code, @why); -2 out of memory.
 */
int sandbox_for_request(ecs_sandbox_profile *out, const config *cfg, const client_rule *rule,
		const limit_caps *caps, const task_body *tb, int *status, const char **code, char *why, size_t whylen);

/**
 * sandbox_warn_unlimited - for --check-config: one line on @out for each
 * limit set to "unlimited" and each writable root, in [ecs] or a [client];
 * @out NULL only counts them. Returns how many there are.
 */
int sandbox_warn_unlimited(const config *cfg, FILE *out);

#endif
