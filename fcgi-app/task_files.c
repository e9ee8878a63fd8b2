/* task_files.c - a request's files and artifacts, parsed and judged at the edge. See task_files.h. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64.h"
#include "task_files.h"
#include "text.h"

/* Never writable mounts, whatever the root: the kernel's and the engine's. */
static const char *const system_trees[] = { "/proc", "/sys", "/dev" };

static int refuse(task_files_error *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(task_files_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	text_cut(err->message);
	return -1;
}

#define SHAPE(...) refuse(err, "BAD_REQUEST_BODY", __VA_ARGS__)

/*
 * The grammar of a path, libecs's own (ecs_task_path_check(): absolute,
 * every component non-empty and neither "." nor ".."), judged here so the
 * 400 names the member; the words say which rule failed. The agent resolves
 * the same path again, one component at a time without following a symlink.
 */
static int path_ok(const char *p, size_t len, const char *what, task_files_error *err)
{
	char q[144];

	if (len == 0)
		return refuse(err, "PATH_REFUSED", "%s must not be empty", what);
	if (ecs_task_path_check(p, what, NULL, 0) == 0)
		return 0;
	if (len > ECS_TASK_MAX_PATH)
		return refuse(err, "PATH_REFUSED", "%s '%s' is longer than %u bytes", what,
				text_quote(q, sizeof(q), p, 96), ECS_TASK_MAX_PATH);
	if (p[0] != '/')
		return refuse(err, "PATH_REFUSED", "%s '%s' is not an absolute path", what,
				text_quote(q, sizeof(q), p, 128));
	return refuse(err, "PATH_REFUSED",
			"%s '%s' has an empty, '.' or '..' component: name the file by its plain absolute path",
			what, text_quote(q, sizeof(q), p, 128));
}

/* A path member: a string without NUL, then its grammar. */
static int get_path(const char **out, struct json_object *v, const char *what, task_files_error *err)
{
	if (!json_object_is_type(v, json_type_string))
		return SHAPE("%s must be a string", what);
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return SHAPE("%s must not contain NUL characters", what);
	return path_ok(*out, strlen(*out), what, err);
}

/* mode: a JSON integer 0..511, or the same as a string of octal digits ("0755", "644"). */
static int get_mode(unsigned int *out, struct json_object *v, const char *what, task_files_error *err)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t m = json_object_get_int64(v);

		if (m >= 0 && m <= 0777) {
			*out = (unsigned int)m;
			return 0;
		}
	} else if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		size_t n = strlen(s);
		unsigned long m;
		char *end;

		if (n >= 1 && n <= 4 && strspn(s, "01234567") == n && (size_t)json_object_get_string_len(v) == n) {
			m = strtoul(s, &end, 8);
			if (*end == '\0' && m <= 0777) {
				*out = (unsigned int)m;
				return 0;
			}
		}
	}
	return SHAPE("%s must be permission bits 0 to 0777: a whole number (493) or octal digits in a string (\"0755\")",
			what);
}

static int parse_file(ecs_file *f, struct json_object *o, size_t i, task_files_error *err)
{
	struct json_object *v;
	char what[48], q[80];
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return SHAPE("files[%zu] must be an object {\"path\", \"content\", \"mode\"}", i);
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (strcmp(key, "path") != 0 && strcmp(key, "content") != 0 && strcmp(key, "mode") != 0)
			return SHAPE("unknown property 'files[%zu].%s'", i, text_quote(q, sizeof(q), key, 64));
	}
	snprintf(what, sizeof(what), "files[%zu].path", i);
	if (!json_object_object_get_ex(o, "path", &v))
		return SHAPE("%s is required", what);
	if (get_path(&f->path, v, what, err) != 0)
		return -1;
	if (json_object_object_get_ex(o, "content", &v)) {
		unsigned char *data = NULL;
		size_t len = 0;

		if (!json_object_is_type(v, json_type_string))
			return SHAPE("files[%zu].content must be a base64 string", i);
		rc = base64_decode(&data, &len, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		if (rc == -2)
			return -2;
		if (rc != 0)
			return SHAPE("files[%zu].content of '%s' must be standard base64 (with padding)", i,
					text_quote(q, sizeof(q), f->path, 64));
		f->data = data;
		f->len = len;
	}
	if (json_object_object_get_ex(o, "mode", &v)) {
		snprintf(what, sizeof(what), "files[%zu].mode", i);
		if (get_mode(&f->mode, v, what, err) != 0)
			return -1;
	}
	return 0;
}

/*
 * @v is a list of at most ECS_TASK_MAX_FILES entries (of @of, for the
 * message): *@n its length, *@out a zeroed array of as many @elem-byte
 * entries (NULL for none).
 */
static int get_list(void **out, size_t elem, size_t *n, struct json_object *v, const char *what, const char *of,
		task_files_error *err)
{
	if (!json_object_is_type(v, json_type_array))
		return SHAPE("%s must be an array of %s", what, of);
	*n = json_object_array_length(v);
	if (*n > ECS_TASK_MAX_FILES)
		return SHAPE("%s has more than %u elements", what, ECS_TASK_MAX_FILES);
	if (*n == 0)
		return 0;
	*out = calloc(*n, elem);
	return *out == NULL ? -2 : 0;
}

