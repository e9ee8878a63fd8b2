/*
 * tar streams for ecs-agent's PUT and GET: a ustar/pax header writer and a
 * streaming, bounded parser of regular files and directories. See tar.h.
 */
#include "tar.h"
#include "proto.h"

#include <stdio.h>
#include <string.h>

/* ustar header fields: offset, size */
#define F_NAME 0, 100
#define F_MODE 100, 8
#define F_UID 108, 8
#define F_GID 116, 8
#define F_SIZE 124, 12
#define F_MTIME 136, 12
#define F_CHKSUM 148, 8
#define F_TYPE 156
#define F_MAGIC 257
#define F_PREFIX 345, 155
#define OCTAL_SIZE_MAX 077777777777ULL /* 11 octal digits: ustar's size field */

/* ---- names */

int ecs_tar_name_ok(const char *name)
{
	size_t n = strlen(name), i = 0;

	if (n == 0 || n > ECS_TAR_NAME_MAX || name[0] == '/')
		return 0;
	if (name[n - 1] == '/')
		n--; /* a directory's trailing '/' */
	while (i < n) {
		size_t j = i;

		while (j < n && name[j] != '/')
			j++;
		if (j == i || (j - i == 1 && name[i] == '.') || (j - i == 2 && name[i] == '.' && name[i + 1] == '.'))
			return 0;
		i = j + 1;
		if (j < n && i == n)
			return 0; /* "a//" or a trailing '/' before the one allowed */
	}
	return 1;
}

/* ---- writer */

static void octal(unsigned char *f, size_t off, size_t width, uint64_t v)
{
	/* width-1 digits and a NUL, as ustar writers do */
	f += off;
	f[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0;) {
		f[i] = (unsigned char)('0' + (v & 7));
		v >>= 3;
	}
}

/* GNU's base-256 for a number that has no room in octal: high bit set, big-endian. */
static void base256(unsigned char *f, size_t off, size_t width, uint64_t v)
{
	f += off;
	memset(f, 0, width);
	for (size_t i = width; i-- > 1 && v != 0;) {
		f[i] = (unsigned char)v;
		v >>= 8;
	}
	f[0] = 0x80;
}

static void checksum(unsigned char *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < ECS_TAR_BLOCK; i++)
		sum += h[i];
	/* six digits, NUL, space: the classic spelling */
	snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
	h[155] = ' ';
}

static void ustar(unsigned char *h, const char *name, size_t name_len, unsigned type, unsigned mode, uint64_t size)
{
	memset(h, 0, ECS_TAR_BLOCK);
	memcpy(h, name, name_len < 100 ? name_len : 100);
	octal(h, F_MODE, mode & 0777);
	octal(h, F_UID, 0);
	octal(h, F_GID, 0);
	if (size > OCTAL_SIZE_MAX)
		base256(h, F_SIZE, size);
	else
		octal(h, F_SIZE, size);
	octal(h, F_MTIME, 0);
	h[F_TYPE] = (unsigned char)type;
	memcpy(h + F_MAGIC, "ustar\0" "00", 8);
	checksum(h);
}

/* One pax record "LEN key=value\n", LEN counting itself; returns its length, 0 when it does not fit. */
static size_t pax_record(unsigned char *out, size_t cap, const char *key, const char *value, size_t vlen)
{
	size_t body = 1 + strlen(key) + 1 + vlen + 1, len = body + 1, digits;
	char num[24];

	/* the length's own digits count: settle it */
	for (;;) {
		digits = (size_t)snprintf(num, sizeof(num), "%zu", len);
		if (body + digits == len)
			break;
		len = body + digits;
	}
	if (len > cap)
		return 0;
	memcpy(out, num, digits);
	out[digits] = ' ';
	memcpy(out + digits + 1, key, strlen(key));
	out[digits + 1 + strlen(key)] = '=';
	memcpy(out + digits + 2 + strlen(key), value, vlen);
	out[len - 1] = '\n';
	return len;
}

