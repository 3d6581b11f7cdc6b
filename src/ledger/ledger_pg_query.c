/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg_query.c: the PostgreSQL backend's reads (reports, the audit
 * trail, budgets' spend, counts) and prune. Reads see every host's rows:
 * the organisation's ledger, from any host or an admin's workstation.
 *
 * Sums of bigint are numeric in PostgreSQL; they are cast back to bigint,
 * which fails loudly (not wraps) past 2^63 picodollars. A report's local
 * days are PostgreSQL's: the start time in the report's zone (the same
 * IANA name budgets.timezone gives oractl), so day boundaries agree with
 * the ones oractl computes for --from and --to.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ledger/ledger_pg.h"

#define PG_INT_TEXT 24

/* What each dimension is in SQL: fixed text, never built from input; $3 is
 * the report's time zone. */
static const char *const dim_sql[ORA_LEDGER_DIM_COUNT] = {
    [ORA_LEDGER_DIM_COST_CENTRE] = "COALESCE(cost_centre, '-')",
    [ORA_LEDGER_DIM_USER] = "COALESCE(\"user\", '-')",
    [ORA_LEDGER_DIM_GROUP] =
        "CASE WHEN substr(rule_match, 1, 6) = 'group ' THEN substr(rule_match, 7) ELSE '-' END",
    [ORA_LEDGER_DIM_MODEL] = "COALESCE(model_served, model_requested, '-')",
    [ORA_LEDGER_DIM_KEY] = "COALESCE(key_name, '-')",
    [ORA_LEDGER_DIM_ROLE] = "COALESCE(role, '-')",
    [ORA_LEDGER_DIM_DAY] = "to_char(to_timestamp(started_ms / 1000.0) AT TIME ZONE $3, "
                           "'YYYY-MM-DD')",
    [ORA_LEDGER_DIM_MONTH] = "to_char(to_timestamp(started_ms / 1000.0) AT TIME ZONE $3, "
                             "'YYYY-MM')",
    [ORA_LEDGER_DIM_HOST] = "host",
};

static const char sums_sql[] =
    "COALESCE(SUM(cost_pico) FILTER (WHERE state = 'settled'), 0)::bigint,"
    " COUNT(*) FILTER (WHERE state <> 'refused'),"
    " COALESCE(SUM(count) FILTER (WHERE state = 'refused'), 0)::bigint,"
    " COALESCE(SUM(prompt_tokens), 0)::bigint, COALESCE(SUM(completion_tokens), 0)::bigint,"
    " COALESCE(SUM(reasoning_tokens), 0)::bigint, COUNT(*) FILTER (WHERE estimated = 1),"
    " COUNT(*) FILTER (WHERE state IN ('open', 'unsettled')),"
    " COALESCE(SUM(reserved_pico) FILTER (WHERE state IN ('open', 'unsettled')), 0)::bigint";

static const char *
int_text(char *buf, int64_t v)
{
	snprintf(buf, PG_INT_TEXT, "%" PRId64, v);
	return buf;
}

int
ledger_pg_read_begin(struct ora_ledger *base, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);

	if (ledger_pg_exec(l, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL,
	        "start to read", err) != 0)
		return -1;
	l->in_read = 1;
	return 0;
}

void
ledger_pg_read_end(struct ora_ledger *base)
{
	struct ledger_pg *l = ledger_pg_of(base);

	if (l->in_read)
		ledger_pg_exec(l, "ROLLBACK", 0, NULL, NULL, "end the read", NULL);
	l->in_read = 0;
}

int
ledger_pg_extent(struct ora_ledger *base, int64_t *first_ms, int64_t *last_ms, int *empty,
    struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	PGresult *res;

	*first_ms = *last_ms = 0;
	*empty = 1;
	if (ledger_pg_exec(l, "SELECT MIN(started_ms), MAX(started_ms) FROM requests", 0, NULL, &res,
	        "read the first and last request", err) != 0)
		return -1;
	if (!PQgetisnull(res, 0, 0)) {
		*empty = 0;
		*first_ms = ledger_pg_int(res, 0, 0);
		*last_ms = ledger_pg_int(res, 0, 1);
	}
	PQclear(res);
	return 0;
}

