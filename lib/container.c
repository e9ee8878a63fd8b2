/*
 * libecs: one container's life on the engine: create, start, wait, kill,
 * delete, inspect, and listing the containers libecs made.
 */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include <ecs/ecs.h>
#include "image_private.h"
#include "engine_private.h"
#include "agent_chan.h"
#include "container_private.h"
#include "http.h"
#include "json_util.h"
#include "labels.h"
#include "profile_private.h"
#include "versioned.h"

/*
 * The "local" driver keeps logs byte-exact (json-file replaces invalid UTF-8)
 * and these bounds keep a chatty task from filling the engine's disk.
 */
#define LOG_DRIVER "local"
#define LOG_MAX_SIZE "10m"
#define LOG_MAX_FILE "1"
/* The engine refuses compression (the driver's default) with a single file. */
#define LOG_COMPRESS "false"

/* Common argument check for the calls that take a container id. */
static int check_id(ecs_engine *engine, const char *id, const char *what)
{
	if (engine == NULL)
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	if (id == NULL || id[0] == '\0')
		return ecs_engine_fail(engine, ECS_EINVAL, "%s: no container id", what);
	return ECS_OK;
}

/*
 * The bodiless request on container @id that every call below makes:
 * "/containers/<escaped id><suffix>" into *@path (the caller frees it;
 * @req borrows it). 0, or ECS_EINVAL / ECS_ENOMEM with the handle's message.
 */
static int container_request(ecs_http_request *req, char **path, ecs_engine *engine, const char *method,
			     const char *id, const char *suffix, const char *what, long timeout_ms)
{
	int rc = check_id(engine, id, what);

	*path = NULL;
	if (rc == ECS_OK)
		rc = ecs_http_object_request(req, path, engine, method, "containers", id, suffix, what);
	if (rc == ECS_OK)
		req->timeout_ms = timeout_ms;
	return rc;
}

/*
 * Reject a spec the engine would misread rather than refuse: a missing
 * command or task id would create an unlabelled or image-default container.
 */
static int check_spec(ecs_engine *engine, const ecs_container_spec *spec, int need_cmd)
{
	size_t i;

	if (spec == NULL)
		return ecs_engine_fail(engine, ECS_EINVAL, "create: no spec");
	if (spec->run.image == NULL || spec->run.image[0] == '\0')
		return ecs_engine_fail(engine, ECS_EINVAL, "create: no image");
	if (need_cmd && (spec->run.cmd == NULL || spec->run.cmd_len == 0))
		return ecs_engine_fail(engine, ECS_EINVAL, "create: no command");
	for (i = 0; need_cmd && i < spec->run.cmd_len; i++)
		if (spec->run.cmd[i] == NULL)
			return ecs_engine_fail(engine, ECS_EINVAL, "create: command argument %zu is NULL", i);
	if (need_cmd && spec->run.env_len > 0 && spec->run.env == NULL)
		return ecs_engine_fail(engine, ECS_EINVAL, "create: env_len is %zu but env is NULL", spec->run.env_len);
	for (i = 0; need_cmd && i < spec->run.env_len; i++)
		if (spec->run.env[i] == NULL || strchr(spec->run.env[i], '=') == NULL || spec->run.env[i][0] == '=')
			return ecs_engine_fail(engine, ECS_EINVAL, "create: env entry %zu is not KEY=VALUE", i);
	if (spec->task_id == NULL || spec->task_id[0] == '\0')
		return ecs_engine_fail(engine, ECS_EINVAL, "create: no task id");
	if (spec->deadline < 0)
		return ecs_engine_fail(engine, ECS_EINVAL, "create: negative deadline");
	{
		char why[128];

		if (ecs_labels_check(spec->run.labels, spec->run.labels_len, why, sizeof(why)) != 0)
			return ecs_engine_fail(engine, ECS_EINVAL, "create: %s", why);
	}
	if (spec->profile != NULL) {
		char why[256];

		if (ecs_sandbox_profile_validate(spec->profile, why, sizeof(why)) != 0)
			return ecs_engine_fail(engine, ECS_EINVAL, "create: profile %s", why);
	}
	return ECS_OK;
}

/* Add @key: @value to @obj; -1 when json-c ran out of memory. */
static int put(json_object *obj, const char *key, json_object *value)
{
	return ecs_json_put(obj, key, value);
}

static int put_string(json_object *obj, const char *key, const char *value)
{
	return put(obj, key, json_object_new_string(value));
}

static json_object *string_array(const char *const *items, size_t len)
{
	return ecs_json_string_array(items, len);
}

