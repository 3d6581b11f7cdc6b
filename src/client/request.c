/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * request.c: the chat request builder and its JSON body.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ora/client.h"

struct message {
	char *role;
	char *content;
};

struct ora_request {
	char *model;  /* NULL: the role's default */
	char *system; /* NULL: none */
	struct message *messages;
	size_t n_messages;
	size_t cap_messages;
	double temperature;
	int has_temperature;
	long max_tokens; /* 0: not set */
};

struct ora_request *
ora_request_new(void)
{
	return calloc(1, sizeof(struct ora_request));
}

void
ora_request_free(struct ora_request *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_messages; i++) {
		free(r->messages[i].role);
		free(r->messages[i].content);
	}
	free(r->messages);
	free(r->model);
	free(r->system);
	free(r);
}

/* Replace *dst by a copy of s; NULL or "" clears it. */
static enum ora_status
replace(char **dst, const char *s)
{
	char *copy = NULL;

	if (s != NULL && *s != '\0' && (copy = strdup(s)) == NULL)
		return ORA_E_NOMEM;
	free(*dst);
	*dst = copy;
	return ORA_OK;
}

enum ora_status
ora_request_set_model(struct ora_request *r, const char *model)
{
	if (r == NULL)
		return ORA_E_INVALID;
	return replace(&r->model, model);
}

enum ora_status
ora_request_set_system(struct ora_request *r, const char *system)
{
	if (r == NULL)
		return ORA_E_INVALID;
	return replace(&r->system, system);
}

enum ora_status
ora_request_add_message(struct ora_request *r, const char *role, const char *content)
{
	struct message *m;
	size_t cap;

	if (r == NULL || role == NULL || content == NULL ||
	    (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0 &&
	        strcmp(role, "system") != 0))
		return ORA_E_INVALID;
	if (r->n_messages == r->cap_messages) {
		cap = r->cap_messages == 0 ? 4 : r->cap_messages * 2;
		if ((m = realloc(r->messages, cap * sizeof(*m))) == NULL)
			return ORA_E_NOMEM;
		r->messages = m;
		r->cap_messages = cap;
	}
	m = &r->messages[r->n_messages];
	m->role = strdup(role);
	m->content = strdup(content);
	if (m->role == NULL || m->content == NULL) {
		free(m->role);
		free(m->content);
		return ORA_E_NOMEM;
	}
	r->n_messages++;
	return ORA_OK;
}

enum ora_status
ora_request_set_temperature(struct ora_request *r, double temperature)
{
	/* Written so that NaN fails too. */
	if (r == NULL || !(temperature >= 0.0 && temperature <= 2.0))
		return ORA_E_INVALID;
	r->temperature = temperature;
	r->has_temperature = 1;
	return ORA_OK;
}

enum ora_status
ora_request_set_max_tokens(struct ora_request *r, long max_tokens)
{
	if (r == NULL || max_tokens < 1)
		return ORA_E_INVALID;
	r->max_tokens = max_tokens;
	return ORA_OK;
}

/* Add v (which may be NULL after a failed allocation) to obj, taking
 * ownership of it either way: json-c leaves v to the caller when the add
 * fails. */
static int
add(struct json_object *obj, const char *key, struct json_object *v)
{
	if (v == NULL)
		return -1;
	if (json_object_object_add(obj, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static int
add_message(struct json_object *arr, const char *role, const char *content)
{
	struct json_object *m = json_object_new_object();

	if (m == NULL)
		return -1;
	if (add(m, "role", json_object_new_string(role)) != 0 ||
	    add(m, "content", json_object_new_string(content)) != 0 ||
	    json_object_array_add(arr, m) != 0) { /* m is still ours then */
		json_object_put(m);
		return -1;
	}
	return 0;
}

char *
ora_request_to_json(const struct ora_request *r, int stream)
{
	struct json_object *root, *messages = NULL;
	char num[32];
	const char *text;
	char *json = NULL;
	size_t i;

	if (r == NULL || (root = json_object_new_object()) == NULL)
		return NULL;
	if (r->model != NULL && add(root, "model", json_object_new_string(r->model)) != 0)
		goto out;
	if ((messages = json_object_new_array()) == NULL)
		goto out;
	if (r->system != NULL && add_message(messages, "system", r->system) != 0)
		goto out;
	for (i = 0; i < r->n_messages; i++)
		if (add_message(messages, r->messages[i].role, r->messages[i].content) != 0)
			goto out;
	if (add(root, "messages", messages) != 0) {
		messages = NULL; /* add() freed it */
		goto out;
	}
	messages = NULL; /* root owns it */
	if (add(root, "stream", json_object_new_boolean(stream != 0)) != 0)
		goto out;
	if (r->max_tokens > 0 && add(root, "max_tokens", json_object_new_int64(r->max_tokens)) != 0)
		goto out;
	if (r->has_temperature) {
		/* json-c would print 0.7 as 0.69999999999999996; send what a
		 * person typed. */
		snprintf(num, sizeof(num), "%.6g", r->temperature);
		if (add(root, "temperature", json_object_new_double_s(r->temperature, num)) != 0)
			goto out;
	}
	text = json_object_to_json_string_ext(
	    root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text != NULL)
		json = strdup(text);
out:
	json_object_put(messages);
	json_object_put(root);
	return json;
}
