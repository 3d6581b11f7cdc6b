/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * usage_shapes_internal.h: the getters usage_messages.c and
 * usage_responses.c share (usage_shapes.c). Not part of the contract.
 */
#ifndef ORAD_USAGE_SHAPES_INTERNAL_H
#define ORAD_USAGE_SHAPES_INTERNAL_H

#include <stddef.h>

#include "orad/usage.h"

struct json_object;

/* Parse one JSON text (leading whitespace skipped) with the shared
 * tokener; a new reference, or NULL. */
struct json_object *usage_shapes_parse(const char *text, size_t len);

/* parent[key] into dst when it is a string. */
void usage_shapes_take_string(char *dst, size_t size, struct json_object *parent,
    const char *key);

/* parent[key] as a count: 1 and *out set when it is a non-negative
 * number, else 0. */
int usage_shapes_get_count(struct json_object *parent, const char *key, long *out);

/* parent[key] as the exact decimal text of the cost, when it is a number. */
void usage_shapes_take_cost(struct orad_usage *u, struct json_object *parent, const char *key);

/* An in-band error: code (HTTP status, 502 when none), message (a generic
 * sentence when none). */
void usage_shapes_set_error(struct orad_usage *u, int code, const char *message);

/* An event's name: event when given, else data's "type" (into buf). */
const char *usage_shapes_event_type(const char *event, struct json_object *data, char *buf,
    size_t size);

#endif
