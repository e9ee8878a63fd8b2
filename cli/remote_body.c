/* remote_body.c - the POST /v1.1/tasks body of an ecs-run --endpoint task (see remote_body.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base64.h"
#include "remote_body.h"

/* Files bigger than this are not sent: the service's body limit is far below it anyway. */
#define FILE_MAX (64u * 1024u * 1024u)

/*
 * The body is built with one rule: a member that cannot be made or added
 * marks the build bad (*@bad) and every later one is dropped, so the
 * builder reads as the list of members and json-c's out-of-memory is
 * checked once, at the end.
 */
static void add(json_object *o, const char *key, json_object *value, int *bad)
{
	if (*bad || value == NULL || json_object_object_add(o, key, value) != 0) {
		json_object_put(value);
		*bad = 1;
	}
}

static json_object *strings(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		json_object *s = json_object_new_string(v[i]);

		if (s == NULL || json_object_array_add(a, s) != 0) {
			json_object_put(s);
			json_object_put(a);
			a = NULL;
		}
	}
	return a;
}

static json_object *b64(const unsigned char *data, size_t len)
{
	char *s = NULL;
	json_object *o;

	if (base64_encode(&s, data, len) != 0)
		return NULL;
	o = json_object_new_string(s);
	free(s);
	return o;
}

/* The whole regular file at @path, with its permission bits. */
static int slurp(const char *path, unsigned char **data, size_t *len, unsigned *mode, char *why, size_t why_len)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "%s: not a regular file", path);
		goto fail;
	}
	if ((uint64_t)st.st_size > FILE_MAX) {
		snprintf(why, why_len, "%s: bigger than %u bytes", path, FILE_MAX);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		snprintf(why, why_len, "%s: out of memory", path);
		goto fail;
	}
	while (n < (size_t)st.st_size) {
		ssize_t got = read(fd, buf + n, (size_t)st.st_size - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			snprintf(why, why_len, "%s: %s", path, got < 0 ? strerror(errno) : "shorter than its size");
			goto fail;
		}
		n += (size_t)got;
	}
	close(fd);
	*data = buf;
	*len = n;
	*mode = (unsigned)st.st_mode & 0777;
	return 0;
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	return -1;
}

static json_object *files(const remote_task *t, char *why, size_t why_len)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a != NULL && i < t->files_len; i++) {
		unsigned char *data = NULL;
		size_t len = 0;
		unsigned mode = 0;
		json_object *f = NULL;
		int bad;

		if (slurp(t->files[i].local, &data, &len, &mode, why, why_len) != 0) {
			json_object_put(a);
			return NULL;
		}
		bad = (f = json_object_new_object()) == NULL;

		add(f, "path", json_object_new_string(t->files[i].path), &bad);
		add(f, "content", b64(data, len), &bad);
		add(f, "mode", json_object_new_int((int)mode), &bad);
		free(data);
		if (bad || json_object_array_add(a, f) != 0) {
			json_object_put(f);
			json_object_put(a);
			snprintf(why, why_len, "out of memory");
			return NULL;
		}
	}
	return a;
}

static json_object *limits(const remote_task *t, int *bad)
{
	json_object *l = json_object_new_object();

	if (l == NULL)
		return NULL;
	if (t->memory != 0)
		add(l, "memory", json_object_new_int64(t->memory), bad);
	if (t->cpus != 0)
		add(l, "cpus", json_object_new_double(t->cpus), bad);
	if (t->pids != 0)
		add(l, "pids", json_object_new_int64(t->pids), bad);
	return l;
}

static json_object *creds(const remote_task *t, int *bad)
{
	json_object *c = json_object_new_object();

	if (c == NULL)
		return NULL;
	/* the v1.1 body wants all three; an e-mail the registry ignores */
	add(c, "username", json_object_new_string(t->creds_user), bad);
	add(c, "password", json_object_new_string(t->creds_password ? t->creds_password : ""), bad);
	add(c, "email", json_object_new_string(t->creds_email ? t->creds_email : ""), bad);
	return c;
}

char *remote_body(const remote_task *t, char *why, size_t why_len)
{
	json_object *o = json_object_new_object();
	char *text = NULL;
	const char *s;
	int bad = o == NULL;

	snprintf(why, why_len, "out of memory");
	add(o, "docker_image", json_object_new_string(t->image), &bad);
	add(o, "cmd", strings(t->cmd, t->cmd_len), &bad);
	if (t->env_len > 0)
		add(o, "env", strings(t->env, t->env_len), &bad);
	if (t->has_stdin)
		add(o, "stdin", b64(t->stdin_data, t->stdin_len), &bad);
	if (t->timeout_s > 0)
		add(o, "timeout", json_object_new_int64(t->timeout_s), &bad);
	if (t->memory != 0 || t->cpus != 0 || t->pids != 0)
		add(o, "limits", limits(t, &bad), &bad);
	if (t->creds_user != NULL)
		add(o, "creds", creds(t, &bad), &bad);
	if (t->network != NULL)
		add(o, "network", json_object_new_string(t->network), &bad);
	if (t->user != NULL)
		add(o, "user", json_object_new_string(t->user), &bad);
	if (t->runtime != NULL)
		add(o, "runtime", json_object_new_string(t->runtime), &bad);
	if (t->artifacts_len > 0)
		add(o, "artifacts", strings(t->artifacts, t->artifacts_len), &bad);
	if (!bad && t->files_len > 0) {
		json_object *f = files(t, why, why_len);

		bad = f == NULL;
		add(o, "files", f, &bad);
	}
	if (!bad && (s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) != NULL)
		text = strdup(s);
	json_object_put(o);
	return text;
}
