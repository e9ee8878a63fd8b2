/*
 * libecs: the Swarm client (swarm.h): services, their one task, its node and
 * logs, the stdin config, the isolated network. Requests go through the one
 * transport (http.c); the profile is mapped by lib/profile.c.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <ecs/ecs.h>
#include "engine_private.h"
#include "http.h"
#include "ids.h"
#include "json_util.h"
#include "labels.h"
#include "profile_private.h"
#include "swarm.h"

/* As for containers (container.c): byte-exact logs, bounded on the node's disk. */
#define LOG_DRIVER "local"
#define LOG_MAX_SIZE "10m"
/* A removed service's process gets SIGTERM, then SIGKILL this much later (ns). */
#define STOP_GRACE_NS 1000000000LL

#define put ecs_json_put

static int put_string(json_object *obj, const char *key, const char *value)
{
	return put(obj, key, json_object_new_string(value));
}

/* Send a JSON @body; the answer's @key (malloc'd) into *@out. */
static int post_for_id(char **out, ecs_engine *engine, const char *path, json_object *body, const char *key,
		       const char *what)
{
	ecs_http_request req = { 0 };
	json_object *answer = NULL;
	const char *text;
	size_t len = 0;
	int rc;

	*out = NULL;
	text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);
	if (text == NULL)
		return ecs_engine_fail(engine, ECS_ENOMEM, "%s: out of memory", what);
	req.method = "POST";
	req.path = path;
	req.body = text;
	req.body_len = len;
	req.fresh_connection = 1;  /* never resent: it could make a second one */
	rc = ecs_http_json(engine, &req, what, &answer);
	if (rc != 0)
		return rc;
	text = ecs_json_get_string(answer, key);
	if (text == NULL || text[0] == '\0')
		rc = ecs_engine_fail(engine, ECS_EPROTO, "%s: no %s in the engine's answer", what, key);
	else if ((*out = strdup(text)) == NULL)
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "%s: out of memory", what);
	json_object_put(answer);
	return rc;
}

static int delete_object(ecs_engine *engine, const char *what, const char *id, const char *msg)
{
	ecs_http_request req;
	ecs_http_response resp = { 0 };
	char *path;
	int rc;

	if (engine == NULL || id == NULL || id[0] == '\0')
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	rc = ecs_http_object_request(&req, &path, engine, "DELETE", what, id, "", msg);
	if (rc != 0)
		return rc;
	rc = ecs_http_do(engine, &req, &resp);
	if (rc == 0 && !ecs_http_ok(&resp) && resp.status != 404)
		rc = ecs_http_fail(engine, &resp, msg);
	ecs_http_response_clear(&resp);
	free(path);
	return rc;
}

/* libecs's labels, after @own (the caller's, checked to be outside ecs.; NULL/0 for none). */
static json_object *labels_for(const ecs_engine *engine, const char *task_id, time_t deadline,
			       const char *const *own, size_t own_len)
{
	json_object *labels = json_object_new_object();
	char text[32];

	if (labels == NULL || ecs_labels_put(labels, own, own_len) != 0 ||
	    put_string(labels, ECS_LABEL_MANAGED, "true") != 0 ||
	    put_string(labels, ECS_LABEL_TASK_ID, task_id) != 0)
		goto fail;
	if (engine->instance != NULL && put_string(labels, ECS_LABEL_INSTANCE, engine->instance) != 0)
		goto fail;
	if (deadline > 0) {
		snprintf(text, sizeof(text), "%lld", (long long)deadline);
		if (put_string(labels, ECS_LABEL_DEADLINE, text) != 0)
			goto fail;
	}
	return labels;
fail:
	json_object_put(labels);
	return NULL;
}

/* ---- the isolated network */

