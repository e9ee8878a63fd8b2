/* thread.c - start a thread with a stack sized to its work (see thread.h). */
#include <config.h>

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "thread.h"

/* The name is cosmetic: a failure to set it is no failure to start. */
static void name_it(pthread_t t, const char *name)
{
	char buf[16];

	if (name == NULL)
		return;
	strncpy(buf, name, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	(void)pthread_setname_np(t, buf);
}

int thread_start(pthread_t *out, size_t stack_size, const char *name, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc;

#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer's redzones make every frame larger: its own default. */
	stack_size = 0;
#endif
	if (stack_size == 0) {
		rc = pthread_create(out, NULL, fn, arg);
		if (rc == 0)
			name_it(*out, name);
		return rc;
	}
	if (stack_size < (size_t)PTHREAD_STACK_MIN)
		stack_size = (size_t)PTHREAD_STACK_MIN;
	rc = pthread_attr_init(&attr);
	if (rc != 0)
		return rc;
	rc = pthread_attr_setstacksize(&attr, stack_size);
	if (rc == 0)
		rc = pthread_create(out, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		name_it(*out, name);
	return rc;
}
