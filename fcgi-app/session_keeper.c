/* session_keeper.c - adoption at start-up and expiry. See session_keeper.h. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "session_keeper.h"
#include "thread.h"

struct session_keeper {
	session_registry *r;
	ecs_engine *engine;
	ecs_reaper *reaper;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

int session_keeper_adopt(session_registry *r, ecs_engine *engine, const char *home)
{
	ecs_session_info *list = NULL;
	size_t n = 0;
	int adopted = 0;
	int rc = ecs_session_list(&list, &n, engine, home);

	if (rc != 0) {
		log_msg(LOG_LEVEL_WARNING, "session", "cannot list the sessions to adopt: %s: %s", ecs_strerror(rc),
			ecs_engine_errmsg(engine));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char why[256] = "", id[ECS_SESSION_ID_SIZE];
		const char *lost = NULL;

		if (!list[i].running || ecs_session_check(engine, &list[i], why, sizeof(why)) == ECS_EUNAVAILABLE)
			lost = why[0] ? why : "its container stopped while no ecs-fcgi kept it";
		memcpy(id, list[i].id, sizeof(id));
		if (session_registry_add(r, &list[i], 0, lost) == 0) {
			adopted++;
			log_msg(LOG_LEVEL_INFO, "session", "adopted session %s%s%s", id, lost ? ": lost, " : "",
				lost ? lost : "");
		}
	}
	ecs_session_list_free(list, n);
	return adopted;
}

static void *keeper_main(void *arg)
{
	session_keeper *k = arg;

	pthread_mutex_lock(&k->mu);
	while (!k->stop) {
		struct timespec until;
		ecs_session_info *due = NULL;
		size_t n;

		pthread_mutex_unlock(&k->mu);
		n = session_registry_expire(k->r, time(NULL), &due);
		for (size_t i = 0; i < n; i++) {
			log_msg(LOG_LEVEL_INFO, "session", "session %s expired (idle or past its lifetime); ending it", due[i].id);
			ecs_session_delete(k->engine, k->reaper, &due[i]);
		}
		ecs_session_list_free(due, n);
		pthread_mutex_lock(&k->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (!k->stop && pthread_cond_timedwait(&k->cv, &k->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

int session_keeper_start(session_keeper **out, session_registry *r, const ecs_engine *proto, ecs_reaper *reaper)
{
	session_keeper *k = calloc(1, sizeof(*k));

	*out = NULL;
	if (k == NULL)
		return -1;
	k->r = r;
	k->reaper = reaper;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	if (ecs_engine_dup(&k->engine, proto) != 0 ||
	    thread_start(&k->thread, THREAD_STACK_WORK, "ecs-session-exp", keeper_main, k) != 0) {
		ecs_engine_free(k->engine);
		pthread_cond_destroy(&k->cv);
		pthread_mutex_destroy(&k->mu);
		free(k);
		return -1;
	}
	*out = k;
	return 0;
}

void session_keeper_stop(session_keeper *k)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&k->mu);
	k->stop = 1;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->thread, NULL);
	ecs_engine_free(k->engine);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
}
