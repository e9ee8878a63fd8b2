/*
 * The engine's OCI runtimes (GET /info): which sandboxes a container can ask
 * for with HostConfig.Runtime, and which one it gets when it names none.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "engine_private.h"
#include "http.h"
#include "json_util.h"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ecs_engine_runtimes_from_info(ecs_engine_runtimes *out, json_object *info)
{
	ecs_engine_runtimes rt = { NULL, 0, NULL };
	json_object *runtimes;
	const char *def;
	size_t n;
	int rc = ECS_ENOMEM;

	memset(out, 0, sizeof(*out));
	runtimes = ecs_json_get_object(info, "Runtimes");
	if (runtimes == NULL)
		return ECS_EPROTO;
	n = (size_t)json_object_object_length(runtimes);
	if (n > 0) {
		rt.names = calloc(n, sizeof(*rt.names));
		if (rt.names == NULL)
			goto fail;
	}
	json_object_object_foreach(runtimes, key, val) {
		(void)val;
		if (key[0] == '\0') {
			rc = ECS_EPROTO;
			goto fail;
		}
		if ((rt.names[rt.count] = strdup(key)) == NULL)
			goto fail;
		rt.count++;
	}
	if (rt.count > 1)
		qsort(rt.names, rt.count, sizeof(*rt.names), cmp_names);
	def = ecs_json_get_string(info, "DefaultRuntime");
	if ((rt.default_runtime = strdup(def != NULL ? def : "")) == NULL)
		goto fail;
	*out = rt;
	return 0;
fail:
	ecs_engine_runtimes_clear(&rt);
	return rc;
}

int ecs_engine_runtimes_get(ecs_engine_runtimes *out, ecs_engine *e)
{
	ecs_http_request req = { .method = "GET", .path = "/info" };
	json_object *doc = NULL;
	int rc;

	if (out == NULL)
		return ECS_EINVAL;
	memset(out, 0, sizeof(*out));
	if (e == NULL)
		return ECS_EINVAL;
	rc = ecs_http_json(e, &req, "info", &doc);
	if (rc == ECS_ENOTFOUND || rc == ECS_EINVAL)
		rc = ECS_EENGINE; /* a 404/400 on /info means whatever answered is no engine */
	if (rc == 0) {
		rc = ecs_engine_runtimes_from_info(out, doc);
		if (rc == ECS_EPROTO)
			ecs_engine_fail(e, rc, "info: the engine's answer lists no runtimes");
		else if (rc != 0)
			ecs_engine_fail(e, rc, "info: out of memory");
	}
	json_object_put(doc);
	return rc;
}

int ecs_engine_runtimes_has(const ecs_engine_runtimes *rt, const char *name)
{
	size_t i;

	if (rt == NULL || name == NULL)
		return 0;
	for (i = 0; i < rt->count; i++)
		if (strcmp(rt->names[i], name) == 0)
			return 1;
	return 0;
}

void ecs_engine_runtimes_clear(ecs_engine_runtimes *rt)
{
	size_t i;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->count; i++)
		free(rt->names[i]);
	free(rt->names);
	free(rt->default_runtime);
	memset(rt, 0, sizeof(*rt));
}
