/*
 * libecs: instance liveness by flock(2) (see ecs/instance.h).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ecs/ecs.h>
#include "agent_chan.h"
#include "ids.h"
#include "instance_private.h"

#define MAX_ID 64u

struct ecs_instance {
	char id[ECS_ID_SIZE];
	char *path;
	int fd;
};

/* An id names a file in the instance directory: never "." or "..". */
static int id_valid(const char *id)
{
	return ecs_id_chars_ok(id, MAX_ID) && strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
}

static char *lock_path(const char *dir, const char *id)
{
	char *path = NULL;

	if (asprintf(&path, "%s/%s.lock", dir, id) < 0)
		return NULL;
	return path;
}

/* mkdir -p, 0755; 0 or -1 with errno. */
static int make_dirs(const char *dir)
{
	char *copy = strdup(dir);
	int rc = 0;

	if (copy == NULL)
		return -1;
	for (char *p = copy + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST)
			rc = -1;
		*p = c;
		if (c == '\0')
			break;
	}
	free(copy);
	return rc;
}

int ecs_instance_claim(ecs_instance **out, const char *dir)
{
	ecs_instance *in;

	if (out == NULL)
		return ECS_EINVAL;
	*out = NULL;
	if (dir == NULL || dir[0] != '/')
		return ECS_EINVAL;
	if (make_dirs(dir) != 0)
		return ECS_ERROR;
	in = calloc(1, sizeof(*in));
	if (in == NULL)
		return ECS_ENOMEM;
	in->fd = -1;
	if (ecs_id_generate(in->id, sizeof(in->id)) != 0)
		goto fail;
	in->path = lock_path(dir, in->id);
	if (in->path == NULL) {
		free(in);
		return ECS_ENOMEM;
	}
	in->fd = open(in->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (in->fd < 0 || flock(in->fd, LOCK_EX | LOCK_NB) != 0)
		goto fail;
	*out = in;
	return ECS_OK;
fail:
	ecs_instance_free(in);
	return ECS_ERROR;
}

const char *ecs_instance_id(const ecs_instance *in)
{
	return in != NULL ? in->id : "";
}

void ecs_instance_free(ecs_instance *in)
{
	if (in == NULL)
		return;
	/* Unlink first, still holding the lock: a sweep never sees an unheld file of a live instance. */
	if (in->fd >= 0) {
		unlink(in->path);
		close(in->fd);
	}
	free(in->path);
	free(in);
}

ecs_instance_state_t ecs_instance_state(const char *dir, const char *id)
{
	ecs_instance_state_t st;
	char *path;
	int fd;

	if (dir == NULL || !id_valid(id))
		return ECS_INSTANCE_UNKNOWN;
	path = lock_path(dir, id);
	if (path == NULL)
		return ECS_INSTANCE_UNKNOWN;
	/* Read-only is enough for flock, and never creates a file for an id we only heard of. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return ECS_INSTANCE_UNKNOWN;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		st = ECS_INSTANCE_DEAD;
		flock(fd, LOCK_UN);
	} else {
		st = errno == EWOULDBLOCK ? ECS_INSTANCE_ALIVE : ECS_INSTANCE_UNKNOWN;
	}
	close(fd);
	return st;
}

/* Remove @dir/@name, a task's channel directory (its socket in it) or a stray file; 0 or -1 with errno. */
static int remove_channel_entry(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOTDIR || errno == ELOOP ? unlinkat(dirfd, name, 0) : -1;
	if (unlinkat(fd, ECS_AGENT_CHAN_SOCKET_NAME, 0) != 0 && errno != ENOENT) {
		close(fd);
		return -1;
	}
	close(fd);
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* rm -r of an instance's channel directory, two levels deep as the pool and the cold backend make it. */
static int remove_channel_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = 0, err = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_channel_entry(dirfd(d), de->d_name) != 0 && errno != ENOENT) {
			rc = -1;
			err = errno;
		}
	}
	closedir(d);
	if (rmdir(path) != 0 && errno != ENOENT) {
		rc = -1;
		err = errno;
	}
	errno = err;
	return rc;
}

int ecs_instance_forget(const char *dir, const char *id, int keep_lock)
{
	char *lock = NULL, *chan = NULL;
	int fd = -1, rc = 1, err = 0;

	if (dir == NULL || !id_valid(id))
		return 1;
	if ((lock = lock_path(dir, id)) == NULL || asprintf(&chan, "%s/%s.chan", dir, id) < 0) {
		free(lock);
		errno = ENOMEM;
		return -1;
	}
	fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		/* held until close: the instance is dead, and nobody else forgets it meanwhile */
		rc = remove_channel_dir(chan);
		err = errno;
		if (!keep_lock && unlink(lock) != 0 && errno != ENOENT) {
			rc = -1;
			err = errno;
		}
	}
	if (fd >= 0)
		close(fd);
	free(lock);
	free(chan);
	errno = err;
	return rc;
}
