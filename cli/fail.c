/* fail.c - how ecs-run gives up (see fail.h). */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>

#include "fail.h"

int cli_fail(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ecs-run: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ECS;
}
