/* task_labels.c - the grammar of a task's labels. See task_labels.h. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "task_labels.h"
#include "text.h"

int task_label_key_ok(const char *key, size_t len)
{
	size_t i;

	if (len < 1 || len > TASK_LABEL_KEY_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-' || c == '/'))
			return 0;
	}
	return 1;
}

int task_label_value_ok(const char *value, size_t len)
{
	size_t i;

	if (len > TASK_LABEL_VALUE_MAX)
		return 0;
	/* No control characters: a value goes into log lines and filters as text. */
	for (i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return 0;
	return 1;
}

int task_labels_check(const struct json_object *labels, char *why, size_t whylen)
{
	size_t n = 0;
	char q[80];

	if (!json_object_is_type(labels, json_type_object)) {
		snprintf(why, whylen, "labels must be an object of strings");
		return -1;
	}
	json_object_object_foreach((struct json_object *)labels, key, val) {
		if (++n > TASK_LABELS_MAX) {
			snprintf(why, whylen, "labels has more than %d members", TASK_LABELS_MAX);
			return -1;
		}
		if (!task_label_key_ok(key, strlen(key))) {
			snprintf(why, whylen, "labels key '%s' must be 1-%d of letters, digits, '_', '.', '-', '/'",
				 text_quote(q, sizeof(q), key, 64), TASK_LABEL_KEY_MAX);
			return -1;
		}
		if (!json_object_is_type(val, json_type_string) ||
		    (size_t)json_object_get_string_len(val) != strlen(json_object_get_string(val)) ||
		    !task_label_value_ok(json_object_get_string(val), (size_t)json_object_get_string_len(val))) {
			snprintf(why, whylen, "labels.%s must be a string of at most %d bytes without control characters",
				 key, TASK_LABEL_VALUE_MAX);
			return -1;
		}
	}
	return 0;
}

void task_labels_log(char *buf, size_t size, const struct json_object *labels)
{
	size_t used = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (labels == NULL || !json_object_is_type(labels, json_type_object))
		return;
	json_object_object_foreach((struct json_object *)labels, key, val) {
		int n = snprintf(buf + used, size - used, "%s%s=%s", used ? "," : "", key,
				 json_object_get_string(val));

		if (n < 0 || (size_t)n >= size - used) {
			buf[used] = '\0';  /* cut at a whole label */
			return;
		}
		used += (size_t)n;
	}
}
