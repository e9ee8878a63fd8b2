/* task_body.c - validation of the POST /v1.1/tasks body. */
#include <config.h>

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64.h"
#include "json_strict.h"
#include "task_body.h"
#include "task_labels.h"
#include "value.h"
#include "text.h"

/* The kernel's PID_MAX_LIMIT on 64-bit: pids.max refuses anything larger,
 * and the engine would answer a 500 for what is the caller's mistake. */

static int fail(body_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->status = 400;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

#define BODY_FAIL(...) fail(err, "BAD_REQUEST_BODY", __VA_ARGS__)

/* A JSON string, non-empty unless @empty_ok, without NUL bytes. */
static int get_string(const char **out, struct json_object *v, const char *what, int empty_ok, body_error *err)
{
	const char *s;
	int len;

	if (!json_object_is_type(v, json_type_string))
		return BODY_FAIL("%s must be a string", what);
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if ((size_t)len != strlen(s))
		return BODY_FAIL("%s must not contain NUL characters", what);
	if (len == 0 && !empty_ok)
		return BODY_FAIL("%s must not be empty", what);
	*out = s;
	return 0;
}

/* An array of strings into a fresh const char * array. */
static int get_string_array(const char ***out, size_t *out_len, struct json_object *v, const char *what,
		size_t max, body_error *err)
{
	size_t n, i;
	const char **a;

	if (!json_object_is_type(v, json_type_array))
		return BODY_FAIL("%s must be an array of strings", what);
	n = json_object_array_length(v);
	if (n > max)
		return BODY_FAIL("%s has more than %zu elements", what, max);
	a = calloc(n + 1, sizeof(*a));
	if (a == NULL)
		return -2;
	for (i = 0; i < n; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s[%zu]", what, i);
		if (get_string(&a[i], json_object_array_get_idx(v, i), name, 0, err) != 0) {
			free(a);
			return -1;
		}
	}
	*out = a;
	*out_len = n;
	return 0;
}

static int env_name_ok(const char *kv)
{
	const char *eq = strchr(kv, '=');
	const char *p;

	if (eq == NULL || eq == kv)
		return 0;
	if (!isalpha((unsigned char)kv[0]) && kv[0] != '_')
		return 0;
	for (p = kv; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return 1;
}

/* A positive JSON integer (not a float, not a string). */
static int get_positive_int(int64_t *out, struct json_object *v, const char *what, body_error *err)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return BODY_FAIL("%s must be a whole number", what);
	n = json_object_get_int64(v);
	if (n < 1 || n == INT64_MAX)
		return BODY_FAIL("%s must be at least 1", what);
	*out = n;
	return 0;
}

static int parse_limits(task_body *tb, struct json_object *limits, body_error *err)
{
	if (!json_object_is_type(limits, json_type_object))
		return BODY_FAIL("limits must be an object");
	json_object_object_foreach(limits, key, val) {
		if (strcmp(key, "memory") == 0) {
			if (json_object_is_type(val, json_type_string)) {
				const char *s;

				if (get_string(&s, val, "limits.memory", 0, err) != 0)
					return -1;
				if (value_parse_size(&tb->memory, s) != 0 || tb->memory < 1)
					return BODY_FAIL("limits.memory must be bytes or a size such as \"256M\"");
			} else if (get_positive_int(&tb->memory, val, "limits.memory", err) != 0) {
				return -1;
			}
			if (tb->memory < ECS_SANDBOX_MEMORY_MIN)
				return BODY_FAIL("limits.memory must be at least 6M (the engine's minimum)");
			if (tb->memory > ECS_SANDBOX_MEMORY_MAX)
				return BODY_FAIL("limits.memory must be at most 1P");
		} else if (strcmp(key, "cpus") == 0) {
			double d;

			if (!json_object_is_type(val, json_type_double) && !json_object_is_type(val, json_type_int))
				return BODY_FAIL("limits.cpus must be a number");
			d = json_object_get_double(val);
			if (!isfinite(d) || d * 1e9 < (double)ECS_SANDBOX_NANO_CPUS_MIN ||
			    d * 1e9 > (double)ECS_SANDBOX_NANO_CPUS_MAX)
				return BODY_FAIL("limits.cpus must be between 0.01 and 1024");
			tb->cpus = d;
		} else if (strcmp(key, "pids") == 0) {
			if (get_positive_int(&tb->pids, val, "limits.pids", err) != 0)
				return -1;
			if (tb->pids < ECS_SANDBOX_PIDS_MIN)
				return BODY_FAIL("limits.pids must be at least %lld (the container's init and the task)",
						(long long)ECS_SANDBOX_PIDS_MIN);
			if (tb->pids > ECS_SANDBOX_PIDS_MAX)
				return BODY_FAIL("limits.pids must be at most %lld", (long long)ECS_SANDBOX_PIDS_MAX);
		} else {
			char q[80];

			return BODY_FAIL("unknown property 'limits.%s'", text_quote(q, sizeof(q), key, 64));
		}
	}
	return 0;
}

static int parse_creds(task_body *tb, struct json_object *creds, body_error *err)
{
	struct json_object *v;
	static const char *const need[] = { "username", "password", "email" };
	const char **dst[] = { &tb->creds.username, &tb->creds.password, &tb->creds.email };
	size_t i;

	if (!json_object_is_type(creds, json_type_object))
		return BODY_FAIL("creds must be an object");
	json_object_object_foreach(creds, key, val) {
		char q[80];

		(void)val;
		if (strcmp(key, "username") != 0 && strcmp(key, "password") != 0 && strcmp(key, "email") != 0)
			return BODY_FAIL("unknown property 'creds.%s'", text_quote(q, sizeof(q), key, 64));
	}
	for (i = 0; i < 3; i++) {
		char what[32];

		snprintf(what, sizeof(what), "creds.%s", need[i]);
		if (!json_object_object_get_ex(creds, need[i], &v))
			return BODY_FAIL("%s is required", what);
		if (get_string(dst[i], v, what, 0, err) != 0)
			return -1;
	}
	tb->has_creds = 1;
	return 0;
}

/*
 * A user or a runtime, judged by libecs's one grammar for names (the one
 * every profile passes): @why gets libecs's reason. Returns 1 fine, 0 not.
 */
static int sandbox_name_ok(const char *s, int is_user, char *why, size_t whylen)
{
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;

	if (is_user)
		p.user = s;
	else
		p.runtime = s;
	return ecs_sandbox_profile_validate(&p, why, whylen) == 0;
}

/* docker_image, required: parsed here, the one parse of a request's image. */
static int parse_image(task_body *tb, struct json_object *root, body_error *err)
{
	struct json_object *v;
	int rc;

	if (!json_object_object_get_ex(root, "docker_image", &v))
		return BODY_FAIL("docker_image is required");
	if (get_string(&tb->image, v, "docker_image", 0, err) != 0)
		return -1;
	rc = ecs_image_ref_parse(&tb->ref, tb->image);
	tb->image_is_id = rc == ECS_OK && tb->ref.kind == ECS_IMAGE_REF_ID;
	if (rc == ECS_ENOMEM)
		return -2;
	if (rc != 0) {
		char q[144];

		return fail(err, "IMAGE_NAME_IS_INVALID",
				"docker_image '%s' is not a valid image reference (name:tag or name@digest)",
				text_quote(q, sizeof(q), tb->image, 128));
	}
	return 0;
}

/* cmd, required: one or more strings. */
static int parse_cmd(task_body *tb, struct json_object *root, body_error *err)
{
	struct json_object *v;
	int rc;

	if (!json_object_object_get_ex(root, "cmd", &v))
		return BODY_FAIL("cmd is required");
	rc = get_string_array(&tb->cmd, &tb->cmd_len, v, "cmd", ECS_TASK_MAX_CMD, err);
	if (rc != 0)
		return rc;
	if (tb->cmd_len == 0)
		return BODY_FAIL("cmd must have at least one element");
	return 0;
}

/* Whole seconds of @what, 1 to @max, into *@out. */
static int get_seconds(long *out, struct json_object *root, const char *what, int64_t max, body_error *err)
{
	struct json_object *v;
	int64_t t;

	if (!json_object_object_get_ex(root, what, &v))
		return 0;
	if (get_positive_int(&t, v, what, err) != 0)
		return -1;
	if (t > max)
		return BODY_FAIL("%s must be at most %lld seconds", what, (long long)max);
	*out = (long)t;
	return 0;
}

/*
 * The members each kind of body may have: a task's, a session's (what
 * runs, without a command: the container's properties and its expiry),
 * an exec's in a session (the command's properties).
 */
static int key_known(task_body_kind kind, const char *key)
{
	static const char *const task[] = { "docker_image", "cmd", "creds", "timeout", "env",
		"stdin", "limits", "network", "user", "runtime", "files", "artifacts", "labels", "callback", NULL };
	static const char *const session[] = { "docker_image", "creds", "env", "limits", "network", "user",
		"runtime", "idleTimeout", "lifetime", NULL };
	static const char *const exec[] = { "cmd", "env", "stdin", "timeout", "workdir", "files", "artifacts",
		"labels", "callback", NULL };
	const char *const *known = kind == TASK_BODY_SESSION ? session : kind == TASK_BODY_EXEC ? exec : task;

	for (size_t i = 0; known[i] != NULL; i++)
		if (strcmp(key, known[i]) == 0)
			return 1;
	return 0;
}

/* callback: {"url": a string of at most TASK_BODY_CALLBACK_URL_MAX bytes}, nothing else. */
static int parse_callback(task_body *tb, struct json_object *cb, body_error *err)
{
	struct json_object *v;

	if (!json_object_is_type(cb, json_type_object))
		return BODY_FAIL("callback must be an object {\"url\": \"https://...\"}");
	json_object_object_foreach(cb, key, val) {
		char q[80];

		(void)val;
		if (strcmp(key, "url") != 0)
			return BODY_FAIL("unknown property 'callback.%s'", text_quote(q, sizeof(q), key, 64));
	}
	if (!json_object_object_get_ex(cb, "url", &v))
		return BODY_FAIL("callback.url is required");
	if (get_string(&tb->callback_url, v, "callback.url", 0, err) != 0)
		return -1;
	if (strlen(tb->callback_url) > TASK_BODY_CALLBACK_URL_MAX)
		return BODY_FAIL("callback.url must be at most %d bytes", TASK_BODY_CALLBACK_URL_MAX);
	return 0;
}

/* Labels and callback: what a task carries beside what runs (the same for a task and an exec). */
static int parse_extras(task_body *tb, struct json_object *root, body_error *err)
{
	struct json_object *v;

	if (json_object_object_get_ex(root, "labels", &v)) {
		char why[sizeof(err->message)];

		if (task_labels_check(v, why, sizeof(why)) != 0)
			return BODY_FAIL("%s", why);
		tb->labels = v;
	}
	if (json_object_object_get_ex(root, "callback", &v))
		return parse_callback(tb, v, err);
	return 0;
}

static int validate(task_body *tb, task_body_kind kind, body_error *err)
{
	struct json_object *root = tb->root, *v;
	int rc;

	if (!json_object_is_type(root, json_type_object))
		return BODY_FAIL("the body must be a JSON object");
	json_object_object_foreach(root, key, val) {
		(void)val;
		if (!key_known(kind, key)) {
			char q[80];

			return BODY_FAIL("unknown property '%s'", text_quote(q, sizeof(q), key, 64));
		}
	}

	if (kind != TASK_BODY_EXEC && (rc = parse_image(tb, root, err)) != 0)
		return rc;
	if (kind != TASK_BODY_SESSION && (rc = parse_cmd(tb, root, err)) != 0)
		return rc;
	if (json_object_object_get_ex(root, "creds", &v) && (rc = parse_creds(tb, v, err)) != 0)
		return rc;
	if ((rc = parse_extras(tb, root, err)) != 0)
		return rc;

	if (get_seconds(&tb->timeout_s, root, "timeout", 86400, err) != 0 ||
	    get_seconds(&tb->idle_timeout_s, root, "idleTimeout", 7 * 86400, err) != 0 ||
	    get_seconds(&tb->lifetime_s, root, "lifetime", 7 * 86400, err) != 0)
		return -1;
	if (json_object_object_get_ex(root, "workdir", &v)) {
		if (get_string(&tb->workdir, v, "workdir", 0, err) != 0)
			return -1;
		if (tb->workdir[0] != '/' || strlen(tb->workdir) > ECS_TASK_MAX_PATH)
			return BODY_FAIL("workdir must be an absolute path of at most %u bytes", ECS_TASK_MAX_PATH);
	}
	if (json_object_object_get_ex(root, "env", &v)) {
		size_t i;

		rc = get_string_array(&tb->env, &tb->env_len, v, "env", ECS_TASK_MAX_ENV, err);
		if (rc != 0)
			return rc;
		for (i = 0; i < tb->env_len; i++)
			if (!env_name_ok(tb->env[i]))
				return BODY_FAIL("env[%zu] must be NAME=value with NAME of letters, digits and _", i);
	}
	if (json_object_object_get_ex(root, "stdin", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return BODY_FAIL("stdin must be a base64 string");
		rc = base64_decode(&tb->stdin_data, &tb->stdin_len, json_object_get_string(v),
				(size_t)json_object_get_string_len(v));
		if (rc == -2)
			return -2;
		if (rc != 0)
			return BODY_FAIL("stdin must be standard base64 (with padding)");
		tb->has_stdin = 1;
	}
	if (json_object_object_get_ex(root, "limits", &v) && (rc = parse_limits(tb, v, err)) != 0)
		return rc;
	if (json_object_object_get_ex(root, "network", &v)) {
		if (get_string(&tb->network, v, "network", 0, err) != 0)
			return -1;
		if (strcmp(tb->network, "none") != 0 && strcmp(tb->network, "bridge") != 0)
			return BODY_FAIL("network must be \"none\" or \"bridge\"");
	}
	if (json_object_object_get_ex(root, "user", &v)) {
		char why[128];

		if (get_string(&tb->user, v, "user", 0, err) != 0)
			return -1;
		/* An id out of range is libecs's own sentence; any other flaw, the name's grammar. */
		if (!sandbox_name_ok(tb->user, 1, why, sizeof(why)))
			return strstr(why, "uid or gid") != NULL ? BODY_FAIL("%s", why) :
				BODY_FAIL("user must be uid[:gid] or a user name (letters, digits, '_', '.', '-'; "
					"at most %u bytes)", ECS_SANDBOX_MAX_NAME);
	}
	if (json_object_object_get_ex(root, "runtime", &v)) {
		char why[128];

		if (get_string(&tb->runtime, v, "runtime", 0, err) != 0)
			return -1;
		if (!sandbox_name_ok(tb->runtime, 0, why, sizeof(why)))
			return BODY_FAIL("runtime must be an engine runtime's name such as \"runsc\" (letters, "
					"digits, '_', '.', '-'; at most %u bytes)", ECS_SANDBOX_MAX_NAME);
	}
	{
		struct json_object *files = NULL, *artifacts = NULL;
		task_files_error ferr;

		json_object_object_get_ex(root, "files", &files);
		json_object_object_get_ex(root, "artifacts", &artifacts);
		rc = task_files_parse(&tb->files, files, artifacts, &ferr);
		if (rc == -1)
			return fail(err, ferr.code, "%s", ferr.message);
		return rc;
	}
}

int task_body_parse(task_body *out, const char *body, size_t len, body_error *err)
{
	return task_body_parse_kind(out, body, len, TASK_BODY_TASK, err);
}

int task_body_parse_kind(task_body *out, const char *body, size_t len, task_body_kind kind, body_error *err)
{
	struct json_tokener *tok;
	char why[128];
	size_t end;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (len == 0)
		return BODY_FAIL("the body is empty: expected a JSON object");
	if (memchr(body, '\0', len) != NULL)
		return BODY_FAIL("the body contains a NUL byte");
	tok = json_tokener_new();
	if (tok == NULL)
		return -2;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* Include the terminating NUL: without it json-c cannot tell that a
	 * top-level literal ("null", "42") has ended. */
	out->root = json_tokener_parse_ex(tok, body, (int)len + (body[len] == '\0'));
	if (out->root == NULL) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		json_tokener_free(tok);
		if (e == json_tokener_success)  /* the body was the JSON null */
			return BODY_FAIL("the body must be a JSON object");
		if (e == json_tokener_continue)
			return BODY_FAIL("malformed JSON: unexpected end of the body");
		return BODY_FAIL("malformed JSON: %s", json_tokener_error_desc(e));
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end < len && isspace((unsigned char)body[end]))
		end++;
	if (end < len) {
		json_object_put(out->root);
		out->root = NULL;
		return BODY_FAIL("malformed JSON: trailing characters after the object");
	}
	if (json_strict_check(body, len, out->root, why, sizeof(why)) != 0) {
		json_object_put(out->root);
		out->root = NULL;
		return BODY_FAIL("%s", why);
	}
	rc = validate(out, kind, err);
	if (rc != 0)
		task_body_clear(out);
	return rc;
}

int task_body_check_caps(const task_body *tb, const limit_caps *caps, char *why, size_t whylen)
{
	if (caps->max_timeout_s > 0 && tb->timeout_s > caps->max_timeout_s) {
		snprintf(why, whylen, "timeout %ld exceeds the cap of %ld seconds", tb->timeout_s, caps->max_timeout_s);
		return -1;
	}
	if (caps->max_memory > 0 && tb->memory > caps->max_memory) {
		snprintf(why, whylen, "limits.memory %lld exceeds the cap of %lld bytes",
				(long long)tb->memory, (long long)caps->max_memory);
		return -1;
	}
	/* Compared as the engine will get them (NanoCpus, rounded as sandbox.c
	 * does): shown both ways, as "1.0000001 exceeds 1" at %g read "1 > 1". */
	if (caps->max_cpus > 0 && tb->cpus > 0 && value_nano_cpus(tb->cpus) > value_nano_cpus(caps->max_cpus)) {
		snprintf(why, whylen, "limits.cpus %.10g (%lld NanoCpus) exceeds the cap of %.10g (%lld NanoCpus)",
				tb->cpus, (long long)value_nano_cpus(tb->cpus), caps->max_cpus,
				(long long)value_nano_cpus(caps->max_cpus));
		return -1;
	}
	if (caps->max_pids > 0 && tb->pids > caps->max_pids) {
		snprintf(why, whylen, "limits.pids %lld exceeds the cap of %lld",
				(long long)tb->pids, (long long)caps->max_pids);
		return -1;
	}
	return 0;
}

void task_body_clear(task_body *tb)
{
	if (tb->root != NULL)
		json_object_put(tb->root);
	ecs_image_ref_clear(&tb->ref);
	free(tb->cmd);
	free(tb->env);
	free(tb->stdin_data);
	task_files_clear(&tb->files);
	memset(tb, 0, sizeof(*tb));
}
