/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_plugins.c: `plugins`, by id. None is allowed unless the caller's
 * role or cost centre lists it (`plugins = [ ... ]` in ora.conf). Each
 * known plugin has its own rule:
 *
 *  - routers (auto-router, auto-beta-router, pareto-router) pick the model
 *    that runs: they are forwarded only with allowed_models naming models
 *    the caller may use; when the client gives none, orad fills in every
 *    catalog model the caller may use, so a site can offer auto-routing
 *    safely. fusion runs every model it names: each is checked and each is
 *    reserved for.
 *  - web search costs per result: max_results is bounded (and set when
 *    absent) and reserved at the catalog's pricing.web_search.
 *  - file-parser: "mistral-ocr" is priced per page, which cannot be bounded
 *    before the request runs: refused; orad sets "pdf-text" (free) when the
 *    client names no engine.
 *  - web-fetch: priced per fetch with no bound: refused.
 *  - response-healing, context-compression, moderation: free, forwarded.
 *
 * An id not in this table is refused even when a site lists it, since its
 * cost and its effect on routing are unknown.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "admit/admit_internal.h"
#include "orad/reply.h"

enum plugin_kind { P_FREE, P_WEB, P_FILE_PARSER, P_ROUTER, P_FUSION, P_UNBOUNDED };

struct plugin_rule {
	const char *id;
	enum plugin_kind kind;
	const char *const *keys; /* keys the plugin object may hold */
};

static const char *const free_keys[] = { "id", "enabled", NULL };
static const char *const web_keys[] = { "id", "enabled", "engine", "max_results",
	"search_prompt", NULL };
static const char *const file_keys[] = { "id", "enabled", "pdf", NULL };
static const char *const router_keys[] = { "id", "enabled", "allowed_models",
	"cost_quality_tradeoff", NULL };
static const char *const fusion_keys[] = { "id", "enabled", "models", NULL };

static const struct plugin_rule plugin_rules[] = {
	{ "response-healing", P_FREE, free_keys },
	{ "context-compression", P_FREE, free_keys },
	{ "moderation", P_FREE, free_keys },
	{ "web", P_WEB, web_keys },
	{ "file-parser", P_FILE_PARSER, file_keys },
	{ "auto-router", P_ROUTER, router_keys },
	{ "auto-beta-router", P_ROUTER, router_keys },
	{ "pareto-router", P_ROUTER, router_keys },
	{ "fusion", P_FUSION, fusion_keys },
	{ "web-fetch", P_UNBOUNDED, free_keys },
};

int
admit_plugin_known(const char *id)
{
	for (size_t i = 0; i < sizeof(plugin_rules) / sizeof(plugin_rules[0]); i++)
		if (strcmp(plugin_rules[i].id, id) == 0)
			return 1;
	return 0;
}

static const struct plugin_rule *
find_rule(const char *id)
{
	for (size_t i = 0; i < sizeof(plugin_rules) / sizeof(plugin_rules[0]); i++)
		if (strcmp(plugin_rules[i].id, id) == 0)
			return &plugin_rules[i];
	return NULL;
}

static int
listed(char *const *list, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], id) == 0)
			return 1;
	return 0;
}

/* The role or the cost centre grants it: the centre pays, the role says
 * what its people may do; either may offer a plugin. */
int
admit_plugin_granted(const struct ora_role *role, const struct ora_cost_centre *cc, const char *id)
{
	return listed(role->plugins, role->n_plugins, id) ||
	       (cc != NULL && listed(cc->plugins, cc->n_plugins, id));
}

static void
describe_granted(const struct admit_ctx *ctx, char *buf, size_t size)
{
	const struct ora_role *role = ctx->c->rule->role;
	const struct ora_cost_centre *cc = ctx->c->cc;
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < role->n_plugins; i++)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
		    len > 0 ? ", " : "", role->plugins[i]);
	for (size_t i = 0; cc != NULL && i < cc->n_plugins; i++)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
		    len > 0 ? ", " : "", cc->plugins[i]);
	if (len == 0)
		ora_strlcpy(buf, "none", size);
}

