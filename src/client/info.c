/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * info.c: what the broker says about you: /api/v1/models and /api/v1/me.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client/internal.h"
#include "client/json.h"

static enum ora_status
fail(char *msg, size_t msg_size, enum ora_status status, const char *text)
{
	oc_copy_message(msg, msg_size, text);
	return status;
}

static void
model_free(struct ora_model *m)
{
	if (m == NULL)
		return;
	free(m->id);
	free(m->name);
	free(m);
}

void
ora_model_list_free(struct ora_model_list *list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < list->count; i++)
		model_free(list->models[i]);
	free(list->models);
	free(list);
}

/* One entry of "data"; *out stays NULL for an entry without an id. */
static enum ora_status
parse_model(struct json_object *obj, struct ora_model **out)
{
	struct json_object *pricing = oc_json_get(obj, "pricing", json_type_object);
	struct ora_model *m;

	*out = NULL;
	if (oc_json_str(obj, "id") == NULL)
		return ORA_OK;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ORA_E_NOMEM;
	if (oc_json_dup(obj, "id", &m->id) != ORA_OK ||
	    oc_json_dup(obj, "name", &m->name) != ORA_OK) {
		model_free(m);
		return ORA_E_NOMEM;
	}
	m->context_length = oc_json_long(obj, "context_length", -1);
	/* OpenRouter: a missing price means free. */
	m->prompt_price = oc_json_number(pricing, "prompt", 0.0);
	m->completion_price = oc_json_number(pricing, "completion", 0.0);
	*out = m;
	return ORA_OK;
}

enum ora_status
oc_parse_models(
    const char *body, size_t len, struct ora_model_list **out, char *msg, size_t msg_size)
{
	struct json_object *root, *data;
	struct ora_model_list *list = NULL;
	struct ora_model *m;
	enum ora_status r = ORA_OK;
	size_t i, n;

	*out = NULL;
	root = oc_json_parse(body, len);
	if ((data = oc_json_get(root, "data", json_type_array)) == NULL) {
		r = fail(msg, msg_size, ORA_E_PROTOCOL, "the broker's model list is not valid");
		goto out;
	}
	n = json_object_array_length(data);
	if ((list = calloc(1, sizeof(*list))) == NULL ||
	    (list->models = calloc(n + 1, sizeof(*list->models))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if (parse_model(json_object_array_get_idx(data, i), &m) != ORA_OK)
			goto nomem;
		if (m != NULL)
			list->models[list->count++] = m;
	}
	*out = list;
	list = NULL;
	goto out;
nomem:
	r = fail(msg, msg_size, ORA_E_NOMEM, "out of memory");
out:
	ora_model_list_free(list);
	json_object_put(root);
	return r;
}

void
ora_me_free(struct ora_me *me)
{
	if (me == NULL)
		return;
	free(me->user);
	oc_strv_free(me->groups);
	free(me->rule_match);
	free(me->role);
	free(me->cost_centre);
	oc_strv_free(me->cost_centres);
	oc_strv_free(me->models);
	free(me->default_model);
	free(me->json);
	free(me);
}

enum ora_status
oc_parse_me(const char *body, size_t len, struct ora_me **out, char *msg, size_t msg_size)
{
	struct json_object *root, *rule;
	struct ora_me *me = NULL;
	enum ora_status r = ORA_OK;

	*out = NULL;
	root = oc_json_parse(body, len);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		r = fail(
		    msg, msg_size, ORA_E_PROTOCOL, "the broker's answer about you is not valid");
		goto out;
	}
	if ((me = calloc(1, sizeof(*me))) == NULL)
		goto nomem;
	rule = oc_json_get(root, "rule", json_type_object);
	me->uid = oc_json_long(root, "uid", -1);
	me->gid = oc_json_long(root, "gid", -1);
	me->rule_line = oc_json_long(rule, "line", -1);
	me->max_tokens = oc_json_long(root, "max_tokens", -1);
	me->requests_per_minute = oc_json_long(root, "requests_per_minute", -1);
	me->concurrent_requests = oc_json_long(root, "concurrent_requests", -1);
	if (oc_json_dup(root, "user", &me->user) != ORA_OK ||
	    oc_json_dup(rule, "match", &me->rule_match) != ORA_OK ||
	    oc_json_dup(root, "role", &me->role) != ORA_OK ||
	    oc_json_dup(root, "cost_centre", &me->cost_centre) != ORA_OK ||
	    oc_json_dup(root, "default_model", &me->default_model) != ORA_OK ||
	    oc_json_strv(root, "groups", &me->groups, &me->n_groups) != ORA_OK ||
	    oc_json_strv(root, "cost_centres", &me->cost_centres, &me->n_cost_centres) != ORA_OK ||
	    oc_json_strv(root, "models", &me->models, &me->n_models) != ORA_OK)
		goto nomem;
	if ((me->json = malloc(len + 1)) == NULL)
		goto nomem;
	memcpy(me->json, body, len);
	me->json[len] = '\0';
	*out = me;
	me = NULL;
	goto out;
nomem:
	r = fail(msg, msg_size, ORA_E_NOMEM, "out of memory");
out:
	ora_me_free(me);
	json_object_put(root);
	return r;
}

/* GET path and hand the 2xx body to parse. */
static enum ora_status
get_parsed(struct ora_client *c, const char *path,
    enum ora_status (*parse)(const char *, size_t, void *, char *, size_t), void *out)
{
	struct oc_response resp;
	char msg[OC_MESSAGE_MAX];
	enum ora_status r;

	if ((r = oc_perform(c, "GET", path, NULL, 0, NULL, NULL, &resp)) != ORA_OK)
		goto out;
	if (!oc_response_ok(&resp)) {
		r = oc_fail_http(c, &resp);
		goto out;
	}
	if ((r = parse(resp.body.p, resp.body.len, out, msg, sizeof(msg))) != ORA_OK)
		oc_fail(c, r, "%s", msg);
out:
	oc_response_free(&resp);
	return r;
}

static enum ora_status
parse_models_cb(const char *body, size_t len, void *out, char *msg, size_t msg_size)
{
	return oc_parse_models(body, len, out, msg, msg_size);
}

static enum ora_status
parse_me_cb(const char *body, size_t len, void *out, char *msg, size_t msg_size)
{
	return oc_parse_me(body, len, out, msg, msg_size);
}

enum ora_status
ora_client_models(struct ora_client *c, struct ora_model_list **out)
{
	oc_begin(c);
	if (out == NULL)
		return oc_fail(c, ORA_E_INVALID, "no place for the model list given");
	*out = NULL;
	return get_parsed(c, "/api/v1/models", parse_models_cb, out);
}

enum ora_status
ora_client_me(struct ora_client *c, struct ora_me **out)
{
	oc_begin(c);
	if (out == NULL)
		return oc_fail(c, ORA_E_INVALID, "no place for the answer given");
	*out = NULL;
	return get_parsed(c, "/api/v1/me", parse_me_cb, out);
}
