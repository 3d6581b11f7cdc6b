/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_report_ledger.c: the report's one read of the ledger.
 *
 * The ledger is opened read-only, so a report runs while orad writes (WAL:
 * a reader sees the last commit and never blocks the writer) and never
 * changes the database; like any reader of a WAL database, SQLite may
 * create the -wal and -shm side files, and gives them the database's
 * owner when run as root. Everything is read in one transaction, so the
 * dates, the rows and the total describe the same commit of orad's.
 */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "ledger/ledger.h"
#include "oractl/cmd_report.h"

/* What each dimension is in SQL: fixed text, never built from input. The
 * group is the one through which the rule matched ("group research"); the
 * model is the one that answered, else the one asked for (refused). */
static const struct report_dim {
	const char *name, *heading, *sql;
} report_dims[ORACTL_DIM_COUNT] = {
    [ORACTL_DIM_COST_CENTRE] = {"cost_centre", "COST CENTRE", "COALESCE(cost_centre, '-')"},
    [ORACTL_DIM_USER] = {"user", "USER", "COALESCE(user, '-')"},
    [ORACTL_DIM_GROUP] = {"group", "GROUP",
        "CASE WHEN substr(rule_match, 1, 6) = 'group ' THEN substr(rule_match, 7) ELSE '-' END"},
    [ORACTL_DIM_MODEL] = {"model", "MODEL", "COALESCE(model_served, model_requested, '-')"},
    [ORACTL_DIM_KEY] = {"key", "KEY", "COALESCE(key_name, '-')"},
    [ORACTL_DIM_ROLE] = {"role", "ROLE", "COALESCE(role, '-')"},
    [ORACTL_DIM_DAY] = {"day", "DAY", "oractl_local_day(started_ms)"},
    [ORACTL_DIM_MONTH] = {"month", "MONTH", "oractl_local_month(started_ms)"},
};

/* The figures, in the order report_column_sums reads them. Spend is what
 * the upstream billed for settled requests; requests still in flight or
 * being reconciled show their reservation apart, never as spend. */
static const char report_sums_sql[] =
    "SUM(CASE WHEN state = 'settled' THEN cost_pico ELSE 0 END),"
    " SUM(state <> 'refused'), SUM(CASE WHEN state = 'refused' THEN count ELSE 0 END),"
    " SUM(prompt_tokens), SUM(completion_tokens), SUM(reasoning_tokens),"
    " SUM(estimated = 1), SUM(state IN ('open', 'unsettled')),"
    " SUM(CASE WHEN state IN ('open', 'unsettled') THEN reserved_pico ELSE 0 END)";

const char *
oractl_report_dim_name(enum oractl_report_dim d)
{
	return report_dims[d].name;
}

const char *
oractl_report_dim_heading(enum oractl_report_dim d)
{
	return report_dims[d].heading;
}

int
oractl_report_dim_parse(const char *name, enum oractl_report_dim *out)
{
	int d;

	if (strcmp(name, "cost-centre") == 0)
		name = "cost_centre";
	for (d = 0; d < ORACTL_DIM_COUNT; d++) {
		if (strcmp(name, report_dims[d].name) == 0) {
			*out = (enum oractl_report_dim)d;
			return 0;
		}
	}
	return -1;
}

/* SQL functions giving the local date of started_ms in the zone oractl
 * runs in (budgets.timezone): calendar days are C's business, since
 * SQLite's 'localtime' would be the machine's zone, not the budgets'. */
static void
report_sql_date(sqlite3_context *ctx, sqlite3_value **argv, int month)
{
	char text[ORACTL_DATE_TEXT_MAX];
	struct oractl_date d;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (oractl_report_local_date(sqlite3_value_int64(argv[0]), &d) != 0) {
		sqlite3_result_error(ctx, "a start time out of the calendar's range", -1);
		return;
	}
	if (month)
		oractl_report_month_text(&d, text, sizeof(text));
	else
		oractl_report_date_text(&d, text, sizeof(text));
	sqlite3_result_text(ctx, text, -1, SQLITE_TRANSIENT);
}

static void
report_sql_day(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	report_sql_date(ctx, argv, 0);
}

static void
report_sql_month(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	report_sql_date(ctx, argv, 1);
}

