/*
 * Private: identifiers, in one place. Task ids, instance ids and the names
 * ecs gives engine objects are random hex from here; ids a caller chooses
 * (a task id, an instance's lock file, a sandbox's name) share one alphabet,
 * safe in labels, file names and URL paths alike. Every function is reentrant.
 */
#ifndef ECS_IDS_H
#define ECS_IDS_H

#include <stddef.h>

/* A generated id: 32 hex digits (128 random bits) and its NUL. */
#define ECS_ID_SIZE 33

/**
 * ecs_id_generate - write 32 random lowercase hex digits (OpenSSL
 * RAND_bytes) and a NUL into @buf of @size bytes.
 * Returns 0, or ECS_ERROR when @buf is NULL, @size < ECS_ID_SIZE or no
 * random bytes could be had (then @buf holds no id).
 */
int ecs_id_generate(char *buf, size_t size);

/**
 * ecs_id_chars_ok - 1 when @s is 1 to @max characters, each of
 * [A-Za-z0-9_.-]; 0 otherwise (NULL too). Callers add their own rules on
 * top (no "." or ".." for a file name, no leading '-' for a name).
 */
int ecs_id_chars_ok(const char *s, size_t max);

#endif
