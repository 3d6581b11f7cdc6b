/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_maint.c: the ledger's upkeep: its schema version and upgrades, the
 * online backup, and pruning old rows.
 *
 * The ledger is an organisation's billing record, so all three are
 * conservative: an upgrade runs in one transaction (all or nothing) and
 * refuses a ledger from a newer ora; a backup is a consistent snapshot taken
 * through SQLite's backup API while orad keeps writing (WAL readers never
 * block the writer), written beside its destination and renamed into place;
 * pruning never drops a row whose cost is not settled, keeps a summary of
 * what it removed, and works in short transactions so that orad's folds
 * wait at most one of them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "ledger/ledger_internal.h"

/* Rows deleted per transaction by a prune: orad's fold may wait for one. */
#define LEDGER_PRUNE_BATCH 5000

/* Upgrades, by the version they start from: upgrades[v] takes a ledger
 * from v to v + 1. Each is run in the transaction that also records the
 * new version. */
static const char *const upgrades[ORA_LEDGER_SCHEMA_VERSION] = {
	/* 0: a file just created: the tables come from the base schema. */
	[0] = "",
	/* 1 -> 2: a record of what was pruned, so that reports over a pruned
	 * period can say so. */
	[1] = "CREATE TABLE IF NOT EXISTS pruned ("
	      " id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, uid INTEGER NOT NULL,"
	      " before_ms INTEGER NOT NULL, rows INTEGER NOT NULL, cost_pico INTEGER NOT NULL);",
	/* 2 -> 3: a row may stand for several refusals of one uid for one
	 * reason in one minute (ledger.c collapses them). */
	[2] = "ALTER TABLE requests ADD COLUMN count INTEGER NOT NULL DEFAULT 1;",
	/* 3 -> 4: each write to a row raises its rev; shipped_rev is the
	 * version a shared PostgreSQL ledger has (ledger_pg_ship.c). Rows
	 * of before are version 1, never shipped: a host that joins a shared
	 * ledger brings its history along. */
	[3] = ("ALTER TABLE requests ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;"
	       "ALTER TABLE requests ADD COLUMN shipped_rev INTEGER NOT NULL DEFAULT 0;"),
};

static int
maint_db_error(struct ledger_sqlite *l, struct ora_error *err, const char *what)
{
	return ora_error_set(err, "ledger %s: %s: %s", l->path, what, sqlite3_errmsg(l->db));
}

static int
maint_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int r = -1;

	*out = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

/* The version of an open ledger: PRAGMA user_version since version 2; the
 * meta row before (version 1 wrote only that). */
static int
maint_version(struct ledger_sqlite *l, int64_t *version)
{
	if (maint_int(l->db, "PRAGMA user_version", version) != 0)
		return -1;
	if (*version == 0 &&
	    maint_int(l->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'",
	        version) != 0)
		*version = 0;
	return 0;
}

int
ledger_sqlite_schema_version(struct ledger_sqlite *l, int *version, struct ora_error *err)
{
	int64_t v;

	if (maint_version(l, &v) != 0)
		return maint_db_error(l, err, "schema version");
	*version = (int)v;
	return 0;
}

