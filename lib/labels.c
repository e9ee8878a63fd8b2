/*
 * libecs: a caller's own labels. Checked here once for every layer that
 * takes them (task.c in phase validate, container.c at create), so a caller
 * cannot forge ecs.managed, ecs.task-id or ecs.deadline, which the sweep and
 * the reaper act on.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <ecs/ecs.h>
#include "json_util.h"
#include "labels.h"

int ecs_labels_check(const char *const *labels, size_t n, char *why, size_t whylen)
{
	const size_t ns = sizeof(ECS_LABEL_NAMESPACE) - 1;

	if (n > 0 && labels == NULL) {
		snprintf(why, whylen, "labels_len without labels");
		return -1;
	}
	if (n > ECS_LABELS_MAX) {
		snprintf(why, whylen, "more than %u labels", ECS_LABELS_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *eq = labels[i] ? strchr(labels[i], '=') : NULL;

		if (eq == NULL || eq == labels[i]) {
			snprintf(why, whylen, "label %zu is not key=value", i);
			return -1;
		}
		if (strlen(labels[i]) > ECS_LABEL_MAX) {
			snprintf(why, whylen, "label %zu is longer than %u bytes", i, ECS_LABEL_MAX);
			return -1;
		}
		if ((size_t)(eq - labels[i]) >= ns && strncmp(labels[i], ECS_LABEL_NAMESPACE, ns) == 0) {
			snprintf(why, whylen, "label %zu: keys in \"%s\" are libecs's own", i, ECS_LABEL_NAMESPACE);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strncmp(labels[j], labels[i], (size_t)(eq - labels[i]) + 1) == 0) {
				snprintf(why, whylen, "label %zu repeats the key of label %zu", i, j);
				return -1;
			}
		}
	}
	return 0;
}

int ecs_labels_put(json_object *obj, const char *const *labels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(labels[i], '=');
		size_t klen = (size_t)(eq - labels[i]);
		char *key = malloc(klen + 1);
		int rc;

		if (key == NULL)
			return -1;
		memcpy(key, labels[i], klen);
		key[klen] = '\0';
		rc = ecs_json_put(obj, key, json_object_new_string(eq + 1));
		free(key);
		if (rc != 0)
			return -1;
	}
	return 0;
}