/* GET it; create it on a 404 (*@made = 1). */
static int network_ensure(ecs_engine *engine, int *made)
{
	ecs_http_request req = { 0 };
	ecs_http_response resp = { 0 };
	json_object *body = NULL, *labels = NULL;
	const char *text;
	size_t len = 0;
	int rc;

	*made = 0;
	if (engine == NULL)
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	req.method = "GET";
	req.path = "/networks/" ECS_SWARM_ISOLATED_NETWORK;
	rc = ecs_http_do(engine, &req, &resp);
	if (rc != 0 || ecs_http_ok(&resp))
		goto out;
	if (resp.status != 404) {
		rc = ecs_http_fail(engine, &resp, "inspect network " ECS_SWARM_ISOLATED_NETWORK);
		goto out;
	}
	ecs_http_response_clear(&resp);
	body = json_object_new_object();
	labels = json_object_new_object();
	if (body == NULL || labels == NULL || put_string(labels, "ecs.network", "isolated") != 0 ||
	    put_string(body, "Name", ECS_SWARM_ISOLATED_NETWORK) != 0 || put_string(body, "Driver", "overlay") != 0 ||
	    put(body, "Internal", json_object_new_boolean(1)) != 0 ||
	    put(body, "Attachable", json_object_new_boolean(0)) != 0 ||
	    put(body, "CheckDuplicate", json_object_new_boolean(1)) != 0) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "create network: out of memory");
		goto out;
	}
	if (put(body, "Labels", labels) != 0) {
		labels = NULL;
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "create network: out of memory");
		goto out;
	}
	labels = NULL;
	text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &len);
	if (text == NULL) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "create network: out of memory");
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/networks/create";
	req.body = text;
	req.body_len = len;
	req.fresh_connection = 1;
	rc = ecs_http_do(engine, &req, &resp);
	/* 409: a sibling thread made it first. */
	if (rc == 0 && !ecs_http_ok(&resp) && resp.status != 409)
		rc = ecs_http_fail(engine, &resp, "create network " ECS_SWARM_ISOLATED_NETWORK);
	else if (rc == 0) {
		*made = 1;
		ecs_engine_log(engine, ECS_LOG_INFO, "swarm: network %s made (internal overlay for network \"none\")",
			       ECS_SWARM_ISOLATED_NETWORK);
	}
out:
	ecs_http_response_clear(&resp);
	json_object_put(labels);
	json_object_put(body);
	return rc;
}

int ecs_swarm_network_ensure(ecs_engine *engine)
{
	int made, rc;

	/* Nothing of ecs removes it: asked once per handle, not once per task. */
	if (engine != NULL && engine->swarm_network_seen)
		return 0;
	rc = network_ensure(engine, &made);
	if (rc == 0)
		engine->swarm_network_seen = 1;
	return rc;
}

int ecs_swarm_network_recheck(ecs_engine *engine, int *made)
{
	int rc;

	if (made == NULL)
		return ECS_EINVAL;
	*made = 0;
	if (engine == NULL)
		return ECS_EINVAL;
	engine->swarm_network_seen = 0;
	rc = network_ensure(engine, made);
	if (rc == 0)
		engine->swarm_network_seen = 1;
	return rc;
}

/* ---- configs (stdin) */

static char *base64(const unsigned char *data, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)data[i] << 16 | (i + 1 < len ? (unsigned)data[i + 1] << 8 : 0) |
			     (i + 2 < len ? data[i + 2] : 0);

		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

const ecs_reap_kind ecs_swarm_reap_service = { "service", ecs_swarm_service_remove };
const ecs_reap_kind ecs_swarm_reap_config = { "config", ecs_swarm_config_remove };

int ecs_swarm_config_create(char **id_out, char **name_out, ecs_engine *engine, const char *task_id,
			    const void *data, size_t len, time_t deadline)
{
	json_object *body = NULL;
	char suffix[ECS_ID_SIZE], name[64];
	char *b64 = NULL;
	int rc;

	if (id_out == NULL || name_out == NULL || engine == NULL || task_id == NULL || (data == NULL && len > 0))
		return ECS_EINVAL;
	*id_out = *name_out = NULL;
	ecs_engine_clear_error(engine);
	/* Names are unique in a swarm; a task id may be reused, so a fresh suffix. */
	if (ecs_id_generate(suffix, sizeof(suffix)) != 0)
		return ecs_engine_fail(engine, ECS_ERROR, "create config: no random bytes");
	snprintf(name, sizeof(name), "ecs-stdin-%s", suffix);
	b64 = base64(data, len);
	body = json_object_new_object();
	if (b64 == NULL || body == NULL || put_string(body, "Name", name) != 0 || put_string(body, "Data", b64) != 0 ||
	    put(body, "Labels", labels_for(engine, task_id, deadline, NULL, 0)) != 0) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "create config: out of memory");
		goto out;
	}
	rc = post_for_id(id_out, engine, "/configs/create", body, "ID", "create config");
	if (rc == 0 && (*name_out = strdup(name)) == NULL) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "create config: out of memory");
		(void)ecs_swarm_config_remove(engine, *id_out);
		free(*id_out);
		*id_out = NULL;
	}
