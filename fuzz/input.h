/*
 * What the text fuzzers share: the input as a C string (NUL-terminated
 * copy; it ends at its first NUL, as a string from a request or a
 * configuration file would).
 */
#ifndef ECS_FUZZ_INPUT_H
#define ECS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd copy of @data (@size bytes) with a NUL after it; NULL when over @max bytes or out of memory. */
static inline char *fuzz_input_string(const uint8_t *data, size_t size, size_t max)
{
	char *s;

	if (size > max || (s = malloc(size + 1)) == NULL)
		return NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
