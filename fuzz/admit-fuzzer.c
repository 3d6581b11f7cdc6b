/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit-fuzzer.c: libFuzzer target for the admission core
 * (src/admit/admit.h). Each input is a request body, admitted for a fixed
 * caller (a role with patterns, a cap, plugins; a cost centre with
 * provider preferences and a model restriction) against a fixed catalog.
 * Besides the sanitizers it checks the core's promises: a decision is
 * either a refusal with a status and a sentence, or a body that is valid
 * JSON and names an allowed model, carries orad's identity in the shape's
 * place and no token cap above the role's.
 *
 * A first byte 'M' or 'R' admits the rest through the Anthropic Messages
 * or the Responses shape; any other input is a chat completions body, so
 * the chat seeds stay what they were.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit.h"
#include "config/conf.h"

static char *role_models[] = { "openai/*", "meta-llama/*", "*/*:free", "openrouter/auto",
	"openai/gpt-4o-mini:online" };
static char *role_plugins[] = { "web", "fusion", "auto-router", "file-parser",
	"response-healing" };
static char *centre_models[] = { "openai/*", "meta-llama/*", "openrouter/auto",
	"openai/gpt-4o-mini:online", "meta-llama/llama-3.1-8b-instruct:free" };
static char *ignore[] = { "deepinfra" };
static char *fallbacks[] = { "meta-llama/llama-3.1-8b-instruct" };
static char *pass[] = { "x_site_field" };

static struct ora_role role = {
	.name = "fuzz", .models = role_models, .n_models = 5, .default_model = "openai/gpt-4o-mini",
	.max_tokens = 1000, .fallbacks = fallbacks, .n_fallbacks = 1, .plugins = role_plugins,
	.n_plugins = 5,
};
static struct ora_cost_centre centre = {
	.name = "prod", .key = "prod", .models = centre_models, .n_models = 5,
	.provider = { .set = 1, .data_collection = ORA_DATA_DENY, .zdr = 1, .ignore = ignore,
		.n_ignore = 1, .max_price = { .usd = { 1000000000000, 5000000000000 }, .set = 3 } },
};
static const struct ora_cost_centre *centres[] = { &centre };
static struct ora_rule rule = { .kind = ORA_RULE_EVERYONE, .centres = centres, .n_centres = 1 };
static struct ora_alias aliases[] = { { .name = "fast", .model = "openai/gpt-4o-mini" } };
static struct ora_conf conf = {
	.contact = "fuzz", .daemon = { .max_body_bytes = 1 << 20 }, .aliases = aliases,
	.n_aliases = 1, .policy = { .pass_fields = pass, .n_pass_fields = 1 },
};
static struct json_object *catalog, *prepared; /* the second as orad loads it */

static const char catalog_json[] =
    "{\"openai/gpt-4o-mini\":{\"pricing\":{\"prompt\":\"0.00000015\",\"completion\":\"0.0000006\"},"
    "\"top_provider\":{\"max_completion_tokens\":16384}},"
    "\"openai/gpt-4o\":{\"pricing\":{\"prompt\":\"0.0000025\",\"completion\":\"0.00001\","
    "\"request\":\"0.001\",\"image\":\"0.002\",\"web_search\":\"0.01\","
    "\"internal_reasoning\":\"0.00002\",\"input_cache_write\":\"0.000003\"}},"
    "\"meta-llama/llama-3.1-8b-instruct\":{\"pricing\":{\"prompt\":\"0.00000002\","
    "\"completion\":\"0.00000005\"}},"
    "\"meta-llama/llama-3.1-8b-instruct:free\":{\"pricing\":{\"prompt\":\"0\",\"completion\":\"0\"}},"
    "\"anthropic/claude-opus-4.1\":{\"pricing\":{\"prompt\":\"0.000015\",\"completion\":\"0.000075\"}},"
    "\"openrouter/auto\":{\"pricing\":{\"prompt\":\"-1\",\"completion\":\"-1\"}}}";

