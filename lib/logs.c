/*
 * libecs: a finished container's output, both streams in one request.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "container_private.h"
#include "demux.h"
#include "engine_private.h"
#include "http.h"

static int demux_sink(const char *data, size_t len, void *userdata)
{
	return ecs_demux_feed(userdata, data, len);
}

int ecs_container_logs(ecs_buffer *out, ecs_buffer *err, ecs_engine *engine, const char *id,
		size_t out_cap, size_t err_cap)
{
	ecs_http_request req = { 0 };
	ecs_http_response resp = { 0 };
	ecs_demux demux;
	char *path = NULL;
	int rc;

	if (out == NULL || err == NULL)
		return ECS_EINVAL;
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (engine == NULL)
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	if (id == NULL || id[0] == '\0')
		return ecs_engine_fail(engine, ECS_EINVAL, "container logs: no container id");

	ecs_demux_init(&demux, out_cap, err_cap);
	rc = ecs_http_object_request(&req, &path, engine, "GET", "containers", id, "/logs?stdout=1&stderr=1",
				     "container logs");
	if (rc != ECS_OK)
		goto out;
	/* Streamed through the splitter so a big log never sits in memory past the caps. */
	req.sink = demux_sink;
	req.sink_userdata = &demux;
	rc = ecs_http_do(engine, &req, &resp);
	if (rc == ECS_EPROTO) {
		rc = ecs_engine_fail(engine, rc, "container logs: malformed multiplexed stream");
		goto out;
	}
	if (rc != ECS_OK)
		goto out;
	if (!ecs_http_ok(&resp)) {
		rc = ecs_http_fail(engine, &resp, "container logs");
		goto out;
	}
	rc = ecs_demux_finish(&demux);
	if (rc != ECS_OK) {
		rc = ecs_engine_fail(engine, rc, "container logs: the stream ended inside a frame");
		goto out;
	}
	if (ecs_demux_take(&demux, out, err) != ECS_OK) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "container logs: out of memory");
		goto out;
	}
	rc = ECS_OK;
out:
	ecs_demux_clear(&demux);
	ecs_http_response_clear(&resp);
	free(path);
	return rc;
}
