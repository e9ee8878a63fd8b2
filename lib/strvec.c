/*
 * libecs ground floor: vectors of owned strings (strvec.h).
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/common.h>
#include "strvec.h"

int ecs_strvec_push(ecs_strvec *sv, char *s)
{
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 8;
		char **grown;

		if (cap > SIZE_MAX / sizeof(*grown))
			return ECS_ENOMEM;
		grown = realloc(sv->v, cap * sizeof(*grown));
		if (grown == NULL)
			return ECS_ENOMEM;
		sv->v = grown;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	return 0;
}

int ecs_strvec_push_dup(ecs_strvec *sv, const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL)
		return ECS_ENOMEM;
	if (ecs_strvec_push(sv, copy) != 0) {
		free(copy);
		return ECS_ENOMEM;
	}
	return 0;
}

void ecs_strvec_take(ecs_strvec *sv, char ***v, size_t *n)
{
	*v = sv->n > 0 ? sv->v : NULL;
	*n = sv->n;
	if (sv->n == 0)
		free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

void ecs_strvec_clear(ecs_strvec *sv)
{
	ecs_strv_free(sv->v, sv->n);
	memset(sv, 0, sizeof(*sv));
}

void ecs_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

int ecs_strv_dup(char ***out, const char *const *in, size_t n)
{
	ecs_strvec sv = ECS_STRVEC_INIT;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		if (ecs_strvec_push_dup(&sv, in[i]) != 0) {
			ecs_strvec_clear(&sv);
			return ECS_ENOMEM;
		}
	}
	ecs_strvec_take(&sv, out, &n);
	return 0;
}