int ecs_tar_header(unsigned char *out, size_t cap, size_t *len, const ecs_tar_entry *e)
{
	unsigned char pax[ECS_TAR_PAX_MAX];
	char name[ECS_TAR_NAME_MAX + 2], num[24];
	size_t nlen, plen = 0, r, need;

	*len = 0;
	if (e == NULL || e->name == NULL || !ecs_tar_name_ok(e->name) || (e->type != ECS_TAR_FILE && e->type != ECS_TAR_DIR) ||
	    (e->type == ECS_TAR_DIR && e->size != 0) || e->real_size < e->size)
		return ECS_AGENT_EINVAL;
	nlen = strlen(e->name);
	memcpy(name, e->name, nlen + 1);
	if (e->type == ECS_TAR_DIR && name[nlen - 1] != '/') {
		name[nlen++] = '/';
		name[nlen] = '\0';
	} else if (e->type == ECS_TAR_FILE && name[nlen - 1] == '/') {
		return ECS_AGENT_EINVAL;
	}
	if (nlen > 100) {
		if ((r = pax_record(pax, sizeof(pax), "path", name, nlen)) == 0)
			return ECS_AGENT_EINVAL;
		plen += r;
	}
	if (e->size > OCTAL_SIZE_MAX) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)e->size);
		plen += pax_record(pax + plen, sizeof(pax) - plen, "size", num, strlen(num));
	}
	if (e->real_size > e->size) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)e->real_size);
		plen += pax_record(pax + plen, sizeof(pax) - plen, "ECS.size", num, strlen(num));
	}
	need = (plen > 0 ? ECS_TAR_BLOCK + plen + ecs_tar_pad(plen) : 0) + ECS_TAR_BLOCK;
	if (cap < need)
		return ECS_AGENT_ETOOBIG;
	if (plen > 0) {
		/* the 'x' header's own name: informative only, as pax writers use */
		ustar(out, "PaxHeader", 9, 'x', 0644, plen);
		memcpy(out + ECS_TAR_BLOCK, pax, plen);
		memset(out + ECS_TAR_BLOCK + plen, 0, ecs_tar_pad(plen));
	}
	ustar(out + need - ECS_TAR_BLOCK, name, nlen, e->type == ECS_TAR_DIR ? '5' : '0', e->mode, e->size);
	*len = need;
	return 0;
}

size_t ecs_tar_pad(uint64_t size)
{
	return (size_t)((ECS_TAR_BLOCK - size % ECS_TAR_BLOCK) % ECS_TAR_BLOCK);
}

/* ---- parser */

enum {
	PS_HEADER = 0, /* collecting a header block */
	PS_EXT,        /* reading a pax header's records or a GNU long name */
	PS_DATA,       /* a file's content */
	PS_PAD,        /* padding after content or an extension */
	PS_END         /* after the end: zero bytes only */
};

void ecs_tar_parser_init(ecs_tar_parser *p)
{
	memset(p, 0, sizeof(*p));
}

static int pfail(ecs_tar_parser *p, int err)
{
	p->error = err;
	return err;
}

static int all_zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* A numeric field: octal (spaces and NULs around it), or GNU base-256. -1 when malformed. */
static int number(uint64_t *v, const unsigned char *h, size_t off, size_t width)
{
	const unsigned char *f = h + off;
	size_t i = 0;

	*v = 0;
	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1; /* negative, or more than 64 bits */
		for (i = 1; i < width; i++) {
			if (*v >> 56)
				return -1;
			*v = *v << 8 | f[i];
		}
		return 0;
	}
	while (i < width && f[i] == ' ')
		i++;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++) {
		if (*v >> 61)
			return -1;
		*v = *v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < width; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	return 0; /* an empty field is 0 */
}

static int checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned u = 0;
	int s = 0;

	if (number(&want, h, F_CHKSUM) != 0)
		return 0;
	for (size_t i = 0; i < ECS_TAR_BLOCK; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];

		u += c;
		s += (signed char)c;
	}
	/* historic writers summed signed chars */
	return want == u || (int64_t)want == s;
}

/* Set @p->name from @s (@n bytes): leading "./" off, a directory's trailing '/' off, then checked. */
static int set_name(ecs_tar_parser *p, const char *s, size_t n, unsigned type)
{
	while (n >= 2 && s[0] == '.' && s[1] == '/') {
		s += 2;
		n -= 2;
		while (n > 0 && s[0] == '/')
			s++, n--; /* ".//x": the doubled '/' after a leading "./" */
	}
	if (n == 1 && s[0] == '.')
		n = 0;
	if (n > ECS_TAR_NAME_MAX)
		return ECS_AGENT_ETOOBIG;
	memcpy(p->name, s, n);
	p->name[n] = '\0';
	if (n == 0)
		return type == ECS_TAR_DIR ? 1 : ECS_AGENT_EPROTO; /* "./": the target itself */
	if (!ecs_tar_name_ok(p->name))
		return ECS_AGENT_EPROTO;
	if (p->name[n - 1] == '/') {
		if (type != ECS_TAR_DIR)
			return ECS_AGENT_EPROTO;
		p->name[n - 1] = '\0';
	}
	return 0;
}