static int parse_files(task_files *tf, struct json_object *files, task_files_error *err)
{
	size_t n = 0, i;
	int rc;

	rc = get_list((void **)&tf->files, sizeof(*tf->files), &n, files, "files",
			"{\"path\", \"content\", \"mode\"} objects", err);
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++) {
		tf->files_len = i + 1; /* what parse_file() decoded is freed on every path */
		rc = parse_file(&tf->files[i], json_object_array_get_idx(files, i), i, err);
		if (rc != 0)
			return rc;
		tf->files_bytes += tf->files[i].len;
	}
	return 0;
}

static int parse_artifacts(task_files *tf, struct json_object *artifacts, task_files_error *err)
{
	size_t n = 0, i;
	int rc;

	tf->has_artifacts = 1;
	rc = get_list((void **)&tf->artifacts, sizeof(*tf->artifacts), &n, artifacts, "artifacts", "absolute paths", err);
	if (rc != 0)
		return rc;
	tf->artifacts_len = n;
	for (i = 0; i < n; i++) {
		char what[32];

		snprintf(what, sizeof(what), "artifacts[%zu]", i);
		if (get_path(&tf->artifacts[i], json_object_array_get_idx(artifacts, i), what, err) != 0)
			return -1;
	}
	return 0;
}

int task_files_parse(task_files *out, struct json_object *files, struct json_object *artifacts,
		task_files_error *err)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (files != NULL)
		rc = parse_files(out, files, err);
	if (rc == 0 && artifacts != NULL)
		rc = parse_artifacts(out, artifacts, err);
	if (rc != 0)
		task_files_clear(out);
	return rc;
}

/* @path is @dir itself (when @self_ok) or below it; @dir may end in '/'. */
static int is_under(const char *path, const char *dir, int self_ok)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[1] != '\0' || self_ok;
	if (strncmp(path, dir, n) != 0)
		return 0;
	return path[n] == '/' ? path[n + 1] != '\0' : (path[n] == '\0' && self_ok);
}

/*
 * Under a writable mount: a file strictly below one (it cannot replace
 * the mount point), an artifact at one or below it.
 */
static int writable(const char *path, const ecs_sandbox_profile *p, int self_ok)
{
	size_t i;

	if (p->writable_root) {
		for (i = 0; i < sizeof(system_trees) / sizeof(system_trees[0]); i++)
			if (is_under(path, system_trees[i], 1))
				return 0;
		return 1;
	}
	if (is_under(path, "/tmp", self_ok))
		return 1;
	for (i = 0; i < p->tmpfs_len; i++)
		if (p->tmpfs[i] != NULL && is_under(path, p->tmpfs[i], self_ok))
			return 1;
	return 0;
}

/* The writable mounts, for the message: "/tmp, /work". */
static void mounts_text(char *buf, size_t size, const ecs_sandbox_profile *p)
{
	size_t i, used;

	if (p->writable_root) {
		snprintf(buf, size, "anywhere but /proc, /sys and /dev (a writable root)");
		return;
	}
	snprintf(buf, size, "/tmp");
	for (i = 0; i < p->tmpfs_len; i++) {
		used = strlen(buf);
		if (p->tmpfs[i] != NULL && used < size)
			snprintf(buf + used, size - used, ", %s", p->tmpfs[i]);
	}
}

int task_files_check(const task_files *tf, const ecs_sandbox_profile *profile, size_t files_cap,
		task_files_error *err)
{
	char q[144], mounts[96];
	size_t i, total = 0;

	memset(err, 0, sizeof(*err));
	mounts_text(mounts, sizeof(mounts), profile);
	for (i = 0; i < tf->files_len; i++) {
		const ecs_file *f = &tf->files[i];

		if (!writable(f->path, profile, 0))
			return refuse(err, "PATH_REFUSED", "files[%zu].path '%s' is not below a writable mount of this task (%s)",
					i, text_quote(q, sizeof(q), f->path, 128), mounts);
		total += f->len;
		if (files_cap > 0 && total > files_cap)
			return refuse(err, "BAD_REQUEST_BODY",
					"files[%zu] '%s' brings the files to %zu bytes, over the cap of %zu bytes",
					i, text_quote(q, sizeof(q), f->path, 128), total, files_cap);
	}
	for (i = 0; i < tf->artifacts_len; i++)
		if (!writable(tf->artifacts[i], profile, 1))
			return refuse(err, "PATH_REFUSED", "artifacts[%zu] '%s' is not in a writable mount of this task (%s)",
					i, text_quote(q, sizeof(q), tf->artifacts[i], 128), mounts);
	return 0;
}

int task_files_named(const task_files *tf, const char *text)
{
	size_t i;

	for (i = 0; i < tf->files_len; i++)
		if (strstr(text, tf->files[i].path) != NULL)
			return 1;
	for (i = 0; i < tf->artifacts_len; i++)
		if (strstr(text, tf->artifacts[i]) != NULL)
			return 1;
	return 0;
}

void task_files_clear(task_files *tf)
{
	size_t i;

	for (i = 0; i < tf->files_len; i++)
		free((void *)tf->files[i].data);
	free(tf->files);
	free(tf->artifacts);
	memset(tf, 0, sizeof(*tf));
}
