/* Private: small json-c helpers shared by the engine operations. */
#ifndef ECS_JSON_UTIL_H
#define ECS_JSON_UTIL_H

#include <stddef.h>
#include <json-c/json.h>

/** Parse @len bytes; NULL when they are not a JSON document. Caller json_object_put()s it. */
json_object *ecs_json_parse(const char *data, size_t len);

/** The string member @key of @obj, or NULL when absent or not a string. Borrowed. */
const char *ecs_json_get_string(json_object *obj, const char *key);

/** The integer member @key: 0 and *out set, or -1 when absent or not a number. */
int ecs_json_get_int64(json_object *obj, const char *key, long long *out);

/** The boolean member @key: 0 and *out set, or -1 when absent or not a boolean. */
int ecs_json_get_bool(json_object *obj, const char *key, int *out);

/** The object member @key, or NULL when absent or not an object. Borrowed. */
json_object *ecs_json_get_object(json_object *obj, const char *key);

/** strdup() of ecs_json_get_string(), or NULL. */
char *ecs_json_dup_string(json_object *obj, const char *key);

/**
 * Add @key: @value to @obj, taking @value (released on failure, NULL allowed).
 * Returns 0, or -1 when json-c ran out of memory (or @value was NULL).
 */
int ecs_json_put(json_object *obj, const char *key, json_object *value);

/** A new array of @len strings; NULL when out of memory. */
json_object *ecs_json_string_array(const char *const *items, size_t len);

/** The "message" of an engine error body, or NULL. Borrowed from @obj. */
const char *ecs_json_engine_message(json_object *obj);

/**
 * Parse a timestamp like "2024-01-02T03:04:05.123456789Z" into unix seconds;
 * -1 when malformed.
 */
long long ecs_json_parse_time(const char *s);

/**
 * The engine's label filter {"label": ["ecs.managed=true", @labels...]} as
 * JSON text (not yet URL-escaped); free() it. NULL on ENOMEM.
 */
char *ecs_json_label_filters(const char *const *labels, size_t labels_len);

#endif
