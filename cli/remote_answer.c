/* remote_answer.c - reading a streamed task answer (see remote_answer.h). */
#include <config.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "remote_answer.h"

void remote_answer_init(remote_answer *a, FILE *out, FILE *err)
{
	memset(a, 0, sizeof(*a));
	a->out = out;
	a->err = err;
}

static int fail(remote_answer *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(remote_answer *a, const char *fmt, ...)
{
	va_list ap;

	if (!a->failed) {
		va_start(ap, fmt);
		vsnprintf(a->why, sizeof(a->why), fmt, ap);
		va_end(ap);
		a->failed = 1;
	}
	return -1;
}

/* {"stream": "stdout"|"stderr", "data": BASE64}: the bytes onto our stream now. */
static int output_line(remote_answer *a, json_object *o)
{
	json_object *s, *d;
	const char *name;
	unsigned char *bytes = NULL;
	size_t n = 0;
	FILE *f;
	int rc;

	if (json_object_object_length(o) != 2 || !json_object_object_get_ex(o, "data", &d) ||
	    !json_object_object_get_ex(o, "stream", &s) || !json_object_is_type(s, json_type_string) ||
	    !json_object_is_type(d, json_type_string))
		return fail(a, "an output line is not {\"stream\", \"data\"}");
	name = json_object_get_string(s);
	if (strcmp(name, "stdout") == 0)
		f = a->out;
	else if (strcmp(name, "stderr") == 0)
		f = a->err;
	else
		return fail(a, "an output line names no stream we know");
	rc = base64_decode(&bytes, &n, json_object_get_string(d), (size_t)json_object_get_string_len(d));
	if (rc != 0)
		return fail(a, rc == -2 ? "out of memory" : "an output line's data is not base64");
	if (f == a->out)
		a->out_bytes += n;
	else
		a->err_bytes += n;
	rc = (n > 0 && fwrite(bytes, 1, n, f) != n) || fflush(f) != 0;
	free(bytes);
	return rc ? fail(a, "writing the task's %s failed", name) : 0;
}

static int one_line(remote_answer *a, const char *text, size_t len)
{
	json_tokener *tok;
	json_object *o, *v;
	int rc = 0;

	if (a->result != NULL || a->error != NULL)
		return fail(a, "a line came after the last one");
	if (len > (size_t)INT32_MAX)
		return fail(a, "a line is too long");
	tok = json_tokener_new();
	if (tok == NULL)
		return fail(a, "out of memory");
	o = json_tokener_parse_ex(tok, text, (int)len);
	/* the whole line, one value: nothing after it */
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		json_tokener_free(tok);
		return fail(a, "a line is not JSON");
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object))
		rc = fail(a, "a line is not a JSON object");
	else if (json_object_object_get_ex(o, "stream", NULL))
		rc = output_line(a, o);
	else if (json_object_object_get_ex(o, "error", &v) && json_object_is_type(v, json_type_object))
		a->error = json_object_get(v);
	else if (json_object_object_get_ex(o, "exitCode", &v) && json_object_is_type(v, json_type_int))
		a->result = json_object_get(o);
	else
		rc = fail(a, "a line is neither output, a result nor an error");
	json_object_put(o);
	return rc;
}

int remote_answer_feed(remote_answer *a, const char *data, size_t len)
{
	if (a->failed)
		return -1;
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl != NULL ? (size_t)(nl - data) : len;

		if (a->len + take > REMOTE_LINE_MAX)
			return fail(a, "a line is longer than %u bytes", REMOTE_LINE_MAX);
		if (a->len + take + 1 > a->cap) {
			size_t cap = a->cap ? a->cap : 4096;
			char *p;

			while (cap < a->len + take + 1)
				cap *= 2;
			p = realloc(a->line, cap);
			if (p == NULL)
				return fail(a, "out of memory");
			a->line = p;
			a->cap = cap;
		}
		memcpy(a->line + a->len, data, take);
		a->len += take;
		a->line[a->len] = '\0';
		if (nl == NULL)
			break;
		if (one_line(a, a->line, a->len) != 0)
			return -1;
		a->len = 0;
		data += take + 1;
		len -= take + 1;
	}
	return 0;
}

int remote_answer_finish(remote_answer *a)
{
	if (a->failed)
		return -1;
	if (a->len > 0)
		return fail(a, "the answer ended inside a line");
	if (a->result == NULL && a->error == NULL)
		return fail(a, "the answer ended before the task's result");
	return 0;
}

void remote_answer_clear(remote_answer *a)
{
	free(a->line);
	json_object_put(a->result);
	json_object_put(a->error);
	memset(a, 0, sizeof(*a));
}