out:
	json_object_put(body);
	free(b64);
	return rc;
}

int ecs_swarm_config_remove(ecs_engine *engine, const char *id)
{
	return delete_object(engine, "configs", id, "remove config");
}

/* ---- services */

static json_object *config_refs(const ecs_swarm_service_spec *spec)
{
	json_object *arr = json_object_new_array(), *ref = json_object_new_object(), *file = json_object_new_object();

	if (arr == NULL || ref == NULL || file == NULL || put_string(file, "Name", ECS_SWARM_STDIN_PATH) != 0 ||
	    put_string(file, "UID", "0") != 0 || put_string(file, "GID", "0") != 0 ||
	    put(file, "Mode", json_object_new_int(0444)) != 0)
		goto fail;
	if (put(ref, "File", file) != 0) {
		file = NULL;
		goto fail;
	}
	file = NULL;
	if (put_string(ref, "ConfigID", spec->config_id) != 0 || put_string(ref, "ConfigName", spec->config_name) != 0 ||
	    json_object_array_add(arr, ref) != 0)
		goto fail;
	return arr;
fail:
	json_object_put(file);
	json_object_put(ref);
	json_object_put(arr);
	return NULL;
}

/* The command; with stdin, under the image's shell, which redirects it from the config. */
static json_object *command(const ecs_swarm_service_spec *spec)
{
	json_object *arr;
	const char **argv;
	size_t n = 0;

	if (spec->config_id == NULL)
		return ecs_json_string_array(spec->run.cmd, spec->run.cmd_len);
	argv = malloc((spec->run.cmd_len + 4) * sizeof(*argv));
	if (argv == NULL)
		return NULL;
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = "exec \"$@\" <" ECS_SWARM_STDIN_PATH;
	argv[n++] = "sh";
	for (size_t i = 0; i < spec->run.cmd_len; i++)
		argv[n++] = spec->run.cmd[i];
	arr = ecs_json_string_array(argv, n);
	free(argv);
	return arr;
}

static json_object *log_driver(void)
{
	json_object *d = json_object_new_object(), *o = json_object_new_object();

	if (d == NULL || o == NULL || put_string(o, "max-size", LOG_MAX_SIZE) != 0 || put_string(o, "max-file", "1") != 0 ||
	    put_string(o, "compress", "false") != 0 || put_string(d, "Name", LOG_DRIVER) != 0) {
		json_object_put(o);
		json_object_put(d);
		return NULL;
	}
	if (put(d, "Options", o) != 0) {
		json_object_put(d);
		return NULL;
	}
	return d;
}

