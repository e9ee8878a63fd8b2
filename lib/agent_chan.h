/*
 * Private: the direct channel to a container's ecs-agent
 * (agent/PROTOCOL.md, "The direct channel"). The pool (for a warm
 * container) or the cold backend (for a task's own) listens on a unix
 * socket in a directory of the container's own, bind-mounted read-only at
 * ECS_AGENT_CHAN_MOUNT; the agent connects when it starts, and the task
 * talks to the agent through the kernel alone instead of the engine's
 * attach stream (dockerd, the shim and the FIFOs between: about 4 ms per
 * request here, and the engine's CPU).
 *
 * Only the container's agent is taken: the peer (SO_PEERCRED) must have
 * the agent's own uid and gid (ECS_AGENT_UID: on the host only root can take
 * it, and the socket is in no other container) and, where /proc shows it to
 * us, be PID 1 of its namespace in the container's cgroup. The listener is
 * closed and its directory removed once the agent is in (or
 * the wait is over), so nothing that runs in the container later can
 * connect. Needs the engine on this host (a unix:// endpoint) and a runtime
 * whose containers can reach a host socket (runc; not gVisor's runsc): where
 * the agent does not come, the caller uses the attach stream, which the
 * agent keeps serving.
 */
#ifndef ECS_AGENT_CHAN_H
#define ECS_AGENT_CHAN_H

/*
 * Where the channel's directory appears in the container, the socket's name
 * in a task's directory there, and the socket the agent connects to.
 */
#define ECS_AGENT_CHAN_MOUNT "/.ecs/chan"
#define ECS_AGENT_CHAN_SOCKET_NAME "a"
#define ECS_AGENT_CHAN_SOCKET ECS_AGENT_CHAN_MOUNT "/" ECS_AGENT_CHAN_SOCKET_NAME

/*
 * How long to wait for an agent on its direct channel after the start's
 * answer: it connects as it starts, a few ms later on a quiet machine, more
 * under load. Past this the caller attaches, and the agent serves stdin.
 */
#define ECS_AGENT_CHAN_WAIT_MS 2000
/*
 * How long a caller offers no channel after one was refused (an engine that
 * cannot see the directory) or its agent did not come: long enough not to
 * pay the wait on every container, short enough that a moment of load does
 * not cost the channel for good.
 */
#define ECS_AGENT_CHAN_RETRY_MS 60000

typedef struct ecs_agent_chan ecs_agent_chan;

/**
 * ecs_agent_chan_listen - make directory @dir/@name (0711: the agent, a uid
 * without capabilities over files, must pass; nobody may list it) and listen
 * on the socket "a" in it (0666). @dir must exist. Returns 0, or -1 with
 * errno (ENAMETOOLONG when the socket's path does not fit sun_path).
 */
int ecs_agent_chan_listen(ecs_agent_chan **out, const char *dir, const char *name);

/** The directory to bind-mount read-only at ECS_AGENT_CHAN_MOUNT. */
const char *ecs_agent_chan_dir(const ecs_agent_chan *ch);

/**
 * ecs_agent_chan_accept - wait until @deadline_ms (ecs_clock_ms()) for the
 * agent of container @container_id (its full id) to connect; a connection
 * from any other process is closed. Then the listener is closed and its
 * socket and directory removed, whatever the outcome. Returns the connected
 * socket (the caller's, CLOEXEC), or -1: none came in time.
 */
int ecs_agent_chan_accept(ecs_agent_chan *ch, const char *container_id, long long deadline_ms);

/** Close the listener, remove its socket and directory (if still there) and free. NULL is allowed. */
void ecs_agent_chan_free(ecs_agent_chan *ch);

/**
 * ecs_agent_chan_peer_ok - 1 when a peer with @pid, @uid and @gid may be
 * the agent of container @container_id: the agent's ids, and /proc shows it
 * as ecs_agent_chan_proc_says() wants or does not show it at all (systemd's
 * ProtectProc=invisible hides other users' processes); else 0.
 */
int ecs_agent_chan_peer_ok(int pid, unsigned int uid, unsigned int gid, const char *container_id);

/**
 * ecs_agent_chan_proc_says - what /proc says of process @pid (in our pid
 * namespace): 1 it is PID 1 of its own namespace and in the cgroup of
 * container @container_id (its full 64-digit id), 0 it is not (or @pid or
 * the id cannot be one), -1 /proc does not show it to us.
 */
int ecs_agent_chan_proc_says(int pid, const char *container_id);

#endif
