/*
 * memory.h - give the memory of large answers back to the system.
 *
 * A task's output (up to stdout_cap + stderr_cap) passes through several
 * large buffers on its way out: the capture, its base64, the JSON text, the
 * FastCGI stream. glibc's malloc raises its mmap threshold to the size of
 * the largest block freed (up to 32 MiB), so after the first big output
 * such buffers come from the arenas of the 64-odd worker threads, and each
 * arena keeps its high-water mark: RSS grew from 13 to 34 MB over 20 tasks
 * of 1 MiB stdout and stayed there. A fixed threshold keeps large blocks in
 * mappings of their own, unmapped on free; a trim after a large answer
 * returns what is left free at the top of the arenas.
 *
 * glibc also gives threads arenas of their own, up to 8 per core, and each
 * keeps what it once held: idle, four of them held 1.3 MB of ecs-fcgi's
 * 3.4 MB of private memory. Two arenas (a machine of this kind has two
 * cores; ecs-fcgi's threads mostly wait on the engine) held 0.16 MB.
 */
#ifndef ECSFCGI_MEMORY_H
#define ECSFCGI_MEMORY_H

#include <stddef.h>

/** Blocks of this size or more get mappings of their own (glibc's default start). */
#define MEMORY_MMAP_THRESHOLD (128u * 1024u)
/** Malloc arenas at most (glibc's M_ARENA_MAX; its default is 8 per core). */
#define MEMORY_ARENAS 2
/** An answer body this large is followed by memory_release()'s trim. */
#define MEMORY_TRIM_AFTER (256u * 1024u)

/**
 * memory_setup - fix the allocator's mmap threshold (MEMORY_MMAP_THRESHOLD)
 * and its number of arenas (MEMORY_ARENAS).
 * Call once at start-up, before any thread exists. Does nothing where the C
 * library has no mallopt(3) (or a sanitizer's allocator ignores it).
 */
void memory_setup(void);

/**
 * memory_release - after an answer of @body_len bytes has been sent and
 * freed: when it was at least MEMORY_TRIM_AFTER, give free arena memory back
 * (malloc_trim(3)). Thread-safe; cheap for small answers (a comparison).
 */
void memory_release(size_t body_len);

#endif
