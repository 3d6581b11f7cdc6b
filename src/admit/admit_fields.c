/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_fields.c: THE table of every top-level field of a chat completion
 * request and what orad does with it. Written from OpenRouter's request
 * schema (openrouter.ai/docs, "Request Schema" and "Parameters") plus the
 * fields the official OpenAI SDKs send by default. ora.conf(5) documents
 * the same table; keep them together.
 *
 * A field in no class is refused ("unknown field"), so a field OpenRouter
 * adds tomorrow cannot choose a model or a price behind the policy's back;
 * a site passes one through with policy.pass_fields.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "admit/admit_internal.h"
#include "orad/reply.h"

#define SESSION_ID_MAX 128 /* OpenRouter's documented limit */

static int
check_messages(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be a non-empty array, e.g. [{\"role\":\"user\",\"content\":\"Hello\"}]",
		    name);
	/* Images are priced apiece: count the parts that carry one. */
	admit_count_images(ctx, v, "image_url");
	return 0;
}

int
admit_check_stream(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST, "\"%s\" must be true or false",
		    name);
	ctx->stream = json_object_get_boolean(v);
	return 0;
}

/* Several answers would multiply the completion cost behind one
 * reservation; OpenRouter answers one anyway. */
static int
check_n(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (json_object_is_type(v, json_type_null) ||
	    (admit_is_int(v) && json_object_get_int64(v) == 1))
		return 0;
	return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
	    "\"%s\" must be 1: this broker asks for one answer per request (send several "
	    "requests for several answers)", name);
}

/* Replaced in finish(): the broker names the end user, and usage
 * accounting is always on. The client's value is only type-checked. */
int
admit_check_removed(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	(void)ctx;
	(void)v;
	json_object_object_del(ctx->body, name);
	return 0;
}

int
admit_check_session_id(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	return admit_check_short_string(ctx, name, v, SESSION_ID_MAX);
}

int
admit_check_short_string(struct admit_ctx *ctx, const char *name, struct json_object *v, int max)
{
	if (json_object_is_type(v, json_type_null) ||
	    (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) <= max))
		return 0;
	return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
	    "\"%s\" must be a string of at most %d characters", name, max);
}

int
admit_refuse_server_tool(struct admit_ctx *ctx, const char *name, const char *type)
{
	return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
	    "tool type '%.64s' in \"%s\" is not accepted: tools the upstream runs itself are "
	    "priced per use, which the broker cannot reserve for; for web search use the web "
	    "plugin (\"plugins\":[{\"id\":\"web\"}])",
	    type, name);
}

void
admit_count_images(struct admit_ctx *ctx, struct json_object *items, const char *part_type)
{
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *content, *item = json_object_array_get_idx(items, i);
		if (!json_object_object_get_ex(item, "content", &content) ||
		    !json_object_is_type(content, json_type_array))
			continue;
		for (size_t k = 0; k < json_object_array_length(content); k++) {
			struct json_object *type;
			if (json_object_object_get_ex(json_object_array_get_idx(content, k), "type",
			        &type) &&
			    strcmp(json_object_get_string(type), part_type) == 0)
				ctx->images++;
		}
	}
}

int
admit_in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* reasoning: effort or a token budget. Reasoning tokens are billed as
 * completion tokens, so max_tokens is bounded by the role's cap and added
 * to the reservation. */
int
admit_check_reasoning(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	static const char *const keys[] = { "effort", "max_tokens", "exclude", "enabled",
		"summary", NULL };
	static const char *const efforts[] = { "minimal", "low", "medium", "high", "xhigh",
		"none", NULL };
	const struct ora_role *role = ctx->c->rule->role;

	if (json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be an object such as {\"effort\":\"low\"}", name);
	json_object_object_foreach(v, key, val) {
		if (!admit_in_list(key, keys))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s.%.64s\" is not understood; the reasoning fields are effort, "
			    "max_tokens, exclude, enabled, summary", name, key);
		if (strcmp(key, "effort") == 0 && (!json_object_is_type(val, json_type_string) ||
		                                      !admit_in_list(json_object_get_string(val), efforts)))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s.effort\" must be one of minimal, low, medium, high, xhigh, none", name);
		if ((strcmp(key, "exclude") == 0 || strcmp(key, "enabled") == 0) &&
		    !json_object_is_type(val, json_type_boolean))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s.%s\" must be true or false", name, key);
	}
	struct json_object *mt;
	if (json_object_object_get_ex(v, "max_tokens", &mt)) {
		int64_t n;
		if (!admit_is_int(mt) || (n = json_object_get_int64(mt)) <= 0)
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s.max_tokens\" must be a positive integer", name);
		if (role->max_tokens > 0 && n > role->max_tokens) {
			n = role->max_tokens;
			json_object_object_add(v, "max_tokens", json_object_new_int64(n));
		}
		ctx->reasoning_tokens = n;
	}
	return 0;
}

/* route: only "fallback", OpenRouter's one documented value (try models
 * in order); the list itself is checked as `models`. */
int
admit_check_route(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (json_object_is_type(v, json_type_null) ||
	    (json_object_is_type(v, json_type_string) &&
	        strcmp(json_object_get_string(v), "fallback") == 0))
		return 0;
	return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
	    "\"%s\" may only be \"fallback\" (models are tried in the order of \"models\")", name);
}

/* transforms: only "middle-out" (prompt compression), which changes
 * neither model nor price upward. */
static int
check_transforms(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (json_object_is_type(v, json_type_null))
		return 0;
	if (json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *t = json_object_array_get_idx(v, i);
			if (!json_object_is_type(t, json_type_string) ||
			    strcmp(json_object_get_string(t), "middle-out") != 0)
				break;
		}
		if (i == n)
			return 0;
	}
	return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
	    "\"%s\" may only be [\"middle-out\"] or []", name);
}

