/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_audit.c: `oractl audit [--since DATE]`: the audit trail from the
 * ledger (what oractl and orad recorded: init, keys added, rotated and
 * removed, reloads accepted and refused), oldest first, in local time.
 *
 * The ledger is opened read-only, as for reports.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "config/conf.h"
#include "ledger/ledger.h"
#include "oractl/oractl.h"

#define AUDIT_TIME_FORMAT "%Y-%m-%d %H:%M:%S"
#define AUDIT_TIME_MAX 32

struct audit_row {
	int64_t time_ms;
	long long uid;
	char *user, *action, *detail;
};

struct audit_rows {
	struct audit_row *v;
	size_t n;
};

static void
audit_rows_free(struct audit_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].user);
		free(r->v[i].action);
		free(r->v[i].detail);
	}
	free(r->v);
}

/* A column as text with control characters shown as '?', so that a name
 * from the ledger cannot rewrite the admin's terminal. */
static char *
audit_text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	char *copy = ora_xstrdup(t != NULL ? (const char *)t : "-");

	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
	return copy;
}

/* DATE or "DATE HH:MM[:SS]" (or with a T), in local time. */
static int
audit_parse_since(const char *text, int64_t *ms)
{
	static const char *const formats[] = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
	    "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
	struct tm tm;
	const char *end;
	time_t t;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(text, formats[i], &tm);
		if (end == NULL || *end != '\0')
			continue;
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1)
			return -1;
		*ms = (int64_t)t * 1000;
		return 0;
	}
	return -1;
}

static int
audit_read(const char *path, int64_t since_ms, struct audit_rows *rows, struct ora_error *err)
{
	struct ora_ledger *l = NULL;
	sqlite3_stmt *s = NULL;
	sqlite3 *db;
	int rc, ret = -1;

	if (access(path, F_OK) != 0)
		return ora_error_set(err,
		    "no audit trail yet: there is no ledger at %s (oractl init, key add and orad "
		    "create it)",
		    path);
	if (access(path, R_OK) != 0)
		return ora_error_set(err,
		    "cannot read the ledger %s: %s (run oractl as root or as orad's user)", path,
		    strerror(errno));
	if (ora_ledger_open(path, ORA_LEDGER_READ_ONLY, &l, err) != 0)
		return -1;
	db = ora_ledger_db(l);
	if (sqlite3_prepare_v2(db,
	        "SELECT time_ms, uid, user, action, detail FROM audit WHERE time_ms >= ?1 "
	        "ORDER BY time_ms, id",
	        -1, &s, NULL) != SQLITE_OK) {
		ora_error_set(
		    err, "cannot read the audit trail in %s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_int64(s, 1, since_ms);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct audit_row *r;

		rows->v = ora_xrealloc(rows->v, (rows->n + 1) * sizeof(*rows->v));
		r = &rows->v[rows->n++];
		r->time_ms = sqlite3_column_int64(s, 0);
		r->uid = sqlite3_column_int64(s, 1);
		r->user = audit_text(s, 2);
		r->action = audit_text(s, 3);
		r->detail = audit_text(s, 4);
	}
	if (rc != SQLITE_DONE) {
		ora_error_set(
		    err, "cannot read the audit trail in %s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	ora_ledger_close(l);
	return ret;
}

static void
audit_print(const struct audit_rows *rows)
{
	int wwho = (int)strlen("WHO"), waction = (int)strlen("ACTION"), len;
	char when[AUDIT_TIME_MAX];
	struct tm tm;
	time_t t;

	for (size_t i = 0; i < rows->n; i++) {
		if ((len = (int)strlen(rows->v[i].user)) > wwho)
			wwho = len;
		if ((len = (int)strlen(rows->v[i].action)) > waction)
			waction = len;
	}
	printf("%-19s  %6s  %-*s  %-*s  %s\n", "TIME", "UID", wwho, "WHO", waction, "ACTION",
	    "DETAIL");
	for (size_t i = 0; i < rows->n; i++) {
		const struct audit_row *r = &rows->v[i];

		t = (time_t)(r->time_ms / 1000);
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof(when), AUDIT_TIME_FORMAT, &tm) == 0)
			snprintf(when, sizeof(when), "%lld", (long long)r->time_ms);
		printf("%-19s  %6lld  %-*s  %-*s  %s\n", when, r->uid, wwho, r->user, waction,
		    r->action, r->detail);
	}
	if (rows->n == 0)
		printf("(no entries)\n");
}

static const struct option audit_options[] = {
    {"since", required_argument, NULL, 's'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int
oractl_cmd_audit(struct oractl *ctl, int argc, char **argv)
{
	struct audit_rows rows = {NULL, 0};
	const char *since = NULL;
	struct ora_error err;
	int64_t since_ms = 0;
	char *path = NULL;
	int c, status = ORACTL_EXIT_ERROR;

	optind = 0; /* glibc: start afresh on this argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hs:", audit_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			return oractl_usage("audit", 1);
		case 's':
			since = optarg;
			break;
		case ':':
			oractl_error("audit: option '%s' needs a value", argv[optind - 1]);
			return oractl_usage("audit", 0);
		default:
			oractl_error("audit: unknown option '%s'", argv[optind - 1]);
			return oractl_usage("audit", 0);
		}
	}
	if (optind != argc) {
		oractl_error("audit takes no arguments");
		return oractl_usage("audit", 0);
	}
	if (since != NULL && audit_parse_since(since, &since_ms) != 0) {
		oractl_error("audit: --since '%s' is not a date: write YYYY-MM-DD or "
		             "'YYYY-MM-DD HH:MM', local time",
		    since);
		return ORACTL_EXIT_USAGE;
	}
	if (oractl_conf(ctl) != 0)
		return ORACTL_EXIT_ERROR;
	path = ora_xasprintf("%s/%s", ctl->conf->daemon.state_dir, ORA_LEDGER_FILE);
	if (audit_read(path, since_ms, &rows, &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	audit_print(&rows);
	status = ORACTL_EXIT_OK;
out:
	audit_rows_free(&rows);
	free(path);
	return status;
}
