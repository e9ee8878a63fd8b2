/*
 * libecs - run short-lived tasks in Docker containers.
 *
 * Include this one header. Link with `pkg-config --cflags --libs libecs`.
 * Call ecs_global_init() once at start-up; make an ecs_engine per thread;
 * share one ecs_reaper between threads; run tasks with ecs_task_run().
 */
#ifndef ECS_ECS_H
#define ECS_ECS_H

#include <ecs/common.h>
#include <ecs/engine.h>
#include <ecs/image.h>
#include <ecs/instance.h>
#include <ecs/profile.h>
#include <ecs/reaper.h>
#include <ecs/pool.h>
#include <ecs/task.h>
#include <ecs/session.h>

#endif
