/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg.h: what the PostgreSQL backend's files share (ledger_pg.c:
 * connection, schema and writes; ledger_pg_query.c: reports, the audit
 * trail, prune). Nothing outside src/ledger includes it.
 *
 * The database is shared by the brokers of many hosts: every row carries
 * the host that wrote it, and a request row is known by (host, id), the
 * id being the one the host's broker gave it. Writing a row again under
 * the same key changes nothing that was already there, so a row that a
 * broker sends twice (it died before it learned that the first copy
 * arrived) is still one row.
 *
 * Schema (version ORA_LEDGER_PG_SCHEMA_VERSION), in the schema the
 * connection's search_path names (public by default):
 *
 *   ora_meta(key PRIMARY KEY, value)            -- 'schema_version'
 *   requests(host, id, ... the columns of ledger.h ..., rev, PRIMARY KEY (host, id))
 *   audit(id bigserial PRIMARY KEY, host, time_ms, uid, "user", action, detail)
 *   pruned(id bigserial PRIMARY KEY, host, time_ms, uid, before_ms, rows, cost_pico)
 *   budget_usage(scope, name, period_start_ms, spent_pico, reserved_pico,
 *                PRIMARY KEY (scope, name, period_start_ms))   -- version 2
 *   budget_holds(host, id, scope, name, period_start_ms, reserved_pico, settled)
 *   ora_budget_reserve(...), ora_budget_settle(host)          -- version 3
 *   budget_holds.allowance, ora_budget_allow(...)             -- version 4
 *   audit.local_id, UNIQUE (host, local_id)                   -- version 4
 *                (the shared budgets: ledger_pg_budget.h)
 */
#ifndef ORA_LEDGER_PG_H
#define ORA_LEDGER_PG_H

#include <libpq-fe.h>

#include "ledger/ledger_backend.h"

/* The schema this ora reads and writes. 1: requests, audit, meta. 2: the
 * pruned record, the shared budget counters, the index on state and each
 * row's rev (the version its broker shipped). 3: the holds of the shared
 * budgets and the functions that take and settle them. 4: holds admitted
 * on a host's allowance while the database was away, and the function
 * that delivers them; the local id of a broker's shipped audit entries. */
#define ORA_LEDGER_PG_SCHEMA_VERSION 4

/* The number of query parameters any statement of the backend takes. */
#define LEDGER_PG_PARAMS_MAX 40

struct ledger_pg {
	struct ora_ledger base; /* first: see ledger_backend.h */
	PGconn *conn;
	enum ora_ledger_mode mode;
	char *host;      /* this host's name in the rows it writes */
	int in_read;     /* a read snapshot is open */
};

static inline struct ledger_pg *
ledger_pg_of(struct ora_ledger *l)
{
	return (struct ledger_pg *)l;
}

/* Run sql with n text parameters (NULL: SQL NULL). On success *res (if
 * not NULL) holds the result, for the caller to PQclear. what names the
 * step in the error. */
int ledger_pg_exec(struct ledger_pg *l, const char *sql, int n, const char *const *params,
    PGresult **res, const char *what, struct ora_error *err);

/* An int64 from a result's text, 0 for NULL. */
int64_t ledger_pg_int(const PGresult *res, int row, int col);

/* ledger_pg_query.c */
int ledger_pg_read_begin(struct ora_ledger *l, struct ora_error *err);
void ledger_pg_read_end(struct ora_ledger *l);
int ledger_pg_extent(struct ora_ledger *l, int64_t *first_ms, int64_t *last_ms, int *empty,
    struct ora_error *err);
int ledger_pg_report(struct ora_ledger *l, const struct ora_ledger_report_query *q,
    ora_ledger_report_fn fn, void *arg, struct ora_error *err);
int ledger_pg_audit_each(struct ora_ledger *l, int64_t since_ms, ora_ledger_audit_fn fn,
    void *arg, struct ora_error *err);
int ledger_pg_prune_preview(struct ora_ledger *l, int64_t before_ms, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err);
int ledger_pg_prune(struct ora_ledger *l, int64_t before_ms, uint32_t uid, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err);
int ledger_pg_counts(
    struct ora_ledger *l, int64_t *rows, int64_t *unsettled, struct ora_error *err);
int ledger_pg_spent(struct ora_ledger *l, const char *column, const char *value,
    int64_t since_ms, int64_t until_ms, ora_pico *out, struct ora_error *err);

/* ledger_pg_schema.c: create the schema or bring it to
 * ORA_LEDGER_PG_SCHEMA_VERSION (ORA_LEDGER_READ_WRITE), or check that it
 * is that version (other modes); a newer one is always refused. */
int ledger_pg_schema(struct ledger_pg *l, struct ora_error *err);
int ledger_pg_schema_version(struct ora_ledger *l, int *version, struct ora_error *err);

#endif
