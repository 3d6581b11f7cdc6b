/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * upstream_openrouter.c: OpenRouter's API (see upstream_api.h, and
 * doc/design.md, "Wire shapes"): one endpoint per wire under /api/v1,
 * HTTP-Referer and X-OpenRouter-Title for attribution, X-Generation-Id on every answer, and GET /generation?id=
 * for the cost once it is known.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "orad/upstream.h"
#include "orad/upstream_api.h"
#include "orad/wire.h"

/* The characters of a generation id we are willing to put in a URL. */
#define GENERATION_ID_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"

static const struct {
	const struct orad_wire *wire;
	const char *path;
} paths[] = {
	{ &wire_chat, "/chat/completions" },
	{ &wire_messages, "/messages" },
	{ &wire_responses, "/responses" },
};

static const char *
openrouter_wire_path(const struct orad_wire *w)
{
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (paths[i].wire == w)
			return paths[i].path;
	return NULL;
}

static size_t
openrouter_attribution(const char *referer, const char *title, char *out[UPSTREAM_API_MAX_ATTRIBUTION])
{
	size_t n = 0;

	if (referer != NULL)
		out[n++] = ora_xasprintf("HTTP-Referer: %s", referer);
	if (title != NULL) {
		/* OpenRouter's current name; it still reads the older X-Title,
		 * but sending both only adds bytes to every request (libcurl
		 * formats each header line per transfer). */
		out[n++] = ora_xasprintf("X-OpenRouter-Title: %s", title);
	}
	return n;
}

/* Statuses OpenRouter uses for "try again": rate limited, provider down,
 * timeouts at the edge, overloaded. */
static int
openrouter_retryable(long status)
{
	return status == 429 || status == 502 || status == 503 || status == 524 || status == 529;
}

/* Retry-After in seconds, or X-RateLimit-Reset (a time in ms since the
 * epoch), whichever is later. */
static long
openrouter_asked_wait_ms(const struct upstream_headers *h)
{
	unsigned long v;
	long wait = 0;

	if (h->retry_after[0] && ora_parse_ulong(h->retry_after, 86400, &v) == 0)
		wait = (long)v * 1000;
	if (h->ratelimit_reset[0] && ora_parse_ulong(h->ratelimit_reset, (unsigned long)-1, &v) == 0) {
		long until = (long)((int64_t)v - ora_wall_ms());
		if (until > wait)
			wait = until;
	}
	return wait;
}

static char *
openrouter_generation_url(const char *base_url, const char *id)
{
	if (id[0] == '\0' || strspn(id, GENERATION_ID_CHARS) != strlen(id))
		return NULL;
	return ora_xasprintf("%s/generation?id=%s", base_url, id);
}

static int64_t
get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return 0;
}

/* {"data": {"total_cost": number, "tokens_prompt", "tokens_completion",
 * "native_tokens_reasoning", "model", ...}} */
static int
openrouter_generation_parse(const char *body, struct upstream_generation *g)
{
	struct json_object *root = json_tokener_parse(body), *data, *cost, *model;
	int rc = -1;

	memset(g, 0, sizeof(*g));
	if (root != NULL && json_object_object_get_ex(root, "data", &data) &&
	    json_object_object_get_ex(data, "total_cost", &cost) &&
	    (json_object_is_type(cost, json_type_double) || json_object_is_type(cost, json_type_int)) &&
	    ora_money_parse(json_object_get_string(cost), &g->cost) == 0) {
		ora_strlcpy(g->cost_text, json_object_get_string(cost), sizeof(g->cost_text));
		g->tokens_prompt = get_int(data, "tokens_prompt");
		g->tokens_completion = get_int(data, "tokens_completion");
		g->tokens_reasoning = get_int(data, "native_tokens_reasoning");
		if (json_object_object_get_ex(data, "model", &model) && model != NULL)
			g->model = ora_xstrdup(json_object_get_string(model));
		rc = 0;
	}
	json_object_put(root);
	return rc;
}

const struct orad_upstream_api upstream_openrouter = {
	.name = "openrouter",
	.wire_path = openrouter_wire_path,
	.generation_id_header = "X-Generation-Id",
	.ratelimit_limit_header = "X-RateLimit-Limit",
	.ratelimit_remaining_header = "X-RateLimit-Remaining",
	.ratelimit_reset_header = "X-RateLimit-Reset",
	.attribution = openrouter_attribution,
	.retryable = openrouter_retryable,
	.asked_wait_ms = openrouter_asked_wait_ms,
	.generation_url = openrouter_generation_url,
	.generation_parse = openrouter_generation_parse,
};

const struct orad_upstream_api *
upstream_api(void)
{
	return &upstream_openrouter;
}

void
upstream_generation_clear(struct upstream_generation *g)
{
	free(g->model);
	g->model = NULL;
}
