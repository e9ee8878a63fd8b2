/*
 * ecs-agent: PID 1 of every container ecs runs (cold, pooled, session). It
 * serves requests on stdin one after another: EXEC runs a command with its
 * stdin relayed from the request's chunks and its stdout and stderr framed
 * on the agent's stdout; PUT and GET move files in and out as tar streams;
 * each answer ends with an exit record. The protocol is agent/PROTOCOL.md.
 *
 * Exit status of the agent itself, when stdin ends between requests: the
 * last command's (128 + signal when a signal ended it; 0 when none ran),
 * 125 when it never ran or a request broke the protocol, 128 + signal when
 * the container was stopped while the agent waited for a request.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "read_full.h"

#define EXIT_NOT_RUN 125

static int proto_errno(int rc)
{
	return rc == ECS_AGENT_ENOMEM ? ENOMEM : rc == ECS_AGENT_ETOOBIG ? E2BIG : EPROTO;
}

/*
 * Requests until stdin ends between two of them (the agent then exits with
 * the last command's status) or breaks the protocol (MESSAGE + EXIT FAILED
 * EPROTO, and the agent ends: nothing after a broken request can be read).
 */
static int serve(agent *a, const agent_creds *creds, const agent_roots *roots, const char *home)
{
	static agent_in in;
	int last = 0, rc;

	in_init(&in);
	for (;;) {
		rc = in_wait_request(a, &in);
		if (rc == 1) {
			rc = last;
			break;
		}
		if (rc > 128) /* stopped while waiting: no one to report to */
			break;
		if (rc == 0) {
			if (in.r.req.kind == ECS_AGENT_REQ_EXEC)
				rc = exec_request(a, &in, creds, home, &last);
			else
				rc = files_request(a, &in, creds, roots);
		}
		if (rc != 0) {
			report_failed(a, proto_errno(rc), "ecs-agent: bad request: %s%s", ecs_agent_strerror(rc),
				      in.eof && ecs_agent_reader_eof(&in.r) != 0 ? " (stdin ended inside it)" : "");
			rc = EXIT_NOT_RUN;
			break;
		}
		ecs_agent_reader_done(&in.r);
	}
	in_clear(&in);
	return rc;
}

/* The whole of a small file (/etc/passwd, /etc/group), or NULL when there is none. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 1u << 20;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0)
		return NULL;
	if ((buf = malloc(cap + 1)) != NULL) {
		*len = ecs_read_full(fd, buf, cap);
		buf[*len] = '\0';
	}
	close(fd);
	return buf;
}

/*
 * Arguments (set by libecs, agent/PROTOCOL.md): -u SPEC, the task's user as
 * the engine would take it (the profile's user, else the image's, "" for
 * root); -h: the image sets no HOME, so the task gets its user's (as the
 * engine's runtime sets it); -w PATH, repeated: the writable roots PUT and
 * GET may reach; -c PATH: the reader's direct channel (channel.c). Resolve
 * the user, then leave root for AGENT_ID.
 */
static void setup_creds(agent_creds *c, agent_roots *roots, int argc, char **argv, char *home, size_t home_size,
			const char **channel)
{
	const char *spec = NULL;
	char *passwd, *group;
	size_t plen, glen;
	agent_user u;
	int set_home = 0, rc;

	home[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-u") == 0 && i + 1 < argc) {
			spec = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0) {
			set_home = 1;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			*channel = argv[++i];
		} else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) {
			if (roots_add(roots, argv[++i]) != 0) {
				snprintf(c->why, sizeof(c->why), "bad writable root %.64s", argv[i]);
				return;
			}
		} else {
			snprintf(c->why, sizeof(c->why), "unknown argument %.64s", argv[i]);
			return;
		}
	}
	if (spec == NULL) {
		snprintf(c->why, sizeof(c->why), "started without the task's user (-u)");
		return;
	}
	passwd = slurp("/etc/passwd", &plen);
	group = slurp("/etc/group", &glen);
	rc = agent_user_resolve(&u, spec, passwd, plen, group, glen);
	free(passwd);
	free(group);
	if (rc != 0) {
		snprintf(c->why, sizeof(c->why), "unable to find user %.64s: %s", spec, agent_user_strerror(rc));
		return;
	}
	if (creds_become_agent(c, &u) == 0 && creds_probe(c) == 0 && set_home)
		snprintf(home, home_size, "HOME=%s", u.home);
}

int main(int argc, char **argv)
{
	agent a = { .sigfd = -1 };
	agent_creds creds;
	agent_roots roots = { .n = 0 };
	char home[AGENT_USER_MAX_HOME + 8];
	const char *channel = NULL;
	int rc;

	memset(&creds, 0, sizeof(creds));
	setup_creds(&creds, &roots, argc, argv, home, sizeof(home), &channel);
	/* without a uid of its own no task runs; non-dumpable then, as before (creds.c says why it is dumpable otherwise) */
	if (!creds.ok)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (signals_setup(&a) != 0)
		return EXIT_NOT_RUN;
	if (channel != NULL && (rc = channel_pick(&a, channel)) != 0)
		return rc;
	fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	return serve(&a, &creds, &roots, home[0] ? home : NULL);
}
