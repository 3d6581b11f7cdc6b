/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_messages.c: THE table of every top-level field of an Anthropic
 * Messages request (POST /api/v1/messages, OpenRouter's
 * "Anthropic-compatible" endpoint) and what orad does with it. Written from
 * OpenRouter's API reference "Create a message" (anthropic-messages) and
 * Anthropic's Messages API reference; tests/mock/README.md ("Wire notes")
 * says what was relied on, ora.conf(5) documents the same table.
 *
 * The policy is chat completions': the model and every fallback checked,
 * plugins, provider preferences and the token cap the same. What differs:
 * max_tokens is required (Anthropic's rule, kept so that a client learns it
 * here and not from the upstream), the identity is metadata.user_id, and
 * OpenRouter's `fallbacks` ([{"model": id}], at most 3) is one more
 * spelling of the `models` list, into which it is rewritten so that one
 * list is checked, priced and recorded.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "admit/admit_internal.h"
#include "orad/reply.h"

#define MESSAGES_FALLBACKS_MAX 3      /* OpenRouter's documented limit */
#define MESSAGES_SESSION_ID_MAX 256   /* OpenRouter's documented limit */
#define MESSAGES_USER_ID_MAX 256      /* Anthropic's metadata.user_id */

static int
check_messages(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be a non-empty array, e.g. [{\"role\":\"user\",\"content\":\"Hello\"}]",
		    name);
	/* Images are priced apiece: count the content blocks that are one. */
	admit_count_images(ctx, v, "image");
	return 0;
}

/* Tools the client runs are priced as tokens; a server tool the upstream
 * runs itself (web_search_*, web_fetch_*, code_execution_*, MCP) is priced
 * per use, apart, and the broker cannot reserve for it. Client tools have
 * no type, "custom", or one of Anthropic's client-run schemas. */
static int
check_tools(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	static const char *const client_prefixes[] = { "custom", "bash_", "text_editor_",
		"computer_", "memory_", NULL };

	if (json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST, "\"%s\" must be an array", name);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *type, *t = json_object_array_get_idx(v, i);
		const char *const *p;

		if (!json_object_is_type(t, json_type_object))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s\" entries must be objects", name);
		if (!json_object_object_get_ex(t, "type", &type) ||
		    json_object_is_type(type, json_type_null))
			continue;
		for (p = client_prefixes; *p != NULL; p++)
			if (json_object_is_type(type, json_type_string) &&
			    strncmp(json_object_get_string(type), *p, strlen(*p)) == 0)
				break;
		if (*p == NULL)
			return admit_refuse_server_tool(ctx, name, json_object_get_string(type));
	}
	return 0;
}

static int
check_session_id(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	return admit_check_short_string(ctx, name, v, MESSAGES_SESSION_ID_MAX);
}

/* metadata holds only user_id (Anthropic's schema), which names the end
 * user: the client's is removed, and finish() puts the broker's there. */
static int
check_metadata(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (json_object_is_type(v, json_type_null)) {
		json_object_object_del(ctx->body, name);
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be an object such as {\"user_id\":\"...\"}", name);
	json_object_object_foreach(v, key, val) {
		if (strcmp(key, "user_id") != 0)
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s.%.64s\" is not understood; Anthropic's metadata holds only user_id",
			    name, key);
		if (!json_object_is_type(val, json_type_null) &&
		    (!json_object_is_type(val, json_type_string) ||
		        json_object_get_string_len(val) > MESSAGES_USER_ID_MAX))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s.user_id\" must be a string of at most %d characters", name,
			    MESSAGES_USER_ID_MAX);
	}
	json_object_object_del(v, "user_id");
	return 0;
}

/* fallbacks: [{"model": id}, ...], at most 3, not with `models`. Each
 * entry may hold only `model` (OpenRouter refuses per-attempt overrides),
 * and becomes an entry of `models`, checked there like any model. */
static int
check_fallbacks(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	struct json_object *models, *m;
	size_t n;

	if (json_object_is_type(v, json_type_null)) {
		json_object_object_del(ctx->body, name);
		return 0;
	}
	if (json_object_object_get_ex(ctx->body, ctx->shape->list_field, NULL))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" cannot be combined with \"%s\"; send one list of fallback models", name,
		    ctx->shape->list_field);
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > MESSAGES_FALLBACKS_MAX)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be an array of at most %d {\"model\": id} objects", name,
		    MESSAGES_FALLBACKS_MAX);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_object) || json_object_object_length(e) != 1 ||
		    !json_object_object_get_ex(e, "model", &m))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s\" entries must be {\"model\": id} and nothing else", name);
	}
	models = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object_object_get_ex(json_object_array_get_idx(v, i), "model", &m);
		json_object_array_add(models, json_object_get(m));
	}
	json_object_object_del(ctx->body, name);
	json_object_object_add(ctx->body, ctx->shape->list_field, models);
	return 0;
}

/* thinking: {"type":"enabled","budget_tokens":N}, {"type":"disabled"} or
 * {"type":"adaptive"}. Thinking tokens are billed as output: budget_tokens
 * is bounded by the role's cap (and, in finish(), kept below max_tokens as
 * Anthropic requires) and counted in the reservation like
 * reasoning.max_tokens. */
