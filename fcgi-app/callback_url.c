/* callback_url.c - allow entries, URLs and addresses of callbacks. See callback_url.h. */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "callback_url.h"
#include "text.h"

/* What a refusal quotes of a caller's text: enough to recognise it, never a whole URL. */
#define QUOTE_MAX 96

/* @s (@len bytes) an address literal? Its canonical text into @canon. */
static int parse_literal(char *canon, size_t size, const char *s, size_t len, int v6)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char tmp[CALLBACK_ADDR_MAX];

	if (len == 0 || len >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, tmp, bin) != 1)
		return 0;
	return inet_ntop(v6 ? AF_INET6 : AF_INET, bin, canon, size) != NULL;
}

/*
 * A DNS name: labels of letters, digits and inner '-', 1-63 bytes each,
 * 253 in all, lower-cased into @out. No trailing dot (the same host as
 * without it, and nobody's entry), and not numeric: the last label of a
 * name is never all digits nor 0x-hex, which resolvers read as IPv4.
 */
static int parse_name(char *out, size_t size, const char *s, size_t len, char *why, size_t whylen)
{
	size_t i, label = 0, last = 0;
	int digits = 1;

	if (len == 0 || len > 253 || len >= size)
		return snprintf(why, whylen, "a host name of 1 to 253 bytes"), -1;
	if (s[len - 1] == '.')
		return snprintf(why, whylen, "a host name without a trailing dot"), -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return snprintf(why, whylen, "a host name of labels between dots"), -1;
			label = 0;
			last = i + 1;
			digits = 1;
			out[i] = '.';
			continue;
		}
		if (!isalnum(c) && c != '-')
			return snprintf(why, whylen, "a host name of letters, digits, '-' and dots"), -1;
		if ((c == '-' && label == 0) || ++label > 63)
			return snprintf(why, whylen, "host name labels of 1 to 63 bytes, not starting with '-'"), -1;
		if (!isdigit(c))
			digits = 0;
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	if (s[len - 1] == '-')
		return snprintf(why, whylen, "host name labels not ending with '-'"), -1;
	if (digits || (out[last] == '0' && out[last + 1] == 'x' && strspn(out + last + 2, "0123456789abcdef") == len - last - 2))
		return snprintf(why, whylen, "a dotted-quad address or a name, not a number"), -1;
	return 0;
}

/* @host (@len bytes, an IPv6 literal inside [ ]) into @out: 1 literal, 0 name, -1 bad (@why). */
static int parse_host(char *out, size_t size, const char *host, size_t len, char *why, size_t whylen)
{
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		if (memchr(host, '%', len) != NULL)
			return snprintf(why, whylen, "an IPv6 address without a zone"), -1;
		if (!parse_literal(out, size, host + 1, len - 2, 1))
			return snprintf(why, whylen, "an IPv6 address inside [ ]"), -1;
		return 1;
	}
	if (parse_literal(out, size, host, len, 0))
		return 1;
	return parse_name(out, size, host, len, why, whylen) == 0 ? 0 : -1;
}

int callback_allow_parse_entry(callback_allow_entry *e, const char *word, char *why, size_t whylen)
{
	char host[CALLBACK_HOST_MAX], what[128];
	const char *rest = word, *colon;
	size_t hostlen;
	int literal;

	memset(e, 0, sizeof(*e));
	if (strncasecmp(rest, "http://", 7) == 0) {
		e->http = 1;
		rest += 7;
	} else if (strncasecmp(rest, "https://", 8) == 0) {
		rest += 8;
	}
	if (rest[0] == '[') {
		const char *end = strchr(rest, ']');

		if (end == NULL)
			return snprintf(why, whylen, "'%.64s': an IPv6 address needs its closing ]", word), -1;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return snprintf(why, whylen, "'%.64s': expected [IPV6]:PORT", word), -1;
		hostlen = (size_t)(end + 1 - rest);
	} else {
		colon = strchr(rest, ':');
		hostlen = colon != NULL ? (size_t)(colon - rest) : strlen(rest);
	}
	literal = parse_host(host, sizeof(host), rest, hostlen, what, sizeof(what));
	if (literal < 0)
		return snprintf(why, whylen, "'%.64s': expected %s (entries are [http://|https://]host[:port])",
				word, what), -1;
	e->port = e->http ? 80 : 443;
	if (colon != NULL) {
		char *end = NULL;
		long p = strtol(colon + 1, &end, 10);

		if (!isdigit((unsigned char)colon[1]) || *end != '\0' || p < 1 || p > 65535)
			return snprintf(why, whylen, "'%.64s': expected a port between 1 and 65535 after ':' "
					"(and nothing after it: no path)", word), -1;
		e->port = (int)p;
	}
	e->is_address = literal;
	e->host = strdup(host);
	return e->host != NULL ? 0 : -2;
}

