/*
 * The ecs-agent wire protocol, version 2 (agent/PROTOCOL.md is the
 * specification): the requests a reader sends on the container's stdin
 * (EXEC, PUT, GET, PING, each a prefix and a body of fields; EXEC and PUT
 * followed by chunks; a CANCEL while an EXEC runs), and the frames the agent
 * writes on its stdout (stdout, stderr, start, message, exit, data), one
 * answer per request.
 *
 * Shared by the agent (static, no libecs) and libecs (lib/agent_conn.c):
 * no globals, no exit/abort, no I/O, errors as negative values. The error
 * values equal libecs's ECS_E* codes of the same meaning, so libecs can return
 * them as they are. Everything here is reentrant; a decoder, reader or
 * request struct belongs to one thread at a time.
 */
#ifndef ECS_AGENT_PROTO_H
#define ECS_AGENT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define ECS_AGENT_PROTO_VERSION 2
#define ECS_AGENT_PROTO_V1 1 /* only ecs_agent_header_encode() (below) still writes it */

/* Error values: equal to ECS_ENOMEM, ECS_EINVAL, ECS_EPROTO, ECS_ETOOBIG (lib/agent_proto.h asserts it). */
#define ECS_AGENT_ENOMEM (-2)
#define ECS_AGENT_EINVAL (-3)  /* encoder: the request cannot be encoded (empty argv, bad env, relative path) */
#define ECS_AGENT_EPROTO (-9)  /* bytes that break the protocol */
#define ECS_AGENT_ETOOBIG (-12)/* a count or length over the bounds below */

/* ---- bounds, named once: both sides check the same numbers */
#define ECS_AGENT_PREFIX_LEN 12            /* "ECSA", version, kind, 2 zero bytes, body length */
#define ECS_AGENT_BODY_MAX (1024u * 1024u) /* whole request body */
#define ECS_AGENT_ARGV_MAX 4096            /* argv elements */
#define ECS_AGENT_ENV_MAX 4096             /* extra environment entries */
#define ECS_AGENT_PATH_MAX 4096            /* bytes of a PUT/GET path, its NUL included */
#define ECS_AGENT_TIMEOUT_MAX_MS 604800000u /* EXEC's T: a week */
#define ECS_AGENT_GET_LIMIT_DEFAULT (16u * 1024u * 1024u) /* GET's L when absent */
#define ECS_AGENT_CHUNK_HDR_LEN 8          /* [0x10, 0, 0, 0, length as 4 bytes]; a cancel is as long */
#define ECS_AGENT_CHUNK_MAX 65536u         /* payload of one chunk */
/* The uid and gid the agent moves to at its start (agent/creds.c), which no task may have. */
#define ECS_AGENT_UID 2147483646u
#define ECS_AGENT_FRAME_HDR_LEN 8          /* [type, 0, 0, 0, length as 4 bytes big-endian] */
#define ECS_AGENT_DATA_MAX 65536u          /* payload of one stdout/stderr/message/data frame */
#define ECS_AGENT_START_LEN 8              /* payload of a START frame */
#define ECS_AGENT_EXIT_LEN 12              /* payload of an EXIT frame */
#define ECS_AGENT_RECORD_MAX 64            /* a newer agent may lengthen START/EXIT up to this */

/* ---- requests (reader -> agent) */
enum ecs_agent_req_kind {
	ECS_AGENT_REQ_EXEC = 1, /* run a command; chunks of stdin follow */
	ECS_AGENT_REQ_PUT = 2,  /* unpack a tar stream into a directory; chunks of the tar follow */
	ECS_AGENT_REQ_GET = 3,  /* answer a file or directory as a tar stream (DATA frames) */
	ECS_AGENT_REQ_PING = 4  /* answered by EXIT EXITED 0 */
};

typedef struct {
	unsigned kind;       /* enum ecs_agent_req_kind */
	/* EXEC */
	char **argv;         /* argc strings plus a NULL; argv[0] non-empty */
	size_t argc;
	char **env;          /* envc "NAME=value" strings plus a NULL: added to (or replacing) the container's */
	size_t envc;
	const char *workdir; /* absolute path, or NULL: the container's working directory */
	int stdin_null;      /* 1: the command's stdin is /dev/null (the chunks that follow must be empty) */
	uint32_t timeout_ms; /* 0: none; else 1..ECS_AGENT_TIMEOUT_MAX_MS, the agent kills the command then */
	/* PUT, GET */
	const char *path;    /* absolute: PUT's target directory, GET's file or directory */
	/* GET */
	uint64_t limit;      /* cap on file content bytes; the parser sets ECS_AGENT_GET_LIMIT_DEFAULT when absent */
} ecs_agent_request;

/* Version 1's task header was an EXEC without a kind: the same struct (lib/backend_pool.c still sends one). */
typedef ecs_agent_request ecs_agent_task;

