/*
 * libecs: files in and artifacts out of a container, over the agent's PUT
 * and GET (agent_conn.h; the tar streams are agent/tar.h's).
 *
 * Files go in with one PUT per parent directory (its entries are the files'
 * base names): the agent confines the PUT's directory and each entry, and a
 * directory is where the writable mounts start, so a PUT at "/" would be
 * refused under a read-only root. Artifacts come out with one GET per path,
 * each cut at what the cap has left, unpacked into ecs_artifact entries.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "agent_conn.h"
#include "demux.h"
#include "engine_private.h"
#include "tar.h"

/* A tar being built has no cap but memory. */
#define NO_CAP SIZE_MAX

/* Index of the last '/' of @path: its parent is path[0..i), "/" when i is 0. */
static size_t parent_len(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? (size_t)(slash - path) : 0;
}

/* Append one regular file to the tar in @t: its header, content, padding. */
static int tar_add(ecs_buffer *t, const char *name, const unsigned char *data, size_t len, unsigned mode)
{
	static const unsigned char zeros[ECS_TAR_BLOCK];
	unsigned char hdr[ECS_TAR_HEADER_MAX];
	ecs_tar_entry e = { name, ECS_TAR_FILE, mode & 0777, len, len };
	size_t n = 0;

	if (ecs_tar_header(hdr, sizeof(hdr), &n, &e) != 0)
		return ECS_EINVAL;
	if (ecs_demux_append_capped(t, NO_CAP, hdr, n) != ECS_OK ||
	    ecs_demux_append_capped(t, NO_CAP, data, len) != ECS_OK ||
	    ecs_demux_append_capped(t, NO_CAP, zeros, ecs_tar_pad(len)) != ECS_OK)
		return ECS_ENOMEM;
	return ECS_OK;
}

/*
 * The agent names the directory it refused (or the entry): a caller's
 * message names the file it gave, so when none of this PUT's files (those
 * in the directory of @first, from it on) is in @why, the first goes in
 * front.
 */
static void name_file(char *why, size_t why_len, const ecs_file *files, size_t n, size_t first)
{
	size_t plen = parent_len(files[first].path);
	char was[512];

	if (why == NULL || why_len == 0)
		return;
	for (size_t j = first; j < n; j++) {
		if (parent_len(files[j].path) == plen && strncmp(files[j].path, files[first].path, plen) == 0 &&
		    strstr(why, files[j].path) != NULL)
			return;
	}
	snprintf(was, sizeof(was), "%s", why);
	snprintf(why, why_len, "file \"%.200s\": %s", files[first].path, was);
}

int ecs_agent_conn_put_files(ecs_agent_conn *c, const ecs_file *files, size_t n, char *why, size_t why_len,
			     long long deadline_ms)
{
	static const unsigned char end[ECS_TAR_END_LEN];
	ecs_engine *e = ecs_agent_conn_engine(c);
	unsigned char *done = calloc(n ? n : 1, 1);
	int rc = ECS_OK;

	if (done == NULL)
		return ecs_engine_fail(e, ECS_ENOMEM, "agent: out of memory");
	/* one PUT per parent directory, its files in the order given (a later one of the same name wins) */
	for (size_t i = 0; i < n && rc == ECS_OK; i++) {
		size_t plen = parent_len(files[i].path);
		char *dir;
		ecs_buffer tar = { 0 };

		if (done[i])
			continue;
		if ((dir = strndup(files[i].path, plen ? plen : 1)) == NULL) {
			rc = ecs_engine_fail(e, ECS_ENOMEM, "agent: out of memory");
			break;
		}
		for (size_t j = i; j < n && rc == ECS_OK; j++) {
			const ecs_file *f = &files[j];

			if (done[j] || parent_len(f->path) != plen || strncmp(f->path, files[i].path, plen) != 0)
				continue;
			done[j] = 1;
			rc = tar_add(&tar, f->path + plen + 1, f->data, f->len, f->mode ? f->mode : 0644);
			if (rc == ECS_EINVAL && why != NULL && why_len > 0)
				snprintf(why, why_len, "file \"%.200s\": cannot be packed (its name)", f->path);
			if (rc != ECS_OK)
				rc = ecs_engine_fail(e, rc, "agent: file %.200s cannot be packed", f->path);
		}
		if (rc == ECS_OK && ecs_demux_append_capped(&tar, NO_CAP, end, sizeof(end)) != ECS_OK)
			rc = ecs_engine_fail(e, ECS_ENOMEM, "agent: out of memory");
		if (rc == ECS_OK) {
			rc = ecs_agent_conn_put_tar(c, dir, tar.data, tar.len, why, why_len, deadline_ms);
			if (rc != ECS_OK)
				name_file(why, why_len, files, n, i);
		}
		ecs_buffer_clear(&tar);
		free(dir);
	}
	free(done);
	return rc;
}

