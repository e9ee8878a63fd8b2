/* request.c - FastCGI params, the body (with its limit) and the self URL. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "clock.h"
#include "request.h"

const char *request_param(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	if (envp == NULL)
		return NULL;
	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* nginx's $request_id is 32 hex digits; accept any sane token, so a
 * front door that uses another id scheme still gets its ids echoed back. */
static int id_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_' && s[n] != '.')
			return 0;
	return n >= 1 && n <= 64;
}

static void generate_id(char out[65])
{
	unsigned char raw[16];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		/* Not security-relevant: the id only correlates log lines. */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(raw, &ts, sizeof(raw) < sizeof(ts) ? sizeof(raw) : sizeof(ts));
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

int request_init(request *r, char **envp, request_read_fn rd, void *rd_ctx)
{
	const char *uri, *q, *id, *m;

	memset(r, 0, sizeof(*r));
	r->started = ecs_clock_now();
	r->envp = envp;
	r->read = rd;
	r->read_ctx = rd_ctx;
	m = request_param(envp, "REQUEST_METHOD");
	snprintf(r->method, sizeof(r->method), "%s", m ? m : "");
	uri = request_param(envp, "REQUEST_URI");
	q = request_param(envp, "QUERY_STRING");
	if (uri != NULL && *uri != '\0') {
		const char *mark = strchr(uri, '?');

		r->path = mark ? strndup(uri, (size_t)(mark - uri)) : strdup(uri);
		if (q == NULL && mark != NULL)
			q = mark + 1;
	} else {
		const char *sn = request_param(envp, "SCRIPT_NAME");
		const char *pi = request_param(envp, "PATH_INFO");
		size_t n = (sn ? strlen(sn) : 0) + (pi ? strlen(pi) : 0) + 1;

		r->path = malloc(n);
		if (r->path != NULL)
			snprintf(r->path, n, "%s%s", sn ? sn : "", pi ? pi : "");
	}
	if (r->path == NULL)
		return -1;
	r->query = q ? q : "";
	id = request_param(envp, "REQUEST_ID");
	if (id_ok(id))
		snprintf(r->request_id, sizeof(r->request_id), "%s", id);
	else
		generate_id(r->request_id);
	return 0;
}

void request_clear(request *r)
{
	free(r->path);
	free(r->body);
	r->path = NULL;
	r->body = NULL;
	r->body_len = 0;
}

long long request_content_length(const request *r)
{
	const char *s = request_param(r->envp, "CONTENT_LENGTH");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	if (!isdigit((unsigned char)*s))
		return -2;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -2;
	return v;
}

int request_is_json(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

int request_read_body(request *r, size_t limit)
{
	long long cl = request_content_length(r);
	size_t cap = limit + 1, used = 0;
	/* Room for what CONTENT_LENGTH announces (and the byte that shows it
	 * lied), grown as more arrives: a 1 MiB limit does not make every
	 * small task body hold 1 MiB. */
	size_t size = cl >= 0 && (unsigned long long)cl < cap ? (size_t)cl + 1 : cap;
	char *buf = malloc(size + 1);

	if (buf == NULL)
		return -2;
	/* Read one byte past the limit: that is how we know it was exceeded
	 * when CONTENT_LENGTH lied or was absent. */
	while (used < cap && r->read != NULL) {
		int want, got;

		if (used == size) {
			char *more;

			size = size > cap / 2 ? cap : size * 2;
			more = realloc(buf, size + 1);
			if (more == NULL) {
				free(buf);
				return -2;
			}
			buf = more;
		}
		want = (int)(size - used > 65536 ? 65536 : size - used);
		got = r->read(r->read_ctx, buf + used, want);
		if (got < 0) {
			free(buf);
			return -1;
		}
		if (got == 0)
			break;
		used += (size_t)got;
	}
	if (used > limit) {
		free(buf);
		return 1;
	}
	buf[used] = '\0';
	free(r->body);
	r->body = buf;
	r->body_len = used;
	return 0;
}

/* HTTP_HOST comes from the client: use it only when it looks like a host. */
static int host_ok(const char *h)
{
	if (h == NULL || *h == '\0' || strlen(h) > 255)
		return 0;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && strchr(".-:[]_", *h) == NULL)
			return 0;
	return 1;
}

int request_self_url(char *buf, size_t size, const request *r)
{
	const char *https = request_param(r->envp, "HTTPS");
	const char *host = request_param(r->envp, "HTTP_HOST");
	const char *uri = request_param(r->envp, "REQUEST_URI");
	int secure = https != NULL && strcasecmp(https, "on") == 0;
	char hostbuf[300];
	int n;

	if (!host_ok(host)) {
		const char *sn = request_param(r->envp, "SERVER_NAME");
		const char *sp = request_param(r->envp, "SERVER_PORT");

		if (!host_ok(sn))
			sn = "localhost";
		if (sp != NULL && *sp != '\0' && strcmp(sp, secure ? "443" : "80") != 0 && strspn(sp, "0123456789") == strlen(sp))
			snprintf(hostbuf, sizeof(hostbuf), "%s:%s", sn, sp);
		else
			snprintf(hostbuf, sizeof(hostbuf), "%s", sn);
		host = hostbuf;
	}
	if (uri == NULL || *uri == '\0')
		uri = r->path;
	n = snprintf(buf, size, "%s://%s", secure ? "https" : "http", host);
	if (n < 0 || (size_t)n >= size)
		return -1;
	/* The URI as it came, but as a URL: bytes that cannot appear in one
	 * (controls, space, anything not ASCII) percent-encoded. */
	for (; *uri != '\0'; uri++) {
		unsigned char c = (unsigned char)*uri;
		int w = c > 0x20 && c < 0x7f ? 1 : 3;

		if ((size_t)n + (size_t)w >= size)
			return -1;
		if (w == 1)
			buf[n] = (char)c;
		else
			snprintf(buf + n, 4, "%%%02X", c);
		n += w;
	}
	buf[n] = '\0';
	return 0;
}

size_t request_self_url_size(const request *r)
{
	const char *uri = request_param(r->envp, "REQUEST_URI");

	/* scheme, a host of at most 255 and a port; each URI byte at most 3 */
	return sizeof("https://") + 300 + 3 * strlen(uri != NULL && *uri != '\0' ? uri : r->path);
}

double request_elapsed_ms(const request *r)
{
	return ecs_clock_ms_between(r->started, ecs_clock_now());
}
