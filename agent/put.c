/*
 * ecs-agent PUT, in the worker (worker.c): unpack the tar stream on stdin
 * into the request's directory, made when missing. Only regular files and
 * directories (agent/tar.c refuses everything else, and "..", absolute
 * names and empty components); every entry is reached from the target's
 * descriptor one component at a time with O_NOFOLLOW (paths.c), so a
 * symlink an earlier command planted anywhere on the way is refused, and
 * an existing symlink at the target is never followed (O_NOFOLLOW on the
 * create). Modes are the entry's & 0777.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "tar.h"

typedef struct {
	const put_job *job;
	int dir;                /* the target directory */
	int fd;                 /* the file being written, -1 */
	char name[ECS_TAR_NAME_MAX + 1];
} unpack;

static int fail(const unpack *u, int err, const char *name, const char *what)
{
	worker_status(err, 0, "ecs-agent: PUT %s%s%s: %s", u->job->dir, name[0] ? "/" : "", name,
		      what != NULL ? what : strerror(err));
	return 1;
}

/*
 * Open the directory holding @name's last component (made, with its
 * parents, when missing), and point *@last at that component. An fd or -errno.
 */
static int parent_of(const unpack *u, const char *name, const char **last)
{
	char comp[ECS_TAR_NAME_MAX + 1];
	const char *p = name, *slash;
	int fd = dup(u->dir);

	if (fd < 0)
		return -errno;
	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);
		int next;

		memcpy(comp, p, n);
		comp[n] = '\0';
		next = paths_dir_at(fd, comp, 1, 0755);
		close(fd);
		if (next < 0)
			return next;
		fd = next;
		p = slash + 1;
	}
	*last = p;
	return fd;
}

static int entry(unpack *u, const ecs_tar_entry *e)
{
	const char *last = e->name;
	struct stat st;
	int parent = parent_of(u, e->name, &last), fd;

	snprintf(u->name, sizeof(u->name), "%s", e->name);
	if (parent < 0)
		return fail(u, -parent, u->name, parent == -ELOOP ? "a symbolic link on the way" : NULL);
	if (e->type == ECS_TAR_DIR) {
		fd = paths_dir_at(parent, last, 1, 0700);
		close(parent);
		if (fd < 0)
			return fail(u, -fd, u->name, fd == -ELOOP ? "a symbolic link" : NULL);
		/* an existing directory that is not ours keeps its mode */
		if (fchmod(fd, e->mode & 0777) != 0 && errno != EPERM)
			return fail(u, errno, u->name, NULL);
		close(fd);
		return 0;
	}
	/* O_NOFOLLOW: an existing symlink is refused, not followed; O_NONBLOCK: a fifo cannot hold us */
	fd = openat(parent, last, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0) {
		int err = errno;
		int lnk = fstatat(parent, last, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);

		close(parent);
		return fail(u, lnk ? ELOOP : err, u->name, lnk ? "a symbolic link" : NULL);
	}
	close(parent);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(u, EINVAL, u->name, "not a regular file");
	}
	fcntl(fd, F_SETFL, 0);
	if (fchmod(fd, e->mode & 0777) != 0) {
		int err = errno;

		close(fd);
		return fail(u, err, u->name, NULL);
	}
	u->fd = fd;
	return 0;
}

static int content(unpack *u, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(u->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fail(u, errno, u->name, NULL);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The raw name of the header the parser refused, for the message. */
static void refused_name(const ecs_tar_parser *p, char *out, size_t size)
{
	if (p->has_path)
		snprintf(out, size, "%s", p->pax_path);
	else
		snprintf(out, size, "%.100s", (const char *)p->block);
}

int put_unpack(void *arg)
{
	static unsigned char buf[65536];
	static ecs_tar_parser p;
	unpack u = { .job = arg, .fd = -1 };
	const char *what;
	int rc = 0;

	u.dir = paths_open(u.job->roots, u.job->dir, 1, 1, &what);
	if (u.dir < 0)
		return fail(&u, -u.dir, "", what[0] ? what : NULL);
	ecs_tar_parser_init(&p);
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));
		const unsigned char *b = buf;
		size_t left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		left = (size_t)n;
		while (rc == 0) {
			ecs_tar_event ev;
			int prc = ecs_tar_parse(&p, &b, &left, &ev);

			if (prc != 0) {
				char raw[ECS_TAR_NAME_MAX + 1];

				refused_name(&p, raw, sizeof(raw));
				worker_status(EINVAL, 0,
					      "ecs-agent: PUT %s: tar entry \"%s\" refused: only regular files and "
					      "directories with relative names, no '.', '..' or empty component (%s)",
					      u.job->dir, raw, ecs_agent_strerror(prc));
				return 1;
			}
			if (ev.type == ECS_TAR_EV_NONE)
				break;
			if (ev.type == ECS_TAR_EV_ENTRY)
				rc = entry(&u, ev.entry);
			else if (ev.type == ECS_TAR_EV_DATA)
				rc = content(&u, ev.data, ev.len);
			else if (ev.type == ECS_TAR_EV_FILE_END && u.fd >= 0) {
				if (close(u.fd) != 0)
					rc = fail(&u, errno, u.name, NULL);
				u.fd = -1;
			}
		}
		if (rc != 0)
			return rc;
	}
	if (ecs_tar_parse_finish(&p) != 0) {
		worker_status(EINVAL, 0, "ecs-agent: PUT %s: the tar stream ended before its end blocks", u.job->dir);
		return 1;
	}
	worker_status(0, 0, "%s", "");
	return 0;
}