static int
check_thinking(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	static const char *const keys[] = { "type", "budget_tokens", NULL };
	static const char *const types[] = { "enabled", "disabled", "adaptive", NULL };
	const struct ora_role *role = ctx->c->rule->role;
	struct json_object *type, *budget;
	int64_t n;

	if (json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_object) ||
	    !json_object_object_get_ex(v, "type", &type) ||
	    !json_object_is_type(type, json_type_string) ||
	    !admit_in_list(json_object_get_string(type), types))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be an object such as {\"type\":\"enabled\",\"budget_tokens\":1024}; "
		    "type is enabled, disabled or adaptive", name);
	json_object_object_foreach(v, key, val) {
		(void)val;
		if (!admit_in_list(key, keys))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s.%.64s\" is not understood; the thinking fields are type and "
			    "budget_tokens", name, key);
	}
	if (!json_object_object_get_ex(v, "budget_tokens", &budget))
		return 0;
	if (!admit_is_int(budget) || (n = json_object_get_int64(budget)) <= 0)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s.budget_tokens\" must be a positive integer", name);
	if (role->max_tokens > 0 && n > role->max_tokens) {
		n = role->max_tokens;
		json_object_object_add(v, "budget_tokens", json_object_new_int64(n));
	}
	ctx->reasoning_tokens = n;
	return 0;
}

static const char *const messages_caps[] = { "max_tokens", NULL };

#define FWD(n) { n, ADMIT_FORWARD, NULL, "forwarded as is" }
static const struct admit_field messages_fields[] = {
	/* Forwarded: they change neither model, provider nor price. */
	{ "messages", ADMIT_FORWARD, check_messages, "must be a non-empty array" },
	{ "stream", ADMIT_FORWARD, admit_check_stream, "true or false" },
	FWD("system"), FWD("temperature"), FWD("top_p"), FWD("top_k"), FWD("stop_sequences"),
	{ "tools", ADMIT_FORWARD, check_tools,
	    "forwarded; tools the upstream runs itself (web search, code execution) refused" },
	FWD("tool_choice"), FWD("cache_control"), FWD("context_management"),
	FWD("output_config"), FWD("trace"),
	{ "session_id", ADMIT_FORWARD, check_session_id,
	    "forwarded (a grouping label for observability, not an identity)" },
	/* Rewritten by orad. */
	{ "model", ADMIT_REWRITE, NULL, "validated, aliases resolved, checked" },
	{ "models", ADMIT_REWRITE, NULL, "each checked; the role's fallbacks added" },
	{ "fallbacks", ADMIT_REWRITE, check_fallbacks,
	    "each checked; sent as the equivalent \"models\" list" },
	{ "max_tokens", ADMIT_REWRITE, NULL, "required; lowered to the role's cap" },
	{ "metadata", ADMIT_REWRITE, check_metadata,
	    "user_id replaced by the broker's (upstream.user_field)" },
	{ "user", ADMIT_REWRITE, admit_check_removed,
	    "removed: the broker names the end user in metadata.user_id" },
	/* Governed by policy. */
	{ "plugins", ADMIT_POLICY, admit_check_plugins, "allowed by id per role and cost centre" },
	{ "provider", ADMIT_POLICY, admit_check_provider, "may only narrow the site's" },
	{ "thinking", ADMIT_POLICY, check_thinking, "budget_tokens bounded by the role's cap" },
	{ "route", ADMIT_POLICY, admit_check_route, "only \"fallback\"" },
	/* Refused, with what to do instead. */
	{ "service_tier", ADMIT_REFUSE, NULL,
	    "a service tier changes the price, which the broker cannot reserve for" },
	{ "speed", ADMIT_REFUSE, NULL,
	    "a faster mode changes the price, which the broker cannot reserve for" },
	{ "inference_geo", ADMIT_REFUSE, NULL,
	    "a chosen inference region changes the price, which the broker cannot reserve for" },
	{ "container", ADMIT_REFUSE, NULL,
	    "server-side code execution containers are priced apart and not offered" },
	{ "mcp_servers", ADMIT_REFUSE, NULL,
	    "remote MCP servers called by the upstream are not offered through the broker" },
};
#undef FWD

/* Anthropic rejects a thinking budget that is not below max_tokens: when
 * the role's cap lowered max_tokens under the budget, the budget follows. */
static void
fit_thinking(struct admit_ctx *ctx)
{
	const struct ora_role *role = ctx->c->rule->role;
	struct json_object *thinking, *budget;

	if (!json_object_object_get_ex(ctx->body, "thinking", &thinking) ||
	    !json_object_object_get_ex(thinking, "budget_tokens", &budget) ||
	    role->max_tokens <= 0 || ctx->max_tokens != role->max_tokens ||
	    ctx->reasoning_tokens < ctx->max_tokens || ctx->max_tokens < 2)
		return;
	ctx->reasoning_tokens = ctx->max_tokens - 1;
	json_object_object_add(thinking, "budget_tokens",
	    json_object_new_int64(ctx->reasoning_tokens));
}

static int
finish_messages(struct admit_ctx *ctx)
{
	if (!json_object_object_get_ex(ctx->body, "messages", NULL))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"messages\" must be a non-empty array, e.g. "
		    "[{\"role\":\"user\",\"content\":\"Hello\"}]");
	fit_thinking(ctx);
	admit_set_identity(ctx);
	return 0;
}

const struct admit_shape admit_shape_messages = {
	.name = "Anthropic Messages",
	.body_hint = "\"model\", \"max_tokens\" and \"messages\"",
	.fields = messages_fields,
	.n_fields = sizeof(messages_fields) / sizeof(messages_fields[0]),
	.model_field = "model",
	.list_field = "models",
	.cap_fields = messages_caps,
	.cap_default = "max_tokens",
	.cap_required = 1,
	.identity_field = "metadata.user_id",
	.finish = finish_messages,
};
