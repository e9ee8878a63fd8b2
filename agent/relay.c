/*
 * ecs-agent relay: while a request's child runs (a command, or the worker
 * of a PUT or GET), move bytes both ways: chunks from stdin into the
 * child's pipe, the child's pipes out as frames, as the bytes arrive. A
 * cancel or the request's deadline kills the child. Once the child was
 * reaped, for a command every other process in the container is killed
 * too (as the kernel does when a container's PID 1 exits), and the pipes are
 * drained to EOF: all a process wrote before it died is delivered, and
 * nothing can be written after the exit record. The answer's EXIT waits for
 * the request's last chunk, so the next request starts on a clean stream.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "agent.h"
#include "clock.h"

#define DRAIN_MS 2000 /* after the kill: a process stuck in the kernel cannot hold the exit record */

static unsigned char buf[ECS_AGENT_DATA_MAX];

/* Read once from *fd; frame what came; close it at EOF or error. */
static void pump(agent *a, int *fd, unsigned type)
{
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	if (out_frame(a, type, buf, (size_t)n) != 0) {
		/* nobody can hear the child any more: end it */
		if (!a->child_done)
			kill(a->child, SIGKILL);
	}
}

static void kill_rest(agent *a)
{
	/* as PID 1, kill(-1) reaches every other process of the container */
	if (getpid() == 1)
		kill(-1, SIGKILL);
	else
		kill(-a->child, SIGKILL);
}

static void kill_child(agent *a)
{
	if (!a->child_done)
		kill(a->child, SIGKILL);
}

/* The pending chunk bytes into the sink, as far as it takes them; a sink that broke drops the rest. */
static void sink_write(relay_job *job, const unsigned char **pend, size_t *pend_len)
{
	while (*pend_len > 0 && job->sink >= 0) {
		ssize_t w = write(job->sink, *pend, *pend_len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0) {
			/* EPIPE: the child closed its stdin (or ended); what is left is nobody's */
			close(job->sink);
			job->sink = -1;
			break;
		}
		*pend += w;
		*pend_len -= (size_t)w;
	}
	*pend_len = 0;
}

/*
 * Take buffered stdin events while no chunk bytes wait for the sink.
 * Returns 0, or a protocol error.
 */
static int take_input(agent *a, agent_in *in, relay_job *job, relay_outcome *o, const unsigned char **pend,
		      size_t *pend_len, int *complete)
{
	while (*pend_len == 0 && in->len > 0) {
		ecs_agent_rev ev;
		int rc = in_next(in, &ev);

		if (rc != 0)
			return rc;
		switch (ev.type) {
		case ECS_AGENT_REV_CHUNK:
			*pend = ev.data;
			*pend_len = ev.len;
			sink_write(job, pend, pend_len);
			break;
		case ECS_AGENT_REV_END:
			*complete = 1;
			if (job->sink >= 0) {
				close(job->sink); /* the child's EOF */
				job->sink = -1;
			}
			break;
		case ECS_AGENT_REV_CANCEL:
			if (!a->child_done) {
				o->cancelled = 1;
				kill_child(a);
			}
			break;
		default:
			return ECS_AGENT_EPROTO; /* a request inside a request cannot come: the reader says so first */
		}
	}
	return 0;
}

void relay_run(agent *a, agent_in *in, relay_job *job, relay_outcome *o)
{
	const unsigned char *pend = NULL;
	size_t pend_len = 0;
	long long drain_until = 0;
	int complete = ecs_agent_reader_complete(&in->r), rc;

	for (;;) {
		struct pollfd p[5];
		int i, n = 0, timeout = -1, idx[2] = { -1, -1 }, in_idx = -1, sink_idx = -1;
		long long now;

		if ((rc = take_input(a, in, job, o, &pend, &pend_len, &complete)) != 0) {
			o->proto = rc;
			break;
		}
		if (in->eof && in->len == 0 && !complete) {
			/* stdin ended inside the request: no answer can be read after this one */
			o->proto = ECS_AGENT_EPROTO;
			break;
		}
		now = ecs_clock_ms();
		if (job->deadline != 0 && !a->child_done) {
			if (now >= job->deadline) {
				/* reaped already (its SIGCHLD not read yet)? then it ended by itself */
				signals_handle(a);
				if (!a->child_done) {
					o->timed_out = 1;
					kill_child(a);
				}
				job->deadline = 0;
			} else {
				timeout = (int)(job->deadline - now);
			}
		}
		if (a->child_done && drain_until == 0) {
			if (job->kill_rest)
				kill_rest(a);
			drain_until = now + DRAIN_MS;
		}
		if (drain_until != 0) {
			long long left = drain_until - now;

			if ((job->src[0] < 0 && job->src[1] < 0) || left <= 0) {
				if (complete)
					break;
				timeout = -1; /* drained: only the rest of the request's chunks now */
				for (i = 0; i < 2; i++)
					if (job->src[i] >= 0) {
						close(job->src[i]);
						job->src[i] = -1;
					}
			} else if (timeout < 0 || left < timeout) {
				timeout = (int)left;
			}
		}
		for (i = 0; i < 2; i++) {
			if (job->src[i] >= 0) {
				idx[i] = n;
				p[n].fd = job->src[i];
				p[n++].events = POLLIN;
			}
		}
		/* stdin while no chunk bytes wait: chunks, then (an EXEC's) one cancel, or EOF */
		if (pend_len == 0 && !in->eof && in->len == 0) {
			in_idx = n;
			p[n].fd = 0;
			p[n++].events = POLLIN;
		}
		if (pend_len > 0 && job->sink >= 0) {
			sink_idx = n;
			p[n].fd = job->sink;
			p[n++].events = POLLOUT;
		}
		p[n].fd = a->sigfd;
		p[n++].events = POLLIN;
		if (poll(p, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			o->proto = ECS_AGENT_EPROTO;
			break;
		}
		for (i = 0; i < 2; i++)
			if (idx[i] >= 0 && (p[idx[i]].revents & (POLLIN | POLLHUP | POLLERR)))
				pump(a, &job->src[i], job->src_type[i]);
		if (sink_idx >= 0 && (p[sink_idx].revents & (POLLOUT | POLLERR | POLLHUP)))
			sink_write(job, &pend, &pend_len);
		if (in_idx >= 0 && (p[in_idx].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
			in_fill(in);
		if (p[n - 1].revents & POLLIN)
			signals_handle(a);
	}
	if (o->proto != 0) {
		/* the stream is broken: nothing of this request may outlive it */
		kill_child(a);
		if (job->kill_rest)
			kill_rest(a);
	}
	for (int i = 0; i < 2; i++)
		if (job->src[i] >= 0) {
			close(job->src[i]);
			job->src[i] = -1;
		}
	if (job->sink >= 0) {
		close(job->sink);
		job->sink = -1;
	}
}
