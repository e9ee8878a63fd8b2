/*
 * libecs: what runs in a session (<ecs/session.h>): exec, files in, files
 * out, each one conversation with the session's agent (agent_conn.h) over
 * an attach of its own. The session's stdin is not one-shot, so closing
 * the conversation leaves the agent waiting for the next one.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include <ecs/session.h>
#include "agent_conn.h"
#include "agent_task.h"
#include "backend.h"
#include "clock.h"
#include "engine_private.h"
#include "session_private.h"
#include "tar.h"

/* Bound on opening a conversation and on each file request: the handle's request timeout. */
static long long request_deadline(const ecs_engine *engine)
{
	return ecs_clock_ms() + engine->opts.request_timeout_ms;
}

static int open_conn(ecs_agent_conn **c, ecs_engine *engine, const ecs_session_info *s)
{
	if (engine == NULL || s == NULL || s->container_id == NULL)
		return ECS_EINVAL;
	return ecs_agent_conn_open(c, engine, s->container_id, request_deadline(engine));
}

int ecs_session_agent_ready(ecs_engine *engine, const ecs_session_info *s, long timeout_ms)
{
	ecs_agent_conn *c = NULL;
	int rc = ecs_agent_conn_open(&c, engine, s->container_id, ecs_clock_ms() + timeout_ms);

	if (rc == 0)
		rc = ecs_agent_conn_ping(c, ecs_clock_ms() + timeout_ms);
	ecs_agent_conn_close(c, 0);
	return rc;
}

static int check_exec(const ecs_session_exec_spec *x)
{
	if (x == NULL || x->version != ECS_SESSION_EXEC_VERSION || x->cmd == NULL || x->cmd_len == 0 ||
	    x->cmd_len > ECS_TASK_MAX_CMD || x->cmd[0] == NULL || x->cmd[0][0] == '\0' ||
	    (x->env_len > 0 && x->env == NULL) || x->env_len > ECS_TASK_MAX_ENV ||
	    (x->stdin_len > 0 && x->stdin_data == NULL) || x->timeout_ms < 0 || x->timeout_ms > ECS_TASK_MAX_TIMEOUT_MS ||
	    (x->workdir != NULL && x->workdir[0] != '/') || x->files_len > ECS_TASK_MAX_FILES ||
	    x->artifacts_len > ECS_TASK_MAX_FILES || (x->files_len > 0 && x->files == NULL) ||
	    (x->artifacts_len > 0 && x->artifacts == NULL))
		return ECS_EINVAL;
	for (size_t i = 0; i < x->cmd_len; i++)
		if (x->cmd[i] == NULL)
			return ECS_EINVAL;
	for (size_t i = 0; i < x->env_len; i++)
		if (x->env[i] == NULL || strchr(x->env[i], '=') == NULL || x->env[i][0] == '=')
			return ECS_EINVAL;
	return 0;
}

/* The agent's answer to the EXEC (ecs_agent_exec_outcome()); one that never came loses the session. */
static int outcome(ecs_task_result *result, ecs_engine *engine, int rc, ecs_agent_exec_res *res, long timeout_ms)
{
	char why[128];

	rc = ecs_agent_exec_outcome(result, engine, rc, res);
	if (rc != ECS_ETIMEDOUT)
		return rc;
	/* The agent's own kill did not answer: its state is unknown, the session with it. */
	snprintf(why, sizeof(why), "ecs-agent did not answer within %ld ms of the %ld ms timeout",
		 ECS_AGENT_CONN_GRACE_MS, timeout_ms);
	return ecs_task_fail(result, ECS_TASK_PHASE_WAIT, ECS_EPROTO, why);
}