static int
report_db_error(sqlite3 *db, const char *path, const char *what, struct ora_error *err)
{
	return ora_error_set(err, "ledger %s: %s: %s", path, what, sqlite3_errmsg(db));
}

/* A ledger from a newer orad may mean something else by its columns. */
static int
report_check_schema(sqlite3 *db, const char *path, struct ora_error *err)
{
	sqlite3_stmt *s = NULL;
	unsigned long version;
	int ret = -1;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &s,
	        NULL) != SQLITE_OK) {
		report_db_error(db, path, "not an ora ledger", err);
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_ROW || sqlite3_column_text(s, 0) == NULL ||
	    ora_parse_ulong((const char *)sqlite3_column_text(s, 0), 1000000, &version) != 0) {
		ora_error_set(err, "ledger %s has no schema version: is it an ora ledger?", path);
		goto out;
	}
	if (version > ORA_LEDGER_SCHEMA_VERSION) {
		ora_error_set(err,
		    "ledger %s has schema version %lu, newer than this oractl reads (%d): use the "
		    "oractl of the orad that wrote it",
		    path, version, ORA_LEDGER_SCHEMA_VERSION);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/* from_first_row / to_last_row: the local dates of the first and last
 * rows; an empty ledger gives today. */
static int
report_extent(sqlite3 *db, const char *path, struct oractl_report *r, struct ora_error *err)
{
	struct oractl_date first, last;
	sqlite3_stmt *s = NULL;
	int ret = -1;

	if (!r->from_first_row && !r->to_last_row)
		return 0;
	if (oractl_report_local_date((int64_t)time(NULL) * 1000, &first) != 0)
		return ora_error_set(err, "cannot tell today's date");
	last = first;
	if (sqlite3_prepare_v2(db, "SELECT MIN(started_ms), MAX(started_ms) FROM requests", -1, &s,
	        NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		report_db_error(db, path, "reading the first and last request", err);
		goto out;
	}
	if (sqlite3_column_type(s, 0) != SQLITE_NULL &&
	    (oractl_report_local_date(sqlite3_column_int64(s, 0), &first) != 0 ||
	        oractl_report_local_date(sqlite3_column_int64(s, 1), &last) != 0)) {
		ora_error_set(err, "ledger %s: a start time out of the calendar's range", path);
		goto out;
	}
	if (r->to_last_row)
		r->to = last;
	if (r->from_first_row)
		r->from = oractl_report_date_cmp(&first, &r->to) <= 0 ? first : r->to;
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

static char *
report_sql(const struct oractl_report *r)
{
	char *dims = ora_xstrdup(""), *order = ora_xstrdup(""), *next, *sql;
	size_t i;

	for (i = 0; i < r->n_by; i++) {
		next = ora_xasprintf("%s%s, ", dims, report_dims[r->by[i]].sql);
		free(dims);
		dims = next;
		next = ora_xasprintf("%s%s%zu", order, i > 0 ? ", " : "", i + 1);
		free(order);
		order = next;
	}
	sql = ora_xasprintf("SELECT %s%s FROM requests WHERE started_ms >= ?1 AND started_ms < ?2"
	                    "%s%s GROUP BY %s ORDER BY %s",
	    dims, report_sums_sql, r->user != NULL ? " AND user = ?3" : "",
	    r->cost_centre != NULL ? " AND cost_centre = ?4" : "", order, order);
	free(dims);
	free(order);
	return sql;
}

/* The figures of one result row, from column col on. */
static void
report_column_sums(sqlite3_stmt *s, int col, struct oractl_report_sums *m)
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

/* total += v, exactly, or an error: a total that wrapped would be a lie. */
static int
report_add_sums(
    struct oractl_report_sums *t, const struct oractl_report_sums *v, struct ora_error *err)
{
	if (__builtin_add_overflow(t->spend, v->spend, &t->spend) ||
	    __builtin_add_overflow(t->requests, v->requests, &t->requests) ||
	    __builtin_add_overflow(t->refused, v->refused, &t->refused) ||
	    __builtin_add_overflow(t->prompt_tokens, v->prompt_tokens, &t->prompt_tokens) ||
	    __builtin_add_overflow(
	        t->completion_tokens, v->completion_tokens, &t->completion_tokens) ||
	    __builtin_add_overflow(
	        t->reasoning_tokens, v->reasoning_tokens, &t->reasoning_tokens) ||
	    __builtin_add_overflow(t->estimated, v->estimated, &t->estimated) ||
	    __builtin_add_overflow(t->unsettled, v->unsettled, &t->unsettled) ||
	    __builtin_add_overflow(t->reserved, v->reserved, &t->reserved))
		return ora_error_set(err, "the report's total does not fit in 64 bits");
	return 0;
}

/* Run the query into r->rows, and add the rows up into r->total. */
static int
report_query(sqlite3 *db, const char *path, struct oractl_report *r, struct ora_error *err)
{
	struct oractl_report_row *row;
	struct oractl_date next_day;
	int64_t since_ms, until_ms;
	sqlite3_stmt *s = NULL;
	char *sql = report_sql(r);
	const char *key;
	int rc, ret = -1;
	size_t i;

	if (oractl_report_add_days(&r->to, 1, &next_day) != 0 ||
	    oractl_report_day_start(r->timezone, &r->from, &since_ms) != 0 ||
	    oractl_report_day_start(r->timezone, &next_day, &until_ms) != 0) {
		ora_error_set(err,
		    "cannot find where the dates begin in %s: is one of them a day the zone "
		    "skipped?",
		    r->timezone);
		goto out;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		report_db_error(db, path, "preparing the report", err);
		goto out;
	}
	sqlite3_bind_int64(s, 1, since_ms);
	sqlite3_bind_int64(s, 2, until_ms);
	if (r->user != NULL)
		sqlite3_bind_text(s, 3, r->user, -1, SQLITE_STATIC);
	if (r->cost_centre != NULL)
		sqlite3_bind_text(s, 4, r->cost_centre, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r->rows = ora_xrealloc(r->rows, (r->n_rows + 1) * sizeof(*r->rows));
		row = &r->rows[r->n_rows++];
		memset(row, 0, sizeof(*row));
		for (i = 0; i < r->n_by; i++) {
			key = (const char *)sqlite3_column_text(s, (int)i);
			row->keys[i] = ora_xstrdup(key != NULL ? key : "-");
		}
		report_column_sums(s, (int)r->n_by, &row->sums);
		if (report_add_sums(&r->total, &row->sums, err) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		report_db_error(db, path, "reading the report", err);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	free(sql);
	return ret;
}

int
oractl_report_read(const char *path, struct oractl_report *r, struct ora_error *err)
{
	struct ora_ledger *l = NULL;
	struct stat st;
	sqlite3 *db;
	int ret = -1;

	if (stat(path, &st) != 0 && errno == ENOENT)
		return ora_error_set(
		    err, "no ledger at %s: orad has not recorded any request yet", path);
	if (access(path, R_OK) != 0)
		return ora_error_set(err,
		    "cannot read the ledger %s: %s (run oractl as root or as orad's user)", path,
		    strerror(errno));
	if (ora_ledger_open(path, ORA_LEDGER_READ_ONLY, &l, err) != 0)
		return -1;
	db = ora_ledger_db(l);
	if (sqlite3_create_function_v2(db, "oractl_local_day", 1,
	        SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, report_sql_day, NULL, NULL,
	        NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "oractl_local_month", 1,
	        SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, report_sql_month, NULL, NULL,
	        NULL) != SQLITE_OK) {
		report_db_error(db, path, "registering date functions", err);
		goto out;
	}
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		report_db_error(db, path, "starting to read", err);
		goto out;
	}
	if (report_check_schema(db, path, err) != 0 || report_extent(db, path, r, err) != 0 ||
	    report_query(db, path, r, err) != 0 || ora_ledger_unfolded(l, &r->unfolded, err) != 0)
		goto out;
	ret = 0;
out:
	ora_ledger_close(l); /* ends the read transaction */
	return ret;
}

void
oractl_report_clear(struct oractl_report *r)
{
	size_t i, k;

	for (i = 0; i < r->n_rows; i++)
		for (k = 0; k < r->n_by; k++)
			free(r->rows[i].keys[k]);
	free(r->rows);
	r->rows = NULL;
	r->n_rows = 0;
}
