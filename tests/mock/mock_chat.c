/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_chat.c: POST /api/v1/chat/completions up to the point where an
 * answer starts: logging the request, authentication, validation, model
 * choice, the fault, and the deterministic answer text.
 *
 * Order, which decides which requests consume a fault: 405, 401, 400 (bad
 * JSON, messages, model, models) are answered without taking one; every
 * request that passes them takes the head of the fault queue.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>

#include "mock.h"

#define MOCK_JSON_MAX_DEPTH 64

static const char *const mock_filler[] = {
    "The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog."};
#define MOCK_N_FILLER (sizeof(mock_filler) / sizeof(mock_filler[0]))

/* A JSON body, or NULL when it is not exactly one valid UTF-8 document. */
static json_object *
mock_chat_parse(const char *text, size_t len)
{
	json_tokener *tok = json_tokener_new_ex(MOCK_JSON_MAX_DEPTH);
	json_object *o;
	size_t end;

	if (tok == NULL || len > (size_t)MOCK_MAX_BODY_BYTES) {
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o != NULL && json_tokener_get_error(tok) == json_tokener_success) {
		for (end = json_tokener_get_parse_end(tok); end < len; end++)
			if (!isspace((unsigned char)text[end]))
				break;
		if (end < len) {
			json_object_put(o);
			o = NULL;
		}
	} else {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

const char *
mock_chat_str(json_object *obj, const char *field)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, field, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
mock_chat_jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

/* What tests assert about the request the broker sent upstream. */
static json_object *
mock_chat_entry(struct evhttp_request *req, json_object *body, const char *text, size_t len)
{
	json_object *e = json_object_new_object(), *hdrs = json_object_new_object();
	const char *auth = mock_http_header(req, "Authorization");
	const char *title = mock_http_header(req, "X-OpenRouter-Title");
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
	json_object_object_add(hdrs, kv->key, json_object_new_string(kv->value));
	json_object_object_add(e, "time_ms", json_object_new_int64(mock_wall_ms()));
	json_object_object_add(e, "authorization", mock_chat_jstr(auth));
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		for (auth += 7; *auth == ' '; auth++)
			;
		json_object_object_add(e, "authorization_key", json_object_new_string(auth));
	} else
		json_object_object_add(e, "authorization_key", NULL);
	json_object_object_add(e, "user", mock_chat_jstr(mock_chat_str(body, "user")));
	json_object_object_add(e, "referer", mock_chat_jstr(mock_http_header(req, "HTTP-Referer")));
	if (title == NULL)
		title = mock_http_header(req, "X-Title");
	json_object_object_add(e, "title", mock_chat_jstr(title));
	json_object_object_add(e, "x_title", mock_chat_jstr(mock_http_header(req, "X-Title")));
	json_object_object_add(
	    e, "x_openrouter_title", mock_chat_jstr(mock_http_header(req, "X-OpenRouter-Title")));
	json_object_object_add(e, "headers", hdrs);
	json_object_object_add(e, "body", json_object_get(body));
	if (body == NULL)
		json_object_object_add(e, "body_raw", json_object_new_string_len(text, (int)len));
	return e;
}

static void
mock_chat_refuse(struct mock_server *srv, struct evhttp_request *req, json_object *entry, int code,
    const char *message, const struct mock_shape *shape)
{
	json_object_object_add(entry, "status", json_object_new_int(code));
	json_object_object_add(entry, "generation_id", NULL);
	mock_records_log_request(srv->records, entry);
	mock_http_reply_json(srv, req, code, shape->error_body(code, message, NULL));
}

/* Text of a message's content: the string, or its parts' "text" fields
 * concatenated (the formula in mock.h counts these bytes). */
static void
mock_chat_content(json_object *msg, struct evbuffer *out)
{
	json_object *c;
	size_t i, n;

	if (!json_object_object_get_ex(msg, "content", &c) || c == NULL)
		return;
	if (json_object_is_type(c, json_type_string)) {
		evbuffer_add(out, json_object_get_string(c), (size_t)json_object_get_string_len(c));
		return;
	}
	if (!json_object_is_type(c, json_type_array))
		return;
	n = json_object_array_length(c);
	for (i = 0; i < n; i++) {
		const char *t = mock_chat_str(json_object_array_get_idx(c, i), "text");

		if (t != NULL)
			evbuffer_add(out, t, strlen(t));
	}
}

static void
mock_chat_push_word(struct mock_gen *gen, size_t *cap, char *w)
{
	if (gen->n_words == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		gen->words = mock_xrealloc(gen->words, *cap * sizeof(*gen->words));
	}
	gen->words[gen->n_words++] = w;
}

/* Split text into words: a run of non-blanks and the blanks after it;
 * leading blanks belong to the first word, so the words concatenate back
 * to text exactly. */
static void
mock_chat_split(struct mock_gen *gen, size_t *cap, const char *text)
{
	const char *p = text, *start;

	while (*p != '\0') {
		start = p;
		while (*p != '\0' && isspace((unsigned char)*p))
			p++;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		while (*p != '\0' && isspace((unsigned char)*p))
			p++;
		mock_chat_push_word(gen, cap, strndup(start, (size_t)(p - start)));
		if (gen->words[gen->n_words - 1] == NULL)
			abort(); /* out of memory, see mock_xmalloc */
	}
}

/* "Mock answer to: <first words of the last user message>. The quick..." */
static char *
mock_chat_default_text(json_object *messages)
{
	struct evbuffer *user = evbuffer_new(), *out = evbuffer_new();
	size_t i, n = json_object_array_length(messages), words = 0;
	const char *p;
	char *s;

	for (i = n; i > 0; i--) {
		json_object *m = json_object_array_get_idx(messages, i - 1);
		const char *role = mock_chat_str(m, "role");

		if (role != NULL && strcmp(role, "user") == 0) {
			mock_chat_content(m, user);
			break;
		}
	}
	evbuffer_add(user, "", 1);
	p = (const char *)evbuffer_pullup(user, -1);
	evbuffer_add_printf(out, "Mock answer");
	while (words < MOCK_PROMPT_ECHO_WORDS) {
		const char *w;

		while (*p != '\0' && isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		for (w = p; *p != '\0' && !isspace((unsigned char)*p); p++)
			;
		evbuffer_add_printf(out, "%s", words == 0 ? " to: " : " ");
		evbuffer_add(out, w, (size_t)(p - w));
		words++;
	}
	evbuffer_add_printf(out, ".");
	for (i = 0; i < MOCK_N_FILLER; i++)
		evbuffer_add_printf(out, " %s", mock_filler[i]);
	evbuffer_add(out, "", 1);
	s = mock_xstrdup((const char *)evbuffer_pullup(out, -1));
	evbuffer_free(user);
	evbuffer_free(out);
	return s;
}

static void
mock_chat_truncate(struct mock_gen *gen, size_t n)
{
	while (gen->n_words > n)
		free(gen->words[--gen->n_words]);
}

static void
mock_chat_words(struct mock_gen *gen, json_object *body, json_object *messages)
{
	const struct mock_fault *f = gen->fault;
	char *text = f != NULL && f->content != NULL ? mock_xstrdup(f->content)
	                                             : mock_chat_default_text(messages);
	size_t cap = 0, want, i;
	json_object *v;

	mock_chat_split(gen, &cap, text);
	free(text);
	if (f != NULL && f->completion_tokens >= 0) {
		want = (size_t)f->completion_tokens;
		mock_chat_truncate(gen, want);
		if (gen->n_words > 0 && gen->n_words < want) {
			char *last = gen->words[gen->n_words - 1];
			size_t l = strlen(last);

			if (!isspace((unsigned char)last[l - 1])) {
				gen->words[gen->n_words - 1] = mock_xasprintf("%s ", last);
				free(last);
			}
		}
		for (i = 0; gen->n_words < want; i++)
			mock_chat_push_word(gen, &cap,
			    mock_xasprintf("%s%s", mock_filler[i % MOCK_N_FILLER],
			        gen->n_words + 1 < want ? " " : ""));
	}
	gen->finish_reason = "stop";
	for (i = 0; gen->shape->max_tokens_fields[i] != NULL; i++)
		if (json_object_object_get_ex(body, gen->shape->max_tokens_fields[i], &v))
			break;
	if (gen->shape->max_tokens_fields[i] != NULL && json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) >= 1 && (uint64_t)json_object_get_int64(v) < gen->n_words) {
		mock_chat_truncate(gen, (size_t)json_object_get_int64(v));
		gen->finish_reason = "length";
	}
}

static int64_t
mock_chat_prompt_tokens(json_object *messages)
{
	size_t i, n = json_object_array_length(messages);
	struct evbuffer *b = evbuffer_new();
	int64_t tokens = 0;

	for (i = 0; i < n; i++) {
		size_t len;

		mock_chat_content(json_object_array_get_idx(messages, i), b);
		len = evbuffer_get_length(b);
		tokens += (int64_t)((len + 3) / 4) + 4;
		evbuffer_drain(b, len);
	}
	evbuffer_free(b);
	return tokens;
}

/* Validate model/models; on success gen->model_requested and gen->models
 * are set and 0 is returned, else -1 with *why to free. */
static int
mock_chat_check_models(struct mock_server *srv, struct mock_gen *gen, json_object *body,
    json_object *models, char **why)
{
	json_object *model = NULL;
	size_t i, n = 0, known = 0;

	json_object_object_get_ex(body, "model", &model);
	if (model != NULL) {
		if (!json_object_is_type(model, json_type_string) ||
		    mock_catalog_find(srv->catalog, json_object_get_string(model)) == NULL) {
			*why = mock_xasprintf(
			    "%s is not a valid model ID", json_object_get_string(model));
			return -1;
		}
		gen->model_requested = mock_xstrdup(json_object_get_string(model));
		known++;
	}
	if (models != NULL) {
		if (!json_object_is_type(models, json_type_array))
			goto bad_models;
		n = json_object_array_length(models);
		for (i = 0; i < n; i++) {
			json_object *m = json_object_array_get_idx(models, i);

			if (!json_object_is_type(m, json_type_string))
				goto bad_models;
			known += mock_catalog_find(srv->catalog, json_object_get_string(m)) != NULL;
		}
		gen->models = json_object_get(models);
	}
	if (known == 0 && n > 0) {
		*why = mock_xasprintf("%s is not a valid model ID",
		    json_object_get_string(json_object_array_get_idx(models, 0)));
		return -1;
	}
	return 0;
bad_models:
	*why = mock_xasprintf("models must be an array of model IDs");
	return -1;
}

/* The model that serves: the first of model, then models, that exists and
 * that the fault does not fail. NULL when the fault fails them all. */
static const struct mock_model *
mock_chat_serve(struct mock_server *srv, struct mock_gen *gen)
{
	const struct mock_model *m;
	size_t i, n = gen->models != NULL ? json_object_array_length(gen->models) : 0;

	if (gen->model_requested == NULL && n == 0)
		return mock_catalog_first(srv->catalog); /* the account default */
	if (gen->model_requested != NULL &&
	    !mock_fault_fails_model(gen->fault, gen->model_requested))
		return mock_catalog_find(srv->catalog, gen->model_requested);
	for (i = 0; i < n; i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(gen->models, i));

		m = mock_catalog_find(srv->catalog, id);
		if (m != NULL && !mock_fault_fails_model(gen->fault, id))
			return m;
	}
	return NULL;
}

