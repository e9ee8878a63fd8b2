/* Private (never installed): what the task runner shares with the other files of libecs and the tests. */
#ifndef ECS_TASK_PRIVATE_H
#define ECS_TASK_PRIVATE_H

#include <stddef.h>

/**
 * ecs_task_id_generate - 32 random hex digits (OpenSSL RAND_bytes) and a NUL.
 * @buf: at least 33 bytes. Returns 0 or ECS_ERROR.
 */
int ecs_task_id_generate(char *buf, size_t size);

#endif
