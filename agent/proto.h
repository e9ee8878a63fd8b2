/*
 * The ecs-agent wire protocol (agent/PROTOCOL.md is the specification):
 * the task header a reader sends on the container's stdin, and the frames the
 * agent writes on its stdout (task stdout, task stderr, start, message, exit).
 *
 * Shared by the agent (static, no libecs) and, later, libecs's pool backend:
 * no globals, no exit/abort, no I/O, errors as negative values. The error
 * values equal libecs's ECS_E* codes of the same meaning, so libecs can return
 * them as they are. Everything here is reentrant; a decoder or task struct
 * belongs to one thread at a time.
 */
#ifndef ECS_AGENT_PROTO_H
#define ECS_AGENT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define ECS_AGENT_PROTO_VERSION 1

/* Error values: equal to ECS_ENOMEM, ECS_EINVAL, ECS_EPROTO, ECS_ETOOBIG (lib/agent_proto.h asserts it). */
#define ECS_AGENT_ENOMEM (-2)
#define ECS_AGENT_EINVAL (-3)  /* encoder: the task cannot be encoded (empty argv, NUL in a string, bad env) */
#define ECS_AGENT_EPROTO (-9)  /* bytes that break the protocol */
#define ECS_AGENT_ETOOBIG (-12)/* a count or length over the bounds below */

/* ---- bounds, named once: both sides check the same numbers */
#define ECS_AGENT_PREFIX_LEN 12            /* "ECSA", version, 3 flag bytes, body length */
#define ECS_AGENT_BODY_MAX (1024u * 1024u) /* whole header body */
#define ECS_AGENT_ARGV_MAX 4096            /* argv elements */
#define ECS_AGENT_ENV_MAX 4096             /* extra environment entries */
#define ECS_AGENT_FRAME_HDR_LEN 8          /* [type, 0, 0, 0, length as 4 bytes big-endian] */
#define ECS_AGENT_DATA_MAX 65536u          /* payload of one stdout/stderr/message frame */
#define ECS_AGENT_START_LEN 8              /* payload of a START frame, version 1 */
#define ECS_AGENT_EXIT_LEN 12              /* payload of an EXIT frame, version 1 */
#define ECS_AGENT_RECORD_MAX 64            /* a newer agent may lengthen START/EXIT up to this */

/* ---- the task header (reader -> agent) */
typedef struct {
	char **argv;      /* argc strings plus a NULL; argv[0] non-empty */
	size_t argc;
	char **env;       /* envc "NAME=value" strings plus a NULL: added to (or replacing) the container's */
	size_t envc;
	const char *workdir; /* absolute path, or NULL: the container's working directory */
	int stdin_null;      /* 1: the task's stdin is /dev/null, not the agent's (a cold task given none has it) */
} ecs_agent_task;

/**
 * ecs_agent_header_encode - write the header for @task into @buf.
 * @buf, @cap: where to write (may be NULL/0 to learn the size).
 * @len: out: the header's full length, always set when the task is valid.
 * Returns 0, ECS_AGENT_ETOOBIG when @cap < *len (nothing useful written) or a
 * bound is exceeded, ECS_AGENT_EINVAL for an invalid task (see PROTOCOL.md).
 * Only argv/argc, env/envc and workdir are read; the arrays need no NULL.
 */
int ecs_agent_header_encode(unsigned char *buf, size_t cap, size_t *len, const ecs_agent_task *task);

/**
 * ecs_agent_prefix_parse - check the 12-byte prefix @p and get the body length.
 * Returns 0 with *body_len set, or ECS_AGENT_EPROTO (bad magic, version or
 * flags) or ECS_AGENT_ETOOBIG (body over ECS_AGENT_BODY_MAX).
 */
int ecs_agent_prefix_parse(size_t *body_len, const unsigned char p[ECS_AGENT_PREFIX_LEN]);

/**
 * ecs_agent_body_parse - parse a header body into @task.
 * The strings point into @body, which must stay alive and unmodified as long
 * as @task is used; the two pointer arrays are allocated and freed by
 * ecs_agent_task_clear() (also after a failure). Returns 0, ECS_AGENT_EPROTO,
 * ECS_AGENT_ETOOBIG or ECS_AGENT_ENOMEM.
 */
int ecs_agent_body_parse(ecs_agent_task *task, const unsigned char *body, size_t len);

/** Free what ecs_agent_body_parse() allocated; accepts a zeroed or cleared task. */
void ecs_agent_task_clear(ecs_agent_task *task);

