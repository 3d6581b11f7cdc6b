/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * json_scan.h: the members of a JSON object, or the elements of an array,
 * found without building anything.
 *
 * json-c makes an object for every value it parses: an upstream answer of
 * a few kilobytes costs about a hundred allocations and most of the
 * instructions orad spends reading it (issue 17: 101 of 245 allocations
 * and 22% of the instructions of a non-streamed request), although orad
 * needs only a few of its members. These functions check the text's
 * syntax as they go (strings, escapes, numbers, literals, nesting up to
 * JSON_SCAN_MAX_DEPTH) and hand back where each member's value lies, so
 * that only the small values wanted are given to json-c.
 */
#ifndef ORA_COMMON_JSON_SCAN_H
#define ORA_COMMON_JSON_SCAN_H

#include <stddef.h>

#define JSON_SCAN_MAX_DEPTH 64

/* Called for each member: key (still escaped, without its quotes) and the
 * value's text, exactly as it stands. Return non-zero to stop the walk
 * early (the walk then returns that value). */
typedef int (*json_scan_member_fn)(
    void *arg, const char *key, size_t key_len, const char *value, size_t value_len);
/* Called for each element of an array, as above. */
typedef int (*json_scan_element_fn)(void *arg, size_t index, const char *value, size_t value_len);

/* How to walk one object or array, for a walk that goes into nested
 * values in the same pass (json_scan_object_walk): member (objects) or element
 * (arrays) hears of each value once it is skipped, as above; enter, when
 * set, is asked first about each value that is an object or array
 * (value[0] is '{' or '['; key is NULL in an array; index counts from 0)
 * and returns the walk to go through it with, in place, or NULL to skip
 * it. Nested walks share arg. Any of the three may be NULL. */
struct json_scan_walk {
	json_scan_member_fn member;
	json_scan_element_fn element;
	const struct json_scan_walk *(*enter)(
	    void *arg, const char *key, size_t key_len, size_t index, const char *value);
};

/* Walk the object that text[0..len) holds with w, reading each byte once
 * however deep the walk goes (scanning a nested value again from its
 * member's callback reads it twice). Returns as json_scan_object. */
int json_scan_object_walk(const char *text, size_t len, const struct json_scan_walk *w, void *arg);

/* Walk the object that text[0..len) holds (blanks around it allowed).
 * Returns 0 when the whole text is one well-formed object, -1 when it is
 * not (members before the fault may have been handed out), or what fn
 * returned to stop. */
int json_scan_object(const char *text, size_t len, json_scan_member_fn fn, void *arg);

/* The same for an array. */
int json_scan_array(const char *text, size_t len, json_scan_element_fn fn, void *arg);

/* Whether a value's text (as handed out above) is a string with at least
 * one character. */
int json_scan_nonempty_string(const char *value, size_t value_len);

#endif
