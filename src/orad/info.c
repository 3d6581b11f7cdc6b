/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * info.c: read-only answers about the caller: the models they may use,
 * who the broker thinks they are, their budgets, and what one of their own
 * generations cost (from the ledger).
 *
 * With a ledger shared by many hosts (PostgreSQL), a budget's figures are
 * this host's counters, as ever, and beside them, as "organisation", what
 * the shared budget row holds across every host: the copy the shipper
 * last read (ledger/ledger_pg_usage.h), so that the answer never waits on
 * the database.
 */
#include "config.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>
#include <stdio.h>

#include "admit/admit.h"
#include "common/log.h"
#include "common/money.h"
#include "common/period.h"
#include "config/policy.h"
#include "ledger/ledger.h"
#include "ledger/ledger_ship.h"
#include "orad/budget.h"
#include "orad/catalog.h"
#include "orad/handlers.h"
#include "orad/http_conn.h"
#include "orad/orad.h"
#include "orad/reply.h"
#include "orad/server.h"

static int
allowed_anywhere(const struct ora_rule *rule, const char *id)
{
	for (size_t i = 0; i < rule->n_centres; i++)
		if (ora_policy_model_allowed(rule, rule->centres[i], id) != NULL)
			return 1;
	return 0;
}

void
info_models(struct orad *d, struct http_req *req, const struct orad_caller *caller)
{
	struct json_object *all = catalog_models(d->catalog), *root, *data;

	if (all == NULL) {
		http_reply_add_header(req, "Retry-After", "5");
		reply_error(req, 503, ORA_ERR_UNAVAILABLE,
		    "the broker has not loaded the model list from the upstream yet; try again in a "
		    "few seconds");
		return;
	}
	root = json_object_new_object();
	data = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		struct json_object *m = json_object_array_get_idx(all, i), *id;
		if (json_object_object_get_ex(m, "id", &id) &&
		    allowed_anywhere(caller->rule, json_object_get_string(id)))
			json_object_array_add(data, json_object_get(m));
	}
	json_object_object_add(root, "total_count", json_object_new_int((int)json_object_array_length(data)));
	json_object_object_add(root, "data", data);
	reply_json(req, 200, root);
	json_object_put(root);
}

static struct json_object *
string_array(char *const *items, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(items[i]));
	return a;
}

void
info_me(struct orad *d, struct http_req *req, const struct orad_caller *caller)
{
	const struct ora_rule *rule = caller->rule;
	const struct ora_role *role = rule->role;
	struct json_object *root = json_object_new_object(), *match = json_object_new_object();
	struct json_object *centres = json_object_new_array();
	char how[ORA_NAME_MAX + 16];

	json_object_object_add(root, "user", json_object_new_string(caller->id.user));
	json_object_object_add(root, "uid", json_object_new_int64(caller->id.uid));
	json_object_object_add(root, "gid", json_object_new_int64(caller->id.gid));
	json_object_object_add(root, "groups", string_array(caller->id.groups, caller->id.n_groups));
	json_object_object_add(match, "line", json_object_new_int(rule->line));
	json_object_object_add(match, "match",
	    json_object_new_string(ora_policy_rule_match(rule, how, sizeof(how))));
	json_object_object_add(root, "rule", match);
	json_object_object_add(root, "role", json_object_new_string(role->name));
	json_object_object_add(root, "cost_centre", json_object_new_string(rule->centres[0]->name));
	for (size_t i = 0; i < rule->n_centres; i++) {
		const struct ora_cost_centre *cc = rule->centres[i];
		struct json_object *c = json_object_new_object();
		json_object_object_add(c, "name", json_object_new_string(cc->name));
		json_object_object_add(c, "default", json_object_new_boolean(i == 0));
		if (cc->n_models > 0)
			json_object_object_add(c, "models", string_array(cc->models, cc->n_models));
		/* What admission enforces when billed here (src/admit). */
		struct json_object *prefs = admit_site_provider(role, cc), *plugins;
		if (prefs != NULL)
			json_object_object_add(c, "provider", prefs);
		plugins = string_array(role->plugins, role->n_plugins);
		for (size_t k = 0; k < cc->n_plugins; k++)
			if (!admit_plugin_granted(role, NULL, cc->plugins[k]))
				json_object_array_add(plugins, json_object_new_string(cc->plugins[k]));
		json_object_object_add(c, "plugins", plugins);
		json_object_array_add(centres, c);
	}
	json_object_object_add(root, "cost_centres", centres);
	json_object_object_add(root, "models", string_array(role->models, role->n_models));
	json_object_object_add(root, "default_model", json_object_new_string(role->default_model));
	json_object_object_add(root, "max_tokens", json_object_new_int64(role->max_tokens));
	json_object_object_add(root, "requests_per_minute", json_object_new_int64(role->requests_per_minute));
	json_object_object_add(root, "concurrent_requests", json_object_new_int64(role->concurrent_requests));
	struct json_object *aliases = json_object_new_object();
	for (size_t i = 0; i < caller->conf->n_aliases; i++)
		if (allowed_anywhere(rule, caller->conf->aliases[i].model))
			json_object_object_add(aliases, caller->conf->aliases[i].name,
			    json_object_new_string(caller->conf->aliases[i].model));
	json_object_object_add(root, "aliases", aliases);
	json_object_object_add(root, "config_generation", json_object_new_int64((int64_t)d->conf_generation));
	reply_json(req, 200, root);
	json_object_put(root);
}

