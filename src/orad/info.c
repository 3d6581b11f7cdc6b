/*
 * info.c: read-only answers about the caller: the models they may use and
 * who the broker thinks they are.
 */
#include "config.h"

#include <event2/http.h>
#include <json-c/json.h>
#include <stdio.h>

#include "config/policy.h"
#include "orad/catalog.h"
#include "orad/handlers.h"
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
info_models(struct orad *d, struct evhttp_request *req, const struct orad_caller *caller)
{
	struct json_object *all = catalog_models(d->catalog), *root, *data;

	if (all == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
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
info_me(struct orad *d, struct evhttp_request *req, const struct orad_caller *caller)
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
	if (rule->kind == ORA_RULE_USER)
		snprintf(how, sizeof(how), "user %s", rule->name);
	else if (rule->kind == ORA_RULE_GROUP)
		snprintf(how, sizeof(how), "group %s", rule->name);
	else
		snprintf(how, sizeof(how), "everyone");
	json_object_object_add(match, "match", json_object_new_string(how));
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
		json_object_array_add(centres, c);
	}
	json_object_object_add(root, "cost_centres", centres);
	json_object_object_add(root, "models", string_array(role->models, role->n_models));
	json_object_object_add(root, "default_model", json_object_new_string(role->default_model));
	json_object_object_add(root, "max_tokens", json_object_new_int64(role->max_tokens));
	json_object_object_add(root, "requests_per_minute", json_object_new_int64(role->requests_per_minute));
	json_object_object_add(root, "concurrent_requests", json_object_new_int64(role->concurrent_requests));
	json_object_object_add(root, "config_generation", json_object_new_int64((int64_t)d->conf_generation));
	reply_json(req, 200, root);
	json_object_put(root);
}