static json_object *one_member(const char *key, json_object *value)
{
	json_object *o = json_object_new_object();

	if (o == NULL || put(o, key, value) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The whole spec; *@refused = 1 when the profile cannot be said in it. NULL on ENOMEM or refusal. */
static json_object *service_body(ecs_engine *engine, const ecs_swarm_service_spec *spec, int *refused)
{
	const ecs_sandbox_profile defaults = ECS_SANDBOX_PROFILE_INIT;
	const ecs_profile_context ctx = { engine, spec->task_id, spec->working_dir };
	json_object *body = json_object_new_object(), *tt = json_object_new_object(), *cs = json_object_new_object();
	json_object *replicated = NULL;
	int rc;

	*refused = 0;
	if (body == NULL || tt == NULL || cs == NULL)
		goto fail;
	rc = ecs_profile_apply_service(cs, tt, spec->profile != NULL ? spec->profile : &defaults, &ctx,
				       ECS_SWARM_ISOLATED_NETWORK);
	if (rc != 0) {
		*refused = rc == -2;
		goto fail;
	}
	if (put_string(cs, "Image", spec->run.image) != 0 || put(cs, "Command", command(spec)) != 0 ||
	    put(cs, "Env", ecs_json_string_array(spec->run.env, spec->run.env_len)) != 0 ||
	    put(cs, "Labels", labels_for(engine, spec->task_id, spec->deadline, spec->run.labels, spec->run.labels_len)) != 0 ||
	    put(cs, "StopGracePeriod", json_object_new_int64(STOP_GRACE_NS)) != 0)
		goto fail;
	if (spec->config_id != NULL && put(cs, "Configs", config_refs(spec)) != 0)
		goto fail;
	if (put(tt, "ContainerSpec", cs) != 0) {
		cs = NULL;
		goto fail;
	}
	cs = NULL;
	/* Once, never again: the default restarts a failing task for ever. */
	if (put(tt, "RestartPolicy", one_member("Condition", json_object_new_string("none"))) != 0 ||
	    put(tt, "LogDriver", log_driver()) != 0)
		goto fail;
	if (put(body, "TaskTemplate", tt) != 0) {
		tt = NULL;
		goto fail;
	}
	tt = NULL;
	replicated = one_member("Replicas", json_object_new_int(1));
	if (put(body, "Mode", one_member("Replicated", replicated)) != 0 ||
	    /* No IPVS on some kernels: no virtual IP either, and no ports to publish. */
	    put(body, "EndpointSpec", one_member("Mode", json_object_new_string("dnsrr"))) != 0 ||
	    put(body, "Labels", labels_for(engine, spec->task_id, spec->deadline, spec->run.labels, spec->run.labels_len)) != 0)
		goto fail;
	return body;
fail:
	json_object_put(cs);
	json_object_put(tt);
	json_object_put(body);
	return NULL;
}

int ecs_swarm_service_create(char **id_out, ecs_engine *engine, const ecs_swarm_service_spec *spec)
{
	json_object *body;
	int refused = 0;
	int rc;

	if (id_out == NULL || engine == NULL)
		return ECS_EINVAL;
	*id_out = NULL;
	ecs_engine_clear_error(engine);
	if (spec == NULL || spec->task_id == NULL || spec->run.image == NULL || spec->run.cmd == NULL || spec->run.cmd_len == 0 ||
	    (spec->run.env_len > 0 && spec->run.env == NULL) || (spec->config_id == NULL) != (spec->config_name == NULL))
		return ecs_engine_fail(engine, ECS_EINVAL, "create service: incomplete spec");
	body = service_body(engine, spec, &refused);
	if (body == NULL && refused)
		return ecs_engine_fail(engine, ECS_EINVAL,
				       "create service: a Swarm service cannot choose its runtime (API 1.41); "
				       "make it the nodes' default-runtime and leave the profile's runtime unset");
	if (body == NULL)
		return ecs_engine_fail(engine, ECS_ENOMEM, "create service: out of memory");
	rc = post_for_id(id_out, engine, "/services/create", body, "ID", "create service");
	json_object_put(body);
	return rc;
}

int ecs_swarm_service_remove(ecs_engine *engine, const char *id)
{
	return delete_object(engine, "services", id, "remove service");
}

/* GET @what?filters=<label filter>: the answer, an array. */
static int list_labelled(json_object **answer, ecs_engine *engine, const char *what, const char *const *labels,
			 size_t labels_len)
{
	ecs_http_request req = { 0 };
	char *filters = NULL, *esc = NULL, *path = NULL, msg[64];
	int rc;

	*answer = NULL;
	if (engine == NULL || (labels_len > 0 && labels == NULL))
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	snprintf(msg, sizeof(msg), "list %s", what);
	filters = ecs_json_label_filters(labels, labels_len);
	esc = filters != NULL ? ecs_http_escape(filters) : NULL;
	if (esc == NULL || asprintf(&path, "/%s?filters=%s", what, esc) < 0) {
		path = NULL;
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "%s: out of memory", msg);
		goto out;
	}
	req.method = "GET";
	req.path = path;
	rc = ecs_http_json(engine, &req, msg, answer);
	if (rc == 0 && !json_object_is_type(*answer, json_type_array)) {
		json_object_put(*answer);
		*answer = NULL;
		rc = ecs_engine_fail(engine, ECS_EPROTO, "%s: the engine's answer is not an array", msg);
	}
out:
	free(path);
	free(esc);
	free(filters);
	return rc;
}

int ecs_swarm_list(ecs_swarm_object **out, size_t *n, ecs_engine *engine, const char *what,
		   const char *const *labels, size_t labels_len)
{
	json_object *answer = NULL;
	ecs_swarm_object *list = NULL;
	size_t count = 0;
	int rc;

	if (out == NULL || n == NULL || what == NULL)
		return ECS_EINVAL;
	*out = NULL;
	*n = 0;
	rc = list_labelled(&answer, engine, what, labels, labels_len);
	if (rc != 0)
		return rc;
	count = json_object_array_length(answer);
	list = calloc(count ? count : 1, sizeof(*list));
	if (list == NULL) {
		json_object_put(answer);
		return ecs_engine_fail(engine, ECS_ENOMEM, "list %s: out of memory", what);
	}
	for (size_t i = 0; i < count; i++) {
		json_object *s = json_object_array_get_idx(answer, i);
		json_object *l = ecs_json_get_object(ecs_json_get_object(s, "Spec"), "Labels");
		const char *d = ecs_json_get_string(l, ECS_LABEL_DEADLINE);
		long long t = ecs_json_parse_time(ecs_json_get_string(s, "CreatedAt"));

		list[i].id = ecs_json_dup_string(s, "ID");
		list[i].task_id = ecs_json_dup_string(l, ECS_LABEL_TASK_ID);
		list[i].instance = ecs_json_dup_string(l, ECS_LABEL_INSTANCE);
		list[i].deadline = d != NULL ? (time_t)strtoll(d, NULL, 10) : 0;
		list[i].created = t > 0 ? (time_t)t : 0;
		if ((list[i].id == NULL && ecs_json_get_string(s, "ID") != NULL) ||
		    (list[i].task_id == NULL && ecs_json_get_string(l, ECS_LABEL_TASK_ID) != NULL) ||
		    (list[i].instance == NULL && ecs_json_get_string(l, ECS_LABEL_INSTANCE) != NULL))
			rc = ECS_ENOMEM;
	}
	json_object_put(answer);
	if (rc != 0) {
		ecs_swarm_list_free(list, count);
		return ecs_engine_fail(engine, rc, "list %s: out of memory", what);
	}
	*out = list;
	*n = count;
	return 0;
}

void ecs_swarm_list_free(ecs_swarm_object *list, size_t n)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(list[i].id);
		free(list[i].task_id);
		free(list[i].instance);
	}
	free(list);
}

