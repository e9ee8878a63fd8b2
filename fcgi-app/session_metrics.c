/* session_metrics.c - the sessions' lines of _metrics. See session_metrics.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_metrics.h"
#include "session_registry.h"

char *session_metrics_render(size_t *len, struct session_registry *r)
{
	session_stats st;
	char *s = NULL;
	int n;

	if (r == NULL) {
		*len = 0;
		return strdup("");
	}
	session_registry_stats(r, &st);
	n = asprintf(&s,
		"# HELP ecs_sessions_open Sessions open now.\n# TYPE ecs_sessions_open gauge\n"
		"ecs_sessions_open %zu\n"
		"# HELP ecs_sessions_created_total Sessions created.\n# TYPE ecs_sessions_created_total counter\n"
		"ecs_sessions_created_total %llu\n"
		"# HELP ecs_sessions_expired_total Sessions ended by their idle timeout or lifetime.\n"
		"# TYPE ecs_sessions_expired_total counter\n"
		"ecs_sessions_expired_total %llu\n"
		"# HELP ecs_sessions_deleted_total Sessions ended by a DELETE.\n# TYPE ecs_sessions_deleted_total counter\n"
		"ecs_sessions_deleted_total %llu\n"
		"# HELP ecs_sessions_lost_total Sessions whose container died under them.\n"
		"# TYPE ecs_sessions_lost_total counter\n"
		"ecs_sessions_lost_total %llu\n"
		"# HELP ecs_session_execs_total Commands run in sessions.\n# TYPE ecs_session_execs_total counter\n"
		"ecs_session_execs_total %llu\n"
		"# HELP ecs_session_bytes_in_total Bytes into sessions (files written, stdin).\n"
		"# TYPE ecs_session_bytes_in_total counter\n"
		"ecs_session_bytes_in_total %llu\n"
		"# HELP ecs_session_bytes_out_total Bytes out of sessions (files read, output).\n"
		"# TYPE ecs_session_bytes_out_total counter\n"
		"ecs_session_bytes_out_total %llu\n",
		st.open, (unsigned long long)st.created, (unsigned long long)st.expired, (unsigned long long)st.deleted,
		(unsigned long long)st.lost, (unsigned long long)st.execs, (unsigned long long)st.bytes_in,
		(unsigned long long)st.bytes_out);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}