/* ---- frames (agent -> reader, on the agent's stdout) */
enum ecs_agent_frame_type {
	ECS_AGENT_FRAME_STDOUT = 1,
	ECS_AGENT_FRAME_STDERR = 2,
	ECS_AGENT_FRAME_START = 3,   /* the task runs: version, pid */
	ECS_AGENT_FRAME_MESSAGE = 4, /* the agent's own diagnostic text (UTF-8, no NUL) */
	ECS_AGENT_FRAME_EXIT = 5     /* the last frame: how the task ended */
};

enum ecs_agent_exit_kind {
	ECS_AGENT_EXITED = 0,   /* code: the task's exit status (126/127 for exec failures) */
	ECS_AGENT_SIGNALED = 1, /* signal set, code = 128 + signal as a shell reports it */
	ECS_AGENT_FAILED = 2    /* the task never ran (bad header, working dir, fork): code is an errno value */
};

#define ECS_AGENT_EXIT_OOM 0x01         /* the memory cgroup OOM-killed a process during the task */
#define ECS_AGENT_EXIT_OOM_UNKNOWN 0x02 /* no OOM counter was readable in the container */

typedef struct {
	unsigned kind;    /* enum ecs_agent_exit_kind */
	unsigned flags;   /* ECS_AGENT_EXIT_* */
	int32_t code;
	int32_t signal;   /* 0 unless SIGNALED */
} ecs_agent_exit;

typedef struct {
	unsigned version;
	uint32_t pid;     /* the task's pid inside the container */
} ecs_agent_start;

/** Write a frame header for @type and payload length @len into @hdr. */
void ecs_agent_frame_header(unsigned char hdr[ECS_AGENT_FRAME_HDR_LEN], unsigned type, uint32_t len);

/** Write the START payload (ECS_AGENT_START_LEN bytes). */
void ecs_agent_start_encode(unsigned char out[ECS_AGENT_START_LEN], const ecs_agent_start *s);

/** Write the EXIT payload (ECS_AGENT_EXIT_LEN bytes). */
void ecs_agent_exit_encode(unsigned char out[ECS_AGENT_EXIT_LEN], const ecs_agent_exit *x);

/* ---- streaming decoder of the agent's stdout (for the reader) */
enum ecs_agent_event_type {
	ECS_AGENT_EV_NONE = 0,  /* all input consumed: feed more */
	ECS_AGENT_EV_DATA,      /* stream 1/2/4 (frame type) bytes at data/len, pointing into the input */
	ECS_AGENT_EV_START,
	ECS_AGENT_EV_EXIT       /* the end: any further byte is ECS_AGENT_EPROTO */
};

typedef struct {
	enum ecs_agent_event_type type;
	unsigned stream;        /* EV_DATA: ECS_AGENT_FRAME_STDOUT, _STDERR or _MESSAGE */
	const unsigned char *data;
	size_t len;
	ecs_agent_start start;  /* EV_START */
	ecs_agent_exit exit;    /* EV_EXIT */
} ecs_agent_event;

typedef struct {
	unsigned char hdr[ECS_AGENT_FRAME_HDR_LEN];
	size_t hdr_have;
	unsigned type;          /* current frame, 0 between frames */
	size_t left;            /* payload bytes still to come */
	unsigned char rec[ECS_AGENT_RECORD_MAX];
	size_t rec_have, rec_len;
	int started, done;
	int error;              /* sticky: once a call failed, every later one fails the same */
} ecs_agent_decoder;

/** Start a decoder (no allocation; nothing to free). */
void ecs_agent_decoder_init(ecs_agent_decoder *d);

/**
 * ecs_agent_decode - take the next event from the input *@buf / *@len,
 * advancing both past what it consumed. Call again while it returns an event
 * other than EV_NONE (a DATA event's bytes are valid until the input buffer is
 * reused). Returns 0 with @ev filled, or ECS_AGENT_EPROTO: an unknown frame
 * type, non-zero padding, a payload over its bound, a second START, data
 * after EXIT. Frames may be split anywhere between calls.
 */
int ecs_agent_decode(ecs_agent_decoder *d, const unsigned char **buf, size_t *len, ecs_agent_event *ev);

/**
 * ecs_agent_decode_finish - the agent's stream ended (EOF).
 * Returns 0 when the EXIT frame was seen, else ECS_AGENT_EPROTO (the agent
 * died, or the container was killed, before reporting).
 */
int ecs_agent_decode_finish(const ecs_agent_decoder *d);

/** A static English text for one of the error values above. */
const char *ecs_agent_strerror(int err);

#endif