static json_object *create_labels(const ecs_engine *engine, const ecs_container_spec *spec,
				  const ecs_container_agent *agent)
{
	json_object *labels = json_object_new_object();
	char deadline[32];

	if (labels == NULL)
		return NULL;
	/* The caller's first: checked to be outside ecs., so ours cannot be overwritten anyway. */
	if (ecs_labels_put(labels, spec->run.labels, spec->run.labels_len) != 0)
		goto fail;
	/* libecs's own (a session's): before the fixed ones below, which replace any of the same key */
	if (ecs_labels_put(labels, spec->own_labels, spec->own_labels_len) != 0)
		goto fail;
	if (put_string(labels, ECS_LABEL_MANAGED, "true") != 0 ||
			put_string(labels, ECS_LABEL_TASK_ID, spec->task_id) != 0)
		goto fail;
	if (engine->instance != NULL && put_string(labels, ECS_LABEL_INSTANCE, engine->instance) != 0)
		goto fail;
	if (agent != NULL && agent->pool_label != NULL && put_string(labels, ECS_LABEL_POOL, agent->pool_label) != 0)
		goto fail;
	if (spec->deadline > 0) {
		snprintf(deadline, sizeof(deadline), "%lld", (long long)spec->deadline);
		if (put_string(labels, ECS_LABEL_DEADLINE, deadline) != 0)
			goto fail;
	}
	return labels;
fail:
	json_object_put(labels);
	return NULL;
}

static json_object *create_host_config(const ecs_container_spec *spec)
{
	json_object *hc = json_object_new_object();
	json_object *log = NULL, *log_config = NULL;

	if (hc == NULL)
		return NULL;
	/* The reaper deletes our containers; AutoRemove would race it and lose the logs. */
	if (put(hc, "AutoRemove", json_object_new_boolean(0)) != 0)
		goto fail;

	log = json_object_new_object();
	if (log == NULL)
		goto fail;
	/* Output read live from the attach stream: the engine need not keep it. */
	if (spec->attach_output) {
		if (put_string(log, "Type", "none") != 0)
			goto fail;
		if (put(hc, "LogConfig", log) != 0) {
			log = NULL;
			goto fail;
		}
		return hc;
	}
	log_config = json_object_new_object();
	if (log_config == NULL)
		goto fail;
	if (put_string(log_config, "max-size", LOG_MAX_SIZE) != 0 ||
			put_string(log_config, "max-file", LOG_MAX_FILE) != 0 ||
			put_string(log_config, "compress", LOG_COMPRESS) != 0 ||
			put_string(log, "Type", LOG_DRIVER) != 0)
		goto fail;
	if (put(log, "Config", log_config) != 0) {
		log_config = NULL;  /* put() released it */
		goto fail;
	}
	log_config = NULL;
	if (put(hc, "LogConfig", log) != 0) {
		log = NULL;
		goto fail;
	}
	return hc;
fail:
	json_object_put(log_config);
	json_object_put(log);
	json_object_put(hc);
	return NULL;
}

/* The agent's file on the engine's host: the caller's, else the handle's. */
static const char *agent_file(const ecs_engine *engine, const char *path)
{
	return path != NULL ? path : engine->agent_path;
}

/* A read-only bind of @source at @target, appended to @mounts. */
static int add_bind_mount(json_object *mounts, const char *source, const char *target)
{
	json_object *m = json_object_new_object();

	if (m == NULL || put_string(m, "Type", "bind") != 0 || put_string(m, "Source", source) != 0 ||
	    put_string(m, "Target", target) != 0 || put(m, "ReadOnly", json_object_new_boolean(1)) != 0 ||
	    json_object_array_add(mounts, m) != 0) {
		json_object_put(m);
		return -1;
	}
	return 0;
}

/* @path is a regular file here (on a local engine's host: where it looks for what it mounts). */
static int regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * The hosts file beside @agent_path on the engine's host (agent/Makefile.am
 * installs it; a container without the agent takes the one beside the
 * engine's agent_path), or NULL: the engine is not local (the file cannot be
 * checked), or it is not there (an agent installed on its own). Allocated.
 */
static char *hosts_beside(const ecs_engine *engine, const char *agent_path)
{
	const char *slash = strrchr(agent_path, '/');
	char *hosts = NULL;

	if (engine->socket_path == NULL || slash == NULL ||
	    asprintf(&hosts, "%.*s/%s", (int)(slash - agent_path), agent_path, ECS_AGENT_HOSTS) < 0)
		return NULL;
	if (!regular_file(hosts)) {
		free(hosts);
		return NULL;
	}
	return hosts;
}

