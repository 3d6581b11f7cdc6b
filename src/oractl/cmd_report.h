/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_report.h: the pieces of `oractl report`, the department billing
 * export: cmd_report.c runs it, cmd_report_ledger.c reads the ledger,
 * cmd_report_time.c does calendar dates, cmd_report_out.c prints.
 *
 * The report is one query of the ledger opened read-only (ledger.h:
 * ora_ledger_report): the backend groups and adds integers (picodollars,
 * so sums are exact), and the local day or month of each row comes from a
 * C function, so calendar days follow the configured time zone through
 * DST changes.
 * The total is the integer sum of the rows, never a separate query.
 */
#ifndef ORACTL_CMD_REPORT_H
#define ORACTL_CMD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/money.h"
#include "common/util.h"
#include "ledger/ledger.h"

/* A calendar date with no time zone attached. */
struct oractl_date {
	int year, month, day; /* month 1-12, day 1-31 */
};

#define ORACTL_DATE_TEXT_MAX 32 /* "YYYY-MM-DD" with room for any int year */

/* What rows can be grouped by; the names are those of --by, the CSV header
 * and the JSON keys. */
enum oractl_report_dim {
	ORACTL_DIM_COST_CENTRE,
	ORACTL_DIM_USER,
	ORACTL_DIM_GROUP,
	ORACTL_DIM_MODEL,
	ORACTL_DIM_KEY,
	ORACTL_DIM_ROLE,
	ORACTL_DIM_DAY,
	ORACTL_DIM_MONTH,
	ORACTL_DIM_HOST, /* the host that recorded the row (PostgreSQL) */
	ORACTL_DIM_COUNT,
};

/* Name (as in --by) and table heading of a dimension; a name back to its
 * dimension (-1 if none). */
const char *oractl_report_dim_name(enum oractl_report_dim d);
const char *oractl_report_dim_heading(enum oractl_report_dim d);
int oractl_report_dim_parse(const char *name, enum oractl_report_dim *out);

struct oractl_report_row {
	char *keys[ORACTL_DIM_COUNT]; /* keys[i] is the value of by[i] */
	struct ora_ledger_sums sums;
};

struct oractl_report {
	const char *timezone;
	struct oractl_date from, to; /* both included */
	int from_first_row;          /* set from the ledger's first row instead */
	int to_last_row;             /* set from the ledger's last row instead */
	enum oractl_report_dim by[ORACTL_DIM_COUNT];
	size_t n_by;
	const char *user; /* filters, or NULL */
	const char *cost_centre;
	struct oractl_report_row *rows;
	size_t n_rows;
	struct ora_ledger_sums total;
	uint64_t unfolded; /* writes of a stopped broker, not in the ledger yet */
};

/* Read the ledger t into r->rows and r->total (cmd_report_ledger.c), in
 * the zone now set. r->rows must be empty; free with oractl_report_clear. */
int oractl_report_read(
    const struct ora_ledger_target *t, struct oractl_report *r, struct ora_error *err);
void oractl_report_clear(struct oractl_report *r);

/*
 * Calendar dates (cmd_report_time.c). Functions that take or return an
 * instant work in the process's current zone: select it first with
 * oractl_report_zone_enter (oractl is single-threaded; tz must be valid,
 * see ora_period_zone_valid) and put the old one back with
 * oractl_report_zone_leave.
 */
int oractl_report_zone_enter(const char *tz, char **saved);
void oractl_report_zone_leave(char *saved);

/* Strict YYYY-MM-DD naming a real date; -1 otherwise. */
int oractl_report_parse_date(const char *text, struct oractl_date *out);
void oractl_report_date_text(const struct oractl_date *d, char *buf, size_t size);
/* "YYYY-MM" of d. */
void oractl_report_month_text(const struct oractl_date *d, char *buf, size_t size);
int oractl_report_date_cmp(const struct oractl_date *a, const struct oractl_date *b);

/* d moved by a number of days (negative: back). */
int oractl_report_add_days(const struct oractl_date *d, int days, struct oractl_date *out);

/* The local date of an instant in milliseconds since the epoch; -1 if the
 * C library cannot represent it. */
int oractl_report_local_date(int64_t ms, struct oractl_date *out);

/* Where local date d begins in zone tz (which must be the current zone),
 * in ms: local midnight, or the end of the DST gap on a day whose
 * midnight does not exist; as ora_period_bounds says. -1 for a date the
 * zone skipped. */
int oractl_report_day_start(const char *tz, const struct oractl_date *d, int64_t *out_ms);

/* The dates of a named period holding now, or just before it, in zone tz
 * (the current zone): today, yesterday, this-week, last-week, this-month,
 * last-month (the budgets' periods, weeks starting on Monday), this-year,
 * last-year. -1 for an unknown name. */
int oractl_report_period(
    const char *name, const char *tz, time_t now, struct oractl_date *from, struct oractl_date *to);

/* The names oractl_report_period knows, for messages: "today, ...". */
extern const char oractl_report_period_names[];

/* Output (cmd_report_out.c): write the report to f. */
int oractl_report_print_table(const struct oractl_report *r, FILE *f);
int oractl_report_print_csv(const struct oractl_report *r, FILE *f);
int oractl_report_print_json(const struct oractl_report *r, FILE *f);

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a
 * line break, with quotes doubled. */
void oractl_report_csv_field(const char *s, FILE *f);

#endif