int
ledger_upgrade(struct ledger_sqlite *l, struct ora_error *err)
{
	char *sql = NULL, *msg = NULL;
	int64_t from;
	int r = -1;

	if (maint_version(l, &from) != 0)
		return maint_db_error(l, err, "schema version");
	if (from > ORA_LEDGER_SCHEMA_VERSION)
		return ora_error_set(err,
		    "ledger %s has schema version %lld, made by a newer ora; this one knows up to "
		    "version %d: upgrade ora, or restore a backup",
		    l->path, (long long)from, ORA_LEDGER_SCHEMA_VERSION);
	if (from == ORA_LEDGER_SCHEMA_VERSION)
		return 0;
	if (sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
		goto out;
	for (int64_t v = from; v < ORA_LEDGER_SCHEMA_VERSION; v++)
		if (sqlite3_exec(l->db, upgrades[v], NULL, NULL, &msg) != SQLITE_OK)
			goto out;
	sql = ora_xasprintf("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '%d');"
	                    "PRAGMA user_version = %d; COMMIT",
	    ORA_LEDGER_SCHEMA_VERSION, ORA_LEDGER_SCHEMA_VERSION);
	if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		goto out;
	r = 0;
out:
	if (r != 0) {
		ora_error_set(err, "cannot upgrade ledger %s from schema version %lld to %d: %s",
		    l->path, (long long)from, ORA_LEDGER_SCHEMA_VERSION, msg != NULL ? msg : "?");
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_free(msg);
	free(sql);
	return r;
}

int
ora_ledger_backup(const char *path, const char *dest, int64_t *rows, struct ora_error *err)
{
	char *tmp = ora_xasprintf("%s.tmp.%ld", dest, (long)getpid());
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int fd, r = -1, rc;
	int64_t ok = 0;

	*rows = 0;
	if (access(dest, F_OK) == 0) {
		ora_error_set(err, "%s exists; choose a new file (a backup never overwrites)", dest);
		goto out;
	}
	/* Created 0600 before SQLite writes to it: who asked what, when, is
	 * nobody else's business, in a copy as in the ledger. */
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		ora_error_set(err, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		ora_error_set(err, "cannot open %s: %s", src == NULL || dst == NULL ? "?" : path,
		    sqlite3_errmsg(dst != NULL ? dst : src));
		goto fail;
	}
	sqlite3_busy_timeout(src, 5000);
	/* All pages in one step: one read transaction, so one consistent
	 * snapshot, whatever orad commits meanwhile. */
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		ora_error_set(err, "cannot back up %s: %s", path, sqlite3_errmsg(dst));
		goto fail;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		ora_error_set(err, "cannot back up %s: %s", path, sqlite3_errstr(rc));
		goto fail;
	}
	/* A copy is one self-contained file: no WAL beside it. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK ||
	    maint_int(dst, "PRAGMA quick_check = 1", &ok) != 0 ||
	    maint_int(dst, "SELECT COUNT(*) FROM requests", rows) != 0) {
		ora_error_set(err, "the copy %s does not check: %s", tmp, sqlite3_errmsg(dst));
		goto fail;
	}
	sqlite3_close(dst);
	dst = NULL;
	if (rename(tmp, dest) != 0) {
		ora_error_set(err, "cannot rename %s to %s: %s", tmp, dest, strerror(errno));
		goto fail;
	}
	r = 0;
	goto out;
fail:
	unlink(tmp);
out:
	sqlite3_close(src);
	sqlite3_close(dst);
	free(tmp);
	return r;
}

int
ledger_sqlite_prune(struct ledger_sqlite *l, int64_t before_ms, uint32_t uid, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err)
{
	sqlite3_stmt *count = NULL, *del = NULL;
	char *msg = NULL;
	int r = -1;

	*rows = *unsettled = 0;
	*cost = 0;
	if (ledger_sqlite_dirty(l) && ledger_sqlite_commit(l, err) != 0)
		return -1;
	if (sqlite3_prepare_v2(l->db,
	        "SELECT COALESCE(SUM(state IN ('open','unsettled')), 0), COUNT(*),"
	        " COALESCE(SUM(cost_pico), 0) FROM requests WHERE started_ms < ?1",
	        -1, &count, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db,
	        "DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE started_ms < ?1"
	        " AND state NOT IN ('open','unsettled') LIMIT ?2)",
	        -1, &del, NULL) != SQLITE_OK) {
		maint_db_error(l, err, "prune");
		goto out;
	}
	sqlite3_bind_int64(count, 1, before_ms);
	if (sqlite3_step(count) != SQLITE_ROW) {
		maint_db_error(l, err, "prune");
		goto out;
	}
	*unsettled = sqlite3_column_int64(count, 0);
	*rows = sqlite3_column_int64(count, 1);
	*cost = sqlite3_column_int64(count, 2);
	if (*unsettled > 0) {
		r = ORA_LEDGER_PRUNE_UNSETTLED;
		ora_error_set(err,
		    "%lld row%s before that date %s no settled cost yet (orad is still "
		    "reconciling them); nothing was pruned: choose an earlier date, or wait",
		    (long long)*unsettled, *unsettled == 1 ? "" : "s", *unsettled == 1 ? "has" : "have");
		goto out;
	}
	sqlite3_bind_int64(del, 1, before_ms);
	sqlite3_bind_int64(del, 2, LEDGER_PRUNE_BATCH);
	for (;;) {
		if (sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
			break;
		if (sqlite3_step(del) != SQLITE_DONE) {
			sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
			maint_db_error(l, err, "prune");
			goto out;
		}
		sqlite3_reset(del);
		int changed = sqlite3_changes(l->db);
		if (sqlite3_exec(l->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
			break;
		if (changed < LEDGER_PRUNE_BATCH)
			break;
	}
	if (msg != NULL) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		ora_error_set(err, "ledger %s: prune: %s", l->path, msg);
		goto out;
	}
	char *sql = sqlite3_mprintf("INSERT INTO pruned (time_ms, uid, before_ms, rows, cost_pico)"
	                            " VALUES (%lld, %u, %lld, %lld, %lld)",
	    (long long)ora_wall_ms(), uid, (long long)before_ms, (long long)*rows, (long long)*cost);
	if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		ora_error_set(err, "ledger %s: prune: %s", l->path, msg);
	else
		r = 0;
	sqlite3_free(sql);
out:
	sqlite3_free(msg);
	sqlite3_finalize(count);
	sqlite3_finalize(del);
	return r;
}
