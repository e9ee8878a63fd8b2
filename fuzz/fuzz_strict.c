/*
 * Fuzzer: caller bytes in messages (fcgi-app/text.c) and the strict checks
 * of a task body json-c accepted (fcgi-app/json_strict.c).
 *
 * The input goes to json-c as the responder gives it; when it parses, the
 * strict check runs over the same bytes. text_quote() must always give
 * UTF-8 within its limits, and text_cut() must leave UTF-8 from UTF-8 cut
 * anywhere.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_strict.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), q[128], why[128];
	struct json_tokener *tok;
	struct json_object *root;
	size_t max, ok;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	max = size > 0 ? data[0] % sizeof(q) : 0;
	text_quote(q, sizeof(q), s, max);
	if (text_utf8_prefix(q, strlen(q)) != strlen(q) || strlen(q) > max)
		abort();
	ok = text_utf8_prefix(s, size);
	if (ok == size && size > 0) {
		s[data[size - 1] % size] = '\0';
		text_cut(s);
		if (text_utf8_prefix(s, strlen(s)) != strlen(s))
			abort();
		memcpy(s, data, size);
	}

	tok = json_tokener_new();
	if (tok != NULL) {
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		root = json_tokener_parse_ex(tok, s, (int)size);
		/* Whatever it says stays UTF-8 (a NUL key is echoed as written). */
		if (root != NULL && json_strict_check(s, size, root, why, sizeof(why)) != 0 &&
		    text_utf8_prefix(why, strlen(why)) != strlen(why))
			abort();
		json_object_put(root);
		json_tokener_free(tok);
	}
	free(s);
	return 0;
}
