/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_provider.c: `provider`, OpenRouter's routing preferences. A role
 * and a cost centre may enforce some (ora.conf `provider = { ... }`); the
 * centre narrows the role, and a client's own object may only narrow the
 * result, never widen it:
 *
 *   data_collection  "deny" wins over "allow"
 *   zdr              true wins over false
 *   only             intersected (then every ignored name removed)
 *   ignore           united
 *   max_price        the lower of each part
 *   allow_fallbacks  false wins over true
 *
 * The same narrowing merges role with centre and site with client, so
 * "prod traffic never goes to a provider that trains on it" holds whatever
 * the client sends. Other client keys (order, sort, quantizations, ...)
 * are checked for type and forwarded: they choose among what is left.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admit/admit_internal.h"
#include "orad/reply.h"

static const char *const price_parts[ORA_N_PRICE_PARTS] = { "prompt", "completion", "request",
	"image" };

enum key_type { K_BOOL, K_NAMES, K_STRING_OR_OBJECT, K_NUMBER_OR_OBJECT, K_DATA, K_PRICE };
static const struct {
	const char *name;
	enum key_type type;
} client_keys[] = {
	{ "order", K_NAMES },
	{ "only", K_NAMES },
	{ "ignore", K_NAMES },
	{ "quantizations", K_NAMES },
	{ "allow_fallbacks", K_BOOL },
	{ "require_parameters", K_BOOL },
	{ "zdr", K_BOOL },
	{ "enforce_distillable_text", K_BOOL },
	{ "data_collection", K_DATA },
	{ "sort", K_STRING_OR_OBJECT },
	{ "max_price", K_PRICE },
	{ "preferred_min_throughput", K_NUMBER_OR_OBJECT },
	{ "preferred_max_latency", K_NUMBER_OR_OBJECT },
};

static int
is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int);
}

static int
price_of(struct json_object *v, ora_pico *out)
{
	if (!is_number(v) && !json_object_is_type(v, json_type_string))
		return -1;
	return ora_money_parse(json_object_get_string(v), out) != 0 || *out < 0 ? -1 : 0;
}

static int
check_key(struct admit_ctx *ctx, const char *key, struct json_object *v, enum key_type t)
{
	switch (t) {
	case K_BOOL:
		if (json_object_is_type(v, json_type_boolean))
			return 0;
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"provider.%s\" must be true or false", key);
	case K_NAMES:
		if (json_object_is_type(v, json_type_array) &&
		    json_object_array_length(v) <= ADMIT_PROVIDER_NAMES_MAX) {
			size_t i, n = json_object_array_length(v);
			for (i = 0; i < n; i++)
				if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
					break;
			if (i == n)
				return 0;
		}
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"provider.%s\" must be an array of at most %d provider names", key,
		    ADMIT_PROVIDER_NAMES_MAX);
	case K_DATA:
		if (json_object_is_type(v, json_type_string) &&
		    (strcmp(json_object_get_string(v), "allow") == 0 ||
		        strcmp(json_object_get_string(v), "deny") == 0))
			return 0;
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"provider.data_collection\" must be \"allow\" or \"deny\"");
	case K_STRING_OR_OBJECT:
		if (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_object))
			return 0;
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"provider.%s\" must be a string or an object", key);
	case K_NUMBER_OR_OBJECT:
		if (is_number(v) || json_object_is_type(v, json_type_object))
			return 0;
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"provider.%s\" must be a number or an object", key);
	case K_PRICE:
	default:
		if (!json_object_is_type(v, json_type_object))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"provider.max_price\" must be an object such as {\"prompt\":1,"
			    "\"completion\":2} (USD per million tokens)");
		json_object_object_foreach(v, part, pv) {
			ora_pico p;
			size_t i;
			for (i = 0; i < ORA_N_PRICE_PARTS; i++)
				if (strcmp(part, price_parts[i]) == 0)
					break;
			if (i == ORA_N_PRICE_PARTS || price_of(pv, &p) != 0)
				return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
				    "\"provider.max_price\" holds prompt, completion, request and image, "
				    "each a non-negative number ('%.64s' is not one)", part);
		}
		return 0;
	}
}

