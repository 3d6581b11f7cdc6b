/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * generation.c: what one of your generations cost, from the broker's
 * ledger (GET /api/v1/generation?id=ID, OpenRouter's shape: {"data":
 * {"id", "model", "total_cost", "tokens_prompt", "tokens_completion",
 * "cancelled", ...}} plus ora's "estimated"). Made for answers that did
 * not finish: their cost is learned after they end.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"
#include "client/json.h"

#define GENERATION_PATH "/api/v1/generation?id="

void
ora_generation_free(struct ora_generation *g)
{
	if (g == NULL)
		return;
	free(g->id);
	free(g->model);
	free(g);
}

static int
json_flag(struct json_object *obj, const char *key)
{
	struct json_object *v = oc_json_get(obj, key, json_type_boolean);

	return v != NULL && json_object_get_boolean(v);
}

enum ora_status
oc_parse_generation(
    const char *body, size_t len, struct ora_generation **out, char *msg, size_t msg_size)
{
	struct json_object *root, *data;
	struct ora_generation *g;
	enum ora_status r = ORA_OK;

	*out = NULL;
	root = oc_json_parse(body, len);
	if ((data = oc_json_get(root, "data", json_type_object)) == NULL ||
	    oc_json_str(data, "id") == NULL) {
		oc_copy_message(msg, msg_size, "the broker's answer is not a generation");
		json_object_put(root);
		return ORA_E_PROTOCOL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL || oc_json_dup(data, "id", &g->id) != ORA_OK ||
	    oc_json_dup(data, "model", &g->model) != ORA_OK) {
		oc_copy_message(msg, msg_size, "out of memory");
		ora_generation_free(g);
		r = ORA_E_NOMEM;
		goto out;
	}
	g->prompt_tokens = oc_json_long(data, "tokens_prompt", -1);
	g->completion_tokens = oc_json_long(data, "tokens_completion", -1);
	g->has_cost = oc_json_get(data, "total_cost", json_type_double) != NULL ||
	              oc_json_get(data, "total_cost", json_type_int) != NULL;
	g->cost = oc_json_number(data, "total_cost", 0.0);
	g->estimated = json_flag(data, "estimated");
	g->cancelled = json_flag(data, "cancelled");
	*out = g;
out:
	json_object_put(root);
	return r;
}

/* A generation id goes into a query string as it is: only the characters
 * OpenRouter's ids are made of. */
static int
valid_id(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n < OC_GENERATION_ID_MAX &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

enum ora_status
ora_client_generation(struct ora_client *c, const char *id, struct ora_generation **out)
{
	struct oc_response resp;
	char path[sizeof(GENERATION_PATH) + OC_GENERATION_ID_MAX], msg[OC_MESSAGE_MAX];
	enum ora_status r;

	oc_begin(c);
	if (out == NULL)
		return oc_fail(c, ORA_E_INVALID, "no place for the answer given");
	*out = NULL;
	if (id == NULL || !valid_id(id))
		return oc_fail(c, ORA_E_INVALID, "that is not a generation id");
	snprintf(path, sizeof(path), "%s%s", GENERATION_PATH, id);
	if ((r = oc_perform(c, "GET", path, NULL, 0, NULL, NULL, &resp)) != ORA_OK)
		goto out;
	if (!oc_response_ok(&resp)) {
		r = oc_fail_http(c, &resp);
		goto out;
	}
	if ((r = oc_parse_generation(resp.body.p, resp.body.len, out, msg, sizeof(msg))) != ORA_OK)
		oc_fail(c, r, "%s", msg);
out:
	oc_response_free(&resp);
	return r;
}
