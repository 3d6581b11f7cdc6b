/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * usage.h: what an upstream answer says about itself (generation id, served
 * model, tokens, cost, in-band errors), read leniently from a whole JSON body
 * or incrementally from a server-sent event stream.
 *
 * OpenRouter changes fast: fields are looked up by name, unknown ones are
 * ignored, comment lines and keep-alive whitespace are skipped, and the cost
 * is kept as the exact decimal text the upstream sent.
 *
 * Functions of the bytes they are given and the struct they fill, with no
 * socket or request in sight: fuzzed by fuzz/usage-fuzzer.c.
 */
#ifndef ORAD_USAGE_H
#define ORAD_USAGE_H

#include <stddef.h>

#include "common/sse.h"

struct json_object;

struct orad_usage {
	char generation_id[128];
	char model[256];    /* the model that served (may differ from requested) */
	char provider[128];
	long prompt_tokens;
	long completion_tokens;
	long reasoning_tokens;
	long cached_tokens;
	int have_usage;
	char cost[64];      /* USD as the upstream wrote it, e.g. "0.0000225" */
	int error_code;     /* an error inside a 200 or mid-stream, else 0 */
	char error_message[512];
	char finish_reason[32];
	int saw_done;       /* "data: [DONE]" arrived */
	int saw_content;    /* at least one content or reasoning delta */
};

/* Take what obj (a response or a stream chunk) says into u. */
void usage_take_json(struct orad_usage *u, struct json_object *obj);

/* Parse a whole non-stream body (which may start with whitespace). Returns 0
 * if it was a JSON object, -1 otherwise. */
int usage_parse_body(struct orad_usage *u, const char *body, size_t len);

/* One chat completions stream event's data: field (a chunk, or
 * "[DONE]"); the event: name is not used. The stream reader of
 * usage_shapes.h calls it for the chat wire (wire_chat.c). */
void usage_chat_event(struct orad_usage *u, const char *event, const char *data, size_t len);

/* Free the parser the functions above share (at exit). */
void usage_cleanup(void);

/* The stream's reader. Each "data:" field is read as it completes, without
 * waiting for the blank line that ends its event: usage that arrived just
 * before the stream broke off still counts. A line longer than SSE_LINE_MAX
 * is skipped. A zeroed struct is ready to use. */
struct sse_parser {
	struct sse_lines lines;
	int started;
};

/* Feed stream bytes; complete fields update u. */
void sse_feed(struct sse_parser *p, struct orad_usage *u, const char *data, size_t len);

/* Release the memory and make p ready for a new stream. */
void sse_parser_clear(struct sse_parser *p);

#endif
