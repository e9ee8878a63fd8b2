/*
 * Private: a caller's own labels ("key=value" strings, see <ecs/common.h>),
 * checked once against the bounds and the reserved namespace, and added to
 * a Labels object of a create body (containers, services).
 */
#ifndef ECS_LABELS_H
#define ECS_LABELS_H

#include <stddef.h>

struct json_object;

/**
 * 0 when @labels (@n of them; NULL/0 for none) are all "key=value" with a
 * key outside ECS_LABEL_NAMESPACE, within ECS_LABELS_MAX and ECS_LABEL_MAX,
 * and no key twice; else -1 with the reason in @why. Pure.
 */
int ecs_labels_check(const char *const *labels, size_t n, char *why, size_t whylen);

/** Add checked @labels to @obj. 0, or -1 when json-c ran out of memory. */
int ecs_labels_put(struct json_object *obj, const char *const *labels, size_t n);

#endif
