/*
 * sse.h: an incremental parser of server-sent events (text/event-stream).
 *
 * A pure function of its state and the bytes fed to it, so it can be tested
 * (and fuzzed) without a socket: bytes may arrive split anywhere, even
 * between the CR and LF of one line ending. It follows the WHATWG event
 * stream rules that matter for OpenRouter's streams: lines end in LF, CRLF or
 * CR; a line starting with ':' is a comment (keep-alive) and is ignored;
 * "data:" lines (one optional space after the colon) accumulate, joined by
 * LF; a blank line dispatches the event; other fields are ignored; an event
 * not ended by a blank line when the stream ends is discarded.
 */
#ifndef ORA_CLIENT_SSE_H
#define ORA_CLIENT_SSE_H

#include <stddef.h>

#include "client/buf.h"

/* Receives one event's data (len bytes, NUL-terminated). Return 0 to go on,
 * non-zero to stop the parse; oc_sse_feed() then returns that value. */
typedef int (*oc_sse_event_fn)(void *arg, const char *data, size_t len);

struct oc_sse {
	struct oc_buf line; /* the line being assembled */
	struct oc_buf data; /* the data of the event being assembled */
	int have_data;      /* a data field was seen in this event */
	int skip_lf;        /* the last byte was a CR: an LF next is its pair */
	size_t max;         /* cap on one line and on one event's data */
};

/* Errors from oc_sse_feed(); callbacks should return positive values. */
enum {
	OC_SSE_NOMEM = -1,
	OC_SSE_TOO_LONG = -2,
};

/* Start a parse; max caps the size of one event (and so of one line). */
void oc_sse_init(struct oc_sse *p, size_t max);

/* Feed n bytes. Returns 0 when all were consumed, OC_SSE_TOO_LONG,
 * OC_SSE_NOMEM, or the callback's non-zero return (the rest of the bytes are
 * then not parsed). */
int oc_sse_feed(struct oc_sse *p, const char *bytes, size_t n, oc_sse_event_fn fn, void *arg);

void oc_sse_free(struct oc_sse *p);

#endif