/* A URL part, or NULL when absent (curl's error for "no such part"). */
static char *url_part(CURLU *h, CURLUPart part, unsigned int flags)
{
	char *v = NULL;

	if (curl_url_get(h, part, &v, flags) != CURLUE_OK)
		return NULL;
	return v;
}

/* Is any of the URL's credentials parts present? */
static int has_userinfo(CURLU *h)
{
	static const CURLUPart parts[] = { CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS };
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		char *v = url_part(h, parts[i], 0);

		if (v != NULL) {
			curl_free(v);
			return 1;
		}
	}
	return 0;
}

static const callback_allow_entry *find_entry(const callback_conf *cc, const callback_url *u, int *http_refused)
{
	size_t i;

	*http_refused = 0;
	for (i = 0; i < cc->allow_len; i++) {
		const callback_allow_entry *e = &cc->allow[i];

		if (e->is_address != u->literal || e->port != u->port || strcmp(e->host, u->host) != 0)
			continue;
		if (!u->https && !e->http) {
			*http_refused = 1;
			continue;
		}
		return e;
	}
	return NULL;
}

int callback_url_judge(callback_url *out, const callback_conf *cc, const char *url, char *why, size_t whylen)
{
	char what[128], q[QUOTE_MAX * 4 + 1];
	char *scheme = NULL, *host = NULL, *port = NULL, *zone = NULL;
	CURLU *h = curl_url();
	CURLUcode uc;
	int rc = -1, http_refused;

	memset(out, 0, sizeof(*out));
	if (h == NULL)
		return -2;
	uc = curl_url_set(h, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		rc = uc == CURLUE_OUT_OF_MEMORY ? -2 : -1;
		/* Not echoed: a URL that does not parse may still carry a password. */
		snprintf(why, whylen, "callback url is not a URL: %s", curl_url_strerror(uc));
		goto out;
	}
	scheme = url_part(h, CURLUPART_SCHEME, 0);
	host = url_part(h, CURLUPART_HOST, 0);
	port = url_part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	zone = url_part(h, CURLUPART_ZONEID, 0);
	if (scheme == NULL || host == NULL || port == NULL) {
		snprintf(why, whylen, "callback url needs a scheme and a host");
		goto out;
	}
	if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
		snprintf(why, whylen, "callback url scheme '%s' is not https or http", text_quote(q, sizeof(q), scheme, 16));
		goto out;
	}
	out->https = strcmp(scheme, "https") == 0;
	out->port = atoi(port);
	if (zone != NULL) {
		snprintf(why, whylen, "callback url host %s carries an IPv6 zone", text_quote(q, sizeof(q), host, QUOTE_MAX));
		goto out;
	}
	/* Credentials in a URL are how "allowed.example@127.0.0.1" reads as allowed to a human. */
	if (has_userinfo(h)) {
		snprintf(why, whylen, "callback url host %s port %d carries a user name or password",
			 text_quote(q, sizeof(q), host, QUOTE_MAX), out->port);
		goto out;
	}
	out->literal = parse_host(out->host, sizeof(out->host), host, strlen(host), what, sizeof(what));
	if (out->literal < 0) {
		snprintf(why, whylen, "callback url host %s is not %s", text_quote(q, sizeof(q), host, QUOTE_MAX), what);
		goto out;
	}
	out->entry = find_entry(cc, out, &http_refused);
	if (out->entry == NULL) {
		snprintf(why, whylen, http_refused ? "callback url host %s port %d: plain http is allowed only to an http:// "
			 "entry of callback_allow" : "callback url host %s port %d is not in callback_allow",
			 out->host, out->port);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(zone);
	curl_url_cleanup(h);
	return rc;
}

