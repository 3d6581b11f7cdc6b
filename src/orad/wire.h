/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * wire.h: a wire shape, the one thing that differs between the endpoints
 * that relay a request to the upstream (chat completions, Anthropic
 * Messages, OpenAI Responses). Admission (src/admit/), the exchange, the
 * relay, budgets and the ledger are the same code for every shape; a
 * shape only says where it is served, which admission table it goes
 * through, how its answers and stream events are
 * read for usage, and how orad's own errors are written in it so that the
 * clients that speak it show them.
 *
 * One file per shape (wire_chat.c, wire_messages.c, wire_responses.c); a
 * fourth is one new file and one line in wire.c's list, and its path in
 * the upstream API's table (upstream_api.h), which holds everything
 * particular to OpenRouter.
 */
#ifndef ORAD_WIRE_H
#define ORAD_WIRE_H

#include <stddef.h>

#include "orad/usage_shapes.h"

struct admit_shape;
struct http_req;
struct orad_usage;

struct orad_wire {
	const char *name;                   /* for logs: "chat", "messages" */
	const char *const *paths;           /* served at, NULL-terminated */
	const struct admit_shape *admit;    /* admission's table for the body */

	/* What an answer says about itself: a whole non-stream body (0 when
	 * it was a JSON object), and one stream event (its event: name, ""
	 * when none came, and its data: field). */
	int (*usage_body)(struct orad_usage *u, const char *body, size_t len);
	usage_event_fn usage_event;

	/* orad's own error in this shape, malloc'd with *len: as a whole
	 * answer body, and as the stream's last event(s) once an answer
	 * has begun. Same status, ora type (ORA_ERR_*) and sentence in every
	 * shape; only the framing differs. */
	char *(*error_body)(int status, const char *type, const char *message, size_t *len);
	char *(*error_event)(int status, const char *type, const char *message, size_t *len);
};

extern const struct orad_wire wire_chat;
extern const struct orad_wire wire_messages;
extern const struct orad_wire wire_responses;

/* The shape served at path (len bytes, no query), or NULL. */
const struct orad_wire *wire_find(const char *path, size_t len);

/* Answer req with orad's own error in w's shape (w NULL: chat's). */
void wire_reply_error(const struct orad_wire *w, struct http_req *req, int status,
    const char *type, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The same error as stream events on an answer already begun. */
void wire_stream_error(const struct orad_wire *w, struct http_req *req, int status,
    const char *type, const char *message);

#endif
