/* args.h - what ecs-run reads from its caller: option values, stdin, the credentials file. */
#ifndef ECSRUN_ARGS_H
#define ECSRUN_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>
#include <ecs/ecs.h>

#include "remote.h"

/* The most of stdin -i reads. */
#define STDIN_MAX (64u * 1024u * 1024u)

/** args_parse_size - "64m" -> 67108864 (k, m, g: powers of 1024; a b may follow). 0 or -1 (negative, junk, overflow). */
int args_parse_size(const char *s, int64_t *out);

/** args_parse_limit - a profile limit: a positive number (a size when @size), or "unlimited". 0 or -1. */
int args_parse_limit(const char *s, int64_t *out, int size);

/** args_parse_double - a positive decimal number, all of @s. 0 or -1. */
int args_parse_double(const char *s, double *out);

/** args_read_all - everything from @f, up to STDIN_MAX bytes (EFBIG past it); *@data malloc'd. 0 or -1 (errno set). */
int args_read_all(FILE *f, unsigned char **data, size_t *len);

/** The credentials file: @root owns the strings @auth points into. */
typedef struct {
	json_object *root;
	ecs_registry_auth auth;
} args_creds;

/**
 * args_creds_load - read the --creds file: a JSON object with string
 * members username and password, optional email and serveraddress.
 * Returns 0, or EXIT_ECS after saying why on stderr. json_object_put(c->root) frees it.
 */
int args_creds_load(args_creds *c, const char *path);

/**
 * args_parse_file - --file LOCAL:PATH: PATH is absolute, so the split is at
 * the first ":/". f->local is malloc'd (free it). 0 or -1 (no such split,
 * out of memory).
 */
int args_parse_file(const char *arg, remote_file *f);

#endif