/*
 * A task without a network ("none") gets the engine's NetworkDisabled
 * instead: a network namespace of its own holding only loopback, as with
 * "none", but without libnetwork's sandbox, whose prestart hook (dockerd
 * executing itself once per container, ~120 ms of CPU on 2 cores) was half
 * of a cold task's CPU and latency (bench/run.sh, perf). That sandbox is
 * also what writes /etc/hosts (and a copy of the host's resolv.conf, of no
 * use without a network): @hosts, the file installed beside the agent,
 * takes its place, so "localhost" still resolves. Without @hosts the
 * container keeps "none" and its hook.
 */
static int offline_config(json_object *body, json_object *hc, json_object *mounts, const char *hosts)
{
	json_object *mode = NULL;

	if (hosts == NULL || !json_object_object_get_ex(hc, "NetworkMode", &mode) ||
	    strcmp(json_object_get_string(mode), "none") != 0)
		return 0;
	if (put(body, "NetworkDisabled", json_object_new_boolean(1)) != 0 || add_bind_mount(mounts, hosts, "/etc/hosts") != 0)
		return -1;
	return 0;
}

/*
 * The agent as entrypoint (its arguments name the task's user, not the
 * image's Cmd), read-only, PID 1 itself, started as root to move to a uid
 * of its own (agent/PROTOCOL.md).
 */
static int agent_config(json_object *body, json_object *hc, json_object *mounts, const ecs_engine *engine,
			const ecs_container_agent *agent)
{
	const char *path = agent_file(engine, agent->agent_path);
	static const char *const entry[] = { ECS_AGENT_MOUNT };
	/* -u USER [-h] [-c SOCKET], then -w ROOT for each writable root: where PUT and GET may reach */
	const char *args[5 + 2 * (ECS_SANDBOX_MAX_TMPFS + 1)] = { "-u", agent->task_user != NULL ? agent->task_user : "" };
	size_t n = 2;
	json_object *ro = NULL, *tmpfs = NULL;
	char *bind = NULL;
	const char *binds[1];
	int rc;

	if (agent->set_home)
		args[n++] = "-h";
	if (agent->channel_dir != NULL) {
		args[n++] = "-c";
		args[n++] = ECS_AGENT_CHAN_SOCKET;
	}
	/*
	 * The roots are what the profile mounted (ecs_profile_apply() ran):
	 * "/" when the root is writable, else the Tmpfs paths, /tmp and the
	 * profile's, without one skipped for hiding the image's WorkingDir.
	 */
	if (json_object_object_get_ex(hc, "ReadonlyRootfs", &ro) && !json_object_get_boolean(ro)) {
		args[n++] = "-w";
		args[n++] = "/";
	} else if (json_object_object_get_ex(hc, "Tmpfs", &tmpfs)) {
		json_object_object_foreach(tmpfs, root, opts) {
			(void)opts;
			if (n + 2 > sizeof(args) / sizeof(args[0]))
				break;
			args[n++] = "-w";
			args[n++] = root;
		}
	}
	if (ecs_profile_apply_agent(body, hc) != 0)
		return -1;
	if (asprintf(&bind, "%s:%s:ro", path, ECS_AGENT_MOUNT) < 0)
		return -1;
	binds[0] = bind;
	/*
	 * The channel's directory is a mount, not a bind: for a source it cannot
	 * see (an engine in another mount namespace) the engine refuses the
	 * create instead of making an empty directory on its host, so the pool
	 * knows at once (pool.c).
	 */
	rc = put(body, "Entrypoint", string_array(entry, 1)) != 0 || put(body, "Cmd", string_array(args, n)) != 0 ||
	     put(hc, "Binds", string_array(binds, 1)) != 0 || put(hc, "Init", json_object_new_boolean(0)) != 0 ||
	     (agent->channel_dir != NULL && add_bind_mount(mounts, agent->channel_dir, ECS_AGENT_CHAN_MOUNT) != 0);
	free(bind);
	return rc ? -1 : 0;
}

void ecs_container_agent_user(ecs_container_agent *agent, const ecs_sandbox_profile *profile,
			      const ecs_image_info *image)
{
	agent->task_user = profile != NULL && profile->user != NULL ? profile->user
			   : image->user != NULL ? image->user : "";
	agent->set_home = !image->has_home;
}

int ecs_container_agent_missing(const ecs_engine *engine, const char *path)
{
	return engine->socket_path != NULL && !regular_file(agent_file(engine, path));
}

