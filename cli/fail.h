/* fail.h - how ecs-run gives up: one line "ecs-run: WHAT: WHY" on stderr, and its exit status. */
#ifndef ECSRUN_FAIL_H
#define ECSRUN_FAIL_H

/* Exit statuses of our own, the ones `timeout` and `docker run` use. */
#define EXIT_TIMEDOUT 124
#define EXIT_ECS 125

/** cli_fail - print "ecs-run: @what: " and the message; returns EXIT_ECS. */
int cli_fail(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
