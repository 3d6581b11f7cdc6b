/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * reconcile.h: learning costs that an answer did not carry.
 *
 * When a client hangs up mid-stream, the upstream cuts off, or the broker
 * was killed with requests in flight, the cost is not in the answer. If the
 * upstream named the generation, its /generation record has the billed
 * cost; it may answer 404 for a while after the generation ends, so we ask
 * again with growing delays. A cost still unknown after
 * upstream.reconcile_give_up seconds is settled at the reservation and
 * marked estimated, so a budget is never under-charged.
 */
#ifndef ORAD_RECONCILE_H
#define ORAD_RECONCILE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/money.h"
#include "orad/budget.h"

struct orad;
struct orad_reconciler;

#define RECONCILE_FIRST_DELAY_MS 500
#define RECONCILE_MAX_DELAY_MS 60000
#define RECONCILE_TICK_MS 250
#define RECONCILE_PARALLEL 8 /* lookups at once */

struct orad_reconciler *reconcile_new(struct orad *d);
void reconcile_free(struct orad_reconciler *r);

/* Queue ledger row `ledger_id` (generation generation_id, billed to key
 * key_name) for reconciliation. hold (may be NULL) is taken over and
 * settled when the cost is known; without one, budgets are adjusted by
 * names. started is the row's admission time. */
void reconcile_add(struct orad_reconciler *r, int64_t ledger_id, const char *generation_id,
    const char *key_name, const char *user, const char *centre, ora_pico reserved, time_t started,
    struct budget_hold *hold);

/* Rows waiting for a cost. */
size_t reconcile_backlog(const struct orad_reconciler *r);

#endif
