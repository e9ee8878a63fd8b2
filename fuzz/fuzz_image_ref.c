/*
 * Fuzzer: image reference parsing (lib/image_ref.c).
 *
 * Beyond not crashing: a refused reference leaves the struct empty, and an
 * accepted one is exactly the concatenation of its parts, so nothing was
 * dropped or invented on the way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ecs_image_ref ref;
	char *s, *again;
	size_t n;
	int rc;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	rc = ecs_image_ref_parse(&ref, s);
	if (rc != 0) {
		if (rc != ECS_EINVAL && rc != ECS_ENOMEM)
			abort();
		if (ref.registry || ref.repository || ref.tag || ref.digest)
			abort();
		free(s);
		return 0;
	}
	if (ref.repository == NULL || (ref.tag == NULL && ref.digest == NULL))
		abort();

	n = strlen(s) + 1;
	again = malloc(n);
	if (again == NULL)
		abort();
	snprintf(again, n, "%s%s%s%s%s%s%s", ref.registry ? ref.registry : "", ref.registry ? "/" : "",
		ref.repository, ref.tag ? ":" : "", ref.tag ? ref.tag : "", ref.digest ? "@" : "",
		ref.digest ? ref.digest : "");
	if (strcmp(again, s) != 0)
		abort();

	free(again);
	ecs_image_ref_clear(&ref);
	free(s);
	return 0;
}
