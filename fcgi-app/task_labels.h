/*
 * task_labels.h - a task's labels: the client's own small map of strings
 * (the `labels` member of a task body), echoed in its documents, written to
 * its log line, and a filter of GET /v1.1/tasks?label=k=v. Never put on a
 * container: container labels would split the warm pool.
 *
 * At most TASK_LABELS_MAX of them; a key is 1-63 of [A-Za-z0-9_.-/], a
 * value 0-255 bytes without control characters.
 */
#ifndef ECSFCGI_TASK_LABELS_H
#define ECSFCGI_TASK_LABELS_H

#include <stddef.h>

struct json_object;

#define TASK_LABELS_MAX 16
#define TASK_LABEL_KEY_MAX 63
#define TASK_LABEL_VALUE_MAX 255

/**
 * task_labels_check - is @labels (the body's member) a valid labels object?
 * Returns 0, or -1 with @why (one line naming the key at fault).
 */
int task_labels_check(const struct json_object *labels, char *why, size_t whylen);

/** task_label_key_ok - is @key (@len bytes) a label key? 1 or 0. */
int task_label_key_ok(const char *key, size_t len);

/** task_label_value_ok - is @value (@len bytes) a label value? 1 or 0. */
int task_label_value_ok(const char *value, size_t len);

/**
 * task_labels_log - @labels (checked) as "k=v,k2=v2" for a log line, cut to
 * fit @size (NUL-terminated; "" for NULL).
 */
void task_labels_log(char *buf, size_t size, const struct json_object *labels);

#endif
