/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * usage_shapes.c: what the Messages and Responses readers share: one JSON
 * tokener, the getters, and the reader of a stream of named events.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "orad/usage_shapes.h"
#include "orad/usage_shapes_internal.h"

/* One tokener for every parse: orad has one thread, and each parse is
 * complete in one call (as in usage.c). */
static struct json_tokener *shared_tokener;

void
usage_shapes_cleanup(void)
{
	if (shared_tokener != NULL)
		json_tokener_free(shared_tokener);
	shared_tokener = NULL;
}

struct json_object *
usage_shapes_parse(const char *text, size_t len)
{
	while (len > 0 && (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t')) {
		text++;
		len--;
	}
	if (len == 0 || len > INT32_MAX)
		return NULL;
	if (shared_tokener == NULL && (shared_tokener = json_tokener_new()) == NULL) {
		ora_log_error("out of memory making a JSON parser");
		abort();
	}
	json_tokener_reset(shared_tokener);
	return json_tokener_parse_ex(shared_tokener, text, (int)len);
}

void
usage_shapes_take_string(char *dst, size_t size, struct json_object *parent, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(parent, key, &v) && json_object_is_type(v, json_type_string))
		ora_strlcpy(dst, json_object_get_string(v), size);
}

int
usage_shapes_get_count(struct json_object *parent, const char *key, long *out)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(parent, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return 0;
	n = json_object_get_int64(v);
	if (n < 0)
		return 0;
	*out = (long)n;
	return 1;
}

void
usage_shapes_take_cost(struct orad_usage *u, struct json_object *parent, const char *key)
{
	struct json_object *v;

	/* json-c keeps the text a number was parsed from: the exact decimal
	 * the upstream billed, not a rounded double. */
	if (json_object_object_get_ex(parent, key, &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		ora_strlcpy(u->cost, json_object_get_string(v), sizeof(u->cost));
}

void
usage_shapes_set_error(struct orad_usage *u, int code, const char *message)
{
	u->error_code = code >= 400 && code <= 599 ? code : 502;
	ora_strlcpy(u->error_message,
	    message != NULL && message[0] != '\0' ? message : "the upstream reported an error",
	    sizeof(u->error_message));
}

const char *
usage_shapes_event_type(const char *event, struct json_object *data, char *buf, size_t size)
{
	buf[0] = '\0';
	if (event != NULL && event[0] != '\0')
		return event;
	usage_shapes_take_string(buf, size, data, "type");
	return buf;
}

static int
on_field(void *arg, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct usage_event_stream *s = arg;

	if (name == NULL) {
		s->event[0] = '\0'; /* a blank line ends the event */
		return 0;
	}
	if (name_len == 5 && memcmp(name, "event", 5) == 0) {
		/* A name longer than any known event is no known event. */
		if (value_len < sizeof(s->event))
			memcpy(s->event, value, value_len + 1);
		else
			ora_strlcpy(s->event, "?", sizeof(s->event));
	} else if (name_len == 4 && memcmp(name, "data", 4) == 0) {
		s->fn(s->u, s->event, value, value_len);
	}
	/* Comments, id:, retry: say nothing of usage. */
	return 0;
}

void
usage_events_feed(struct usage_event_stream *s, usage_event_fn fn, struct orad_usage *u,
    const char *bytes, size_t n)
{
	if (!s->started) {
		sse_lines_init(&s->lines, SSE_LINE_MAX, SSE_OVERFLOW_SKIP);
		s->event[0] = '\0';
		s->started = 1;
	}
	s->fn = fn;
	s->u = u;
	/* SSE_OVERFLOW_SKIP: no error comes back, and on_field() never stops. */
	(void)sse_lines_feed(&s->lines, bytes, n, on_field, s);
}

void
usage_events_clear(struct usage_event_stream *s)
{
	if (s->started)
		sse_lines_free(&s->lines);
	memset(s, 0, sizeof(*s));
}
