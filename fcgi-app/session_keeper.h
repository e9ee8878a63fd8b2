/*
 * session_keeper.h - the sessions' life outside requests: at start-up the
 * sessions of this ecs-fcgi's home (session_home) still on the engine are
 * adopted (a running one keeps working; a stopped one answers 410), and a
 * thread ends, once a second, every session idle past its idle timeout or
 * past its lifetime (its container to the reaper; then 404).
 *
 * Why adoption by home and not by instance: an instance's id is new at
 * every start, and a sweep removes the containers of a dead instance. A
 * session's container is exempt from that rule (lib/sweep.c) and carries
 * its home instead, a name that survives restarts; its deadline label
 * bounds it when nobody comes back.
 */
#ifndef ECSFCGI_SESSION_KEEPER_H
#define ECSFCGI_SESSION_KEEPER_H

#include <ecs/ecs.h>

#include "session_registry.h"

typedef struct session_keeper session_keeper;

/**
 * session_keeper_adopt - put the sessions of @home on @engine into @r.
 * Returns how many were adopted, or -1 (the engine's listing failed: logged).
 */
int session_keeper_adopt(session_registry *r, ecs_engine *engine, const char *home);

/**
 * session_keeper_start - the expiry thread, with an engine of its own
 * (a dup of @proto) and @reaper for the expired containers. 0 or -1.
 */
int session_keeper_start(session_keeper **out, session_registry *r, const ecs_engine *proto, ecs_reaper *reaper);

/** session_keeper_stop - stop the thread and free. NULL is allowed. Sessions stay. */
void session_keeper_stop(session_keeper *k);

#endif