static json_object *create_body(ecs_engine *engine, const ecs_container_spec *spec, const char *working_dir,
				const ecs_container_agent *agent)
{
	const ecs_sandbox_profile defaults = ECS_SANDBOX_PROFILE_INIT;
	const ecs_profile_context ctx = { engine, spec->task_id, working_dir };
	json_object *body = json_object_new_object(), *hc = create_host_config(spec), *mounts = json_object_new_array();
	/* the agent reads its requests on stdin; a session's stays open across attaches */
	int in = spec->open_stdin || agent != NULL ? 1 : 0;
	int once = in && (agent == NULL || !agent->keep_stdin);
	/* beside the agent this container runs, or the one the engine's containers would */
	char *hosts = hosts_beside(engine, agent_file(engine, agent != NULL ? agent->agent_path : NULL));

	if (body == NULL || hc == NULL || mounts == NULL) {
		json_object_put(mounts);
		json_object_put(hc);
		json_object_put(body);
		free(hosts);
		return NULL;
	}
	if (put(body, "HostConfig", hc) != 0) {  /* put() released hc */
		json_object_put(mounts);
		json_object_put(body);
		free(hosts);
		return NULL;
	}
	if (ecs_profile_apply(body, hc, spec->profile != NULL ? spec->profile : &defaults, &ctx) != 0 ||
			put_string(body, "Image", spec->run.image) != 0 ||
			(agent == NULL && put(body, "Cmd", string_array(spec->run.cmd, spec->run.cmd_len)) != 0) ||
			((agent == NULL || spec->run.env_len > 0) &&
			 put(body, "Env", string_array(spec->run.env, spec->run.env_len)) != 0) ||
			(agent != NULL && agent_config(body, hc, mounts, engine, agent) != 0) ||
			offline_config(body, hc, mounts, hosts) != 0 ||
			put(body, "Labels", create_labels(engine, spec, agent)) != 0 ||
			put(body, "Tty", json_object_new_boolean(0)) != 0 ||
			/* StdinOnce: the engine closes the process's stdin when our one attach ends. */
			put(body, "AttachStdin", json_object_new_boolean(in)) != 0 ||
			put(body, "OpenStdin", json_object_new_boolean(in)) != 0 ||
			put(body, "StdinOnce", json_object_new_boolean(once)) != 0 ||
			put(body, "AttachStdout", json_object_new_boolean(spec->attach_output ? 1 : 0)) != 0 ||
			put(body, "AttachStderr", json_object_new_boolean(spec->attach_output ? 1 : 0)) != 0 ||
			(json_object_array_length(mounts) > 0 && put(hc, "Mounts", json_object_get(mounts)) != 0)) {
		json_object_put(mounts);
		json_object_put(body);
		free(hosts);
		return NULL;
	}
	json_object_put(mounts);
	free(hosts);
	return body;
}

static int create(char **id_out, ecs_engine *engine, const ecs_container_spec *spec, const ecs_container_agent *agent)
{
	ecs_http_request req = { 0 };
	json_object *body = NULL, *answer = NULL;
	ecs_image_info image = ECS_IMAGE_INFO_INIT;
	const char *text;
	size_t text_len = 0;
	char *id = NULL;
	int rc;

	if (id_out == NULL || engine == NULL)
		return ECS_EINVAL;
	*id_out = NULL;
	ecs_engine_clear_error(engine);
	/* Private and built with the library: only the current version exists. */
	if (spec != NULL && spec->version != ECS_CONTAINER_SPEC_VERSION)
		return ecs_engine_fail(engine, ECS_EINVAL, "create: spec version %u, expected %u", spec->version,
				       ECS_CONTAINER_SPEC_VERSION);
	rc = check_spec(engine, spec, agent == NULL);
	if (rc != ECS_OK)
		return rc;
	if (agent != NULL && agent_file(engine, agent->agent_path)[0] != '/')
		return ecs_engine_fail(engine, ECS_EINVAL, "create: the agent needs an absolute path");
	if (agent != NULL && ecs_container_agent_missing(engine, agent->agent_path))
		return ecs_engine_fail(engine, ECS_ERROR, "create: no ecs-agent at %s, the entrypoint of every task "
				       "container (the engine's agent_path; ecs-fcgi: pool_agent)",
				       agent_file(engine, agent->agent_path));

	if (spec->image_working_dir == NULL) {
		/* The tmpfs mounts must not hide the image's WorkingDir (lib/profile.c). */
		rc = ecs_image_inspect_ref(&image, engine, spec->run.image, NULL);
		if (rc != ECS_OK)
			goto out;
	}
	body = create_body(engine, spec, spec->image_working_dir != NULL ? spec->image_working_dir : image.working_dir,
			   agent);
	if (body == NULL) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "create: out of memory");
		goto out;
	}
	text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &text_len);
	if (text == NULL) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "create: out of memory");
		goto out;
	}
	req.method = "POST";
	req.path = "/containers/create";
	req.fresh_connection = 1;  /* no silent resend: it could make a second container */
	req.body = text;
	req.body_len = text_len;
	/* 404 no such image, 400 a bad spec, 409 a name conflict: ecs_http_fail maps them. */
	rc = ecs_http_json(engine, &req, "create container", &answer);
	if (rc != ECS_OK)
		goto out;
	text = ecs_json_get_string(answer, "Id");
	if (text == NULL || text[0] == '\0') {
		rc = ecs_engine_fail(engine, ECS_EPROTO, "create container: no Id in the engine's answer");
		goto out;
	}
	/* The container exists now: a caller seeing ENOMEM must still look for it (by its task id label). */
	id = strdup(text);
	if (id == NULL) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "create container: out of memory reading the answer");
		goto out;
	}
	*id_out = id;
	id = NULL;
	rc = ECS_OK;