static char *
report_sql(const struct ora_ledger_report_query *q)
{
	char *dims = ora_xstrdup(""), *order = ora_xstrdup(""), *next, *sql;
	size_t i;

	for (i = 0; i < q->n_by; i++) {
		next = ora_xasprintf("%s%s, ", dims, dim_sql[q->by[i]]);
		free(dims);
		dims = next;
		next = ora_xasprintf("%s%s%zu", order, i > 0 ? ", " : "", i + 1);
		free(order);
		order = next;
	}
	/* $3 (the zone) is always passed; a query that does not use it
	 * still names its type. */
	sql = ora_xasprintf("SELECT %s%s FROM requests WHERE started_ms >= $1 AND started_ms < $2"
	                    " AND $3::text IS NOT NULL%s%s%s%s%s%s",
	    dims, sums_sql, q->user != NULL ? " AND \"user\" = $4" : " AND $4::text IS NULL",
	    q->cost_centre != NULL ? " AND cost_centre = $5" : " AND $5::text IS NULL",
	    q->n_by > 0 ? " GROUP BY " : "", order, q->n_by > 0 ? " ORDER BY " : "",
	    q->n_by > 0 ? order : "");
	free(dims);
	free(order);
	return sql;
}

int
ledger_pg_report(struct ora_ledger *base, const struct ora_ledger_report_query *q,
    ora_ledger_report_fn fn, void *arg, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	const char *keys[ORA_LEDGER_DIM_COUNT];
	char since[PG_INT_TEXT], until[PG_INT_TEXT];
	const char *p[5];
	struct ora_ledger_sums m;
	PGresult *res = NULL;
	char *sql;
	int ret = 0, c;
	size_t i;

	if (q->n_by > ORA_LEDGER_DIM_COUNT)
		return ora_error_set(err, "ledger: a report by more dimensions than there are");
	p[0] = int_text(since, q->since_ms);
	p[1] = int_text(until, q->until_ms);
	p[2] = q->timezone != NULL ? q->timezone : "UTC";
	p[3] = q->user;
	p[4] = q->cost_centre;
	sql = report_sql(q);
	if (ledger_pg_exec(l, sql, 5, p, &res, "read the report", err) != 0) {
		free(sql);
		return -1;
	}
	free(sql);
	for (int r = 0; r < PQntuples(res) && ret == 0; r++) {
		if (q->n_by == 0 && ledger_pg_int(res, r, 1) == 0 && ledger_pg_int(res, r, 2) == 0)
			continue; /* no rows at all */
		for (i = 0; i < q->n_by; i++)
			keys[i] = PQgetisnull(res, r, (int)i) ? "-" : PQgetvalue(res, r, (int)i);
		c = (int)q->n_by;
		m.spend = ledger_pg_int(res, r, c++);
		m.requests = ledger_pg_int(res, r, c++);
		m.refused = ledger_pg_int(res, r, c++);
		m.prompt_tokens = ledger_pg_int(res, r, c++);
		m.completion_tokens = ledger_pg_int(res, r, c++);
		m.reasoning_tokens = ledger_pg_int(res, r, c++);
		m.estimated = ledger_pg_int(res, r, c++);
		m.unsettled = ledger_pg_int(res, r, c++);
		m.reserved = ledger_pg_int(res, r, c);
		ret = fn(arg, keys, &m);
	}
	PQclear(res);
	return ret;
}

int
ledger_pg_audit_each(struct ora_ledger *base, int64_t since_ms, ora_ledger_audit_fn fn,
    void *arg, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	char since[PG_INT_TEXT];
	const char *p[] = {int_text(since, since_ms)};
	struct ora_ledger_audit_row row;
	PGresult *res;
	int ret = 0;

	if (ledger_pg_exec(l,
	        "SELECT time_ms, uid, \"user\", action, detail, host FROM audit WHERE time_ms >= $1"
	        " ORDER BY time_ms, id",
	        1, p, &res, "read the audit trail", err) != 0)
		return -1;
	for (int r = 0; r < PQntuples(res) && ret == 0; r++) {
#define TEXT(c) (PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c))
		row = (struct ora_ledger_audit_row){
		    .time_ms = ledger_pg_int(res, r, 0),
		    .uid = ledger_pg_int(res, r, 1),
		    .user = TEXT(2),
		    .action = TEXT(3),
		    .detail = TEXT(4),
		    .host = TEXT(5),
		};
#undef TEXT
		ret = fn(arg, &row);
	}
	PQclear(res);
	return ret;
}

int
ledger_pg_prune_preview(struct ora_ledger *base, int64_t before_ms, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	char before[PG_INT_TEXT];
	const char *p[] = {int_text(before, before_ms)};
	PGresult *res;

	*rows = *unsettled = 0;
	*cost = 0;
	if (ledger_pg_exec(l,
	        "SELECT COUNT(*), COALESCE(SUM(cost_pico), 0)::bigint,"
	        " COUNT(*) FILTER (WHERE state IN ('open', 'unsettled'))"
	        " FROM requests WHERE started_ms < $1",
	        1, p, &res, "prune", err) != 0)
		return -1;
	*rows = ledger_pg_int(res, 0, 0);
	*cost = ledger_pg_int(res, 0, 1);
	*unsettled = ledger_pg_int(res, 0, 2);
	PQclear(res);
	return 0;
}

