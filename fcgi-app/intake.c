/* intake.c - a task request becomes an admitted task or a typed refusal. See intake.h. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "callback.h"
#include "intake.h"
#include "metrics.h"
#include "private_image.h"
#include "registries.h"
#include "response.h"
#include "sandbox.h"
#include "text.h"

static int refuse(intake_refusal *why, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fill @why; always -1, so a check ends with `return refuse(...)`. */
static int refuse(intake_refusal *why, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	why->status = status;
	why->code = code;
	va_start(ap, fmt);
	vsnprintf(why->message, sizeof(why->message), fmt, ap);
	va_end(ap);
	text_cut(why->message);
	return -1;
}

static int out_of_memory(intake_refusal *why)
{
	return refuse(why, 500, "INTERNAL_ERROR", "out of memory");
}

/* @len bytes of @body validated as a body of @kind (the image parsed, once). */
static int parse_body(task_body *tb, intake_refusal *why, const char *body, size_t len, task_body_kind kind)
{
	body_error berr;
	int rc = task_body_parse_kind(tb, body, len, kind, &berr);

	if (rc == -2)
		return out_of_memory(why);
	if (rc != 0)
		return refuse(why, berr.status, berr.code, "%s", berr.message);
	return 0;
}

/* The body: its announced length, its type, then read and validated. */
static int take_body(task_body *tb, intake_refusal *why, const config *cfg, request *req, task_body_kind kind)
{
	long long cl = request_content_length(req);
	int rc;

	if (cl == -2)
		return refuse(why, 400, "BAD_REQUEST", "CONTENT_LENGTH is not a number");
	if (cl > (long long)cfg->body_limit)
		return refuse(why, 413, "PAYLOAD_TOO_LARGE", "the body is %lld bytes; the limit is %zu",
				cl, cfg->body_limit);
	if (!request_is_json(request_param(req->envp, "CONTENT_TYPE")))
		return refuse(why, 415, "UNSUPPORTED_MEDIA_TYPE", "the body must be application/json");
	rc = request_read_body(req, cfg->body_limit);
	if (rc == 1)
		return refuse(why, 413, "PAYLOAD_TOO_LARGE", "the body is over the limit of %zu bytes",
				cfg->body_limit);
	if (rc == -2)
		return out_of_memory(why);
	if (rc != 0)
		return refuse(why, 400, "BAD_REQUEST", "the body could not be read");
	return parse_body(tb, why, req->body, req->body_len, kind);
}

/*
 * A callback URL is judged against callback_allow once the caller's rule is
 * known, before anything runs: a refused one is a 400, never a task that
 * cannot report.
 */
static int take_callback(intake_refusal *why, const intake_deps *deps, const intake_task *t)
{
	char msg[400];
	int rc;

	if (t->body.callback_url == NULL)
		return 0;
	rc = callback_check(deps->cfg, t->rule, t->body.callback_url, msg, sizeof(msg));
	if (rc == -2)
		return out_of_memory(why);
	if (rc != 0)
		return refuse(why, 400, "CALLBACK_REFUSED", "%s", msg);
	return 0;
}

/*
 * An image id ("sha256:<hex prefix>", a bare 64-hex id) names no registry
 * and no repository: the engine resolves it against every cached image,
 * private ones included, so neither the client's image patterns nor the
 * registry lists nor the credential check could judge it. Refused before
 * any of them, alike for every configuration. Otherwise the reference's
 * parts, for every match that follows.
 */
static int take_image(image_parts *out, intake_refusal *why, const task_body *tb)
{
	char q[144];
	int rc;

	if (tb->image_is_id)
		return refuse(why, 400, "IMAGE_ID_NOT_ALLOWED",
				"'%s' is an image id; this service runs images by name (name:tag or name@digest) only",
				text_quote(q, sizeof(q), tb->image, 128));
	rc = image_parts_from_image_ref(out, &tb->ref);
	if (rc == -2)
		return out_of_memory(why);
	if (rc != 0)
		return refuse(why, 400, "IMAGE_NAME_IS_INVALID", "'%s' is not a valid image reference",
				text_quote(q, sizeof(q), tb->image, 128));
	return 0;
}

/*
 * Where the image comes from, before the engine is asked anything: an
 * allowed registry (else any client could point the engine at any address),
 * and, for a private one, credentials that registry accepts (else a cached
 * private image would run for anyone).
 */
