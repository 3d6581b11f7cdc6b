/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_scan.h"
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

/* One small value of the answer, parsed by json-c. */
static struct json_object *
parse_value(const char *value, size_t len)
{
	return json_tokener_parse_ex(tokener(), value, (int)len);
}

/* A string value into dst: copied when it has no escapes (the usual
 * case), else through json-c. */
static void
span_string(char *dst, size_t size, const char *value, size_t len)
{
	struct json_object *o;

	if (len < 2 || value[0] != '"')
		return;
	if (memchr(value, '\\', len) == NULL) {
		size_t n = len - 2 < size - 1 ? len - 2 : size - 1;
		memcpy(dst, value + 1, n);
		dst[n] = '\0';
		return;
	}
	if ((o = parse_value(value, len)) != NULL && json_object_is_type(o, json_type_string))
		ora_strlcpy(dst, json_object_get_string(o), size);
	json_object_put(o);
}

static int
key_is(const char *key, size_t key_len, const char *name)
{
	return strlen(name) == key_len && memcmp(key, name, key_len) == 0;
}

/* A whole answer's walk: top-level members go to u, what is read inside
 * usage or choices to pending until the value has ended well. */
struct body_scan {
	struct orad_usage *u;
	struct orad_usage pending;
	int entered; /* pending holds u and what the value's walk read */
};

static struct orad_usage *
pending(void *arg)
{
	return &((struct body_scan *)arg)->pending;
}

static int
on_message_member(void *arg, const char *key, size_t key_len, const char *value, size_t len)
{
	struct orad_usage *u = pending(arg);

	if ((key_is(key, key_len, "content") || key_is(key, key_len, "reasoning")) &&
	    json_scan_nonempty_string(value, len))
		u->saw_content = 1;
	return 0;
}

static const struct json_scan_walk message_walk = { on_message_member, NULL, NULL };

static int
on_choice_member(void *arg, const char *key, size_t key_len, const char *value, size_t len)
{
	struct orad_usage *u = pending(arg);
	struct json_object *o;

	if (key_is(key, key_len, "finish_reason")) {
		span_string(u->finish_reason, sizeof(u->finish_reason), value, len);
	} else if (key_is(key, key_len, "error")) {
		if ((o = parse_value(value, len)) != NULL && json_object_is_type(o, json_type_object))
			take_error(u, o);
		json_object_put(o);
	}
	return 0;
}

static const struct json_scan_walk *
enter_choice_member(void *arg, const char *key, size_t key_len, size_t index, const char *value)
{
	if ((key_is(key, key_len, "message") || key_is(key, key_len, "delta")) && value[0] == '{')
		return &message_walk;
	return NULL;
}

static const struct json_scan_walk choice_walk = { on_choice_member, NULL, enter_choice_member };

static const struct json_scan_walk *
enter_choice(void *arg, const char *key, size_t key_len, size_t index, const char *value)
{
	return value[0] == '{' ? &choice_walk : NULL;
}

static const struct json_scan_walk choices_walk = { NULL, NULL, enter_choice };

/* A number's value, or 0 when the value is not a number; saturated at
 * the range of a long, as json_object_get_int64() does on the other
 * path (a count of 1e60 tokens is nonsense, but not undefined). */
static long
span_long(const char *value, size_t len)
{
	char buf[64];
	double d;

	if (len == 0 || len >= sizeof(buf) || !(value[0] == '-' || (value[0] >= '0' && value[0] <= '9')))
		return 0;
	memcpy(buf, value, len);
	buf[len] = '\0';
	d = strtod(buf, NULL);
	if (d >= (double)LONG_MAX)
		return LONG_MAX;
	if (d <= (double)LONG_MIN)
		return LONG_MIN;
	return (long)d;
}

static int
on_completion_details(void *arg, const char *key, size_t key_len, const char *value, size_t len)
{
	struct orad_usage *u = pending(arg);

	if (key_is(key, key_len, "reasoning_tokens"))
		u->reasoning_tokens = span_long(value, len);
	return 0;
}