out:
	free(id);
	ecs_image_info_clear(&image);
	json_object_put(answer);
	json_object_put(body);
	return rc;
}

int ecs_container_create(char **id_out, ecs_engine *engine, const ecs_container_spec *spec)
{
	return create(id_out, engine, spec, NULL);
}

int ecs_container_create_agent(char **id_out, ecs_engine *engine, const ecs_container_spec *spec,
			       const ecs_container_agent *agent)
{
	if (agent == NULL)
		return ECS_EINVAL;
	return create(id_out, engine, spec, agent);
}

ecs_agent_chan *ecs_container_chan_offer(ecs_engine *engine, const char *dir, const ecs_sandbox_profile *profile,
					 const char *name, const char *who)
{
	ecs_agent_chan *ch = NULL;

	if (dir == NULL || engine->socket_path == NULL ||
	    (profile != NULL && profile->runtime != NULL && strcmp(profile->runtime, "runsc") == 0))
		return NULL;
	if (ecs_agent_chan_listen(&ch, dir, name) != 0) {
		ecs_engine_log(engine, ECS_LOG_WARN, "%s: no direct channel in %s (%s): attach", who, dir, strerror(errno));
		return NULL;
	}
	return ch;
}

int ecs_container_create_agent_offering(char **id_out, ecs_engine *engine, const ecs_container_spec *spec,
					ecs_container_agent *agent, ecs_agent_chan **ch, char *refused, size_t refused_len)
{
	char why[sizeof(engine->errmsg)];
	int rc;

	if (refused_len > 0)
		refused[0] = '\0';
	agent->channel_dir = *ch != NULL ? ecs_agent_chan_dir(*ch) : NULL;
	rc = ecs_container_create_agent(id_out, engine, spec, agent);
	/* the engine answered no (400, 500): a source it cannot see is one reason; a transport failure is not */
	if (*ch == NULL || (rc != ECS_EINVAL && rc != ECS_EENGINE))
		return rc;
	snprintf(why, sizeof(why), "%s", ecs_engine_errmsg(engine));
	ecs_agent_chan_free(*ch);
	*ch = NULL;
	agent->channel_dir = NULL;
	rc = ecs_container_create_agent(id_out, engine, spec, agent);
	if (rc == 0 && refused_len > 0)
		snprintf(refused, refused_len, "the engine refused the direct channel's mount (%s)", why);
	return rc;
}

/*
 * One bodiless request on a container. @ok_status is a non-2xx status that
 * also means success (0 for none); @ok_conflict makes a 409 success too.
 */
/* @timeout_ms: 0 for the handle's request timeout. */
static int simple_call_within(ecs_engine *engine, const char *method, const char *id, const char *suffix,
		const char *what, long ok_status, int ok_conflict, long timeout_ms)
{
	ecs_http_request req;
	ecs_http_response resp = { 0 };
	char *path;
	int rc = container_request(&req, &path, engine, method, id, suffix, what, timeout_ms);

	if (rc != ECS_OK)
		return rc;
	rc = ecs_http_do(engine, &req, &resp);
	if (rc != ECS_OK)
		goto out;
	if (ecs_http_ok(&resp) || (ok_status != 0 && resp.status == ok_status) ||
			(ok_conflict && resp.status == 409))
		rc = ECS_OK;
	else
		rc = ecs_http_fail(engine, &resp, what);
out:
	ecs_http_response_clear(&resp);
	free(path);
	return rc;
}

