/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * wire_responses.c: OpenRouter's Responses API (stateless), POST
 * /api/v1/responses and /v1/responses. Admission: admit_responses.c
 * (max_output_tokens capped, `user` set by orad, stored state refused);
 * usage: usage_responses.c (response.usage of the whole answer or of the
 * response.completed / response.failed event). orad's own errors are
 * OpenRouter's error object, as on chat completions, which the OpenAI SDKs
 * raise; once a stream has begun they come as the Responses stream's
 * `error` event, which the SDKs raise too.
 */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "admit/admit.h"
#include "common/util.h"
#include "orad/reply.h"
#include "orad/usage_shapes.h"
#include "orad/wire.h"

static const char *const responses_paths[] = {
	"/api/v1/responses",
	"/v1/responses",
	NULL,
};

static char *
responses_error_event(int status, const char *type, const char *message, size_t *len)
{
	struct json_object *root = json_object_new_object();
	char *text;

	(void)status; /* the status line has gone out: the type says what */
	json_object_object_add(root, "type", json_object_new_string("error"));
	json_object_object_add(root, "code", json_object_new_string(type));
	json_object_object_add(root, "message", json_object_new_string(message));
	json_object_object_add(root, "param", NULL);
	text = ora_xasprintf("event: error\ndata: %s\n\n",
	    json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	*len = strlen(text);
	return text;
}

const struct orad_wire wire_responses = {
	.name = "responses",
	.paths = responses_paths,
	.admit = &admit_shape_responses,
	.usage_body = usage_responses_body,
	.usage_event = usage_responses_event,
	.error_body = reply_error_body,
	.error_event = responses_error_event,
};
