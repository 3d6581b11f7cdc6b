/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_messages.c: POST /api/v1/messages, OpenRouter's Anthropic-compatible
 * endpoint, in Anthropic's request and answer shapes (README.md lists what
 * was relied on). The generation itself, its faults and its billing are the
 * chat completion's: only the spelling differs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "mock.h"

#define MOCK_MSG_ERROR_MESSAGE "Provider returned error"

static const char *const mock_messages_max_fields[] = {"max_tokens", NULL};

/* messages (required, non-empty), with system (string or text blocks)
 * counted as one more message in front. */
static json_object *
mock_messages_prompt(json_object *body, const char **why)
{
	json_object *messages, *system, *out;
	size_t i, n;

	if (!json_object_object_get_ex(body, "messages", &messages) ||
	    !json_object_is_type(messages, json_type_array) ||
	    json_object_array_length(messages) == 0) {
		*why = "messages: Field required (a non-empty array)";
		return NULL;
	}
	out = json_object_new_array();
	if (json_object_object_get_ex(body, "system", &system) && system != NULL) {
		json_object *m = json_object_new_object();

		json_object_object_add(m, "role", json_object_new_string("system"));
		json_object_object_add(m, "content", json_object_get(system));
		json_object_array_add(out, m);
	}
	n = json_object_array_length(messages);
	for (i = 0; i < n; i++)
		json_object_array_add(out, json_object_get(json_object_array_get_idx(messages, i)));
	return out;
}

/* models (as in chat), or OpenRouter's fallbacks [{"model": id}], not both. */
static int
mock_messages_models(json_object *body, json_object **models, char **why)
{
	json_object *fallbacks, *m;
	size_t i, n;

	*models = NULL;
	if (!json_object_object_get_ex(body, "fallbacks", &fallbacks) || fallbacks == NULL) {
		if (json_object_object_get_ex(body, "models", &m))
			*models = json_object_get(m);
		return 0;
	}
	if (json_object_object_get_ex(body, "models", &m)) {
		*why = mock_xasprintf("fallbacks cannot be combined with models");
		return -1;
	}
	if (!json_object_is_type(fallbacks, json_type_array))
		goto bad;
	*models = json_object_new_array();
	n = json_object_array_length(fallbacks);
	for (i = 0; i < n; i++) {
		const char *id = mock_chat_str(json_object_array_get_idx(fallbacks, i), "model");

		if (id == NULL)
			goto bad;
		json_object_array_add(*models, json_object_new_string(id));
	}
	return 0;
bad:
	json_object_put(*models);
	*models = NULL;
	*why = mock_xasprintf("fallbacks must be an array of {\"model\": id} objects");
	return -1;
}

/* Anthropic's place for it is metadata.user_id; a top-level user is
 * OpenRouter's and is read second. */
static const char *
mock_messages_user(json_object *body)
{
	json_object *meta;
	const char *u;

	if (json_object_object_get_ex(body, "metadata", &meta) &&
	    (u = mock_chat_str(meta, "user_id")) != NULL)
		return u;
	return mock_chat_str(body, "user");
}

static const char *
mock_messages_error_type(int code)
{
	switch (code) {
	case 400:
		return "invalid_request_error";
	case 401:
		return "authentication_error";
	case 402:
		return "billing_error";
	case 403:
		return "permission_error";
	case 404:
		return "not_found_error";
	case 408:
		return "timeout_error";
	case 413:
		return "request_too_large";
	case 429:
		return "rate_limit_error";
	case 529:
		return "overloaded_error";
	default:
		return code >= 500 ? "api_error" : "invalid_request_error";
	}
}

static json_object *
mock_messages_error_obj(int code, const char *message)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "type", json_object_new_string(mock_messages_error_type(code)));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "type", json_object_new_string("error"));
	json_object_object_add(o, "error", e);
	return o;
}

/* Anthropic's error body has no metadata: it is dropped. */
static json_object *
mock_messages_error_body(int code, const char *message, json_object *metadata)
{
	json_object_put(metadata);
	return mock_messages_error_obj(code, message);
}

static const char *
mock_messages_stop_reason(const struct mock_gen *gen)
{
	return strcmp(gen->finish_reason, "length") == 0 ? "max_tokens" : "end_turn";
}

static json_object *
mock_messages_usage(const struct mock_gen *gen, size_t words)
{
	json_object *u = json_object_new_object();

	json_object_object_add(u, "input_tokens", json_object_new_int64(gen->prompt_tokens));
	json_object_object_add(u, "output_tokens", json_object_new_int64((int64_t)words));
	json_object_object_add(u, "cache_creation_input_tokens", json_object_new_int(0));
	json_object_object_add(u, "cache_read_input_tokens", json_object_new_int(0));
	json_object_object_add(u, "cost", mock_money_json(mock_wire_cost(gen, words)));
	return u;
}

/* The message object: with the answer's first n words, or (n = 0 and
 * open) as message_start announces it. */
