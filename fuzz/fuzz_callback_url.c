/*
 * Fuzzer: callback_allow entries and callback URLs judged against them
 * (fcgi-app/callback_conf.c, fcgi-app/callback_url.c); no DNS.
 *
 * The input is "ALLOW\nURL": ALLOW is the value of callback_allow (the
 * operator's), URL a task's (untrusted). Beyond not crashing: every entry
 * parsed is a plain host (a lower-case name or an address literal) and a
 * port; each entry, written back as a URL, admits itself; a URL admitted
 * names exactly its entry's host and port, plain http only to an http://
 * entry, and never carries a user, '@', '%' or an upper-case letter.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callback_conf.h"
#include "callback_url.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const callback_conf *cc, const callback_allow_entry *e)
{
	unsigned char bin[16];
	char url[CALLBACK_HOST_MAX + 32], why[256];
	callback_url u;
	const char *p;

	if (e->host == NULL || e->host[0] == '\0' || e->port < 1 || e->port > 65535)
		abort();
	if (e->is_address) {
		if (inet_pton(AF_INET, e->host, bin) != 1 && inet_pton(AF_INET6, e->host, bin) != 1)
			abort();
	} else {
		for (p = e->host; *p; p++)
			if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-' && *p != '.')
				abort();
	}
	snprintf(url, sizeof(url), strchr(e->host, ':') ? "%s://[%s]:%d/hook" : "%s://%s:%d/hook",
		 e->http ? "http" : "https", e->host, e->port);
	if (callback_url_judge(&u, cc, url, why, sizeof(why)) != 0 || strcmp(u.host, e->host) != 0 ||
	    u.port != e->port)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const conf_key *allow = conf_key_find(callback_conf_keys, "callback_allow");
	callback_conf cc;
	callback_url u;
	char *s, *nl, why[512];
	const char *p;
	size_t i;

	s = fuzz_input_string(data, size, 4096);
	if (s == NULL || allow == NULL) {
		free(s);
		return 0;
	}
	nl = strchr(s, '\n');
	if (nl != NULL)
		*nl = '\0';
	callback_conf_init(&cc);
	if (allow->apply(&cc, allow, s, why, sizeof(why)) == 0)
		for (i = 0; i < cc.allow_len; i++)
			check_entry(&cc, &cc.allow[i]);
	if (nl != NULL && callback_url_judge(&u, &cc, nl + 1, why, sizeof(why)) == 0) {
		if (u.entry == NULL || strcmp(u.entry->host, u.host) != 0 || u.entry->port != u.port ||
		    u.entry->is_address != u.literal || (!u.https && !u.entry->http))
			abort();
		for (p = u.host; *p; p++)
			if (*p == '@' || *p == '%' || isupper((unsigned char)*p))
				abort();
	}
	callback_conf_clear(&cc);
	free(s);
	return 0;
}
