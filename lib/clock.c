/*
 * libecs ground floor: the monotonic clock (clock.h).
 */
#include <config.h>

#include "clock.h"

struct timespec ecs_clock_now(void)
{
	struct timespec ts;

	/* Cannot fail for CLOCK_MONOTONIC with a valid pointer (Linux >= 2.6). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

long long ecs_clock_ms(void)
{
	struct timespec ts = ecs_clock_now();

	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double ecs_clock_ms_f(void)
{
	struct timespec ts = ecs_clock_now();

	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

double ecs_clock_s(void)
{
	return ecs_clock_ms_f() / 1000.0;
}

struct timespec ecs_clock_add_ms(struct timespec ts, long ms)
{
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int ecs_clock_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

double ecs_clock_ms_between(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}
