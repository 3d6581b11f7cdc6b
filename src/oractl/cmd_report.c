/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_report.c: `oractl report`, the department billing export: spend,
 * requests and tokens from the ledger, grouped by cost centre, user, group,
 * model, key, role, day, month or host, over a period of local calendar days in
 * budgets.timezone, as a table, CSV or JSON.
 *
 * This file reads the command line and the configuration and chooses the
 * dates; cmd_report_ledger.c reads the ledger (read-only), and
 * cmd_report_out.c prints.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/period.h"
#include "common/util.h"
#include "config/conf.h"
#include "ledger/ledger.h"
#include "oractl/cmd_report.h"
#include "oractl/http.h"
#include "oractl/ledger_target.h"
#include "oractl/oractl.h"

#define REPORT_DEFAULT_TIMEZONE "UTC"
#define REPORT_DEFAULT_PERIOD "this-month" /* as in the help text */
#define REPORT_DIM_NAMES "cost_centre, user, group, model, key, role, day, month or host"

struct report_args {
	struct oractl_report r;
	const char *from, *to, *period, *format;
};

enum report_opt { OPT_BY = 256, OPT_FROM, OPT_TO, OPT_PERIOD, OPT_USER, OPT_CENTRE, OPT_FORMAT };

static const struct option report_options[] = {
    {"by", required_argument, NULL, OPT_BY},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"period", required_argument, NULL, OPT_PERIOD},
    {"user", required_argument, NULL, OPT_USER},
    {"cost-centre", required_argument, NULL, OPT_CENTRE},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* --by user,model adds two dimensions; a repeated one counts once. */
