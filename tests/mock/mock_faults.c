/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_faults.c: the fault queue behind POST/DELETE/GET /mock/faults.
 *
 * Tests queue fault specs; each chat request that passes authentication
 * and validation takes the head of the queue. Unknown fields and wrong
 * types are refused with a 400 naming the field, so a typo in a test fails
 * loudly instead of silently testing nothing.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

struct mock_fault_node {
	struct mock_fault_node *next;
	struct mock_fault *fault;
};

struct mock_faults {
	struct mock_fault_node *head, *tail;
	size_t n;
};

/* The free-model limit OpenRouter reports in X-RateLimit-Limit. */
#define MOCK_RATE_LIMIT "20"

enum mock_field_type { MOCK_FIELD_INT, MOCK_FIELD_BOOL };

struct mock_fault_field {
	const char *name;
	enum mock_field_type type;
	size_t offset;
	int min, max;
};

/* One field a line reads better as a table. */
/* clang-format off */
#define MOCK_FF(name, type, lo, hi) {#name, type, offsetof(struct mock_fault, name), lo, hi}

static const struct mock_fault_field mock_fault_fields[] = {
	MOCK_FF(times, MOCK_FIELD_INT, 0, INT_MAX),
	MOCK_FF(status, MOCK_FIELD_INT, 100, 599),
	MOCK_FF(retry_after, MOCK_FIELD_INT, 0, INT_MAX),
	MOCK_FF(rate_limit_headers, MOCK_FIELD_BOOL, 0, 1),
	MOCK_FF(delay_headers_ms, MOCK_FIELD_INT, 0, MOCK_MAX_DELAY_MS),
	MOCK_FF(delay_events_ms, MOCK_FIELD_INT, 0, MOCK_MAX_DELAY_MS),
	MOCK_FF(whitespace_prefix, MOCK_FIELD_BOOL, 0, 1),
	MOCK_FF(processing_comments, MOCK_FIELD_INT, 0, 100000),
	MOCK_FF(error_after_events, MOCK_FIELD_INT, 0, MOCK_MAX_FAULT_TOKENS),
	MOCK_FF(cut_before_headers, MOCK_FIELD_BOOL, 0, 1),
	MOCK_FF(cut_after_events, MOCK_FIELD_INT, 0, MOCK_MAX_FAULT_TOKENS),
	MOCK_FF(pause_after_events, MOCK_FIELD_INT, 0, MOCK_MAX_FAULT_TOKENS),
	MOCK_FF(drip_bytes, MOCK_FIELD_INT, 1, INT_MAX),
	MOCK_FF(completion_tokens, MOCK_FIELD_INT, 0, MOCK_MAX_FAULT_TOKENS),
	MOCK_FF(usage_repeats_choice, MOCK_FIELD_BOOL, 0, 1),
};
/* clang-format on */

struct mock_faults *
mock_faults_new(void)
{
	return mock_xcalloc(1, sizeof(struct mock_faults));
}

void
mock_faults_clear(struct mock_faults *q)
{
	struct mock_fault_node *n, *next;

	if (q == NULL)
		return;
	for (n = q->head; n != NULL; n = next) {
		next = n->next;
		mock_fault_unref(n->fault);
		free(n);
	}
	q->head = q->tail = NULL;
	q->n = 0;
}

void
mock_faults_free(struct mock_faults *q)
{
	mock_faults_clear(q);
	free(q);
}

struct mock_fault *
mock_fault_ref(struct mock_fault *f)
{
	if (f != NULL)
		f->refs++;
	return f;
}

void
mock_fault_unref(struct mock_fault *f)
{
	size_t i;

	if (f == NULL || --f->refs > 0)
		return;
	free(f->message);
	json_object_put(f->metadata);
	for (i = 0; i < f->n_fail_models; i++)
		free(f->fail_models[i]);
	free(f->fail_models);
	free(f->content);
	json_object_put(f->spec);
	free(f);
}

int
mock_fault_fails_model(const struct mock_fault *f, const char *model)
{
	size_t i;

	if (f == NULL)
		return 0;
	for (i = 0; i < f->n_fail_models; i++)
		if (strcmp(f->fail_models[i], model) == 0)
			return 1;
	return 0;
}

