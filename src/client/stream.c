/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/json.h"
#include "client/stream.h"

void
oc_stream_init(struct oc_stream *s, ora_delta_fn on_content, ora_delta_fn on_reasoning, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->on_content = on_content;
	s->on_reasoning = on_reasoning;
	s->arg = arg;
	s->usage.prompt_tokens = s->usage.completion_tokens = s->usage.total_tokens = -1;
}

void
oc_stream_free(struct oc_stream *s)
{
	if (s == NULL)
		return;
	free(s->model);
	free(s->id);
	free(s->finish_reason);
	s->model = s->id = s->finish_reason = NULL;
}

static int
stop(struct oc_stream *s, enum ora_status status, const char *message)
{
	s->status = status;
	oc_copy_message(s->message, sizeof(s->message), message);
	return 1;
}

/* An error object from upstream: use its message when it has one. */
static int
stop_upstream(struct oc_stream *s, struct json_object *error, const char *fallback)
{
	const char *msg = oc_json_str(error, "message");

	return stop(s, ORA_E_UPSTREAM_MIDSTREAM, msg != NULL && *msg != '\0' ? msg : fallback);
}

static int
deliver(struct oc_stream *s, ora_delta_fn fn, struct json_object *delta, const char *key)
{
	struct json_object *v = oc_json_get(delta, key, json_type_string);
	int len;

	if (fn == NULL || v == NULL || (len = json_object_get_string_len(v)) == 0)
		return 0;
	if (fn(s->arg, json_object_get_string(v), (size_t)len) != 0)
		return stop(s, ORA_E_CANCELLED, "the request was cancelled");
	return 0;
}

/* Only the first choice: the library never asks for more than one. */
static int
handle_choice(struct oc_stream *s, struct json_object *choice)
{
	struct json_object *delta, *error;

	if ((delta = oc_json_get(choice, "delta", json_type_object)) != NULL) {
		if (deliver(s, s->on_reasoning, delta, "reasoning") != 0 ||
		    deliver(s, s->on_content, delta, "content") != 0)
			return 1;
	}
	if (oc_json_get(choice, "finish_reason", json_type_string) != NULL) {
		if (oc_json_dup(choice, "finish_reason", &s->finish_reason) != ORA_OK)
			return stop(s, ORA_E_NOMEM, "out of memory");
		s->finished = 1;
	}
	error = oc_json_get(choice, "error", json_type_object);
	if (error != NULL || (s->finish_reason != NULL && strcmp(s->finish_reason, "error") == 0))
		return stop_upstream(s, error, "the model failed in the middle of the answer");
	return 0;
}

int
oc_stream_event(void *arg, const char *data, size_t len)
{
	struct oc_stream *s = arg;
	struct json_object *chunk, *choices, *error;
	int r = 0;

	if (s->status != ORA_OK)
		return 1;
	if (s->done)
		return 0; /* nothing counts after the end */
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		s->done = 1;
		return 0;
	}
	if ((chunk = oc_json_parse(data, len)) == NULL ||
	    !json_object_is_type(chunk, json_type_object)) {
		json_object_put(chunk);
		return stop(s, ORA_E_PROTOCOL, "the broker sent a stream event that is not JSON");
	}
	/* An error chunk may also carry the usage so far: keep it first. */
	oc_json_usage(chunk, &s->usage);
	if (oc_json_dup(chunk, "model", &s->model) != ORA_OK ||
	    oc_json_dup(chunk, "id", &s->id) != ORA_OK)
		r = stop(s, ORA_E_NOMEM, "out of memory");
	else if ((error = oc_json_get(chunk, "error", json_type_object)) != NULL)
		r = stop_upstream(
		    s, error, "the upstream provider failed in the middle of the answer");
	else if ((choices = oc_json_get(chunk, "choices", json_type_array)) != NULL &&
	         json_object_array_length(choices) > 0)
		r = handle_choice(s, json_object_array_get_idx(choices, 0));
	json_object_put(chunk);
	return r;
}

enum ora_status
oc_stream_result(struct oc_stream *s)
{
	if (s->status != ORA_OK)
		return s->status;
	if (s->done || s->finished)
		return ORA_OK;
	stop(s, ORA_E_UPSTREAM_MIDSTREAM,
	    "the answer broke off: the stream ended before it was complete");
	return s->status;
}

enum ora_status
oc_stream_reply(struct oc_stream *s, struct ora_reply **out)
{
	struct ora_reply *r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ORA_E_NOMEM;
	r->model = s->model;
	r->id = s->id;
	r->finish_reason = s->finish_reason;
	r->usage = s->usage;
	s->model = s->id = s->finish_reason = NULL;
	*out = r;
	return ORA_OK;
}
