/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_sqlite_query.c: the SQLite backend's reads for reports, the audit
 * trail and prune's preview (ledger.h: ora_ledger_report and the rest).
 *
 * A report is one SELECT: SQLite groups and adds integers (picodollars,
 * so sums are exact), and the local day or month of each row comes from
 * the caller's date function, registered on the connection, so calendar
 * days follow the caller's time zone through DST changes. Read-only
 * handles read while orad writes (WAL: a reader sees the last commit and
 * never blocks the writer); ora_ledger_read_begin() holds one snapshot.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ledger/ledger_internal.h"

/* What each dimension is in SQL: fixed text, never built from input. A
 * SQLite ledger has one host, the one it is on: "-". */
static const char *const dim_sql[ORA_LEDGER_DIM_COUNT] = {
    [ORA_LEDGER_DIM_COST_CENTRE] = "COALESCE(cost_centre, '-')",
    [ORA_LEDGER_DIM_USER] = "COALESCE(user, '-')",
    [ORA_LEDGER_DIM_GROUP] =
        "CASE WHEN substr(rule_match, 1, 6) = 'group ' THEN substr(rule_match, 7) ELSE '-' END",
    [ORA_LEDGER_DIM_MODEL] = "COALESCE(model_served, model_requested, '-')",
    [ORA_LEDGER_DIM_KEY] = "COALESCE(key_name, '-')",
    [ORA_LEDGER_DIM_ROLE] = "COALESCE(role, '-')",
    [ORA_LEDGER_DIM_DAY] = "ora_local_day(started_ms)",
    [ORA_LEDGER_DIM_MONTH] = "ora_local_month(started_ms)",
    [ORA_LEDGER_DIM_HOST] = "'-'",
};

/* The figures, in the order column_sums reads them. */
static const char sums_sql[] =
    "SUM(CASE WHEN state = 'settled' THEN cost_pico ELSE 0 END),"
    " SUM(state <> 'refused'), SUM(CASE WHEN state = 'refused' THEN count ELSE 0 END),"
    " SUM(prompt_tokens), SUM(completion_tokens), SUM(reasoning_tokens),"
    " SUM(estimated = 1), SUM(state IN ('open', 'unsettled')),"
    " SUM(CASE WHEN state IN ('open', 'unsettled') THEN reserved_pico ELSE 0 END)";

static int
query_error(struct ledger_sqlite *l, const char *what, struct ora_error *err)
{
	return ora_error_set(err, "ledger %s: %s: %s", l->path, what, sqlite3_errmsg(l->db));
}

