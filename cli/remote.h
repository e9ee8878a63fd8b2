/*
 * remote.h - ecs-run --endpoint: the task goes to a running ecs service
 * (POST /v1.1/tasks with Accept: application/x-ndjson) instead of a local
 * engine; its output is copied to ours as the lines arrive, its artifacts
 * written to a directory, its exit status made ours.
 */
#ifndef ECSRUN_REMOTE_H
#define ECSRUN_REMOTE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "fail.h"

/** --file LOCAL:PATH: the local file's bytes written at PATH in the container. */
typedef struct {
	const char *local;
	const char *path;
} remote_file;

/** What to run and where. Borrowed: everything belongs to the caller. */
typedef struct {
	const char *endpoint;          /* https://host[:port], a trailing '/' allowed */
	const char *cacert, *cert, *key; /* PEM files; NULL: curl's defaults / none */
	const char *basic_user, *basic_secret; /* BASIC auth (ECS_KEY/ECS_SECRET); NULL: none */
	const char *image;
	const char *const *cmd;
	size_t cmd_len;
	const char *const *env;
	size_t env_len;
	const unsigned char *stdin_data; /* with has_stdin */
	size_t stdin_len;
	int has_stdin;
	long timeout_s;                /* 0: the service's default */
	int64_t memory;                /* limits: 0 for the service's defaults */
	double cpus;
	int64_t pids;
	const char *network, *user, *runtime; /* NULL: the service's */
	const char *creds_user, *creds_password, *creds_email; /* registry credentials, NULL: none */
	const remote_file *files;
	size_t files_len;
	const char *const *artifacts;  /* absolute paths in the container */
	size_t artifacts_len;
	const char *artifact_dir;      /* where artifacts go; NULL: the current directory */
	int verbose;
} remote_task;

/**
 * remote_run - run @t on the service and copy its output to our stdout and
 * stderr as it arrives. @interrupted: set by a signal handler; the request
 * is then abandoned (the service cancels the task when its client goes).
 * Returns our exit status: the task's exit code; EXIT_TIMEDOUT when it ran
 * past its timeout; EXIT_ECS with a line "ecs-run: WHAT: WHY" on stderr when
 * the service refused or failed it, or could not be reached; 128 + the
 * signal when interrupted.
 */
int remote_run(const remote_task *t, volatile sig_atomic_t *interrupted);

#endif
