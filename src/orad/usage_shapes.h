/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * usage_shapes.h: what an Anthropic Messages answer and a Responses answer
 * say about themselves (generation id, served model, tokens, cost, in-band
 * errors, whether content came and whether the stream ended properly), read
 * into the same struct orad_usage as chat completions (usage.h), from a
 * whole body or from one server-sent event at a time.
 *
 * As usage.c: fields looked up by name, unknown ones and unknown events
 * ignored, the cost kept as the exact decimal text the upstream sent
 * (json-c keeps a number's text). Pure functions of the bytes given and the
 * struct filled, with no socket in sight: unit-tested
 * (tests/unit/check_usage_shapes.c) and fuzzed (fuzz/usage-fuzzer.c).
 *
 * Vocabulary: finish_reason is written in chat completions' words, so the
 * ledger reads one language: "stop", "length", "tool_calls",
 * "content_filter", "error" (an unknown reason is kept as sent).
 * error_code is an HTTP status: the one an error object names, else the
 * status for Anthropic's error type, else 502. generation_id is the
 * answer's own id (msg_..., resp_...), the first one seen; to reconcile
 * through /generation, the X-Generation-Id response header names the
 * generation (the mock derives the answer's id from it; OpenRouter's pages
 * do not say that it always does). A Messages stream that ends in an error
 * event carries no usage: reconcile it.
 */
#ifndef ORAD_USAGE_SHAPES_H
#define ORAD_USAGE_SHAPES_H

#include <stddef.h>

#include "common/sse.h"
#include "orad/usage.h"

/* ---- Anthropic Messages (usage_messages.c) ---- */

/* A whole non-stream answer: a message object ({"type":"message",...}:
 * id -> generation_id, model, provider, usage.input_tokens (+ cache
 * creation and reads) -> prompt_tokens, usage.output_tokens ->
 * completion_tokens, usage.cost, stop_reason) or an error object
 * ({"type":"error","error":{"type","message"}}). Leading whitespace is
 * skipped. 0 if it was a JSON object, -1 otherwise. */
int usage_messages_body(struct orad_usage *u, const char *body, size_t len);

/* One stream event: its "event:" name (NULL or "" when none came: the
 * data's "type" is used) and its "data:" JSON. message_start (the message:
 * id, model, input tokens), content_block_delta (content seen: not parsed,
 * it is most of the stream), message_delta (usage.output_tokens and the
 * cost OpenRouter adds, stop_reason), message_stop (saw_done), error
 * (error_code, error_message); content_block_start/stop, ping and unknown
 * events change nothing. */
void usage_messages_event(struct orad_usage *u, const char *event, const char *data, size_t len);

/* ---- Responses (usage_responses.c) ---- */

/* A whole non-stream answer: a response object ({"object":"response",...}:
 * id -> generation_id, model, provider, status, usage.input_tokens,
 * output_tokens, input_tokens_details.cached_tokens,
 * output_tokens_details.reasoning_tokens, cost; a "failed" status or an
 * error object is an in-band error) or OpenRouter's error body
 * ({"error":{"code","message"}}). 0 if it was a JSON object, -1 otherwise. */
int usage_responses_body(struct orad_usage *u, const char *body, size_t len);

/* One stream event, named as above. response.created / response.in_progress
 * (id, model), response.output_text.delta and the reasoning deltas (content
 * seen, not parsed), response.completed / response.incomplete (the whole
 * response with usage; saw_done), response.failed (the response, its error
 * and usage; saw_done), error (error_code, error_message). */
void usage_responses_event(struct orad_usage *u, const char *event, const char *data,
    size_t len);

/* ---- a stream of named events, for either shape (usage_shapes.c) ---- */

typedef void (*usage_event_fn)(struct orad_usage *u, const char *event, const char *data,
    size_t len);

/* Reads a stream with the SSE splitter of src/common/sse.c and hands each
 * "data:" field to fn with the "event:" name that came before it in the
 * same event, as the field completes (usage sent just before a stream
 * broke off still counts, as in usage.h's sse_feed). A zeroed struct is
 * ready to use. */
#define USAGE_EVENT_NAME_MAX 64
struct usage_event_stream {
	struct sse_lines lines;
	int started;
	char event[USAGE_EVENT_NAME_MAX]; /* of the event being read; "" none */
	usage_event_fn fn;                /* of the current feed */
	struct orad_usage *u;
};

/* Feed stream bytes, split anywhere; complete data fields go to fn. */
void usage_events_feed(struct usage_event_stream *s, usage_event_fn fn, struct orad_usage *u,
    const char *bytes, size_t n);

/* Release the memory and make s ready for a new stream. */
void usage_events_clear(struct usage_event_stream *s);

/* Free the parser the readers above share (at exit). */
void usage_shapes_cleanup(void);

#endif