struct mock_fault *
mock_faults_take(struct mock_faults *q)
{
	struct mock_fault_node *n = q->head;
	struct mock_fault *f;

	if (n == NULL)
		return NULL;
	f = mock_fault_ref(n->fault);
	if (f->times == 0)
		return f; /* applies until DELETE /mock/faults or reset */
	if (--n->fault->times == 0) {
		q->head = n->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->n--;
		mock_fault_unref(n->fault);
		free(n);
	}
	return f;
}

const char *
mock_fault_message(int code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 401:
		return "User not found.";
	case 402:
		return "Insufficient credits. Add more using https://openrouter.ai/credits";
	case 403:
		return "Input was flagged by moderation";
	case 404:
		return "No endpoints found for this model.";
	case 408:
		return "Request timed out";
	case 413:
		return "Request entity too large";
	case 422:
		return "Unprocessable entity";
	case 429:
		return "Rate limit exceeded: free-models-per-min.";
	case 502:
		return "Provider returned error";
	case 503:
		return "No instances available";
	case 524:
		return "Provider timed out";
	case 529:
		return "Provider overloaded";
	default:
		return "Mock fault";
	}
}

void
mock_fault_reply(struct mock_server *srv, struct evhttp_request *req, const struct mock_fault *f,
    int code, const char *message, json_object *metadata, const struct mock_shape *shape)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (f != NULL && f->retry_after >= 0) {
		char v[16];

		snprintf(v, sizeof(v), "%d", f->retry_after);
		evhttp_add_header(h, "Retry-After", v);
	}
	if (f != NULL && f->rate_limit_headers) {
		/* Platform 429s carry these and repeat them in metadata. */
		int64_t reset =
		    mock_wall_ms() + 1000LL * (f->retry_after > 0 ? f->retry_after : 60);
		json_object *hj = json_object_new_object();
		char r[32];

		snprintf(r, sizeof(r), "%lld", (long long)reset);
		evhttp_add_header(h, "X-RateLimit-Limit", MOCK_RATE_LIMIT);
		evhttp_add_header(h, "X-RateLimit-Remaining", "0");
		evhttp_add_header(h, "X-RateLimit-Reset", r);
		json_object_object_add(
		    hj, "X-RateLimit-Limit", json_object_new_string(MOCK_RATE_LIMIT));
		json_object_object_add(hj, "X-RateLimit-Remaining", json_object_new_string("0"));
		json_object_object_add(hj, "X-RateLimit-Reset", json_object_new_string(r));
		if (metadata == NULL)
			metadata = json_object_new_object();
		json_object_object_add(metadata, "headers", hj);
	}
	mock_http_reply_json(srv, req, code, shape->error_body(code, message, metadata));
}

static int
mock_fault_set_field(struct mock_fault *f, const char *name, json_object *v, char **why)
{
	size_t i;

	for (i = 0; i < sizeof(mock_fault_fields) / sizeof(mock_fault_fields[0]); i++) {
		const struct mock_fault_field *ff = &mock_fault_fields[i];
		int *slot = (int *)((char *)f + ff->offset);
		int64_t x;

		if (strcmp(ff->name, name) != 0)
			continue;
		if (ff->type == MOCK_FIELD_BOOL) {
			if (!json_object_is_type(v, json_type_boolean)) {
				*why = mock_xasprintf("fault field %s must be true or false", name);
				return -1;
			}
			*slot = json_object_get_boolean(v);
			return 0;
		}
		if (!json_object_is_type(v, json_type_int) ||
		    (x = json_object_get_int64(v)) < ff->min || x > ff->max) {
			*why = mock_xasprintf("fault field %s must be an integer in [%d, %d]", name,
			    ff->min, ff->max);
			return -1;
		}
		*slot = (int)x;
		return 0;
	}
	if (strcmp(name, "message") == 0 || strcmp(name, "content") == 0) {
		if (!json_object_is_type(v, json_type_string)) {
			*why = mock_xasprintf("fault field %s must be a string", name);
			return -1;
		}
		if (name[0] == 'm')
			f->message = mock_xstrdup(json_object_get_string(v));
		else
			f->content = mock_xstrdup(json_object_get_string(v));
		return 0;
	}
	if (strcmp(name, "metadata") == 0) {
		if (!json_object_is_type(v, json_type_object)) {
			*why = mock_xasprintf("fault field metadata must be an object");
			return -1;
		}
		f->metadata = json_object_get(v);
		return 0;
	}
	if (strcmp(name, "fail_models") == 0) {
		size_t n =
		    json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;

		if (!json_object_is_type(v, json_type_array))
			goto bad_models;
		f->fail_models = mock_xcalloc(n, sizeof(char *));
		for (i = 0; i < n; i++) {
			json_object *s = json_object_array_get_idx(v, i);

			if (!json_object_is_type(s, json_type_string))
				goto bad_models;
			f->fail_models[f->n_fail_models++] =
			    mock_xstrdup(json_object_get_string(s));
		}
		return 0;
	bad_models:
		*why = mock_xasprintf("fault field fail_models must be an array of model ids");
		return -1;
	}
	*why = mock_xasprintf("unknown fault field \"%s\"", name);
	return -1;
}