/* Whether any object in v, at any depth, has the key. */
static int
has_key(struct json_object *v, const char *key)
{
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, child) {
			if (strcmp(k, key) == 0 || has_key(child, key))
				return 1;
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (has_key(json_object_array_get_idx(v, i), key))
				return 1;
	}
	return 0;
}

/* An integer at key of o, if any, is at most the role's cap. */
static void
check_cap(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (role.max_tokens > 0 && o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_get_int64(v) > role.max_tokens)
		abort();
}

/* What every admitted body must hold, per shape. */
static void
check_admitted(const struct admit_shape *shape, struct json_object *o)
{
	struct json_object *m, *v = NULL;

	if (shape == &admit_shape_messages) {
		if (!json_object_object_get_ex(o, "metadata", &m) ||
		    !json_object_object_get_ex(m, "user_id", &v) ||
		    json_object_object_get_ex(o, "user", NULL) ||
		    json_object_object_get_ex(o, "fallbacks", NULL))
			abort();
		check_cap(o, "max_tokens");
		if (json_object_object_get_ex(o, "thinking", &m))
			check_cap(m, "budget_tokens");
	} else {
		if (!json_object_object_get_ex(o, "user", &v) ||
		    json_object_object_get_ex(o, "safety_identifier", NULL))
			abort();
		check_cap(o, shape == &admit_shape_chat ? "max_tokens" : "max_output_tokens");
		check_cap(o, "max_completion_tokens");
		if (shape == &admit_shape_responses &&
		    json_object_object_get_ex(o, "previous_response_id", NULL))
			abort();
	}
	if (strcmp(json_object_get_string(v), "fuzz") != 0)
		abort();
	if (json_object_object_get_ex(o, "reasoning", &m))
		check_cap(m, "max_tokens");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct admit_caller c = { .conf = &conf, .rule = &rule, .cc = &centre, .user = "fuzz",
		.user_value = "fuzz" };
	struct admit_catalog cat;
	struct admit_decision d;
	char *scrubbed;
	size_t scrubbed_len;

	if (catalog == NULL) {
		rule.role = &role;
		catalog = json_tokener_parse(catalog_json);
		prepared = json_tokener_parse(catalog_json);
		admit_catalog_prepare(prepared);
	}
	/* With and without a catalog; with its prices parsed per request or
	 * once, as orad does. */
	cat.by_id = (size & 1) ? NULL : (size & 4) ? prepared : catalog;
	role.max_tokens = (size & 2) ? 0 : 1000;  /* with and without a cap */
	const struct admit_shape *shape = &admit_shape_chat;
	const uint8_t *body = data;
	size_t body_len = size;
	if (size > 0 && (data[0] == 'M' || data[0] == 'R')) {
		shape = data[0] == 'M' ? &admit_shape_messages : &admit_shape_responses;
		body++;
		body_len--;
	}
	if (admit_request(shape, (const char *)body, body_len, &c, &cat, &d) == 0) {
		struct json_object *o = json_tokener_parse(d.body), *m;
		if (o == NULL || d.status != 0 || d.model == NULL)
			abort();
		if (!json_object_object_get_ex(o, "model", &m) ||
		    strcmp(json_object_get_string(m), d.model) != 0)
			abort();
		if (!admit_model_id_valid(d.model, strlen(d.model), NULL))
			abort();
		/* The body is what json-c itself writes of it (admit_json.c). */
		if (strlen(d.body) != d.body_len ||
		    strcmp(json_object_to_json_string_ext(o,
		        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), d.body) != 0)
			abort();
		check_admitted(shape, o);
		json_object_put(o);
	} else if (d.status < 400 || d.status > 599 || d.message[0] == '\0' || d.body != NULL) {
		abort();
	}
	admit_decision_clear(&d);
	admit_scrub_upstream_error((const char *)data, size, 400, &scrubbed, &scrubbed_len);
	/* The scrubber's promise: valid JSON, with no account id under any
	 * key at any depth (a "user_id" inside a string value is only text). */
	struct json_object *relayed = json_tokener_parse(scrubbed);
	if (relayed == NULL || has_key(relayed, "user_id"))
		abort();
	json_object_put(relayed);
	free(scrubbed);
	return 0;
}
