/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * sse.h: the one reader of server-sent event streams (text/event-stream),
 * shared by orad (what the upstream's stream says about usage, orad/usage.c)
 * and libora-client (the events it hands to the application, client/sse.c).
 *
 * It follows the WHATWG event stream rules: a leading UTF-8 byte order mark
 * is dropped; lines end in CRLF, LF or CR, and bytes may arrive split
 * anywhere, even between the CR and LF of one line ending; a line starting
 * with ':' is a comment (OpenRouter's keep-alive); any other line is a field,
 * "name:value" with one optional space after the colon, or a bare name with
 * an empty value; a blank line ends an event.
 *
 * Two layers: sse_lines splits a stream into fields and blank lines (orad
 * reads each "data:" field as it comes, so that usage sent just before a
 * broken-off stream still counts); sse_events builds events from them as a
 * browser does ("data:" fields joined by LF, the "event:" name, dispatched on
 * the blank line, an event not ended before the stream ends discarded).
 *
 * Pure functions of their state and the bytes fed, tested byte by byte
 * (tests/unit/check_sse.c) and fuzzed through both users (fuzz/usage-fuzzer.c,
 * fuzz/client-fuzzer.c). No dependency on the rest of src/common, and no
 * abort on out-of-memory: a library compiles it in.
 */
#ifndef ORA_COMMON_SSE_H
#define ORA_COMMON_SSE_H

#include <stddef.h>

/* The longest line (and event) orad reads from the upstream. OpenRouter's
 * chunks are a few hundred bytes; a final one with usage a few KB. */
#define SSE_LINE_MAX (1024u * 1024)

/* Errors from the feed functions; callbacks should return positive values. */
enum {
	SSE_NOMEM = -1,
	SSE_TOO_LONG = -2,
};

/* What to do with a line longer than the cap (or one that memory cannot
 * hold): fail the feed, or drop the line as if it were not there. */
enum sse_overflow {
	SSE_OVERFLOW_FAIL = 0,
	SSE_OVERFLOW_SKIP,
};

struct sse_buf {
	char *p;    /* NUL-terminated when not NULL */
	size_t len;
	size_t cap;
};

/* ---- fields ---- */

/* One field: name and value (value NUL-terminated; neither holds a line
 * end). A blank line, the end of an event, comes as name == NULL. Return 0
 * to go on, non-zero to stop the feed, which returns that value. */
typedef int (*sse_field_fn)(
    void *arg, const char *name, size_t name_len, const char *value, size_t value_len);

struct sse_lines {
	struct sse_buf line;    /* the line being assembled */
	size_t max;             /* cap on one line */
	enum sse_overflow overflow;
	int dropping;           /* the current line is over the cap: drop it */
	int skip_lf;            /* the last byte was a CR: an LF next is its pair */
	unsigned bom;           /* bytes of a leading BOM matched; 3: past the start */
};

void sse_lines_init(struct sse_lines *s, size_t max, enum sse_overflow overflow);

/* Feed n bytes. Returns 0 when all were consumed, SSE_TOO_LONG or
 * SSE_NOMEM (SSE_OVERFLOW_FAIL only), or the callback's non-zero return;
 * after an error the rest of the bytes are not read. */
int sse_lines_feed(struct sse_lines *s, const char *bytes, size_t n, sse_field_fn fn, void *arg);

/* Forget everything and release the memory; init may follow. */
void sse_lines_free(struct sse_lines *s);

/* ---- events ---- */

struct sse_event {
	const char *type; /* the "event:" name; "message" when none was given */
	const char *data; /* the "data:" fields joined by LF; NUL-terminated */
	size_t len;       /* of data */
};

/* Return 0 to go on, non-zero to stop the feed, which returns that value. */
typedef int (*sse_event_fn)(void *arg, const struct sse_event *ev);

struct sse_events {
	struct sse_lines lines;
	struct sse_buf data; /* of the event being assembled, each field + LF */
	struct sse_buf type;
	int have_data;       /* a data field was seen in this event */
	sse_event_fn fn;     /* of the current feed */
	void *arg;
};

/* max caps one line and one event's data (SSE_OVERFLOW_FAIL). */
void sse_events_init(struct sse_events *e, size_t max);

/* Feed n bytes: complete events go to fn. Returns as sse_lines_feed(). */
int sse_events_feed(
    struct sse_events *e, const char *bytes, size_t n, sse_event_fn fn, void *arg);

void sse_events_free(struct sse_events *e);

#endif
