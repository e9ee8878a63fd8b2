/* memory.c - give the memory of large answers back to the system (see memory.h). */
#include <config.h>

#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif

#include "memory.h"

void memory_setup(void)
{
#if defined(HAVE_MALLOPT) && defined(M_MMAP_THRESHOLD)
	/* Setting it also stops glibc's sliding of the threshold (and of the
	 * trim threshold) after each large free. */
	(void)mallopt(M_MMAP_THRESHOLD, (int)MEMORY_MMAP_THRESHOLD);
#endif
#if defined(HAVE_MALLOPT) && defined(M_ARENA_MAX)
	(void)mallopt(M_ARENA_MAX, (int)MEMORY_ARENAS);
#endif
}

void memory_release(size_t body_len)
{
#ifdef HAVE_MALLOC_TRIM
	if (body_len >= MEMORY_TRIM_AFTER)
		(void)malloc_trim(0);
#else
	(void)body_len;
#endif
}