static void
add_extra(struct admit_ctx *ctx, const char *id)
{
	if (ctx->extra_models == NULL)
		ctx->extra_models = json_object_new_array();
	json_object_array_add(ctx->extra_models, json_object_new_string(id));
}

/* Every model a plugin names is checked like "model". */
static int
check_named_models(struct admit_ctx *ctx, const char *where, struct json_object *list)
{
	size_t n;

	if (!json_object_is_type(list, json_type_array) ||
	    (n = json_object_array_length(list)) == 0)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be a non-empty array of model ids", where);
	if (n > ADMIT_MAX_MODELS)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" names %zu models; at most %d are accepted", where, n, ADMIT_MAX_MODELS);
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(list, i);
		const char *id;
		if (json_object_is_type(m, json_type_string) &&
		    strpbrk(json_object_get_string(m), "*?") != NULL)
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s\" must name models, not patterns; leave allowed_models out and "
			    "the broker fills in every model you may use", where);
		if (admit_check_model_id(ctx, where, m, &id) != 0)
			return -1;
		json_object_array_put_idx(list, i, json_object_new_string(id));
		add_extra(ctx, json_object_get_string(json_object_array_get_idx(list, i)));
	}
	return 0;
}

/* allowed_models for a router the client left open: every catalog model
 * (no variants) the caller may use. */
static int
fill_allowed(struct admit_ctx *ctx, struct json_object *plugin)
{
	struct json_object *list;

	if (ctx->cat == NULL || ctx->cat->by_id == NULL)
		return admit_refuse(ctx, 503, ORA_ERR_UNAVAILABLE,
		    "the broker has no model list from the upstream yet, so it cannot tell the "
		    "router which models you may use; try again in a few seconds");
	list = json_object_new_array();
	json_object_object_foreach(ctx->cat->by_id, id, m) {
		/* Router models themselves have no price: not candidates. */
		if (strchr(id, ':') == NULL && admit_model_allowed(ctx, id) && admit_model_priced(m) &&
		    json_object_array_length(list) < 1000) {
			json_object_array_add(list, json_object_new_string(id));
			add_extra(ctx, id);
		}
	}
	if (json_object_array_length(list) == 0) {
		json_object_put(list);
		return admit_refuse(ctx, 403, ORA_ERR_MODEL_NOT_ALLOWED,
		    "no model in the upstream's list is allowed for you, so a router has nothing "
		    "to choose from");
	}
	json_object_object_add(plugin, "allowed_models", list);
	return 0;
}

static int
check_web(struct admit_ctx *ctx, struct json_object *p)
{
	struct json_object *v;
	int64_t n = ADMIT_WEB_DEFAULT_RESULTS;

	if (json_object_object_get_ex(p, "max_results", &v)) {
		if (!admit_is_int(v) || (n = json_object_get_int64(v)) <= 0 ||
		    n > ADMIT_WEB_MAX_RESULTS)
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "plugin web: max_results must be an integer from 1 to %d, so that its "
			    "cost (per result) can be reserved", ADMIT_WEB_MAX_RESULTS);
	} else
		json_object_object_add(p, "max_results", json_object_new_int64(n));
	if (json_object_object_get_ex(p, "engine", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	        (strcmp(json_object_get_string(v), "native") != 0 &&
	            strcmp(json_object_get_string(v), "exa") != 0)))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "plugin web: engine must be \"native\" or \"exa\"");
	ctx->web_results += n;
	return 0;
}

