/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * wire_chat.c: chat completions, OpenRouter's (and OpenAI's) own shape.
 * Errors are OpenRouter's error object ({"error":{"code","message","type"}},
 * reply.h); a stream that fails after it began ends with that object as a
 * data: event and the [DONE] marker, which the OpenAI SDKs raise as an
 * error.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "admit/admit.h"
#include "common/util.h"
#include "orad/reply.h"
#include "orad/usage.h"
#include "orad/wire.h"

static const char *const chat_paths[] = {
	/* OpenRouter's path, so its SDKs work with only a base URL change;
	 * /v1 serves OpenAI SDKs configured with base URL .../v1. */
	"/api/v1/chat/completions",
	"/v1/chat/completions",
	NULL,
};

static char *
chat_error_event(int status, const char *type, const char *message, size_t *len)
{
	size_t n;
	char *json = reply_error_body(status, type, message, &n);
	char *text;

	/* reply_error_body() ends with a newline: the event's own. */
	json[n - 1] = '\0';
	text = ora_xasprintf("data: %s\n\ndata: [DONE]\n\n", json);
	free(json);
	*len = strlen(text);
	return text;
}

const struct orad_wire wire_chat = {
	.name = "chat",
	.paths = chat_paths,
	.admit = &admit_shape_chat,
	.usage_body = usage_parse_body,
	.usage_event = usage_chat_event,
	.error_body = reply_error_body,
	.error_event = chat_error_event,
};
