/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * classify.h: what a refused request means.
 *
 * Turns an HTTP status and error body from the broker into an ora_status and
 * a message for a person. A pure function, tested by feeding it bodies.
 * The broker's own errors carry a stable "type"; errors OpenRouter sent and
 * the broker passed through carry none and are upstream errors; a body that
 * is not JSON (an HTTP-layer error page) is judged by its status alone.
 */
#ifndef ORA_CLIENT_CLASSIFY_H
#define ORA_CLIENT_CLASSIFY_H

#include <stddef.h>

#include "ora/client.h"

#define OC_MESSAGE_MAX 1024
#define OC_TYPE_MAX 64

struct oc_http_error {
	enum ora_status status;
	char type[OC_TYPE_MAX];       /* the broker's error type; "" if none */
	char message[OC_MESSAGE_MAX]; /* never empty */
};

/* Classify a non-2xx response: http_status and body (len bytes, need not be
 * NUL-terminated; may be NULL). Always fills *out. */
void oc_classify(long http_status, const char *body, size_t len, struct oc_http_error *out);

/* The status a broker error type means, or ORA_OK for a type this version
 * does not know. */
enum ora_status oc_status_for_type(const char *type);

/* Copy a message that came over the wire into dst (size bytes), replacing
 * control characters with spaces so that a hostile or broken upstream cannot
 * send terminal escape sequences to the user's screen. */
void oc_copy_message(char *dst, size_t size, const char *src);

#endif
