/*
 * session_registry.h - the sessions this ecs-fcgi keeps: who owns each,
 * when it was used, whether a request is in it, whether its container was
 * lost, and the caps on how many there are. One mutex; the table is as
 * large as the open sessions (max_sessions bounds it).
 *
 * Ownership: every lookup names the caller's owner hash (ecs_session_hash()
 * of auth_identity()); a session of another owner is not found, exactly as
 * an id that never existed, so an id is no oracle.
 *
 * One request at a time per session: the agent reads one request after
 * another on its stdin, so an exec, a PUT and a GET each hold the session
 * (session_registry_acquire() to _release()); another meanwhile is BUSY.
 */
#ifndef ECSFCGI_SESSION_REGISTRY_H
#define ECSFCGI_SESSION_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ecs/ecs.h>

typedef struct session_registry session_registry;

/** What a lookup found. */
typedef enum {
	SESSION_FOUND = 0,
	SESSION_NOT_FOUND,   /* no such id for this owner (or expired, deleted) */
	SESSION_BUSY,        /* another request holds it */
	SESSION_LOST,        /* its container died: the reason is in the view */
	SESSION_CLIENT_CAP,  /* create: the owner is at max_client_sessions */
	SESSION_TOTAL_CAP,   /* create: max_sessions are open */
	SESSION_NOMEM
} session_status;

/** A copy of one session's entry, owned by the caller (session_view_clear()). */
typedef struct {
	ecs_session_info info;       /* a copy (its strings owned here) */
	time_t last_used;
	unsigned long execs;
	int busy;
	int lost;
	char lost_reason[256];
} session_view;

/** The counters _metrics shows. */
typedef struct {
	size_t open;
	uint64_t created, expired, deleted, lost, execs, bytes_in, bytes_out;
} session_stats;

/** session_registry_new - an empty table. Returns 0 or -1 (out of memory). */
int session_registry_new(session_registry **out);

/** session_registry_free - free the table (not the containers). NULL is allowed. */
void session_registry_free(session_registry *r);

/**
 * session_registry_reserve - hold a place for a session @owner is about to
 * create, within @max_client of the owner's and @max_total in all (reserved
 * places count). SESSION_FOUND (then add or unreserve), SESSION_CLIENT_CAP,
 * SESSION_TOTAL_CAP or SESSION_NOMEM.
 */
session_status session_registry_reserve(session_registry *r, const char *owner, unsigned int max_client,
					unsigned int max_total);

/** session_registry_unreserve - the create failed: give the place back. */
void session_registry_unreserve(session_registry *r, const char *owner);

/**
 * session_registry_add - keep @s (moved in: @s is zeroed), used now. With
 * @reserved, it takes the owner's reserved place (a create); without, it
 * is adopted (counted, never refused). @lost_reason: NULL, or why its
 * container is gone (an adopted dead one). 0, or -1 out of memory (@s
 * untouched; a reserved place is kept).
 */
int session_registry_add(session_registry *r, ecs_session_info *s, int reserved, const char *lost_reason);

/**
 * session_registry_acquire - take session @id of @owner for one request.
 * SESSION_FOUND with @out filled (a copy: session_view_clear()) and the
 * session held until session_registry_release(); SESSION_NOT_FOUND;
 * SESSION_BUSY; SESSION_LOST (@out filled: its reason); SESSION_NOMEM.
 */
session_status session_registry_acquire(session_registry *r, const char *id, const char *owner, session_view *out);

/**
 * session_registry_release - the request on @id is over: used now; @exec 1
 * counts an exec; @in/@out bytes into and out of the session. @lost_reason
 * non-NULL marks its container lost.
 */
void session_registry_release(session_registry *r, const char *id, int exec, uint64_t in, uint64_t out,
			      const char *lost_reason);

/** session_registry_view - a copy of @id's entry (not held). SESSION_FOUND, SESSION_NOT_FOUND or SESSION_NOMEM. */
session_status session_registry_view(session_registry *r, const char *id, const char *owner, session_view *out);

/**
 * session_registry_list - copies of @owner's sessions, oldest first (free
 * with session_views_free()). 0 or -1 out of memory.
 */
int session_registry_list(session_registry *r, const char *owner, session_view **out, size_t *n);

/**
 * session_registry_remove - take @id of @owner out of the table (a DELETE,
 * also while a request holds it: that request then fails). SESSION_FOUND
 * with @out the removed session (the caller ends its container), or
 * SESSION_NOT_FOUND.
 */
session_status session_registry_remove(session_registry *r, const char *id, const char *owner, ecs_session_info *out);

/**
 * session_registry_expire - take out every session idle longer than its
 * idle timeout or past its lifetime at @now (none that a request holds):
 * @out gets them (free with ecs_session_list_free()). Returns how many, or
 * 0 with *@out NULL (none, or out of memory: the next round retries).
 */
size_t session_registry_expire(session_registry *r, time_t now, ecs_session_info **out);

/** session_registry_stats - the counters now. */
void session_registry_stats(session_registry *r, session_stats *out);

/** session_view_clear, session_views_free - free copies. NULL is allowed. */
void session_view_clear(session_view *v);
void session_views_free(session_view *v, size_t n);

#endif
