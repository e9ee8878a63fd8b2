/*
 * Private: one task run by its container's ecs-agent (protocol version 2,
 * agent/PROTOCOL.md) over an open conversation (agent_conn.h): the task's
 * files (PUT), the command (EXEC, with the timeout the agent enforces), its
 * artifacts (GET), and how it ended, told by the agent's EXIT record. The
 * pooled backend (a warm container) and the cold one (a fresh container
 * whose PID 1 is the agent) both run tasks so: one exit-code rule, one
 * timeout rule, one capture, one place for file paths.
 */
#ifndef ECS_AGENT_TASK_H
#define ECS_AGENT_TASK_H

#include <stddef.h>
#include <ecs/ecs.h>
#include "agent_conn.h"
#include "backend.h"

/**
 * ecs_agent_task_run - @task on @*conn, attached to the container named in
 * result->container_id whose agent serves it: PUT the spec's files, EXEC
 * argv = @entrypoint (the image's, @entrypoint_len strings) then the
 * command, with the spec's env, stdin (none: /dev/null, as a cold container
 * without stdin) and timeout (the agent's: TIMED_OUT only when its kill
 * ended the command; the reader's own deadline is the timeout plus
 * ECS_AGENT_CONN_GRACE_MS, past which the container is killed and the task
 * counts as timed out), GET the artifacts, take the output, then close the
 * conversation (*@conn NULL: the agent exits) and, where the agent could not
 * tell (runsc), ask the engine whether the OOM killer struck.
 * Fills exit_code, timed_out, oom_killed, out/err, the byte counts,
 * artifacts and timings.run/logs.
 * *@nothing_ran is set when the task never started; the return is then
 * ECS_EDENIED (the agent will not act as the task's user in this container:
 * @why has its words, agent/PROTOCOL.md) or ECS_ENOTFOUND (the container
 * does not run), with the result's error left unset for the caller to
 * decide (run it elsewhere, or fail). Otherwise returns 0 for a completed
 * run, or an ECS_E* code with the result's error set (ECS_EINVAL in phase
 * validate for a file or artifact path the agent refused, @why naming it).
 */
int ecs_agent_task_run(ecs_task_result *result, const ecs_backend_task *task, ecs_agent_conn **conn,
		       const char *const *entrypoint, size_t entrypoint_len, int *nothing_ran, char *why,
		       size_t why_len);

/**
 * ecs_agent_exec_outcome - how an EXEC ended, into @result, the same for a
 * task and a session's command: @rc and @res from ecs_agent_conn_exec().
 * The one timeout rule: timed_out only when the agent's EXIT says its kill
 * ended the command (TIMED_OUT); a command reaped before the kill is its own
 * exit. Fills exit_code, timed_out, oom_killed and moves the output (out,
 * err, byte counts) out of @res. Returns 0, ECS_ETIMEDOUT untouched (no
 * EXIT within the reader's grace: the agent does not answer; the caller
 * decides, a task's container is killed, a session is lost), or the
 * failure recorded in @result (ECS_ECANCELED, the transport's error, a
 * FAILED record: the command never ran).
 */
int ecs_agent_exec_outcome(ecs_task_result *result, ecs_engine *engine, int rc, ecs_agent_exec_res *res);

/**
 * ecs_agent_task_no_user - 1 when @why (an ECS_EDENIED's words from
 * ecs_agent_task_run()) says the task's user or group is not in the image:
 * the request's fault (ECS_ENOUSER), not the container's.
 */
int ecs_agent_task_no_user(const char *why);

#endif