static int take_registry(intake_refusal *why, const intake_deps *deps, const intake_task *t)
{
	const task_body *tb = &t->body;
	char reg[300], q[144], q2[144];
	int rc, checked = 0;

	image_parts_registry(reg, sizeof(reg), &t->image);
	if (!registries_allowed(deps->cfg, &t->image))
		return refuse(why, 403, "REGISTRY_NOT_ALLOWED", "this service does not use the registry '%s'",
				text_quote(q, sizeof(q), reg, 128));
	if (deps->engine == NULL)
		return 0;
	rc = private_image_check(&checked, deps->creds, deps->engine, deps->cfg, deps->client, tb->image,
			&tb->ref, &t->image, tb->has_creds ? &tb->creds : NULL);
	if (rc == 0)
		return 0;
	{
		const char *code;
		int status = response_map_error(rc, &code);

		why->phase = "authorize";
		snprintf(why->detail, sizeof(why->detail), "%s", ecs_engine_errmsg(deps->engine));
		if (rc != ECS_EUNAUTHORIZED && rc != ECS_ENOTFOUND)
			metrics_engine_error(rc);
		if (rc == ECS_EUNAUTHORIZED)
			return refuse(why, status, code, "the registry '%s' did not accept %s for '%s'",
					text_quote(q, sizeof(q), reg, 128),
					tb->has_creds ? "these credentials" : "a request without credentials",
					text_quote(q2, sizeof(q2), tb->image, 128));
		return refuse(why, status, code, "%s", ecs_engine_errmsg(deps->engine));
	}
}

/* What the client may ask for: the network, the caps, the image, then its own caps. */
static int take_client(intake_task *t, intake_refusal *why, const intake_deps *deps)
{
	const config *cfg = deps->cfg;
	const task_body *tb = &t->body;
	char q[144], msg[256];

	if (tb->network != NULL && !config_network_allowed(cfg, tb->network))
		return refuse(why, 400, "BAD_REQUEST_BODY", "network \"%s\" is not allowed by this service", tb->network);
	if (task_body_check_caps(tb, &cfg->caps, msg, sizeof(msg)) != 0)
		return refuse(why, 400, "BAD_REQUEST_BODY", "%s", msg);
	if (take_image(&t->image, why, tb) != 0)
		return -1;
	if (!auth_authorize_image(&t->rule, cfg, deps->auth, &t->image))
		return refuse(why, 403, "FORBIDDEN", "%s may not run the image '%s'",
				t->rule ? "this client" : "a client without a [client] section",
				text_quote(q, sizeof(q), tb->image, 128));
	t->caps = sandbox_caps(cfg, t->rule);
	if (t->rule != NULL && task_body_check_caps(tb, &t->caps, msg, sizeof(msg)) != 0)
		return refuse(why, 403, "FORBIDDEN", "%s for this client", msg);
	return 0;
}

/* Files and artifacts against the merged profile's writable mounts, and the files cap. */
static int take_files(intake_refusal *why, const config *cfg, const intake_task *t)
{
	task_files_error ferr;

	if (task_files_check(&t->body.files, &t->profile, cfg->files_cap, &ferr) != 0)
		return refuse(why, 400, ferr.code, "%s", ferr.message);
	return 0;
}

int intake_take(intake_task *out, intake_refusal *why, const intake_deps *deps, request *req)
{
	return intake_take_kind(out, why, deps, req, TASK_BODY_TASK);
}

/* Everything after the body: the client, its callback, the registry, the engine, the profile, the paths. */
static int take_rest(intake_task *out, intake_refusal *why, const intake_deps *deps)
{
	const char *code = NULL;
	char msg[256];
	int rc, status = 0;

	if (take_client(out, why, deps) != 0 || take_callback(why, deps, out) != 0 ||
	    take_registry(why, deps, out) != 0)
		return -1;
	if (deps->engine == NULL)
		return refuse(why, 503, "ENGINE_UNAVAILABLE", "no engine");
	rc = sandbox_for_request(&out->profile, deps->cfg, out->rule, &out->caps, &out->body, &status, &code,
			msg, sizeof(msg));
	if (rc == -2)
		return out_of_memory(why);
	if (rc != 0)
		return refuse(why, status, code, "%s", msg);
	return take_files(why, deps->cfg, out);
}

int intake_take_kind(intake_task *out, intake_refusal *why, const intake_deps *deps, request *req,
		     task_body_kind kind)
{
	memset(out, 0, sizeof(*out));
	memset(why, 0, sizeof(*why));
	if (take_body(&out->body, why, deps->cfg, req, kind) != 0 || take_rest(out, why, deps) != 0) {
		intake_clear(out);
		return -1;
	}
	return 0;
}

