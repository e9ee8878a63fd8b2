/*
 * The engine handle: endpoint parsing, options, error detail, logging.
 * Everything that talks to the engine (requests, version negotiation,
 * hijacked streams) lives in the transport, http.c and stream.c.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_private.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_REQUEST_TIMEOUT_MS 30000L

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : ECS_ENOMEM;
}

/* Accept "unix:///abs/path", "http://host:port", "https://host:port" and
 * Docker's "tcp://host:port" (plain HTTP); keep what curl needs. */
static int parse_endpoint(ecs_engine *e, const char *endpoint)
{
	const char *rest;
	size_t len;

	if (strncmp(endpoint, "unix://", 7) == 0) {
		rest = endpoint + 7;
		if (rest[0] != '/' || rest[1] == '\0')
			return ECS_EINVAL;
		e->socket_path = strdup(rest);
		e->base_url = strdup("http://localhost");
		return (e->socket_path && e->base_url) ? 0 : ECS_ENOMEM;
	}
	if (strncmp(endpoint, "https://", 8) == 0) {
		rest = endpoint + 8;
		e->tls = 1;
	} else if (strncmp(endpoint, "http://", 7) == 0) {
		rest = endpoint + 7;
	} else if (strncmp(endpoint, "tcp://", 6) == 0) {
		rest = endpoint + 6;
	} else {
		return ECS_EINVAL;
	}
	len = strcspn(rest, "/?#");
	if (len == 0 || (rest[len] != '\0' && strcmp(rest + len, "/") != 0))
		return ECS_EINVAL;
	if (strpbrk(rest, " \t\r\n@") != NULL)
		return ECS_EINVAL;
	e->base_url = malloc(len + 9);
	if (e->base_url == NULL)
		return ECS_ENOMEM;
	snprintf(e->base_url, len + 9, "%s%.*s", e->tls ? "https://" : "http://", (int)len, rest);
	return 0;
}

int ecs_engine_new(ecs_engine **out, const ecs_engine_options *opts)
{
	static const ecs_engine_options defaults = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e;
	int rc;

	if (out == NULL)
		return ECS_EINVAL;
	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version < 1 || opts->version > ECS_ENGINE_OPTIONS_VERSION || opts->connect_timeout_ms < 0 ||
	    opts->request_timeout_ms < 0 ||
	    (opts->version >= 3 && opts->agent_path != NULL && opts->agent_path[0] != '/'))
		return ECS_EINVAL;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return ECS_ENOMEM;
	/* An older caller's struct ends before instance (1) or agent_path (2): read only what it has. */
	if (opts->version == 1)
		memcpy(&e->opts, opts, offsetof(ecs_engine_options, instance));
	else if (opts->version == 2)
		memcpy(&e->opts, opts, offsetof(ecs_engine_options, agent_path));
	else
		e->opts = *opts;
	e->opts.version = ECS_ENGINE_OPTIONS_VERSION;
	if ((rc = dup_opt(&e->endpoint, opts->endpoint ? opts->endpoint : ECS_ENGINE_DEFAULT_ENDPOINT)) != 0 ||
	    (rc = dup_opt(&e->ca_file, opts->ca_file)) != 0 ||
	    (rc = dup_opt(&e->cert_file, opts->cert_file)) != 0 ||
	    (rc = dup_opt(&e->key_file, opts->key_file)) != 0 ||
	    (rc = dup_opt(&e->instance, e->opts.instance)) != 0 ||
	    (rc = dup_opt(&e->agent_path, e->opts.agent_path ? e->opts.agent_path : ECS_ENGINE_AGENT_DEFAULT)) != 0 ||
	    (rc = parse_endpoint(e, e->endpoint)) != 0)
		goto fail;
	e->opts.endpoint = e->endpoint;
	e->opts.ca_file = e->ca_file;
	e->opts.cert_file = e->cert_file;
	e->opts.key_file = e->key_file;
	e->opts.instance = e->instance;
	e->opts.agent_path = e->agent_path;
	if (e->opts.connect_timeout_ms == 0)
		e->opts.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	if (e->opts.request_timeout_ms == 0)
		e->opts.request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
	*out = e;
	return 0;
fail:
	/* No handle to keep the message on: the log hook is the only place a reason can go. */
	if (rc == ECS_EINVAL)
		ecs_log_to(opts->log, opts->log_userdata, ECS_LOG_ERROR,
			   "engine endpoint \"%s\": want unix:///absolute/path.sock, http://host:port, https://host:port "
			   "or tcp://host:port", e->endpoint);
	ecs_engine_free(e);
	return rc;
}

int ecs_engine_dup(ecs_engine **out, const ecs_engine *engine)
{
	int rc;

	if (out == NULL)
		return ECS_EINVAL;
	*out = NULL;
	if (engine == NULL)
		return ECS_EINVAL;
	rc = ecs_engine_new(out, &engine->opts);
	if (rc != 0)
		return rc;
	/* What the first handle learnt from GET /version holds for the same endpoint. */
	memcpy((*out)->api_version, engine->api_version, sizeof((*out)->api_version));
	return 0;
}

void ecs_engine_free(ecs_engine *e)
{
	if (e == NULL)
		return;
	if (e->transport != NULL && e->transport_free != NULL)
		e->transport_free(e->transport);
	free(e->endpoint);
	free(e->ca_file);
	free(e->cert_file);
	free(e->key_file);
	free(e->instance);
	free(e->agent_path);
	free(e->socket_path);
	free(e->base_url);
	free(e);
}

const ecs_engine_options *ecs_engine_options_get(const ecs_engine *e)
{
	return e ? &e->opts : NULL;
}

const char *ecs_engine_errmsg(const ecs_engine *e)
{
	return e ? e->errmsg : "";
}

int ecs_engine_fail(ecs_engine *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->errmsg, sizeof(e->errmsg), fmt, ap);
	va_end(ap);
	return code;
}

void ecs_engine_clear_error(ecs_engine *e)
{
	e->errmsg[0] = '\0';
}

static void vlog_to(ecs_log_fn fn, void *userdata, ecs_log_level level, const char *fmt, va_list ap)
{
	char line[1024];

	if (fn == NULL)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	fn(level, line, userdata);
}

void ecs_log_to(ecs_log_fn fn, void *userdata, ecs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_to(fn, userdata, level, fmt, ap);
	va_end(ap);
}

void ecs_engine_log(const ecs_engine *e, ecs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_to(e->opts.log, e->opts.log_userdata, level, fmt, ap);
	va_end(ap);
}
