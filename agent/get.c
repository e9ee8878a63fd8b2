/*
 * ecs-agent GET, in the worker (worker.c): write the request's file or
 * directory (recursively) to stdout as a tar stream, names relative to the
 * path's parent ("/tmp/out" answers "out/...", "/" answers its entries).
 * Every entry is opened from its directory's descriptor with O_NOFOLLOW
 * (paths.c); symlinks, fifos, devices and sockets inside a directory are
 * left out. At most L bytes of content in all: a file past the cap is cut
 * (its header carries its real size as a pax ECS.size record) and the
 * answer's EXIT carries TRUNCATED.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "tar.h"

#define DEPTH_MAX 128

typedef struct {
	const get_job *job;
	uint64_t left;        /* content bytes the cap still allows */
	int truncated;
	char name[ECS_TAR_NAME_MAX + 1];
	unsigned char buf[65536];
} pack;

static int fail(const pack *g, int err, const char *what)
{
	worker_status(err, 0, "ecs-agent: GET %s%s%s: %s", g->job->path, g->name[0] ? " at " : "", g->name,
		      what != NULL ? what : strerror(err));
	return 1;
}

static int out(pack *g, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n > 0) {
		ssize_t w = write(1, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail(g, w < 0 ? errno : EIO, "the reader went away");
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int header(pack *g, unsigned type, const struct stat *st, uint64_t size)
{
	unsigned char h[ECS_TAR_HEADER_MAX];
	ecs_tar_entry e = { .name = g->name, .type = type, .mode = st->st_mode & 0777, .size = size,
			    .real_size = type == ECS_TAR_FILE ? (uint64_t)st->st_size : 0 };
	size_t n;

	if (ecs_tar_header(h, sizeof(h), &n, &e) != 0)
		return fail(g, EINVAL, "a name tar cannot carry");
	return out(g, h, n);
}

static int file(pack *g, int fd, const struct stat *st)
{
	uint64_t size = (uint64_t)st->st_size, want = size < g->left ? size : g->left, sent = 0;
	static const unsigned char zero[ECS_TAR_BLOCK];

	if (want < size)
		g->truncated = 1;
	if (header(g, ECS_TAR_FILE, st, want) != 0)
		return 1;
	g->left -= want;
	while (sent < want) {
		size_t k = want - sent < sizeof(g->buf) ? (size_t)(want - sent) : sizeof(g->buf);
		ssize_t n = read(fd, g->buf, k);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(g, errno, NULL);
		if (n == 0) {
			/* the file shrank since its header: zeros keep the stream whole */
			memset(g->buf, 0, k);
			n = (ssize_t)k;
		}
		if (out(g, g->buf, (size_t)n) != 0)
			return 1;
		sent += (uint64_t)n;
	}
	return out(g, zero, ecs_tar_pad(want));
}

static int tree(pack *g, int fd, const struct stat *st, int depth);

/* The entries of directory @fd, each opened with O_NOFOLLOW from it. */
static int dir(pack *g, int fd, int depth)
{
	size_t base = strlen(g->name);
	int dfd = dup(fd), rc = 0;
	DIR *d;
	struct dirent *de;

	if (depth > DEPTH_MAX)
		return fail(g, EINVAL, "directories nested too deep");
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		return fail(g, errno, NULL);
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		struct stat cst;
		int cfd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(fd, de->d_name, &cst, AT_SYMLINK_NOFOLLOW) != 0 ||
		    (!S_ISREG(cst.st_mode) && !S_ISDIR(cst.st_mode)))
			continue; /* gone, or a symlink, fifo, device, socket: left out */
		if (base + (base ? 1 : 0) + strlen(de->d_name) > ECS_TAR_NAME_MAX) {
			rc = fail(g, ENAMETOOLONG, NULL);
			break;
		}
		snprintf(g->name + base, sizeof(g->name) - base, "%s%s", base ? "/" : "", de->d_name);
		cfd = openat(fd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (cfd < 0) {
			rc = fail(g, errno, NULL);
			break;
		}
		if (fstat(cfd, &cst) == 0 && (S_ISREG(cst.st_mode) || S_ISDIR(cst.st_mode)))
			rc = tree(g, cfd, &cst, depth + 1);
		close(cfd);
		g->name[base] = '\0';
	}
	if (rc == 0 && errno != 0)
		rc = fail(g, errno, NULL);
	closedir(d);
	return rc;
}

static int tree(pack *g, int fd, const struct stat *st, int depth)
{
	if (S_ISREG(st->st_mode))
		return file(g, fd, st);
	if (g->name[0] != '\0' && header(g, ECS_TAR_DIR, st, 0) != 0)
		return 1;
	return dir(g, fd, depth);
}

int get_pack(void *arg)
{
	static pack g;
	static const unsigned char end[ECS_TAR_END_LEN];
	const char *what, *slash;
	struct stat st;
	int fd;

	memset(&g, 0, sizeof(g));
	g.job = arg;
	g.left = g.job->limit;
	fd = paths_open(g.job->roots, g.job->path, 0, 0, &what);
	if (fd < 0)
		return fail(&g, -fd, what[0] ? what : NULL);
	if (fstat(fd, &st) != 0)
		return fail(&g, errno, NULL);
	/* names relative to the parent: the last component, or nothing for "/" */
	slash = strrchr(g.job->path, '/');
	snprintf(g.name, sizeof(g.name), "%s", slash + 1);
	if (tree(&g, fd, &st, 0) != 0)
		return 1;
	close(fd);
	if (out(&g, end, sizeof(end)) != 0)
		return 1;
	worker_status(0, g.truncated ? ECS_AGENT_EXIT_TRUNCATED : 0, "%s", "");
	return 0;
}
