/*
 * ecs-agent spawn: fork the command and exec it as a shell would: a command
 * without a slash is looked up in the task's PATH; exit 127 when it is not
 * found, 126 when it is found but cannot be executed, each with one line on
 * the command's stderr, `ecs-agent: exec NAME: <strerror>` (agent/PROTOCOL.md).
 * Every container ecs runs has the agent as PID 1 (issue 17), so this is
 * the one rule and the one text for cold, pooled and session tasks alike.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

extern char **environ;

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Put @e ("NAME=value") into @env of @n entries, replacing a same-named one. */
static void env_put(char **env, size_t *n, char *e)
{
	size_t klen = (size_t)(strchr(e, '=') - e) + 1, j; /* the name and its '=' */

	for (j = 0; j < *n; j++)
		if (strncmp(env[j], e, klen) == 0)
			break;
	env[j] = e;
	if (j == *n)
		(*n)++;
}

/*
 * The container's environment, HOME=@home when the engine would have set
 * it for the task's user (the image sets none), then @task's entries, each
 * replacing a same-named one.
 */
static char **task_env(const ecs_agent_request *task, char *home)
{
	size_t n = 0, i;
	char **env;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + task->envc + 2, sizeof(char *))) == NULL)
		return NULL;
	memcpy(env, environ, n * sizeof(char *));
	if (home != NULL)
		env_put(env, &n, home);
	for (i = 0; i < task->envc; i++)
		env_put(env, &n, task->env[i]);
	return env;
}

static const char *env_get(char **env, const char *name)
{
	size_t len = strlen(name);

	for (; *env != NULL; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

/* The agent's words for a command that did not start (PROTOCOL.md, EXIT). */
static void complain(const char *cmd, int err)
{
	char buf[4200];
	int n = snprintf(buf, sizeof(buf), "ecs-agent: exec %s: %s\n", cmd, strerror(err));

	if (n > 0)
		(void)!write(2, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int exit_for(int err)
{
	return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

/* In the child: exec or _exit(126/127). */
static void exec_task(const ecs_agent_request *task, char **env)
{
	const char *cmd = task->argv[0];
	const char *path, *p;
	char buf[4096];
	int denied = 0;

	if (strchr(cmd, '/') != NULL) {
		int err;

		execve(cmd, task->argv, env);
		err = errno;
		complain(cmd, err);
		_exit(exit_for(err));
	}
	if ((path = env_get(env, "PATH")) == NULL)
		path = DEFAULT_PATH;
	for (p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);

		/* an empty PATH element means the current directory */
		if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)dlen, dlen ? p : ".", "/", cmd) <
		    (int)sizeof(buf)) {
			execve(buf, task->argv, env);
			if (errno != ENOENT && errno != ENOTDIR)
				denied = errno;
		}
		if (end == NULL)
			break;
		p = end;
	}
	complain(cmd, denied ? denied : ENOENT);
	_exit(denied ? 126 : 127);
}

/* In the child: /dev/null as stdin, as the engine gives a cold task that has none. */
static int null_stdin(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		return -1;
	if (fd != 0 && dup2(fd, 0) < 0) {
		close(fd);
		return -1;
	}
	if (fd != 0)
		close(fd);
	return 0;
}

/* In the child: tell the agent why the command cannot start (stage, errno), then end. */
static void setup_failed(int fd, int stage, int err)
{
	int msg[2] = { stage, err };

	(void)!write(fd, msg, sizeof(msg));
	_exit(125);
}

pid_t spawn_task(const ecs_agent_request *req, const agent_creds *creds, const char *home, int in_r, int out_w,
		 int err_w, int *setup_err, int *setup_stage)
{
	char **env = task_env(req, (char *)home);
	int st[2], msg[2];
	pid_t pid;
	ssize_t n;

	*setup_err = *setup_stage = 0;
	if (env == NULL)
		return -ENOMEM;
	if (pipe2(st, O_CLOEXEC) != 0) {
		int err = errno;

		free(env);
		return -err;
	}
	pid = fork();
	if (pid < 0) {
		int err = errno;

		free(env);
		close(st[0]);
		close(st[1]);
		return -err;
	}
	if (pid == 0) {
		signals_reset_child();
		/* its own group: outside a PID namespace the agent ends the task's group, not all */
		setpgid(0, 0);
		close(st[0]);
		if (dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
			setup_failed(st[1], SPAWN_STAGE_PIPES, errno);
		if (req->stdin_null ? null_stdin() != 0 : dup2(in_r, 0) < 0)
			setup_failed(st[1], SPAWN_STAGE_PIPES, errno);
		/* never the agent's uid or capabilities (creds.c); the check before fork makes this one rare */
		if (creds_become_task(creds) != 0)
			setup_failed(st[1], SPAWN_STAGE_USER, errno ? errno : EPERM);
		/* as the task's user: the directory must be one it may enter */
		if (req->workdir != NULL && chdir(req->workdir) != 0)
			setup_failed(st[1], SPAWN_STAGE_WORKDIR, errno);
		exec_task(req, env);
	}
	free(env);
	close(st[1]);
	/* EOF: the exec happened (the pipe is close-on-exec) or failed as a shell reports it (126/127) */
	do
		n = read(st[0], msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	close(st[0]);
	if (n == (ssize_t)sizeof(msg)) {
		int status;

		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		*setup_stage = msg[0];
		*setup_err = msg[1];
		return 0;
	}
	return pid;
}
