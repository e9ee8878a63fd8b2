/* log.c - key=value lines on stderr. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "text.h"

static log_level max_level = LOG_LEVEL_INFO;

static const char *level_name(log_level l)
{
	switch (l) {
	case LOG_LEVEL_ERROR: return "error";
	case LOG_LEVEL_WARNING: return "warning";
	case LOG_LEVEL_INFO: return "info";
	case LOG_LEVEL_DEBUG: return "debug";
	}
	return "info";
}

void log_set_level(log_level level)
{
	max_level = level;
}

int log_enabled(log_level level)
{
	return level <= max_level;
}

void log_format_ms(char *buf, size_t size, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL) {
		snprintf(buf, size, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

void log_format_time(char *buf, size_t size)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	log_format_ms(buf, size, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L);
}

static void append(log_line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->len;

	/* A cut line stays UTF-8: never end inside a character. */
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

void log_begin(log_line *l, log_level level, const char *event)
{
	char ts[40];

	l->len = 0;
	l->buf[0] = '\0';
	log_format_time(ts, sizeof(ts));
	append(l, "ts=", 3);
	append(l, ts, strlen(ts));
	log_kv(l, "level", level_name(level));
	log_kv(l, "event", event);
}

/* Bytes of @v up to @n that are not well-formed UTF-8 become \xNN too. */
static void append_escaped(log_line *l, const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t ok = i + text_utf8_prefix(v + i, n - i), run;

		for (; i < ok; i += run) {
			unsigned char c = (unsigned char)v[i];

			run = 1;
			if (c == '"' || c == '\\') {
				char esc[2] = { '\\', (char)c };

				append(l, esc, 2);
			} else if (c < 0x20 || c == 0x7f) {
				char esc[8];

				snprintf(esc, sizeof(esc), "\\x%02x", c);
				append(l, esc, 4);
			} else {
				/* A whole character at once, so a cut never splits it. */
				while (i + run < ok && ((unsigned char)v[i + run] & 0xc0) == 0x80)
					run++;
				append(l, v + i, run);
			}
		}
		if (i < n) {
			char esc[8];

			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)v[i]);
			append(l, esc, 4);
			i++;
		}
	}
}

/*
 * Client text reaches values (a path, a user agent, an engine message that
 * quotes a request): quoted when it has anything a reader could misparse,
 * and every byte that is not UTF-8 shown as \xNN, so the log stays UTF-8.
 */
void log_kv(log_line *l, const char *key, const char *value)
{
	const char *p;
	size_t n;
	int quote = 0;

	if (value == NULL || *value == '\0')
		value = "-";
	n = strlen(value);
	for (p = value; *p; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			quote = 1;
	if (text_utf8_prefix(value, n) < n)
		quote = 1;
	if (l->len > 0)
		append(l, " ", 1);
	append(l, key, strlen(key));
	append(l, "=", 1);
	if (!quote) {
		append(l, value, n);
		return;
	}
	append(l, "\"", 1);
	append_escaped(l, value, n);
	append(l, "\"", 1);
}

void log_kvf(log_line *l, const char *key, const char *fmt, ...)
{
	char v[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	log_kv(l, key, v);
}

void log_emit(log_line *l, log_level level)
{
	if (!log_enabled(level))
		return;
	if (l->len >= sizeof(l->buf) - 1)
		l->len = sizeof(l->buf) - 2;
	l->buf[l->len] = '\n';
	/* One write(2) per line: lines from different threads never interleave. */
	if (write(STDERR_FILENO, l->buf, l->len + 1) < 0) {
		/* Nowhere left to report it. */
	}
	l->buf[l->len] = '\0';
}

void log_msg(log_level level, const char *event, const char *fmt, ...)
{
	log_line l;
	char msg[1024];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_begin(&l, level, event);
	log_kv(&l, "msg", msg);
	log_emit(&l, level);
}
