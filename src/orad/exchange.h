/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * exchange.h: one admitted request in flight, from admission to the log
 * line, and its one owner.
 *
 * The path reads top to bottom, each file handing on and never calling back:
 *
 *   chat.c      admits (limits, cost centre, body, upstream health, budget
 *               reservation, ledger row), then exchange_new() and
 *               relay_start();
 *   relay.c     carries the answer to the client as it arrives, retries,
 *               answers errors, decides the outcome, then exchange_free();
 *   exchange.c  owns the state: exchange_new() takes the in-flight counters
 *               and the circuit breaker's probe, exchange_free() gives them
 *               back, has settle.c settle the money, writes the log line and
 *               reports the end through the completion callback its starter
 *               gave (main.c's drain uses it);
 *   settle.c    the money: budget charge or release, ledger settlement,
 *               reconciliation by generation id.
 *
 * Whichever side ends the exchange first, the upstream (done or failed) or
 * the client (hung up), exchange_free() runs exactly once.
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
#include "orad/usage_shapes.h"

#define EXCHANGE_MAX_BODY (64L * 1024 * 1024) /* largest upstream answer buffered */
/* A stream's answer bytes the client has not taken: above the high mark
 * the upstream transfer is paused, below the low mark it resumes, so a
 * client that reads slowly (or not at all) costs orad at most this much. */
#define EXCHANGE_STREAM_HIGH_WATER (256L * 1024)
#define EXCHANGE_STREAM_LOW_WATER (64L * 1024)

struct event;
struct evbuffer;
struct orad;
struct orad_wire;
struct upstream_xfer;

/* How an exchange ended: the log line's and the ledger's `outcome`. */
enum exchange_outcome {
	EXCHANGE_OK = 0,
	EXCHANGE_CLIENT_GONE,          /* the client hung up first */
	EXCHANGE_UPSTREAM_TIMEOUT,     /* a phase or the request timed out */
	EXCHANGE_UPSTREAM_UNREACHABLE, /* never connected */
	EXCHANGE_UPSTREAM_FAILED,      /* the connection failed */
	EXCHANGE_UPSTREAM_CUT,         /* lost mid-stream */
	EXCHANGE_UPSTREAM_ERROR,       /* an error inside a 200 or a stream */
	EXCHANGE_UPSTREAM_STATUS,      /* a status other than 200, relayed */
	EXCHANGE_UPSTREAM_TOO_BIG,     /* answer above EXCHANGE_MAX_BODY */
	EXCHANGE_INTERNAL,             /* orad could not start the transfer */
	EXCHANGE_REFUSED,              /* the shared budgets refused it (before upstream) */
	EXCHANGE_OUTCOMES
};

/* The stable name of an outcome ("ok", "client_gone", ...). */
const char *exchange_outcome_name(enum exchange_outcome o);

enum relay_phase { PHASE_FIRST_BYTE, PHASE_IDLE };

struct orad_exchange;

/* Called once, as the last thing exchange_free() does. */
typedef void (*exchange_done_fn)(void *arg);

/* What admission decided, for exchange_new(). */
struct exchange_start {
	const struct orad_wire *wire;
	const struct ora_cost_centre *centre;
	const char *model;           /* copied */
	int stream;
	int64_t started_ms;          /* wall clock, as in the ledger */
	int64_t ledger_id;           /* 0 when the ledger is off */
	struct budget_hold hold;     /* taken over */
	ora_pico estimate;
	char *upstream_body;         /* taken over */
	size_t upstream_body_len;
	exchange_done_fn done;       /* may be NULL */
	void *done_arg;
};

struct ora_shared_wait;

struct orad_exchange {
	struct orad *d;
	const struct orad_wire *wire;
	struct http_req *req;        /* NULL once answered or the client is gone */
	struct orad_caller caller;
	const struct ora_cost_centre *centre;
	char *model;                 /* as requested (after the default applied) */
	int stream;
	enum exchange_outcome outcome;

	/* The relay's state (relay.c). */
	struct upstream_xfer *xfer;
	int paused;                  /* upstream paused: the client is behind */
	long status;                 /* upstream HTTP status, 0 before headers */
	struct upstream_headers h;   /* of the current attempt */
	int attempts;                /* transfers started */
	struct event *phase_timer;   /* first byte, then idle gaps */
	enum relay_phase phase;
	struct event *retry_timer;
	int streaming;               /* reply started as an event stream */
	struct evbuffer *body;       /* buffered non-stream answer */
	int body_too_big;
	struct usage_event_stream events; /* the stream, read for usage */
	struct orad_usage usage;
	char *upstream_body;         /* as sent upstream, kept for retries */
	size_t upstream_body_len;

	uint64_t started_us;
	uint64_t first_byte_us;
	int64_t started_ms;          /* wall clock, as in the ledger */

	/* The money (settle.c). */
	int64_t ledger_id;           /* 0 when the ledger is off */
	int generation_noted;        /* generation id written to the ledger */
	struct budget_hold hold;     /* reservation against the budgets */
	ora_pico estimate;
	int request_sent;            /* the upstream may have started billing */
	struct ora_shared_wait *shared_wait; /* the shared budgets' answer awaited */

	/* Held from exchange_new() to exchange_free() (exchange.c only). */
	int probe;                   /* the circuit breaker's half-open probe */
	exchange_done_fn done;
	void *done_arg;
};

/* Make the exchange for an admitted request: takes over *caller (cleared)
 * and what s hands over, counts the request in flight (for the caller's
 * uid and the daemon) and takes the circuit breaker's probe when this
 * request is to be it. Admission has checked the circuit just before
 * (metrics_circuit_check), so this cannot be refused. */
struct orad_exchange *exchange_new(struct orad *d, struct http_req *req,
    struct orad_caller *caller, struct exchange_start *s);

/* The upstream transfer of the current attempt ended: record the
 * upstream's health; a probe's answer decides the circuit, and the probe is
 * given back. */
void exchange_upstream_ended(struct orad_exchange *x, int ok, const char *failure);

/* The HTTP status the client saw, for the ledger (499: it hung up first). */
int exchange_client_status(const struct orad_exchange *x);

/* End the exchange: settle its money, log it, give back the counters and
 * the probe, report it through the completion callback, and free it. The
 * relay has detached from the client and stopped its transfer and timers
 * (relay.c does this before calling). */
void exchange_free(struct orad_exchange *x);

/* relay.c: watch the client from now on and start the upstream transfer. */
void relay_start(struct orad_exchange *x);

/* Admitted locally, waiting for the shared budgets (chat.c): the client is
 * watched meanwhile, and a hang-up ends x (cancelling the wait). Then
 * relay_go() sends it, or relay_refuse() answers status with message and
 * ends x with EXCHANGE_REFUSED, nothing sent. */
void relay_wait(struct orad_exchange *x);
void relay_go(struct orad_exchange *x);
void relay_refuse(struct orad_exchange *x, int status, const char *type, const char *retry_after,
    const char *message);

#endif
