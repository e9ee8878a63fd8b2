/*
 * Private: one task run by ecs-agent (protocol version 1, agent/PROTOCOL.md)
 * on an attach stream read by the one capture (capture.h): the task header
 * the agent reads first, and how the task ended, told by the agent's EXIT
 * record (or the engine, when the agent could not say). The pooled backend
 * (a warm container) and the cold one (a fresh container whose PID 1 is the
 * agent) both run tasks so: one exit-code rule, one timeout rule.
 */
#ifndef ECS_AGENT_TASK_H
#define ECS_AGENT_TASK_H

#include <stddef.h>
#include <ecs/ecs.h>
#include "capture.h"

/**
 * ecs_agent_task_header - the task header for the agent: argv = @entrypoint
 * (the image's, @entrypoint_len strings) then the spec's command, as the
 * engine would run them; the spec's env; stdin /dev/null when the spec has
 * none (as a cold container without stdin). *@out is malloc'ed (@len bytes).
 * Returns 0, ECS_ENOMEM, or an ECS_AGENT_E* code (ECS_EINVAL, ECS_ETOOBIG:
 * the command or env cannot be sent).
 */
int ecs_agent_task_header(unsigned char **out, size_t *len, const char *const *entrypoint, size_t entrypoint_len,
			  const ecs_task_spec *spec);

/**
 * ecs_agent_task_outcome - after ecs_capture_run() returned @run_rc: fill
 * @result's exit_code, timed_out and oom_killed. Past the timeout
 * (@run_rc ECS_ETIMEDOUT), or cancelled, the container is killed while its
 * stream keeps draining (ecs_capture_kill()); an EXIT record that came
 * before the kill landed is the task's own end: its status, not timed out.
 * A stream that ended without EXIT (the agent or its container died), and
 * under runsc the OOM flag, are the engine's view. A FAILED record (the
 * command never ran) is ECS_EENGINE in phase start with the agent's words.
 * Returns 0 for a completed run, else the ECS_E* code with the result's
 * error set (ecs_task_fail()).
 */
int ecs_agent_task_outcome(ecs_task_result *result, ecs_engine *engine, ecs_capture *cap, int run_rc,
			   long timeout_ms);

/**
 * ecs_agent_task_refused - 1 when the agent said EXIT FAILED EPERM: it would
 * not run the task (agent/PROTOCOL.md: the task's user does not resolve,
 * is the agent's own, or could reach the agent under this runtime); nothing
 * ran. *@no_user (may be NULL) is set to 1 when the reason is a user or
 * group the image does not have (the request's fault), else 0.
 */
int ecs_agent_task_refused(ecs_capture *cap, int *no_user);

#endif