/**
 * ecs_agent_request_encode - write the prefix and body of @req into @buf.
 * @buf, @cap: where to write (may be NULL/0 to learn the size).
 * @len: out: the request's full length, always set when the request is valid.
 * EXEC reads argv/argc, env/envc, workdir, stdin_null, timeout_ms (the
 * arrays need no NULL); PUT reads path; GET path and limit (always written);
 * PING nothing. The chunks that follow EXEC and PUT are the caller's
 * (ecs_agent_chunk_header()). Returns 0, ECS_AGENT_ETOOBIG when @cap < *len
 * (nothing useful written) or a bound is exceeded, ECS_AGENT_EINVAL for an
 * invalid request (see PROTOCOL.md).
 */
int ecs_agent_request_encode(unsigned char *buf, size_t cap, size_t *len, const ecs_agent_request *req);

/**
 * ecs_agent_header_encode - version 1's task header for @task (an EXEC
 * without timeout; the version byte 1, the kind byte 0). Only for
 * lib/backend_pool.c until it speaks version 2: a version 2 agent answers it
 * with FAILED EPROTO. Same contract as ecs_agent_request_encode().
 */
int ecs_agent_header_encode(unsigned char *buf, size_t cap, size_t *len, const ecs_agent_task *task);

/** Write a chunk header announcing @len (at most ECS_AGENT_CHUNK_MAX; 0 ends the chunks) into @hdr. */
void ecs_agent_chunk_header(unsigned char hdr[ECS_AGENT_CHUNK_HDR_LEN], uint32_t len);

/** Write the cancel frame (sent while an EXEC runs, after its last chunk) into @out. */
void ecs_agent_cancel_encode(unsigned char out[ECS_AGENT_CHUNK_HDR_LEN]);

/**
 * ecs_agent_prefix_parse - check the 12-byte prefix @p: magic, version 2, a
 * known kind, zero padding, a bounded body. Returns 0 with *kind and
 * *body_len set, or ECS_AGENT_EPROTO (bad magic, version, kind or padding)
 * or ECS_AGENT_ETOOBIG (body over ECS_AGENT_BODY_MAX).
 */
int ecs_agent_prefix_parse(unsigned *kind, size_t *body_len, const unsigned char p[ECS_AGENT_PREFIX_LEN]);

/**
 * ecs_agent_body_parse - parse the body of a request of @kind into @req.
 * The strings point into @body, which must stay alive and unmodified as long
 * as @req is used; the two pointer arrays are allocated and freed by
 * ecs_agent_request_clear() (also after a failure). Returns 0,
 * ECS_AGENT_EPROTO, ECS_AGENT_ETOOBIG or ECS_AGENT_ENOMEM.
 */
int ecs_agent_body_parse(ecs_agent_request *req, unsigned kind, const unsigned char *body, size_t len);

/** Free what ecs_agent_body_parse() allocated; accepts a zeroed or cleared request. */
void ecs_agent_request_clear(ecs_agent_request *req);

/* ---- the agent's streaming reader of its stdin */
enum ecs_agent_rev_type {
	ECS_AGENT_REV_NONE = 0, /* all input consumed: feed more */
	ECS_AGENT_REV_REQUEST,  /* a request's body is parsed: reader->req (valid until ecs_agent_reader_done()) */
	ECS_AGENT_REV_CHUNK,    /* EXEC/PUT bytes at data/len (non-empty), pointing into the input */
	ECS_AGENT_REV_END,      /* the last (empty) chunk: EXEC's stdin or PUT's tar ends */
	ECS_AGENT_REV_CANCEL    /* EXEC: kill the command as at a timeout */
};

typedef struct {
	enum ecs_agent_rev_type type;
	const unsigned char *data;
	size_t len;
} ecs_agent_rev;

typedef struct {
	int state;               /* private: where in a request the stream is */
	unsigned char hdr[ECS_AGENT_PREFIX_LEN];
	size_t hdr_have;
	unsigned char *body;     /* the current request's body (malloc'ed) */
	size_t body_len, body_have;
	uint32_t chunk_left;
	int cancelled;           /* the current EXEC had its cancel */
	int prev_exec_open;      /* the last answer was an EXEC's that had no cancel: a late one is dropped */
	ecs_agent_request req;   /* after REV_REQUEST */
	int error;               /* sticky */
} ecs_agent_reader;

/** Start a reader between requests. Free with ecs_agent_reader_clear(). */
void ecs_agent_reader_init(ecs_agent_reader *r);

/** Free what the reader holds (the current request); the reader may be inited again. */
void ecs_agent_reader_clear(ecs_agent_reader *r);

/**
 * ecs_agent_reader_feed - take the next event from *@buf / *@len, advancing
 * both past what it consumed; call again while it returns an event other
 * than REV_NONE. After REV_REQUEST of EXEC or PUT, REV_CHUNK events follow,
 * then REV_END; after that (and right after REV_REQUEST of GET or PING) the
 * request is complete: until ecs_agent_reader_done(), the only byte
 * sequence accepted is one cancel frame after an EXEC's END. A cancel that
 * crossed the EXEC's EXIT (it comes first between requests, after an EXEC
 * that had none) is dropped without an event. Returns 0 with
 * @ev filled, or ECS_AGENT_EPROTO (a bad prefix, field, chunk header, chunk
 * of stdin after S null, a byte where none may come), ECS_AGENT_ETOOBIG or
 * ECS_AGENT_ENOMEM; errors are sticky.
 */
