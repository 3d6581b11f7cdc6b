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
#include "orad/usage.h"

#define EXCHANGE_MAX_BODY (64L * 1024 * 1024) /* largest upstream answer buffered */

struct event;
struct evbuffer;
struct orad;
struct upstream_xfer;

struct orad_exchange {
	struct orad *d;
	struct evhttp_request *req;  /* NULL once the client is gone */
	struct orad_caller caller;
	const struct ora_cost_centre *centre;
	char *model;                 /* as requested (after the default applied) */
	int stream;
	struct upstream_xfer *xfer;
	struct event *close_watch;   /* notices a hang-up before evhttp does */

	long status;                 /* upstream HTTP status, 0 before headers */
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
};

/* Start relaying: sets up the hang-up watch and starts the transfer with the
 * prepared upstream request. On failure the client has been answered and
 * the exchange freed. */
void relay_start(struct orad_exchange *x, const char *url, const char *const *headers,
    size_t n_headers, const char *body, size_t body_len);

#endif
