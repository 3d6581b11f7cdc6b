/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_wire.c: OpenRouter's chat completion JSON, built from a generation.
 *
 * Field names and shapes follow /work/shared/openrouter-api.md; keep them
 * here so that the state machine in mock_gen.c never spells wire format.
 */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>

#include "mock.h"

#define MOCK_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define MOCK_ERROR_CODE 502
#define MOCK_ERROR_MESSAGE "Provider returned error"

int64_t
mock_wire_cost(const struct mock_gen *gen, size_t completion_tokens)
{
	int64_t p, c;

	/* OpenRouter does not charge answers with no output tokens. */
	if (completion_tokens == 0)
		return 0;
	p = mock_money_mul(gen->prompt_tokens, gen->model->prompt_pico);
	c = mock_money_mul((int64_t)completion_tokens, gen->model->completion_pico);
	return p > INT64_MAX - c ? INT64_MAX : p + c;
}

static json_object *
mock_wire_obj1(const char *name, json_object *value)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, name, value);
	return o;
}

json_object *
mock_wire_usage(const struct mock_gen *gen, size_t completion_tokens)
{
	json_object *u = json_object_new_object();

	json_object_object_add(u, "prompt_tokens", json_object_new_int64(gen->prompt_tokens));
	json_object_object_add(
	    u, "completion_tokens", json_object_new_int64((int64_t)completion_tokens));
	json_object_object_add(u, "total_tokens",
	    json_object_new_int64(gen->prompt_tokens + (int64_t)completion_tokens));
	json_object_object_add(u, "cost", mock_money_json(mock_wire_cost(gen, completion_tokens)));
	json_object_object_add(u, "is_byok", json_object_new_boolean(0));
	json_object_object_add(
	    u, "prompt_tokens_details", mock_wire_obj1("cached_tokens", json_object_new_int(0)));
	json_object_object_add(u, "completion_tokens_details",
	    mock_wire_obj1("reasoning_tokens", json_object_new_int(0)));
	json_object_object_add(u, "cost_details", mock_wire_obj1("upstream_inference_cost", NULL));
	return u;
}

static json_object *
mock_wire_error(void)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_int(MOCK_ERROR_CODE));
	json_object_object_add(e, "message", json_object_new_string(MOCK_ERROR_MESSAGE));
	json_object_object_add(
	    e, "metadata", mock_wire_obj1("provider_name", json_object_new_string(MOCK_PROVIDER)));
	return e;
}

/* The fields every completion and chunk starts with. */
static json_object *
mock_wire_head(const struct mock_gen *gen, const char *object)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(gen->id));
	json_object_object_add(o, "provider", json_object_new_string(MOCK_PROVIDER));
	json_object_object_add(o, "model", json_object_new_string(gen->model->id));
	json_object_object_add(o, "object", json_object_new_string(object));
	json_object_object_add(o, "created", json_object_new_int64(gen->created));
	return o;
}

char *
mock_wire_text(const struct mock_gen *gen, size_t n)
{
	size_t len = 0, i;
	char *s, *p;

	for (i = 0; i < n; i++)
		len += strlen(gen->words[i]);
	p = s = mock_xmalloc(len + 1);
	for (i = 0; i < n; i++) {
		size_t l = strlen(gen->words[i]);

		memcpy(p, gen->words[i], l);
		p += l;
	}
	*p = '\0';
	return s;
}

json_object *
mock_wire_completion(const struct mock_gen *gen, long error_tokens)
{
	size_t n = error_tokens >= 0 && (size_t)error_tokens < gen->n_words ? (size_t)error_tokens
	                                                                    : gen->n_words;
	const char *finish = error_tokens >= 0 ? "error" : gen->finish_reason;
	json_object *o = mock_wire_head(gen, "chat.completion"), *choices, *c, *msg;
	char *text = mock_wire_text(gen, n);

	json_object_object_add(o, "system_fingerprint", NULL);
	msg = json_object_new_object();
	json_object_object_add(msg, "role", json_object_new_string("assistant"));
	json_object_object_add(msg, "content", json_object_new_string(text));
	json_object_object_add(msg, "refusal", NULL);
	json_object_object_add(msg, "reasoning", NULL);
	free(text);
	c = json_object_new_object();
	json_object_object_add(c, "logprobs", NULL);
	json_object_object_add(c, "finish_reason", json_object_new_string(finish));
	json_object_object_add(c, "native_finish_reason", json_object_new_string(finish));
	json_object_object_add(c, "index", json_object_new_int(0));
	json_object_object_add(c, "message", msg);
	if (error_tokens >= 0)
		json_object_object_add(c, "error", mock_wire_error());
	choices = json_object_new_array();
	json_object_array_add(choices, c);
	json_object_object_add(o, "choices", choices);
	json_object_object_add(o, "usage", mock_wire_usage(gen, n));
	return o;
}

