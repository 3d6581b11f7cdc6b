/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * json.h: lenient readers for the broker's JSON.
 *
 * OpenRouter's answers change often: these read a field when it has the
 * expected type and otherwise report it missing, never fail on unknown
 * fields, and never depend on key order.
 */
#ifndef ORA_CLIENT_JSON_H
#define ORA_CLIENT_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "ora/client.h"

/* Parse len bytes of JSON (leading whitespace is fine); NULL on junk. */
struct json_object *oc_json_parse(const char *data, size_t len);

/* The member key of obj if it has type type, else NULL. */
struct json_object *oc_json_get(struct json_object *obj, const char *key, enum json_type type);

/* The string member key, or NULL. */
const char *oc_json_str(struct json_object *obj, const char *key);

/* An integer member (a JSON integer, or a double with an integral value), or
 * def. */
long oc_json_long(struct json_object *obj, const char *key, long def);

/* A number member, also accepting a decimal string ("0.00000015") as
 * OpenRouter writes prices; def when missing or junk. */
double oc_json_number(struct json_object *obj, const char *key, double def);

/* Replace *dst with a copy of the string member key, if obj has one. Returns
 * ORA_OK or ORA_E_NOMEM. */
enum ora_status oc_json_dup(struct json_object *obj, const char *key, char **dst);

/* Copy the names in array member key into a NULL-terminated vector: its
 * strings, or the "name" of its objects (orad describes cost centres as
 * {"name", "default", "models"}); other items are skipped. */
enum ora_status oc_json_strv(struct json_object *obj, const char *key, char ***dst, size_t *n);

void oc_strv_free(char **v);

/* Read usage{prompt_tokens,...,cost} into *u when obj has one. */
void oc_json_usage(struct json_object *obj, struct ora_usage *u);

#endif
