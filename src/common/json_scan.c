/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <stdint.h>
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

static int
ends_run(unsigned char c)
{
	return c == '"' || c == '\\' || c < 0x20;
}

/* Move to the next byte that ends a string's plain run (a quote, a
 * backslash or a control character), or to the end. Eight bytes at a time
 * where the byte order allows: a byte at a time, strings cost half of
 * usage_parse_body. */
static void
to_run_end(struct scan *sc)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;

	while (sc->len - sc->i >= sizeof(uint64_t)) {
		uint64_t x, q, b, m;

		memcpy(&x, sc->s + sc->i, sizeof(x));
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		/* (v - ones) & ~v & highs marks the bytes of v that are zero,
		 * (x - ones * n) & ~x & highs those of x below n; above a
		 * marked byte a mark may be false, so the lowest is exact. */
		m = (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & highs;
		if (m != 0) {
			sc->i += (size_t)__builtin_ctzll(m) / 8;
			return;
		}
		sc->i += sizeof(uint64_t);
	}
#endif
	while (sc->i < sc->len && !ends_run((unsigned char)sc->s[sc->i]))
		sc->i++;
}

/* A string, from its opening quote to just past its closing one. */
static int
skip_string(struct scan *sc)
{
	sc->i++; /* the opening quote */
	while (sc->i < sc->len) {
		unsigned char c;

		to_run_end(sc);
		if (sc->i >= sc->len)
			break;
		c = (unsigned char)sc->s[sc->i];
		if (c == '"') {
			sc->i++;
			return 0;
		}
		if (c < 0x20)
			return -1; /* control characters must be escaped */
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
 * w (NULL when nobody listens) hears of each member or element and says
 * which nested values to walk in the same pass. */
static int
skip_container(struct scan *sc, int depth, const struct json_scan_walk *w, void *arg)
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
		const struct json_scan_walk *inner = NULL;
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
		if (w != NULL && w->enter != NULL && sc->i < sc->len &&
		    (sc->s[sc->i] == '{' || sc->s[sc->i] == '['))
			inner = w->enter(arg, object ? sc->s + key : NULL, key_len, n, sc->s + value);
		if (inner != NULL) {
			if ((r = skip_container(sc, depth + 1, inner, arg)) != 0)
				return r;
		} else if (skip_value(sc, depth + 1) != 0) {
			return -1;
		}
		if (w != NULL && object && w->member != NULL &&
		    (r = w->member(arg, sc->s + key, key_len, sc->s + value, sc->i - value)) != 0)
			return r;
		if (w != NULL && !object && w->element != NULL &&
		    (r = w->element(arg, n, sc->s + value, sc->i - value)) != 0)
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
		return skip_container(sc, depth, NULL, NULL);
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
scan_top(const char *text, size_t len, char open, const struct json_scan_walk *w, void *arg)
{
	struct scan sc = {text, len, 0};
	int r;

	skip_blanks(&sc);
	if (sc.i >= sc.len || sc.s[sc.i] != open)
		return -1;
	if ((r = skip_container(&sc, 0, w, arg)) != 0)
		return r;
	skip_blanks(&sc);
	return sc.i == sc.len ? 0 : -1;
}

int
json_scan_object_walk(const char *text, size_t len, const struct json_scan_walk *w, void *arg)
{
	return scan_top(text, len, '{', w, arg);
}

int
json_scan_object(const char *text, size_t len, json_scan_member_fn fn, void *arg)
{
	const struct json_scan_walk w = { fn, NULL, NULL };

	return scan_top(text, len, '{', &w, arg);
}

int
json_scan_array(const char *text, size_t len, json_scan_element_fn fn, void *arg)
{
	const struct json_scan_walk w = { NULL, fn, NULL };

	return scan_top(text, len, '[', &w, arg);
}

int
json_scan_nonempty_string(const char *value, size_t value_len)
{
	return value_len > 2 && value[0] == '"';
}
