/*
 * libecs: error texts, library set-up and the cancel token.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include <curl/curl.h>

#include <ecs/ecs.h>

/*
 * One table so the name and the text of a code cannot drift apart; indexed
 * by -code, which the enum keeps dense from 0 to ECS_ENOUSER.
 */
static const struct {
	const char *name;
	const char *text;
} errors[] = {
	{ "ECS_OK", "success" },
	{ "ECS_ERROR", "unclassified failure" },
	{ "ECS_ENOMEM", "out of memory" },
	{ "ECS_EINVAL", "invalid argument" },
	{ "ECS_ENOTFOUND", "not found" },
	{ "ECS_EUNAUTHORIZED", "the registry refused the credentials" },
	{ "ECS_EUNAVAILABLE", "the engine cannot be reached" },
	{ "ECS_EENGINE", "the engine reported an error" },
	{ "ECS_ETIMEDOUT", "timed out" },
	{ "ECS_EPROTO", "the engine sent something unparseable" },
	{ "ECS_EVERSION", "no API version in common with the engine" },
	{ "ECS_ECANCELED", "cancelled" },
	{ "ECS_ETOOBIG", "value too big" },
	{ "ECS_EDENIED", "not allowed by the sandbox profile" },
	{ "ECS_ENOUSER", "no such user or group in the image" },
};

#define NERRORS (sizeof(errors) / sizeof(errors[0]))

const char *ecs_strerror(int code)
{
	/* Compare as unsigned after negating in long so INT_MIN cannot overflow. */
	long idx = -(long)code;

	if (idx < 0 || (unsigned long)idx >= NERRORS)
		return "unknown error";
	return errors[idx].text;
}

const char *ecs_error_name(int code)
{
	long idx = -(long)code;

	if (idx < 0 || (unsigned long)idx >= NERRORS)
		return "ECS_UNKNOWN";
	return errors[idx].name;
}

int ecs_global_init(void)
{
	/* OpenSSL >= 1.1 initialises itself; only libcurl needs the call. */
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		return ECS_ERROR;
	return ECS_OK;
}

void ecs_global_cleanup(void)
{
	curl_global_cleanup();
}

const char *ecs_version(void)
{
	return ECS_VERSION_STRING;
}

/*
 * A lock-free atomic int is what makes trigger both thread-safe and
 * async-signal-safe (a signal handler may call it); we check that the
 * platform really has one rather than silently falling back to a lock.
 */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "ecs_cancel needs a lock-free atomic int");

struct ecs_cancel {
	atomic_int triggered;
};

int ecs_cancel_new(ecs_cancel **out)
{
	ecs_cancel *c;

	if (out == NULL)
		return ECS_EINVAL;
	*out = NULL;
	c = malloc(sizeof(*c));
	if (c == NULL)
		return ECS_ENOMEM;
	atomic_init(&c->triggered, 0);
	*out = c;
	return ECS_OK;
}

void ecs_cancel_trigger(ecs_cancel *c)
{
	if (c != NULL)
		atomic_store(&c->triggered, 1);
}

int ecs_cancel_is_triggered(const ecs_cancel *c)
{
	if (c == NULL)
		return 0;
	return atomic_load(&c->triggered) != 0;
}

void ecs_cancel_free(ecs_cancel *c)
{
	free(c);
}

void ecs_buffer_clear(ecs_buffer *buf)
{
	if (buf == NULL)
		return;
	free(buf->data);
	buf->data = NULL;
	buf->len = 0;
	buf->truncated = 0;
}
