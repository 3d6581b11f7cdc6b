/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * wire.c: the list of wire shapes orad serves, and writing orad's own
 * errors in a shape (see wire.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orad/http_conn.h"
#include "orad/reply.h"
#include "orad/wire.h"

static const struct orad_wire *const wires[] = {
	&wire_chat,
	&wire_messages,
	&wire_responses,
};

const struct orad_wire *
wire_find(const char *path, size_t len)
{
	for (size_t i = 0; i < sizeof(wires) / sizeof(wires[0]); i++)
		for (const char *const *p = wires[i]->paths; *p != NULL; p++)
			if (strlen(*p) == len && memcmp(*p, path, len) == 0)
				return wires[i];
	return NULL;
}

void
wire_reply_error(const struct orad_wire *w, struct http_req *req, int status, const char *type,
    const char *fmt, ...)
{
	char message[2048];
	va_list ap;
	size_t len;
	char *body;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	body = (w != NULL ? w : &wire_chat)->error_body(status, type, message, &len);
	http_reply_add_header(req, "Content-Type", "application/json");
	http_reply(req, status, body, len);
	free(body);
}

void
wire_stream_error(const struct orad_wire *w, struct http_req *req, int status, const char *type,
    const char *message)
{
	size_t len;
	char *text = (w != NULL ? w : &wire_chat)->error_event(status, type, message, &len);

	http_reply_chunk(req, text, len);
	free(text);
}
