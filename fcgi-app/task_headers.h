/*
 * task_headers.h - the request headers that make a task outlive its request:
 * Prefer: respond-async (RFC 7240) and Idempotency-Key (the IETF httpapi
 * draft), parsed once at the edge, and the fingerprint that tells two
 * requests under one key apart.
 */
#ifndef ECSFCGI_TASK_HEADERS_H
#define ECSFCGI_TASK_HEADERS_H

#include <stddef.h>

/** Bytes of an Idempotency-Key. */
#define TASK_IDEM_KEY_MAX 255

/** Bytes of a fingerprint: 64 hex digits and a NUL. */
#define TASK_FINGERPRINT_SIZE 65

/**
 * task_headers_respond_async - does the Prefer header value @prefer (NULL:
 * absent; several headers arrive joined by ", ") carry the preference
 * respond-async (case-insensitive, among others, with or without
 * parameters)? 1 or 0.
 */
int task_headers_respond_async(const char *prefer);

/**
 * task_headers_idem_key - judge the Idempotency-Key value @value (NULL:
 * absent): 1-TASK_IDEM_KEY_MAX printable ASCII bytes, no space at either end.
 * Returns 0 absent, 1 a key (@value is it), -1 malformed (400 BAD_IDEMPOTENCY_KEY).
 */
int task_headers_idem_key(const char *value);

/**
 * task_headers_fingerprint - hex SHA-256 of "@method @path\n" followed by
 * the @len bytes of @body, into @out. Returns 0, or -1 (OpenSSL failed).
 */
int task_headers_fingerprint(char out[TASK_FINGERPRINT_SIZE], const char *method, const char *path,
			     const char *body, size_t len);

#endif