/* web_search_options asks for paid search: it needs the web plugin's
 * permission and is reserved like it, at OpenRouter's default count. */
static int
check_web_search_options(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	static const char *const sizes[] = { "low", "medium", "high", NULL };
	struct json_object *plugins, *web;

	if (json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST, "\"%s\" must be an object", name);
	json_object_object_foreach(v, key, val) {
		if (strcmp(key, "search_context_size") == 0 &&
		    json_object_is_type(val, json_type_string) &&
		    admit_in_list(json_object_get_string(val), sizes))
			continue;
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" may only hold search_context_size (low, medium or high)", name);
	}
	/* Checked as if the request had asked for the web plugin. */
	plugins = json_object_new_array();
	web = json_object_new_object();
	json_object_object_add(web, "id", json_object_new_string("web"));
	json_object_array_add(plugins, web);
	int r = admit_check_plugins(ctx, "web_search_options", plugins);
	json_object_put(plugins);
	return r;
}

static const char *const chat_caps[] = { "max_tokens", "max_completion_tokens", NULL };

#define FWD(n) { n, ADMIT_FORWARD, NULL, "forwarded as is" }
static const struct admit_field chat_fields[] = {
	/* Forwarded: they change neither model, provider nor price. */
	{ "messages", ADMIT_FORWARD, check_messages, "must be a non-empty array" },
	{ "stream", ADMIT_FORWARD, admit_check_stream, "true or false" },
	FWD("stream_options"), FWD("temperature"), FWD("top_p"), FWD("top_k"),
	FWD("frequency_penalty"), FWD("presence_penalty"), FWD("repetition_penalty"),
	FWD("min_p"), FWD("top_a"), FWD("seed"), FWD("stop"), FWD("logit_bias"),
	FWD("logprobs"), FWD("top_logprobs"), FWD("response_format"),
	FWD("structured_outputs"), FWD("tools"), FWD("tool_choice"),
	FWD("parallel_tool_calls"), FWD("functions"), FWD("function_call"),
	FWD("prediction"), FWD("verbosity"), FWD("modalities"), FWD("image_config"),
	FWD("store"), FWD("metadata"), FWD("include_reasoning"), FWD("reasoning_effort"),
	FWD("prompt_cache_key"),
	{ "session_id", ADMIT_FORWARD, admit_check_session_id,
	    "forwarded (a grouping label for observability, not an identity)" },
	/* Rewritten by orad. */
	{ "model", ADMIT_REWRITE, NULL, "validated, aliases resolved, checked" },
	{ "models", ADMIT_REWRITE, NULL, "each checked; the role's fallbacks added" },
	{ "max_tokens", ADMIT_REWRITE, NULL, "lowered to the role's cap" },
	{ "max_completion_tokens", ADMIT_REWRITE, NULL, "lowered to the role's cap" },
	{ "user", ADMIT_REWRITE, admit_check_removed, "replaced by the broker's (upstream.user_field)" },
	{ "safety_identifier", ADMIT_REWRITE, admit_check_removed,
	    "removed: the broker names the end user" },
	{ "usage", ADMIT_REWRITE, admit_check_removed, "always {\"include\": true}" },
	{ "n", ADMIT_REWRITE, check_n, "must be 1" },
	/* Governed by policy. */
	{ "plugins", ADMIT_POLICY, admit_check_plugins, "allowed by id per role and cost centre" },
	{ "provider", ADMIT_POLICY, admit_check_provider, "may only narrow the site's" },
	{ "reasoning", ADMIT_POLICY, admit_check_reasoning, "max_tokens bounded by the role's cap" },
	{ "route", ADMIT_POLICY, admit_check_route, "only \"fallback\"" },
	{ "transforms", ADMIT_POLICY, check_transforms, "only [\"middle-out\"]" },
	{ "web_search_options", ADMIT_POLICY, check_web_search_options,
	    "needs the web plugin; reserved as web search" },
	/* Refused, with what to do instead. */
	{ "preset", ADMIT_REFUSE, NULL,
	    "a preset may select models that policy has not checked; name the model instead" },
	{ "debug", ADMIT_REFUSE, NULL, "upstream debugging is not offered through the broker" },
	{ "service_tier", ADMIT_REFUSE, NULL,
	    "a service tier changes the price, which the broker cannot reserve for" },
	{ "audio", ADMIT_REFUSE, NULL,
	    "audio output is priced apart and the broker cannot reserve for it" },
	{ "prompt", ADMIT_REFUSE, NULL,
	    "this is the chat endpoint; send \"messages\" instead of \"prompt\"" },
};
#undef FWD

static int
finish_chat(struct admit_ctx *ctx)
{
	struct json_object *usage;

	if (!json_object_object_get_ex(ctx->body, "messages", NULL))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"messages\" must be a non-empty array, e.g. "
		    "[{\"role\":\"user\",\"content\":\"Hello\"}]");
	admit_set_identity(ctx);
	/* Usage accounting on every request: the cost it reports is the truth. */
	usage = json_object_new_object();
	json_object_object_add(usage, "include", json_object_new_boolean(1));
	json_object_object_add(ctx->body, "usage", usage);
	return 0;
}

const struct admit_shape admit_shape_chat = {
	.name = "chat completions",
	.body_hint = "\"messages\"",
	.fields = chat_fields,
	.n_fields = sizeof(chat_fields) / sizeof(chat_fields[0]),
	.model_field = "model",
	.list_field = "models",
	.cap_fields = chat_caps,
	.cap_default = "max_tokens",
	.identity_field = "user",
	.finish = finish_chat,
};
