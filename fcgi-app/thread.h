/*
 * thread.h - start a thread with a stack sized to its work.
 *
 * glibc gives every thread an 8 MiB stack (the RLIMIT_STACK default). Only
 * the pages a thread touches count in the RSS, but each stack is a mapping
 * of its own, and a thread that touched a deep call once keeps those pages.
 * Measured on a stack after a few tasks (the RSS of each thread's stack
 * mapping, found from its stack pointer): acceptors and the client watcher
 * 8-16 KiB, task workers 28 KiB, async runners 24 KiB, keepers and the
 * callback sender 8-16 KiB. Threads that only wait and route get 256 KiB;
 * those that run tasks, deliveries or store work through libcurl, SQLite,
 * libpq or getaddrinfo(3) (which can put large buffers on the stack;
 * not measured deep here) get 1 MiB: thirty times what was seen.
 */
#ifndef ECSFCGI_THREAD_H
#define ECSFCGI_THREAD_H

#include <pthread.h>
#include <stddef.h>

/** Threads that wait and route: acceptors, watchers, keepers. */
#define THREAD_STACK_SMALL (256u * 1024u)
/** Threads that run tasks, deliveries or store work (libcurl, SQLite, libpq, DNS). */
#define THREAD_STACK_WORK (1024u * 1024u)

/**
 * thread_start - pthread_create(3) @fn(@arg) into *@out with a stack of
 * @stack_size bytes (raised to PTHREAD_STACK_MIN when below it; 0: the
 * C library's default), named @name (at most 15 characters: what top -H,
 * ps -L and /proc/PID/task/TID/comm show; a longer one is cut). Returns 0,
 * or the error number pthread_create or pthread_attr_setstacksize gave.
 */
int thread_start(pthread_t *out, size_t stack_size, const char *name, void *(*fn)(void *), void *arg);

#endif