/* Parse one fault spec object into a new fault (one reference). */
static int
mock_fault_parse(json_object *spec, struct mock_fault **out, char **why)
{
	struct mock_fault *f = mock_xcalloc(1, sizeof(*f));

	f->refs = 1;
	f->times = 1;
	f->status = f->retry_after = f->delay_headers_ms = f->delay_events_ms = -1;
	f->processing_comments = f->error_after_events = f->cut_after_events = -1;
	f->pause_after_events = f->drip_bytes = f->completion_tokens = -1;
	f->spec = json_object_get(spec);
	if (!json_object_is_type(spec, json_type_object)) {
		*why = mock_xasprintf("a fault spec must be a JSON object");
		goto fail;
	}
	json_object_object_foreach(spec, name, v)
	{
		if (mock_fault_set_field(f, name, v, why) != 0)
			goto fail;
	}
	*out = f;
	return 0;
fail:
	mock_fault_unref(f);
	return -1;
}

static void
mock_faults_push(struct mock_faults *q, struct mock_fault *f)
{
	struct mock_fault_node *n = mock_xcalloc(1, sizeof(*n));

	n->fault = f;
	if (q->tail != NULL)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	q->n++;
}

static json_object *
mock_faults_json(const struct mock_faults *q)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	const struct mock_fault_node *n;

	for (n = q->head; n != NULL; n = n->next) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "spec", json_object_get(n->fault->spec));
		json_object_object_add(e, "times_left", json_object_new_int(n->fault->times));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "data", a);
	json_object_object_add(o, "queued", json_object_new_int64((int64_t)q->n));
	return o;
}

/* POST appends (one spec object, or an array of them, all or nothing);
 * DELETE clears; GET lists. */
void
mock_faults_handle(struct mock_server *srv, struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct mock_fault **parsed = NULL;
	json_object *body = NULL;
	size_t len, i, n = 0;
	const char *text;
	char *why = NULL;

	if (cmd == EVHTTP_REQ_DELETE)
		mock_faults_clear(srv->faults);
	else if (cmd == EVHTTP_REQ_POST) {
		text = mock_http_body(req, &len);
		body = json_tokener_parse(text);
		if (body == NULL) {
			mock_http_reply_error(srv, req, 400, "fault spec is not valid JSON", NULL);
			return;
		}
		n = json_object_is_type(body, json_type_array) ? json_object_array_length(body) : 1;
		parsed = mock_xcalloc(n, sizeof(*parsed));
		for (i = 0; i < n; i++) {
			json_object *spec = json_object_is_type(body, json_type_array)
			                        ? json_object_array_get_idx(body, i)
			                        : body;

			if (mock_fault_parse(spec, &parsed[i], &why) != 0)
				break;
		}
		if (i < n) {
			mock_http_reply_error(srv, req, 400, why, NULL);
			n = i;
		} else {
			for (i = 0; i < n; i++)
				mock_faults_push(srv->faults, parsed[i]);
			n = 0; /* the queue owns them now */
		}
		for (i = 0; i < n; i++)
			mock_fault_unref(parsed[i]);
		free(parsed);
		json_object_put(body);
		if (why != NULL) {
			free(why);
			return;
		}
	} else if (cmd != EVHTTP_REQ_GET) {
		mock_http_reply_error(srv, req, 405, "Method not allowed", NULL);
		return;
	}
	mock_http_reply_json(srv, req, 200, mock_faults_json(srv->faults));
}
