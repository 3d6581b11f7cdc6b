/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * exchange.h: one chat completion in flight, from admission to the log line.
 *
 * chat.c admits a request (parse, policy, limits) and starts the upstream
 * transfer; relay.c carries the answer back to the client as it arrives and
 * finishes the exchange exactly once, whichever side ends it first: the
 * upstream (done or failed), or the client (hung up).
 */
#ifndef ORAD_EXCHANGE_H
#define ORAD_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/money.h"
#include "orad/budget.h"
#include "orad/server.h"
#include "orad/upstream.h"
#include "orad/usage.h"

#define EXCHANGE_MAX_BODY (64L * 1024 * 1024) /* largest upstream answer buffered */
/* A stream's answer bytes the client has not taken: above the high mark
 * the upstream transfer is paused, below the low mark it resumes, so a
 * client that reads slowly (or not at all) costs orad at most this much. */
#define EXCHANGE_STREAM_HIGH_WATER (256L * 1024)
#define EXCHANGE_STREAM_LOW_WATER (64L * 1024)

struct event;
struct evbuffer;
struct orad;
struct upstream_xfer;

enum relay_phase { PHASE_FIRST_BYTE, PHASE_IDLE };

struct orad_exchange {
	struct orad *d;
	struct http_req *req;        /* NULL once answered or the client is gone */
	struct orad_caller caller;
	const struct ora_cost_centre *centre;
	char *model;                 /* as requested (after the default applied) */
	int stream;
	struct upstream_xfer *xfer;
	int paused;                  /* upstream paused: the client is behind */

	long status;                 /* upstream HTTP status, 0 before headers */
	struct upstream_headers h;   /* of the current attempt */
	int attempts;                /* transfers started */
	struct event *phase_timer;   /* first byte, then idle gaps */
	enum relay_phase phase;
	struct event *retry_timer;
	int probe;                   /* the circuit breaker's half-open probe */
	int streaming;               /* reply started as an event stream */
	struct evbuffer *body;       /* buffered non-stream answer */
	int body_too_big;
	struct sse_parser sse;
	struct orad_usage usage;
	const char *outcome;         /* for the log line */

	uint64_t started_us;
	uint64_t first_byte_us;
	int64_t started_ms;          /* wall clock, as in the ledger */

	int64_t ledger_id;           /* 0 when the ledger is off */
	int generation_noted;        /* generation id written to the ledger */
	struct budget_hold hold;     /* reservation against the budgets */
	ora_pico estimate;
	int request_sent;            /* the upstream may have started billing */

	char *upstream_body;         /* as sent upstream, kept for retries */
	size_t upstream_body_len;
};

/* Take over an admitted exchange whose ledger row is written: watch the
 * client from now on and start the upstream transfer (body, body_len: the
 * request as it goes upstream; taken over). */
void relay_admit(struct orad_exchange *x, char *body, size_t body_len);

#endif
