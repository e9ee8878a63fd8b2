/* session_conf.c - the sessions' keys of ecs.conf. See session_conf.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_conf.h"

#define WEEK_S (7L * 86400)
#define SECONDS_EXPECT "expected whole seconds between 1 and 604800"

void session_conf_init(session_conf *s)
{
	memset(s, 0, sizeof(*s));
	s->idle_timeout_s = 300;
	s->max_idle_timeout_s = 3600;
	s->lifetime_s = 3600;
	s->max_lifetime_s = 86400;
	s->max_client = 4;
	s->max_total = 64;
	s->files_body_limit = 64u * 1024 * 1024;
}

void session_conf_clear(session_conf *s)
{
	free(s->home);
	s->home = NULL;
}

int session_conf_check(const session_conf *s, char *why, size_t whylen)
{
	if (s->idle_timeout_s > s->max_idle_timeout_s) {
		snprintf(why, whylen, "session_idle_timeout %ld is over session_max_idle_timeout %ld",
			 s->idle_timeout_s, s->max_idle_timeout_s);
		return -1;
	}
	if (s->lifetime_s > s->max_lifetime_s) {
		snprintf(why, whylen, "session_lifetime %ld is over session_max_lifetime %ld", s->lifetime_s,
			 s->max_lifetime_s);
		return -1;
	}
	return 0;
}

static int set_home(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	session_conf *s = t;

	(void)k;
	if (v[0] == '\0' || strlen(v) > 256)
		return conf_why(why, whylen, "expected a name of 1 to 256 bytes");
	free(s->home);
	s->home = strdup(v);
	return s->home != NULL ? 0 : -2;
}

const conf_key session_conf_keys[] = {
	CONF_UINT("session_idle_timeout", session_conf, idle_timeout_s, 1, WEEK_S, SECONDS_EXPECT),
	CONF_UINT("session_max_idle_timeout", session_conf, max_idle_timeout_s, 1, WEEK_S, SECONDS_EXPECT),
	CONF_UINT("session_lifetime", session_conf, lifetime_s, 1, WEEK_S, SECONDS_EXPECT),
	CONF_UINT("session_max_lifetime", session_conf, max_lifetime_s, 1, WEEK_S, SECONDS_EXPECT),
	CONF_UINT("max_client_sessions", session_conf, max_client, 0, 4096, "expected a whole number between 0 and 4096"),
	CONF_UINT("max_sessions", session_conf, max_total, 0, 65536, "expected a whole number between 0 and 65536"),
	CONF_SIZE("session_files_body_limit", session_conf, files_body_limit, 1024, 1024LL * 1024 * 1024,
		  "expected a size between 1K and 1G, such as 64M"),
	CONF_FN("session_home", set_home),
	CONF_KEYS_END
};
