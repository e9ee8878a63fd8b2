/*
 * Fuzzer: the two sides of live output that read bytes someone else wrote.
 * First byte even: the rest is an Accept header for ndjson_wanted()
 * (fcgi-app/ndjson.c, the client's). Odd: the rest is a streamed task
 * answer for ecs-run's reader (cli/remote_answer.c, the service's), fed in
 * chunks of the second byte's size (0: all at once), its output written to
 * /dev/null.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "remote_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *null_out;

static void accept_header(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)ndjson_wanted(s);
	free(s);
}

static void answer(const uint8_t *data, size_t size)
{
	remote_answer a;
	size_t chunk;

	if (size == 0)
		return;
	chunk = data[0] != 0 ? data[0] : size;
	data++;
	size--;
	remote_answer_init(&a, null_out, null_out);
	while (size > 0) {
		size_t n = size < chunk ? size : chunk;
		/* the transport's buffers end where the chunk does: ASan sees any read past it */
		char *copy = malloc(n);

		if (copy == NULL)
			break;
		memcpy(copy, data, n);
		if (remote_answer_feed(&a, copy, n) != 0) {
			free(copy);
			break;
		}
		free(copy);
		data += n;
		size -= n;
	}
	(void)remote_answer_finish(&a);
	remote_answer_clear(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (null_out == NULL && (null_out = fopen("/dev/null", "w")) == NULL)
		return 0;
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		accept_header(data + 1, size - 1);
	else
		answer(data + 1, size - 1);
	return 0;
}
