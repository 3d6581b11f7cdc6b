/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_price.c: an upper bound of what a request can cost, from the
 * catalog's own prices, reserved against budgets before it is sent. Every
 * priced component the catalog lists for a model counts:
 *
 *   prompt       at most one token per byte of the request body, at the
 *                dearer of `prompt` and `input_cache_write`
 *   completion   the effective token cap (after the role's) plus
 *                reasoning.max_tokens, else the model's largest completion,
 *                else its context length, at the dearer of `completion`
 *                and `internal_reasoning`
 *   request      `request`, once per model that runs
 *   image        `image` per image part in the messages
 *   web search   `web_search` per result (web plugin, web_search_options,
 *                ":online"), ADMIT_WEB_RESULT_USD when the catalog is silent
 *
 * With fallbacks or a router, the dearest candidate; with fusion, every
 * model runs, so their sum. A price the catalog gives as unknown ("-1",
 * router models) cannot be bounded: refused, except for the router model
 * itself, whose candidates are priced instead.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit_internal.h"
#include "common/util.h"
#include "orad/reply.h"

enum { PR_PROMPT, PR_CACHE_WRITE, PR_COMPLETION, PR_REASONING, PR_REQUEST, PR_IMAGE,
	PR_WEB, PR_N };
static const char *const price_keys[PR_N] = { "prompt", "input_cache_write", "completion",
	"internal_reasoning", "request", "image", "web_search" };

static int64_t
get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) && admit_is_int(v))
		return json_object_get_int64(v);
	return 0;
}

/* Prices of one catalog model; -1 if any is unknown. Missing means free. */
static int
parse_prices(struct json_object *m, ora_pico p[PR_N])
{
	struct json_object *pricing, *v;

	if (!json_object_object_get_ex(m, "pricing", &pricing) ||
	    !json_object_is_type(pricing, json_type_object))
		return -1;
	for (int i = 0; i < PR_N; i++) {
		p[i] = 0;
		if (json_object_object_get_ex(pricing, price_keys[i], &v) &&
		    (ora_money_parse(json_object_get_string(v), &p[i]) != 0 || p[i] < 0))
			return -1;
	}
	return 0;
}

/* A model's prices as parsed when the catalog was loaded
 * (admit_catalog_prepare), kept on its JSON object: seven decimal prices
 * parsed per request were ~3,800 instructions (issue 17). */
struct model_prices_cache {
	int known; /* parse_prices said 0 */
	ora_pico p[PR_N];
	int64_t completion; /* model_completion's answer */
};

static void
prices_cache_free(struct json_object *m, void *userdata)
{
	(void)m;
	free(userdata);
}

/* The most tokens the model answers with when the request sets no cap. */
static int64_t
model_completion(struct json_object *m)
{
	struct json_object *top = NULL;
	int64_t completion;

	json_object_object_get_ex(m, "top_provider", &top);
	if ((completion = get_int(top, "max_completion_tokens")) <= 0 &&
	    (completion = get_int(m, "context_length")) <= 0)
		completion = ADMIT_FALLBACK_COMPLETION;
	return completion;
}

/* The prices, and the completion bound when the request sets none. */
static int
model_prices(struct json_object *m, ora_pico p[PR_N], int64_t *completion)
{
	const struct model_prices_cache *c = json_object_get_userdata(m);

	if (c == NULL) { /* a catalog not prepared: tests, fuzzers */
		if (parse_prices(m, p) != 0)
			return -1;
		if (completion != NULL)
			*completion = model_completion(m);
		return 0;
	}
	if (!c->known)
		return -1;
	memcpy(p, c->p, sizeof(c->p));
	if (completion != NULL)
		*completion = c->completion;
	return 0;
}

void
admit_catalog_prepare(struct json_object *by_id)
{
	if (by_id == NULL || !json_object_is_type(by_id, json_type_object))
		return;
	json_object_object_foreach(by_id, id, m) {
		struct model_prices_cache *c;

		(void)id;
		if (!json_object_is_type(m, json_type_object))
			continue;
		c = ora_xcalloc(1, sizeof(*c));
		c->known = parse_prices(m, c->p) == 0;
		c->completion = model_completion(m);
		json_object_set_userdata(m, c, prices_cache_free);
	}
}