/* The artifacts collected so far: a growing array the caller of get_artifacts() gets. */
typedef struct {
	ecs_artifact *list;
	size_t len, cap;
} artifacts;

static void artifacts_clear(artifacts *a)
{
	for (size_t i = 0; i < a->len; i++) {
		free(a->list[i].path);
		ecs_buffer_clear(&a->list[i].content);
	}
	free(a->list);
	memset(a, 0, sizeof(*a));
}

/* A new entry for file @name of the tar answered for @path: its absolute path, its content to come. */
static ecs_artifact *artifact_new(artifacts *a, const char *path, const ecs_tar_entry *e)
{
	size_t plen = parent_len(path);
	ecs_artifact *x;

	if (a->len == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		ecs_artifact *l = realloc(a->list, cap * sizeof(*l));

		if (l == NULL)
			return NULL;
		a->list = l;
		a->cap = cap;
	}
	x = &a->list[a->len];
	memset(x, 0, sizeof(*x));
	if (asprintf(&x->path, "%.*s/%s", (int)plen, path, e->name) < 0 ||
	    (x->content.data = malloc((size_t)e->size + 1)) == NULL) {
		if (x->path != NULL)
			free(x->path);
		memset(x, 0, sizeof(*x));
		return NULL;
	}
	x->content.data[0] = '\0';
	x->size = e->real_size;
	x->content.truncated = e->real_size > e->size;
	a->len++;
	return x;
}

/* Unpack the tar the agent answered for @path into @a; *@kept counts the content bytes. */
static int artifacts_unpack(ecs_agent_conn *c, artifacts *a, const char *path, const ecs_buffer *tar, size_t *kept)
{
	ecs_engine *e = ecs_agent_conn_engine(c);
	ecs_tar_parser p;
	const unsigned char *buf = tar->data;
	size_t len = tar->len;
	ecs_artifact *cur = NULL;

	ecs_tar_parser_init(&p);
	for (;;) {
		ecs_tar_event ev;
		int rc = ecs_tar_parse(&p, &buf, &len, &ev);

		if (rc != 0)
			return ecs_engine_fail(e, ECS_EPROTO, "agent: GET %.200s: a malformed tar (%s)", path,
					       ecs_agent_strerror(rc));
		switch (ev.type) {
		case ECS_TAR_EV_NONE:
			if (ecs_tar_parse_finish(&p) != 0)
				return ecs_engine_fail(e, ECS_EPROTO, "agent: GET %.200s: the tar ends early", path);
			return ECS_OK;
		case ECS_TAR_EV_ENTRY:
			cur = NULL;
			if (ev.entry->size > tar->len)
				return ecs_engine_fail(e, ECS_EPROTO, "agent: GET %.200s: an entry past the tar's end",
						       path);
			if (ev.entry->type == ECS_TAR_FILE && (cur = artifact_new(a, path, ev.entry)) == NULL)
				return ecs_engine_fail(e, ECS_ENOMEM, "agent: out of memory");
			break;
		case ECS_TAR_EV_DATA:
			if (cur != NULL) {
				memcpy(cur->content.data + cur->content.len, ev.data, ev.len);
				cur->content.len += ev.len;
				cur->content.data[cur->content.len] = '\0';
				*kept += ev.len;
			}
			break;
		case ECS_TAR_EV_FILE_END:
			cur = NULL;
			break;
		case ECS_TAR_EV_END:
			break;
		}
	}
}

int ecs_agent_conn_get_artifacts(ecs_agent_conn *c, const char *const *paths, size_t n, size_t cap,
				 ecs_artifact **out, size_t *out_len, char *why, size_t why_len,
				 long long deadline_ms)
{
	artifacts a = { 0 };
	size_t kept = 0;
	int rc = ECS_OK;

	*out = NULL;
	*out_len = 0;
	if (cap == 0)
		cap = ECS_TASK_DEFAULT_ARTIFACTS_CAP;
	for (size_t i = 0; i < n && rc == ECS_OK; i++) {
		ecs_buffer tar = { 0 };
		int truncated = 0;

		/* what the earlier paths kept is gone from the cap: the agent cuts this one at the rest */
		rc = ecs_agent_conn_get_tar(c, paths[i], cap - kept, &tar, &truncated, why, why_len, deadline_ms);
		if (rc == ECS_ENOTFOUND) {
			rc = ECS_OK;
			if (why != NULL && why_len > 0)
				why[0] = '\0';
			continue;
		}
		if (rc == ECS_OK)
			rc = artifacts_unpack(c, &a, paths[i], &tar, &kept);
		ecs_buffer_clear(&tar);
	}
	if (rc != ECS_OK) {
		artifacts_clear(&a);
		return rc;
	}
	*out = a.list;
	*out_len = a.len;
	return ECS_OK;
}
