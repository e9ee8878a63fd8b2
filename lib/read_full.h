/*
 * Private: reading a descriptor to its end or to a size, in one place.
 *
 * Part of the ground floor (libecs-floor): no allocation, no libecs calls,
 * so the fully static ecs-agent links it too.
 */
#ifndef ECS_READ_FULL_H
#define ECS_READ_FULL_H

#include <stddef.h>

/**
 * ecs_read_full - read @fd into @buf until @size bytes, end of file or an error.
 *
 * An interrupted read is retried. Returns how many bytes @buf now holds; a
 * caller that must tell an error from the end of file checks errno after a
 * short count (0 when the file ended). Does not close @fd.
 */
size_t ecs_read_full(int fd, void *buf, size_t size);

#endif
