/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * stream.h: the meaning of a chat completion stream's events.
 *
 * Fed one event's data at a time (by the SSE parser, or directly by a test),
 * it hands each content and reasoning delta to the caller's callbacks, keeps
 * the served model, finish reason and usage, and recognises the ends of a
 * stream: "[DONE]", an error chunk (a top-level "error", which ends the
 * stream even at HTTP 200), a choice that failed, a callback asking to stop.
 */
#ifndef ORA_CLIENT_STREAM_H
#define ORA_CLIENT_STREAM_H

#include <stddef.h>

#include "client/classify.h"
#include "ora/client.h"

struct oc_stream {
	ora_delta_fn on_content;
	ora_delta_fn on_reasoning;
	void *arg;

	int done;                     /* "[DONE]" arrived */
	int finished;                 /* a choice carried a finish_reason */
	enum ora_status status;       /* ORA_OK, or why the stream stopped */
	char message[OC_MESSAGE_MAX]; /* with status, for a person */

	char *model;
	char *id;
	char *finish_reason;
	struct ora_usage usage;
};

void oc_stream_init(
    struct oc_stream *s, ora_delta_fn on_content, ora_delta_fn on_reasoning, void *arg);
void oc_stream_free(struct oc_stream *s);

/* An oc_sse_event_fn: interpret one event. Returns 0 to go on, 1 when the
 * stream must stop now (s->status says why). */
int oc_stream_event(void *arg, const char *data, size_t len);

/* After the transfer: ORA_OK if the stream ended properly, else the reason
 * (with s->message set). A stream that closed without "[DONE]" still counts
 * as complete once a finish_reason arrived. */
enum ora_status oc_stream_result(struct oc_stream *s);

/* Move model, id, finish reason and usage into a new reply (text NULL). */
enum ora_status oc_stream_reply(struct oc_stream *s, struct ora_reply **out);

#endif
