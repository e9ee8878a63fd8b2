/*
 * value.h - the value parsers of ecs.conf and of request bodies: the
 * ground floor that config, sandbox, pool and task body all stand on, so
 * that none of them calls another for a number, a size or a list.
 * Each takes a NUL-terminated string and writes *@out only on success.
 * Thread-safe; nothing here knows a key's name or its message.
 */
#ifndef ECSFCGI_VALUE_H
#define ECSFCGI_VALUE_H

#include <stddef.h>
#include <stdint.h>

/** value_parse_uint - a decimal whole number in @min..@max (no sign, no suffix). Returns 0 or -1. */
int value_parse_uint(long long *out, const char *s, long long min, long long max);

/**
 * value_parse_size - bytes: a whole number with an optional unit (b, k, kb,
 * kib, m, mb, mib, g, gb, gib; any case; spaces before it allowed), 1024
 * based. Returns 0 or -1 (malformed or over INT64_MAX).
 */
int value_parse_size(int64_t *out, const char *s);

/** value_parse_cpus - a number of CPUs, 0 to 1024 (fractions allowed). Returns 0 or -1. */
int value_parse_cpus(double *out, const char *s);

/**
 * value_parse_bool - yes/on/true/1 as 1, no/off/false/0 as 0 (any case).
 * Returns 0 or -1.
 */
int value_parse_bool(int *out, const char *s);

/**
 * value_split_words - split @s on spaces, tabs and commas into a fresh
 * array of fresh strings (free with value_free_words()); an empty @s gives
 * an empty list. Returns 0 or -2 (out of memory).
 */
int value_split_words(char ***out, size_t *len, const char *s);

/** value_free_words - free what value_split_words() made; NULL is allowed. */
void value_free_words(char **v, size_t n);

/**
 * value_nano_cpus - @cpus as the engine's NanoCpus (rounded to the
 * nearest): the one conversion, so a cap is compared at the precision the
 * engine applies.
 */
int64_t value_nano_cpus(double cpus);

#endif
