/*
 * callback_url.h - where a callback may go: a callback_allow entry parsed,
 * a URL parsed (libcurl's URL API) and matched against the entries by its
 * parts (scheme, host, port), and the addresses its host resolves to
 * judged. Private to the callback modules (callback_check.c, callback_send.c,
 * callback_conf.c) and their tests and fuzzer.
 */
#ifndef ECSFCGI_CALLBACK_URL_H
#define ECSFCGI_CALLBACK_URL_H

#include <stddef.h>
#include <sys/socket.h>

#include "callback_conf.h"

/* The longest host name (RFC 1035) or address literal we keep, with its NUL. */
#define CALLBACK_HOST_MAX 254
/* An address as text (INET6_ADDRSTRLEN), with its NUL. */
#define CALLBACK_ADDR_MAX 46

/** A URL that matched an entry. */
typedef struct {
	char host[CALLBACK_HOST_MAX];    /* lower case; an IPv6 literal without its brackets */
	int port;                        /* the URL's, or its scheme's default */
	int https;                       /* 1 https, 0 http */
	int literal;                     /* @host is an address literal */
	const callback_allow_entry *entry; /* the entry it matched (of the callback_conf judged against) */
} callback_url;

/**
 * callback_allow_parse_entry - one callback_allow word,
 * `[http://|https://]host[:port]`, into @e (its host allocated; free it).
 * The host is a DNS name (letters, digits, '-', dots between labels; no
 * trailing dot, not numeric) or an address: dotted-quad IPv4 or a bracketed
 * IPv6 literal without a zone. No port: the scheme's default (443; 80 for
 * http://). Returns 0, -1 with @why, or -2 out of memory.
 */
int callback_allow_parse_entry(callback_allow_entry *e, const char *word, char *why, size_t whylen);

/**
 * callback_url_judge - parse @url and find the entry of @cc it matches:
 * scheme http or https (http only to an http:// entry), no user, password
 * or options, no IPv6 zone, a host that is a DNS name or an address
 * literal, equal (case aside, addresses by value) to an entry's at its
 * port. No DNS. Returns 0 with @out, -1 refused with @why, -2 out of memory.
 */
int callback_url_judge(callback_url *out, const callback_conf *cc, const char *url, char *why, size_t whylen);

/**
 * callback_addr_public - 1 when @sa (AF_INET or AF_INET6) is an address of
 * the public internet: not loopback, private, shared, link-local,
 * multicast, documentation, reserved or unspecified; an IPv4-mapped IPv6
 * address is judged by its IPv4 address; IPv6 outside 2000::/3, NAT64,
 * Teredo, 6to4 and 2001::/23 count as not public. 0 otherwise.
 */
int callback_addr_public(const struct sockaddr *sa);

/**
 * callback_url_resolve - the address to connect to for @u (judged): a
 * literal is itself; a name is resolved (getaddrinfo) and every address it
 * has must be public (callback_addr_public()), else it is refused naming
 * the address. @addr receives the first address, as text, for the
 * connection to be pinned to it. May block on DNS.
 * Returns 0, -1 refused with @why.
 */
int callback_url_resolve(const callback_url *u, char *addr, size_t addrlen, char *why, size_t whylen);

#endif
