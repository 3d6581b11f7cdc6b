/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * sse.h: the client library's view of a server-sent event stream
 * (text/event-stream): each event's data, in order.
 *
 * The reading itself is src/common/sse.c, which orad shares (the WHATWG
 * rules: lines end in LF, CRLF or CR, split anywhere; comments ignored;
 * "data:" fields joined by LF; a blank line dispatches; an event not ended by
 * a blank line when the stream ends is discarded). Chat completion events
 * carry no name that matters, so only the data is handed on.
 */
#ifndef ORA_CLIENT_SSE_H
#define ORA_CLIENT_SSE_H

#include <stddef.h>

#include "common/sse.h"

/* Receives one event's data (len bytes, NUL-terminated). Return 0 to go on,
 * non-zero to stop the parse; oc_sse_feed() then returns that value. */
typedef int (*oc_sse_event_fn)(void *arg, const char *data, size_t len);

struct oc_sse {
	struct sse_events events;
	oc_sse_event_fn fn; /* of the current feed */
	void *arg;
};

/* Errors from oc_sse_feed(); callbacks should return positive values. */
enum {
	OC_SSE_NOMEM = SSE_NOMEM,
	OC_SSE_TOO_LONG = SSE_TOO_LONG,
};

/* Start a parse; max caps the size of one event (and so of one line). */
void oc_sse_init(struct oc_sse *p, size_t max);

/* Feed n bytes. Returns 0 when all were consumed, OC_SSE_TOO_LONG,
 * OC_SSE_NOMEM, or the callback's non-zero return (the rest of the bytes are
 * then not parsed). */
int oc_sse_feed(struct oc_sse *p, const char *bytes, size_t n, oc_sse_event_fn fn, void *arg);

void oc_sse_free(struct oc_sse *p);

#endif