/* The chat shape's request fields. */
static json_object *
mock_chat_prompt(json_object *body, const char **why)
{
	json_object *messages;

	if (!json_object_object_get_ex(body, "messages", &messages) ||
	    !json_object_is_type(messages, json_type_array) ||
	    json_object_array_length(messages) == 0) {
		*why = "Input required: specify \"messages\" as a non-empty array";
		return NULL;
	}
	return json_object_get(messages);
}

static int
mock_chat_models(json_object *body, json_object **models, char **why)
{
	(void)why;
	*models = NULL;
	if (json_object_object_get_ex(body, "models", models))
		json_object_get(*models);
	return 0;
}

static const char *
mock_chat_user(json_object *body)
{
	return mock_chat_str(body, "user");
}

static const char *const mock_chat_max_fields[] = {"max_tokens", "max_completion_tokens", NULL};

/* Refuse before a generation exists; entry and body are consumed. */
static void
mock_chat_refuse_early(struct mock_server *srv, struct evhttp_request *req, json_object *entry,
    json_object *body, int code, const char *why, const struct mock_shape *shape)
{
	mock_chat_refuse(srv, req, entry, code, why, shape);
	json_object_put(body);
}

void
mock_chat_handle_shape(
    struct mock_server *srv, struct evhttp_request *req, const struct mock_shape *shape)
{
	json_object *body, *entry, *messages = NULL, *models = NULL, *v;
	const char *key = NULL, *why = NULL, *text;
	struct mock_gen *gen;
	char *err = NULL;
	size_t len;
	int code;

