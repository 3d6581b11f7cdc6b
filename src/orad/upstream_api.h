/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * upstream_api.h: what is particular to the upstream's HTTP API, as
 * opposed to HTTP itself (upstream.c) and to the wire shapes clients
 * speak (wire.h): where each wire's requests go under upstream.base_url,
 * the attribution headers, which response headers carry the generation id
 * and the rate limits, which statuses mean "try again" and how long the
 * upstream asked us to wait, and how a generation's cost is looked up
 * after the fact. OpenRouter is the one provider (upstream_openrouter.c);
 * another is one new file and the line in upstream_api() that picks it.
 */
#ifndef ORAD_UPSTREAM_API_H
#define ORAD_UPSTREAM_API_H

#include <stddef.h>
#include <stdint.h>

#include "common/money.h"

struct orad_wire;
struct upstream_headers;

/* At most this many attribution header lines. */
#define UPSTREAM_API_MAX_ATTRIBUTION 4

/* What a generation lookup said about the cost of an answer. */
struct upstream_generation {
	ora_pico cost;
	char cost_text[ORA_MONEY_TEXT_MAX]; /* as the upstream wrote it */
	int64_t tokens_prompt, tokens_completion, tokens_reasoning;
	char *model; /* malloc'd, NULL when not said */
};

struct orad_upstream_api {
	const char *name; /* for logs and docs: "openrouter" */

	/* Where w's requests go, after upstream.base_url; NULL: nowhere. */
	const char *(*wire_path)(const struct orad_wire *w);

	/* The response headers upstream.c keeps in struct upstream_headers. */
	const char *generation_id_header;
	const char *ratelimit_limit_header;
	const char *ratelimit_remaining_header;
	const char *ratelimit_reset_header;

	/* The attribution header lines ("Name: value", malloc'd) for the
	 * configured referer and title (either NULL when not set) into out;
	 * returns how many. */
	size_t (*attribution)(const char *referer, const char *title,
	    char *out[UPSTREAM_API_MAX_ATTRIBUTION]);

	/* 1 when status means "try again" (rate limited, busy, down). */
	int (*retryable)(long status);
	/* How long the upstream asked us to wait, in ms (0: it did not say). */
	long (*asked_wait_ms)(const struct upstream_headers *h);

	/* The URL (malloc'd) that tells a generation's cost, or NULL when id
	 * is not one that can be looked up. */
	char *(*generation_url)(const char *base_url, const char *id);
	/* 0 when a 200 answer to that URL (body, NUL-terminated) holds the
	 * cost; fills g (free g->model with upstream_generation_clear). */
	int (*generation_parse)(const char *body, struct upstream_generation *g);
};

extern const struct orad_upstream_api upstream_openrouter;

/* The upstream's API. */
const struct orad_upstream_api *upstream_api(void);

void upstream_generation_clear(struct upstream_generation *g);

#endif