static void
add_money(struct json_object *o, const char *name, ora_pico v)
{
	char text[ORA_MONEY_TEXT_MAX], key[64];

	ora_money_format(v, text, sizeof(text));
	json_object_object_add(o, name, json_object_new_string(text));
	snprintf(key, sizeof(key), "%s_pico", name);
	json_object_object_add(o, key, json_object_new_int64(v));
}

static struct json_object *
iso_time(time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(buf);
}

static int
seen_before(struct json_object *list, const struct budget_view *v)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *b = json_object_array_get_idx(list, i), *scope, *name;
		if (json_object_object_get_ex(b, "scope", &scope) && json_object_object_get_ex(b, "name", &name) &&
		    strcmp(json_object_get_string(scope), v->scope) == 0 &&
		    strcmp(json_object_get_string(name), v->name) == 0)
			return 1;
	}
	return 0;
}

static ora_pico
remaining(ora_pico limit, ora_pico spent, ora_pico reserved)
{
	ora_pico used = ora_money_add(spent, reserved);

	return limit > used ? limit - used : 0;
}

static struct json_object *
iso_time_ms(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[40];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%03dZ", (int)(ms % 1000));
	return json_object_new_string(buf);
}

/* The budget across every host that shares the ledger, as of the
 * shipper's last read; null while it has not read it yet (the database
 * not reached since the start). */
static struct json_object *
organisation_json(struct orad *d, const struct budget_view *v)
{
	struct ora_ledger_shared_budget sb;
	struct json_object *o;

	if (!ora_ledger_ship_budget(
	        d->ship, v->scope, v->name, (int64_t)v->period_start * 1000, &sb))
		return NULL;
	o = json_object_new_object();
	add_money(o, "spent", sb.spent);
	add_money(o, "reserved", sb.reserved);
	add_money(o, "remaining", remaining(v->budget->limit, sb.spent, sb.reserved));
	json_object_object_add(o, "as_of", iso_time_ms(sb.as_of_ms));
	json_object_object_add(o, "age_ms", json_object_new_int64(ora_wall_ms() - sb.as_of_ms));
	return o;
}