int ecs_agent_reader_feed(ecs_agent_reader *r, const unsigned char **buf, size_t *len, ecs_agent_rev *ev);

/**
 * ecs_agent_reader_eof - stdin ended. Returns 0 when it ended between
 * requests or after a request was complete (a task's reader half-closes
 * after its last request), ECS_AGENT_EPROTO inside a request (or after an
 * error).
 */
int ecs_agent_reader_eof(const ecs_agent_reader *r);

/** 1 when a request is complete (its END came, or it has no chunks) and its answer not yet done. */
int ecs_agent_reader_complete(const ecs_agent_reader *r);

/** The answer's EXIT is written: free the request; the reader is between requests again. */
void ecs_agent_reader_done(ecs_agent_reader *r);

/* ---- frames (agent -> reader, on the agent's stdout) */
enum ecs_agent_frame_type {
	ECS_AGENT_FRAME_STDOUT = 1,
	ECS_AGENT_FRAME_STDERR = 2,
	ECS_AGENT_FRAME_START = 3,   /* the command runs: version, pid */
	ECS_AGENT_FRAME_MESSAGE = 4, /* the agent's own diagnostic text (UTF-8, no NUL) */
	ECS_AGENT_FRAME_EXIT = 5,    /* the last frame of an answer: how the request ended */
	ECS_AGENT_FRAME_DATA = 6     /* GET: the tar stream's bytes */
};

enum ecs_agent_exit_kind {
	ECS_AGENT_EXITED = 0,   /* code: the command's exit status (126/127 for exec failures); 0 for PUT/GET/PING */
	ECS_AGENT_SIGNALED = 1, /* signal set, code = 128 + signal as a shell reports it */
	ECS_AGENT_FAILED = 2    /* the request failed (the command never ran, a path refused): code is an errno value */
};

#define ECS_AGENT_EXIT_OOM 0x01         /* the memory cgroup OOM-killed a process during the command */
#define ECS_AGENT_EXIT_OOM_UNKNOWN 0x02 /* no OOM counter was readable in the container */
#define ECS_AGENT_EXIT_TIMED_OUT 0x04   /* the agent's timeout (T) killed the command, which had not exited */
#define ECS_AGENT_EXIT_TRUNCATED 0x08   /* GET: the cap (L) cut file content */

typedef struct {
	unsigned kind;    /* enum ecs_agent_exit_kind */
	unsigned flags;   /* ECS_AGENT_EXIT_* */
	int32_t code;
	int32_t signal;   /* 0 unless SIGNALED */
} ecs_agent_exit;

typedef struct {
	unsigned version;
	uint32_t pid;     /* the command's pid inside the container */
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
	ECS_AGENT_EV_DATA,      /* stream 1/2/4/6 (frame type) bytes at data/len, pointing into the input */
	ECS_AGENT_EV_START,
	ECS_AGENT_EV_EXIT       /* the end of one answer; the next request's answer may follow */
};

typedef struct {
	enum ecs_agent_event_type type;
	unsigned stream;        /* EV_DATA: ECS_AGENT_FRAME_STDOUT, _STDERR, _MESSAGE or _DATA */
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
	int in_answer;          /* a frame of the current answer came, its EXIT not yet */
	int started;            /* the current answer had START */
	int shape;              /* the current answer: 0 not known, 1 an EXEC's (START/STDOUT/STDERR), 2 a GET's (DATA) */
	unsigned long answers;  /* EXIT frames seen */
	int error;              /* sticky: once a call failed, every later one fails the same */
} ecs_agent_decoder;

/** Start a decoder (no allocation; nothing to free). */
void ecs_agent_decoder_init(ecs_agent_decoder *d);

/**
 * ecs_agent_decode - take the next event from the input *@buf / *@len,
 * advancing both past what it consumed. Call again while it returns an event
 * other than EV_NONE (a DATA event's bytes are valid until the input buffer is
 * reused). An EV_EXIT ends one answer; the bytes after it (left in *@buf)
 * belong to the next one, which the reader asked for or not (it checks).
 * Returns 0 with @ev filled, or ECS_AGENT_EPROTO: an unknown frame type,
 * non-zero padding, a payload over its bound, a second START in one answer,
 * DATA in an answer with START/STDOUT/STDERR or the other way round. Frames
 * may be split anywhere between calls.
 */
int ecs_agent_decode(ecs_agent_decoder *d, const unsigned char **buf, size_t *len, ecs_agent_event *ev);

/**
 * ecs_agent_decode_finish - the agent's stream ended (EOF).
 * Returns 0 when it ended right after an EXIT frame, else ECS_AGENT_EPROTO
 * (nothing came, or the agent died, or the container was killed, inside an
 * answer).
 */
int ecs_agent_decode_finish(const ecs_agent_decoder *d);

/** A static English text for one of the error values above. */
const char *ecs_agent_strerror(int err);

#endif