int
admit_check_provider(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	if (json_object_is_type(v, json_type_null)) {
		json_object_object_del(ctx->body, name);
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be an object such as {\"data_collection\":\"deny\"}", name);
	json_object_object_foreach(v, key, val) {
		size_t i;
		for (i = 0; i < sizeof(client_keys) / sizeof(client_keys[0]); i++)
			if (strcmp(client_keys[i].name, key) == 0)
				break;
		if (i == sizeof(client_keys) / sizeof(client_keys[0]))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"provider.%.64s\" is not understood by this broker", key);
		if (check_key(ctx, key, val, client_keys[i].type) != 0)
			return -1;
	}
	return 0;
}

static struct json_object *
names_json(char *const *names, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(names[i]));
	return a;
}

static struct json_object *
prefs_json(const struct ora_provider_prefs *p)
{
	struct json_object *o, *mp;
	char text[ORA_MONEY_TEXT_MAX];

	if (p == NULL || !p->set)
		return NULL;
	o = json_object_new_object();
	if (p->data_collection != ORA_DATA_UNSET)
		json_object_object_add(o, "data_collection", json_object_new_string(
		    p->data_collection == ORA_DATA_DENY ? "deny" : "allow"));
	if (p->zdr)
		json_object_object_add(o, "zdr", json_object_new_boolean(1));
	if (p->n_only > 0)
		json_object_object_add(o, "only", names_json(p->only, p->n_only));
	if (p->n_ignore > 0)
		json_object_object_add(o, "ignore", names_json(p->ignore, p->n_ignore));
	if (p->max_price.set != 0) {
		mp = json_object_new_object();
		for (int i = 0; i < ORA_N_PRICE_PARTS; i++) {
			if (!(p->max_price.set & (1u << i)))
				continue;
			ora_money_format(p->max_price.usd[i], text, sizeof(text));
			json_object_object_add(mp, price_parts[i],
			    json_object_new_double_s((double)p->max_price.usd[i] / 1e12, text));
		}
		json_object_object_add(o, "max_price", mp);
	}
	return o;
}

static int
has_name(struct json_object *list, const char *name)
{
	for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++)
		if (strcasecmp(json_object_get_string(json_object_array_get_idx(list, i)), name) == 0)
			return 1;
	return 0;
}

static int
get_array(struct json_object *o, const char *key, struct json_object **out)
{
	*out = NULL;
	return json_object_object_get_ex(o, key, out) && json_object_is_type(*out, json_type_array);
}

/* Narrow `into` (a copy the caller owns) by `by`: after this, `into`
 * allows nothing that `by` forbids. -1 with why set when nothing is left. */