/* A ledger from a newer orad may mean something else by its columns. */
static int
check_schema(struct ledger_sqlite *l, struct ora_error *err)
{
	sqlite3_stmt *s = NULL;
	unsigned long version;
	int ret = -1;

	if (sqlite3_prepare_v2(l->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1,
	        &s, NULL) != SQLITE_OK) {
		query_error(l, "not an ora ledger", err);
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_ROW || sqlite3_column_text(s, 0) == NULL ||
	    ora_parse_ulong((const char *)sqlite3_column_text(s, 0), 1000000, &version) != 0) {
		ora_error_set(err, "ledger %s has no schema version: is it an ora ledger?", l->path);
		goto out;
	}
	if (version > ORA_LEDGER_SCHEMA_VERSION) {
		ora_error_set(err,
		    "ledger %s has schema version %lu, newer than this ora reads (%d): use the "
		    "oractl of the orad that wrote it",
		    l->path, version, ORA_LEDGER_SCHEMA_VERSION);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

int
ledger_sqlite_read_begin(struct ora_ledger *base, struct ora_error *err)
{
	struct ledger_sqlite *l = ledger_sqlite_of(base);

	if (ledger_sqlite_dirty(l) && ledger_sqlite_commit(l, err) != 0)
		return -1;
	if (sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return query_error(l, "starting to read", err);
	if (check_schema(l, err) != 0) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void
ledger_sqlite_read_end(struct ora_ledger *base)
{
	struct ledger_sqlite *l = ledger_sqlite_of(base);

	if (!sqlite3_get_autocommit(l->db))
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

int
ledger_sqlite_extent(struct ora_ledger *base, int64_t *first_ms, int64_t *last_ms, int *empty,
    struct ora_error *err)
{
	struct ledger_sqlite *l = ledger_sqlite_of(base);
	sqlite3_stmt *s = NULL;
	int ret = -1;

	*first_ms = *last_ms = 0;
	*empty = 1;
	if (sqlite3_prepare_v2(l->db, "SELECT MIN(started_ms), MAX(started_ms) FROM requests", -1,
	        &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		query_error(l, "reading the first and last request", err);
		goto out;
	}
	if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*empty = 0;
		*first_ms = sqlite3_column_int64(s, 0);
		*last_ms = sqlite3_column_int64(s, 1);
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/* The SQL functions ora_local_day and ora_local_month: the query's date
 * function, since SQLite's 'localtime' would be the machine's zone, not
 * the caller's. */
static void
sql_date(sqlite3_context *ctx, sqlite3_value **argv, int month)
{
	const struct ora_ledger_report_query *q = sqlite3_user_data(ctx);
	char text[ORA_LEDGER_DATE_TEXT_MAX];

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (q->date(sqlite3_value_int64(argv[0]), month, text, sizeof(text)) != 0) {
		sqlite3_result_error(ctx, "a start time out of the calendar's range", -1);
		return;
	}
	sqlite3_result_text(ctx, text, -1, SQLITE_TRANSIENT);
}

static void
sql_day(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sql_date(ctx, argv, 0);
}

static void
sql_month(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sql_date(ctx, argv, 1);
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
	sql = ora_xasprintf("SELECT %s%s FROM requests WHERE started_ms >= ?1 AND started_ms < ?2"
	                    "%s%s%s%s%s",
	    dims, sums_sql, q->user != NULL ? " AND user = ?3" : "",
	    q->cost_centre != NULL ? " AND cost_centre = ?4" : "", q->n_by > 0 ? " GROUP BY " : "",
	    order, q->n_by > 0 ? " ORDER BY " : "");
	if (q->n_by > 0) {
		next = ora_xasprintf("%s%s", sql, order);
		free(sql);
		sql = next;
	}
	free(dims);
	free(order);
	return sql;
}

static void
column_sums(sqlite3_stmt *s, int col, struct ora_ledger_sums *m)
{
	m->spend = sqlite3_column_int64(s, col++);
	m->requests = sqlite3_column_int64(s, col++);
	m->refused = sqlite3_column_int64(s, col++);
	m->prompt_tokens = sqlite3_column_int64(s, col++);
	m->completion_tokens = sqlite3_column_int64(s, col++);
	m->reasoning_tokens = sqlite3_column_int64(s, col++);
	m->estimated = sqlite3_column_int64(s, col++);
	m->unsettled = sqlite3_column_int64(s, col++);
	m->reserved = sqlite3_column_int64(s, col);
}

int
ledger_sqlite_report(struct ora_ledger *base, const struct ora_ledger_report_query *q,
    ora_ledger_report_fn fn, void *arg, struct ora_error *err)
{
	struct ledger_sqlite *l = ledger_sqlite_of(base);
	const char *keys[ORA_LEDGER_DIM_COUNT];
	struct ora_ledger_sums sums;
	sqlite3_stmt *s = NULL;
	char *sql = NULL;
	int rc, ret = -1;
	size_t i;

	if (q->n_by > ORA_LEDGER_DIM_COUNT)
		return ora_error_set(err, "ledger: a report by more dimensions than there are");
	if (sqlite3_create_function_v2(l->db, "ora_local_day", 1,
	        SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)q, sql_day, NULL, NULL,
	        NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(l->db, "ora_local_month", 1,
	        SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)q, sql_month, NULL, NULL,
	        NULL) != SQLITE_OK)
		return query_error(l, "registering date functions", err);
	sql = report_sql(q);
	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK) {
		query_error(l, "preparing the report", err);
		goto out;
	}
	sqlite3_bind_int64(s, 1, q->since_ms);
	sqlite3_bind_int64(s, 2, q->until_ms);
	if (q->user != NULL)
		sqlite3_bind_text(s, 3, q->user, -1, SQLITE_STATIC);
	if (q->cost_centre != NULL)
		sqlite3_bind_text(s, 4, q->cost_centre, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		/* Without GROUP BY, SQLite answers one row even for no rows. */
		if (q->n_by == 0 && sqlite3_column_type(s, 0) == SQLITE_NULL)
			continue;
		for (i = 0; i < q->n_by; i++) {
			keys[i] = (const char *)sqlite3_column_text(s, (int)i);
			if (keys[i] == NULL)
				keys[i] = "-";
		}
		column_sums(s, (int)q->n_by, &sums);
		if ((ret = fn(arg, keys, &sums)) != 0)
			goto out;
		ret = -1;
	}
	if (rc != SQLITE_DONE) {
		query_error(l, "reading the report", err);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	free(sql);
	return ret;
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int
ledger_sqlite_audit_each(struct ora_ledger *base, int64_t since_ms, ora_ledger_audit_fn fn,
    void *arg, struct ora_error *err)
{
	struct ledger_sqlite *l = ledger_sqlite_of(base);
	struct ora_ledger_audit_row row;
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	if (sqlite3_prepare_v2(l->db,
	        "SELECT time_ms, uid, user, action, detail FROM audit WHERE time_ms >= ?1 "
	        "ORDER BY time_ms, id",
	        -1, &s, NULL) != SQLITE_OK)
		return ora_error_set(
		    err, "cannot read the audit trail in %s: %s", l->path, sqlite3_errmsg(l->db));
	sqlite3_bind_int64(s, 1, since_ms);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row = (struct ora_ledger_audit_row){
		    .time_ms = sqlite3_column_int64(s, 0),
		    .uid = sqlite3_column_int64(s, 1),
		    .user = col_text(s, 2),
		    .action = col_text(s, 3),
		    .detail = col_text(s, 4),
		};
		if ((ret = fn(arg, &row)) != 0)
			goto out;
		ret = -1;
	}
	if (rc != SQLITE_DONE) {
		ora_error_set(
		    err, "cannot read the audit trail in %s: %s", l->path, sqlite3_errmsg(l->db));
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

int
ledger_sqlite_prune_preview(struct ora_ledger *base, int64_t before_ms, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err)
{
	struct ledger_sqlite *l = ledger_sqlite_of(base);
	sqlite3_stmt *s = NULL;
	int ret = -1;

	*rows = *unsettled = 0;
	*cost = 0;
	if (sqlite3_prepare_v2(l->db,
	        "SELECT COUNT(*), COALESCE(SUM(cost_pico), 0),"
	        " COALESCE(SUM(state IN ('open','unsettled')), 0) FROM requests"
	        " WHERE started_ms < ?1",
	        -1, &s, NULL) != SQLITE_OK) {
		query_error(l, "prune", err);
		goto out;
	}
	sqlite3_bind_int64(s, 1, before_ms);
	if (sqlite3_step(s) != SQLITE_ROW) {
		query_error(l, "prune", err);
		goto out;
	}
	*rows = sqlite3_column_int64(s, 0);
	*cost = sqlite3_column_int64(s, 1);
	*unsettled = sqlite3_column_int64(s, 2);
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}
