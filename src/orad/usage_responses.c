/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * usage_responses.c: what a Responses answer says about itself
 * (usage_shapes.h). The response object carries everything: its id,
 * model, status, error and usage; a stream sends it whole in
 * response.created (without usage) and again in the last event,
 * response.completed, response.incomplete or response.failed (with usage).
 * OpenRouter adds the cost to usage, as on chat completions.
 */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "common/util.h"
#include "orad/usage_shapes.h"
#include "orad/usage_shapes_internal.h"

/* Error codes the Responses API spells as words, and their statuses. */
static const struct {
	const char *code;
	int status;
} error_codes[] = {
	{ "rate_limit_exceeded", 429 }, { "invalid_prompt", 400 }, { "server_error", 502 },
	{ "vector_store_timeout", 504 },
};

/* Deltas of content: most of a stream, counted without parsing. */
static const char *const content_events[] = { "response.output_text.delta",
	"response.reasoning_text.delta", "response.reasoning_summary_text.delta",
	"response.function_call_arguments.delta", "response.refusal.delta", NULL };

/* Events that carry the response or an error: the only ones parsed. */
static const char *const read_events[] = { "response.created", "response.in_progress",
	"response.completed", "response.incomplete", "response.failed", "error", NULL };

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* An error object: {"code": 502 | "server_error", "message": ...}. */
static void
take_error(struct orad_usage *u, struct json_object *err)
{
	struct json_object *code;
	char message[512] = "";
	int status = 502;

	usage_shapes_take_string(message, sizeof(message), err, "message");
	if (json_object_object_get_ex(err, "code", &code)) {
		if (json_object_is_type(code, json_type_int))
			status = json_object_get_int(code);
		else if (json_object_is_type(code, json_type_string))
			for (size_t i = 0; i < sizeof(error_codes) / sizeof(error_codes[0]); i++)
				if (strcmp(json_object_get_string(code), error_codes[i].code) == 0)
					status = error_codes[i].status;
	}
	usage_shapes_set_error(u, status, message);
}

static void
take_usage(struct orad_usage *u, struct json_object *usage)
{
	struct json_object *details;
	long n;

	u->have_usage = 1;
	if (usage_shapes_get_count(usage, "input_tokens", &n))
		u->prompt_tokens = n;
	if (usage_shapes_get_count(usage, "output_tokens", &n))
		u->completion_tokens = n;
	if (json_object_object_get_ex(usage, "input_tokens_details", &details) &&
	    usage_shapes_get_count(details, "cached_tokens", &n))
		u->cached_tokens = n;
	if (json_object_object_get_ex(usage, "output_tokens_details", &details) &&
	    usage_shapes_get_count(details, "reasoning_tokens", &n))
		u->reasoning_tokens = n;
	usage_shapes_take_cost(u, usage, "cost");
}

/* status in chat completions' words. */
static void
take_status(struct orad_usage *u, struct json_object *r)
{
	struct json_object *details;
	char status[32] = "", reason[32] = "";

	usage_shapes_take_string(status, sizeof(status), r, "status");
	if (strcmp(status, "completed") == 0)
		ora_strlcpy(u->finish_reason, "stop", sizeof(u->finish_reason));
	else if (strcmp(status, "failed") == 0)
		ora_strlcpy(u->finish_reason, "error", sizeof(u->finish_reason));
	else if (strcmp(status, "incomplete") == 0) {
		if (json_object_object_get_ex(r, "incomplete_details", &details))
			usage_shapes_take_string(reason, sizeof(reason), details, "reason");
		ora_strlcpy(u->finish_reason,
		    strcmp(reason, "max_output_tokens") == 0 ? "length"
		    : reason[0] != '\0'                      ? reason
		                                             : "length",
		    sizeof(u->finish_reason));
	}
}

static void
take_response(struct orad_usage *u, struct json_object *r)
{
	struct json_object *v;

	if (!json_object_is_type(r, json_type_object))
		return;
	if (u->generation_id[0] == '\0')
		usage_shapes_take_string(u->generation_id, sizeof(u->generation_id), r, "id");
	usage_shapes_take_string(u->model, sizeof(u->model), r, "model");
	usage_shapes_take_string(u->provider, sizeof(u->provider), r, "provider");
	if (json_object_object_get_ex(r, "usage", &v) && json_object_is_type(v, json_type_object))
		take_usage(u, v);
	take_status(u, r);
	if (json_object_object_get_ex(r, "output", &v) && json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) > 0)
		u->saw_content = 1;
	if (json_object_object_get_ex(r, "error", &v) && json_object_is_type(v, json_type_object))
		take_error(u, v);
	else if (strcmp(u->finish_reason, "error") == 0 && u->error_code == 0)
		usage_shapes_set_error(u, 502, "the response failed");
}

int
usage_responses_body(struct orad_usage *u, const char *body, size_t len)
{
	struct json_object *obj = usage_shapes_parse(body, len), *v;
	int r = -1;

	if (obj != NULL && json_object_is_type(obj, json_type_object)) {
		/* OpenRouter's own refusals: {"error":{"code":402,...}}. */
		if (!json_object_object_get_ex(obj, "object", NULL) &&
		    json_object_object_get_ex(obj, "error", &v) &&
		    json_object_is_type(v, json_type_object))
			take_error(u, v);
		else
			take_response(u, obj);
		r = 0;
	}
	json_object_put(obj);
	return r;
}

void
usage_responses_event(struct orad_usage *u, const char *event, const char *data, size_t len)
{
	struct json_object *obj, *v;
	char buf[64];
	const char *type;

	if (event != NULL && event[0] != '\0') {
		if (in_list(event, content_events)) {
			u->saw_content = 1;
			return;
		}
		if (!in_list(event, read_events))
			return;
	}
	if ((obj = usage_shapes_parse(data, len)) == NULL)
		return;
	if (!json_object_is_type(obj, json_type_object))
		goto out;
	type = usage_shapes_event_type(event, obj, buf, sizeof(buf));
	if (in_list(type, content_events)) {
		u->saw_content = 1;
	} else if (strcmp(type, "response.created") == 0 ||
	           strcmp(type, "response.in_progress") == 0) {
		if (json_object_object_get_ex(obj, "response", &v))
			take_response(u, v);
	} else if (strcmp(type, "response.completed") == 0 ||
	           strcmp(type, "response.incomplete") == 0 ||
	           strcmp(type, "response.failed") == 0) {
		if (json_object_object_get_ex(obj, "response", &v))
			take_response(u, v);
		if (strcmp(type, "response.failed") == 0 && u->error_code == 0)
			usage_shapes_set_error(u, 502, "the response failed");
		u->saw_done = 1;
	} else if (strcmp(type, "error") == 0) {
		if (json_object_object_get_ex(obj, "error", &v) &&
		    json_object_is_type(v, json_type_object))
			take_error(u, v);
		else
			take_error(u, obj);
	}
out:
	json_object_put(obj);
}
