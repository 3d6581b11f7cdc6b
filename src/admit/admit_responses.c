/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_responses.c: THE table of every top-level field of a Responses API
 * request (POST /api/v1/responses, OpenRouter's stateless take on OpenAI's
 * Responses API) and what orad does with it. Written from OpenRouter's API
 * reference "Create a response" and OpenAI's Responses API reference;
 * tests/mock/README.md says what was relied on, ora.conf(5) documents the
 * same table.
 *
 * The policy is chat completions'. What differs: the cap is
 * max_output_tokens, the prompt is `input` (and `instructions`), and
 * everything that refers to state kept upstream (previous_response_id,
 * conversation, store, background) is refused: OpenRouter's endpoint is
 * stateless, and a stored response could carry a model or a price policy
 * never saw.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "admit/admit_internal.h"
#include "orad/reply.h"

#define RESPONSES_SESSION_ID_MAX 256 /* OpenRouter's documented limit */

/* input: a non-empty string, or a non-empty array of items. Image parts
 * (input_image) are priced apiece: counted. */
static int
check_input(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
		return 0;
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be a non-empty string or array, e.g. \"Hello\" or "
		    "[{\"role\":\"user\",\"content\":\"Hello\"}]", name);
	admit_count_images(ctx, v, "input_image");
	return 0;
}

/* Tools the client runs are priced as tokens; a hosted tool the upstream
 * runs itself (web_search, file_search, code_interpreter,
 * image_generation, mcp) is priced per use, apart, and the broker cannot
 * reserve for it. */
static int
check_tools(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	static const char *const client_types[] = { "function", "custom", "local_shell", "shell",
		"apply_patch", NULL };

	if (json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST, "\"%s\" must be an array", name);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *type, *t = json_object_array_get_idx(v, i);

		if (!json_object_is_type(t, json_type_object) ||
		    !json_object_object_get_ex(t, "type", &type) ||
		    !json_object_is_type(type, json_type_string))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s\" entries must be objects with a \"type\", e.g. \"function\"", name);
		if (!admit_in_list(json_object_get_string(type), client_types))
			return admit_refuse_server_tool(ctx, name, json_object_get_string(type));
	}
	return 0;
}

static int
check_session_id(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	return admit_check_short_string(ctx, name, v, RESPONSES_SESSION_ID_MAX);
}

static int
check_object(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (json_object_is_type(v, json_type_null) || json_object_is_type(v, json_type_object))
		return 0;
	return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST, "\"%s\" must be an object", name);
}

/* State kept upstream: null is what a stateless client sends, and goes
 * nowhere; anything else is refused with what to do instead. */
static int
check_stateless(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (json_object_is_type(v, json_type_null)) {
		json_object_object_del(ctx->body, name);
		return 0;
	}
	return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
	    "\"%s\" is not accepted: this Responses endpoint is stateless, as OpenRouter's is; "
	    "send the whole conversation in \"input\" each time", name);
}

/* store: false (or null) only: nothing is stored upstream. */
static int
check_store(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (json_object_is_type(v, json_type_null) ||
	    (json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v)))
		return 0;
	return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
	    "\"%s\" may only be false: this Responses endpoint is stateless, as OpenRouter's "
	    "is; send the whole conversation in \"input\" each time", name);
}

static const char *const responses_caps[] = { "max_output_tokens", NULL };

#define FWD(n) { n, ADMIT_FORWARD, NULL, "forwarded as is" }
static const struct admit_field responses_fields[] = {
	/* Forwarded: they change neither model, provider nor price. */
	{ "input", ADMIT_FORWARD, check_input, "a non-empty string or array" },
	{ "stream", ADMIT_FORWARD, admit_check_stream, "true or false" },
	{ "metadata", ADMIT_FORWARD, check_object, "forwarded (labels, not an identity)" },
	FWD("instructions"), FWD("temperature"), FWD("top_p"), FWD("top_k"),
	FWD("frequency_penalty"), FWD("presence_penalty"), FWD("top_logprobs"),
	{ "tools", ADMIT_FORWARD, check_tools,
	    "forwarded; hosted tools the upstream runs itself (web_search, ...) refused" },
	FWD("tool_choice"), FWD("parallel_tool_calls"), FWD("max_tool_calls"), FWD("text"),
	FWD("include"), FWD("truncation"), FWD("prompt_cache_key"), FWD("cache_control"),
	FWD("stream_options"), FWD("modalities"), FWD("image_config"),
	{ "session_id", ADMIT_FORWARD, check_session_id,
	    "forwarded (a grouping label for observability, not an identity)" },
	/* Rewritten by orad. */
	{ "model", ADMIT_REWRITE, NULL, "validated, aliases resolved, checked" },
	{ "models", ADMIT_REWRITE, NULL, "each checked; the role's fallbacks added" },
	{ "max_output_tokens", ADMIT_REWRITE, NULL, "lowered to the role's cap" },
	{ "user", ADMIT_REWRITE, admit_check_removed,
	    "replaced by the broker's (upstream.user_field)" },
	{ "safety_identifier", ADMIT_REWRITE, admit_check_removed,
	    "removed: the broker names the end user" },
	{ "store", ADMIT_REWRITE, check_store, "false only (stateless)" },
	{ "previous_response_id", ADMIT_REWRITE, check_stateless, "null only (stateless)" },
	{ "conversation", ADMIT_REWRITE, check_stateless, "null only (stateless)" },
	/* Governed by policy. */
	{ "plugins", ADMIT_POLICY, admit_check_plugins, "allowed by id per role and cost centre" },
	{ "provider", ADMIT_POLICY, admit_check_provider, "may only narrow the site's" },
	{ "reasoning", ADMIT_POLICY, admit_check_reasoning, "max_tokens bounded by the role's cap" },
	{ "route", ADMIT_POLICY, admit_check_route, "only \"fallback\"" },
	/* Refused, with what to do instead. */
	{ "background", ADMIT_REFUSE, NULL,
	    "background responses are kept upstream, and this endpoint is stateless; "
	    "stream the answer instead" },
	{ "prompt", ADMIT_REFUSE, NULL,
	    "a stored prompt may select models that policy has not checked; send \"input\" "
	    "and \"instructions\" instead" },
	{ "service_tier", ADMIT_REFUSE, NULL,
	    "a service tier changes the price, which the broker cannot reserve for" },
	{ "debug", ADMIT_REFUSE, NULL, "upstream debugging is not offered through the broker" },
	{ "preset", ADMIT_REFUSE, NULL,
	    "a preset may select models that policy has not checked; name the model instead" },
};
#undef FWD

static int
finish_responses(struct admit_ctx *ctx)
{
	if (!json_object_object_get_ex(ctx->body, "input", NULL))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"input\" is required: a non-empty string or array, e.g. \"Hello\"");
	admit_set_identity(ctx);
	return 0;
}

const struct admit_shape admit_shape_responses = {
	.name = "Responses",
	.body_hint = "\"input\"",
	.fields = responses_fields,
	.n_fields = sizeof(responses_fields) / sizeof(responses_fields[0]),
	.model_field = "model",
	.list_field = "models",
	.cap_fields = responses_caps,
	.cap_default = "max_output_tokens",
	.identity_field = "user",
	.finish = finish_responses,
};
