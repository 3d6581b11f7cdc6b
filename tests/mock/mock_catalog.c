/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_catalog.c: the model catalog behind GET /models and the prices of
 * every completion.
 *
 * The built-in catalog mirrors the shape of OpenRouter's /models with a
 * few well-known models; --models replaces it with any /models-shaped file
 * (a real dump works). The /models body is serialised once, since
 * benchmarks may poll it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

struct mock_catalog {
	struct mock_model *models;
	size_t n;
	struct mock_map *by_id;
	char *body;
	size_t body_len;
};

struct mock_builtin_model {
	const char *id;
	const char *name;
	const char *prompt;
	const char *completion;
	long created;
	int context_length;
	int max_completion_tokens;
	const char *tokenizer;
	int moderated;
};

static const struct mock_builtin_model mock_builtin[] = {
    {"openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", "0.00000015", "0.0000006", 1721260800, 128000,
        16384, "GPT", 1},
    {"openai/gpt-4o", "OpenAI: GPT-4o", "0.0000025", "0.00001", 1715558400, 128000, 16384, "GPT",
        1},
    {"anthropic/claude-3.5-sonnet", "Anthropic: Claude 3.5 Sonnet", "0.000003", "0.000015",
        1729555200, 200000, 8192, "Claude", 1},
    {"anthropic/claude-3.5-haiku", "Anthropic: Claude 3.5 Haiku", "0.0000008", "0.000004",
        1730678400, 200000, 8192, "Claude", 1},
    {"google/gemini-flash-1.5", "Google: Gemini 1.5 Flash", "0.000000075", "0.0000003", 1715644800,
        1000000, 8192, "Gemini", 0},
    {"meta-llama/llama-3.1-8b-instruct", "Meta: Llama 3.1 8B Instruct", "0.00000002", "0.00000005",
        1721692800, 131072, 16384, "Llama3", 0},
    {"meta-llama/llama-3.1-8b-instruct:free", "Meta: Llama 3.1 8B Instruct (free)", "0", "0",
        1721692800, 131072, 4096, "Llama3", 0},
    {"mistralai/mistral-7b-instruct", "Mistral: Mistral 7B Instruct", "0.00000003", "0.000000055",
        1716768000, 32768, 16384, "Mistral", 0},
    {"deepseek/deepseek-r1", "DeepSeek: R1", "0.00000055", "0.00000219", 1737331200, 163840, 163840,
        "DeepSeek", 0},
};

