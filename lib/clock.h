/*
 * Private: the monotonic clock, read in one place. Durations, deadlines and
 * backoffs must not jump with the wall clock (NTP, an operator's date), so
 * everything that measures or waits reads CLOCK_MONOTONIC through here.
 *
 * Part of the ground floor (libecs-floor): no allocation, no libecs calls,
 * so the fully static ecs-agent links it too. Every function is reentrant.
 */
#ifndef ECS_CLOCK_H
#define ECS_CLOCK_H

#include <time.h>

/** ecs_clock_now - CLOCK_MONOTONIC now. */
struct timespec ecs_clock_now(void);

/** ecs_clock_ms - CLOCK_MONOTONIC now in whole milliseconds (for deadlines). */
long long ecs_clock_ms(void);

/** ecs_clock_ms_f - CLOCK_MONOTONIC now in milliseconds with their fraction (for reported durations). */
double ecs_clock_ms_f(void);

/** ecs_clock_s - CLOCK_MONOTONIC now in seconds with their fraction (for deadlines and ages in seconds). */
double ecs_clock_s(void);

/** ecs_clock_add_ms - @ts plus @ms milliseconds (@ms >= 0), normalised. */
struct timespec ecs_clock_add_ms(struct timespec ts, long ms);

/** ecs_clock_before - 1 when @a is earlier than @b, else 0. */
int ecs_clock_before(struct timespec a, struct timespec b);

/** ecs_clock_ms_between - milliseconds from @a to @b (negative when @b is earlier). */
double ecs_clock_ms_between(struct timespec a, struct timespec b);

#endif
