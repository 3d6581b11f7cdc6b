/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_report_ledger.c: the report's one read of the ledger, through the
 * ledger's interface (ledger.h), whichever backend holds it.
 *
 * The ledger is opened read-only, so a report runs while orad writes and
 * never changes it (a SQLite reader may create the -wal and -shm side
 * files, and gives them the database's owner when run as root).
 * Everything is read in one snapshot (ora_ledger_read_begin), so the
 * dates, the rows and the total describe the same commit of orad's.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "ledger/ledger.h"
#include "oractl/cmd_report.h"

/* Each dimension's name (--by, CSV header, JSON key), heading, and what
 * the ledger calls it. */
static const struct report_dim {
	const char *name, *heading;
	enum ora_ledger_dim ledger;
} report_dims[ORACTL_DIM_COUNT] = {
    [ORACTL_DIM_COST_CENTRE] = {"cost_centre", "COST CENTRE", ORA_LEDGER_DIM_COST_CENTRE},
    [ORACTL_DIM_USER] = {"user", "USER", ORA_LEDGER_DIM_USER},
    [ORACTL_DIM_GROUP] = {"group", "GROUP", ORA_LEDGER_DIM_GROUP},
    [ORACTL_DIM_MODEL] = {"model", "MODEL", ORA_LEDGER_DIM_MODEL},
    [ORACTL_DIM_KEY] = {"key", "KEY", ORA_LEDGER_DIM_KEY},
    [ORACTL_DIM_ROLE] = {"role", "ROLE", ORA_LEDGER_DIM_ROLE},
    [ORACTL_DIM_DAY] = {"day", "DAY", ORA_LEDGER_DIM_DAY},
    [ORACTL_DIM_MONTH] = {"month", "MONTH", ORA_LEDGER_DIM_MONTH},
    [ORACTL_DIM_HOST] = {"host", "HOST", ORA_LEDGER_DIM_HOST},
};

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

/* The local date of an instant in the zone oractl runs in
 * (budgets.timezone): calendar days are C's business. */
static int
report_date(int64_t ms, int month, char *buf, size_t size)
{
	struct oractl_date d;

	if (oractl_report_local_date(ms, &d) != 0)
		return -1;
	if (month)
		oractl_report_month_text(&d, buf, size);
	else
		oractl_report_date_text(&d, buf, size);
	return 0;
}

/* from_first_row / to_last_row: the local dates of the first and last
 * rows; an empty ledger gives today. */
static int
report_extent(struct ora_ledger *l, struct oractl_report *r, struct ora_error *err)
{
	struct oractl_date first, last;
	int64_t first_ms, last_ms;
	int empty;

	if (!r->from_first_row && !r->to_last_row)
		return 0;
	if (oractl_report_local_date((int64_t)time(NULL) * 1000, &first) != 0)
		return ora_error_set(err, "cannot tell today's date");
	last = first;
	if (ora_ledger_extent(l, &first_ms, &last_ms, &empty, err) != 0)
		return -1;
	if (!empty && (oractl_report_local_date(first_ms, &first) != 0 ||
	                  oractl_report_local_date(last_ms, &last) != 0))
		return ora_error_set(err, "the ledger has a start time out of the calendar's range");
	if (r->to_last_row)
		r->to = last;
	if (r->from_first_row)
		r->from = oractl_report_date_cmp(&first, &r->to) <= 0 ? first : r->to;
	return 0;
}

struct report_reading {
	struct oractl_report *r;
	struct ora_error *err;
};

/* total += v, exactly, or an error: a total that wrapped would be a lie. */
static int
report_add_sums(
    struct ora_ledger_sums *t, const struct ora_ledger_sums *v, struct ora_error *err)
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

/* One group from the ledger into r->rows, added into r->total. */
static int
report_row(void *arg, const char *const *keys, const struct ora_ledger_sums *sums)
{
	struct report_reading *rd = arg;
	struct oractl_report *r = rd->r;
	struct oractl_report_row *row;
	size_t i;

	r->rows = ora_xrealloc(r->rows, (r->n_rows + 1) * sizeof(*r->rows));
	row = &r->rows[r->n_rows++];
	memset(row, 0, sizeof(*row));
	for (i = 0; i < r->n_by; i++)
		row->keys[i] = ora_xstrdup(keys[i]);
	row->sums = *sums;
	return report_add_sums(&r->total, &row->sums, rd->err) != 0 ? -1 : 0;
}

/* Run the query into r->rows, and add the rows up into r->total. */
static int
report_query(struct ora_ledger *l, struct oractl_report *r, struct ora_error *err)
{
	struct ora_ledger_report_query q = {.user = r->user, .cost_centre = r->cost_centre,
	    .date = report_date, .timezone = r->timezone, .n_by = r->n_by};
	struct report_reading rd = {r, err};
	struct oractl_date next_day;
	size_t i;

	if (oractl_report_add_days(&r->to, 1, &next_day) != 0 ||
	    oractl_report_day_start(r->timezone, &r->from, &q.since_ms) != 0 ||
	    oractl_report_day_start(r->timezone, &next_day, &q.until_ms) != 0)
		return ora_error_set(err,
		    "cannot find where the dates begin in %s: is one of them a day the zone "
		    "skipped?",
		    r->timezone);
	for (i = 0; i < r->n_by; i++)
		q.by[i] = report_dims[r->by[i]].ledger;
	return ora_ledger_report(l, &q, report_row, &rd, err) != 0 ? -1 : 0;
}

int
oractl_report_read(
    const struct ora_ledger_target *t, struct oractl_report *r, struct ora_error *err)
{
	struct ora_ledger *l = NULL;
	struct stat st;
	int ret = -1;

	if (t->kind == ORA_LEDGER_SQLITE) {
		if (stat(t->path, &st) != 0 && errno == ENOENT)
			return ora_error_set(err,
			    "no ledger at %s: orad has not recorded any request yet", t->path);
		if (access(t->path, R_OK) != 0)
			return ora_error_set(err,
			    "cannot read the ledger %s: %s (run oractl as root or as orad's user)",
			    t->path, strerror(errno));
	}
	if (ora_ledger_open_target(t, ORA_LEDGER_READ_ONLY, &l, err) != 0)
		return -1;
	if (ora_ledger_read_begin(l, err) != 0)
		goto out;
	if (report_extent(l, r, err) != 0 || report_query(l, r, err) != 0 ||
	    ora_ledger_unfolded(l, &r->unfolded, err) != 0)
		goto out;
	ret = 0;
out:
	ora_ledger_read_end(l);
	ora_ledger_close(l);
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
