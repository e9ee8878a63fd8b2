/*
 * Private: options structs an older caller still passes. A struct's later
 * versions only add members at its end, so version N's layout is a prefix
 * of the current one; the library copies what the caller's version has over
 * the defaults (its _INIT) and works with a current struct from then on.
 */
#ifndef ECS_VERSIONED_H
#define ECS_VERSIONED_H

#include <stddef.h>

/**
 * Fill @out (@out_size bytes, a current struct whose first member is its
 * unsigned int version) from @defaults, then the first sizes[v] bytes of
 * @in, where v is @in's version; @sizes holds a size per version from 0 to
 * @nsizes - 1, 0 for a version not taken (a layout that was not a prefix).
 * The version member of @out is then the current one (@nsizes - 1).
 * Returns 0, or -1 for a version outside @sizes or not taken (@out is then
 * @defaults).
 */
int ecs_versioned_copy(void *out, size_t out_size, const void *defaults, const void *in, const size_t *sizes,
		       size_t nsizes);

#endif
