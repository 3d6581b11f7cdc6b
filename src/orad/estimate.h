/*
 * estimate.h: an upper bound of what a chat request can cost, from the
 * upstream's own prices, reserved against budgets before it is sent.
 *
 * Prompt: at most one token per byte of the request body (a token is never
 * shorter than a byte of text). Completion: the effective max_tokens (after
 * the role's cap), else the model's largest completion, else its context
 * length. With fallback models, the dearest of them. A model the catalog
 * does not know is priced at the dearest model in the catalog.
 */
#ifndef ORAD_ESTIMATE_H
#define ORAD_ESTIMATE_H

#include <stddef.h>

#include "common/money.h"

struct json_object;
struct orad_catalog;

/* 0 with *out set, or -1 with a sentence in why when the request cannot be
 * priced (no catalog yet). body is the request as it will be sent. */
int estimate_cost(const struct orad_catalog *cat, struct json_object *body, size_t body_bytes,
    ora_pico *out, char *why, size_t why_size);

#endif