static int
narrow(struct json_object *into, struct json_object *by, char *why, size_t why_size)
{
	struct json_object *v, *w, *only_by, *only_in, *ign_by, *ign_in;

	if (by == NULL)
		return 0;
	if (json_object_object_get_ex(by, "data_collection", &v) &&
	    strcmp(json_object_get_string(v), "deny") == 0)
		json_object_object_add(into, "data_collection", json_object_new_string("deny"));
	else if (v != NULL && !json_object_object_get_ex(into, "data_collection", NULL))
		json_object_object_add(into, "data_collection", json_object_get(v));
	if (json_object_object_get_ex(by, "zdr", &v) && json_object_get_boolean(v))
		json_object_object_add(into, "zdr", json_object_new_boolean(1));
	if (json_object_object_get_ex(by, "allow_fallbacks", &v) && !json_object_get_boolean(v))
		json_object_object_add(into, "allow_fallbacks", json_object_new_boolean(0));
	/* ignore: united. */
	get_array(by, "ignore", &ign_by);
	if (ign_by != NULL) {
		struct json_object *u = json_object_new_array();
		if (get_array(into, "ignore", &ign_in))
			for (size_t i = 0; i < json_object_array_length(ign_in); i++)
				json_object_array_add(u, json_object_get(json_object_array_get_idx(ign_in, i)));
		for (size_t i = 0; i < json_object_array_length(ign_by); i++) {
			const char *n = json_object_get_string(json_object_array_get_idx(ign_by, i));
			if (!has_name(u, n))
				json_object_array_add(u, json_object_new_string(n));
		}
		json_object_object_add(into, "ignore", u);
	}
	/* only: intersected, then stripped of every ignored name. */
	get_array(by, "only", &only_by);
	get_array(into, "only", &only_in);
	get_array(into, "ignore", &ign_in);
	if (only_by != NULL || only_in != NULL) {
		struct json_object *src = only_in != NULL ? only_in : only_by;
		struct json_object *r = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(src); i++) {
			const char *n = json_object_get_string(json_object_array_get_idx(src, i));
			if ((only_by == NULL || only_in == NULL || has_name(only_by, n)) &&
			    !has_name(ign_in, n))
				json_object_array_add(r, json_object_new_string(n));
		}
		json_object_object_add(into, "only", r);
		if (json_object_array_length(r) == 0) {
			snprintf(why, why_size,
			    "provider.only leaves no provider once the site's only and ignore lists "
			    "apply");
			return -1;
		}
	}
	/* max_price: the lower of each part. */
	if (json_object_object_get_ex(by, "max_price", &v)) {
		if (!json_object_object_get_ex(into, "max_price", &w) ||
		    !json_object_is_type(w, json_type_object)) {
			w = json_object_new_object();
			json_object_object_add(into, "max_price", w);
		}
		json_object_object_foreach(v, part, pv) {
			struct json_object *cur;
			ora_pico a, b;
			if (!json_object_object_get_ex(w, part, &cur) || price_of(cur, &a) != 0 ||
			    (price_of(pv, &b) == 0 && b < a))
				json_object_object_add(w, part, json_object_get(pv));
		}
	}
	return 0;
}

struct json_object *
admit_site_provider(const struct ora_role *role, const struct ora_cost_centre *cc)
{
	struct json_object *site = prefs_json(role != NULL ? &role->provider : NULL);
	struct json_object *centre = prefs_json(cc != NULL ? &cc->provider : NULL);
	char why[256];

	if (site == NULL)
		return centre;
	if (centre != NULL) {
		/* An empty `only` stays in the object: it then refuses everything,
		 * which is what two disjoint lists mean. */
		(void)narrow(site, centre, why, sizeof(why));
		json_object_put(centre);
	}
	return site;
}

int
admit_apply_site_provider(struct admit_ctx *ctx)
{
	struct json_object *site = admit_site_provider(ctx->c->rule->role, ctx->c->cc), *client;
	char why[256];
	int r = 0;

	if (json_object_object_get_ex(ctx->body, "provider", &client)) {
		if (narrow(client, site, why, sizeof(why)) != 0)
			r = admit_refuse(ctx, 403, ORA_ERR_NOT_PERMITTED,
			    "%s (role %s, cost centre %s)", why, ctx->c->rule->role->name,
			    ctx->c->cc != NULL ? ctx->c->cc->name : "-");
		json_object_put(site);
		return r;
	}
	if (site != NULL) {
		struct json_object *only;
		if (get_array(site, "only", &only) && json_object_array_length(only) == 0)
			r = admit_refuse(ctx, 403, ORA_ERR_NOT_PERMITTED,
			    "the provider lists of role %s and cost centre %s leave no provider; tell %s",
			    ctx->c->rule->role->name, ctx->c->cc != NULL ? ctx->c->cc->name : "-",
			    ctx->c->conf != NULL && ctx->c->conf->contact != NULL
			        ? ctx->c->conf->contact : "the administrator");
		json_object_object_add(ctx->body, "provider", site);
	}
	return r;
}
