/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_responses.c: POST /api/v1/responses, OpenRouter's (stateless) take
 * on OpenAI's Responses API: request fields and answer shapes as README.md
 * describes them. Generation, faults and billing are the chat completion's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "mock.h"

#define MOCK_RESP_ERROR_CODE "server_error"
#define MOCK_RESP_ERROR_MESSAGE "Provider returned error"

static const char *const mock_responses_max_fields[] = {"max_output_tokens", NULL};

static json_object *
mock_responses_msg(const char *role, json_object *content)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "role", json_object_new_string(role));
	json_object_object_add(m, "content", content);
	return m;
}

/* input (a string, or a non-empty array of items whose content is a
 * string or parts with "text"), with instructions as a system message in
 * front. Items without content (tool outputs...) count as empty messages. */
static json_object *
mock_responses_prompt(json_object *body, const char **why)
{
	json_object *input, *out, *instr;
	size_t i, n;

	if (!json_object_object_get_ex(body, "input", &input) || input == NULL ||
	    (!json_object_is_type(input, json_type_string) &&
	        !(json_object_is_type(input, json_type_array) &&
	            json_object_array_length(input) > 0))) {
		*why = "Input required: specify \"input\" as a string or a non-empty array";
		return NULL;
	}
	out = json_object_new_array();
	if (json_object_object_get_ex(body, "instructions", &instr) &&
	    json_object_is_type(instr, json_type_string))
		json_object_array_add(out, mock_responses_msg("system", json_object_get(instr)));
	if (json_object_is_type(input, json_type_string)) {
		json_object_array_add(out, mock_responses_msg("user", json_object_get(input)));
		return out;
	}
	n = json_object_array_length(input);
	for (i = 0; i < n; i++)
		json_object_array_add(out, json_object_get(json_object_array_get_idx(input, i)));
	return out;
}

static int
mock_responses_models(json_object *body, json_object **models, char **why)
{
	(void)why;
	*models = NULL;
	if (json_object_object_get_ex(body, "models", models))
		json_object_get(*models);
	return 0;
}

static const char *
mock_responses_user(json_object *body)
{
	const char *u = mock_chat_str(body, "user");

	return u != NULL ? u : mock_chat_str(body, "safety_identifier");
}

static json_object *
mock_responses_usage(const struct mock_gen *gen, size_t words)
{
	json_object *u = json_object_new_object(), *d;

	json_object_object_add(u, "input_tokens", json_object_new_int64(gen->prompt_tokens));
	d = json_object_new_object();
	json_object_object_add(d, "cached_tokens", json_object_new_int(0));
	json_object_object_add(u, "input_tokens_details", d);
	json_object_object_add(u, "output_tokens", json_object_new_int64((int64_t)words));
	d = json_object_new_object();
	json_object_object_add(d, "reasoning_tokens", json_object_new_int(0));
	json_object_object_add(u, "output_tokens_details", d);
	json_object_object_add(
	    u, "total_tokens", json_object_new_int64(gen->prompt_tokens + (int64_t)words));
	json_object_object_add(u, "cost", mock_money_json(mock_wire_cost(gen, words)));
	return u;
}

static json_object *
mock_responses_part(const struct mock_gen *gen, size_t n)
{
	json_object *p = json_object_new_object();
	char *text = mock_wire_text(gen, n);

	json_object_object_add(p, "type", json_object_new_string("output_text"));
	json_object_object_add(p, "text", json_object_new_string(text));
	json_object_object_add(p, "annotations", json_object_new_array());
	free(text);
	return p;
}

