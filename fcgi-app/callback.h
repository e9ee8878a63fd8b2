/*
 * callback.h - a task's callback: the URL judged against callback_allow
 * when the task is submitted, and the deliveries: once the task ended,
 * its status document (task_doc.h) POSTed to the URL, signed, retried with
 * exponential backoff until callback_retry_for has passed; the state of
 * each delivery kept in the store, so a restart or another node of a
 * fleet takes it over.
 *
 * A delivery carries:
 *   Content-Type: application/json
 *   ECS-Delivery: the delivery id (the same on every attempt of one delivery)
 *   ECS-Task-Id: the task id
 *   ECS-Signature: t=UNIX_SECONDS,v1=HEX(HMAC-SHA256(secret, "UNIX_SECONDS." + body))
 * The host is resolved again at each attempt and every address checked as
 * at submission; curl then connects to exactly the address checked.
 */
#ifndef ECSFCGI_CALLBACK_H
#define ECSFCGI_CALLBACK_H

#include <stddef.h>

#include "callback_conf.h"
#include "conf.h"
#include "store.h"

/**
 * callback_check - may a task call back @url? Its scheme (https; http only
 * to an entry written http://), host and port must match a callback_allow
 * entry, and every address the host resolves to must be public, unless the
 * entry names that address itself (loopback, private, link-local, ...).
 * A secret must be configured for @rule's client (or [ecs]).
 * Returns 0 allowed; -1 refused with @why (one line naming the URL's host
 * and port, for a 400 CALLBACK_REFUSED); -2 out of memory.
 * May block on DNS: call it on a task worker.
 */
int callback_check(const config *cfg, const client_rule *rule, const char *url, char *why, size_t whylen);

typedef struct callback_sender callback_sender;

/**
 * callback_sender_start - the threads (4: a receiver that never answers
 * holds one) that deliver due callbacks from @st (store_callback_claim()),
 * for the life of the process.
 * @cfg and @st must outlive it. Returns 0, or -1 (logged).
 */
int callback_sender_start(callback_sender **out, const config *cfg, store *st);

/** callback_sender_wake - a task ended with a callback: look now rather than at the next tick. NULL is allowed. */
void callback_sender_wake(callback_sender *cs);

/** callback_sender_stop - stop and free (an attempt under way ends first, bounded by callback_timeout). NULL is allowed. */
void callback_sender_stop(callback_sender *cs);

/**
 * callback_metrics_render - ecs_callback_deliveries_total{result="delivered"|
 * "failed"|"retried"} of this process, in the Prometheus text format.
 * Returns a malloc'd string (*@len bytes) or NULL (out of memory). NULL @cs: zeros.
 */
char *callback_metrics_render(size_t *len, callback_sender *cs);

#endif