static int v4_public(uint32_t a)
{
	static const struct { uint32_t net, mask; } closed[] = {
		{ 0x00000000, 0xff000000 },   /* 0/8 "this network" */
		{ 0x0a000000, 0xff000000 },   /* 10/8 */
		{ 0x64400000, 0xffc00000 },   /* 100.64/10 shared (CGNAT) */
		{ 0x7f000000, 0xff000000 },   /* 127/8 loopback */
		{ 0xa9fe0000, 0xffff0000 },   /* 169.254/16 link-local (cloud metadata) */
		{ 0xac100000, 0xfff00000 },   /* 172.16/12 */
		{ 0xc0000000, 0xffffff00 },   /* 192.0.0/24 IETF */
		{ 0xc0000200, 0xffffff00 },   /* 192.0.2/24 documentation */
		{ 0xc0586300, 0xffffff00 },   /* 192.88.99/24 6to4 relay */
		{ 0xc0a80000, 0xffff0000 },   /* 192.168/16 */
		{ 0xc6120000, 0xfffe0000 },   /* 198.18/15 benchmarking */
		{ 0xc6336400, 0xffffff00 },   /* 198.51.100/24 documentation */
		{ 0xcb007100, 0xffffff00 },   /* 203.0.113/24 documentation */
		{ 0xe0000000, 0xe0000000 },   /* 224/4 multicast, 240/4 reserved, broadcast */
	};
	size_t i;

	for (i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
		if ((a & closed[i].mask) == closed[i].net)
			return 0;
	return 1;
}

int callback_addr_public(const struct sockaddr *sa)
{
	const unsigned char *b;

	if (sa->sa_family == AF_INET)
		return v4_public(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return 0;
	b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)b))
		return v4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
	if ((b[0] & 0xe0) != 0x20)       /* global unicast is 2000::/3: ::1, fc00::/7, fe80::/10, ff00::/8, 64:ff9b:: ... */
		return 0;
	if (b[0] == 0x20 && b[1] == 0x01 && (b[2] < 0x02 || (b[2] == 0x0d && b[3] == 0xb8)))
		return 0;                /* 2001::/23 (Teredo, ...), 2001:db8::/32 documentation */
	if (b[0] == 0x20 && b[1] == 0x02)
		return 0;                /* 6to4: an IPv4 address inside */
	if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0)
		return 0;                /* 3fff::/20 documentation */
	return 1;
}

int callback_url_resolve(const callback_url *u, char *addr, size_t addrlen, char *why, size_t whylen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char text[CALLBACK_ADDR_MAX];
	int rc;

	/* The entry named this very address (a literal matches only an address entry). */
	if (u->literal) {
		snprintf(addr, addrlen, "%s", u->host);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(u->host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(why, whylen, "callback host %s port %d does not resolve: %s", u->host, u->port, gai_strerror(rc));
		return -1;
	}
	addr[0] = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		const void *bin = ai->ai_family == AF_INET6 ?
			(const void *)&((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr :
			(const void *)&((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    inet_ntop(ai->ai_family, bin, text, sizeof(text)) == NULL)
			continue;
		/* Every address: a resolver answering public then private (rebinding) picks for curl. */
		if (!callback_addr_public(ai->ai_addr)) {
			snprintf(why, whylen, "callback host %s port %d resolves to %s, which is not a public address "
				 "(an operator allows it by listing the address in callback_allow)", u->host, u->port, text);
			freeaddrinfo(res);
			return -1;
		}
		if (addr[0] == '\0')
			snprintf(addr, addrlen, "%s", text);
	}
	freeaddrinfo(res);
	if (addr[0] == '\0') {
		snprintf(why, whylen, "callback host %s port %d has no IPv4 or IPv6 address", u->host, u->port);
		return -1;
	}
	return 0;
}