/* ---- tasks and nodes */

void ecs_swarm_task_clear(ecs_swarm_task *t)
{
	if (t == NULL)
		return;
	free(t->id);
	free(t->node_id);
	free(t->state);
	free(t->err);
	free(t->container_id);
	memset(t, 0, sizeof(*t));
	t->exit_code = -1;
}

static int state_in(const char *state, const char *const *list)
{
	for (; state != NULL && *list != NULL; list++)
		if (strcmp(state, *list) == 0)
			return 1;
	return 0;
}

int ecs_swarm_state_terminal(const char *state)
{
	static const char *const terminal[] = { "complete", "failed", "rejected", "shutdown", "orphaned", "remove", NULL };

	return state_in(state, terminal);
}

int ecs_swarm_state_started(const char *state)
{
	static const char *const started[] = { "starting", "running", "complete", "failed", "shutdown", NULL };

	return state_in(state, started);
}

int ecs_swarm_task_get(ecs_swarm_task *out, ecs_engine *engine, const char *service_id)
{
	ecs_http_request req = { 0 };
	json_object *answer = NULL, *best = NULL, *status, *cstat;
	long long best_index = -1, v;
	char *filter = NULL, *esc = NULL, *path = NULL;
	int rc;

	if (out == NULL)
		return ECS_EINVAL;
	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	if (engine == NULL || service_id == NULL || service_id[0] == '\0')
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	{
		json_object *f = one_member("service", ecs_json_string_array(&service_id, 1));
		const char *text = f != NULL ? json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN) : NULL;

		filter = text != NULL ? strdup(text) : NULL;
		json_object_put(f);
	}
	esc = filter != NULL ? ecs_http_escape(filter) : NULL;
	if (esc == NULL || asprintf(&path, "/tasks?filters=%s", esc) < 0) {
		path = NULL;
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "list tasks: out of memory");
		goto out;
	}
	req.method = "GET";
	req.path = path;
	rc = ecs_http_json(engine, &req, "list tasks", &answer);
	if (rc != 0)
		goto out;
	if (!json_object_is_type(answer, json_type_array)) {
		rc = ecs_engine_fail(engine, ECS_EPROTO, "list tasks: the engine's answer is not an array");
		goto out;
	}
	/* One replica, never restarted: one task; the newest (highest version) if ever more. */
	for (size_t i = 0; i < json_object_array_length(answer); i++) {
		json_object *t = json_object_array_get_idx(answer, i);

		if (ecs_json_get_int64(ecs_json_get_object(t, "Version"), "Index", &v) != 0)
			v = 0;
		if (best == NULL || v > best_index) {
			best = t;
			best_index = v;
		}
	}
	if (best == NULL) {
		rc = ecs_engine_fail(engine, ECS_ENOTFOUND, "service %s has no task yet", service_id);
		goto out;
	}
	status = ecs_json_get_object(best, "Status");
	cstat = ecs_json_get_object(status, "ContainerStatus");
	out->id = ecs_json_dup_string(best, "ID");
	out->node_id = ecs_json_dup_string(best, "NodeID");
	out->state = ecs_json_dup_string(status, "State");
	out->err = ecs_json_dup_string(status, "Err");
	out->container_id = ecs_json_dup_string(cstat, "ContainerID");
	if (ecs_json_get_int64(cstat, "ExitCode", &v) == 0 && v >= 0 && v <= 255)
		out->exit_code = (int)v;
	v = ecs_json_parse_time(ecs_json_get_string(status, "Timestamp"));
	out->updated = v > 0 ? (time_t)v : 0;
	if (out->id == NULL || out->state == NULL)
		rc = ecs_engine_fail(engine, ECS_EPROTO, "list tasks: a task without ID or Status.State");
