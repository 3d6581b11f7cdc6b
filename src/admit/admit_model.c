/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_model.c: model ids and the patterns that allow them.
 *
 * A model id is validated before any policy: the upstream must read the
 * same model that policy checked and the ledger records. So an id is one
 * "vendor/name[:variant]" of OpenRouter's slug characters, with no NUL (the
 * JSON string's length equals its C length), no control character, no
 * "..", and no "@" form (presets choose models of their own).
 *
 * Patterns: '*' matches within one part of an id; it never crosses '/',
 * and a ":variant" or "@" form matches only where the pattern names it,
 * because variants change the price or the provider (":online" adds paid
 * web search, ":nitro" picks faster, dearer providers).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "admit/admit_internal.h"
#include "common/util.h"
#include "orad/reply.h"

#define SLUG_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/:"

/* Variants OpenRouter resolves itself (no catalog entry of their own): the
 * base model's price applies, plus web search for :online. */
static const char *const routing_variants[] = { "nitro", "floor", "online", "exacto" };

int
admit_model_id_valid(const char *id, size_t len, const char **why)
{
	const char *slash, *colon, *w = NULL;

	if (id == NULL || len != strlen(id))
		w = "it holds a NUL character";
	else if (len == 0)
		w = "it is empty";
	else if (len > ADMIT_MODEL_ID_MAX)
		w = "it is longer than any model id";
	else if (id[0] == '@' || strchr(id, '@') != NULL)
		w = "presets and other @ forms are not accepted: they may choose models policy has "
		    "not checked; name the model itself";
	else if (strspn(id, SLUG_CHARS) != len)
		w = "it holds a character model ids do not use (letters, digits, . _ - / : only)";
	else if (strstr(id, "..") != NULL)
		w = "it holds \"..\"";
	else if ((slash = strchr(id, '/')) == NULL || strchr(slash + 1, '/') != NULL ||
	         slash == id || slash[1] == '\0' || slash[1] == ':' || slash[1] == '.' ||
	         id[0] == '.')
		w = "a model id is vendor/name, e.g. openai/gpt-4o-mini";
	else if ((colon = strchr(id, ':')) != NULL &&
	         (colon < slash || strchr(colon + 1, ':') != NULL || colon[1] == '\0'))
		w = "a variant is one :suffix after the name, e.g. vendor/name:free";
	if (why != NULL)
		*why = w;
	return w == NULL;
}

int
admit_pattern_match(const char *pattern, const char *id)
{
	/* One matcher for policy, oractl check and explain: src/common/util.c. */
	return ora_glob_match(pattern, id);
}

/* A variant OpenRouter resolves from the base model: 1 and *variant set. */
static int
routing_variant(const char *id, char *base, size_t base_size, const char **variant)
{
	const char *colon = strchr(id, ':');

	if (colon == NULL || (size_t)(colon - id) >= base_size)
		return 0;
	for (size_t i = 0; i < sizeof(routing_variants) / sizeof(routing_variants[0]); i++) {
		if (strcmp(colon + 1, routing_variants[i]) == 0) {
			memcpy(base, id, (size_t)(colon - id));
			base[colon - id] = '\0';
			*variant = routing_variants[i];
			return 1;
		}
	}
	return 0;
}

/* The catalog entry that prices id: its own, or its base model's for a
 * routing variant. NULL if unknown. */
static struct json_object *
priced_entry(const struct admit_ctx *ctx, const char *id, const char **variant)
{
	struct json_object *m = admit_catalog_find(ctx, id);
	char base[ADMIT_MODEL_ID_MAX + 1];

	*variant = NULL;
	if (m == NULL && routing_variant(id, base, sizeof(base), variant))
		m = admit_catalog_find(ctx, base);
	return m;
}