/* The output message item; parts < 0: none yet (output_item.added). */
static json_object *
mock_responses_item(const struct mock_gen *gen, long words, const char *status)
{
	json_object *it = json_object_new_object(), *content = json_object_new_array();
	char *id = mock_wire_alt_id(gen, "msg_");

	json_object_object_add(it, "type", json_object_new_string("message"));
	json_object_object_add(it, "id", json_object_new_string(id));
	free(id);
	json_object_object_add(it, "status", json_object_new_string(status));
	json_object_object_add(it, "role", json_object_new_string("assistant"));
	if (words >= 0)
		json_object_array_add(content, mock_responses_part(gen, (size_t)words));
	json_object_object_add(it, "content", content);
	return it;
}

static json_object *
mock_responses_error_obj(void)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(MOCK_RESP_ERROR_CODE));
	json_object_object_add(e, "message", json_object_new_string(MOCK_RESP_ERROR_MESSAGE));
	return e;
}

/* The response object. status "in_progress": no output, usage null;
 * "failed": the first words words, the error; otherwise the whole answer,
 * "incomplete" when cut by max_output_tokens. */
static json_object *
mock_responses_object(const struct mock_gen *gen, const char *status, size_t words)
{
	json_object *o = json_object_new_object(), *output = json_object_new_array();
	int running = strcmp(status, "in_progress") == 0, failed = strcmp(status, "failed") == 0;
	int incomplete = !running && !failed && strcmp(gen->finish_reason, "length") == 0;
	char *id = mock_wire_alt_id(gen, "resp_");

	json_object_object_add(o, "id", json_object_new_string(id));
	free(id);
	json_object_object_add(o, "object", json_object_new_string("response"));
	json_object_object_add(o, "created_at", json_object_new_int64(gen->created));
	json_object_object_add(o, "model", json_object_new_string(gen->model->id));
	json_object_object_add(o, "status",
	    json_object_new_string(incomplete          ? "incomplete"
	                           : running || failed ? status
	                                               : "completed"));
	if (!running)
		json_object_array_add(
		    output, mock_responses_item(gen, (long)words,
		                failed || incomplete ? "incomplete" : "completed"));
	json_object_object_add(o, "output", output);
	json_object_object_add(o, "error", failed ? mock_responses_error_obj() : NULL);
	if (incomplete) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "reason", json_object_new_string("max_output_tokens"));
		json_object_object_add(o, "incomplete_details", d);
	} else
		json_object_object_add(o, "incomplete_details", NULL);
	json_object_object_add(o, "usage", running ? NULL : mock_responses_usage(gen, words));
	json_object_object_add(o, "tools", json_object_new_array());
	json_object_object_add(o, "tool_choice", json_object_new_string("auto"));
	json_object_object_add(o, "parallel_tool_calls", json_object_new_boolean(1));
	json_object_object_add(o, "provider", json_object_new_string(MOCK_PROVIDER));
	return o;
}

/* An error after generating started is a 200 whose status is "failed". */
static json_object *
mock_responses_body(struct mock_gen *gen, long error_tokens)
{
	if (error_tokens >= 0)
		return mock_responses_object(gen, "failed",
		    (size_t)error_tokens < gen->n_words ? (size_t)error_tokens : gen->n_words);
	return mock_responses_object(gen, "completed", gen->n_words);
}

/* Every event: {"type": type, "sequence_number": n, ...}. */
static json_object *
mock_responses_event(struct mock_gen *gen, const char *type)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "sequence_number", json_object_new_int64(gen->sequence++));
	return o;
}

/* The fields locating the text inside the output. */
static void
mock_responses_where(const struct mock_gen *gen, json_object *o, int with_content)
{
	char *id = mock_wire_alt_id(gen, "msg_");

	json_object_object_add(o, "item_id", json_object_new_string(id));
	free(id);
	json_object_object_add(o, "output_index", json_object_new_int(0));
	if (with_content)
		json_object_object_add(o, "content_index", json_object_new_int(0));
}

static void
mock_responses_emit(const char *type, json_object *o, struct evbuffer *out)
{
	mock_wire_sse(type, o, out);
}

