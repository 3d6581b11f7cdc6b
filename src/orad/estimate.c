#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "orad/catalog.h"
#include "orad/estimate.h"

#define FALLBACK_COMPLETION_TOKENS 32768 /* when the catalog gives no bound */

struct prices {
	ora_pico prompt;     /* per token */
	ora_pico completion; /* per token */
	ora_pico request;    /* per request */
	int64_t max_completion;
};

static ora_pico
price_of(struct json_object *pricing, const char *key)
{
	struct json_object *v;
	ora_pico p = 0;

	/* Missing means free; "-1" (router models) or junk means unknown,
	 * which must not come out cheaper than it is: callers treat a
	 * negative price as unknown. */
	if (!json_object_object_get_ex(pricing, key, &v))
		return 0;
	if (ora_money_parse(json_object_get_string(v), &p) != 0 || p < 0)
		return -1;
	return p;
}

static int64_t
get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return 0;
}

/* Prices of one catalog model; -1 if any is unknown. */
static int
model_prices(struct json_object *m, struct prices *p)
{
	struct json_object *pricing = NULL, *top = NULL;

	memset(p, 0, sizeof(*p));
	if (!json_object_object_get_ex(m, "pricing", &pricing))
		return -1;
	p->prompt = price_of(pricing, "prompt");
	p->completion = price_of(pricing, "completion");
	p->request = price_of(pricing, "request");
	if (p->prompt < 0 || p->completion < 0 || p->request < 0)
		return -1;
	json_object_object_get_ex(m, "top_provider", &top);
	p->max_completion = get_int(top, "max_completion_tokens");
	if (p->max_completion <= 0)
		p->max_completion = get_int(m, "context_length");
	return 0;
}

static void
take_max(struct prices *acc, const struct prices *p)
{
	if (p->prompt > acc->prompt)
		acc->prompt = p->prompt;
	if (p->completion > acc->completion)
		acc->completion = p->completion;
	if (p->request > acc->request)
		acc->request = p->request;
	if (p->max_completion > acc->max_completion)
		acc->max_completion = p->max_completion;
}

/* The dearest prices in the whole catalog: the bound for unknown models. */
static void
catalog_max(const struct orad_catalog *cat, struct prices *acc)
{
	struct json_object *all = catalog_models(cat);
	struct prices p;

	for (size_t i = 0; all != NULL && i < json_object_array_length(all); i++)
		if (model_prices(json_object_array_get_idx(all, i), &p) == 0)
			take_max(acc, &p);
}

static void
add_model(const struct orad_catalog *cat, const char *id, struct prices *acc, int *used_max)
{
	struct json_object *m = catalog_find(cat, id);
	struct prices p;

	if (m != NULL && model_prices(m, &p) == 0) {
		take_max(acc, &p);
	} else if (!*used_max) {
		catalog_max(cat, acc);
		*used_max = 1;
	}
}

int
estimate_cost(const struct orad_catalog *cat, struct json_object *body, size_t body_bytes,
    ora_pico *out, char *why, size_t why_size)
{
	struct prices acc = { 0, 0, 0, 0 };
	struct json_object *v;
	int used_max = 0;
	int64_t completion = 0;

	if (catalog_models(cat) == NULL) {
		snprintf(why, why_size,
		    "the broker cannot price this request yet (no model list from the upstream), so "
		    "it cannot check your budget; try again in a few seconds");
		return -1;
	}
	if (json_object_object_get_ex(body, "model", &v))
		add_model(cat, json_object_get_string(v), &acc, &used_max);
	if (json_object_object_get_ex(body, "models", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			add_model(cat, json_object_get_string(json_object_array_get_idx(v, i)), &acc,
			    &used_max);
	completion = get_int(body, "max_tokens");
	if (get_int(body, "max_completion_tokens") > completion)
		completion = get_int(body, "max_completion_tokens");
	if (completion <= 0)
		completion = acc.max_completion > 0 ? acc.max_completion : FALLBACK_COMPLETION_TOKENS;
	*out = ora_money_add(ora_money_add(ora_money_mul(acc.prompt, (int64_t)body_bytes),
	                         ora_money_mul(acc.completion, completion)),
	    acc.request);
	return 0;
}
