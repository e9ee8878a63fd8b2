/*
 * ecs-agent credentials: the agent and its task never share a uid, so no
 * task can reach the agent's /proc/1 (fds, environ, mem, oom_score_adj) or
 * signal it, under runc and under gVisor, which ignores non-dumpable for
 * /proc/PID/fd (issue 22). The pooled container starts the agent as root
 * with the profile's capabilities plus AGENT_CAPS in its bounding set; the
 * agent moves itself to AGENT_ID (uid and gid), keeping only AGENT_CAPS in
 * effect, and the task's child moves to the task's user with exactly the
 * profile's capabilities, as a cold container would give it.
 */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define BIT(c) (1ULL << (c))
/* What the agent keeps: change to its own ids, start the task as another, drop the bounding set, signal the task. */
#define AGENT_CAPS (BIT(CAP_SETUID) | BIT(CAP_SETGID) | BIT(CAP_SETPCAP) | BIT(CAP_KILL))
/*
 * What a pooled task may hold: none of these reaches another uid's process
 * or its /proc files. Anything else (DAC_*, FOWNER, CHOWN, SYS_PTRACE,
 * SYS_ADMIN, KILL, SET*ID, SETPCAP, ...) and the task runs cold (lib/pool.c
 * keeps the same list).
 */
#define TASK_CAPS_SAFE                                                                                   \
	(BIT(CAP_FSETID) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_NET_BROADCAST) | BIT(CAP_NET_RAW) |        \
	 BIT(CAP_IPC_LOCK) | BIT(CAP_SYS_CHROOT) | BIT(CAP_MKNOD) | BIT(CAP_LEASE) | BIT(CAP_AUDIT_WRITE) | \
	 BIT(35) /* WAKE_ALARM */ | BIT(36) /* BLOCK_SUSPEND */)
#define CAP_BITS 64

static int cap_get(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	*eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	*prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	return 0;
}

static int cap_set(uint64_t eff, uint64_t prm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, 0 },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), 0 },
	};

	return (int)syscall(SYS_capset, &h, d);
}

static uint64_t bounding_set(void)
{
	uint64_t b = 0;

	for (int c = 0; c < CAP_BITS; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0)
			break; /* past the kernel's last capability */
		if (r == 1)
			b |= BIT(c);
	}
	return b;
}

static int refuse(agent_creds *c, const char *fmt, const char *what)
{
	c->ok = 0;
	snprintf(c->why, sizeof(c->why), fmt, what, strerror(errno));
	return -1;
}

