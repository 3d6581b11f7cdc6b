/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg_budget.h: budgets that hold across hosts, reserved in the
 * shared PostgreSQL ledger (doc/design.md, "A ledger shared by many hosts").
 *
 * Admission reserves a request's upper bound on every budget row it
 * touches with one call of the schema's ora_budget_reserve: all or none,
 * each by a conditional UPDATE, so no interleaving of hosts passes a
 * limit. The call goes on a connection of its own (beside the shipper's),
 * non-blocking from the event loop, several in flight at once (libpq's
 * pipeline mode): the request waits, never the loop. While the database
 * cannot be reached a request is refused, or admitted on the host's
 * allowance (ledger_pg_allow.h), as ledger.unavailable says.
 * Settlement is the shipper's: once a finished row of this host is in the
 * database, ora_budget_settle moves its holds from reserved to spent, each
 * once; so a host killed -9 settles its holds when its restart's
 * reconciliation settles the rows.
 */
#ifndef ORA_LEDGER_PG_BUDGET_H
#define ORA_LEDGER_PG_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"

struct event_base;
struct ora_shared_budgets;
struct ora_shared_wait;

/* One budget row a request reserves on. */
struct ora_shared_part {
	const char *scope; /* "user", "cost_centre", "key", "global" */
	const char *name;
	int64_t period_start_ms;
	int64_t limit; /* picodollars */
};

enum ora_shared_result {
	ORA_SHARED_ADMITTED = 0,
	ORA_SHARED_EXHAUSTED,   /* part `refused` has too little left */
	ORA_SHARED_UNAVAILABLE, /* the database did not answer */
	ORA_SHARED_ALLOWED,     /* it did not, and the request is admitted on the
	                           host's allowance (ledger_pg_allow.h) */
};

/* What to do while the database cannot be reached. */
struct ora_shared_options {
	const char *allowance_path; /* the allowance's file, or NULL */
	int64_t allowance;          /* picodollars a host may admit per budget row;
	                               0: refuse (what waits in the file, from
	                               before, is still delivered) */
};

/* refused: index into the parts when ORA_SHARED_EXHAUSTED. */
typedef void (*ora_shared_fn)(void *arg, enum ora_shared_result result, size_t refused);

/* The allowance's holds not yet in the database, in state_dir
 * (ledger_pg_allow.h). */
#define ORA_ALLOWANCE_FILE "ledger-allowance"
/* Longest a request waits for a connection being made. */
#define ORA_SHARED_CONNECT_WAIT_MS 3000
/* Most budget rows a request reserves on. */
#define ORA_SHARED_PARTS_MAX 8

#ifdef HAVE_LIBPQ
int ora_shared_budgets_new(struct event_base *base, const struct ora_ledger_target *t,
    const struct ora_shared_options *opts, struct ora_shared_budgets **out,
    struct ora_error *err);
void ora_shared_budgets_free(struct ora_shared_budgets *b);

/* Reserve amount on each part for the request (host, id): fn is called
 * once from the loop, never from inside this call; NULL only when out of
 * memory (fn is then never called and the caller refuses). */
struct ora_shared_wait *ora_shared_reserve(struct ora_shared_budgets *b, int64_t id,
    const struct ora_shared_part *parts, size_t n, int64_t amount, ora_shared_fn fn, void *arg);

/* The request went away: fn will not be called. A reservation that lands
 * anyway is released when the request's row (settled at $0) is shipped. */
void ora_shared_cancel(struct ora_shared_wait *w);

/* Requests waiting for the database now; 1 while connected. */
size_t ora_shared_waiting(const struct ora_shared_budgets *b);
int ora_shared_connected(const struct ora_shared_budgets *b);

/* The allowance (0 when requests are refused while the database is
 * away), the most of it taken on one budget row, and how many requests
 * admitted on it wait for their holds to reach the database. */
int64_t ora_shared_allowance(const struct ora_shared_budgets *b);
int64_t ora_shared_allowance_used(const struct ora_shared_budgets *b);
size_t ora_shared_allowance_waiting(const struct ora_shared_budgets *b);

#else
/* Without libpq there are no shared budgets; the configuration refuses to
 * ask for them. */
static inline int
ora_shared_budgets_new(struct event_base *base, const struct ora_ledger_target *t,
    const struct ora_shared_options *opts, struct ora_shared_budgets **out,
    struct ora_error *err)
{
	*out = NULL;
	return ora_error_set(err, "ledger: this ora was built without PostgreSQL support");
}
static inline void ora_shared_budgets_free(struct ora_shared_budgets *b) { }
static inline struct ora_shared_wait *
ora_shared_reserve(struct ora_shared_budgets *b, int64_t id, const struct ora_shared_part *parts,
    size_t n, int64_t amount, ora_shared_fn fn, void *arg)
{
	return NULL;
}
static inline void ora_shared_cancel(struct ora_shared_wait *w) { }
static inline size_t ora_shared_waiting(const struct ora_shared_budgets *b) { return 0; }
static inline int ora_shared_connected(const struct ora_shared_budgets *b) { return 0; }
static inline int64_t ora_shared_allowance(const struct ora_shared_budgets *b) { return 0; }
static inline int64_t ora_shared_allowance_used(const struct ora_shared_budgets *b) { return 0; }
static inline size_t ora_shared_allowance_waiting(const struct ora_shared_budgets *b) { return 0; }
#endif

#endif
