/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_maint.c: the ledger's upkeep: `oractl backup FILE` and
 * `oractl prune --before DATE [--dry-run]`.
 *
 * The ledger is the organisation's billing record: back it up (a
 * consistent copy, while orad runs) and keep it from growing without end
 * (prune what billing no longer needs). oractl(8) recommends a schedule.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/money.h"
#include "common/util.h"
#include "config/conf.h"
#include "ledger/ledger.h"
#include "oractl/audit.h"
#include "oractl/cmd_report.h"
#include "oractl/http.h"
#include "oractl/ledger_target.h"
#include "oractl/oractl.h"

/* Budgets count rows of the current day, week or month; a prune must
 * leave every row a budget may still count, so its date is at least this
 * many days back. */
#define MAINT_PRUNE_MIN_AGE_DAYS 32

static char *
maint_ledger_path(const struct oractl *ctl)
{
	return ora_xasprintf("%s/%s", ctl->conf->daemon.state_dir, ORA_LEDGER_FILE);
}

int
oractl_cmd_backup(struct oractl *ctl, int argc, char **argv)
{
	int first, status = ORACTL_EXIT_ERROR;
	struct ora_error err;
	char *path = NULL;
	int64_t rows;

	if ((first = oractl_parse_options("backup", argc, argv, NULL, &status)) < 0)
		return status;
	if (argc - first != 1) {
		oractl_error("backup needs one argument: the file to write");
		return oractl_usage("backup", 0);
	}
	if (oractl_conf(ctl) != 0)
		return ORACTL_EXIT_ERROR;
	if (ctl->conf->ledger.kind != ORA_LEDGER_CONF_SQLITE) {
		oractl_error("backup copies the SQLite ledger; a PostgreSQL ledger is backed up "
		             "with the database's own tools (pg_dump)");
		return ORACTL_EXIT_ERROR;
	}
	path = maint_ledger_path(ctl);
	oractl_orad_fold(ctl); /* the copy includes a request that ended a moment ago */
	if (access(path, F_OK) != 0) {
		oractl_error("no ledger at %s (has orad run with daemon.ledger on?)", path);
		goto out;
	}
	if (ora_ledger_backup(path, argv[first], &rows, &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	printf("backed up %s to %s: %lld request rows (mode 0600; a single file, checked)\n", path,
	    argv[first], (long long)rows);
	oractl_audit(ctl, "backup", "%s to %s, %lld rows", path, argv[first], (long long)rows);
	status = ORACTL_EXIT_OK;
out:
	free(path);
	return status;
}

/* --before DATE: local midnight in the budgets' zone, in ms. */
static int
maint_parse_before(const struct oractl *ctl, const char *text, int64_t *ms)
{
	const char *tz = ctl->conf->budgets.timezone != NULL ? ctl->conf->budgets.timezone : "UTC";
	struct oractl_date d;
	char *saved = NULL;
	int r;

	if (oractl_report_parse_date(text, &d) != 0) {
		oractl_error("prune: --before takes a date, YYYY-MM-DD (not '%s')", text);
		return -1;
	}
	if (oractl_report_zone_enter(tz, &saved) != 0) {
		oractl_error("prune: budgets.timezone '%s' is not a time zone", tz);
		return -1;
	}
	r = oractl_report_day_start(tz, &d, ms);
	oractl_report_zone_leave(saved);
	if (r != 0)
		oractl_error("prune: %s does not exist in %s", text, tz);
	return r;
}

static const struct option prune_options[] = {
    {"before", required_argument, NULL, 'b'},
    {"dry-run", no_argument, NULL, 'n'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int
oractl_cmd_prune(struct oractl *ctl, int argc, char **argv)
{
	const char *before = NULL;
	int dry_run = 0, c, r, status = ORACTL_EXIT_ERROR;
	struct ora_ledger *l = NULL;
	struct ora_error err;
	struct ora_ledger_target t = {0};
	int64_t before_ms, rows, unsettled;
	char money[64];
	ora_pico cost;

	optind = 0; /* glibc: start afresh on this argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", prune_options, NULL)) != -1) {
		switch (c) {
		case 'b': before = optarg; break;
		case 'n': dry_run = 1; break;
		case 'h': return oractl_usage("prune", 1);
		case ':':
			oractl_error("prune: --before needs a date, YYYY-MM-DD");
			return oractl_usage("prune", 0);
		default:
			oractl_error("prune: unknown option '%s'", argv[optind - 1]);
			return oractl_usage("prune", 0);
		}
	}
	if (before == NULL || optind != argc) {
		oractl_error("prune needs --before DATE and nothing else");
		return oractl_usage("prune", 0);
	}
	if (oractl_conf(ctl) != 0 || maint_parse_before(ctl, before, &before_ms) != 0)
		return ORACTL_EXIT_ERROR;
	if (before_ms > ora_wall_ms() - (int64_t)MAINT_PRUNE_MIN_AGE_DAYS * 86400 * 1000) {
		oractl_error("prune: refusing to prune rows from the last %d days: budgets still "
		             "count them (the longest budget period is a month)",
		    MAINT_PRUNE_MIN_AGE_DAYS);
		return ORACTL_EXIT_REFUSED;
	}
	if (oractl_ledger_target(ctl, &t) != 0)
		goto out;
	if (t.kind == ORA_LEDGER_SQLITE && access(t.path, F_OK) != 0) {
		oractl_error("no ledger at %s", t.path);
		goto out;
	}
	if (ora_ledger_open_target(&t, dry_run ? ORA_LEDGER_READ_ONLY : ORA_LEDGER_READ_WRITE, &l,
	        &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	if (dry_run) {
		if (ora_ledger_prune_preview(l, before_ms, &rows, &cost, &unsettled, &err) != 0) {
			oractl_error("%s", err.msg);
			goto out;
		}
		ora_money_format(cost, money, sizeof(money));
		printf("would prune %lld request rows started before %s, costing $%s%s\n",
		    (long long)rows, before, money,
		    unsettled > 0 ? " (refused now: some are not settled)" : "");
		status = unsettled > 0 ? ORACTL_EXIT_REFUSED : ORACTL_EXIT_OK;
		goto out;
	}
	r = ora_ledger_prune(l, before_ms, (uint32_t)getuid(), &rows, &cost, &unsettled, &err);
	if (r == ORA_LEDGER_PRUNE_UNSETTLED) {
		oractl_error("prune: %s", err.msg);
		oractl_audit(ctl, "prune refused", "before %s: %lld unsettled rows", before,
		    (long long)unsettled);
		status = ORACTL_EXIT_REFUSED;
		goto out;
	}
	if (r != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	ora_money_format(cost, money, sizeof(money));
	printf("pruned %lld request rows started before %s, costing $%s (summary kept in table "
	       "pruned)\n",
	    (long long)rows, before, money);
	oractl_audit(ctl, "prune", "before %s: %lld rows, $%s", before, (long long)rows, money);
	status = ORACTL_EXIT_OK;
out:
	ora_ledger_close(l);
	oractl_ledger_target_clear(&t);
	return status;
}