static int simple_call(ecs_engine *engine, const char *method, const char *id, const char *suffix,
		const char *what, long ok_status, int ok_conflict)
{
	return simple_call_within(engine, method, id, suffix, what, ok_status, ok_conflict, 0);
}

int ecs_container_start(ecs_engine *engine, const char *id)
{
	return ecs_container_start_within(engine, id, 0);
}

int ecs_container_start_within(ecs_engine *engine, const char *id, long timeout_ms)
{
	int rc = check_id(engine, id, "start container");

	if (rc != ECS_OK)
		return rc;
	/* 304: it was already started, which is what the caller wanted. */
	rc = simple_call_within(engine, "POST", id, "/start", "start container", 304, 0, timeout_ms);
	/*
	 * The engine answers 400 when the runtime cannot exec the command
	 * ("executable file not found"): the spec was well-formed, the image
	 * just lacks it, so it is the engine's refusal, not a bad argument.
	 */
	return rc == ECS_EINVAL ? ECS_EENGINE : rc;
}

int ecs_container_kill(ecs_engine *engine, const char *id, const char *signal)
{
	char *sig = NULL, *suffix = NULL;
	int rc = check_id(engine, id, "kill container");

	if (rc != ECS_OK)
		return rc;
	if (signal != NULL && signal[0] == '\0')
		return ecs_engine_fail(engine, ECS_EINVAL, "kill container: empty signal name");
	sig = ecs_http_escape(signal != NULL ? signal : "SIGKILL");
	if (sig == NULL || asprintf(&suffix, "/kill?signal=%s", sig) < 0) {
		suffix = NULL;
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "kill container: out of memory");
		goto out;
	}
	/* 409 "is not running": it already stopped, which is what a kill is for. */
	rc = simple_call(engine, "POST", id, suffix, "kill container", 0, 1);
out:
	free(suffix);
	free(sig);
	return rc;
}

/* A bodiless request on container @id as an asynchronous transfer bounded by @timeout_ms. */
static int begin_call(ecs_http_async **out, ecs_engine *engine, const char *method, const char *id,
		      const char *suffix, const char *what, long timeout_ms)
{
	ecs_http_request req;
	char *path;
	int rc = container_request(&req, &path, engine, method, id, suffix, what, timeout_ms > 0 ? timeout_ms : 1);

	*out = NULL;
	if (rc != ECS_OK)
		return rc;
	rc = ecs_http_async_start(out, engine, &req);
	free(path);
	return rc;
}

/* The end of begin_call()'s transfer: 0 for a 2xx, else the failure; the status in *@status (0: none). */
static int end_call(ecs_engine *engine, ecs_http_async *a, const char *what, long *status)
{
	ecs_http_response resp;
	int rc = ecs_http_async_finish(a, &resp);

	*status = resp.status;
	/* a transport failure's message names the request's path already */
	if (rc == ECS_OK && !ecs_http_ok(&resp))
		rc = ecs_http_fail(engine, &resp, what);
	ecs_http_response_clear(&resp);
	ecs_http_async_free(a);
	return rc;
}

int ecs_container_kill_begin(ecs_http_async **out, ecs_engine *engine, const char *id, long timeout_ms)
{
	return begin_call(out, engine, "POST", id, "/kill?signal=SIGKILL", "kill container", timeout_ms);
}

int ecs_container_kill_end(ecs_engine *engine, ecs_http_async *a, int *not_running)
{
	long status = 0;
	int rc = end_call(engine, a, "kill container", &status);

	*not_running = status == 409;
	return status == 409 ? ECS_OK : rc;
}

int ecs_container_remove_begin(ecs_http_async **out, ecs_engine *engine, const char *id, long timeout_ms)
{
	return begin_call(out, engine, "DELETE", id, "?force=1&v=1", "force-remove container", timeout_ms);
}

int ecs_container_remove_end(ecs_engine *engine, ecs_http_async *a)
{
	long status = 0;

	return end_call(engine, a, "force-remove container", &status);
}

int ecs_container_delete(ecs_engine *engine, const char *id)
{
	int rc = check_id(engine, id, "delete container");

	if (rc != ECS_OK)
		return rc;
	/* 409 here means "removal already in progress": an engine error for the caller to retry. */
	return simple_call(engine, "DELETE", id, "?force=1&v=1", "delete container", 0, 0);
}

