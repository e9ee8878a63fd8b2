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
#include "strvec.h"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ecs_engine_runtimes_from_info(ecs_engine_runtimes *out, json_object *info)
{
	ecs_engine_runtimes rt = { NULL, 0, NULL };
	ecs_strvec names = ECS_STRVEC_INIT;
	json_object *runtimes;
	const char *def;
	int rc = ECS_ENOMEM;

	memset(out, 0, sizeof(*out));
	runtimes = ecs_json_get_object(info, "Runtimes");
	if (runtimes == NULL)
		return ECS_EPROTO;
	json_object_object_foreach(runtimes, key, val) {
		(void)val;
		if (key[0] == '\0') {
			rc = ECS_EPROTO;
			goto fail;
		}
		if (ecs_strvec_push_dup(&names, key) != 0)
			goto fail;
	}
	if (names.n > 1)
		qsort(names.v, names.n, sizeof(*names.v), cmp_names);
	ecs_strvec_take(&names, &rt.names, &rt.count);
	def = ecs_json_get_string(info, "DefaultRuntime");
	if ((rt.default_runtime = strdup(def != NULL ? def : "")) == NULL)
		goto fail;
	*out = rt;
	return 0;
fail:
	ecs_strvec_clear(&names);
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
	if (rt == NULL)
		return;
	ecs_strv_free(rt->names, rt->count);
	free(rt->default_runtime);
	memset(rt, 0, sizeof(*rt));
}
