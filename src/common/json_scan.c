/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <string.h>

#include "common/json_scan.h"

struct scan {
	const char *s;
	size_t len, i;
};

static void
skip_blanks(struct scan *sc)
{
	while (sc->i < sc->len && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' ||
	                              sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r'))
		sc->i++;
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string, from its opening quote to just past its closing one. */
static int
skip_string(struct scan *sc)
{
	sc->i++; /* the opening quote */
	while (sc->i < sc->len) {
		unsigned char c = (unsigned char)sc->s[sc->i];
		if (c == '"') {
			sc->i++;
			return 0;
		}
		if (c < 0x20)
			return -1; /* control characters must be escaped */
		if (c != '\\') {
			sc->i++;
			continue;
		}
		if (sc->i + 1 >= sc->len)
			return -1;
		c = (unsigned char)sc->s[sc->i + 1];
		if (c == 'u') {
			if (sc->i + 6 > sc->len || !is_hex(sc->s[sc->i + 2]) ||
			    !is_hex(sc->s[sc->i + 3]) || !is_hex(sc->s[sc->i + 4]) ||
			    !is_hex(sc->s[sc->i + 5]))
				return -1;
			sc->i += 6;
		} else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0') {
			sc->i += 2;
		} else {
			return -1;
		}
	}
	return -1;
}

static int
skip_digits(struct scan *sc)
{
	size_t from = sc->i;

	while (sc->i < sc->len && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9')
		sc->i++;
	return sc->i > from ? 0 : -1;
}

/* A number as JSON writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
skip_number(struct scan *sc)
{
	if (sc->s[sc->i] == '-')
		sc->i++;
	if (sc->i < sc->len && sc->s[sc->i] == '0')
		sc->i++;
	else if (skip_digits(sc) != 0)
		return -1;
	if (sc->i < sc->len && sc->s[sc->i] == '.') {
		sc->i++;
		if (skip_digits(sc) != 0)
			return -1;
	}
	if (sc->i < sc->len && (sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E')) {
		sc->i++;
		if (sc->i < sc->len && (sc->s[sc->i] == '+' || sc->s[sc->i] == '-'))
			sc->i++;
		if (skip_digits(sc) != 0)
			return -1;
	}
	return 0;
}

static int
skip_literal(struct scan *sc, const char *word)
{
	size_t n = strlen(word);

	if (sc->len - sc->i < n || memcmp(sc->s + sc->i, word, n) != 0)
		return -1;
	sc->i += n;
	return 0;
}

static int skip_value(struct scan *sc, int depth);

/* An object or array from its opening bracket to past its closing one;
 * member_fn or element_fn (one of them, at depth 0 only) hears of each
 * member or element. */
static int
skip_container(struct scan *sc, int depth, json_scan_member_fn member_fn,
    json_scan_element_fn element_fn, void *arg)
{
	int object = sc->s[sc->i] == '{';
	char close = object ? '}' : ']';
	size_t n = 0;

	if (depth >= JSON_SCAN_MAX_DEPTH)
		return -1;
	sc->i++;
	skip_blanks(sc);
	if (sc->i < sc->len && sc->s[sc->i] == close) {
		sc->i++;
		return 0;
	}
	for (;; n++) {
		size_t key = 0, key_len = 0, value;
		int r;

		skip_blanks(sc);
		if (object) {
			if (sc->i >= sc->len || sc->s[sc->i] != '"')
				return -1;
			key = sc->i + 1;
			if (skip_string(sc) != 0)
				return -1;
			key_len = sc->i - 1 - key;
			skip_blanks(sc);
			if (sc->i >= sc->len || sc->s[sc->i] != ':')
				return -1;
			sc->i++;
			skip_blanks(sc);
		}
		value = sc->i;
		if (skip_value(sc, depth + 1) != 0)
			return -1;
		if (member_fn != NULL &&
		    (r = member_fn(arg, sc->s + key, key_len, sc->s + value, sc->i - value)) != 0)
			return r;
		if (element_fn != NULL &&
		    (r = element_fn(arg, n, sc->s + value, sc->i - value)) != 0)
			return r;
		skip_blanks(sc);
		if (sc->i >= sc->len)
			return -1;
		if (sc->s[sc->i] == close) {
			sc->i++;
			return 0;
		}
		if (sc->s[sc->i] != ',')
			return -1;
		sc->i++;
	}
}

static int
skip_value(struct scan *sc, int depth)
{
	if (sc->i >= sc->len)
		return -1;
	switch (sc->s[sc->i]) {
	case '"':
		return skip_string(sc);
	case '{':
	case '[':
		return skip_container(sc, depth, NULL, NULL, NULL);
	case 't':
		return skip_literal(sc, "true");
	case 'f':
		return skip_literal(sc, "false");
	case 'n':
		return skip_literal(sc, "null");
	default:
		if (sc->s[sc->i] == '-' || (sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9'))
			return skip_number(sc);
		return -1;
	}
}

static int
scan_top(const char *text, size_t len, char open, json_scan_member_fn member_fn,
    json_scan_element_fn element_fn, void *arg)
{
	struct scan sc = {text, len, 0};
	int r;

	skip_blanks(&sc);
	if (sc.i >= sc.len || sc.s[sc.i] != open)
		return -1;
	if ((r = skip_container(&sc, 0, member_fn, element_fn, arg)) != 0)
		return r;
	skip_blanks(&sc);
	return sc.i == sc.len ? 0 : -1;
}

int
json_scan_object(const char *text, size_t len, json_scan_member_fn fn, void *arg)
{
	return scan_top(text, len, '{', fn, NULL, arg);
}

int
json_scan_array(const char *text, size_t len, json_scan_element_fn fn, void *arg)
{
	return scan_top(text, len, '[', NULL, fn, arg);
}

int
json_scan_nonempty_string(const char *value, size_t value_len)
{
	return value_len > 2 && value[0] == '"';
}
