/*
 * Fuzzer: ecs-fcgi's reading of the headers that make a task outlive its
 * request (fcgi-app/task_headers.c): Prefer (RFC 7240, quoted strings
 * included) and Idempotency-Key. The input is a header's value. Neither
 * may read past the value's end (ASan), and a key judged good must be
 * what the grammar says: 1-255 printable ASCII, no space at either end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "task_headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = malloc(size + 1);
	size_t n, i;

	if (v == NULL)
		return 0;
	memcpy(v, data, size);
	v[size] = '\0';
	(void)task_headers_respond_async(v);
	if (task_headers_idem_key(v) == 1) {
		n = strlen(v);
		if (n < 1 || n > TASK_IDEM_KEY_MAX || v[0] == ' ' || v[n - 1] == ' ')
			abort();
		for (i = 0; i < n; i++)
			if (v[i] < 0x20 || v[i] > 0x7e)
				abort();
	}
	free(v);
	return 0;
}
