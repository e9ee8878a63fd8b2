/*
 * Fuzzer: ecs-fcgi's parse of a task body (fcgi-app/task_body.c), every
 * member included (files and artifacts: fcgi-app/task_files.c), then the
 * judgment of its paths against three sandboxes (the defaults, extra tmpfs
 * paths, a writable root).
 *
 * The input is the body as request_read_body() leaves it (NUL-terminated
 * at its length). Every refusal's message must be UTF-8 (it goes into the
 * JSON error document), and an accepted body's paths must keep the
 * grammar the parser promised (absolute, no empty, "." or ".." component).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "task_body.h"
#include "task_files.h"
#include "task_labels.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void utf8_or_abort(const char *s)
{
	if (text_utf8_prefix(s, strlen(s)) != strlen(s))
		abort();
}

static void grammar_or_abort(const char *p)
{
	if (p[0] != '/' || strstr(p, "//") != NULL || strstr(p, "/./") != NULL || strstr(p, "/../") != NULL)
		abort();
	size_t n = strlen(p);
	if (p[n - 1] == '/' || (n >= 2 && strcmp(p + n - 2, "/.") == 0) || (n >= 3 && strcmp(p + n - 3, "/..") == 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tmpfs[] = { "/work", "/data/" };
	ecs_sandbox_profile p[3] = { ECS_SANDBOX_PROFILE_INIT, ECS_SANDBOX_PROFILE_INIT, ECS_SANDBOX_PROFILE_INIT };
	char *body = malloc(size + 1);
	task_body tb;
	body_error err;
	task_files_error ferr;
	size_t i;

	if (body == NULL)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	p[1].tmpfs = tmpfs;
	p[1].tmpfs_len = 2;
	p[2].writable_root = 1;
	if (task_body_parse(&tb, body, size, &err) == 0) {
		char log[128];

		/* accepted labels keep their grammar; their log form fits and is UTF-8 */
		if (tb.labels != NULL) {
			json_object_object_foreach(tb.labels, key, val) {
				if (!task_label_key_ok(key, strlen(key)) || !json_object_is_type(val, json_type_string) ||
				    !task_label_value_ok(json_object_get_string(val), strlen(json_object_get_string(val))))
					abort();
			}
		}
		task_labels_log(log, sizeof(log), tb.labels);
		utf8_or_abort(log);
		if (tb.callback_url != NULL && (tb.callback_url[0] == '\0' || strlen(tb.callback_url) > TASK_BODY_CALLBACK_URL_MAX))
			abort();
		for (i = 0; i < tb.files.files_len; i++)
			grammar_or_abort(tb.files.files[i].path);
		for (i = 0; i < tb.files.artifacts_len; i++)
			grammar_or_abort(tb.files.artifacts[i]);
		for (i = 0; i < 3; i++)
			if (task_files_check(&tb.files, &p[i], i * 8, &ferr) != 0)
				utf8_or_abort(ferr.message);
		task_body_clear(&tb);
	} else {
		utf8_or_abort(err.message);
	}
	free(body);
	return 0;
}
