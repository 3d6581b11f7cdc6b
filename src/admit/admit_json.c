/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_json.c: the checked tree written out as the body to send upstream,
 * byte for byte what json-c writes with JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE (fuzz/admit-fuzzer.c holds it to that),
 * into one buffer sized from the request: json-c's own writer grew a
 * buffer by doubling and the body was then copied out of it (issue 17:
 * 5,900 instructions and eight allocations of a small request).
 */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit_internal.h"
#include "common/util.h"

struct jbuf {
	char *p;
	size_t len, cap;
};

static void
reserve(struct jbuf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return;
	while (b->cap - b->len < n)
		b->cap *= 2;
	b->p = ora_xrealloc(b->p, b->cap);
}

static void
append(struct jbuf *b, const char *s, size_t n)
{
	reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* json-c's escapes (json_escape_str): the five short ones, \u00xx in
 * lower case for the other control characters, "/" and bytes from 0x7f
 * up as they are. */
static void
append_string(struct jbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	reserve(b, n + 2);
	b->p[b->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t esc_len = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		append(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '\b': esc[1] = 'b'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\f': esc[1] = 'f'; break;
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			esc_len = 6;
		}
		append(b, esc, esc_len);
	}
	append(b, s + run, n - run);
	append(b, "\"", 1);
}

static void
append_value(struct jbuf *b, struct json_object *v)
{
	char num[32];
	size_t n;
	const char *text;
	int64_t i;
	int first = 1;

	switch (json_object_get_type(v)) {
	case json_type_null:
		append(b, "null", 4);
		break;
	case json_type_boolean:
		if (json_object_get_boolean(v))
			append(b, "true", 4);
		else
			append(b, "false", 5);
		break;
	case json_type_int:
		i = json_object_get_int64(v);
		/* json-c keeps integers above INT64_MAX as uint64. */
		if (i == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX)
			n = (size_t)snprintf(num, sizeof(num), "%" PRIu64, json_object_get_uint64(v));
		else
			n = (size_t)snprintf(num, sizeof(num), "%" PRId64, i);
		append(b, num, n);
		break;
	case json_type_double:
		/* The number as the client wrote it, which json-c keeps (and
		 * its way of writing one it made). */
		text = json_object_to_json_string_length(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
		append(b, text, n);
		break;
	case json_type_string:
		append_string(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_array:
		append(b, "[", 1);
		n = json_object_array_length(v);
		for (size_t k = 0; k < n; k++) {
			if (k > 0)
				append(b, ",", 1);
			append_value(b, json_object_array_get_idx(v, k));
		}
		append(b, "]", 1);
		break;
	case json_type_object:
		append(b, "{", 1);
		json_object_object_foreach(v, key, member) {
			if (!first)
				append(b, ",", 1);
			first = 0;
			append_string(b, key, strlen(key));
			append(b, ":", 1);
			append_value(b, member);
		}
		append(b, "}", 1);
		break;
	}
}

char *
admit_json_write(struct json_object *v, size_t size_hint, size_t *len)
{
	struct jbuf b = { NULL, 0, size_hint + 64 };

	b.p = ora_xmalloc(b.cap);
	append_value(&b, v);
	reserve(&b, 1);
	b.p[b.len] = '\0';
	*len = b.len;
	return b.p;
}
