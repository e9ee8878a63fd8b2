/* session_registry.c - the sessions this ecs-fcgi keeps. See session_registry.h. */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_registry.h"

/* One session, or a place reserved for one being created (@placeholder: only @info.owner is set). */
typedef struct {
	ecs_session_info info;
	int placeholder;
	time_t last_used;
	unsigned long execs;
	int busy;
	int lost;
	char lost_reason[256];
} entry;

struct session_registry {
	pthread_mutex_t mu;
	entry *e;
	size_t n, cap;
	session_stats stats;   /* .open is computed when read */
};

int session_registry_new(session_registry **out)
{
	session_registry *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return -1;
	pthread_mutex_init(&r->mu, NULL);
	*out = r;
	return 0;
}

void session_registry_free(session_registry *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		ecs_session_info_clear(&r->e[i].info);
	free(r->e);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Room for one more entry; 0 or -1. Under the lock. */
static int grow(session_registry *r)
{
	entry *e;
	size_t cap;

	if (r->n < r->cap)
		return 0;
	cap = r->cap ? r->cap * 2 : 16;
	e = realloc(r->e, cap * sizeof(*e));
	if (e == NULL)
		return -1;
	r->e = e;
	r->cap = cap;
	return 0;
}

/* Drop entry @i (its info freed unless moved out), keeping the order. Under the lock. */
static void drop(session_registry *r, size_t i)
{
	ecs_session_info_clear(&r->e[i].info);
	memmove(&r->e[i], &r->e[i + 1], (r->n - i - 1) * sizeof(*r->e));
	r->n--;
}

/* The session @id of @owner, or NULL. Under the lock. */
static entry *find(session_registry *r, const char *id, const char *owner)
{
	for (size_t i = 0; i < r->n; i++) {
		entry *e = &r->e[i];

		if (!e->placeholder && strcmp(e->info.id, id) == 0)
			/* another owner's: not found, exactly as no such id */
			return strcmp(e->info.owner, owner) == 0 ? e : NULL;
	}
	return NULL;
}

session_status session_registry_reserve(session_registry *r, const char *owner, unsigned int max_client,
					unsigned int max_total)
{
	session_status st = SESSION_FOUND;
	unsigned int mine = 0;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->e[i].info.owner, owner) == 0)
			mine++;
	if (r->n >= max_total)
		st = SESSION_TOTAL_CAP;
	else if (mine >= max_client)
		st = SESSION_CLIENT_CAP;
	else if (grow(r) != 0)
		st = SESSION_NOMEM;
	if (st == SESSION_FOUND) {
		entry *e = &r->e[r->n++];

		memset(e, 0, sizeof(*e));
		e->placeholder = 1;
		snprintf(e->info.owner, sizeof(e->info.owner), "%s", owner);
	}
	pthread_mutex_unlock(&r->mu);
	return st;
}

/* The index of one of @owner's places, or r->n. Under the lock. */
static size_t placeholder_of(session_registry *r, const char *owner)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->e[i].placeholder && strcmp(r->e[i].info.owner, owner) == 0)
			break;
	return i;
}

void session_registry_unreserve(session_registry *r, const char *owner)
{
	size_t i;

	pthread_mutex_lock(&r->mu);
	i = placeholder_of(r, owner);
	if (i < r->n)
		drop(r, i);
	pthread_mutex_unlock(&r->mu);
}