static int
on_prompt_details(void *arg, const char *key, size_t key_len, const char *value, size_t len)
{
	struct orad_usage *u = pending(arg);

	if (key_is(key, key_len, "cached_tokens"))
		u->cached_tokens = span_long(value, len);
	return 0;
}

static const struct json_scan_walk completion_details_walk = { on_completion_details, NULL, NULL };
static const struct json_scan_walk prompt_details_walk = { on_prompt_details, NULL, NULL };

static int
on_usage_member(void *arg, const char *key, size_t key_len, const char *value, size_t len)
{
	struct orad_usage *u = pending(arg);

	if (key_is(key, key_len, "prompt_tokens")) {
		u->prompt_tokens = span_long(value, len);
	} else if (key_is(key, key_len, "completion_tokens")) {
		u->completion_tokens = span_long(value, len);
	} else if (key_is(key, key_len, "cost") &&
	           (value[0] == '-' || (value[0] >= '0' && value[0] <= '9'))) {
		/* The exact decimal the upstream billed, as it wrote it. */
		size_t n = len < sizeof(u->cost) - 1 ? len : sizeof(u->cost) - 1;
		memcpy(u->cost, value, n);
		u->cost[n] = '\0';
	}
	return 0;
}

static const struct json_scan_walk *
enter_usage_member(void *arg, const char *key, size_t key_len, size_t index, const char *value)
{
	if (value[0] != '{')
		return NULL;
	if (key_is(key, key_len, "completion_tokens_details"))
		return &completion_details_walk;
	if (key_is(key, key_len, "prompt_tokens_details"))
		return &prompt_details_walk;
	return NULL;
}

static const struct json_scan_walk usage_walk = { on_usage_member, NULL, enter_usage_member };

static int
on_member(void *arg, const char *key, size_t key_len, const char *value, size_t len)
{
	struct body_scan *sc = arg;
	struct orad_usage *u = sc->u;
	struct json_object *o;

	if (sc->entered) {
		/* usage or choices, whole and well-formed: what was read
		 * inside counts. */
		*u = sc->pending;
		sc->entered = 0;
	} else if (key_is(key, key_len, "id")) {
		if (u->generation_id[0] == '\0')
			span_string(u->generation_id, sizeof(u->generation_id), value, len);
	} else if (key_is(key, key_len, "model")) {
		span_string(u->model, sizeof(u->model), value, len);
	} else if (key_is(key, key_len, "provider")) {
		span_string(u->provider, sizeof(u->provider), value, len);
	} else if (key_is(key, key_len, "error")) {
		if ((o = parse_value(value, len)) != NULL && json_object_is_type(o, json_type_object))
			take_error(u, o);
		json_object_put(o);
	}
	return 0;
}

/* usage and choices are walked where the answer's walk meets them:
 * scanning them again from on_member read the choices' text (most of
 * an answer) three to four times (issue 17). What is read inside goes
 * to a copy that on_member takes once the value has ended well, so
 * that a cut or malformed answer never counts half a usage. */
static const struct json_scan_walk *
enter_member(void *arg, const char *key, size_t key_len, size_t index, const char *value)
{
	struct body_scan *sc = arg;
	const struct json_scan_walk *w = NULL;

	if (key_is(key, key_len, "usage") && value[0] == '{')
		w = &usage_walk;
	else if (key_is(key, key_len, "choices") && value[0] == '[')
		w = &choices_walk;
	if (w != NULL) {
		sc->pending = *sc->u;
		sc->pending.have_usage |= w == &usage_walk;
		sc->entered = 1;
	}
	return w;
}

static const struct json_scan_walk answer_walk = { on_member, NULL, enter_member };

int
usage_parse_body(struct orad_usage *u, const char *body, size_t len)
{
	/* Scanned, not built: json-c sees only the few small values wanted
	 * (issue 17: the whole answer parsed was 101 allocations). */
	struct body_scan sc = { .u = u };

	return json_scan_object_walk(body, len, &answer_walk, &sc) == 0 ? 0 : -1;
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