static int
report_add_dims(struct oractl_report *r, const char *list)
{
	char *copy = ora_xstrdup(list), *name, *save = NULL;
	enum oractl_report_dim d;
	int ret = -1;
	size_t i;

	for (name = strtok_r(copy, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
		if (oractl_report_dim_parse(name, &d) != 0) {
			oractl_error(
			    "report: cannot group by '%s': use %s", name, REPORT_DIM_NAMES);
			goto out;
		}
		for (i = 0; i < r->n_by && r->by[i] != d; i++)
			;
		if (i == r->n_by)
			r->by[r->n_by++] = d;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

static int
report_date_arg(const char *option, const char *text, struct oractl_date *out)
{
	if (oractl_report_parse_date(text, out) == 0)
		return 0;
	oractl_error(
	    "report: %s '%s' is not a date: write YYYY-MM-DD, e.g. 2026-01-31", option, text);
	return -1;
}

/* Everything that can be checked without the configuration; -1 after a
 * message, with *status set (0 for --help, 2 for a mistake). */
static int
report_parse(int argc, char **argv, struct report_args *a, int *status)
{
	struct oractl_date d;
	int c;

	*status = ORACTL_EXIT_USAGE;
	optind = 0; /* glibc: start afresh on this argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", report_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			*status = oractl_usage("report", 1);
			printf(
			    "\nDIM     cost_centre (the default), user, group, model, key, role,\n"
			    "        day, month or host (of a shared PostgreSQL ledger); repeat\n"
			    "        --by, or separate with commas, to group by several\n"
			    "PERIOD  today, yesterday, this-week, last-week, this-month (the\n"
			    "        default), last-month, this-year, last-year or all\n"
			    "DATE    YYYY-MM-DD in budgets.timezone; --to is included\n"
			    "See oractl(8).\n");
			return -1;
		case OPT_BY:
			if (report_add_dims(&a->r, optarg) != 0)
				return -1;
			break;
		case OPT_FROM:
			a->from = optarg;
			break;
		case OPT_TO:
			a->to = optarg;
			break;
		case OPT_PERIOD:
			a->period = optarg;
			break;
		case OPT_USER:
			a->r.user = optarg;
			break;
		case OPT_CENTRE:
			a->r.cost_centre = optarg;
			break;
		case OPT_FORMAT:
			a->format = optarg;
			break;
		case ':':
			oractl_error("report: option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			if (optopt != 0 && optopt < 256)
				oractl_error("report: unknown option '-%c'", optopt);
			else
				oractl_error("report: unknown option '%s'", argv[optind - 1]);
			oractl_usage("report", 0);
			return -1;
		}
	}
	if (optind < argc) {
		oractl_error("report: unexpected argument '%s'", argv[optind]);
		oractl_usage("report", 0);
		return -1;
	}
	if (a->r.n_by == 0)
		a->r.by[a->r.n_by++] = ORACTL_DIM_COST_CENTRE;
	if (strcmp(a->format, "table") != 0 && strcmp(a->format, "csv") != 0 &&
	    strcmp(a->format, "json") != 0) {
		oractl_error("report: unknown format '%s': use table, csv or json", a->format);
		return -1;
	}
	if (a->period != NULL && (a->from != NULL || a->to != NULL)) {
		oractl_error("report: give either --period or --from/--to, not both");
		return -1;
	}
	if (a->period != NULL && strcmp(a->period, "all") != 0 &&
	    oractl_report_period(a->period, "UTC", time(NULL), &d, &d) != 0) {
		oractl_error(
		    "report: unknown period '%s': use %s", a->period, oractl_report_period_names);
		return -1;
	}
	if ((a->from != NULL && report_date_arg("--from", a->from, &a->r.from) != 0) ||
	    (a->to != NULL && report_date_arg("--to", a->to, &a->r.to) != 0))
		return -1;
	if (a->from != NULL && a->to != NULL && oractl_report_date_cmp(&a->r.from, &a->r.to) > 0) {
		oractl_error("report: --from %s is after --to %s", a->from, a->to);
		return -1;
	}
	return 0;
}

/* The dates asked for, in the zone now set: a named period, --from (to
 * today), --to alone or --period all (from the ledger's first row). */
static int
report_dates(struct report_args *a)
{
	const char *period = a->period != NULL ? a->period : REPORT_DEFAULT_PERIOD;

	if (strcmp(period, "all") == 0 || (a->to != NULL && a->from == NULL)) {
		a->r.from_first_row = 1;
		a->r.to_last_row = a->to == NULL;
		return 0;
	}
	if (a->from == NULL)
		return oractl_report_period(
		    period, a->r.timezone, time(NULL), &a->r.from, &a->r.to);
	if (a->to == NULL && oractl_report_local_date((int64_t)time(NULL) * 1000, &a->r.to) != 0)
		return -1;
	if (oractl_report_date_cmp(&a->r.from, &a->r.to) > 0)
		a->r.to = a->r.from; /* --from tomorrow: an empty report */
	return 0;
}


int
oractl_cmd_report(struct oractl *ctl, int argc, char **argv)
{
	const char *tz;
	struct report_args a;
	struct ora_error err;
	struct ora_ledger_target t = {0};
	char *saved_tz = NULL;
	int status, zone_set = 0;

	memset(&a, 0, sizeof(a));
	a.format = "table";
	if (report_parse(argc, argv, &a, &status) != 0)
		return status;
	status = ORACTL_EXIT_ERROR;
	if (oractl_conf(ctl) != 0)
		goto out;
	tz = ctl->conf->budgets.timezone;
	a.r.timezone = tz != NULL && *tz != '\0' ? tz : REPORT_DEFAULT_TIMEZONE;
	if (!ora_period_zone_valid(a.r.timezone)) {
		oractl_error("budgets.timezone '%s' is not a time zone this system knows (see "
		             "/usr/share/zoneinfo)",
		    a.r.timezone);
		goto out;
	}
	if (oractl_report_zone_enter(a.r.timezone, &saved_tz) != 0) {
		oractl_error("cannot select the time zone %s: %s", a.r.timezone, strerror(errno));
		goto out;
	}
	zone_set = 1;
	if (report_dates(&a) != 0) {
		oractl_error("cannot tell today's date in %s", a.r.timezone);
		goto out;
	}
	if (oractl_ledger_target(ctl, &t) != 0)
		goto out;
	if (t.kind == ORA_LEDGER_SQLITE)
		oractl_orad_fold(ctl);
	if (oractl_report_read(&t, &a.r, &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	if (a.r.unfolded > 0)
		oractl_warning("%llu ledger writes of a broker that stopped are not in %s yet, so "
		               "this report lacks them: start orad, which folds them in first (they "
		               "are safe in %s" ORA_LEDGER_LOG_SUFFIX ")",
		    (unsigned long long)a.r.unfolded, t.path, t.path);
	if (strcmp(a.format, "csv") == 0)
		oractl_report_print_csv(&a.r, stdout);
	else if (strcmp(a.format, "json") == 0)
		oractl_report_print_json(&a.r, stdout);
	else
		oractl_report_print_table(&a.r, stdout);
	status = ORACTL_EXIT_OK;
out:
	if (zone_set)
		oractl_report_zone_leave(saved_tz);
	oractl_report_clear(&a.r);
	oractl_ledger_target_clear(&t);
	return status;
}
