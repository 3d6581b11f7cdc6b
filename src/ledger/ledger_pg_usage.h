/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg_usage.h: what the shared budgets hold across every host, as
 * the shipper last read it from budget_usage, for /api/v1/usage.
 *
 * The usage endpoint answers from the event loop and must not wait on the
 * database, so it reads a copy: the shipper (ledger_pg_ship.c) asks for
 * the current row of every budget on its own connection after a
 * settlement, at most every LEDGER_PG_USAGE_REFRESH_MS, and hands the
 * result here: once when it connects, then only while someone asks
 * (within LEDGER_PG_USAGE_INTEREST_MS), so that an idle broker makes no
 * round trip for it. While the database is reachable and the figures are
 * asked for, the copy is about a second old (plus the shipping lag of
 * spent, see ledger_pg_budget.h); the first answer after a quiet spell
 * is the older copy, with the time it was read, and the next ones fresh;
 * while the database is away the copy stays as it was.
 * Nothing outside src/ledger includes this header.
 */
#ifndef ORA_LEDGER_PG_USAGE_H
#define ORA_LEDGER_PG_USAGE_H

#include <libpq-fe.h>
#include <stdint.h>

#include "ledger/ledger_ship.h"

/* Most often the copy is refreshed. */
#define LEDGER_PG_USAGE_REFRESH_MS 1000
/* How long after a question the copy is kept fresh. */
#define LEDGER_PG_USAGE_INTEREST_MS 60000
/* Most budget rows kept: one per budget (its latest period). */
#define LEDGER_PG_USAGE_ROWS_MAX 20000
/* How far back a period may start and still be current: the longest
 * period, a month, with a day to spare for time zones. */
#define LEDGER_PG_USAGE_LOOKBACK_MS (32LL * 24 * 3600 * 1000)

/* The query, with $1 the earliest period start worth reading (a total
 * budget's period starts at 0 and is always read). */
extern const char ledger_pg_usage_sql[];

struct ledger_pg_usage;

struct ledger_pg_usage *ledger_pg_usage_new(void);
void ledger_pg_usage_free(struct ledger_pg_usage *u);

/* 1 if the copy should be read again at now_ms; then note that it is
 * being read (as_of is the time the query goes). */
int ledger_pg_usage_due(const struct ledger_pg_usage *u, int64_t now_ms);
void ledger_pg_usage_sent(struct ledger_pg_usage *u, int64_t now_ms);

/* Replace the copy with the query's result. */
void ledger_pg_usage_take(struct ledger_pg_usage *u, const PGresult *res);

/* The figures of one budget row; see ora_ledger_ship_budget(). Notes
 * that they were asked for. */
int ledger_pg_usage_find(struct ledger_pg_usage *u, const char *scope, const char *name,
    int64_t period_start_ms, struct ora_ledger_shared_budget *out);

#endif
