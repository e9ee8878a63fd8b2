/*
 * Private: vectors of owned strings, in one place. A growing list of ids to
 * delete, an image's Entrypoint, a profile's capabilities: each is a char **
 * and a count whose every string the holder frees. Structs that already
 * hold a (char **, count) pair (public ones among them) use the ecs_strv_*
 * calls on that pair; a list that grows uses ecs_strvec.
 * One owner at a time; nothing here is shared between threads.
 */
#ifndef ECS_STRVEC_H
#define ECS_STRVEC_H

#include <stddef.h>

/** A growable vector: @v holds @n owned strings (room for @cap); zeroed (ECS_STRVEC_INIT) it is empty. */
typedef struct {
	char **v;
	size_t n;
	size_t cap;
} ecs_strvec;

#define ECS_STRVEC_INIT { NULL, 0, 0 }

/**
 * ecs_strvec_push - append @s, taking it on success (the vector frees it).
 * Returns 0, or ECS_ENOMEM when the vector could not grow: then @s is still
 * the caller's and the vector is unchanged.
 */
int ecs_strvec_push(ecs_strvec *sv, char *s);

/** ecs_strvec_push_dup - append a copy of @s. Returns 0 or ECS_ENOMEM (vector unchanged). */
int ecs_strvec_push_dup(ecs_strvec *sv, const char *s);

/**
 * ecs_strvec_take - hand the strings over as a (char **, count) pair the
 * caller frees with ecs_strv_free(); the vector is empty afterwards.
 * *@v is NULL when there were none.
 */
void ecs_strvec_take(ecs_strvec *sv, char ***v, size_t *n);

/** ecs_strvec_clear - free every string and the array; the vector is empty and reusable. */
void ecs_strvec_clear(ecs_strvec *sv);

/** ecs_strv_free - free @n strings of @v and @v itself. NULL @v is allowed. */
void ecs_strv_free(char **v, size_t n);

/**
 * ecs_strv_dup - copy @n strings of @in into *@out (malloc'd, free with
 * ecs_strv_free(*@out, @n)); *@out is NULL when @n is 0. Returns 0 or
 * ECS_ENOMEM (then *@out is NULL and nothing is left allocated).
 */
int ecs_strv_dup(char ***out, const char *const *in, size_t n);

#endif