/* A refused path (@rc from a file request, @why the agent's words) as the result's failure. */
static int file_failed(ecs_task_result *result, ecs_engine *engine, ecs_task_phase phase, int rc, const char *why)
{
	if (rc == ECS_EINVAL || rc == ECS_EDENIED || rc == ECS_ENOTFOUND)
		return ecs_task_fail(result, phase, rc == ECS_ENOTFOUND ? rc : ECS_EINVAL, why[0] ? why : NULL);
	return ecs_task_fail_engine(result, engine, phase, rc);
}

int ecs_session_exec(ecs_task_result *result, ecs_engine *engine, const ecs_session_info *s,
		     const ecs_session_exec_spec *x)
{
	long timeout_ms = x != NULL && x->timeout_ms > 0 ? x->timeout_ms : ECS_TASK_DEFAULT_TIMEOUT_MS;
	ecs_agent_exec_req req = { 0 };
	ecs_agent_exec_res res;
	ecs_agent_conn *c = NULL;
	char why[512] = "";
	double t0 = ecs_clock_ms_f(), t;
	int rc;

	if (result == NULL || engine == NULL || s == NULL || s->container_id == NULL ||
	    result->version < 1 || result->version > ECS_TASK_RESULT_VERSION)
		return ECS_EINVAL;
	memset(&res, 0, sizeof(res));
	ecs_engine_clear_error(engine);
	snprintf(result->task_id, sizeof(result->task_id), "%s", s->id);
	if (check_exec(x) != 0)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "bad exec spec");
	if ((result->container_id = strdup(s->container_id)) == NULL)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_ENOMEM, NULL);
	rc = open_conn(&c, engine, s);
	if (rc != 0) {
		rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_ATTACH, rc);
		goto out;
	}
	if (x->files_len > 0) {
		rc = ecs_agent_conn_put_files(c, x->files, x->files_len, why, sizeof(why), request_deadline(engine));
		if (rc != 0) {
			rc = file_failed(result, engine, ECS_TASK_PHASE_VALIDATE, rc, why);
			goto out;
		}
	}
	req.argv = x->cmd;
	req.argc = x->cmd_len;
	req.env = x->env;
	req.envc = x->env_len;
	req.workdir = x->workdir;
	req.stdin_data = x->stdin_data;
	req.stdin_len = x->stdin_len;
	req.stdin_null = x->stdin_len == 0;
	req.timeout_ms = timeout_ms;
	req.out_cap = x->stdout_cap ? x->stdout_cap : ECS_TASK_DEFAULT_OUTPUT_CAP;
	req.err_cap = x->stderr_cap ? x->stderr_cap : ECS_TASK_DEFAULT_OUTPUT_CAP;
	req.on_output = x->on_output;
	req.on_output_arg = x->on_output_arg;
	req.cancel = x->cancel;
	t = ecs_clock_ms_f();
	rc = ecs_agent_conn_exec(c, &req, &res, ecs_clock_ms() + timeout_ms + ECS_AGENT_CONN_GRACE_MS);
	result->timings.run = ecs_clock_ms_f() - t;
	rc = outcome(result, engine, rc, &res, timeout_ms);
	if (rc != 0)
		goto out;
	/* A command killed at its timeout left what it left: its artifacts are read as they are. */
	if (x->artifacts_len > 0 && result->version >= 2) {
		t = ecs_clock_ms_f();
		rc = ecs_agent_conn_get_artifacts(c, x->artifacts, x->artifacts_len, x->artifacts_cap, &result->artifacts,
						  &result->artifacts_len, why, sizeof(why), request_deadline(engine));
		result->timings.logs = ecs_clock_ms_f() - t;
		if (rc != 0) {
			rc = file_failed(result, engine, ECS_TASK_PHASE_LOGS, rc, why);
			goto out;
		}
	}
	ecs_engine_log(engine, ECS_LOG_DEBUG, "session %s: container %.12s: exec exited %d%s in %.1f ms", s->id,
		       s->container_id, result->exit_code, result->timed_out ? " (timed out)" : "", result->timings.run);
out:
	result->timings.total = ecs_clock_ms_f() - t0;
	ecs_agent_exec_res_clear(&res);
	ecs_agent_conn_close(c, 0);
	return rc;
}

