/*
 * libecs: error codes, logging hook, library set-up.
 *
 * Every fallible libecs function returns int: 0 (ECS_OK) on success or one of
 * the negative ecs_error codes below. ecs_strerror() gives a code's text; the
 * handle a call was made on (ecs_engine_errmsg()) keeps the engine's own words.
 */
#ifndef ECS_COMMON_H
#define ECS_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ECS_BUILDING_LIBRARY)
#define ECS_EXTERN __attribute__((visibility("default")))
#else
#define ECS_EXTERN
#endif

/** The library's version, as a string literal ("MAJOR.MINOR.PATCH"). */
#define ECS_VERSION_STRING "0.1.0"

/** Labels every container libecs creates carries. */
#define ECS_LABEL_MANAGED  "ecs.managed"    /* always "true" */
#define ECS_LABEL_TASK_ID  "ecs.task-id"    /* the task's id */
#define ECS_LABEL_DEADLINE "ecs.deadline"   /* unix seconds after which a sweep removes it, whatever its state */
#define ECS_LABEL_INSTANCE "ecs.instance"   /* the responder instance that made it (see ecs/instance.h) */

/*
 * A caller's own labels (ecs_task_spec.labels, ecs_container_spec.labels):
 * "key=value" strings, at most ECS_LABELS_MAX of them, each at most
 * ECS_LABEL_MAX bytes; a key is not empty and not in the ECS_LABEL_NAMESPACE
 * that libecs's own labels (above) live in, which sweeps and reapers trust.
 */
#define ECS_LABEL_NAMESPACE "ecs."
#define ECS_LABELS_MAX 64u
#define ECS_LABEL_MAX 1024u

/**
 * Error codes. Each is a category a caller can map onto its own protocol
 * (the comment names the HTTP status ecs-fcgi uses).
 */
typedef enum {
	ECS_OK = 0,
	ECS_ERROR = -1,        /* unclassified failure (500) */
	ECS_ENOMEM = -2,       /* out of memory (500) */
	ECS_EINVAL = -3,       /* bad argument or task spec: the caller's fault (400) */
	ECS_ENOTFOUND = -4,    /* image (or container) does not exist (404) */
	ECS_EUNAUTHORIZED = -5,/* the registry refused the credentials (401-class) */
	ECS_EUNAVAILABLE = -6, /* the engine cannot be reached (503) */
	ECS_EENGINE = -7,      /* the engine answered with an error (502) */
	ECS_ETIMEDOUT = -8,    /* a request to the engine took too long (504) */
	ECS_EPROTO = -9,       /* the engine answered something unparseable (502) */
	ECS_EVERSION = -10,    /* the engine's API version is outside what we support (502) */
	ECS_ECANCELED = -11,   /* the operation was cancelled through an ecs_cancel token */
	ECS_ETOOBIG = -12,     /* a value exceeds a documented bound (400) */
	ECS_EDENIED = -13,     /* asks for more than the sandbox profile allows (403) */
	ECS_ENOUSER = -14      /* the task's user or group is not in the image (400) */
} ecs_error;

/**
 * ecs_strerror - the text of an error code.
 * @code: an ecs_error value (any int is accepted).
 * Returns a static string; never NULL. Thread-safe.
 */
ECS_EXTERN const char *ecs_strerror(int code);

/**
 * ecs_error_name - the symbolic name of an error code ("ECS_ENOTFOUND").
 * Returns a static string; never NULL. Thread-safe.
 */
ECS_EXTERN const char *ecs_error_name(int code);

/** Log levels for the ecs_log_fn hook. */
typedef enum {
	ECS_LOG_ERROR = 0,
	ECS_LOG_WARN = 1,
	ECS_LOG_INFO = 2,
	ECS_LOG_DEBUG = 3
} ecs_log_level;

/**
 * ecs_log_fn - where libecs reports what it did (reaper deletions, sweeps,
 * retries). @message is a single line without a newline, valid only during the
 * call. May be called from the reaper's thread: the function must be
 * thread-safe. libecs never logs credentials.
 */
typedef void (*ecs_log_fn)(ecs_log_level level, const char *message, void *userdata);

/**
 * ecs_global_init - set up libcurl and OpenSSL for the process.
 * Call once, before any other thread exists and before any other libecs call.
 * Returns 0 or ECS_ERROR.
 */
ECS_EXTERN int ecs_global_init(void);

/**
 * ecs_global_cleanup - undo ecs_global_init(). Call once, after every handle
 * has been freed and every other thread has stopped using libecs.
 */
ECS_EXTERN void ecs_global_cleanup(void);

/** ecs_version - the run-time library version ("0.1.0"). Static string. */
ECS_EXTERN const char *ecs_version(void);

/**
 * ecs_cancel - a token another thread may trigger to abort a running task.
 * Created and freed by one owner; ecs_cancel_trigger() and
 * ecs_cancel_is_triggered() may be called from any thread at any time.
 */
typedef struct ecs_cancel ecs_cancel;

/** ecs_cancel_new - make an untriggered token. *out is freed with ecs_cancel_free(). Returns 0 or ECS_ENOMEM. */
ECS_EXTERN int ecs_cancel_new(ecs_cancel **out);
/** ecs_cancel_trigger - ask every operation watching @c to stop. Thread-safe, async-signal-safe. */
ECS_EXTERN void ecs_cancel_trigger(ecs_cancel *c);
/** ecs_cancel_is_triggered - 1 once ecs_cancel_trigger() was called, else 0. Thread-safe. NULL gives 0. */
ECS_EXTERN int ecs_cancel_is_triggered(const ecs_cancel *c);
/** ecs_cancel_free - free a token; NULL is allowed. No operation may still be watching it. */
ECS_EXTERN void ecs_cancel_free(ecs_cancel *c);

/**
 * ecs_buffer - bytes owned by whatever struct holds it.
 * @data is NUL-terminated for convenience (the NUL is not counted in @len)
 * but may contain NUL bytes itself; @truncated is 1 when bytes were dropped
 * because a cap was reached.
 */
typedef struct {
	unsigned char *data;
	size_t len;
	int truncated;
} ecs_buffer;

/** ecs_buffer_clear - free a buffer's bytes and zero it. NULL is allowed. */
ECS_EXTERN void ecs_buffer_clear(ecs_buffer *buf);

#ifdef __cplusplus
}
#endif
#endif
