/*
 * session_handlers.h - the /v1.1/sessions endpoints (see docs/api/openapi.yaml):
 * POST /v1.1/sessions (admitted as a task without a command: intake.h),
 * GET /v1.1/sessions (the caller's own), GET and DELETE /v1.1/sessions/{id},
 * POST /v1.1/sessions/{id}/exec (a task's result document), PUT and GET
 * /v1.1/sessions/{id}/files/{path}. A session is its creator's: anyone else
 * gets the 404 of an unknown id. handler_prepare() authenticates and
 * routes them (a 501 under backend = swarm, where sessions are not
 * supported), the task worker calls session_handle() (workers.c).
 */
#ifndef ECSFCGI_SESSION_HANDLERS_H
#define ECSFCGI_SESSION_HANDLERS_H

#include "handlers.h"

/** session_route - 1 for a session route: handler_prepare() admitted it (HANDLER_TASK), session_handle() answers it. */
int session_route(route_id id);

/** session_handle - answer a session route (info->route) on a task worker. */
void session_handle(response *resp, handler_info *info, handler_ctx *ctx, request *req);

#endif