/* One transaction: the count, the refusal or the deletion and its record
 * agree, whatever the brokers write meanwhile (they write rows started
 * now, never before a prune's date, which is a month back at least). */
int
ledger_pg_prune(struct ora_ledger *base, int64_t before_ms, uint32_t uid, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	char before[PG_INT_TEXT], now[PG_INT_TEXT], uid_text[PG_INT_TEXT], n[PG_INT_TEXT],
	    c[PG_INT_TEXT];
	const char *p[] = {int_text(before, before_ms)};
	int r = -1;

	if (ledger_pg_exec(l, "BEGIN ISOLATION LEVEL SERIALIZABLE", 0, NULL, NULL, "prune", err) != 0)
		return -1;
	if (ledger_pg_prune_preview(base, before_ms, rows, cost, unsettled, err) != 0)
		goto out;
	if (*unsettled > 0) {
		r = ORA_LEDGER_PRUNE_UNSETTLED;
		ora_error_set(err,
		    "%lld row%s before that date %s no settled cost yet (orad is still "
		    "reconciling them); nothing was pruned: choose an earlier date, or wait",
		    (long long)*unsettled, *unsettled == 1 ? "" : "s",
		    *unsettled == 1 ? "has" : "have");
		goto out;
	}
	if (ledger_pg_exec(l, "DELETE FROM requests WHERE started_ms < $1", 1, p, NULL, "prune",
	        err) != 0)
		goto out;
	const char *q[] = {l->host, int_text(now, ora_wall_ms()), int_text(uid_text, uid),
	    int_text(before, before_ms), int_text(n, *rows), int_text(c, *cost)};
	if (ledger_pg_exec(l,
	        "INSERT INTO pruned (host, time_ms, uid, before_ms, rows, cost_pico)"
	        " VALUES ($1, $2, $3, $4, $5, $6)",
	        6, q, NULL, "prune", err) != 0 ||
	    ledger_pg_exec(l, "COMMIT", 0, NULL, NULL, "prune", err) != 0)
		goto out;
	return 0;
out:
	ledger_pg_exec(l, "ROLLBACK", 0, NULL, NULL, "prune", NULL);
	return r;
}

int
ledger_pg_counts(struct ora_ledger *base, int64_t *rows, int64_t *unsettled, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	PGresult *res;

	if (ledger_pg_exec(l,
	        "SELECT COUNT(*), COUNT(*) FILTER (WHERE state IN ('open', 'unsettled'))"
	        " FROM requests",
	        0, NULL, &res, "count", err) != 0)
		return -1;
	*rows = ledger_pg_int(res, 0, 0);
	*unsettled = ledger_pg_int(res, 0, 1);
	PQclear(res);
	return 0;
}

int
ledger_pg_spent(struct ora_ledger *base, const char *column, const char *value, int64_t since_ms,
    int64_t until_ms, ora_pico *out, struct ora_error *err)
{
	/* The column comes from a fixed list, never from input. */
	static const char *const columns[][2] = {
	    {"user", "\"user\""}, {"cost_centre", "cost_centre"}, {"key_name", "key_name"}};
	struct ledger_pg *l = ledger_pg_of(base);
	char since[PG_INT_TEXT], until[PG_INT_TEXT], sql[512];
	const char *p[] = {int_text(since, since_ms), int_text(until, until_ms), value};
	const char *col = NULL;
	PGresult *res;

	for (size_t i = 0; column != NULL && i < sizeof(columns) / sizeof(columns[0]); i++)
		if (strcmp(column, columns[i][0]) == 0)
			col = columns[i][1];
	if (column != NULL && col == NULL)
		return ora_error_set(err, "ledger: no budget column %s", column);
	snprintf(sql, sizeof(sql),
	    "SELECT COALESCE(SUM(CASE WHEN state = 'settled' THEN cost_pico"
	    " WHEN state IN ('open', 'unsettled') THEN reserved_pico ELSE 0 END), 0)::bigint"
	    " FROM requests WHERE started_ms >= $1 AND started_ms < $2%s%s%s",
	    col != NULL ? " AND " : "", col != NULL ? col : "", col != NULL ? " = $3" : "");
	if (ledger_pg_exec(l, sql, col != NULL ? 3 : 2, p, &res, "sum spend", err) != 0)
		return -1;
	*out = ledger_pg_int(res, 0, 0);
	PQclear(res);
	return 0;
}