int
admit_check_model_id(struct admit_ctx *ctx, const char *field, struct json_object *v,
    const char **resolved)
{
	const char *id, *why, *variant, *target;
	char allowed[1024];

	if (!json_object_is_type(v, json_type_string))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must hold model ids as strings, e.g. \"%s\"", field,
		    ctx->c->rule->role->default_model);
	id = json_object_get_string(v);
	/* Aliases are looked up by the whole string only. */
	if ((size_t)json_object_get_string_len(v) == strlen(id) &&
	    (target = ora_conf_alias(ctx->c->conf, id)) != NULL) {
		id = target; /* an alias never reaches what the role does not allow */
		if (!admit_model_id_valid(id, strlen(id), &why))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s\" names '%.*s', which is not a model id: %s", field,
			    ADMIT_MODEL_ID_MAX, id, why);
	} else if (!admit_model_id_valid(id, (size_t)json_object_get_string_len(v), &why)) {
		/* Checked once: valid, it is also valid at strlen (no NUL). */
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" names '%.*s', which is not a model id: %s", field,
		    ADMIT_MODEL_ID_MAX, id, why);
	}
	if (!admit_model_allowed(ctx, id)) {
		admit_describe_allowed(ctx, allowed, sizeof(allowed));
		return admit_refuse(ctx, 403, ORA_ERR_MODEL_NOT_ALLOWED,
		    "model '%s' (in \"%s\") is not allowed for you (user %s, role %s, cost centre "
		    "%s); allowed: %s",
		    id, field, ctx->c->user != NULL ? ctx->c->user : "?",
		    ctx->c->rule->role->name, ctx->c->cc != NULL ? ctx->c->cc->name : "-", allowed);
	}
	/* An unknown model cannot be priced; pricing it at the dearest model
	 * let one user burn a shared budget. Without a catalog yet, nothing
	 * can be checked: the caller refuses when a budget needs a price. */
	if (ctx->cat != NULL && ctx->cat->by_id != NULL && priced_entry(ctx, id, &variant) == NULL)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "model '%s' (in \"%s\") is not in the upstream's model list, so it can be "
		    "neither checked nor priced; see GET /v1/models for the ids", id, field);
	*resolved = id;
	return 0;
}

/* The role's fallback models, as OpenRouter's `models` list (the
 * requested model first), when the request has no list of its own; only
 * fallbacks this centre allows and the catalog knows. */
static void
add_fallbacks(struct admit_ctx *ctx)
{
	const struct ora_role *role = ctx->c->rule->role;
	struct json_object *models;
	const char *variant;

	if (role->n_fallbacks == 0 ||
	    json_object_object_get_ex(ctx->body, ctx->shape->list_field, NULL))
		return;
	models = json_object_new_array();
	json_object_array_add(models, json_object_new_string(ctx->model));
	for (size_t i = 0; i < role->n_fallbacks; i++)
		if (strcmp(role->fallbacks[i], ctx->model) != 0 &&
		    admit_model_allowed(ctx, role->fallbacks[i]) &&
		    (ctx->cat == NULL || ctx->cat->by_id == NULL ||
		        priced_entry(ctx, role->fallbacks[i], &variant) != NULL))
			json_object_array_add(models, json_object_new_string(role->fallbacks[i]));
	if (json_object_array_length(models) > 1)
		json_object_object_add(ctx->body, ctx->shape->list_field, models);
	else
		json_object_put(models);
}

static int
check_list(struct admit_ctx *ctx)
{
	const char *field = ctx->shape->list_field;
	struct json_object *models;
	size_t n;

	if (!json_object_object_get_ex(ctx->body, field, &models))
		return 0;
	if (json_object_is_type(models, json_type_null)) {
		json_object_object_del(ctx->body, field);
		return 0;
	}
	if (!json_object_is_type(models, json_type_array))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be an array of model ids", field);
	if ((n = json_object_array_length(models)) > ADMIT_MAX_MODELS)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" lists %zu models; at most %d are accepted", field, n, ADMIT_MAX_MODELS);
	for (size_t i = 0; i < n; i++) {
		const char *id;
		if (admit_check_model_id(ctx, field, json_object_array_get_idx(models, i), &id) != 0)
			return -1;
		json_object_array_put_idx(models, i, json_object_new_string(id));
	}
	return 0;
}

int
admit_models(struct admit_ctx *ctx)
{
	const struct ora_role *role = ctx->c->rule->role;
	const char *field = ctx->shape->model_field, *id;
	struct json_object *v;

	if (!json_object_object_get_ex(ctx->body, field, &v) ||
	    json_object_is_type(v, json_type_null)) {
		v = json_object_new_string(role->default_model);
		json_object_object_add(ctx->body, field, v);
	}
	if (admit_check_model_id(ctx, field, v, &id) != 0)
		return -1;
	v = json_object_new_string(id);
	json_object_object_add(ctx->body, field, v);
	ctx->model = json_object_get_string(v);
	if (check_list(ctx) != 0)
		return -1;
	add_fallbacks(ctx);
	return 0;
}
