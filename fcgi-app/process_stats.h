/*
 * process_stats.h - this process's resident memory, threads and open file
 * descriptors, for /_metrics (ecs_process_*: every name of ours carries
 * the ecs_ prefix), read from /proc/self when asked: nothing is kept.
 */
#ifndef ECSFCGI_PROCESS_STATS_H
#define ECSFCGI_PROCESS_STATS_H

typedef struct {
	long long rss_bytes;   /* VmRSS; -1 when unknown */
	long threads;          /* -1 when unknown */
	long open_fds;         /* -1 when unknown */
} process_stats;

/**
 * process_stats_read - fill @out from /proc/self/status and /proc/self/fd.
 * A figure the system does not give (no /proc) is -1. Thread-safe.
 */
void process_stats_read(process_stats *out);

#endif