/* Parse the records of a pax header into the overrides of the next entry. */
static int pax_parse(ecs_tar_parser *p)
{
	const char *s = (const char *)p->ext, *end = s + p->ext_len;

	while (s < end) {
		const char *sp, *eq, *rec = s;
		uint64_t n = 0, v = 0;
		size_t vlen;

		for (sp = s; sp < end && *sp >= '0' && *sp <= '9'; sp++) {
			n = n * 10 + (uint64_t)(*sp - '0');
			if (n > (uint64_t)(end - rec))
				return ECS_AGENT_EPROTO;
		}
		if (sp == s || sp >= end || *sp != ' ' || n < (uint64_t)(sp - rec) + 3 || rec[n - 1] != '\n')
			return ECS_AGENT_EPROTO;
		s = sp + 1;
		eq = memchr(s, '=', (size_t)(rec + n - 1 - s));
		if (eq == NULL || eq == s)
			return ECS_AGENT_EPROTO;
		vlen = (size_t)(rec + n - 1 - (eq + 1));
		if ((size_t)(eq - s) == 4 && memcmp(s, "path", 4) == 0) {
			if (vlen > ECS_TAR_NAME_MAX)
				return ECS_AGENT_ETOOBIG;
			if (memchr(eq + 1, '\0', vlen) != NULL)
				return ECS_AGENT_EPROTO;
			memcpy(p->pax_path, eq + 1, vlen);
			p->pax_path[vlen] = '\0';
			p->has_path = 1;
		} else if (((size_t)(eq - s) == 4 && memcmp(s, "size", 4) == 0) ||
			   ((size_t)(eq - s) == 8 && memcmp(s, "ECS.size", 8) == 0)) {
			if (vlen == 0 || vlen > 20)
				return ECS_AGENT_EPROTO;
			for (size_t i = 0; i < vlen; i++) {
				char c = eq[1 + i];

				if (c < '0' || c > '9' || v > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
					return ECS_AGENT_EPROTO;
				v = v * 10 + (uint64_t)(c - '0');
			}
			if (eq - s == 4) {
				p->pax_size = v;
				p->has_size = 1;
			} else {
				p->pax_real = v;
				p->has_real = 1;
			}
		}
		/* other keys (mtime, atime, uid, uname, ...) say nothing ecs keeps */
		s = rec + n;
	}
	return 0;
}

static void overrides_clear(ecs_tar_parser *p)
{
	p->has_path = p->has_size = p->has_real = 0;
}

/* A whole header block is in p->block: what it starts. */
static int header_block(ecs_tar_parser *p, ecs_tar_event *ev)
{
	const unsigned char *h = p->block;
	uint64_t size, mode;
	unsigned type;
	int rc;

	if (all_zero(h, ECS_TAR_BLOCK)) {
		if (p->ext_kind != 0 || p->has_path || p->has_size || p->has_real)
			return pfail(p, ECS_AGENT_EPROTO); /* an extension with no entry */
		p->state = PS_END;
		ev->type = ECS_TAR_EV_END;
		return 0;
	}
	if (!checksum_ok(h) || (memcmp(h + F_MAGIC, "ustar\0" "00", 8) != 0 && memcmp(h + F_MAGIC, "ustar  \0", 8) != 0))
		return pfail(p, ECS_AGENT_EPROTO);
	if (number(&size, h, F_SIZE) != 0 || number(&mode, h, F_MODE) != 0)
		return pfail(p, ECS_AGENT_EPROTO);
	switch (h[F_TYPE]) {
	case 'x':
	case 'L':
		/* one extension per entry, bounded */
		if (p->has_path || p->has_size || p->has_real)
			return pfail(p, ECS_AGENT_EPROTO);
		if (size > ECS_TAR_PAX_MAX)
			return pfail(p, ECS_AGENT_ETOOBIG);
		p->ext_kind = h[F_TYPE];
		p->ext_len = (size_t)size;
		p->ext_have = 0;
		p->pad = ecs_tar_pad(size);
		p->state = PS_EXT;
		if (size == 0)
			return pfail(p, ECS_AGENT_EPROTO);
		return 0;
	case '0':
	case '\0':
		type = ECS_TAR_FILE;
		break;
	case '5':
		type = ECS_TAR_DIR;
		break;
	default:
		/* symlinks, hard links, devices, fifos, global headers, GNU extras: never */
		return pfail(p, ECS_AGENT_EPROTO);
	}
	if (p->has_size)
		size = p->pax_size;
	if (type == ECS_TAR_DIR && size != 0)
		return pfail(p, ECS_AGENT_EPROTO);
	if (p->has_path) {
		rc = set_name(p, p->pax_path, strlen(p->pax_path), type);
	} else {
		char full[256 + 1 + 100 + 1];
		size_t n = strnlen((const char *)h, 100), pn = strnlen((const char *)h + 345, 155);

		/* ustar's prefix, then '/', then the name (GNU's old format has no prefix there) */
		if (pn > 0 && memcmp(h + F_MAGIC, "ustar\0", 6) == 0) {
			memcpy(full, h + 345, pn);
			full[pn] = '/';
			memcpy(full + pn + 1, h, n);
			n += pn + 1;
		} else {
			memcpy(full, h, n);
		}
		if (memchr(full, '\0', n) != NULL)
			return pfail(p, ECS_AGENT_EPROTO);
		rc = set_name(p, full, n, type);
	}
	if (rc < 0)
		return pfail(p, rc);
	p->entry.name = p->name;
	p->entry.type = type;
	p->entry.mode = (unsigned)(mode & 0777);
	p->entry.size = size;
	p->entry.real_size = p->has_real ? p->pax_real : size;
	if (p->entry.real_size < size)
		return pfail(p, ECS_AGENT_EPROTO);
	overrides_clear(p);
	p->left = size;
	p->pad = ecs_tar_pad(size);
	p->state = type == ECS_TAR_FILE ? PS_DATA : PS_PAD;
	if (rc == 1)
		return 0; /* "./": the target directory itself, nothing to report */
	ev->type = ECS_TAR_EV_ENTRY;
	ev->entry = &p->entry;
	return 0;
}

/* The extension's bytes are all in: apply them to the next entry. */
static int ext_done(ecs_tar_parser *p)
{
	int rc = 0;

	if (p->ext_kind == 'x') {
		rc = pax_parse(p);
	} else {
		/* GNU long name: the name and a NUL (some writers leave it out) */
		size_t n = strnlen((const char *)p->ext, p->ext_len);

		if (n > ECS_TAR_NAME_MAX)
			rc = ECS_AGENT_ETOOBIG;
		else if (!all_zero(p->ext + n, p->ext_len - n))
			rc = ECS_AGENT_EPROTO;
		else {
			memcpy(p->pax_path, p->ext, n);
			p->pax_path[n] = '\0';
			p->has_path = 1;
		}
	}
	p->ext_kind = 0;
	if (rc != 0)
		return pfail(p, rc);
	p->state = PS_PAD;
	return 0;
}

int ecs_tar_parse(ecs_tar_parser *p, const unsigned char **buf, size_t *len, ecs_tar_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (p->error)
		return p->error;
	for (;;) {
		size_t n;

		/* events that need no input */
		if (p->state == PS_DATA && p->left == 0) {
			p->state = PS_PAD;
			ev->type = ECS_TAR_EV_FILE_END;
			return 0;
		}
		if (p->state == PS_PAD && p->pad == 0) {
			p->state = PS_HEADER;
			p->have = 0;
		}
		if (*len == 0)
			return 0;
		switch (p->state) {
		case PS_HEADER:
			n = ECS_TAR_BLOCK - p->have;
			if (n > *len)
				n = *len;
			memcpy(p->block + p->have, *buf, n);
			p->have += n;
			*buf += n;
			*len -= n;
			if (p->have < ECS_TAR_BLOCK)
				return 0;
			p->have = 0;
			if (header_block(p, ev) != 0)
				return p->error;
			if (ev->type != ECS_TAR_EV_NONE)
				return 0;
			break;
		case PS_EXT:
			n = p->ext_len - p->ext_have;
			if (n > *len)
				n = *len;
			memcpy(p->ext + p->ext_have, *buf, n);
			p->ext_have += n;
			*buf += n;
			*len -= n;
			if (p->ext_have == p->ext_len && ext_done(p) != 0)
				return p->error;
			break;
		case PS_DATA:
			n = p->left < *len ? (size_t)p->left : *len;
			ev->type = ECS_TAR_EV_DATA;
			ev->entry = &p->entry;
			ev->data = *buf;
			ev->len = n;
			p->left -= n;
			*buf += n;
			*len -= n;
			return 0;
		case PS_PAD:
			n = p->pad < *len ? p->pad : *len;
			p->pad -= n;
			*buf += n;
			*len -= n;
			break;
		case PS_END:
			/* the second zero block, a record's padding: zeros only */
			if (!all_zero(*buf, *len))
				return pfail(p, ECS_AGENT_EPROTO);
			*buf += *len;
			*len = 0;
			return 0;
		default:
			return pfail(p, ECS_AGENT_EPROTO);
		}
	}
}

int ecs_tar_parse_finish(const ecs_tar_parser *p)
{
	return !p->error && p->state == PS_END ? 0 : ECS_AGENT_EPROTO;
}