static json_object *
mock_messages_message(const struct mock_gen *gen, size_t n, int open)
{
	json_object *o = json_object_new_object(), *content = json_object_new_array();
	char *id = mock_wire_alt_id(gen, "msg_");

	json_object_object_add(o, "id", json_object_new_string(id));
	free(id);
	json_object_object_add(o, "type", json_object_new_string("message"));
	json_object_object_add(o, "role", json_object_new_string("assistant"));
	json_object_object_add(o, "model", json_object_new_string(gen->model->id));
	if (!open) {
		json_object *block = json_object_new_object();
		char *text = mock_wire_text(gen, n);

		json_object_object_add(block, "type", json_object_new_string("text"));
		json_object_object_add(block, "text", json_object_new_string(text));
		free(text);
		json_object_array_add(content, block);
	}
	json_object_object_add(o, "content", content);
	json_object_object_add(
	    o, "stop_reason", open ? NULL : json_object_new_string(mock_messages_stop_reason(gen)));
	json_object_object_add(o, "stop_sequence", NULL);
	json_object_object_add(o, "usage", mock_messages_usage(gen, n));
	/* The cost is not known when the stream opens: message_delta has it. */
	if (open)
		json_object_object_del(json_object_object_get(o, "usage"), "cost");
	json_object_object_add(o, "provider", json_object_new_string(MOCK_PROVIDER));
	return o;
}

/* An error after generating started has no message shape: the answer is
 * an api_error (502), though the words generated are billed. */
static json_object *
mock_messages_body(struct mock_gen *gen, long error_tokens)
{
	if (error_tokens >= 0) {
		gen->reply_status = 502;
		return mock_messages_error_obj(502, MOCK_MSG_ERROR_MESSAGE);
	}
	return mock_messages_message(gen, gen->n_words, 0);
}

static json_object *
mock_messages_event(const char *type)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	return o;
}

static void
mock_messages_start(struct mock_gen *gen, struct evbuffer *out)
{
	json_object *o = mock_messages_event("message_start"), *block;

	json_object_object_add(o, "message", mock_messages_message(gen, 0, 1));
	mock_wire_sse("message_start", o, out);
	o = mock_messages_event("content_block_start");
	json_object_object_add(o, "index", json_object_new_int(0));
	block = json_object_new_object();
	json_object_object_add(block, "type", json_object_new_string("text"));
	json_object_object_add(block, "text", json_object_new_string(""));
	json_object_object_add(o, "content_block", block);
	mock_wire_sse("content_block_start", o, out);
	mock_wire_sse("ping", mock_messages_event("ping"), out);
}

static void
mock_messages_word(struct mock_gen *gen, size_t word, struct evbuffer *out)
{
	json_object *o = mock_messages_event("content_block_delta"), *d = json_object_new_object();

	json_object_object_add(o, "index", json_object_new_int(0));
	json_object_object_add(d, "type", json_object_new_string("text_delta"));
	json_object_object_add(d, "text", json_object_new_string(gen->words[word]));
	json_object_object_add(o, "delta", d);
	mock_wire_sse("content_block_delta", o, out);
}

static void
mock_messages_finish(struct mock_gen *gen, struct evbuffer *out)
{
	json_object *o = mock_messages_event("content_block_stop"), *d;

	json_object_object_add(o, "index", json_object_new_int(0));
	mock_wire_sse("content_block_stop", o, out);
	o = mock_messages_event("message_delta");
	d = json_object_new_object();
	json_object_object_add(
	    d, "stop_reason", json_object_new_string(mock_messages_stop_reason(gen)));
	json_object_object_add(d, "stop_sequence", NULL);
	json_object_object_add(o, "delta", d);
	json_object_object_add(o, "usage", mock_messages_usage(gen, gen->n_words));
	mock_wire_sse("message_delta", o, out);
}

static void
mock_messages_stop(struct mock_gen *gen, struct evbuffer *out)
{
	(void)gen;
	mock_wire_sse("message_stop", mock_messages_event("message_stop"), out);
}

/* Anthropic ends a failing stream with an error event and nothing else. */
static void
mock_messages_error(struct mock_gen *gen, struct evbuffer *out)
{
	(void)gen;
	mock_wire_sse("error", mock_messages_error_obj(502, MOCK_MSG_ERROR_MESSAGE), out);
}

const struct mock_shape mock_shape_messages = {
    .name = "messages",
    .prompt = mock_messages_prompt,
    .models = mock_messages_models,
    .max_tokens_fields = mock_messages_max_fields,
    .user = mock_messages_user,
    .error_body = mock_messages_error_body,
    .body = mock_messages_body,
    .stream_start = mock_messages_start,
    .stream_word = mock_messages_word,
    .stream_finish = mock_messages_finish,
    .stream_usage = mock_messages_stop,
    .stream_done = mock_wire_nothing,
    .stream_error = mock_messages_error,
};

void
mock_messages_handle(struct mock_server *srv, struct evhttp_request *req)
{
	srv->stats.req_messages++;
	mock_chat_handle_shape(srv, req, &mock_shape_messages);
}
