/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg_usage.c: the copy of the shared budget rows that
 * /api/v1/usage reads (ledger_pg_usage.h says why a copy).
 *
 * Rows are kept sorted by (scope, name) in C's byte order, whatever the
 * database's collation, and found by binary search.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ledger/ledger_pg.h"
#include "ledger/ledger_pg_usage.h"

/* The latest period of each budget row; older periods are history. */
const char ledger_pg_usage_sql[] =
    "SELECT DISTINCT ON (scope, name) scope, name, period_start_ms, spent_pico, reserved_pico"
    " FROM budget_usage WHERE period_start_ms = 0 OR period_start_ms >= $1"
    " ORDER BY scope, name, period_start_ms DESC LIMIT 20000";

struct usage_row {
	char *scope, *name;
	int64_t period_start_ms;
	ora_pico spent, reserved;
};

struct ledger_pg_usage {
	struct usage_row *rows;
	size_t n;
	int64_t sent_ms;  /* when the last query went, 0: never */
	int64_t as_of_ms; /* when the query of the copy went, 0: no copy yet */
	int64_t asked_ms; /* when the figures were last asked for */
};

_Static_assert(LEDGER_PG_USAGE_ROWS_MAX == 20000, "ledger_pg_usage_sql's LIMIT");

struct ledger_pg_usage *
ledger_pg_usage_new(void)
{
	return ora_xcalloc(1, sizeof(struct ledger_pg_usage));
}

static void
usage_clear(struct ledger_pg_usage *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->rows[i].scope);
		free(u->rows[i].name);
	}
	free(u->rows);
	u->rows = NULL;
	u->n = 0;
}

void
ledger_pg_usage_free(struct ledger_pg_usage *u)
{
	if (u == NULL)
		return;
	usage_clear(u);
	free(u);
}

int
ledger_pg_usage_due(const struct ledger_pg_usage *u, int64_t now_ms)
{
	if (u->sent_ms == 0 || now_ms < u->sent_ms) /* never, or the clock went back */
		return 1;
	return now_ms - u->asked_ms <= LEDGER_PG_USAGE_INTEREST_MS &&
	       now_ms - u->sent_ms >= LEDGER_PG_USAGE_REFRESH_MS;
}

void
ledger_pg_usage_sent(struct ledger_pg_usage *u, int64_t now_ms)
{
	u->sent_ms = now_ms;
}

static int
usage_cmp(const char *scope_a, const char *name_a, const char *scope_b, const char *name_b)
{
	int c = strcmp(scope_a, scope_b);

	return c != 0 ? c : strcmp(name_a, name_b);
}

static int
usage_row_cmp(const void *a, const void *b)
{
	const struct usage_row *x = a, *y = b;

	return usage_cmp(x->scope, x->name, y->scope, y->name);
}

void
ledger_pg_usage_take(struct ledger_pg_usage *u, const PGresult *res)
{
	size_t n = (size_t)PQntuples(res);

	usage_clear(u);
	if (PQnfields(res) != 5)
		return;
	if (n > LEDGER_PG_USAGE_ROWS_MAX)
		n = LEDGER_PG_USAGE_ROWS_MAX;
	u->rows = ora_xcalloc(n > 0 ? n : 1, sizeof(*u->rows));
	for (size_t i = 0; i < n; i++) {
		struct usage_row *r = &u->rows[u->n++];

		r->scope = ora_xstrdup(PQgetvalue(res, (int)i, 0));
		r->name = ora_xstrdup(PQgetvalue(res, (int)i, 1));
		r->period_start_ms = ledger_pg_int(res, (int)i, 2);
		r->spent = ledger_pg_int(res, (int)i, 3);
		r->reserved = ledger_pg_int(res, (int)i, 4);
	}
	qsort(u->rows, u->n, sizeof(*u->rows), usage_row_cmp);
	u->as_of_ms = u->sent_ms;
}

int
ledger_pg_usage_find(struct ledger_pg_usage *u, const char *scope, const char *name,
    int64_t period_start_ms, struct ora_ledger_shared_budget *out)
{
	size_t lo = 0, hi = u->n;

	memset(out, 0, sizeof(*out));
	u->asked_ms = ora_wall_ms();
	if (u->as_of_ms == 0)
		return 0;
	out->as_of_ms = u->as_of_ms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct usage_row *r = &u->rows[mid];
		int c = usage_cmp(scope, name, r->scope, r->name);

		if (c == 0) {
			/* A row of an earlier period: nobody has reserved in this
			 * one yet (as of the copy). */
			if (r->period_start_ms == period_start_ms) {
				out->spent = r->spent;
				out->reserved = r->reserved;
			}
			return 1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 1; /* no row: nothing spent or reserved anywhere yet */
}
