/*
 * ecs-agent paths: where PUT and GET may reach. A path must lie under one
 * of the writable roots the container was made with (-w, the profile's
 * tmpfs mounts and /tmp, or / with a writable root), and it is opened
 * component by component from / with O_NOFOLLOW: no ".", ".." or empty
 * component, and no symlink anywhere on the way, also not one a command of
 * an earlier exec planted (`ln -s /etc /tmp/l`). Files and directories
 * below the opened directory are reached the same way (put.c, get.c), so
 * nothing is ever resolved by the kernel's own walk of a name a task could
 * have shaped. The workers run as the task's user: confinement here is
 * what the API promises; the task's user is what the kernel enforces.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

/* Absolute; components neither empty, "." nor ".."; a trailing '/' only for "/" itself. */
static int clean(const char *path)
{
	size_t n = strlen(path), i = 1;

	if (n == 0 || path[0] != '/' || n >= ECS_AGENT_PATH_MAX)
		return 0;
	if (n == 1)
		return 1;
	while (i <= n) {
		size_t j = i;

		while (j < n && path[j] != '/')
			j++;
		if (j == i || (j - i == 1 && path[i] == '.') || (j - i == 2 && path[i] == '.' && path[i + 1] == '.'))
			return 0;
		i = j + 1;
	}
	return 1;
}

int roots_add(agent_roots *roots, const char *path)
{
	if (roots->n == AGENT_ROOTS_MAX || !clean(path))
		return -1;
	roots->path[roots->n++] = path;
	return 0;
}

/* @path equal to a root, or below one (compared by components). */
static int under_root(const agent_roots *roots, const char *path)
{
	for (size_t i = 0; i < roots->n; i++) {
		const char *r = roots->path[i];
		size_t n = strlen(r);

		if (strcmp(r, "/") == 0)
			return 1;
		if (strncmp(path, r, n) == 0 && (path[n] == '\0' || path[n] == '/'))
			return 1;
	}
	return 0;
}

/* Why openat(O_NOFOLLOW) of @name under @dirfd failed, as the protocol names it: a symlink is ELOOP. */
static int walk_errno(int dirfd, const char *name, int err)
{
	struct stat st;

	if ((err == ELOOP || err == ENOTDIR || err == EMLINK) && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		return ELOOP;
	return err;
}

int paths_dir_at(int dirfd, const char *name, int create, unsigned mode)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, mode) != 0 && errno != EEXIST)
			return -errno;
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd < 0 ? -walk_errno(dirfd, name, errno) : fd;
}

int paths_open(const agent_roots *roots, const char *path, int create, int want_dir, const char **what)
{
	char comp[ECS_AGENT_PATH_MAX];
	const char *p = path + 1;
	int fd;

	*what = "";
	if (!clean(path)) {
		*what = "a relative path, or a '.', '..' or empty component";
		return -EINVAL;
	}
	if (!under_root(roots, path)) {
		*what = "outside the writable mounts";
		return -EXDEV;
	}
	if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		int next, last = slash == NULL;
		struct stat st;

		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n + (slash ? 1 : 0);
		if (last && !want_dir) {
			/* a file or a directory, nothing else, and never through a symlink */
			if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) != 0) {
				next = -errno;
			} else if (S_ISLNK(st.st_mode)) {
				next = -ELOOP;
			} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
				*what = "not a regular file or a directory";
				next = -EINVAL;
			} else {
				next = openat(fd, comp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
				next = next < 0 ? -walk_errno(fd, comp, errno) : next;
			}
		} else {
			next = paths_dir_at(fd, comp, create, 0755);
		}
		close(fd);
		if (next < 0) {
			if (next == -ELOOP)
				*what = "a symbolic link on the way";
			return next;
		}
		fd = next;
	}
	return fd;
}