int ecs_container_wait(int *exit_code, ecs_engine *engine, const char *id, long timeout_ms, ecs_cancel *cancel)
{
	ecs_http_request req;
	json_object *answer = NULL, *error;
	const char *message;
	long long status;
	char *path = NULL;
	int rc;

	if (exit_code == NULL)
		return ECS_EINVAL;
	*exit_code = -1;
	rc = check_id(engine, id, "wait for container");
	if (rc != ECS_OK)
		return rc;
	if (timeout_ms < 0)
		return ecs_engine_fail(engine, ECS_EINVAL, "wait for container: negative timeout");
	/* One long request rather than polling; the transport turns the bound into ECS_ETIMEDOUT. */
	rc = container_request(&req, &path, engine, "POST", id, "/wait", "wait for container",
			       timeout_ms > 0 ? timeout_ms : -1);
	if (rc != ECS_OK)
		return rc;
	req.cancel = cancel;
	rc = ecs_http_json(engine, &req, "wait for container", &answer);
	if (rc != ECS_OK)
		goto out;
	if (ecs_json_get_int64(answer, "StatusCode", &status) != 0) {
		rc = ecs_engine_fail(engine, ECS_EPROTO, "wait for container: no StatusCode in the engine's answer");
		goto out;
	}
	*exit_code = (int)status;
	error = ecs_json_get_object(answer, "Error");
	message = error != NULL ? ecs_json_get_string(error, "Message") : NULL;
	if (message != NULL && message[0] != '\0') {
		rc = ecs_engine_fail(engine, ECS_EENGINE, "wait for container: %s", message);
		goto out;
	}
	rc = ECS_OK;
out:
	json_object_put(answer);
	free(path);
	return rc;
}

void ecs_container_info_clear(ecs_container_info *info)
{
	if (info == NULL)
		return;
	free(info->id);
	free(info->image_id);
	free(info->status);
	free(info->task_id);
	free(info->instance);
	if (info->labels != NULL)
		json_object_put(info->labels);
	memset(info, 0, sizeof(*info));
}

void ecs_container_list_free(ecs_container_info *list, size_t count)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < count; i++)
		ecs_container_info_clear(&list[i]);
	free(list);
}

/* The deadline label as unix seconds; 0 when absent or not a plain decimal number. */
static time_t parse_deadline(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return 0;
	return (time_t)v;
}

/* Fill the label-derived members; -1 on ENOMEM. */
static int read_labels(ecs_container_info *info, json_object *labels)
{
	const char *task_id;

	if (labels == NULL)
		return 0;
	info->labels = json_object_get(labels);
	task_id = ecs_json_get_string(labels, ECS_LABEL_TASK_ID);
	if (task_id != NULL) {
		info->task_id = strdup(task_id);
		if (info->task_id == NULL)
			return -1;
	}
	info->deadline = parse_deadline(ecs_json_get_string(labels, ECS_LABEL_DEADLINE));
	if (ecs_json_get_string(labels, ECS_LABEL_INSTANCE) != NULL) {
		info->instance = strdup(ecs_json_get_string(labels, ECS_LABEL_INSTANCE));
		if (info->instance == NULL)
			return -1;
	}
	return 0;
}

int ecs_container_inspect(ecs_container_info *out, ecs_engine *engine, const char *id)
{
	return ecs_container_inspect_within(out, engine, id, 0);
}

int ecs_container_inspect_within(ecs_container_info *out, ecs_engine *engine, const char *id, long timeout_ms)
{
	ecs_http_request req = { 0 };
	ecs_container_info info;
	json_object *answer = NULL, *state, *config;
	long long n;
	char *path = NULL;
	int rc, b;

	if (out == NULL)
		return ECS_EINVAL;
	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	rc = container_request(&req, &path, engine, "GET", id, "/json", "inspect container", timeout_ms);
	if (rc != ECS_OK)
		return rc;
	rc = ecs_http_json(engine, &req, "inspect container", &answer);
	if (rc != ECS_OK)
		goto out;
	state = ecs_json_get_object(answer, "State");
	if (state == NULL) {
		rc = ecs_engine_fail(engine, ECS_EPROTO, "inspect container: no State in the engine's answer");
		goto out;
	}
	info.id = ecs_json_dup_string(answer, "Id");
	info.image_id = ecs_json_dup_string(answer, "Image");
	info.status = ecs_json_dup_string(state, "Status");
	if (info.id == NULL || info.image_id == NULL || info.status == NULL) {
		rc = ecs_engine_fail(engine, ECS_EPROTO, "inspect container: Id, Image or State.Status missing");
		goto out;
	}
	if (ecs_json_get_bool(state, "Running", &b) == 0)
		info.running = b;
	if (ecs_json_get_bool(state, "OOMKilled", &b) == 0)
		info.oom_killed = b;
	if (ecs_json_get_int64(state, "ExitCode", &n) == 0)
		info.exit_code = (int)n;
	n = ecs_json_parse_time(ecs_json_get_string(answer, "Created"));
	info.created = n > 0 ? (time_t)n : 0;
	/* "0001-01-01T00:00:00Z" until it stops: before 1970, so 0 */
	n = ecs_json_parse_time(ecs_json_get_string(state, "FinishedAt"));
	info.finished = n > 0 ? (time_t)n : 0;
	config = ecs_json_get_object(answer, "Config");
	if (read_labels(&info, config != NULL ? ecs_json_get_object(config, "Labels") : NULL) != 0) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "inspect container: out of memory");
		goto out;
	}
	*out = info;
	memset(&info, 0, sizeof(info));
	rc = ECS_OK;
