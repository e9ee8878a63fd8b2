/* Private: what image.c shares with the task runner and the unit tests. */
#ifndef ECS_IMAGE_PRIVATE_H
#define ECS_IMAGE_PRIVATE_H

/**
 * 1 when references @a and @b name the same repository of the same registry
 * (tag and digest aside), Docker Hub spelled either way ("busybox",
 * "library/busybox", "docker.io/library/busybox"); 0 otherwise, also when
 * either does not parse or memory runs out. Pure.
 */
int ecs_image_same_repository(const char *a, const char *b);

#endif