int creds_become_agent(agent_creds *c, const agent_user *task)
{
	uint64_t bnd = bounding_set(), eff = 0, prm = 0;
	uid_t r, e, s;
	gid_t rg, eg, sg;

	c->ok = 0;
	c->task = *task;
	if (getuid() != 0 || cap_get(&eff, &prm) != 0 || (eff & AGENT_CAPS) != AGENT_CAPS) {
		snprintf(c->why, sizeof(c->why),
			 "started as uid %u without CAP_SETUID, CAP_SETGID, CAP_SETPCAP and CAP_KILL: "
			 "the task cannot get a uid of its own", (unsigned)getuid());
		return -1;
	}
	if (task->uid == AGENT_ID || task->gid == AGENT_ID) {
		snprintf(c->why, sizeof(c->why), "the task's user %u:%u is the agent's own", (unsigned)task->uid,
			 (unsigned)task->gid);
		return -1;
	}
	for (size_t i = 0; i < task->ngroups; i++) {
		if (task->groups[i] == AGENT_ID) {
			snprintf(c->why, sizeof(c->why), "the task's group %u is the agent's own", AGENT_ID);
			return -1;
		}
	}
	c->task_caps = bnd & ~AGENT_CAPS;
	if (c->task_caps & ~TASK_CAPS_SAFE) {
		snprintf(c->why, sizeof(c->why), "the profile's capabilities (0x%llx) would let the task reach the agent",
			 (unsigned long long)c->task_caps);
		return -1;
	}
	if (setgroups(0, NULL) != 0)
		return refuse(c, "%s: %s", "setgroups");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		return refuse(c, "%s: %s", "PR_SET_KEEPCAPS");
	if (setresgid(AGENT_ID, AGENT_ID, AGENT_ID) != 0)
		return refuse(c, "%s: %s", "setresgid");
	if (setresuid(AGENT_ID, AGENT_ID, AGENT_ID) != 0)
		return refuse(c, "%s: %s", "setresuid");
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	/* permitted keeps the task's capabilities: with no-new-privileges a root task's exec gets no more than that */
	if (cap_set(AGENT_CAPS, AGENT_CAPS | c->task_caps) != 0)
		return refuse(c, "%s: %s", "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return refuse(c, "%s: %s", "PR_CAP_AMBIENT");
	/* the proof, not the intent: a runtime that ignored a call must not run a task */
	if (getresuid(&r, &e, &s) != 0 || r != AGENT_ID || e != AGENT_ID || s != AGENT_ID ||
	    getresgid(&rg, &eg, &sg) != 0 || rg != AGENT_ID || eg != AGENT_ID || sg != AGENT_ID ||
	    getgroups(0, NULL) != 0 || cap_get(&eff, &prm) != 0 || eff != AGENT_CAPS) {
		snprintf(c->why, sizeof(c->why), "the runtime did not give the agent a uid of its own");
		return -1;
	}
	/*
	 * Dumpable on purpose (setresuid just cleared it): a non-dumpable
	 * process's /proc/PID files belong to root, so a root task (most
	 * images' default user) could raise /proc/1/oom_score_adj; dumpable,
	 * they belong to AGENT_ID, and ptrace, /proc/1/fd, environ and mem need
	 * the same uid or CAP_SYS_PTRACE, which no pooled task has.
	 */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
		return refuse(c, "%s: %s", "PR_SET_DUMPABLE");
	c->ok = 1;
	return 0;
}

int creds_become_task(const agent_creds *c)
{
	const agent_user *u = &c->task;

	if (!c->ok)
		return -1;
	for (int cap = 0; cap < CAP_BITS; cap++) {
		if (c->task_caps & BIT(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
			return -1;
	}
	if (setgroups(u->ngroups, u->groups) != 0 || setresgid(u->gid, u->gid, u->gid) != 0 ||
	    setresuid(u->uid, u->uid, u->uid) != 0)
		return -1;
	/* nothing of the agent's: a root task's exec takes the bounding set (the profile's), any other none */
	if (cap_set(0, c->task_caps) != 0)
		return -1;
	return 0;
}

/* In the probe child: what the task will be able to do to the agent (@agent, holding @fd open). */
static int probe_child(const agent_creds *c, pid_t me, int fd)
{
	char path[64];
	int f;

	close(fd); /* its own copy: only the agent's may answer */
	if (creds_become_task(c) != 0)
		return 10;
	/* a root task's exec takes the profile's capabilities: probe with them in effect */
	if (c->task.uid == 0 && cap_set(c->task_caps, c->task_caps) != 0)
		return 11;
	/* its stdout and stderr (the engine's stream: gVisor treats them apart from its own files) and a pipe */
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)me, i < 2 ? i + 1 : fd);
		if ((f = open(path, O_WRONLY | O_CLOEXEC)) >= 0)
			return 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)me);
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) >= 0)
		return 2;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)me);
	if ((f = open(path, O_WRONLY | O_CLOEXEC)) >= 0)
		return 3;
	if (kill(me, 0) == 0)
		return 4;
	return 0;
}

int creds_probe(agent_creds *c)
{
	static const char *const what[] = { "", "write its fds", "open its memory", "write its oom_score_adj",
					    "signal it" };
	pid_t me = getpid(), pid;
	int p[2], status = 0, code;

	if (!c->ok)
		return -1;
	if (pipe2(p, O_CLOEXEC) != 0)
		return refuse(c, "%s: %s", "pipe");
	pid = fork();
	if (pid == 0)
		_exit(probe_child(c, me, p[1]));
	close(p[0]);
	close(p[1]);
	if (pid < 0)
		return refuse(c, "%s: %s", "fork");
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return refuse(c, "%s: %s", "waitpid");
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 100;
	if (code == 0)
		return 0;
	c->ok = 0;
	if (code >= 1 && code <= 4)
		snprintf(c->why, sizeof(c->why),
			 "under this runtime a task running as %u:%u could %s (the agent's uid is its own): "
			 "the task runs cold", (unsigned)c->task.uid, (unsigned)c->task.gid, what[code]);
	else
		snprintf(c->why, sizeof(c->why), "the probe of the task's user failed (%d)", code);
	return -1;
}
