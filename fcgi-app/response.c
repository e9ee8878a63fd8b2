/* response.c - responses and the JSON error document. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <ecs/ecs.h>

#include "response.h"
#include "text.h"

void response_init(response *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
}

void response_clear(response *r)
{
	free(r->body);
	response_init(r);
}

static char *dump(struct json_object *obj, size_t *len)
{
	const char *s;
	size_t n;
	char *copy;

	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s == NULL)
		return NULL;
	copy = malloc(n + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, s, n + 1);
	*len = n;
	return copy;
}

int response_set_json(response *r, int status, struct json_object *obj)
{
	size_t len = 0;
	char *s = dump(obj, &len);

	if (s == NULL)
		return -1;
	response_set_body(r, status, RESPONSE_JSON_TYPE, s, len);
	return 0;
}

void response_set_body(response *r, int status, const char *content_type, char *body, size_t len)
{
	free(r->body);
	r->status = status;
	r->content_type = content_type;
	r->body = body;
	r->body_len = body ? len : 0;
}

char *response_error_document(int status, const char *code, const char *message, const char *request_id)
{
	struct json_object *o;
	char *s = NULL, *clean = NULL;
	size_t len;

	/* The last guard: whatever a message carries, the document is UTF-8. */
	if (message != NULL && text_utf8_prefix(message, strlen(message)) < strlen(message)) {
		len = 4 * strlen(message) + 1;
		clean = malloc(len);
		if (clean == NULL)
			return NULL;
		message = text_quote(clean, len, message, len);
	}
	o = json_object_new_object();
	if (o == NULL) {
		free(clean);
		return NULL;
	}
	if (json_object_object_add(o, "status", json_object_new_int(status)) == 0 &&
	    json_object_object_add(o, "code", json_object_new_string(code ? code : "INTERNAL_ERROR")) == 0 &&
	    json_object_object_add(o, "message", json_object_new_string(message ? message : "")) == 0 &&
	    json_object_object_add(o, "requestId", json_object_new_string(request_id ? request_id : "")) == 0)
		s = dump(o, &len);
	json_object_put(o);
	free(clean);
	return s;
}

int response_set_error(response *r, int status, const char *code, const char *message, const char *request_id)
{
	static const char fallback[] = "{\"status\": 500, \"code\": \"INTERNAL_ERROR\", \"message\": \"out of memory\", \"requestId\": \"\"}";
	char *s = response_error_document(status, code, message, request_id);

	r->code = code;
	if (s == NULL) {
		/* Out of memory: still say something well-formed. */
		char *f = strdup(fallback);

		response_set_body(r, 500, RESPONSE_JSON_TYPE, f, f ? strlen(f) : 0);
		r->code = "INTERNAL_ERROR";
		return -1;
	}
	response_set_body(r, status, RESPONSE_JSON_TYPE, s, strlen(s));
	return 0;
}

int response_add_header(response *r, const char *name, const char *value)
{
	size_t used = strlen(r->headers);
	int n;

	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return -1;
	n = snprintf(r->headers + used, sizeof(r->headers) - used, "%s: %s\r\n", name, value);
	if (n < 0 || (size_t)n >= sizeof(r->headers) - used) {
		r->headers[used] = '\0';
		return -1;
	}
	return 0;
}

const char *response_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

int response_head(char *buf, size_t size, const response *r)
{
	int n;

	if (r->content_type != NULL)
		n = snprintf(buf, size, "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
				r->status, response_reason(r->status), r->content_type, r->body_len, r->headers);
	else
		n = snprintf(buf, size, "Status: %d %s\r\nContent-Length: %zu\r\n%s\r\n",
				r->status, response_reason(r->status), r->body_len, r->headers);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

int response_map_error(int rc, const char **code)
{
	switch (rc) {
	case ECS_EINVAL:
	case ECS_ETOOBIG:
		*code = "BAD_REQUEST_BODY";
		return 400;
	case ECS_ENOTFOUND:
		*code = "IMAGE_NOT_FOUND";
		return 404;
	case ECS_EDENIED:
		*code = "FORBIDDEN";
		return 403;
	case ECS_ENOUSER:
		*code = "USER_NOT_FOUND";
		return 400;
	case ECS_EUNAUTHORIZED:
		*code = "REGISTRY_UNAUTHORIZED";
		return 401;
	case ECS_EUNAVAILABLE:
		*code = "ENGINE_UNAVAILABLE";
		return 503;
	case ECS_ECANCELED:
		*code = "SHUTTING_DOWN";
		return 503;
	case ECS_ETIMEDOUT:
		*code = "ENGINE_TIMEOUT";
		return 504;
	case ECS_EENGINE:
	case ECS_EPROTO:
	case ECS_EVERSION:
		*code = "ENGINE_ERROR";
		return 502;
	default:
		*code = "INTERNAL_ERROR";
		return 500;
	}
}