static struct json_object *
budget_json(struct orad *d, const struct budget_view *v)
{
	struct json_object *b = json_object_new_object();

	json_object_object_add(b, "scope", json_object_new_string(v->scope));
	json_object_object_add(b, "name", json_object_new_string(v->name));
	json_object_object_add(b, "period", json_object_new_string(ora_period_name(v->budget->period)));
	add_money(b, "limit", v->budget->limit);
	add_money(b, "spent", v->spent);
	add_money(b, "reserved", v->reserved);
	add_money(b, "remaining", remaining(v->budget->limit, v->spent, v->reserved));
	if (d->ship != NULL)
		json_object_object_add(b, "organisation", organisation_json(d, v));
	if (v->budget->period != ORA_PERIOD_TOTAL) {
		json_object_object_add(b, "period_start", iso_time(v->period_start));
		json_object_object_add(b, "resets_at", iso_time(v->period_end));
	} else {
		json_object_object_add(b, "resets_at", NULL);
	}
	if (v->budget->warn > 0)
		json_object_object_add(b, "warn", json_object_new_double(v->budget->warn));
	return b;
}

/* The usage of one identity: every budget that applies to it, in each of
 * the cost centres it may bill. */
static void
usage_of(struct orad *d, struct http_req *req, const struct ora_conf *conf,
    const struct ora_identity *id, const struct ora_rule *rule)
{
	struct json_object *root = json_object_new_object(), *list = json_object_new_array();
	struct budget_view views[BUDGET_SCOPES];
	time_t now = time(NULL);

	json_object_object_add(root, "user", json_object_new_string(id->user));
	json_object_object_add(root, "uid", json_object_new_int64(id->uid));
	json_object_object_add(root, "role", json_object_new_string(rule->role->name));
	json_object_object_add(root, "cost_centre", json_object_new_string(rule->centres[0]->name));
	json_object_object_add(root, "timezone", json_object_new_string(conf->budgets.timezone));
	/* Shared ledger: a budget's own figures are this host's, and its
	 * "organisation" those of every host. */
	if (d->ship != NULL)
		json_object_object_add(
		    root, "host", json_object_new_string(ora_ledger_ship_host(d->ship)));
	for (size_t c = 0; c < rule->n_centres; c++) {
		struct budget_subject s;
		budgets_subject(conf, rule, rule->centres[c], id->user, &s);
		size_t n = budgets_view(d->budgets, &s, now, views, BUDGET_SCOPES);
		for (size_t i = 0; i < n; i++)
			if (!seen_before(list, &views[i]))
				json_object_array_add(list, budget_json(d, &views[i]));
	}
	json_object_object_add(root, "budgets", list);
	reply_json(req, 200, root);
	json_object_put(root);
}

void
info_usage(struct orad *d, struct http_req *req, const struct orad_caller *caller)
{
	char who_buf[256];
	const char *who = NULL;
	struct ora_identity other = { 0 };
	struct ora_error err;
	const struct ora_rule *rule;

	switch (http_req_query(req, "user", who_buf, sizeof(who_buf))) {
	case 1:
		who = who_buf;
		break;
	case -1:
		reply_error(req, 400, ORA_ERR_BAD_REQUEST,
		    "the user parameter is malformed or longer than %zu bytes; send ?user=NAME",
		    sizeof(who_buf) - 1);
		goto out;
	}
	if (who == NULL || strcmp(who, caller->id.user) == 0) {
		if (caller->rule == NULL) {
			reply_error(req, 403, ORA_ERR_NOT_PERMITTED,
			    "no rule matches you (user %s), so you have no budgets", caller->id.user);
			goto out;
		}
		usage_of(d, req, caller->conf, &caller->id, caller->rule);
		goto out;
	}
	if (!caller_is_admin(caller)) {
		reply_error(req, 403, ORA_ERR_NOT_PERMITTED,
		    "only root and members of the admin group (%s) may see another user's usage",
		    caller->conf->daemon.admin_group ? caller->conf->daemon.admin_group : "none configured");
		goto out;
	}
	if (ora_identity_lookup_user(who, &other, &err) != 0) {
		reply_error(req, 404, ORA_ERR_NOT_FOUND, "%s", err.msg);
		goto out;
	}
	if ((rule = ora_policy_match(caller->conf, &other, NULL)) == NULL) {
		reply_error(req, 404, ORA_ERR_NOT_FOUND, "user %s matches no rule, so has no budgets", who);
		goto out;
	}
	usage_of(d, req, caller->conf, &other, rule);
out:
	ora_identity_clear(&other);
}

