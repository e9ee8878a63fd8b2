/*
 * callback_conf.h - the keys of [ecs] (and [client]) in ecs.conf for task
 * callbacks (see ecs.conf(5)): where ecs may call back (callback_allow,
 * parsed at load into hosts and ports, never a glob over a URL's text),
 * the HMAC secret that signs each delivery, and how long a delivery is
 * retried.
 */
#ifndef ECSFCGI_CALLBACK_CONF_H
#define ECSFCGI_CALLBACK_CONF_H

#include <stddef.h>

#include "conf_key.h"

/** One callback_allow entry, parsed at load. */
typedef struct {
	char *host;        /* a DNS name (lower case) or an address literal, as written */
	int is_address;    /* @host is an IPv4 or IPv6 literal: loopback, private and link-local are then allowed */
	int port;          /* the port; written without one: 443 (80 for an http:// entry) */
	int http;          /* 1: written "http://host[:port]": plain HTTP allowed to it; else HTTPS only */
} callback_allow_entry;

typedef struct {
	callback_allow_entry *allow;   /* callback_allow; none: no callback is allowed */
	size_t allow_len;
	char *secret;                  /* callback_secret, or read from callback_secret_file; NULL: deliveries are refused at submission */
	unsigned int retry_for_s;      /* callback_retry_for: give up this long after the task ended (default 3600) */
	unsigned int timeout_s;        /* callback_timeout: one attempt (default 10) */
	char *ca_file;                 /* callback_ca_file: the CAs an HTTPS receiver is checked against; NULL: the system's */
} callback_conf;

/** callback_conf_init - the defaults (nothing allowed). */
void callback_conf_init(callback_conf *c);

/** callback_conf_clear - free what @c holds. */
void callback_conf_clear(callback_conf *c);

/** callback_conf_keys - the callback keys of [ecs]; their target is a callback_conf. */
extern const conf_key callback_conf_keys[];

/**
 * callback_client_keys - the callback keys of a [client] section
 * (callback_secret); their target is the client's secret, a char *
 * (client_rule.callback_secret), freed by whoever frees the rule.
 */
extern const conf_key callback_client_keys[];

#endif
