/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * wire_messages.c: Anthropic's Messages API as OpenRouter serves it
 * ("Anthropic-compatible", POST /api/v1/messages). Served at both
 * /api/v1/messages and /v1/messages, so that ANTHROPIC_BASE_URL set to
 * http://127.0.0.1:PORT/api works as it does against OpenRouter, and so does
 * a base URL without /api. Admission: admit_messages.c (max_tokens
 * required and capped, metadata.user_id set by orad, fallbacks checked);
 * usage: usage_messages.c (the cost is read from the raw message_delta
 * event, which the Anthropic SDK's final message drops); errors in
 * Anthropic's shape (error_anthropic.c), so its SDKs raise their typed
 * errors.
 */
#include "config.h"

#include "admit/admit.h"
#include "orad/error_anthropic.h"
#include "orad/usage_shapes.h"
#include "orad/wire.h"

static const char *const messages_paths[] = {
	"/api/v1/messages",
	"/v1/messages",
	NULL,
};

const struct orad_wire wire_messages = {
	.name = "messages",
	.paths = messages_paths,
	.admit = &admit_shape_messages,
	.usage_body = usage_messages_body,
	.usage_event = usage_messages_event,
	.error_body = error_anthropic_body,
	.error_event = error_anthropic_event,
};
