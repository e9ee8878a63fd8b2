/*
 * session_handlers.h - the /v1.1/sessions endpoints (see docs/api/openapi.yaml):
 * POST /v1.1/sessions (admitted as a task without a command: intake.h),
 * GET /v1.1/sessions (the caller's own), GET and DELETE /v1.1/sessions/{id},
 * POST /v1.1/sessions/{id}/exec (a task's result document), PUT and GET
 * /v1.1/sessions/{id}/files/{path}. A session is its creator's: anyone else
 * gets the 404 of an unknown id.
 */
#ifndef ECSFCGI_SESSION_HANDLERS_H
#define ECSFCGI_SESSION_HANDLERS_H

#include "handlers.h"

/**
 * session_prepare - on the acceptor: refuse what needs no engine (501
 * under backend = swarm: sessions run on the local engine only), else
 * HANDLER_TASK (session_handle() on a task worker).
 */
handler_next session_prepare(response *resp, handler_info *info, handler_ctx *ctx, request *req);

/** session_handle - answer a session route (info->route) on a task worker. */
void session_handle(response *resp, handler_info *info, handler_ctx *ctx, request *req);

#endif
