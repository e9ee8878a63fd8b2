/*
 * ecs-agent spawn: fork the task and exec it as a shell would: a command
 * without a slash is looked up in the task's PATH; exit 127 when it is not
 * found, 126 when it is found but cannot be executed, each with a message on
 * the task's stderr: the line the engine's init (docker-init, which is tini)
 * writes for a cold task, so a pooled run answers as a cold one (issue 9).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
static char **task_env(const ecs_agent_task *task, char *home)
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

/* tini's words; its pid is the process that failed to exec, this one. */
static void complain(const char *cmd, int err)
{
	char buf[4200];
	int n = snprintf(buf, sizeof(buf), "[FATAL tini (%d)] exec %s failed: %s\n", (int)getpid(), cmd, strerror(err));

	if (n > 0)
		(void)!write(2, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int exit_for(int err)
{
	return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

/* In the child: exec or _exit(126/127). */
static void exec_task(const ecs_agent_task *task, char **env)
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

	if (fd <= 0) /* 0: the agent had no stdin, and this is it now */
		return fd;
	if (dup2(fd, 0) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

pid_t spawn_task(const ecs_agent_task *task, const agent_creds *creds, const char *home, int out_w, int err_w)
{
	char **env = task_env(task, (char *)home);
	pid_t pid;

	if (env == NULL)
		return -ENOMEM;
	pid = fork();
	if (pid < 0) {
		int err = errno;

		free(env);
		return -err;
	}
	if (pid == 0) {
		signals_reset_child();
		/* its own group: outside a PID namespace the agent ends the task's group, not all */
		setpgid(0, 0);
		if (dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0 || (task->stdin_null && null_stdin() != 0))
			_exit(126);
		/* never the agent's uid or capabilities (creds.c); the check before fork makes this one rare */
		if (creds_become_task(creds) != 0) {
			static const char msg[] = "ecs-agent: cannot switch to the task's user\n";

			(void)!write(2, msg, sizeof(msg) - 1);
			_exit(126);
		}
		exec_task(task, env);
	}
	free(env);
	return pid;
}
