/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg_allow.h: a host's allowance on the shared budgets while the
 * database cannot be reached (ledger.unavailable = "allowance";
 * doc/design.md, "A ledger shared by many hosts").
 *
 * A request admitted on the allowance has no hold in the shared ledger
 * yet, so the hold is recorded here, in a file of the state directory
 * (state_dir/ORA_ALLOWANCE_FILE), before the request goes upstream: one line
 * per request, "id amount n (scope name period_start_ms){n}", written with
 * one write(2), so it is in the kernel's page cache, which outlives a
 * kill -9, as the intent log is. When the database answers again the
 * lines are delivered (ora_budget_allow, schema version 4) and charged to
 * the shared budgets whatever they have left; a line delivered twice (the
 * broker died before it learned of the delivery) is charged once, since
 * a hold is keyed (host, id, scope, name, period). The file is emptied
 * once everything in it is delivered.
 *
 * The allowance bounds what one host admits this way: on each budget row,
 * the amounts of the holds not yet delivered stay within it.
 */
#ifndef ORA_LEDGER_PG_ALLOW_H
#define ORA_LEDGER_PG_ALLOW_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "ledger/ledger_pg_budget.h"

/* Most requests' holds delivered by one statement. */
#define PG_ALLOW_BATCH 500

struct pg_allow;

/* Open (creating it 0600) the file at path and count what waits in it
 * against limit (picodollars per budget row). */
int pg_allow_open(const char *path, int64_t limit, struct pg_allow **out, struct ora_error *err);
void pg_allow_free(struct pg_allow *a);

/* Admit request id on the allowance: 0 when every part has room for
 * amount and the holds are recorded; -1 otherwise (nothing recorded). */
int pg_allow_take(struct pg_allow *a, int64_t id, const struct ora_shared_part *parts, size_t n,
    int64_t amount);

/* The holds not yet delivered (up to PG_ALLOW_BATCH requests), as the
 * array parameters of ora_budget_allow after the host: ids, scopes,
 * names, periods, amounts, for the caller to free. Their number of
 * requests; 0 (and no parameters) when nothing waits. */
size_t pg_allow_batch(struct pg_allow *a, char *params[5]);

/* The database acknowledged the batch pg_allow_batch gave last. */
void pg_allow_delivered(struct pg_allow *a);

/* Requests admitted on the allowance whose holds wait for the database. */
size_t pg_allow_waiting(const struct pg_allow *a);
/* The most taken on one budget row, picodollars; and the limit. */
int64_t pg_allow_used(const struct pg_allow *a);
int64_t pg_allow_limit(const struct pg_allow *a);

#endif