static void
mock_wire_emit(json_object *o, struct evbuffer *out)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, MOCK_JSON_FLAGS, &len);

	evbuffer_add(out, "data: ", 6);
	evbuffer_add(out, s, len);
	evbuffer_add(out, "\n\n", 2);
	json_object_put(o);
}

static json_object *
mock_wire_choice(json_object *delta, const char *finish)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "index", json_object_new_int(0));
	json_object_object_add(c, "delta", delta);
	json_object_object_add(
	    c, "finish_reason", finish != NULL ? json_object_new_string(finish) : NULL);
	json_object_object_add(
	    c, "native_finish_reason", finish != NULL ? json_object_new_string(finish) : NULL);
	json_object_object_add(c, "logprobs", NULL);
	return c;
}

static json_object *
mock_wire_chunk(const struct mock_gen *gen, json_object *choice)
{
	json_object *o = mock_wire_head(gen, "chat.completion.chunk");
	json_object *choices = json_object_new_array();

	if (choice != NULL)
		json_object_array_add(choices, choice);
	json_object_object_add(o, "choices", choices);
	json_object_object_add(o, "system_fingerprint", NULL);
	return o;
}

void
mock_wire_chunk_content(const struct mock_gen *gen, size_t word, struct evbuffer *out)
{
	json_object *delta = json_object_new_object();

	if (word == 0)
		json_object_object_add(delta, "role", json_object_new_string("assistant"));
	json_object_object_add(delta, "content", json_object_new_string(gen->words[word]));
	mock_wire_emit(mock_wire_chunk(gen, mock_wire_choice(delta, NULL)), out);
}

void
mock_wire_chunk_finish(const struct mock_gen *gen, struct evbuffer *out)
{
	mock_wire_emit(
	    mock_wire_chunk(gen, mock_wire_choice(json_object_new_object(), gen->finish_reason)),
	    out);
}

void
mock_wire_chunk_usage(const struct mock_gen *gen, struct evbuffer *out)
{
	json_object *choice = NULL, *o;

	/* Some providers repeat the finish choice in the usage chunk. */
	if (gen->fault != NULL && gen->fault->usage_repeats_choice)
		choice = mock_wire_choice(json_object_new_object(), gen->finish_reason);
	o = mock_wire_chunk(gen, choice);
	json_object_object_add(o, "usage", mock_wire_usage(gen, gen->n_words));
	mock_wire_emit(o, out);
}

void
mock_wire_chunk_error(const struct mock_gen *gen, struct evbuffer *out)
{
	json_object *o = mock_wire_chunk(
	    gen, mock_wire_choice(mock_wire_obj1("content", json_object_new_string("")), "error"));

	json_object_object_add(o, "error", mock_wire_error());
	json_object_object_add(o, "usage", mock_wire_usage(gen, gen->words_emitted));
	mock_wire_emit(o, out);
}

json_object *
mock_wire_chat_body(struct mock_gen *gen, long error_tokens)
{
	return mock_wire_completion(gen, error_tokens);
}

void
mock_wire_nothing(struct mock_gen *gen, struct evbuffer *out)
{
	(void)gen;
	(void)out;
}

void
mock_wire_chat_word(struct mock_gen *gen, size_t word, struct evbuffer *out)
{
	mock_wire_chunk_content(gen, word, out);
}

void
mock_wire_chat_finish(struct mock_gen *gen, struct evbuffer *out)
{
	mock_wire_chunk_finish(gen, out);
}

void
mock_wire_chat_usage(struct mock_gen *gen, struct evbuffer *out)
{
	mock_wire_chunk_usage(gen, out);
}

void
mock_wire_chat_done(struct mock_gen *gen, struct evbuffer *out)
{
	(void)gen;
	evbuffer_add_printf(out, "data: [DONE]\n\n");
}

void
mock_wire_chat_error(struct mock_gen *gen, struct evbuffer *out)
{
	mock_wire_chunk_error(gen, out);
}

void
mock_wire_sse(const char *event, json_object *obj, struct evbuffer *out)
{
	size_t len;
	const char *s = json_object_to_json_string_length(obj, MOCK_JSON_FLAGS, &len);

	evbuffer_add_printf(out, "event: %s\ndata: ", event);
	evbuffer_add(out, s, len);
	evbuffer_add(out, "\n\n", 2);
	json_object_put(obj);
}

char *
mock_wire_alt_id(const struct mock_gen *gen, const char *prefix)
{
	const char *tail = strncmp(gen->id, "gen-", 4) == 0 ? gen->id + 4 : gen->id;

	return mock_xasprintf("%s%s", prefix, tail);
}
