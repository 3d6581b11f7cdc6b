/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * settle.h: the money of a finished exchange, in one place.
 *
 * Admission reserved an upper bound against the budgets and wrote a ledger
 * row before anything left (chat.c). When the exchange ends, its usage
 * decides what is charged: the cost the upstream reported; nothing when the
 * request provably never billed; a later reconciliation by generation id
 * (reconcile.c) when only the id is known; or the reservation itself,
 * marked estimated, when nothing can be known. The budgets are charged or
 * released and the ledger row settled here, and nowhere else.
 */
#ifndef ORAD_SETTLE_H
#define ORAD_SETTLE_H

struct orad_exchange;

/* Write down the generation id the moment the upstream names it, so that
 * even a crash leaves a row that can be reconciled. Once per exchange
 * (again after a retry forgot it); nothing without a ledger or an id. */
void settle_note_generation(struct orad_exchange *x);

/* Settle x's money: budgets, ledger row, spend metrics. Once, from
 * exchange_free(), with x's outcome, usage and request_sent final. */
void settle_exchange(struct orad_exchange *x);

#endif
