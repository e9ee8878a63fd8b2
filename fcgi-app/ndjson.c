/* ndjson.c - live output as application/x-ndjson (see ndjson.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <ecs/ecs.h>

#include "base64.h"
#include "ndjson.h"

/*
 * The head of every streamed response. No Content-Length: the length is
 * not known; nginx sends it chunked. X-Accel-Buffering: no turns nginx's
 * fastcgi_buffering off for this response only, so each flushed line
 * reaches the client as it is written. no-store: a replay is a new task.
 */
static const char head[] = "Status: 200 OK\r\n"
			   "Content-Type: " NDJSON_TYPE "\r\n"
			   "X-Accel-Buffering: no\r\n"
			   "Cache-Control: no-store\r\n"
			   "\r\n";

/* Skip optional whitespace (RFC 9110 OWS). */
static const char *ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* 1 when the parameters of one media range (after its type, up to @end) hold q=0 (0, 0.0, 0.00, 0.000). */
static int q_zero(const char *p, const char *end)
{
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *pend = semi != NULL ? semi : end;

		p = ows(p, pend);
		if (pend - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			const char *v = p + 2, *vend = pend;

			while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
				vend--;
			if (vend > v && v[0] == '0') {
				const char *d = v + 1;

				if (d < vend && *d == '.')
					for (d++; d < vend && *d == '0'; d++)
						;
				if (d == vend)
					return 1;
			}
		}
		p = semi != NULL ? semi + 1 : end;
	}
	return 0;
}

int ndjson_wanted(const char *accept)
{
	static const char type[] = NDJSON_TYPE;
	const char *p = accept;

	if (p == NULL)
		return 0;
	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		const char *end = comma != NULL ? comma : p + strlen(p);
		const char *t = ows(p, end), *tend = t;

		while (tend < end && *tend != ';' && *tend != ' ' && *tend != '\t')
			tend++;
		if ((size_t)(tend - t) == sizeof(type) - 1 && strncasecmp(t, type, sizeof(type) - 1) == 0) {
			const char *params = ows(tend, end);

			/* only parameters may follow the type */
			if (params == end || *params == ';')
				return !q_zero(params, end);
		}
		p = comma != NULL ? comma + 1 : end;
	}
	return 0;
}

void ndjson_init(ndjson *w, const ndjson_sink *sink, const char *request_id)
{
	memset(w, 0, sizeof(*w));
	w->sink = sink;
	w->request_id = request_id;
}

int ndjson_started(const ndjson *w)
{
	return w->started;
}

/* Send @len bytes of one line (ending in '\n'), the head first. */
static int send_line(ndjson *w, const char *line, size_t len)
{
	if (w->failed)
		return -1;
	if (!w->started) {
		w->started = 1;
		if (w->sink->send(w->sink->arg, head, sizeof(head) - 1) != 0) {
			w->failed = 1;
			return -1;
		}
	}
	if (w->sink->send(w->sink->arg, line, len) != 0) {
		w->failed = 1;
		return -1;
	}
	w->lines++;
	return 0;
}

/* @pre + @text + @post + "\n" as one line. */
static int send_wrapped(ndjson *w, const char *pre, const char *text, size_t text_len, const char *post)
{
	size_t a = strlen(pre), c = strlen(post), n = a + text_len + c + 1;
	char *line = malloc(n);
	int rc;

	if (line == NULL)
		return -1;
	memcpy(line, pre, a);
	memcpy(line + a, text, text_len);
	memcpy(line + a + text_len, post, c);
	line[n - 1] = '\n';
	rc = send_line(w, line, n);
	free(line);
	return rc;
}

int ndjson_output(int stream, const unsigned char *data, size_t len, void *arg)
{
	ndjson *w = arg;
	char *b64 = NULL;
	int rc;

	if (w->failed)
		return -1;
	/* base64 text needs no escaping: the line is JSON as it stands */
	if (base64_encode(&b64, data, len) != 0)
		return -1;
	rc = send_wrapped(w, stream == ECS_TASK_STDERR ? "{\"stream\":\"stderr\",\"data\":\"" :
				"{\"stream\":\"stdout\",\"data\":\"", b64, strlen(b64), "\"}");
	free(b64);
	return rc;
}

int ndjson_object(ndjson *w, struct json_object *obj)
{
	size_t n = 0;
	const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
							  &n);

	if (s == NULL)
		return -1;
	return send_wrapped(w, "", s, n, "");
}

int ndjson_error_line(ndjson *w, const char *doc, size_t len)
{
	if (doc == NULL || len == 0)
		return -1;
	return send_wrapped(w, "{\"error\":", doc, len, "}");
}
