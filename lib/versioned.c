/* libecs: an older version of an options struct copied into a current one (see versioned.h). */
#include <config.h>

#include <string.h>

#include "versioned.h"

int ecs_versioned_copy(void *out, size_t out_size, const void *defaults, const void *in, const size_t *sizes,
		       size_t nsizes)
{
	unsigned int version, current = (unsigned int)(nsizes - 1);

	memcpy(out, defaults, out_size);
	memcpy(&version, in, sizeof(version));
	if (version >= nsizes || sizes[version] == 0 || sizes[version] > out_size)
		return -1;
	memcpy(out, in, sizes[version]);
	memcpy(out, &current, sizeof(current));
	return 0;
}
