/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * usage_messages.c: what an Anthropic Messages answer says about itself
 * (usage_shapes.h). Anthropic's usage counts input_tokens apart from the
 * prompt tokens read from or written to its cache; the prompt is their sum,
 * and the reads are the cached tokens. OpenRouter adds the cost to usage
 * (the mock's message_delta carries it, message_start does not: the cost is
 * not known before the end).
 */
#include "config.h"

#include <json-c/json.h>
#include <limits.h>
#include <string.h>

#include "common/util.h"
#include "orad/usage_shapes.h"
#include "orad/usage_shapes_internal.h"

/* Anthropic's error types and the HTTP status each stands for. */
static const struct {
	const char *type;
	int status;
} error_types[] = {
	{ "invalid_request_error", 400 }, { "authentication_error", 401 },
	{ "billing_error", 402 }, { "permission_error", 403 }, { "not_found_error", 404 },
	{ "timeout_error", 408 }, { "request_too_large", 413 }, { "rate_limit_error", 429 },
	{ "api_error", 502 }, { "overloaded_error", 529 },
};

/* Anthropic's stop reasons in chat completions' words. */
static const char *const stop_reasons[][2] = {
	{ "end_turn", "stop" }, { "stop_sequence", "stop" }, { "max_tokens", "length" },
	{ "tool_use", "tool_calls" }, { "refusal", "content_filter" },
	{ "model_context_window_exceeded", "length" },
};

static void
take_stop_reason(struct orad_usage *u, struct json_object *parent)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(parent, "stop_reason", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	s = json_object_get_string(v);
	for (size_t i = 0; i < sizeof(stop_reasons) / sizeof(stop_reasons[0]); i++)
		if (strcmp(s, stop_reasons[i][0]) == 0)
			s = stop_reasons[i][1];
	ora_strlcpy(u->finish_reason, s, sizeof(u->finish_reason));
}

/* Counts are non-negative (usage_shapes_get_count); an upstream that
 * sends absurd ones gets a saturated sum, not an overflow. */
static long
sum_counts(long a, long b)
{
	return a > LONG_MAX - b ? LONG_MAX : a + b;
}

/* Only what is present: message_delta's usage repeats some counts, and a
 * count it leaves out keeps what message_start said. */
static void
take_usage(struct orad_usage *u, struct json_object *usage)
{
	long input, creation = 0, read = 0, output;

	if (!json_object_is_type(usage, json_type_object))
		return;
	u->have_usage = 1;
	(void)usage_shapes_get_count(usage, "cache_creation_input_tokens", &creation);
	if (usage_shapes_get_count(usage, "cache_read_input_tokens", &read))
		u->cached_tokens = read;
	if (usage_shapes_get_count(usage, "input_tokens", &input))
		u->prompt_tokens = sum_counts(sum_counts(input, creation), read);
	if (usage_shapes_get_count(usage, "output_tokens", &output))
		u->completion_tokens = output;
	usage_shapes_take_cost(u, usage, "cost");
}

static void
take_error(struct orad_usage *u, struct json_object *err)
{
	char type[64] = "", message[512] = "";
	int code = 502;

	usage_shapes_take_string(type, sizeof(type), err, "type");
	usage_shapes_take_string(message, sizeof(message), err, "message");
	for (size_t i = 0; i < sizeof(error_types) / sizeof(error_types[0]); i++)
		if (strcmp(type, error_types[i].type) == 0)
			code = error_types[i].status;
	usage_shapes_set_error(u, code, message);
}

/* A message object, whole or as message_start announces it. */
static void
take_message(struct orad_usage *u, struct json_object *m)
{
	struct json_object *v;

	if (!json_object_is_type(m, json_type_object))
		return;
	if (u->generation_id[0] == '\0')
		usage_shapes_take_string(u->generation_id, sizeof(u->generation_id), m, "id");
	usage_shapes_take_string(u->model, sizeof(u->model), m, "model");
	usage_shapes_take_string(u->provider, sizeof(u->provider), m, "provider");
	if (json_object_object_get_ex(m, "usage", &v))
		take_usage(u, v);
	take_stop_reason(u, m);
	if (json_object_object_get_ex(m, "content", &v) && json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) > 0)
		u->saw_content = 1;
}

int
usage_messages_body(struct orad_usage *u, const char *body, size_t len)
{
	struct json_object *obj = usage_shapes_parse(body, len), *v;
	char type[32];
	int r = -1;

	if (obj != NULL && json_object_is_type(obj, json_type_object)) {
		usage_shapes_event_type(NULL, obj, type, sizeof(type));
		if (json_object_object_get_ex(obj, "error", &v) &&
		    json_object_is_type(v, json_type_object))
			take_error(u, v);
		else if (strcmp(type, "message") == 0)
			take_message(u, obj);
		r = 0;
	}
	json_object_put(obj);
	return r;
}

void
usage_messages_event(struct orad_usage *u, const char *event, const char *data, size_t len)
{
	struct json_object *obj, *v;
	char buf[64];
	const char *type;

	/* Most of a stream: counted without parsing. */
	if (event != NULL && strcmp(event, "content_block_delta") == 0) {
		u->saw_content = 1;
		return;
	}
	if (event != NULL && (strcmp(event, "ping") == 0 ||
	                         strcmp(event, "content_block_start") == 0 ||
	                         strcmp(event, "content_block_stop") == 0))
		return;
	if ((obj = usage_shapes_parse(data, len)) == NULL)
		return;
	if (!json_object_is_type(obj, json_type_object))
		goto out;
	type = usage_shapes_event_type(event, obj, buf, sizeof(buf));
	if (strcmp(type, "message_start") == 0) {
		if (json_object_object_get_ex(obj, "message", &v))
			take_message(u, v);
	} else if (strcmp(type, "message_delta") == 0) {
		if (json_object_object_get_ex(obj, "usage", &v))
			take_usage(u, v);
		if (json_object_object_get_ex(obj, "delta", &v) &&
		    json_object_is_type(v, json_type_object))
			take_stop_reason(u, v);
	} else if (strcmp(type, "message_stop") == 0) {
		u->saw_done = 1;
	} else if (strcmp(type, "content_block_delta") == 0) {
		u->saw_content = 1;
	} else if (strcmp(type, "error") == 0) {
		if (json_object_object_get_ex(obj, "error", &v) &&
		    json_object_is_type(v, json_type_object))
			take_error(u, v);
		else
			usage_shapes_set_error(u, 502, NULL);
	}
out:
	json_object_put(obj);
}
