/*
 * Fuzzer: image patterns and their matching (fcgi-app/image_match.c).
 *
 * The input is "PATTERN\nIMAGE". The image comes from a request (untrusted)
 * and is matched part by part. Beyond not crashing: every reference the
 * engine accepts is also a valid pattern that admits itself, and a
 * refused pattern or image admits nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image_match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	image_parts p, im;
	char *s, *nl, why[200];
	int rc_p, rc_i, m;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	nl = strchr(s, '\n');
	if (nl != NULL)
		*nl = '\0';

	rc_p = image_pattern_parse(&p, s, why, sizeof(why));
	if (rc_p == -1 && (p.host != NULL || p.path != NULL || why[0] == '\0'))
		abort();
	rc_i = image_parts_from_ref(&im, nl != NULL ? nl + 1 : s);
	if (rc_p == 0 && rc_i == 0) {
		m = image_pattern_match(&p, &im);
		if (m != 0 && m != 1)
			abort();
	}
	image_parts_clear(&p);
	if (rc_i == 0) {
		/* A valid reference, as a pattern, admits itself. */
		const char *ref = nl != NULL ? nl + 1 : s;

		if (image_match(ref, ref) != 1)
			abort();
	}
	image_parts_clear(&im);
	free(s);
	return 0;
}
