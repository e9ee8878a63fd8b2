/* admission.c - per-client task counts (see admission.h). */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"

typedef struct slot {
	struct slot *next;
	int count;
	char client[];
} slot;

/* A list: it only holds clients with a task in flight, a handful at most
 * in practice and never more than the workers plus the queue. */
struct admission {
	pthread_mutex_t mu;
	slot *head;
};

int admission_new(admission **out)
{
	admission *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL)
		return -1;
	pthread_mutex_init(&a->mu, NULL);
	*out = a;
	return 0;
}

void admission_free(admission *a)
{
	slot *s, *next;

	if (a == NULL)
		return;
	for (s = a->head; s != NULL; s = next) {
		next = s->next;
		free(s);
	}
	pthread_mutex_destroy(&a->mu);
	free(a);
}

/* Under a->mu: the client's slot and the link that points at it. */
static slot **find(admission *a, const char *client)
{
	slot **p;

	for (p = &a->head; *p != NULL; p = &(*p)->next)
		if (strcmp((*p)->client, client) == 0)
			return p;
	return p;
}

int admission_enter(admission *a, const char *client, int limit)
{
	slot **p, *s;
	int rc = 0;

	pthread_mutex_lock(&a->mu);
	p = find(a, client);
	if (*p == NULL) {
		size_t n = strlen(client) + 1;

		s = malloc(sizeof(*s) + n);
		if (s == NULL) {
			rc = -1;
			goto out;
		}
		memcpy(s->client, client, n);
		s->count = 0;
		s->next = NULL;
		*p = s;
	}
	s = *p;
	if (limit > 0 && s->count >= limit)
		rc = 1;
	else
		s->count++;
out:
	pthread_mutex_unlock(&a->mu);
	return rc;
}

void admission_leave(admission *a, const char *client)
{
	slot **p, *s;

	pthread_mutex_lock(&a->mu);
	p = find(a, client);
	s = *p;
	if (s != NULL && --s->count <= 0) {
		*p = s->next;
		free(s);
	}
	pthread_mutex_unlock(&a->mu);
}

int admission_count(admission *a, const char *client)
{
	slot *s;
	int n;

	pthread_mutex_lock(&a->mu);
	s = *find(a, client);
	n = s != NULL ? s->count : 0;
	pthread_mutex_unlock(&a->mu);
	return n;
}