int
admit_model_priced(struct json_object *m)
{
	ora_pico p[PR_N];

	return model_prices(m, p, NULL) == 0;
}

/* ADMIT_WEB_RESULT_USD, parsed once. */
static ora_pico
web_result_default(void)
{
	static ora_pico v = -1;

	if (v < 0 && ora_money_parse(ADMIT_WEB_RESULT_USD, &v) != 0)
		v = 0;
	return v;
}

static ora_pico
dearer(ora_pico a, ora_pico b)
{
	return a > b ? a : b;
}

/* The bound for one model id; -1 with *unknown set when it has no price. */
static int
price_model(struct admit_ctx *ctx, const char *id, ora_pico *out)
{
	struct json_object *m = admit_catalog_find(ctx, id);
	const char *colon = strchr(id, ':');
	char base[ADMIT_MODEL_ID_MAX + 1];
	int64_t completion, model_cap, web = ctx->web_results;
	ora_pico p[PR_N], c, web_price;

	if (m == NULL && colon != NULL && (size_t)(colon - id) < sizeof(base)) {
		memcpy(base, id, (size_t)(colon - id));
		base[colon - id] = '\0';
		m = admit_catalog_find(ctx, base);
	}
	if (m == NULL || model_prices(m, p, &model_cap) != 0)
		return -1;
	if (colon != NULL && strcmp(colon, ":online") == 0)
		web += ADMIT_WEB_DEFAULT_RESULTS;
	completion = ctx->max_tokens;
	if (completion <= 0)
		completion = model_cap;
	/* Both may be as large as a client writes them when the role sets no
	 * cap: the sum saturates (and so does the price) rather than wrap. */
	if (__builtin_add_overflow(completion, ctx->reasoning_tokens, &completion))
		completion = INT64_MAX;
	web_price = p[PR_WEB];
	if (web_price == 0)
		web_price = web_result_default();
	c = ora_money_mul(dearer(p[PR_PROMPT], p[PR_CACHE_WRITE]), (int64_t)ctx->body_bytes);
	c = ora_money_add(c, ora_money_mul(dearer(p[PR_COMPLETION], p[PR_REASONING]), completion));
	c = ora_money_add(c, p[PR_REQUEST]);
	c = ora_money_add(c, ora_money_mul(p[PR_IMAGE], ctx->images));
	c = ora_money_add(c, ora_money_mul(web_price, web));
	*out = c;
	return 0;
}

static int
unpriced(struct admit_ctx *ctx, const char *id)
{
	return admit_refuse(ctx, 503, ORA_ERR_UNAVAILABLE,
	    "the upstream lists no price for model '%s', so the broker cannot reserve for it; "
	    "name another model", id);
}

int
admit_price(struct admit_ctx *ctx)
{
	struct json_object *models;
	ora_pico total = 0, c;

	if (ctx->cat == NULL || ctx->cat->by_id == NULL)
		return 0; /* priced stays 0: the caller decides */
	if (price_model(ctx, ctx->model, &c) == 0)
		total = c;
	else if (!ctx->uses_router)
		return unpriced(ctx, ctx->model);
	if (json_object_object_get_ex(ctx->body, ctx->shape->list_field, &models))
		for (size_t i = 0; i < json_object_array_length(models); i++) {
			const char *id = json_object_get_string(json_object_array_get_idx(models, i));
			if (price_model(ctx, id, &c) != 0)
				return unpriced(ctx, id);
			total = dearer(total, c);
		}
	for (size_t i = 0; ctx->extra_models != NULL &&
	                   i < json_object_array_length(ctx->extra_models); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ctx->extra_models, i));
		if (price_model(ctx, id, &c) != 0)
			return unpriced(ctx, id);
		total = ctx->fusion ? ora_money_add(total, c) : dearer(total, c);
	}
	ctx->out->priced = 1;
	ctx->out->estimate = total;
	return 0;
}
