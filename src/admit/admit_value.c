/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_value.c: values that mean one thing. json-c is lenient in ways the
 * upstream is not: it reads 1e999999 as infinity (and writes it back as
 * "Infinity", which is not JSON), clamps a 5000-digit integer to 2^64-1,
 * and keeps object keys as C strings (so "model\u0000x" would become a
 * second "model"). The raw bytes are therefore checked before parsing and
 * the tree after, and anything that would not survive a round trip
 * unchanged is refused with 400.
 */
#include "config.h"

#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "admit/admit_internal.h"

#define INT64_MAX_DIGITS "9223372036854775807"
/* What JSON may hold between strings: structure, blanks, and the letters
 * of true, false and null (numbers are scanned apart). */
#define OUTSIDE_STRINGS "{}[],: \t\n\rtruefalsn"

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * overlong forms, surrogates and code points above U+10FFFF are refused. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0; /* overlong */
		if (c == 0xf4 && s[1] >= 0x90)
			return 0; /* above U+10FFFF */
		return 4;
	}
	return 0;
}

static int
hex4(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* One string starting after its opening quote; *i ends after the closing
 * quote. Sets *has_nul when it holds \u0000. */
static int
scan_string(const char *b, size_t len, size_t *i, int *has_nul, char *why, size_t why_size)
{
	size_t p = *i;

	*has_nul = 0;
	while (p < len && b[p] != '"') {
		if (b[p] != '\\') {
			size_t k = utf8_seq((const unsigned char *)b + p, len - p);
			if (k == 0) {
				snprintf(why, why_size, "invalid UTF-8 at byte %zu", p);
				return -1;
			}
			p += k;
			continue;
		}
		if (p + 1 >= len)
			break;
		if (b[p + 1] != 'u') {
			p += 2;
			continue;
		}
		unsigned u, lo;
		if (hex4(b + p + 2, len - p - 2, &u) != 0)
			break; /* the parser says what is wrong */
		p += 6;
		if (u == 0)
			*has_nul = 1;
		if (u >= 0xdc00 && u <= 0xdfff) {
			snprintf(why, why_size, "lone surrogate \\u%04x at byte %zu (not UTF-16 text)",
			    u, p - 6);
			return -1;
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			if (p + 1 >= len || b[p] != '\\' || b[p + 1] != 'u' ||
			    hex4(b + p + 2, len - p - 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
				snprintf(why, why_size,
				    "lone surrogate \\u%04x at byte %zu (not UTF-16 text)", u, p - 6);
				return -1;
			}
			p += 6;
		}
	}
	*i = p < len ? p + 1 : p;
	return 0;
}

/* An integer literal must fit int64: larger ones are clamped by json-c and
 * mean nothing to any field. Fractions and exponents are left to the tree
 * check (finite or not). */
static int
scan_number(const char *b, size_t len, size_t *i, char *why, size_t why_size)
{
	size_t p = *i, start, digits;
	int is_int = 1;

	if (p < len && b[p] == '-')
		p++;
	start = p;
	while (p < len && b[p] >= '0' && b[p] <= '9')
		p++;
	digits = p - start;
	while (p < len && (b[p] == '.' || b[p] == 'e' || b[p] == 'E' || b[p] == '+' ||
	                      b[p] == '-' || (b[p] >= '0' && b[p] <= '9'))) {
		is_int = 0;
		p++;
	}
	if (is_int && (digits > sizeof(INT64_MAX_DIGITS) - 1 ||
	               (digits == sizeof(INT64_MAX_DIGITS) - 1 &&
	                   memcmp(b + start, INT64_MAX_DIGITS, digits) > 0))) {
		snprintf(why, why_size, "the integer at byte %zu has %zu digits, more than any field "
		    "can hold (at most %s)", *i, digits, INT64_MAX_DIGITS);
		return -1;
	}
	*i = p;
	return 0;
}

int
admit_scan_raw(const char *b, size_t len, char *why, size_t why_size)
{
	size_t i = 0;

	while (i < len) {
		char c = b[i];

		if (c == '"') {
			int has_nul;
			i++;
			if (scan_string(b, len, &i, &has_nul, why, why_size) != 0)
				return -1;
			if (has_nul) {
				size_t k = i;
				while (k < len && (b[k] == ' ' || b[k] == '\t' || b[k] == '\n' ||
				                      b[k] == '\r'))
					k++;
				if (k < len && b[k] == ':') {
					snprintf(why, why_size, "an object key holds \\u0000 (byte %zu)", i);
					return -1;
				}
			}
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			if (scan_number(b, len, &i, why, why_size) != 0)
				return -1;
		} else if (strchr(OUTSIDE_STRINGS, c) == NULL || c == '\0') {
			/* Only JSON's own syntax: no single quotes, comments or
			 * bare words, which json-c would read in ways the
			 * upstream does not. */
			snprintf(why, why_size, "byte %zu ('%c') is not JSON syntax outside a string", i,
			    c >= 0x20 && c < 0x7f ? c : '?');
			return -1;
		} else
			i++;
	}
	return 0;
}

int
admit_is_int(struct json_object *v)
{
	if (!json_object_is_type(v, json_type_int))
		return 0;
	/* json-c keeps integers above INT64_MAX as uint64: not for us. */
	return json_object_get_uint64(v) <= (uint64_t)INT64_MAX || json_object_get_int64(v) < 0;
}

int
admit_check_tree(struct json_object *v, char *why, size_t why_size)
{
	switch (json_object_get_type(v)) {
	case json_type_double: {
		double d = json_object_get_double(v);
		if (!isfinite(d)) {
			snprintf(why, why_size,
			    "a number JSON cannot carry (too large: it would be Infinity or NaN)");
			return -1;
		}
		return 0;
	}
	case json_type_int:
		if (!admit_is_int(v)) {
			snprintf(why, why_size, "an integer is larger than any field can hold");
			return -1;
		}
		return 0;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			if (admit_check_tree(val, why, why_size) != 0)
				return -1;
		}
		return 0;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (admit_check_tree(json_object_array_get_idx(v, i), why, why_size) != 0)
				return -1;
		return 0;
	default:
		return 0;
	}
}
