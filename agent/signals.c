/*
 * ecs-agent signals: as PID 1 the kernel delivers only signals we handle, so
 * the agent blocks them and reads them from a signalfd in its poll loops:
 * SIGCHLD to reap (the task and every orphan re-parented to us), the
 * termination signals to forward to the task.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static void handled_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (i = 0; i < NFORWARDED; i++)
		sigaddset(set, forwarded[i]);
}

int signals_setup(agent *a)
{
	sigset_t set;

	/* a reader that went away must show as EPIPE, not kill the agent */
	signal(SIGPIPE, SIG_IGN);
	handled_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return a->sigfd < 0 ? -1 : 0;
}

void signals_reset_child(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/* Reap what exited; 1 while children remain, 0 when none is left. */
static int reap(agent *a)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);

		if (p < 0 && errno == EINTR)
			continue;
		if (p <= 0)
			return p == 0;
		if (p == a->child && !a->child_done) {
			a->child_done = 1;
			a->child_status = st;
		}
	}
}

int signals_handle(agent *a)
{
	struct signalfd_siginfo si;
	int ended = 0;

	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGCHLD)
			continue;
		if (a->child == 0)
			ended = sig;
		else if (!a->child_done)
			kill(a->child, sig);
	}
	/* SIGCHLD coalesces and may be read in the same batch as others: always reap */
	reap(a);
	return ended;
}

int signals_children_left(agent *a)
{
	return reap(a);
}