/* ---- GET /api/v1/generation?id=ID ------------------------------------- */

#define GENERATION_ID_MAX 128 /* OpenRouter's are some 35 bytes */

/* OpenRouter's /generation shape (the fields the ledger holds), with
 * ora's "estimated" and "cost_centre"; NULL until the row is settled. */
static void
generation_json(const struct ora_ledger_entry *e, void *arg)
{
	struct json_object **out = arg, *root, *g;
	char text[ORA_MONEY_TEXT_MAX];

	if (e->state == NULL || strcmp(e->state, "settled") != 0)
		return;
	root = json_object_new_object();
	g = json_object_new_object();
	ora_money_format(e->cost, text, sizeof(text));
	json_object_object_add(g, "id", json_object_new_string(e->generation_id));
	json_object_object_add(g, "model",
	    json_object_new_string(e->model_served != NULL ? e->model_served
	                           : e->model_requested != NULL ? e->model_requested : ""));
	json_object_object_add(g, "provider_name",
	    e->provider != NULL ? json_object_new_string(e->provider) : NULL);
	json_object_object_add(g, "tokens_prompt", json_object_new_int64(e->prompt_tokens));
	json_object_object_add(g, "tokens_completion", json_object_new_int64(e->completion_tokens));
	json_object_object_add(g, "native_tokens_reasoning", json_object_new_int64(e->reasoning_tokens));
	json_object_object_add(g, "total_cost", json_object_new_double_s((double)e->cost / 1e12, text));
	json_object_object_add(g, "estimated", json_object_new_boolean(e->estimated));
	json_object_object_add(g, "cancelled",
	    json_object_new_boolean(e->outcome != NULL && strcmp(e->outcome, "client_gone") == 0));
	json_object_object_add(g, "streamed", json_object_new_boolean(e->stream));
	json_object_object_add(g, "created_at", iso_time((time_t)(e->started_ms / 1000)));
	json_object_object_add(g, "latency", json_object_new_int64((int64_t)e->latency_ms));
	json_object_object_add(g, "cost_centre",
	    e->cost_centre != NULL ? json_object_new_string(e->cost_centre) : NULL);
	json_object_object_add(root, "data", g);
	*out = root;
}

void
info_generation(struct orad *d, struct http_req *req, const struct orad_caller *caller)
{
	char id[GENERATION_ID_MAX];
	struct json_object *root = NULL;
	struct ora_error err = { "" };
	int found;

	if (http_req_query(req, "id", id, sizeof(id)) != 1 || id[0] == '\0') {
		reply_error(req, 400, ORA_ERR_BAD_REQUEST,
		    "name the generation: /api/v1/generation?id=gen-... (at most %zu bytes)",
		    sizeof(id) - 1);
		return;
	}
	if (d->ledger == NULL) {
		reply_error(req, 404, ORA_ERR_NOT_FOUND,
		    "this broker keeps no ledger (daemon.ledger is off), so no generation is "
		    "known");
		return;
	}
	if (ora_ledger_find_generation(d->ledger, (uint32_t)caller->id.uid, caller->id.user, id,
	        generation_json, &root, &found, &err) != 0) {
		ora_log_error("generation lookup: %s", err.msg);
		reply_error(req, 500, ORA_ERR_INTERNAL, "cannot read the ledger");
	} else if (!found) {
		/* Another user's generation is answered the same: not yours. */
		reply_error(
		    req, 404, ORA_ERR_NOT_FOUND, "no request of yours has generation id %s", id);
	} else if (root == NULL) {
		/* As OpenRouter does for a generation that just ended. */
		http_reply_add_header(req, "Retry-After", "1");
		reply_error(req, 404, ORA_ERR_NOT_FOUND,
		    "the cost of generation %s is not known yet; ask again in a few seconds", id);
	} else {
		reply_json(req, 200, root);
		json_object_put(root);
	}
}