/* An exec's body after it was parsed: the caps, the callback, the files' paths. */
static int exec_rest(intake_task *out, intake_refusal *why, const intake_deps *deps)
{
	const config *cfg = deps->cfg;
	char msg[256];

	if (task_body_check_caps(&out->body, &cfg->caps, msg, sizeof(msg)) != 0)
		return refuse(why, 400, "BAD_REQUEST_BODY", "%s", msg);
	out->rule = config_find_client(cfg, deps->auth->subject, deps->auth->user);
	out->caps = sandbox_caps(cfg, out->rule);
	if (out->rule != NULL && task_body_check_caps(&out->body, &out->caps, msg, sizeof(msg)) != 0)
		return refuse(why, 403, "FORBIDDEN", "%s for this client", msg);
	if (take_callback(why, deps, out) != 0)
		return -1;
	{
		/*
		 * The session's mounts were fixed at its create and are the agent's
		 * to judge (it names a refused path); here the grammar's rest
		 * (/proc, /sys, /dev) and the operator's cap on file bytes.
		 */
		ecs_sandbox_profile anywhere = ECS_SANDBOX_PROFILE_INIT;
		task_files_error ferr;

		anywhere.writable_root = 1;
		if (task_files_check(&out->body.files, &anywhere, cfg->files_cap, &ferr) != 0)
			return refuse(why, 400, ferr.code, "%s", ferr.message);
	}
	return 0;
}

int intake_take_exec(intake_task *out, intake_refusal *why, const intake_deps *deps, request *req)
{
	memset(out, 0, sizeof(*out));
	memset(why, 0, sizeof(*why));
	if (take_body(&out->body, why, deps->cfg, req, TASK_BODY_EXEC) != 0 || exec_rest(out, why, deps) != 0) {
		intake_clear(out);
		return -1;
	}
	return 0;
}

int intake_take_stored(intake_task *out, intake_refusal *why, const intake_deps *deps, task_body_kind kind,
		       const char *body, size_t len)
{
	memset(out, 0, sizeof(*out));
	memset(why, 0, sizeof(*why));
	if (parse_body(&out->body, why, body, len, kind) != 0 ||
	    (kind == TASK_BODY_EXEC ? exec_rest(out, why, deps) : take_rest(out, why, deps)) != 0) {
		intake_clear(out);
		return -1;
	}
	return 0;
}

long intake_timeout_s(const intake_task *t, const config *cfg)
{
	long timeout_s = t->body.timeout_s ? t->body.timeout_s : cfg->default_timeout_s;

	if (!t->body.timeout_s && t->caps.max_timeout_s > 0 && timeout_s > t->caps.max_timeout_s)
		timeout_s = t->caps.max_timeout_s;
	return timeout_s;
}

/* The profile is sandbox_for_request()'s: a limit the body left out got
 * the cap there, so a cap is a real bound, not only a ceiling on requests. */
void intake_spec(ecs_task_spec *spec, const intake_task *t, const config *cfg, ecs_cancel *cancel, ecs_pool *pool,
		 const char *channel_dir)
{
	const task_body *tb = &t->body;
	ecs_task_spec init = ECS_TASK_SPEC_INIT;
	long timeout_s = intake_timeout_s(t, cfg);

	*spec = init;
	spec->run.image = tb->image;
	spec->run.cmd = tb->cmd;
	spec->run.cmd_len = tb->cmd_len;
	spec->run.env = tb->env_len ? tb->env : NULL;
	spec->run.env_len = tb->env_len;
	spec->image_ref = &tb->ref; /* parsed once, in task_body_parse() */
	spec->auth = tb->has_creds ? &tb->creds : NULL;
	spec->stdin_data = tb->has_stdin ? tb->stdin_data : NULL;
	spec->stdin_len = tb->has_stdin ? tb->stdin_len : 0;
	spec->timeout_ms = timeout_s * 1000L;
	spec->stdout_cap = cfg->stdout_cap;
	spec->stderr_cap = cfg->stderr_cap;
	spec->pull_policy = (ecs_pull_policy)cfg->pull_policy;
	spec->backend = (ecs_task_backend)cfg->backend;
	spec->pull_timeout_ms = cfg->pull_timeout_s * 1000L;
	spec->profile = &t->profile;
	spec->cancel = cancel;
	spec->pool = pool;
	spec->files = tb->files.files;
	spec->files_len = tb->files.files_len;
	spec->artifacts = tb->files.artifacts;
	spec->artifacts_len = tb->files.artifacts_len;
	spec->artifacts_cap = cfg->artifacts_cap;
	spec->channel_dir = channel_dir;
}

void intake_clear(intake_task *t)
{
	image_parts_clear(&t->image);
	task_body_clear(&t->body);
	memset(t, 0, sizeof(*t));
}
