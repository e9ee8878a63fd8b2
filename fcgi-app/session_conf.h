/*
 * session_conf.h - the sessions' keys in [ecs] of ecs.conf (see
 * ecs.conf(5)): the defaults and caps of a session's idleTimeout and
 * lifetime, how many sessions one client and all clients may hold, the
 * body limit of a file written into a session, and the home name under
 * which a restarted ecs-fcgi finds its sessions again.
 */
#ifndef ECSFCGI_SESSION_CONF_H
#define ECSFCGI_SESSION_CONF_H

#include <stddef.h>

#include "conf_key.h"

typedef struct {
	long idle_timeout_s;       /* session_idle_timeout: when the body gives none */
	long max_idle_timeout_s;   /* session_max_idle_timeout: the cap of a body's */
	long lifetime_s;           /* session_lifetime: when the body gives none */
	long max_lifetime_s;       /* session_max_lifetime: the cap of a body's */
	unsigned int max_client;   /* max_client_sessions: open sessions per client; 0 = none allowed */
	unsigned int max_total;    /* max_sessions: open sessions in all; 0 turns sessions off */
	size_t files_body_limit;   /* session_files_body_limit: a PUT of files */
	char *home;                /* session_home; NULL: "ecs-fcgi:" and the config file's path */
} session_conf;

/** session_conf_init - the defaults. */
void session_conf_init(session_conf *s);

/** session_conf_clear - free what @s holds. */
void session_conf_clear(session_conf *s);

/**
 * session_conf_check - the defaults within their caps. Returns 0, or -1
 * with @why saying which key to change.
 */
int session_conf_check(const session_conf *s, char *why, size_t whylen);

/** session_conf_keys - the sessions' keys of [ecs]; their target is a session_conf. */
extern const conf_key session_conf_keys[];

#endif
