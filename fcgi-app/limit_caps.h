/*
 * limit_caps.h - the limit caps of [ecs] and of a [client] section
 * (max_timeout, max_memory, max_cpus, max_pids, max_nofile; conf.h's
 * limit_caps): upper bounds on what a task may ask for, and what a task
 * that asks for nothing gets.
 */
#ifndef ECSFCGI_LIMIT_CAPS_H
#define ECSFCGI_LIMIT_CAPS_H

#include "conf.h"
#include "conf_key.h"

/** limits_keys - the caps' keys; their target is a limit_caps. */
extern const conf_key limits_keys[];

/**
 * limits_exceed - is a [client]'s cap @client (0: not set) above the [ecs]
 * one @global? "unlimited" is above any number. Returns 1 or 0.
 */
int limits_exceed(double client, double global);

#endif
