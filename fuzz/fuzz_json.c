/*
 * Fuzzer: parsing engine bytes (lib/json_util.c).
 *
 * The input is handed over with its exact length and no terminator, as the
 * transport does, so ASan catches any read past it. Every getter is then run
 * over every member, and every string member is tried as a timestamp.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(json_object *obj, int depth)
{
	long long n;
	int b;

	(void)ecs_json_engine_message(obj);
	if (!json_object_is_type(obj, json_type_object) || depth > 40)
		return;
	json_object_object_foreach(obj, key, val) {
		char *dup;

		(void)ecs_json_get_string(obj, key);
		(void)ecs_json_get_int64(obj, key, &n);
		(void)ecs_json_get_bool(obj, key, &b);
		dup = ecs_json_dup_string(obj, key);
		if (dup != NULL) {
			(void)ecs_json_parse_time(dup);
			free(dup);
		}
		walk(ecs_json_get_object(obj, key), depth + 1);
		(void)val;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *obj = ecs_json_parse((const char *)data, size);
	char *s;

	walk(obj, 0);
	json_object_put(obj);

	/* The timestamp parser on raw input too, as a C string. */
	s = malloc(size + 1);
	if (s != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
		(void)ecs_json_parse_time(s);
		free(s);
	}
	return 0;
}