static json_object *
mock_strings(const char *const *v)
{
	json_object *a = json_object_new_array();

	for (; *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static json_object *
mock_builtin_json(const struct mock_builtin_model *b)
{
	static const char *const text[] = {"text", NULL};
	static const char *const params[] = {"max_tokens", "temperature", "top_p", "stop", "seed",
	    "stream", "response_format", "tools", "tool_choice", NULL};
	json_object *m = json_object_new_object(), *o;
	const char *slash = strchr(b->id, ':');
	char *slug;

	json_object_object_add(m, "id", json_object_new_string(b->id));
	/* The canonical slug has no variant suffix. */
	slug = slash != NULL ? strndup(b->id, (size_t)(slash - b->id)) : mock_xstrdup(b->id);
	if (slug == NULL)
		abort();
	json_object_object_add(m, "canonical_slug", json_object_new_string(slug));
	free(slug);
	json_object_object_add(m, "name", json_object_new_string(b->name));
	json_object_object_add(m, "created", json_object_new_int64(b->created));
	json_object_object_add(
	    m, "description", json_object_new_string("A deterministic model served by ora-mock."));
	json_object_object_add(m, "context_length", json_object_new_int(b->context_length));
	o = json_object_new_object();
	json_object_object_add(o, "modality", json_object_new_string("text->text"));
	json_object_object_add(o, "input_modalities", mock_strings(text));
	json_object_object_add(o, "output_modalities", mock_strings(text));
	json_object_object_add(o, "tokenizer", json_object_new_string(b->tokenizer));
	json_object_object_add(o, "instruct_type", NULL);
	json_object_object_add(m, "architecture", o);
	o = json_object_new_object();
	json_object_object_add(o, "context_length", json_object_new_int(b->context_length));
	json_object_object_add(
	    o, "max_completion_tokens", json_object_new_int(b->max_completion_tokens));
	json_object_object_add(o, "is_moderated", json_object_new_boolean(b->moderated));
	json_object_object_add(m, "top_provider", o);
	json_object_object_add(m, "per_request_limits", NULL);
	json_object_object_add(m, "supported_parameters", mock_strings(params));
	o = json_object_new_object();
	json_object_object_add(o, "prompt", json_object_new_string(b->prompt));
	json_object_object_add(o, "completion", json_object_new_string(b->completion));
	json_object_object_add(o, "request", json_object_new_string("0"));
	json_object_object_add(o, "image", json_object_new_string("0"));
	json_object_object_add(m, "pricing", o);
	return m;
}

/* A price from pricing[field]: a string or a number; missing means 0. */
static int
mock_catalog_price(json_object *pricing, const char *field, int64_t *pico)
{
	json_object *v;

	*pico = 0;
	if (pricing == NULL || !json_object_object_get_ex(pricing, field, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return -1;
	return mock_money_parse(json_object_get_string(v), pico);
}

/* Index data (an array of models, reference consumed) into a catalog. */
static int
mock_catalog_index(json_object *data, const char *origin, struct mock_catalog **out)
{
	struct mock_catalog *c = mock_xcalloc(1, sizeof(*c));
	json_object *top = json_object_new_object(), *links = json_object_new_object();
	size_t i, n = json_object_array_length(data);

	c->models = mock_xcalloc(n, sizeof(*c->models));
	c->by_id = mock_map_new();
	json_object_object_add(top, "data", data);
	for (i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(data, i), *id, *pricing = NULL;
		struct mock_model *mm = &c->models[c->n];

		if (!json_object_is_type(m, json_type_object) ||
		    !json_object_object_get_ex(m, "id", &id) ||
		    !json_object_is_type(id, json_type_string)) {
			fprintf(
			    stderr, "ora-mock: %s: model %zu has no string \"id\"\n", origin, i);
			goto fail;
		}
		json_object_object_get_ex(m, "pricing", &pricing);
		if (mock_catalog_price(pricing, "prompt", &mm->prompt_pico) != 0 ||
		    mock_catalog_price(pricing, "completion", &mm->completion_pico) != 0) {
			fprintf(stderr,
			    "ora-mock: %s: model %s: pricing.prompt/completion must be "
			    "decimal USD per token with at most 12 decimals\n",
			    origin, json_object_get_string(id));
			goto fail;
		}
		mm->id = mock_xstrdup(json_object_get_string(id));
		if (mock_map_put(c->by_id, mm->id, strlen(mm->id), mm) != NULL) {
			fprintf(stderr, "ora-mock: %s: duplicate model id %s\n", origin, mm->id);
			c->n++;
			goto fail;
		}
		c->n++;
	}
	json_object_object_add(top, "total_count", json_object_new_int64((int64_t)c->n));
	json_object_object_add(links, "next", NULL);
	json_object_object_add(top, "links", links);
	c->body = mock_xstrdup(json_object_to_json_string_ext(
	    top, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	c->body_len = strlen(c->body);
	json_object_put(top);
	*out = c;
	return 0;
fail:
	json_object_put(top);
	json_object_put(links);
	mock_catalog_free(c);
	return -1;
}

struct mock_catalog *
mock_catalog_builtin(void)
{
	json_object *data = json_object_new_array();
	struct mock_catalog *c = NULL;
	size_t i;

	for (i = 0; i < sizeof(mock_builtin) / sizeof(mock_builtin[0]); i++)
		json_object_array_add(data, mock_builtin_json(&mock_builtin[i]));
	if (mock_catalog_index(data, "built-in catalog", &c) != 0)
		abort(); /* the table above is wrong: a bug, not an input */
	return c;
}

int
mock_catalog_load(const char *path, struct mock_catalog **out)
{
	json_object *root = json_object_from_file(path), *data;

	if (root == NULL) {
		fprintf(stderr, "ora-mock: cannot read JSON from %s: %s\n", path,
		    json_util_get_last_err());
		return -1;
	}
	if (!json_object_object_get_ex(root, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		fprintf(stderr, "ora-mock: %s: expected {\"data\": [models...]}\n", path);
		json_object_put(root);
		return -1;
	}
	json_object_get(data);
	json_object_put(root);
	return mock_catalog_index(data, path, out);
}

void
mock_catalog_free(struct mock_catalog *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->models[i].id);
	free(c->models);
	mock_map_free(c->by_id, NULL);
	free(c->body);
	free(c);
}

const struct mock_model *
mock_catalog_find(const struct mock_catalog *c, const char *id)
{
	return mock_map_get(c->by_id, id, strlen(id));
}

const struct mock_model *
mock_catalog_first(const struct mock_catalog *c)
{
	return c->n > 0 ? &c->models[0] : NULL;
}

const char *
mock_catalog_body(const struct mock_catalog *c, size_t *len)
{
	*len = c->body_len;
	return c->body;
}

void
mock_catalog_handle(struct mock_server *srv, struct evhttp_request *req)
{
	size_t len;
	const char *body = mock_catalog_body(srv->catalog, &len);

	srv->stats.req_models++;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		mock_http_reply_error(srv, req, 405, "Method not allowed", NULL);
		return;
	}
	mock_http_reply_text(srv, req, 200, "application/json", body, len);
}
