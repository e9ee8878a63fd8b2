/*
 * libecs: splitting the engine's multiplexed log stream back into stdout and
 * stderr. A pure state machine: bytes in, two capped buffers out.
 *
 * State, in the fields of ecs_demux:
 *   header_have 0..7   collecting a header (frame_left unused);
 *   header_have 8      inside a payload of frame_left more bytes for
 *                      frame_stream (0 = stdin, dropped);
 *   frame_stream -1    (with header_have 8) a bad header was seen: every
 *                      later call fails, so a caller that ignores one error
 *                      cannot go on to misread the rest of the stream.
 *
 * The buffers grow geometrically so many small frames cost amortised O(1)
 * each. ecs_buffer has no capacity member, so the capacity is a pure function
 * of (len, cap) (see capacity_for()) and never needs to be stored.
 */
#include <stdlib.h>
#include <string.h>

#include "container_private.h"

#include "demux.h"

#define HEADER_SIZE 8
#define MIN_ALLOC 64

void ecs_demux_init(ecs_demux *d, size_t out_cap, size_t err_cap)
{
	memset(d, 0, sizeof(*d));
	d->out_cap = out_cap;
	d->err_cap = err_cap;
}

/*
 * The allocation size a buffer holding @len bytes (plus its NUL) has: the
 * smallest power of two from MIN_ALLOC up that fits, but never more than the
 * cap allows. Monotonic in @len, which is what lets append() tell from the
 * old and new lengths alone whether it must grow.
 */
static size_t capacity_for(size_t len, size_t cap)
{
	size_t need = len + 1;
	size_t c = MIN_ALLOC;
	/* cap < len is impossible; cap == SIZE_MAX means "no useful cap". */
	size_t limit = cap == (size_t)-1 ? (size_t)-1 : cap + 1;

	while (c < need) {
		if (c > (size_t)-1 / 2) {
			c = need;
			break;
		}
		c *= 2;
	}
	return c < limit ? c : limit;
}

/* Keep as much of @data as the cap allows, and remember that the rest was dropped. */
static int append(ecs_buffer *buf, size_t cap, const unsigned char *data, size_t n)
{
	size_t room, take, have, want;
	unsigned char *p;

	room = cap > buf->len ? cap - buf->len : 0;
	take = n < room ? n : room;
	if (take < n)
		buf->truncated = 1;
	if (take == 0)
		return ECS_OK;

	/* A buffer a caller moved out and zeroed starts again from nothing. */
	have = buf->data == NULL ? 0 : capacity_for(buf->len, cap);
	want = capacity_for(buf->len + take, cap);
	if (want > have) {
		p = realloc(buf->data, want);
		if (p == NULL)
			return ECS_ENOMEM;
		buf->data = p;
	}
	memcpy(buf->data + buf->len, data, take);
	buf->len += take;
	buf->data[buf->len] = '\0';
	return ECS_OK;
}

int ecs_demux_append_capped(ecs_buffer *buf, size_t cap, const void *data, size_t len)
{
	return append(buf, cap, data, len);
}

void ecs_demux_restart(ecs_demux *d, size_t out_cap, size_t err_cap)
{
	ecs_buffer_clear(&d->out);
	ecs_buffer_clear(&d->err);
	d->out_bytes = d->err_bytes = 0;
	d->out_cap = out_cap;
	d->err_cap = err_cap;
}

void ecs_demux_set_sink(ecs_demux *d, ecs_demux_sink sink, void *arg)
{
	d->sink = sink;
	d->sink_arg = arg;
}

int ecs_demux_append(ecs_demux *d, int stream, const void *data, size_t len)
{
	if (stream == 1) {
		d->out_bytes += len;
		return append(&d->out, d->out_cap, data, len);
	}
	if (stream == 2) {
		d->err_bytes += len;
		return append(&d->err, d->err_cap, data, len);
	}
	return ECS_EINVAL;
}

int ecs_demux_feed(ecs_demux *d, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t n;
	int rc;

	if (d->header_have == HEADER_SIZE && d->frame_stream < 0)
		return ECS_EPROTO;
	if (len == 0)
		return ECS_OK;
	if (p == NULL)
		return ECS_EINVAL;

	while (len > 0) {
		if (d->header_have < HEADER_SIZE) {
			n = HEADER_SIZE - d->header_have;
			if (n > len)
				n = len;
			memcpy(d->header + d->header_have, p, n);
			d->header_have += n;
			p += n;
			len -= n;
			if (d->header_have < HEADER_SIZE)
				break;
			if (d->header[0] > (d->sys_cap != 0 ? 3 : 2) || d->header[1] != 0 || d->header[2] != 0 || d->header[3] != 0) {
				d->frame_stream = -1;
				return ECS_EPROTO;
			}
			d->frame_stream = d->header[0];
			d->frame_left = (size_t)d->header[4] << 24 | (size_t)d->header[5] << 16 |
				(size_t)d->header[6] << 8 | (size_t)d->header[7];
			if (d->frame_left == 0)
				d->header_have = 0;
			continue;
		}

		n = d->frame_left < len ? d->frame_left : len;
		if ((d->frame_stream == 1 || d->frame_stream == 2) && d->sink != NULL)
			rc = d->sink(d->sink_arg, d->frame_stream, p, n);
		else if (d->frame_stream == 1 || d->frame_stream == 2)
			rc = ecs_demux_append(d, d->frame_stream, p, n);
		else if (d->frame_stream == 3)
			rc = append(&d->sys, d->sys_cap, p, n);
		else
			rc = ECS_OK; /* stdin echoed back: not output */
		if (rc != ECS_OK)
			return rc;
		p += n;
		len -= n;
		d->frame_left -= n;
		if (d->frame_left == 0)
			d->header_have = 0;
	}
	return ECS_OK;
}

int ecs_demux_finish(const ecs_demux *d)
{
	/* Any collected header byte means we stopped inside a header or a payload (or after a bad header). */
	return d->header_have != 0 ? ECS_EPROTO : ECS_OK;
}

/* The ecs_buffer contract promises a NUL-terminated data pointer, even for no bytes. */
static int ensure_data(ecs_buffer *b)
{
	if (b->data != NULL)
		return 0;
	b->data = calloc(1, 1);
	return b->data != NULL ? 0 : -1;
}

int ecs_demux_take(ecs_demux *d, ecs_buffer *out, ecs_buffer *err)
{
	if (ensure_data(&d->out) != 0 || ensure_data(&d->err) != 0)
		return ECS_ENOMEM;
	*out = d->out;
	*err = d->err;
	memset(&d->out, 0, sizeof(d->out));
	memset(&d->err, 0, sizeof(d->err));
	return ECS_OK;
}

void ecs_demux_clear(ecs_demux *d)
{
	if (d == NULL)
		return;
	ecs_buffer_clear(&d->out);
	ecs_buffer_clear(&d->err);
	ecs_buffer_clear(&d->sys);
	memset(d, 0, sizeof(*d));
}
