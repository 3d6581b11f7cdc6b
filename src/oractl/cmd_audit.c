/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_audit.c: `oractl audit [--since DATE] [--host NAME]`: the audit
 * trail from the ledger (what oractl and orad recorded: init, keys added,
 * rotated and removed, reloads accepted and refused), oldest first, in
 * local time.
 *
 * The ledger is opened read-only, as for reports. A shared PostgreSQL
 * ledger holds the entries of every host, each with the host that wrote
 * it: they are shown with a HOST column, and --host keeps one host's.
 * oractl writes its entries there from any host; orad records its reloads
 * in its own ledger (state_dir/ledger.db: the broker never waits on the
 * database) and its shipper copies them there, each once, so the shared
 * trail is read alone, the same on a broker's host and on an admin's
 * workstation (doc/design.md, "What the organisation sees").
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "config/conf.h"
#include "ledger/ledger.h"
#include "oractl/ledger_target.h"
#include "oractl/oractl.h"

#define AUDIT_TIME_FORMAT "%Y-%m-%d %H:%M:%S"
#define AUDIT_TIME_MAX 32

struct audit_row {
	int64_t time_ms;
	long long uid;
	char *user, *action, *detail, *host; /* host: NULL in a one-host ledger */
};

struct audit_rows {
	struct audit_row *v;
	size_t n;
	const char *host; /* --host: keep only this host's entries */
	int hosts;        /* some entry names its host: show the column */
};

static void
audit_rows_free(struct audit_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].user);
		free(r->v[i].action);
		free(r->v[i].detail);
		free(r->v[i].host);
	}
	free(r->v);
}

/* Text from the ledger with control characters shown as '?', so that a
 * name cannot rewrite the admin's terminal. */
static char *
audit_text(const char *t)
{
	char *copy = ora_xstrdup(t != NULL ? t : "-");

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
audit_add(void *arg, const struct ora_ledger_audit_row *row)
{
	struct audit_rows *rows = arg;
	struct audit_row *r;
	const char *host = row->host;

	if (rows->host != NULL && (host == NULL || strcmp(host, rows->host) != 0))
		return 0;
	rows->v = ora_xrealloc(rows->v, (rows->n + 1) * sizeof(*rows->v));
	r = &rows->v[rows->n++];
	r->time_ms = row->time_ms;
	r->uid = row->uid;
	r->user = audit_text(row->user);
	r->action = audit_text(row->action);
	r->detail = audit_text(row->detail);
	r->host = host != NULL ? audit_text(host) : NULL;
	if (host != NULL)
		rows->hosts = 1;
	return 0;
}

static int
audit_read(const struct ora_ledger_target *t, int64_t since_ms, struct audit_rows *rows,
    struct ora_error *err)
{
	struct ora_ledger *l = NULL;
	int ret = -1;

	if (t->kind == ORA_LEDGER_SQLITE) {
		if (access(t->path, F_OK) != 0)
			return ora_error_set(err,
			    "no audit trail yet: there is no ledger at %s (oractl init, key add and "
			    "orad create it)",
			    t->path);
		if (access(t->path, R_OK) != 0)
			return ora_error_set(err,
			    "cannot read the ledger %s: %s (run oractl as root or as orad's user)",
			    t->path, strerror(errno));
	}
	if (ora_ledger_open_target(t, ORA_LEDGER_READ_ONLY, &l, err) != 0)
		return -1;
	if (ora_ledger_read_begin(l, err) != 0 ||
	    ora_ledger_audit_each(l, since_ms, audit_add, rows, err) != 0)
		goto out;
	ret = 0;
out:
	ora_ledger_read_end(l);
	ora_ledger_close(l);
	return ret;
}

static int
audit_wider(int w, const char *v)
{
	int len = v != NULL ? (int)strlen(v) : 0;

	return len > w ? len : w;
}

static void
audit_print(const struct audit_rows *rows)
{
	int wwho = (int)strlen("WHO"), waction = (int)strlen("ACTION"), whost = (int)strlen("HOST");
	char when[AUDIT_TIME_MAX];
	struct tm tm;
	time_t t;

	for (size_t i = 0; i < rows->n; i++) {
		wwho = audit_wider(wwho, rows->v[i].user);
		waction = audit_wider(waction, rows->v[i].action);
		whost = audit_wider(whost, rows->v[i].host);
	}
	printf("%-19s  ", "TIME");
	if (rows->hosts)
		printf("%-*s  ", whost, "HOST");
	printf("%6s  %-*s  %-*s  %s\n", "UID", wwho, "WHO", waction, "ACTION", "DETAIL");
	for (size_t i = 0; i < rows->n; i++) {
		const struct audit_row *r = &rows->v[i];

		t = (time_t)(r->time_ms / 1000);
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof(when), AUDIT_TIME_FORMAT, &tm) == 0)
			snprintf(when, sizeof(when), "%lld", (long long)r->time_ms);
		printf("%-19s  ", when);
		if (rows->hosts)
			printf("%-*s  ", whost, r->host != NULL ? r->host : "-");
		printf("%6lld  %-*s  %-*s  %s\n", r->uid, wwho, r->user, waction, r->action,
		    r->detail);
	}
	if (rows->n == 0)
		printf("(no entries)\n");
}

static const struct option audit_options[] = {
    {"since", required_argument, NULL, 's'},
    {"host", required_argument, NULL, 'H'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int
oractl_cmd_audit(struct oractl *ctl, int argc, char **argv)
{
	struct audit_rows rows = {NULL, 0, NULL, 0};
	const char *since = NULL;
	struct ora_error err;
	int64_t since_ms = 0;
	struct ora_ledger_target t = {0};
	int c, status = ORACTL_EXIT_ERROR;

	optind = 0; /* glibc: start afresh on this argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hs:H:", audit_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			return oractl_usage("audit", 1);
		case 's':
			since = optarg;
			break;
		case 'H':
			rows.host = optarg;
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
	if (oractl_ledger_target(ctl, &t) != 0)
		return ORACTL_EXIT_ERROR;
	if (rows.host != NULL && t.kind != ORA_LEDGER_POSTGRESQL) {
		oractl_error("audit: --host needs a ledger shared by several hosts (ledger.backend = "
		             "\"postgresql\"); this one is this host's alone");
		status = ORACTL_EXIT_USAGE;
		goto out;
	}
	rows.hosts = t.kind == ORA_LEDGER_POSTGRESQL;
	if (audit_read(&t, since_ms, &rows, &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	audit_print(&rows);
	status = ORACTL_EXIT_OK;
out:
	audit_rows_free(&rows);
	oractl_ledger_target_clear(&t);
	return status;
}