out:
	ecs_container_info_clear(&info);
	json_object_put(answer);
	free(path);
	return rc;
}

/* The filters query value: {"label": ["ecs.managed=true", labels...]}, escaped. NULL on ENOMEM. */
static char *list_filters(const char *const *labels, size_t labels_len)
{
	char *text = ecs_json_label_filters(labels, labels_len);
	char *escaped = text != NULL ? ecs_http_escape(text) : NULL;

	free(text);
	return escaped;
}

/* One entry of GET /containers/json into @info; the error code on failure. */
static int list_entry(ecs_container_info *info, json_object *entry)
{
	long long created;

	if (!json_object_is_type(entry, json_type_object))
		return ECS_EPROTO;
	info->id = ecs_json_dup_string(entry, "Id");
	/* In the list, "State" is the one-word status ("running") and "Status" is prose ("Up 3 seconds"). */
	info->status = ecs_json_dup_string(entry, "State");
	if (info->id == NULL || info->status == NULL)
		return ECS_EPROTO;
	info->running = strcmp(info->status, "running") == 0;
	if (ecs_json_get_int64(entry, "Created", &created) == 0 && created > 0)
		info->created = (time_t)created;
	if (read_labels(info, ecs_json_get_object(entry, "Labels")) != 0)
		return ECS_ENOMEM;
	return ECS_OK;
}

int ecs_container_list(ecs_container_info **out, size_t *count, ecs_engine *engine,
		const char *const *labels, size_t labels_len)
{
	ecs_http_request req = { 0 };
	json_object *answer = NULL;
	ecs_container_info *list = NULL;
	char *filters = NULL, *path = NULL;
	size_t n = 0, i;
	int rc;

	if (out == NULL || count == NULL || engine == NULL)
		return ECS_EINVAL;
	*out = NULL;
	*count = 0;
	ecs_engine_clear_error(engine);
	if (labels_len > 0 && labels == NULL)
		return ecs_engine_fail(engine, ECS_EINVAL, "list containers: labels_len is %zu but labels is NULL",
				labels_len);
	for (i = 0; i < labels_len; i++)
		if (labels[i] == NULL || labels[i][0] == '\0' || labels[i][0] == '=')
			return ecs_engine_fail(engine, ECS_EINVAL, "list containers: label filter %zu is empty", i);

	filters = list_filters(labels, labels_len);
	if (filters == NULL || asprintf(&path, "/containers/json?all=1&filters=%s", filters) < 0) {
		path = NULL;
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "list containers: out of memory");
		goto out;
	}
	req.method = "GET";
	req.path = path;
	rc = ecs_http_json(engine, &req, "list containers", &answer);
	if (rc != ECS_OK)
		goto out;
	if (!json_object_is_type(answer, json_type_array)) {
		rc = ecs_engine_fail(engine, ECS_EPROTO, "list containers: the engine's answer is not an array");
		goto out;
	}
	n = json_object_array_length(answer);
	if (n > 0) {
		list = calloc(n, sizeof(*list));
		if (list == NULL) {
			rc = ecs_engine_fail(engine, ECS_ENOMEM, "list containers: out of memory");
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		rc = list_entry(&list[i], json_object_array_get_idx(answer, i));
		if (rc != ECS_OK) {
			rc = ecs_engine_fail(engine, rc, "list containers: entry %zu: %s", i,
					rc == ECS_ENOMEM ? "out of memory" : "no Id or State");
			goto out;
		}
	}
	*out = list;
	*count = n;
	list = NULL;
	rc = ECS_OK;
out:
	ecs_container_list_free(list, n);
	json_object_put(answer);
	free(path);
	free(filters);
	return rc;
}
