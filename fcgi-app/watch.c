/* watch.c - the client-abort watcher (see watch.h). */
#define _GNU_SOURCE /* POLLRDHUP */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "watch.h"
#include "thread.h"

struct watch_entry {
	watch_entry *next;
	int fd;
	int fired;
	ecs_cancel *cancel;
	ecs_cancel *gone;
};

struct watch {
	pthread_mutex_t mu;
	pthread_t thread;
	int wake[2];            /* written to when the set changes or at stop */
	int stopping;           /* under mu */
	unsigned long gen;      /* under mu: bumped on every change of the set */
	watch_entry *head;      /* under mu */
};

static void poke(watch *w)
{
	char c = 0;

	if (write(w->wake[1], &c, 1) < 0) {
		/* Full pipe: a wake-up is already pending. */
	}
}

static void drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void *watch_main(void *arg)
{
	watch *w = arg;
	struct pollfd *pfd = NULL;
	watch_entry **ent = NULL;
	size_t cap = 0;

	for (;;) {
		size_t n = 1, i;
		unsigned long gen;
		watch_entry *e;

		pthread_mutex_lock(&w->mu);
		if (w->stopping) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		for (e = w->head; e != NULL; e = e->next)
			n += !e->fired;
		if (n > cap) {
			struct pollfd *np = realloc(pfd, n * sizeof(*np));
			watch_entry **ne = np ? realloc(ent, n * sizeof(*ne)) : NULL;

			if (np != NULL)
				pfd = np;
			if (ne != NULL)
				ent = ne;
			if (np == NULL || ne == NULL) {
				/* Out of memory: watch nothing until the set changes. */
				n = 1;
			} else {
				cap = n;
			}
		}
		if (pfd == NULL) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		pfd[0].fd = w->wake[0];
		pfd[0].events = POLLIN;
		n = 1;
		for (e = w->head; e != NULL && n < cap; e = e->next) {
			if (e->fired)
				continue;
			pfd[n].fd = e->fd;
			pfd[n].events = POLLRDHUP;
			pfd[n].revents = 0;
			ent[n++] = e;
		}
		gen = w->gen;
		pthread_mutex_unlock(&w->mu);

		pfd[0].revents = 0;
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			drain(w->wake[0]);
		pthread_mutex_lock(&w->mu);
		/* A changed set may have closed and reused an fd polled above. */
		if (gen == w->gen) {
			for (i = 1; i < n; i++) {
				if (!(pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
					continue;
				e = ent[i];
				e->fired = 1;
				ecs_cancel_trigger(e->gone);
				ecs_cancel_trigger(e->cancel);
			}
		}
		pthread_mutex_unlock(&w->mu);
	}
	free(pfd);
	free(ent);
	return NULL;
}

int watch_new(watch **out)
{
	watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return -1;
	if (pipe(w->wake) != 0) {
		free(w);
		return -1;
	}
	fcntl(w->wake[0], F_SETFL, O_NONBLOCK);
	fcntl(w->wake[1], F_SETFL, O_NONBLOCK);
	fcntl(w->wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(w->wake[1], F_SETFD, FD_CLOEXEC);
	pthread_mutex_init(&w->mu, NULL);
	if (thread_start(&w->thread, THREAD_STACK_SMALL, "ecs-client-gone", watch_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		close(w->wake[0]);
		close(w->wake[1]);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void watch_free(watch *w)
{
	watch_entry *e, *next;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_mutex_unlock(&w->mu);
	poke(w);
	pthread_join(w->thread, NULL);
	for (e = w->head; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	pthread_mutex_destroy(&w->mu);
	close(w->wake[0]);
	close(w->wake[1]);
	free(w);
}

watch_entry *watch_add(watch *w, int fd, ecs_cancel *cancel, ecs_cancel *gone)
{
	watch_entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->fd = fd;
	e->cancel = cancel;
	e->gone = gone;
	pthread_mutex_lock(&w->mu);
	e->next = w->head;
	w->head = e;
	w->gen++;
	pthread_mutex_unlock(&w->mu);
	poke(w);
	return e;
}

void watch_remove(watch *w, watch_entry *e)
{
	watch_entry **p;

	if (e == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	for (p = &w->head; *p != NULL; p = &(*p)->next) {
		if (*p == e) {
			*p = e->next;
			break;
		}
	}
	w->gen++;
	pthread_mutex_unlock(&w->mu);
	/* The thread may be in poll(2) on this fd: no wait needed, the
	 * generation check above keeps it from acting on a reused fd. */
	poke(w);
	free(e);
}