static int
check_file_parser(struct admit_ctx *ctx, struct json_object *p)
{
	struct json_object *pdf, *engine;

	if (!json_object_object_get_ex(p, "pdf", &pdf)) {
		pdf = json_object_new_object();
		json_object_object_add(p, "pdf", pdf);
	}
	if (!json_object_is_type(pdf, json_type_object))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "plugin file-parser: pdf must be an object such as {\"engine\":\"pdf-text\"}");
	json_object_object_foreach(pdf, key, val) {
		(void)val;
		if (strcmp(key, "engine") != 0)
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "plugin file-parser: pdf.%.64s is not understood", key);
	}
	if (!json_object_object_get_ex(pdf, "engine", &engine)) {
		json_object_object_add(pdf, "engine", json_object_new_string("pdf-text"));
		return 0;
	}
	if (json_object_is_type(engine, json_type_string) &&
	    (strcmp(json_object_get_string(engine), "pdf-text") == 0 ||
	        strcmp(json_object_get_string(engine), "native") == 0))
		return 0;
	return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
	    "plugin file-parser: engine must be \"pdf-text\" or \"native\"; \"mistral-ocr\" is "
	    "priced per page, which the broker cannot bound before the request runs");
}

static int
check_one(struct admit_ctx *ctx, struct json_object *p)
{
	const struct plugin_rule *rule;
	struct json_object *idv, *v;
	const char *id;
	char granted[512];

	if (!json_object_is_type(p, json_type_object) ||
	    !json_object_object_get_ex(p, "id", &idv) || !json_object_is_type(idv, json_type_string))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "each of \"plugins\" must be an object with an \"id\", e.g. {\"id\":\"web\"}");
	id = json_object_get_string(idv);
	if ((rule = find_rule(id)) == NULL)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "plugin '%.64s' is not known to this broker, which cannot tell what it costs or "
		    "which model it runs", id);
	if (!admit_plugin_granted(ctx->c->rule->role, ctx->c->cc, id)) {
		describe_granted(ctx, granted, sizeof(granted));
		return admit_refuse(ctx, 403, ORA_ERR_NOT_PERMITTED,
		    "plugin '%s' is not allowed for you (role %s, cost centre %s); allowed plugins: "
		    "%s; ask %s",
		    id, ctx->c->rule->role->name, ctx->c->cc != NULL ? ctx->c->cc->name : "-",
		    granted, ctx->c->conf != NULL && ctx->c->conf->contact != NULL
		                 ? ctx->c->conf->contact : "the administrator");
	}
	json_object_object_foreach(p, key, val) {
		(void)val;
		int ok = 0;
		for (const char *const *k = rule->keys; *k != NULL; k++)
			ok |= strcmp(*k, key) == 0;
		if (!ok)
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "plugin %s: field '%.64s' is not understood", id, key);
	}
	if (json_object_object_get_ex(p, "enabled", &v) && !json_object_is_type(v, json_type_boolean))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "plugin %s: enabled must be true or false", id);
	switch (rule->kind) {
	case P_FREE:
		return 0;
	case P_WEB:
		return check_web(ctx, p);
	case P_FILE_PARSER:
		return check_file_parser(ctx, p);
	case P_ROUTER:
		ctx->uses_router = 1;
		if (json_object_object_get_ex(p, "cost_quality_tradeoff", &v) &&
		    !json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "plugin %s: cost_quality_tradeoff must be a number", id);
		if (json_object_object_get_ex(p, "allowed_models", &v))
			return check_named_models(ctx, "plugins.allowed_models", v);
		return fill_allowed(ctx, p);
	case P_FUSION:
		ctx->fusion = 1;
		if (!json_object_object_get_ex(p, "models", &v))
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "plugin fusion must name its models in \"models\", so that each can be "
			    "checked and reserved for");
		return check_named_models(ctx, "plugins.models", v);
	case P_UNBOUNDED:
	default:
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "plugin %s is priced per use with no bound the broker can reserve for", id);
	}
}

int
admit_check_plugins(struct admit_ctx *ctx, const char *name, struct json_object *v)
{
	size_t n;

	if (json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" must be an array of objects such as {\"id\":\"web\"}", name);
	if ((n = json_object_array_length(v)) > ADMIT_MAX_PLUGINS)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" lists %zu plugins; at most %d are accepted", name, n, ADMIT_MAX_PLUGINS);
	for (size_t i = 0; i < n; i++)
		if (check_one(ctx, json_object_array_get_idx(v, i)) != 0)
			return -1;
	return 0;
}
