/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "orad/usage.h"

static void
take_string(char *dst, size_t size, struct json_object *parent, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(parent, key, &v) && json_object_is_type(v, json_type_string))
		ora_strlcpy(dst, json_object_get_string(v), size);
}

static long
get_long(struct json_object *parent, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(parent, key, &v) &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return (long)json_object_get_int64(v);
	return 0;
}

static void
take_usage(struct orad_usage *u, struct json_object *usage)
{
	struct json_object *v, *details;

	u->have_usage = 1;
	u->prompt_tokens = get_long(usage, "prompt_tokens");
	u->completion_tokens = get_long(usage, "completion_tokens");
	if (json_object_object_get_ex(usage, "completion_tokens_details", &details))
		u->reasoning_tokens = get_long(details, "reasoning_tokens");
	if (json_object_object_get_ex(usage, "prompt_tokens_details", &details))
		u->cached_tokens = get_long(details, "cached_tokens");
	/* json-c keeps the text a number was parsed from, so the cost stays
	 * the exact decimal the upstream billed, not a rounded double. */
	if (json_object_object_get_ex(usage, "cost", &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		ora_strlcpy(u->cost, json_object_get_string(v), sizeof(u->cost));
}

static void
take_error(struct orad_usage *u, struct json_object *err)
{
	struct json_object *v;

	u->error_code = 502;
	if (json_object_object_get_ex(err, "code", &v) && json_object_is_type(v, json_type_int))
		u->error_code = json_object_get_int(v);
	take_string(u->error_message, sizeof(u->error_message), err, "message");
	if (u->error_message[0] == '\0')
		ora_strlcpy(u->error_message, "the upstream reported an error", sizeof(u->error_message));
}

void
usage_take_json(struct orad_usage *u, struct json_object *obj)
{
	struct json_object *v, *choices;

	if (!json_object_is_type(obj, json_type_object))
		return;
	if (u->generation_id[0] == '\0')
		take_string(u->generation_id, sizeof(u->generation_id), obj, "id");
	take_string(u->model, sizeof(u->model), obj, "model");
	take_string(u->provider, sizeof(u->provider), obj, "provider");
	if (json_object_object_get_ex(obj, "usage", &v) && json_object_is_type(v, json_type_object))
		take_usage(u, v);
	if (json_object_object_get_ex(obj, "error", &v) && json_object_is_type(v, json_type_object))
		take_error(u, v);
	if (!json_object_object_get_ex(obj, "choices", &choices) ||
	    !json_object_is_type(choices, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(choices); i++) {
		struct json_object *c = json_object_array_get_idx(choices, i), *delta, *content;

		take_string(u->finish_reason, sizeof(u->finish_reason), c, "finish_reason");
		if (json_object_object_get_ex(c, "error", &v) && json_object_is_type(v, json_type_object))
			take_error(u, v);
		if ((json_object_object_get_ex(c, "delta", &delta) ||
		        json_object_object_get_ex(c, "message", &delta)) &&
		    ((json_object_object_get_ex(delta, "content", &content) &&
		         json_object_get_string_len(content) > 0) ||
			(json_object_object_get_ex(delta, "reasoning", &content) &&
			    json_object_get_string_len(content) > 0)))
			u->saw_content = 1;
	}
}

/* One tokener for every parse: orad has one thread, and each parse is
 * complete in one call. Making a tokener allocates its stack each time. */
static struct json_tokener *shared_tokener;

static struct json_tokener *
tokener(void)
{
	if (shared_tokener == NULL && (shared_tokener = json_tokener_new()) == NULL) {
		ora_log_error("out of memory making a JSON parser");
		abort();
	}
	json_tokener_reset(shared_tokener);
	return shared_tokener;
}

void
usage_cleanup(void)
{
	if (shared_tokener != NULL)
		json_tokener_free(shared_tokener);
	shared_tokener = NULL;
}

int
usage_parse_body(struct orad_usage *u, const char *body, size_t len)
{
	struct json_tokener *tok = tokener();
	struct json_object *obj;
	int r = -1;

	while (len > 0 && (*body == ' ' || *body == '\n' || *body == '\r' || *body == '\t')) {
		body++;
		len--;
	}
	obj = json_tokener_parse_ex(tok, body, (int)len);
	if (obj != NULL && json_object_is_type(obj, json_type_object)) {
		usage_take_json(u, obj);
		r = 0;
	}
	json_object_put(obj);
	return r;
}

/* The value of one "data:" field: a chunk of JSON, or "[DONE]". */
static void
take_data(struct orad_usage *u, const char *data, size_t len)
{
	struct json_object *obj;

	if (len == 6 && strncmp(data, "[DONE]", 6) == 0) {
		u->saw_done = 1;
		return;
	}
	/* Parsing every chunk would cost more than everything else orad does
	 * per event; only chunks that can change what we record are parsed. */
	if (u->generation_id[0] != '\0' && u->saw_content &&
	    memmem(data, len, "\"usage\"", 7) == NULL && memmem(data, len, "\"error\"", 7) == NULL &&
	    memmem(data, len, "\"finish_reason\":\"", 17) == NULL)
		return;
	obj = json_tokener_parse_ex(tokener(), data, (int)len);
	if (obj != NULL)
		usage_take_json(u, obj);
	json_object_put(obj);
}

void
usage_chat_event(struct orad_usage *u, const char *event, const char *data, size_t len)
{
	(void)event; /* chat chunks carry no event: names */
	take_data(u, data, len);
}

static int
on_field(void *arg, const char *name, size_t name_len, const char *value, size_t value_len)
{
	/* Comments, blank lines, event:, id:, retry: say nothing of usage. */
	if (name != NULL && name_len == 4 && memcmp(name, "data", 4) == 0)
		take_data(arg, value, value_len);
	return 0;
}

void
sse_feed(struct sse_parser *p, struct orad_usage *u, const char *data, size_t len)
{
	if (!p->started) {
		sse_lines_init(&p->lines, SSE_LINE_MAX, SSE_OVERFLOW_SKIP);
		p->started = 1;
	}
	/* SSE_OVERFLOW_SKIP: no error comes back, and on_field() never stops. */
	(void)sse_lines_feed(&p->lines, data, len, on_field, u);
}

void
sse_parser_clear(struct sse_parser *p)
{
	sse_lines_free(&p->lines);
	memset(p, 0, sizeof(*p));
}