static void
mock_responses_start(struct mock_gen *gen, struct evbuffer *out)
{
	static const char *const opening[] = {"response.created", "response.in_progress"};
	json_object *o;
	size_t i;

	for (i = 0; i < 2; i++) {
		o = mock_responses_event(gen, opening[i]);
		json_object_object_add(o, "response", mock_responses_object(gen, "in_progress", 0));
		mock_responses_emit(opening[i], o, out);
	}
	o = mock_responses_event(gen, "response.output_item.added");
	json_object_object_add(o, "output_index", json_object_new_int(0));
	json_object_object_add(o, "item", mock_responses_item(gen, -1, "in_progress"));
	mock_responses_emit("response.output_item.added", o, out);
	o = mock_responses_event(gen, "response.content_part.added");
	mock_responses_where(gen, o, 1);
	json_object_object_add(o, "part", mock_responses_part(gen, 0));
	mock_responses_emit("response.content_part.added", o, out);
}

static void
mock_responses_word(struct mock_gen *gen, size_t word, struct evbuffer *out)
{
	json_object *o = mock_responses_event(gen, "response.output_text.delta");

	mock_responses_where(gen, o, 1);
	json_object_object_add(o, "delta", json_object_new_string(gen->words[word]));
	json_object_object_add(o, "logprobs", json_object_new_array());
	mock_responses_emit("response.output_text.delta", o, out);
}

static void
mock_responses_finish(struct mock_gen *gen, struct evbuffer *out)
{
	json_object *o = mock_responses_event(gen, "response.output_text.done");
	char *text = mock_wire_text(gen, gen->n_words);
	const char *status = strcmp(gen->finish_reason, "length") == 0 ? "incomplete" : "completed";

	mock_responses_where(gen, o, 1);
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_object_add(o, "logprobs", json_object_new_array());
	free(text);
	mock_responses_emit("response.output_text.done", o, out);
	o = mock_responses_event(gen, "response.content_part.done");
	mock_responses_where(gen, o, 1);
	json_object_object_add(o, "part", mock_responses_part(gen, gen->n_words));
	mock_responses_emit("response.content_part.done", o, out);
	o = mock_responses_event(gen, "response.output_item.done");
	json_object_object_add(o, "output_index", json_object_new_int(0));
	json_object_object_add(o, "item", mock_responses_item(gen, (long)gen->n_words, status));
	mock_responses_emit("response.output_item.done", o, out);
}

/* The last event carries the usage: response.completed, or
 * response.incomplete when max_output_tokens cut the answer. */
static void
mock_responses_completed(struct mock_gen *gen, struct evbuffer *out)
{
	const char *type = strcmp(gen->finish_reason, "length") == 0 ? "response.incomplete"
	                                                             : "response.completed";
	json_object *o = mock_responses_event(gen, type);

	json_object_object_add(
	    o, "response", mock_responses_object(gen, "completed", gen->n_words));
	mock_responses_emit(type, o, out);
}

static void
mock_responses_failed(struct mock_gen *gen, struct evbuffer *out)
{
	json_object *o = mock_responses_event(gen, "response.failed");

	json_object_object_add(
	    o, "response", mock_responses_object(gen, "failed", gen->words_emitted));
	mock_responses_emit("response.failed", o, out);
}

const struct mock_shape mock_shape_responses = {
    .name = "responses",
    .prompt = mock_responses_prompt,
    .models = mock_responses_models,
    .max_tokens_fields = mock_responses_max_fields,
    .user = mock_responses_user,
    .error_body = mock_http_error_body,
    .body = mock_responses_body,
    .stream_start = mock_responses_start,
    .stream_word = mock_responses_word,
    .stream_finish = mock_responses_finish,
    .stream_usage = mock_responses_completed,
    .stream_done = mock_wire_nothing,
    .stream_error = mock_responses_failed,
};

void
mock_responses_handle(struct mock_server *srv, struct evhttp_request *req)
{
	srv->stats.req_responses++;
	mock_chat_handle_shape(srv, req, &mock_shape_responses);
}
