/*
 * log.h - one line per event on stderr, key=value, UTC ISO-8601 time:
 *   ts=2026-11-27T14:15:02.123Z level=info event=request id=... status=201 ...
 * Values with spaces, quotes or '=' are double-quoted with backslash escapes.
 * Never pass credentials.
 */
#ifndef ECSFCGI_LOG_H
#define ECSFCGI_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/** A line being built: fields appended with log_kv*(), written by log_emit(). */
typedef struct {
	char buf[2048];
	size_t len;
} log_line;

/** log_set_level - lines above @level are dropped. Set before threads start. */
void log_set_level(log_level level);

/** log_enabled - 1 when lines at @level are written. */
int log_enabled(log_level level);

/** log_begin - start a line with ts, level and event. */
void log_begin(log_line *l, log_level level, const char *event);

/** log_kv - append key=value (quoted when needed; NULL becomes "-"). */
void log_kv(log_line *l, const char *key, const char *value);

/** log_kvf - append key=printf(...). */
void log_kvf(log_line *l, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** log_emit - write the line (with a newline) to stderr in one call. Thread-safe. */
void log_emit(log_line *l, log_level level);

/** log_msg - a whole line: event=@event msg="printf(...)". */
void log_msg(log_level level, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** log_format_time - now, as log_format_ms() writes it. */
void log_format_time(char *buf, size_t size);

/**
 * log_format_ms - @ms (milliseconds since the epoch) as RFC 3339 UTC with
 * milliseconds, "YYYY-MM-DDTHH:MM:SS.mmmZ", into @buf (>= 25 bytes): the
 * log lines' times and the task documents' alike.
 */
void log_format_ms(char *buf, size_t size, int64_t ms);

#endif
