/*
 * tar streams, as ecs-agent's PUT and GET carry them (agent/PROTOCOL.md):
 * a writer of ustar headers (pax 'x' records for long names, sizes over
 * ustar's field and a cut file's real size "ECS.size") and a streaming,
 * bounded parser that accepts regular files and directories only.
 *
 * Pure, like proto.c: no I/O, no globals, no allocation; the caller moves
 * the bytes. Built once in the ground floor that the static agent and
 * libecs share (lib/Makefile.am). Errors are the protocol's negative values
 * (ECS_AGENT_EINVAL, ECS_AGENT_EPROTO, ECS_AGENT_ETOOBIG).
 *
 * Names are relative ("dir/file"): no leading '/', no "." or ".." or empty
 * component. A parsed name has its leading "./" components taken off
 * (`tar -C DIR -c .` writes them) and a directory's trailing '/'.
 */
#ifndef ECS_TAR_H
#define ECS_TAR_H

#include <stddef.h>
#include <stdint.h>

#define ECS_TAR_BLOCK 512
#define ECS_TAR_NAME_MAX 4095          /* bytes of an entry's name (ECS_AGENT_PATH_MAX less its NUL) */
#define ECS_TAR_PAX_MAX 16384          /* bytes of one pax extended header's records */
#define ECS_TAR_HEADER_MAX (3 * ECS_TAR_BLOCK + ECS_TAR_NAME_MAX + 1 + 2 * ECS_TAR_BLOCK) /* pax + ustar */
#define ECS_TAR_END_LEN (2 * ECS_TAR_BLOCK) /* the end of an archive: two zero blocks */

enum ecs_tar_type {
	ECS_TAR_FILE = 1,
	ECS_TAR_DIR = 2
};

typedef struct {
	const char *name;    /* relative; see above */
	unsigned type;       /* enum ecs_tar_type */
	unsigned mode;       /* permission bits: mode & 0777 */
	uint64_t size;       /* content bytes that follow the header (0 for a directory) */
	uint64_t real_size;  /* the file's size when its content was cut (> size), else equal to size */
} ecs_tar_entry;

/**
 * ecs_tar_name_ok - 1 when @name is a relative name as above (no leading or
 * doubled '/', no "." or ".." component, not empty, at most
 * ECS_TAR_NAME_MAX bytes; one trailing '/' is allowed), else 0.
 */
int ecs_tar_name_ok(const char *name);

/**
 * ecs_tar_header - write the header blocks of @e (a pax 'x' header when
 * the name is over 100 bytes, the size over ustar's 8 GiB or real_size >
 * size; then the ustar header) into @out. The caller then writes e->size
 * bytes of content and ecs_tar_pad(e->size) zero bytes.
 * @cap: room in @out (ECS_TAR_HEADER_MAX is always enough). @len: out: bytes
 * written. Returns 0, ECS_AGENT_EINVAL (a bad name, type, a directory with
 * content, real_size < size) or ECS_AGENT_ETOOBIG (@cap too small).
 */
int ecs_tar_header(unsigned char *out, size_t cap, size_t *len, const ecs_tar_entry *e);

/** The zero bytes that follow @size bytes of content, up to the next block. */
size_t ecs_tar_pad(uint64_t size);

/* ---- the streaming parser */
enum ecs_tar_event_type {
	ECS_TAR_EV_NONE = 0,  /* all input consumed: feed more */
	ECS_TAR_EV_ENTRY,     /* an entry's header: ev->entry (valid until the next call) */
	ECS_TAR_EV_DATA,      /* content of the current file at data/len, pointing into the input */
	ECS_TAR_EV_FILE_END,  /* the current file's content is complete */
	ECS_TAR_EV_END        /* the end of the archive (a zero block); only zero bytes may follow */
};

typedef struct {
	enum ecs_tar_event_type type;
	const ecs_tar_entry *entry;
	const unsigned char *data;
	size_t len;
} ecs_tar_event;

typedef struct {
	int state;                           /* private */
	unsigned char block[ECS_TAR_BLOCK];
	size_t have;                         /* bytes in block */
	uint64_t left;                       /* content (or extension data) bytes still to come */
	size_t pad;                          /* padding bytes still to skip */
	unsigned char ext[ECS_TAR_PAX_MAX];  /* a pax header's records or a GNU long name */
	size_t ext_len, ext_have;
	unsigned ext_kind;                   /* 'x' or 'L' being read, 0 none */
	char pax_path[ECS_TAR_NAME_MAX + 1]; /* from the last 'x' or 'L', for the next entry */
	int has_path;
	uint64_t pax_size, pax_real;
	int has_size, has_real;
	char name[ECS_TAR_NAME_MAX + 1];
	ecs_tar_entry entry;
	int error;                           /* sticky */
} ecs_tar_parser;

/** Start a parser (no allocation; nothing to free). */
void ecs_tar_parser_init(ecs_tar_parser *p);

/**
 * ecs_tar_parse - take the next event from *@buf / *@len, advancing both
 * past what it consumed; call again while it returns an event other than
 * EV_NONE. Returns 0 with @ev filled, or ECS_AGENT_EPROTO: a bad checksum
 * or magic, an entry type other than a regular file or a directory (a
 * symlink, hard link, device, fifo, ...), a name refused by
 * ecs_tar_name_ok(), a directory with content, a malformed pax record or
 * GNU long name, a non-zero byte after the end; ECS_AGENT_ETOOBIG: a name
 * or pax header over its bound. Errors are sticky.
 */
int ecs_tar_parse(ecs_tar_parser *p, const unsigned char **buf, size_t *len, ecs_tar_event *ev);

/** The input ended: 0 when the end of the archive was seen, else ECS_AGENT_EPROTO. */
int ecs_tar_parse_finish(const ecs_tar_parser *p);

#endif