int ecs_session_put(ecs_engine *engine, const ecs_session_info *s, const char *path, const void *data, size_t len,
		    int is_tar, char *why, size_t whylen)
{
	ecs_agent_conn *c = NULL;
	int rc;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (path == NULL || path[0] != '/' || (len > 0 && data == NULL))
		return ECS_EINVAL;
	rc = open_conn(&c, engine, s);
	if (rc == 0 && is_tar) {
		rc = ecs_agent_conn_put_tar(c, path, data, len, why, whylen, request_deadline(engine));
	} else if (rc == 0) {
		ecs_file f = { path, data, len, 0644 };

		rc = ecs_agent_conn_put_files(c, &f, 1, why, whylen, request_deadline(engine));
	}
	ecs_agent_conn_close(c, 0);
	return rc == ECS_EDENIED ? ECS_EINVAL : rc;
}

/*
 * A GET's tar holds one regular file when @path is a file: then its
 * content into @out (replacing the tar) and 0 to *@is_dir; a directory's
 * tar is left as it is. ECS_EPROTO for a tar the parser refuses.
 */
static int file_of(ecs_buffer *out, int *is_dir)
{
	const unsigned char *p = out->data;
	size_t n = out->len, got = 0, files = 0, dirs = 0;
	ecs_tar_parser *tp = malloc(sizeof(*tp));
	unsigned char *content = NULL;
	int rc = 0;

	if (tp == NULL)
		return ECS_ENOMEM;
	ecs_tar_parser_init(tp);
	while (rc == 0) {
		ecs_tar_event ev;

		rc = ecs_tar_parse(tp, &p, &n, &ev);
		if (rc != 0 || ev.type == ECS_TAR_EV_NONE || ev.type == ECS_TAR_EV_END)
			break;
		if (ev.type == ECS_TAR_EV_ENTRY) {
			files += ev.entry->type == ECS_TAR_FILE;
			dirs += ev.entry->type == ECS_TAR_DIR;
			if (files == 1 && dirs == 0 && ev.entry->type == ECS_TAR_FILE &&
			    (content = malloc(ev.entry->size + 1)) == NULL)
				rc = ECS_ENOMEM;
		} else if (ev.type == ECS_TAR_EV_DATA && files == 1 && dirs == 0 && content != NULL) {
			memcpy(content + got, ev.data, ev.len);
			got += ev.len;
		}
	}
	free(tp);
	*is_dir = 1;
	if (rc == 0 && files == 1 && dirs == 0 && content != NULL) {
		content[got] = '\0';
		free(out->data);
		out->data = content;
		out->len = got;
		*is_dir = 0;
		return 0;
	}
	free(content);
	return rc < 0 ? (rc == ECS_ENOMEM ? rc : ECS_EPROTO) : 0;
}

int ecs_session_get(ecs_buffer *out, int *is_dir, ecs_engine *engine, const ecs_session_info *s, const char *path,
		    size_t cap, char *why, size_t whylen)
{
	ecs_agent_conn *c = NULL;
	int truncated = 0, rc;

	if (out == NULL || is_dir == NULL || path == NULL || path[0] != '/')
		return ECS_EINVAL;
	memset(out, 0, sizeof(*out));
	*is_dir = 0;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	rc = open_conn(&c, engine, s);
	if (rc == 0)
		rc = ecs_agent_conn_get_tar(c, path, cap ? cap : ECS_TASK_DEFAULT_ARTIFACTS_CAP, out, &truncated, why,
					    whylen, request_deadline(engine));
	ecs_agent_conn_close(c, 0);
	if (rc == 0)
		rc = file_of(out, is_dir);
	if (rc != 0) {
		ecs_buffer_clear(out);
		return rc == ECS_EDENIED ? ECS_EINVAL : rc;
	}
	out->truncated = truncated;
	return 0;
}