out:
	json_object_put(answer);
	free(path);
	free(esc);
	free(filter);
	return rc;
}

int ecs_swarm_node_get(char **hostname, int *lost, ecs_engine *engine, const char *node_id)
{
	ecs_http_request req;
	json_object *answer = NULL;
	const char *state;
	char *path;
	int rc;

	if (hostname == NULL || lost == NULL || engine == NULL || node_id == NULL || node_id[0] == '\0')
		return ECS_EINVAL;
	*hostname = NULL;
	*lost = 0;
	ecs_engine_clear_error(engine);
	rc = ecs_http_object_request(&req, &path, engine, "GET", "nodes", node_id, "", "inspect node");
	if (rc != 0)
		return rc;
	rc = ecs_http_json(engine, &req, "inspect node", &answer);
	free(path);
	if (rc != 0)
		return rc;
	state = ecs_json_get_string(ecs_json_get_object(answer, "Status"), "State");
	*lost = state != NULL && (strcmp(state, "down") == 0 || strcmp(state, "disconnected") == 0);
	*hostname = ecs_json_dup_string(ecs_json_get_object(answer, "Description"), "Hostname");
	if (*hostname == NULL)
		*hostname = strdup(node_id);
	json_object_put(answer);
	return *hostname != NULL ? 0 : ecs_engine_fail(engine, ECS_ENOMEM, "inspect node: out of memory");
}

static int logs_sink(const char *data, size_t len, void *userdata)
{
	return ecs_demux_feed(userdata, data, len);
}

int ecs_swarm_task_logs(ecs_demux *d, ecs_engine *engine, const char *task_id)
{
	ecs_http_request req;
	ecs_http_response resp = { 0 };
	char *path;
	int rc;

	if (d == NULL || engine == NULL || task_id == NULL || d->sys_cap == 0)
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	/* Never follow=1: on a finished task it may never end (engine-notes). */
	rc = ecs_http_object_request(&req, &path, engine, "GET", "tasks", task_id,
				     "/logs?stdout=1&stderr=1&follow=0&timestamps=0", "task logs");
	if (rc != 0)
		return rc;
	req.sink = logs_sink;
	req.sink_userdata = d;
	rc = ecs_http_do(engine, &req, &resp);
	if (rc == ECS_EPROTO)
		rc = ecs_engine_fail(engine, rc, "task logs: a malformed multiplexed stream");
	else if (rc == 0 && !ecs_http_ok(&resp))
		rc = ecs_http_fail(engine, &resp, "task logs");
	else if (rc == 0 && ecs_demux_finish(d) != 0)
		rc = ecs_engine_fail(engine, ECS_EPROTO, "task logs: the stream ended inside a frame");
	ecs_http_response_clear(&resp);
	free(path);
	return rc;
}
