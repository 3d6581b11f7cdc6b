/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/sse.h"

static const unsigned char utf8_bom[3] = {0xef, 0xbb, 0xbf};
#define BOM_DONE sizeof(utf8_bom)

/* Append n bytes, keeping b NUL-terminated; len stays at most max. */
static int
buf_append(struct sse_buf *b, const char *data, size_t n, size_t max)
{
	size_t cap;
	char *p;

	if (n > max || b->len > max - n)
		return SSE_TOO_LONG;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap < 256 ? 256 : b->cap;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return SSE_NOMEM;
		b->p = p;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void
buf_reset(struct sse_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static void
buf_free(struct sse_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- fields ---- */

void
sse_lines_init(struct sse_lines *s, size_t max, enum sse_overflow overflow)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
	s->overflow = overflow;
}

void
sse_lines_free(struct sse_lines *s)
{
	if (s == NULL)
		return;
	buf_free(&s->line);
	memset(s, 0, sizeof(*s));
}

/* More of the current line. */
static int
take(struct sse_lines *s, const char *bytes, size_t n)
{
	int r;

	if (s->dropping || n == 0)
		return 0;
	if ((r = buf_append(&s->line, bytes, n, s->max)) == 0)
		return 0;
	if (s->overflow == SSE_OVERFLOW_FAIL)
		return r;
	s->dropping = 1;
	buf_reset(&s->line);
	return 0;
}

/* The current line is complete: hand over its field. */
static int
end_line(struct sse_lines *s, sse_field_fn fn, void *arg)
{
	const char *line = s->line.p != NULL ? s->line.p : "";
	size_t len = s->line.len, name_len;
	const char *colon, *value;
	int r;

	if (s->dropping) {
		s->dropping = 0;
		return 0;
	}
	if (len == 0)
		return fn(arg, NULL, 0, NULL, 0);
	if (line[0] == ':') {
		buf_reset(&s->line);
		return 0;
	}
	colon = memchr(line, ':', len);
	name_len = colon != NULL ? (size_t)(colon - line) : len;
	value = colon != NULL ? colon + 1 : line + len;
	if (value < line + len && *value == ' ')
		value++;
	r = fn(arg, line, name_len, value, (size_t)(line + len - value));
	buf_reset(&s->line);
	return r;
}

/* A stream may start with a UTF-8 BOM, split like anything else. Returns
 * the bytes of data it used. */
static size_t
skip_bom(struct sse_lines *s, const char *bytes, size_t n, int *r)
{
	size_t i = 0;

	while (s->bom < BOM_DONE && i < n) {
		if ((unsigned char)bytes[i] == utf8_bom[s->bom]) {
			s->bom++;
			i++;
			continue;
		}
		/* Not a BOM after all: what matched is text. */
		*r = take(s, (const char *)utf8_bom, s->bom);
		s->bom = BOM_DONE;
	}
	return i;
}

int
sse_lines_feed(struct sse_lines *s, const char *bytes, size_t n, sse_field_fn fn, void *arg)
{
	size_t i, start;
	int r = 0;

	i = skip_bom(s, bytes, n, &r);
	if (r != 0)
		return r;
	while (i < n) {
		if (s->skip_lf) {
			s->skip_lf = 0;
			if (bytes[i] == '\n') {
				i++;
				continue;
			}
		}
		start = i;
		while (i < n && bytes[i] != '\n' && bytes[i] != '\r')
			i++;
		if ((r = take(s, bytes + start, i - start)) != 0)
			return r;
		if (i == n)
			break; /* the line goes on in the next feed */
		s->skip_lf = bytes[i] == '\r';
		i++;
		if ((r = end_line(s, fn, arg)) != 0)
			return r;
	}
	return 0;
}

/* ---- events ---- */

void
sse_events_init(struct sse_events *e, size_t max)
{
	memset(e, 0, sizeof(*e));
	sse_lines_init(&e->lines, max, SSE_OVERFLOW_FAIL);
}

void
sse_events_free(struct sse_events *e)
{
	if (e == NULL)
		return;
	sse_lines_free(&e->lines);
	buf_free(&e->data);
	buf_free(&e->type);
}

static int
dispatch(struct sse_events *e)
{
	struct sse_event ev;
	int r;

	if (!e->have_data) {
		buf_reset(&e->type);
		return 0;
	}
	/* Each data field added a trailing LF; the event has one less. */
	e->data.p[--e->data.len] = '\0';
	ev.type = e->type.len > 0 ? e->type.p : "message";
	ev.data = e->data.p;
	ev.len = e->data.len;
	r = e->fn(e->arg, &ev);
	e->have_data = 0;
	buf_reset(&e->data);
	buf_reset(&e->type);
	return r;
}

static int
on_field(void *arg, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct sse_events *e = arg;
	size_t max = e->lines.max;
	int r;

	if (name == NULL)
		return dispatch(e);
	if (name_len == 4 && memcmp(name, "data", 4) == 0) {
		if ((r = buf_append(&e->data, value, value_len, max)) != 0 ||
		    (r = buf_append(&e->data, "\n", 1, max + 1)) != 0)
			return r;
		e->have_data = 1;
	} else if (name_len == 5 && memcmp(name, "event", 5) == 0) {
		buf_reset(&e->type);
		if ((r = buf_append(&e->type, value, value_len, max)) != 0)
			return r;
	}
	/* "id" and "retry" serve reconnection, which neither user does. */
	return 0;
}

int
sse_events_feed(struct sse_events *e, const char *bytes, size_t n, sse_event_fn fn, void *arg)
{
	e->fn = fn;
	e->arg = arg;
	return sse_lines_feed(&e->lines, bytes, n, on_field, e);
}