	srv->stats.attempts++;
	text = mock_http_body(req, &len);
	body = mock_chat_parse(text, len);
	entry = mock_chat_entry(req, body, text, len);
	json_object_object_add(entry, "endpoint", json_object_new_string(shape->name));
	if (body != NULL && json_object_is_type(body, json_type_object))
		json_object_object_add(entry, "user", mock_chat_jstr(shape->user(body)));
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		mock_chat_refuse_early(srv, req, entry, body, 405, "Method not allowed", shape);
		return;
	}
	if (mock_http_auth(srv, req, &key, &why) != 0) {
		mock_chat_refuse_early(srv, req, entry, body, 401, why, shape);
		return;
	}
	if ((code = mock_keys_refuse(srv, key, &why)) != 0) { /* key limits, mock_keys.c */
		mock_chat_refuse_early(srv, req, entry, body, code, why, shape);
		return;
	}
	if (body == NULL || !json_object_is_type(body, json_type_object))
		why = "Invalid JSON body: expected one JSON object";
	else
		messages = shape->prompt(body, &why);
	if (why == NULL && shape->models(body, &models, &err) != 0) {
		mock_chat_refuse_early(srv, req, entry, body, 400, err, shape);
		json_object_put(messages);
		free(err);
		return;
	}
	if (why != NULL) {
		mock_chat_refuse_early(srv, req, entry, body, 400, why, shape);
		return;
	}
	gen = mock_gen_new(srv, req);
	gen->shape = shape;
	if (mock_chat_check_models(srv, gen, body, models, &err) != 0) {
		mock_chat_refuse(srv, req, entry, 400, err, shape);
		gen->req = NULL; /* answered */
		mock_gen_free(gen);
		free(err);
		json_object_put(models);
		json_object_put(messages);
		json_object_put(body);
		return;
	}
	json_object_put(models); /* gen holds its own reference */
	gen->fault = mock_faults_take(srv->faults);
	if (gen->fault != NULL)
		srv->stats.faults_applied++;
	gen->model = mock_chat_serve(srv, gen);
	if (gen->fault != NULL && gen->fault->status >= 0) {
		gen->error_status = gen->fault->status;
		gen->error_message = mock_xstrdup(gen->fault->message != NULL
		                                      ? gen->fault->message
		                                      : mock_fault_message(gen->error_status));
		gen->error_metadata = json_object_get(gen->fault->metadata);
	} else if (gen->model == NULL) {
		gen->error_status = 502;
		gen->error_message = mock_xstrdup("Provider returned error");
		gen->error_metadata = json_object_new_object();
		json_object_object_add(
		    gen->error_metadata, "provider_name", json_object_new_string(MOCK_PROVIDER));
	}
	if (gen->model == NULL)
		gen->model = mock_catalog_first(srv->catalog);
	gen->stream = json_object_object_get_ex(body, "stream", &v) &&
	              json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
	gen->prompt_tokens = mock_chat_prompt_tokens(messages);
	mock_chat_words(gen, body, messages);
	gen->key = mock_xstrdup(key);
	gen->user = mock_xstrdup(shape->user(body));
	gen->referer = mock_xstrdup(mock_http_header(req, "HTTP-Referer"));
	gen->x_title = mock_xstrdup(mock_http_header(req, "X-Title"));
	gen->x_openrouter_title = mock_xstrdup(mock_http_header(req, "X-OpenRouter-Title"));
	json_object_object_add(
	    entry, "status", json_object_new_int(gen->error_status ? gen->error_status : 200));
	json_object_object_add(
	    entry, "generation_id", gen->error_status ? NULL : json_object_new_string(gen->id));
	json_object_object_add(
	    entry, "fault", gen->fault != NULL ? json_object_get(gen->fault->spec) : NULL);
	mock_records_log_request(srv->records, entry);
	json_object_put(messages);
	json_object_put(body);
	mock_gen_start(gen);
}

const struct mock_shape mock_shape_chat = {
    .name = "chat",
    .prompt = mock_chat_prompt,
    .models = mock_chat_models,
    .max_tokens_fields = mock_chat_max_fields,
    .user = mock_chat_user,
    .error_body = mock_http_error_body,
    .body = mock_wire_chat_body,
    .stream_start = mock_wire_nothing,
    .stream_word = mock_wire_chat_word,
    .stream_finish = mock_wire_chat_finish,
    .stream_usage = mock_wire_chat_usage,
    .stream_done = mock_wire_chat_done,
    .stream_error = mock_wire_chat_error,
};

void
mock_chat_handle(struct mock_server *srv, struct evhttp_request *req)
{
	srv->stats.req_chat++;
	mock_chat_handle_shape(srv, req, &mock_shape_chat);
}