int session_registry_add(session_registry *r, ecs_session_info *s, int reserved, const char *lost_reason)
{
	entry *e = NULL;
	size_t i;

	pthread_mutex_lock(&r->mu);
	i = reserved ? placeholder_of(r, s->owner) : r->n;
	if (i < r->n) {
		e = &r->e[i];
		/* to the end: the table stays in the order sessions were made */
		memmove(&r->e[i], &r->e[i + 1], (r->n - i - 1) * sizeof(*r->e));
		e = &r->e[r->n - 1];
	} else if (grow(r) == 0) {
		e = &r->e[r->n++];
	}
	if (e == NULL) {
		pthread_mutex_unlock(&r->mu);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->info = *s;
	memset(s, 0, sizeof(*s));
	e->last_used = time(NULL);
	if (lost_reason != NULL) {
		e->lost = 1;
		snprintf(e->lost_reason, sizeof(e->lost_reason), "%s", lost_reason);
	}
	if (reserved)
		r->stats.created++;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/* A copy of @e into @out; 0 or -1. */
static int view_of(session_view *out, const entry *e)
{
	memset(out, 0, sizeof(*out));
	out->info = e->info;
	out->info.container_id = strdup(e->info.container_id);
	out->info.image = strdup(e->info.image != NULL ? e->info.image : "");
	out->last_used = e->last_used;
	out->execs = e->execs;
	out->busy = e->busy;
	out->lost = e->lost;
	memcpy(out->lost_reason, e->lost_reason, sizeof(out->lost_reason));
	if (out->info.container_id == NULL || out->info.image == NULL) {
		session_view_clear(out);
		return -1;
	}
	return 0;
}

session_status session_registry_acquire(session_registry *r, const char *id, const char *owner, session_view *out)
{
	session_status st;
	entry *e;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&r->mu);
	e = find(r, id, owner);
	if (e == NULL)
		st = SESSION_NOT_FOUND;
	else if (e->busy)
		st = SESSION_BUSY;
	else if (view_of(out, e) != 0)
		st = SESSION_NOMEM;
	else if (e->lost)
		st = SESSION_LOST;
	else {
		st = SESSION_FOUND;
		e->busy = 1;
	}
	pthread_mutex_unlock(&r->mu);
	return st;
}

void session_registry_release(session_registry *r, const char *id, int exec, uint64_t in, uint64_t out,
			      const char *lost_reason)
{
	pthread_mutex_lock(&r->mu);
	r->stats.bytes_in += in;
	r->stats.bytes_out += out;
	if (exec)
		r->stats.execs++;
	for (size_t i = 0; i < r->n; i++) {
		entry *e = &r->e[i];

		if (e->placeholder || strcmp(e->info.id, id) != 0)
			continue;
		e->busy = 0;
		e->last_used = time(NULL);
		if (exec)
			e->execs++;
		if (lost_reason != NULL && !e->lost) {
			e->lost = 1;
			snprintf(e->lost_reason, sizeof(e->lost_reason), "%s", lost_reason);
			r->stats.lost++;
		}
		break;
	}
	pthread_mutex_unlock(&r->mu);
}

session_status session_registry_view(session_registry *r, const char *id, const char *owner, session_view *out)
{
	session_status st = SESSION_NOT_FOUND;
	entry *e;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&r->mu);
	e = find(r, id, owner);
	if (e != NULL)
		st = view_of(out, e) == 0 ? SESSION_FOUND : SESSION_NOMEM;
	pthread_mutex_unlock(&r->mu);
	return st;
}

int session_registry_list(session_registry *r, const char *owner, session_view **out, size_t *n)
{
	session_view *v;
	size_t k = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&r->mu);
	v = calloc(r->n > 0 ? r->n : 1, sizeof(*v));
	for (size_t i = 0; v != NULL && i < r->n; i++) {
		if (r->e[i].placeholder || strcmp(r->e[i].info.owner, owner) != 0)
			continue;
		if (view_of(&v[k], &r->e[i]) != 0) {
			rc = -1;
			break;
		}
		k++;
	}
	pthread_mutex_unlock(&r->mu);
	if (v == NULL || rc != 0) {
		session_views_free(v, k);
		return -1;
	}
	*out = v;
	*n = k;
	return 0;
}

session_status session_registry_remove(session_registry *r, const char *id, const char *owner, ecs_session_info *out)
{
	session_status st = SESSION_NOT_FOUND;
	entry *e;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&r->mu);
	e = find(r, id, owner);
	if (e != NULL) {
		*out = e->info;
		memset(&e->info, 0, sizeof(e->info));
		drop(r, (size_t)(e - r->e));
		r->stats.deleted++;
		st = SESSION_FOUND;
	}
	pthread_mutex_unlock(&r->mu);
	return st;
}

/* Idle longer than its idle timeout, or past its lifetime. */
static int expired(const entry *e, time_t now)
{
	if (e->placeholder || e->busy)
		return 0;
	if (e->info.expires != 0 && now >= e->info.expires)
		return 1;
	return e->info.idle_timeout_s > 0 && now - e->last_used >= (time_t)e->info.idle_timeout_s;
}

size_t session_registry_expire(session_registry *r, time_t now, ecs_session_info **out)
{
	ecs_session_info *list = NULL;
	size_t k = 0, due = 0;

	*out = NULL;
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++)
		due += expired(&r->e[i], now);
	if (due > 0 && (list = calloc(due, sizeof(*list))) != NULL) {
		for (size_t i = 0; i < r->n;) {
			if (!expired(&r->e[i], now)) {
				i++;
				continue;
			}
			list[k++] = r->e[i].info;
			memset(&r->e[i].info, 0, sizeof(r->e[i].info));
			drop(r, i);
		}
		r->stats.expired += k;
	}
	pthread_mutex_unlock(&r->mu);
	*out = list;
	return k;
}

void session_registry_stats(session_registry *r, session_stats *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->stats;
	out->open = 0;
	for (size_t i = 0; i < r->n; i++)
		out->open += !r->e[i].placeholder;
	pthread_mutex_unlock(&r->mu);
}

void session_view_clear(session_view *v)
{
	if (v == NULL)
		return;
	ecs_session_info_clear(&v->info);
	memset(v, 0, sizeof(*v));
}

void session_views_free(session_view *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		session_view_clear(&v[i]);
	free(v);
}
