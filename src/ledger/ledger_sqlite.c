/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_sqlite.c: the SQLite backend (ledger_backend.h), the default: one
 * file, state_dir/ledger.db, written by one broker through its intent log
 * (ledger_fold.c) and read by oractl (ledger_sqlite_query.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "ledger/ledger_internal.h"
#include "ledger/ledger_sqlite.h"

/* How long a write waits for another writer (oractl's audit rows; readers
 * never block a WAL writer). The broker's writes are safe in its intent log
 * and are simply folded later, so its event loop waits only briefly. */
#define LEDGER_BUSY_TIMEOUT_MS 2000
#define LEDGER_LOGGED_BUSY_TIMEOUT_MS 5

/* The WAL is copied back into the database by a thread of its own: a
 * checkpoint fsyncs, and the event loop must never wait for a disk.
 *
 * A checkpoint that merely copies (PASSIVE) never lets the WAL start over
 * while the broker keeps writing: SQLite restarts the log only once every
 * frame in it has been copied, and there is always a newer one. Measured,
 * it grew by ~5 KB a request for as long as the load lasted (1 GB after
 * three minutes at 3,000 requests/s). So each round copies what it can
 * while the broker writes on (PASSIVE), then asks the broker to hold its
 * folds (its writes are safe in the intent log meanwhile) and runs a
 * TRUNCATE checkpoint, which copies the rest and empties the file. A
 * round runs every LEDGER_CHECKPOINT_INTERVAL_S, and at once when a commit
 * leaves the WAL over LEDGER_WAL_CHECKPOINT_BYTES: the WAL then stays
 * under that plus what the broker writes during one PASSIVE pass, well
 * inside LEDGER_WAL_MAX_BYTES (the bound test_ledger_sustained.sh checks),
 * unless a reader keeps a snapshot open for longer than
 * LEDGER_CHECKPOINT_WAIT_MS at every try: SQLite cannot restart a log that
 * a reader still reads. */
#define LEDGER_CHECKPOINT_INTERVAL_S 5
#define LEDGER_WAL_CHECKPOINT_BYTES (16 << 20)
/* The stated bound, also SQLite's journal_size_limit. */
#define LEDGER_WAL_MAX_BYTES (64 << 20)
_Static_assert(LEDGER_WAL_MAX_BYTES == 67108864, "journal_size_limit in ledger_sqlite_open()");
/* The broker's page cache, in KiB (PRAGMA cache_size takes it negated).
 * Reads come from the memory-mapped file (mmap_size), except of pages
 * whose newest copy is in the WAL; so the cache holds the pages the folds
 * wrote since the WAL last started over, and SQLite empties it only then
 * (the checkpointer's TRUNCATE) or when another process writes. At 16 MiB
 * it was nearly all of orad's RSS growth under load, a sawtooth reset at
 * each checkpoint whose height grew with the rate (+4.4 MB at 6,500
 * requests/s; doc/design.md, issue 17). A fold needs far less: the right-hand edges of
 * the table and of its two indexes, and the rows it settles, inserted a
 * moment before. The largest fold the journal lets wait (a quarter of the
 * 4 MiB log, some 1,600 requests at ~650 bytes of records each) dirties
 * about 0.5 MiB of pages (a row and its index entries take ~270 bytes).
 * Four times that, about SQLite's own default: such a fold never spills
 * into the WAL before its commit, and a larger one (the log filled while
 * the checkpointer held the folds) spills, which is correct, only slower. */
#define LEDGER_CACHE_KIB 2048
_Static_assert(LEDGER_CACHE_KIB == 2048, "cache_size in ledger_sqlite_open()");

/* How long the TRUNCATE checkpoint waits for readers (reports) before it
 * gives up until the next round; the broker's folds wait as long. */
#define LEDGER_CHECKPOINT_WAIT_MS 250

static int write_counts(struct ledger_sqlite *l, struct ora_error *err);
static void ledger_sqlite_close(struct ledger_sqlite *l);
static int ledger_sqlite_fold_due(const struct ledger_sqlite *l);

/* A log more than this fraction full is folded at once. */
#define LEDGER_FOLD_FRACTION 4

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS requests ("
    " id INTEGER PRIMARY KEY,"
    " started_ms INTEGER NOT NULL, settled_ms INTEGER, state TEXT NOT NULL,"
    " uid INTEGER NOT NULL, user TEXT NOT NULL, rule_line INTEGER, rule_match TEXT,"
    " role TEXT, cost_centre TEXT, key_name TEXT,"
    " model_requested TEXT, models_requested TEXT, model_served TEXT, provider TEXT,"
    " generation_id TEXT, stream INTEGER NOT NULL DEFAULT 0,"
    " prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,"
    " reasoning_tokens INTEGER NOT NULL DEFAULT 0, cached_tokens INTEGER NOT NULL DEFAULT 0,"
    " cost_pico INTEGER NOT NULL DEFAULT 0, cost_text TEXT,"
    " reserved_pico INTEGER NOT NULL DEFAULT 0, estimated INTEGER NOT NULL DEFAULT 0,"
    " http_status INTEGER, outcome TEXT, reason TEXT, latency_ms REAL, ttfb_ms REAL,"
    " client_pid INTEGER, client_exe TEXT);"
    "CREATE INDEX IF NOT EXISTS requests_started ON requests(started_ms);"
    "CREATE INDEX IF NOT EXISTS requests_user ON requests(user, started_ms);"
    "DROP INDEX IF EXISTS requests_pending;"
    "CREATE TABLE IF NOT EXISTS audit ("
    " id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, uid INTEGER NOT NULL, user TEXT,"
    " action TEXT NOT NULL, detail TEXT);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1');";

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_ADMIT] =
	    "INSERT INTO requests (id, started_ms, settled_ms, state, uid, user, rule_line,"
	    " rule_match, role, cost_centre, key_name, model_requested, models_requested,"
	    " model_served, provider, generation_id, stream, prompt_tokens, completion_tokens,"
	    " reasoning_tokens, cached_tokens, cost_pico, cost_text, reserved_pico, estimated,"
	    " http_status, outcome, reason, latency_ms, ttfb_ms, client_pid, client_exe)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)",
	[STMT_GENERATION] = "UPDATE requests SET generation_id = ?2, rev = rev + 1 WHERE id = ?1",
	[STMT_SETTLE] =
	    "UPDATE requests SET settled_ms = ?2, state = ?3, model_served = ?4, provider = ?5,"
	    " generation_id = COALESCE(?6, generation_id), prompt_tokens = ?7,"
	    " completion_tokens = ?8, reasoning_tokens = ?9, cached_tokens = ?10, cost_pico = ?11,"
	    " cost_text = ?12, estimated = ?13, http_status = ?14, outcome = ?15, reason = ?16,"
	    " latency_ms = ?17, ttfb_ms = ?18, rev = rev + 1 WHERE id = ?1",
	[STMT_RECONCILED] =
	    "UPDATE requests SET state = 'settled', settled_ms = ?2, cost_pico = ?3, cost_text = ?4,"
	    " prompt_tokens = MAX(prompt_tokens, ?5), completion_tokens = MAX(completion_tokens, ?6),"
	    " reasoning_tokens = MAX(reasoning_tokens, ?7), model_served = COALESCE(?8, model_served),"
	    " estimated = ?9, reason = COALESCE(?10, reason), rev = rev + 1 WHERE id = ?1",
	[STMT_FOLDED] = "INSERT OR REPLACE INTO meta (key, value) VALUES ('log_folded_seq', ?1)",
	[STMT_REFUSALS] = "UPDATE requests SET count = ?2, rev = rev + 1 WHERE id = ?1",
	[STMT_BEGIN] = "BEGIN",
	[STMT_COMMIT] = "COMMIT",
	[STMT_AUDIT] =
	    "INSERT INTO audit (time_ms, uid, user, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
};

static void
set_holding(struct ledger_sqlite *l, int on)
{
	pthread_mutex_lock(&l->lock);
	l->holding = on;
	pthread_mutex_unlock(&l->lock);
}

/* One round; see LEDGER_CHECKPOINT_INTERVAL_S. */
static void
checkpoint_round(struct ledger_sqlite *l, sqlite3 *db)
{
	int rc;

	/* Copies what it can without waiting for, or blocking, the writer. */
	sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	/* The broker takes the lock for a whole fold, so once this returns
	 * no fold is under way and none starts until the hold ends. */
	set_holding(l, 1);
	rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	set_holding(l, 0);
	pthread_mutex_lock(&l->lock);
	if (rc == SQLITE_OK)
		l->checkpoints_full++;
	else
		l->checkpoints_busy++;
	pthread_mutex_unlock(&l->lock);
}

static void *
checkpoint_loop(void *arg)
{
	struct ledger_sqlite *l = arg;
	sqlite3 *db = NULL;
	struct timespec until;

	if (sqlite3_open_v2(l->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		ora_log_error("ledger: checkpointer cannot open %s", l->path);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, LEDGER_CHECKPOINT_WAIT_MS);
	/* A connection learns that the file is in WAL mode only when it first
	 * reads it; until then a checkpoint does nothing and says so only by
	 * leaving its counts at -1. */
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
		ora_log_error("ledger: checkpointer: %s", sqlite3_errmsg(db));
	pthread_mutex_lock(&l->lock);
	while (!l->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += LEDGER_CHECKPOINT_INTERVAL_S;
		while (!l->stopping && !l->wake_now &&
		    pthread_cond_timedwait(&l->wake, &l->lock, &until) == 0)
			;
		if (l->stopping)
			break;
		l->wake_now = 0;
		pthread_mutex_unlock(&l->lock);
		checkpoint_round(l, db);
		pthread_mutex_lock(&l->lock);
	}
	pthread_mutex_unlock(&l->lock);
	sqlite3_close(db);
	return NULL;
}

/* SQLite calls this after each commit on the broker's connection with the
 * WAL's size in pages. It runs inside a fold, under l->lock: it only
 * notes a WAL grown past the mark, and ledger_sqlite_commit() wakes the
 * checkpointer once the fold is over. */
static int
on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct ledger_sqlite *l = arg;

	if (pages >= l->wal_pages_limit)
		l->wal_over = 1;
	return SQLITE_OK;
}

static void
wake_checkpointer(struct ledger_sqlite *l)
{
	if (!l->wal_over)
		return;
	l->wal_over = 0;
	pthread_mutex_lock(&l->lock);
	l->wake_now = 1;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->lock);
}

static void
start_checkpointer(struct ledger_sqlite *l)
{
	sqlite3_stmt *s;
	int page = 4096;

	if (sqlite3_prepare_v2(l->db, "PRAGMA page_size", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0)
			page = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	l->wal_pages_limit = LEDGER_WAL_CHECKPOINT_BYTES / page;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->wake, NULL);
	if (pthread_create(&l->checkpointer, NULL, checkpoint_loop, l) == 0) {
		l->checkpointer_running = 1;
		/* Only now stop SQLite from checkpointing on the loop itself
		 * (the hook replaces its automatic checkpoints). */
		sqlite3_wal_hook(l->db, on_wal_commit, l);
	} else {
		ora_log_warning("ledger: no checkpoint thread; checkpointing inline");
	}
}

static void
stop_checkpointer(struct ledger_sqlite *l)
{
	if (!l->checkpointer_running)
		return;
	pthread_mutex_lock(&l->lock);
	l->stopping = 1;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->checkpointer, NULL);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->wake);
	l->checkpointer_running = 0;
}

int
ledger_db_error(struct ledger_sqlite *l, struct ora_error *err, const char *what)
{
	return ora_error_set(err, "ledger: %s: %s", what, sqlite3_errmsg(l->db));
}

struct sqlite3 *
ora_ledger_sqlite_db(struct ora_ledger *l)
{
	return l->be == &ledger_sqlite_backend ? ledger_sqlite_of(l)->db : NULL;
}

/* Create the file ourselves so that it is 0600 from its first byte: the
 * ledger says who asked what model when, which is nobody else's business. */
static int
create_private(const char *path, struct ora_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return ora_error_set(err, "cannot create ledger %s: %s", path, strerror(errno));
	close(fd);
	return 0;
}

static int
ledger_sqlite_open(const char *path, enum ora_ledger_mode mode, struct ledger_sqlite **out,
    struct ora_error *err)
{
	struct ledger_sqlite *l = ora_xcalloc(1, sizeof(*l));
	int readonly = mode == ORA_LEDGER_READ_ONLY;
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	char *msg = NULL;

	*out = NULL;
	l->base.be = &ledger_sqlite_backend;
	l->mode = mode;
	l->path = ora_xstrdup(path);
	l->log_path = ora_xasprintf("%s" ORA_LEDGER_LOG_SUFFIX, path);
	if (!readonly && create_private(path, err) != 0)
		goto fail;
	if (sqlite3_open_v2(path, &l->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		ora_error_set(err, "cannot open ledger %s: %s", path,
		    l->db != NULL ? sqlite3_errmsg(l->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(l->db, LEDGER_BUSY_TIMEOUT_MS);
	if (!readonly) {
		/* WAL: readers (reports) never block the broker, and a commit
		 * is one append. synchronous=NORMAL keeps every committed row
		 * through a crash of the process (kill -9); only a power loss
		 * can take the last transactions, not the file's integrity.
		 * journal_size_limit: a burst may grow the WAL, but once
		 * checkpointed it shrinks back. temp_store: sorts stay in
		 * memory, so the broker writes nothing outside state_dir
		 * (its sandbox allows nothing else). */
		if (sqlite3_exec(l->db,
		        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
		        "PRAGMA mmap_size=268435456; PRAGMA cache_size=-2048; PRAGMA temp_store=MEMORY;"
		        "PRAGMA journal_size_limit=67108864;",
		        NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(l->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
			ora_error_set(err, "cannot prepare ledger %s: %s", path, msg ? msg : "?");
			sqlite3_free(msg);
			goto fail;
		}
		if (ledger_upgrade(l, err) != 0)
			goto fail;
		for (int i = 0; i < STMT_COUNT; i++) {
			if (sqlite3_prepare_v3(l->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
			        &l->stmt[i], NULL) != SQLITE_OK) {
				ledger_db_error(l, err, "prepare");
				goto fail;
			}
		}
		if (mode == ORA_LEDGER_LOGGED) {
			if (ledger_log_attach(l, err) != 0)
				goto fail;
			sqlite3_busy_timeout(l->db, LEDGER_LOGGED_BUSY_TIMEOUT_MS);
		}
		start_checkpointer(l);
	}
	*out = l;
	return 0;
fail:
	ledger_sqlite_close(l);
	return -1;
}

static void
ledger_sqlite_close(struct ledger_sqlite *l)
{
	struct ora_error err;

	if (l == NULL)
		return;
	if (ledger_sqlite_dirty(l) && ledger_sqlite_commit(l, &err) != 0)
		ora_log_error("%s", err.msg);
	stop_checkpointer(l);
	free(l->refusals);
	ora_ledger_log_close(l->log);
	ledger_fold_free(l);
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(l->stmt[i]);
	sqlite3_close(l->db);
	free(l->path);
	free(l->log_path);
	free(l);
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static int
step(struct ledger_sqlite *l, sqlite3_stmt *s, struct ora_error *err, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return ledger_db_error(l, err, what);
	return 0;
}

int
ledger_end_batch(struct ledger_sqlite *l, struct ora_error *err)
{
	if (!l->in_batch)
		return 0;
	l->in_batch = 0;
	if (step(l, l->stmt[STMT_COMMIT], err, "commit") != 0) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void
ledger_abort_batch(struct ledger_sqlite *l)
{
	if (!l->in_batch)
		return;
	l->in_batch = 0;
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

int
ledger_sqlite_commit(struct ledger_sqlite *l, struct ora_error *err)
{
	int r;

	if (write_counts(l, err) != 0)
		return -1;
	if (l->log == NULL)
		return ledger_end_batch(l, err);
	if (!l->checkpointer_running)
		return ledger_fold(l, err);
	/* Held for the whole fold: see checkpoint_round(). While the
	 * checkpointer restarts the WAL, the writes wait in the log (they
	 * are durable there already), unless the log is filling up. */
	pthread_mutex_lock(&l->lock);
	if (l->holding && !ledger_sqlite_fold_due(l)) {
		pthread_mutex_unlock(&l->lock);
		return 0;
	}
	r = ledger_fold(l, err);
	pthread_mutex_unlock(&l->lock);
	wake_checkpointer(l);
	return r;
}

int
ledger_sqlite_dirty(const struct ledger_sqlite *l)
{
	if (l->refusals_dirty)
		return 1;
	if (l->log != NULL)
		return ora_ledger_log_last_seq(l->log) > l->folded_seq;
	return l->in_batch;
}

static int
ledger_sqlite_fold_due(const struct ledger_sqlite *l)
{
	return l->log != NULL &&
	    ora_ledger_log_used(l->log) > ora_ledger_log_capacity(l->log) / LEDGER_FOLD_FRACTION;
}

uint64_t
ledger_sqlite_pending(const struct ledger_sqlite *l)
{
	if (l->log == NULL || !ledger_sqlite_dirty(l))
		return 0;
	return ora_ledger_log_last_seq(l->log) - l->folded_seq;
}

/* Readers inside the broker see every write made so far, when the database
 * can be written; when it cannot, they read what it holds (the broker's own
 * counters already include the writes still in the log, and its journal
 * reports the failure and keeps retrying). */
static void
fold_before_reading(struct ledger_sqlite *l)
{
	struct ora_error err;

	if (l->log == NULL || !ledger_sqlite_dirty(l))
		return;
	/* The refusal counts first, as a commit writes them: they reach the
	 * log only then. */
	if (write_counts(l, &err) != 0)
		ora_log_error("%s", err.msg);
	ledger_fold(l, NULL);
}

static int
run(struct ledger_sqlite *l, sqlite3_stmt *s, struct ora_error *err, const char *what)
{
	int rc;

	if (!l->in_batch) {
		if (step(l, l->stmt[STMT_BEGIN], err, "begin") != 0)
			return -1;
		l->in_batch = 1;
	}
	rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return ledger_db_error(l, err, what);
	return 0;
}

/* Every column; latency only for a row that is settled as it goes in. */
static int
insert(struct ledger_sqlite *l, struct ora_ledger_entry *e, const char *state, int settled,
    struct ora_error *err)
{
	sqlite3_stmt *s = l->stmt[STMT_ADMIT];

	if (e->id != 0)
		sqlite3_bind_int64(s, 1, e->id);
	sqlite3_bind_int64(s, 2, e->started_ms);
	if (e->settled_ms != 0 || settled)
		sqlite3_bind_int64(s, 3, e->settled_ms);
	bind_text(s, 4, state);
	sqlite3_bind_int64(s, 5, e->uid);
	bind_text(s, 6, e->user != NULL ? e->user : "?");
	sqlite3_bind_int(s, 7, e->rule_line);
	bind_text(s, 8, e->rule_match);
	bind_text(s, 9, e->role);
	bind_text(s, 10, e->cost_centre);
	bind_text(s, 11, e->key_name);
	bind_text(s, 12, e->model_requested);
	bind_text(s, 13, e->models_requested);
	bind_text(s, 14, e->model_served);
	bind_text(s, 15, e->provider);
	bind_text(s, 16, e->generation_id);
	sqlite3_bind_int(s, 17, e->stream);
	sqlite3_bind_int64(s, 18, e->prompt_tokens);
	sqlite3_bind_int64(s, 19, e->completion_tokens);
	sqlite3_bind_int64(s, 20, e->reasoning_tokens);
	sqlite3_bind_int64(s, 21, e->cached_tokens);
	sqlite3_bind_int64(s, 22, e->cost);
	bind_text(s, 23, e->cost_text);
	sqlite3_bind_int64(s, 24, e->reserved);
	sqlite3_bind_int(s, 25, e->estimated);
	if (e->http_status != 0)
		sqlite3_bind_int(s, 26, e->http_status);
	bind_text(s, 27, e->outcome);
	bind_text(s, 28, e->reason);
	if (settled) {
		sqlite3_bind_double(s, 29, e->latency_ms);
		sqlite3_bind_double(s, 30, e->ttfb_ms);
	}
	sqlite3_bind_int(s, 31, e->client_pid);
	bind_text(s, 32, e->client_exe);
	if (run(l, s, err, "insert") != 0)
		return -1;
	e->id = sqlite3_last_insert_rowid(l->db);
	return 0;
}

int
ledger_insert_settled(struct ledger_sqlite *l, struct ora_ledger_entry *e, struct ora_error *err)
{
	return insert(l, e, e->state, 1, err);
}

static int
update_generation(struct ledger_sqlite *l, const struct ora_ledger_entry *e, struct ora_error *err)
{
	sqlite3_stmt *s = l->stmt[STMT_GENERATION];

	sqlite3_bind_int64(s, 1, e->id);
	bind_text(s, 2, e->generation_id);
	return run(l, s, err, "record generation id");
}

static int
update_settled(struct ledger_sqlite *l, const struct ora_ledger_entry *e, struct ora_error *err)
{
	sqlite3_stmt *s = l->stmt[STMT_SETTLE];

	sqlite3_bind_int64(s, 1, e->id);
	sqlite3_bind_int64(s, 2, e->settled_ms);
	bind_text(s, 3, e->state != NULL ? e->state : "settled");
	bind_text(s, 4, e->model_served);
	bind_text(s, 5, e->provider);
	bind_text(s, 6, e->generation_id);
	sqlite3_bind_int64(s, 7, e->prompt_tokens);
	sqlite3_bind_int64(s, 8, e->completion_tokens);
	sqlite3_bind_int64(s, 9, e->reasoning_tokens);
	sqlite3_bind_int64(s, 10, e->cached_tokens);
	sqlite3_bind_int64(s, 11, e->cost);
	bind_text(s, 12, e->cost_text);
	sqlite3_bind_int(s, 13, e->estimated);
	if (e->http_status != 0)
		sqlite3_bind_int(s, 14, e->http_status);
	bind_text(s, 15, e->outcome);
	bind_text(s, 16, e->reason);
	sqlite3_bind_double(s, 17, e->latency_ms);
	sqlite3_bind_double(s, 18, e->ttfb_ms);
	return run(l, s, err, "settle");
}

static int
update_reconciled(struct ledger_sqlite *l, const struct ora_ledger_entry *e, struct ora_error *err)
{
	sqlite3_stmt *s = l->stmt[STMT_RECONCILED];

	sqlite3_bind_int64(s, 1, e->id);
	sqlite3_bind_int64(s, 2, e->settled_ms);
	sqlite3_bind_int64(s, 3, e->cost);
	bind_text(s, 4, e->cost_text);
	sqlite3_bind_int64(s, 5, e->prompt_tokens);
	sqlite3_bind_int64(s, 6, e->completion_tokens);
	sqlite3_bind_int64(s, 7, e->reasoning_tokens);
	bind_text(s, 8, e->model_served);
	sqlite3_bind_int(s, 9, e->estimated);
	bind_text(s, 10, e->reason);
	return run(l, s, err, "reconcile");
}

int
ledger_apply(struct ledger_sqlite *l, enum ledger_write what, struct ora_ledger_entry *e,
    struct ora_error *err)
{
	switch (what) {
	case LEDGER_ADMIT:
		return insert(l, e, "open", 0, err);
	case LEDGER_REFUSE:
		return insert(l, e, "refused", 0, err);
	case LEDGER_GENERATION:
		return update_generation(l, e, err);
	case LEDGER_SETTLE:
		return update_settled(l, e, err);
	case LEDGER_RECONCILED:
		return update_reconciled(l, e, err);
	case LEDGER_COUNT:
		sqlite3_bind_int64(l->stmt[STMT_REFUSALS], 1, e->id);
		sqlite3_bind_int64(l->stmt[STMT_REFUSALS], 2, e->count);
		return run(l, l->stmt[STMT_REFUSALS], err, "count refusals");
	}
	return ora_error_set(err, "ledger: unknown write %d", (int)what);
}

int
ledger_note_folded(struct ledger_sqlite *l, uint64_t seq, struct ora_error *err)
{
	sqlite3_bind_int64(l->stmt[STMT_FOLDED], 1, (int64_t)seq);
	return run(l, l->stmt[STMT_FOLDED], err, "note the log position");
}

/* The text columns whose content a caller, or the upstream, chooses. */
static const size_t bounded_strings[] = {
	offsetof(struct ora_ledger_entry, model_requested),
	offsetof(struct ora_ledger_entry, models_requested),
	offsetof(struct ora_ledger_entry, model_served),
	offsetof(struct ora_ledger_entry, provider),
	offsetof(struct ora_ledger_entry, generation_id),
	offsetof(struct ora_ledger_entry, cost_text),
	offsetof(struct ora_ledger_entry, outcome),
	offsetof(struct ora_ledger_entry, reason),
	offsetof(struct ora_ledger_entry, client_exe),
};
#define BOUNDED_STRINGS (sizeof(bounded_strings) / sizeof(bounded_strings[0]))

/* Point every long string of e at a copy cut to ORA_LEDGER_TEXT_MAX bytes,
 * at the start of a UTF-8 character, in cut[i]. */
static void
bound_strings(struct ora_ledger_entry *e, char cut[][ORA_LEDGER_TEXT_MAX + 1])
{
	for (size_t i = 0; i < BOUNDED_STRINGS; i++) {
		const char **f = (const char **)(void *)((char *)e + bounded_strings[i]);
		size_t n = ORA_LEDGER_TEXT_MAX;

		if (*f == NULL || strnlen(*f, n + 1) <= n)
			continue;
		while (n > 0 && ((unsigned char)(*f)[n] & 0xc0) == 0x80)
			n--;
		memcpy(cut[i], *f, n);
		cut[i][n] = '\0';
		*f = cut[i];
	}
}

/* One write: into the intent log (the broker), or straight into the batch
 * (oractl and tools). */
static int
write_entry(struct ledger_sqlite *l, enum ledger_write what, struct ora_ledger_entry *e,
    struct ora_error *err)
{
	char cut[BOUNDED_STRINGS][ORA_LEDGER_TEXT_MAX + 1];
	struct ora_ledger_entry bounded = *e;
	int r;

	if (l->mode == ORA_LEDGER_READ_ONLY)
		return ora_error_set(err, "ledger: %s is open read-only", l->path);
	bound_strings(&bounded, cut);
	if (l->log == NULL) {
		r = ledger_apply(l, what, &bounded, err);
		e->id = bounded.id;
		return r;
	}
	if (what == LEDGER_ADMIT || what == LEDGER_REFUSE)
		e->id = bounded.id = l->next_id;
	if (ledger_log_write(l, what, &bounded, err) != 0)
		return -1;
	if (what == LEDGER_ADMIT || what == LEDGER_REFUSE)
		l->next_id++;
	return 0;
}

static int
ledger_sqlite_admit(struct ledger_sqlite *l, struct ora_ledger_entry *e, struct ora_error *err)
{
	e->settled_ms = 0;
	e->id = 0;
	return write_entry(l, LEDGER_ADMIT, e, err);
}

/* How often the free space is looked at (a statvfs), at most. */
#define LEDGER_SPACE_CHECK_MS 1000
/* Buckets for counting refusals: a uid and reason whose bucket another
 * takes has its count written first, then starts afresh. */
#define LEDGER_REFUSAL_BUCKETS 256
#define LEDGER_MINUTE_MS 60000

struct ledger_refusal_bucket {
	int used;
	uint32_t uid;
	int64_t minute;
	char outcome[48];
	uint32_t seen;       /* refusals this minute */
	int64_t row;         /* the row that counts the rest, 0: none yet */
	int64_t count;       /* refusals that row stands for */
	int64_t written;     /* the count last written */
};

struct ledger_refusals {
	struct ledger_refusal_bucket b[LEDGER_REFUSAL_BUCKETS];
};

/* Write the count of b's row if it changed. */
static int
write_count(struct ledger_sqlite *l, struct ledger_refusal_bucket *b, struct ora_error *err)
{
	struct ora_ledger_entry e = { .id = b->row, .count = b->count };

	if (b->row == 0 || b->count == b->written)
		return 0;
	if (write_entry(l, LEDGER_COUNT, &e, err) != 0)
		return -1;
	b->written = b->count;
	return 0;
}

static int
write_counts(struct ledger_sqlite *l, struct ora_error *err)
{
	if (l->refusals == NULL || !l->refusals_dirty)
		return 0;
	for (size_t i = 0; i < LEDGER_REFUSAL_BUCKETS; i++)
		if (write_count(l, &l->refusals->b[i], err) != 0)
			return -1;
	l->refusals_dirty = 0;
	return 0;
}

/* Free space on the ledger's filesystem, looked at once a second: says so
 * once when it falls below ORA_LEDGER_MIN_FREE_BYTES, and once when it is
 * back. */
static void
check_space(struct ledger_sqlite *l, int64_t now_ms)
{
	struct statvfs st;
	long long avail;

	if (now_ms - l->space_checked_ms < LEDGER_SPACE_CHECK_MS && l->space_checked_ms != 0)
		return;
	l->space_checked_ms = now_ms;
	if (statvfs(l->path, &st) != 0)
		return;
	avail = (long long)st.f_bavail * (long long)st.f_frsize;
	if (!l->low_space && avail < ORA_LEDGER_MIN_FREE_BYTES) {
		l->low_space = 1;
		ora_log_error("ledger: ALERT: only %lld MiB free for %s (less than %lld MiB): refusals "
		              "are now only counted, one row per user, reason and minute; free some "
		              "space",
		    avail >> 20, l->path, ORA_LEDGER_MIN_FREE_BYTES >> 20);
	} else if (l->low_space && avail >= ORA_LEDGER_MIN_FREE_BYTES) {
		l->low_space = 0;
		ora_log_warning("ledger: %lld MiB free for %s again: refusals are recorded one by one "
		                "again",
		    avail >> 20, l->path);
	}
}

static struct ledger_refusal_bucket *
refusal_bucket(struct ledger_sqlite *l, const struct ora_ledger_entry *e, struct ora_error *err)
{
	const char *outcome = e->outcome != NULL ? e->outcome : "";
	int64_t minute = e->started_ms / LEDGER_MINUTE_MS;
	uint32_t h = e->uid * 2654435761u;
	struct ledger_refusal_bucket *b;

	for (const char *p = outcome; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	if (l->refusals == NULL)
		l->refusals = ora_xcalloc(1, sizeof(*l->refusals));
	b = &l->refusals->b[h % LEDGER_REFUSAL_BUCKETS];
	if (b->used && b->uid == e->uid && b->minute == minute &&
	    strncmp(b->outcome, outcome, sizeof(b->outcome)) == 0)
		return b;
	if (b->used && write_count(l, b, err) != 0)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->used = 1;
	b->uid = e->uid;
	b->minute = minute;
	snprintf(b->outcome, sizeof(b->outcome), "%s", outcome);
	return b;
}

static int
ledger_sqlite_refuse(struct ledger_sqlite *l, struct ora_ledger_entry *e, struct ora_error *err)
{
	struct ledger_refusal_bucket *b;
	uint32_t individual = ORA_LEDGER_REFUSALS_PER_MINUTE;

	if (e->settled_ms == 0)
		e->settled_ms = e->started_ms;
	e->id = 0;
	e->count = 1;
	if (l->mode == ORA_LEDGER_READ_ONLY)
		return ora_error_set(err, "ledger: %s is open read-only", l->path);
	check_space(l, e->started_ms);
	if (l->low_space)
		individual = 0;
	if ((b = refusal_bucket(l, e, err)) == NULL)
		return -1;
	if (++b->seen <= individual)
		return write_entry(l, LEDGER_REFUSE, e, err);
	if (b->row != 0) {
		/* Counted in the bucket's row; written at the next commit. */
		b->count++;
		l->refusals_dirty = 1;
		return 0;
	}
	if (write_entry(l, LEDGER_REFUSE, e, err) != 0)
		return -1;
	b->row = e->id;
	b->count = b->written = 1;
	ora_log_info("ledger: uid=%u refused %s%s more than %u times this minute; the rest of "
	             "this minute's are counted in row %lld",
	    (unsigned)e->uid, e->outcome != NULL ? "as " : "", e->outcome != NULL ? e->outcome : "",
	    individual, (long long)e->id);
	e->id = 0;
	return 0;
}

static int
ledger_sqlite_note_generation(struct ledger_sqlite *l, int64_t id, const char *generation_id,
    struct ora_error *err)
{
	struct ora_ledger_entry e = { .id = id, .generation_id = generation_id };

	return write_entry(l, LEDGER_GENERATION, &e, err);
}

static int
ledger_sqlite_settle(struct ledger_sqlite *l, const struct ora_ledger_entry *e, struct ora_error *err)
{
	struct ora_ledger_entry copy = *e;

	return write_entry(l, LEDGER_SETTLE, &copy, err);
}

static int
ledger_sqlite_reconciled(struct ledger_sqlite *l, int64_t id, ora_pico cost, const char *cost_text,
    int64_t prompt_tokens, int64_t completion_tokens, int64_t reasoning_tokens,
    const char *model, int estimated, const char *reason, struct ora_error *err)
{
	struct ora_ledger_entry e = {
		.id = id,
		.settled_ms = ora_wall_ms(),
		.cost = cost,
		.cost_text = cost_text,
		.prompt_tokens = prompt_tokens,
		.completion_tokens = completion_tokens,
		.reasoning_tokens = reasoning_tokens,
		.model_served = model,
		.estimated = estimated,
		.reason = reason,
	};

	return write_entry(l, LEDGER_RECONCILED, &e, err);
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static int
ledger_sqlite_each_unsettled(struct ledger_sqlite *l,
    void (*fn)(const struct ora_ledger_entry *e, void *arg), void *arg, struct ora_error *err)
{
	static const char sql[] =
	    "SELECT id, started_ms, state, uid, user, cost_centre, key_name, model_requested,"
	    " generation_id, stream, reserved_pico, rule_line, rule_match, role"
	    " FROM requests WHERE state IN ('open','unsettled') ORDER BY id";
	sqlite3_stmt *s;
	int rc;

	fold_before_reading(l);

	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK)
		return ledger_db_error(l, err, "list unsettled");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ora_ledger_entry e = {
			.id = sqlite3_column_int64(s, 0),
			.started_ms = sqlite3_column_int64(s, 1),
			.state = col_text(s, 2),
			.uid = (uint32_t)sqlite3_column_int64(s, 3),
			.user = col_text(s, 4),
			.cost_centre = col_text(s, 5),
			.key_name = col_text(s, 6),
			.model_requested = col_text(s, 7),
			.generation_id = col_text(s, 8),
			.stream = sqlite3_column_int(s, 9),
			.reserved = sqlite3_column_int64(s, 10),
			.rule_line = sqlite3_column_int(s, 11),
			.rule_match = col_text(s, 12),
			.role = col_text(s, 13),
		};
		fn(&e, arg);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return ledger_db_error(l, err, "list unsettled");
	return 0;
}

/* uid and user both, so the (user, started_ms) index narrows the search
 * to the user's rows. */
static int
ledger_sqlite_find_generation(struct ledger_sqlite *l, uint32_t uid, const char *user,
    const char *generation_id, void (*fn)(const struct ora_ledger_entry *e, void *arg), void *arg,
    int *found, struct ora_error *err)
{
	static const char sql[] =
	    "SELECT id, started_ms, state, model_requested, model_served, provider, prompt_tokens,"
	    " completion_tokens, reasoning_tokens, cost_pico, estimated, outcome, latency_ms,"
	    " stream, cost_centre FROM requests WHERE user = ?1 AND uid = ?2"
	    " AND generation_id = ?3 ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *s;
	int rc;

	*found = 0;
	fold_before_reading(l);
	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK)
		return ledger_db_error(l, err, "find a generation");
	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)uid);
	sqlite3_bind_text(s, 3, generation_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ora_ledger_entry e = {
			.id = sqlite3_column_int64(s, 0),
			.started_ms = sqlite3_column_int64(s, 1),
			.state = col_text(s, 2),
			.uid = uid,
			.user = user,
			.generation_id = generation_id,
			.model_requested = col_text(s, 3),
			.model_served = col_text(s, 4),
			.provider = col_text(s, 5),
			.prompt_tokens = sqlite3_column_int64(s, 6),
			.completion_tokens = sqlite3_column_int64(s, 7),
			.reasoning_tokens = sqlite3_column_int64(s, 8),
			.cost = sqlite3_column_int64(s, 9),
			.estimated = sqlite3_column_int(s, 10),
			.outcome = col_text(s, 11),
			.latency_ms = sqlite3_column_double(s, 12),
			.stream = sqlite3_column_int(s, 13),
			.cost_centre = col_text(s, 14),
		};
		*found = 1;
		fn(&e, arg);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return ledger_db_error(l, err, "find a generation");
	return 0;
}

static int
ledger_sqlite_spent(struct ledger_sqlite *l, const char *column, const char *value, int64_t since_ms,
    int64_t until_ms, ora_pico *out, struct ora_error *err)
{
	/* The column name comes from a fixed list, never from input. */
	static const char *const columns[] = { "user", "cost_centre", "key_name" };
	char sql[256];
	sqlite3_stmt *s;
	int ok_column = column == NULL;

	fold_before_reading(l);

	for (size_t i = 0; column != NULL && i < sizeof(columns) / sizeof(columns[0]); i++)
		ok_column |= strcmp(column, columns[i]) == 0;
	if (!ok_column)
		return ora_error_set(err, "ledger: no budget column %s", column);
	snprintf(sql, sizeof(sql),
	    "SELECT COALESCE(SUM(CASE WHEN state = 'settled' THEN cost_pico"
	    " WHEN state IN ('open','unsettled') THEN reserved_pico ELSE 0 END), 0)"
	    " FROM requests WHERE started_ms >= ?1 AND started_ms < ?2%s%s%s",
	    column != NULL ? " AND " : "", column != NULL ? column : "", column != NULL ? " = ?3" : "");
	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK)
		return ledger_db_error(l, err, "sum spend");
	sqlite3_bind_int64(s, 1, since_ms);
	sqlite3_bind_int64(s, 2, until_ms);
	if (column != NULL)
		bind_text(s, 3, value);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return ledger_db_error(l, err, "sum spend");
	}
	*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int
ledger_sqlite_audit(struct ledger_sqlite *l, uint32_t uid, const char *user, const char *action,
    const char *detail, struct ora_error *err)
{
	sqlite3_stmt *s = l->stmt[STMT_AUDIT];

	if (l->mode == ORA_LEDGER_READ_ONLY)
		return ora_error_set(err, "ledger: %s is open read-only", l->path);
	/* Rare, so the broker writes it straight through, after what the
	 * log holds. */
	fold_before_reading(l);
	sqlite3_bind_int64(s, 1, ora_wall_ms());
	sqlite3_bind_int64(s, 2, uid);
	bind_text(s, 3, user);
	bind_text(s, 4, action);
	bind_text(s, 5, detail);
	if (run(l, s, err, "audit") != 0)
		return -1;
	return l->log != NULL ? ledger_end_batch(l, err) : 0;
}

static int
ledger_sqlite_counts(struct ledger_sqlite *l, int64_t *rows, int64_t *unsettled, struct ora_error *err)
{
	sqlite3_stmt *s;

	fold_before_reading(l);

	if (sqlite3_prepare_v2(l->db,
	        "SELECT COUNT(*), COALESCE(SUM(state IN ('open','unsettled')), 0) FROM requests", -1, &s,
	        NULL) != SQLITE_OK)
		return ledger_db_error(l, err, "count");
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return ledger_db_error(l, err, "count");
	}
	*rows = sqlite3_column_int64(s, 0);
	*unsettled = sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	return 0;
}

/*
 * Shipping to a shared PostgreSQL ledger (ledger_pg_ship.c): every write
 * to a row raises its rev; a row whose shipped_rev is below its rev has a
 * version the shared ledger has not acknowledged yet.
 */

int
ledger_sqlite_ship_prepare(struct ledger_sqlite *l, struct ora_error *err)
{
	char *msg = NULL;

	/* Only where shipping is on: a broker alone need not keep it. */
	if (sqlite3_exec(l->db,
	        "CREATE INDEX IF NOT EXISTS requests_unshipped ON requests (id)"
	        " WHERE shipped_rev < rev",
	        NULL, NULL, &msg) != SQLITE_OK) {
		ora_error_set(err, "ledger %s: index for shipping: %s", l->path, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Each row of sql (its one parameter: max) to fn as ncols texts; ncols is
 * at most LEDGER_SHIP_COLUMNS. */
static int
ship_rows(struct ledger_sqlite *l, const char *sql, int ncols, size_t max, ledger_ship_row_fn fn,
    void *arg, const char *what, struct ora_error *err)
{
	sqlite3_stmt *s;
	const char *cols[LEDGER_SHIP_COLUMNS];
	int rc;

	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK)
		return ledger_db_error(l, err, what);
	sqlite3_bind_int64(s, 1, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < ncols; i++)
			cols[i] = (const char *)sqlite3_column_text(s, i);
		fn(arg, cols);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : ledger_db_error(l, err, what);
}

int
ledger_sqlite_unshipped(struct ledger_sqlite *l, size_t max, ledger_ship_row_fn fn, void *arg,
    struct ora_error *err)
{
	return ship_rows(l,
	    "SELECT " LEDGER_SHIP_COLUMN_LIST " FROM requests WHERE shipped_rev < rev"
	    " ORDER BY id LIMIT ?1",
	    LEDGER_SHIP_COLUMNS, max, fn, arg, "list rows to ship", err);
}

int
ledger_sqlite_mark_shipped(struct ledger_sqlite *l, const int64_t *ids, const int64_t *revs,
    size_t n, struct ora_error *err)
{
	sqlite3_stmt *s = NULL;
	int r = -1;

	if (sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return ledger_db_error(l, err, "mark rows shipped");
	if (sqlite3_prepare_v2(l->db,
	        "UPDATE requests SET shipped_rev = ?2 WHERE id = ?1 AND shipped_rev < ?2", -1, &s,
	        NULL) != SQLITE_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, revs[i]);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto out;
		sqlite3_reset(s);
	}
	r = sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
out:
	if (r != 0) {
		ledger_db_error(l, err, "mark rows shipped");
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_finalize(s);
	return r;
}

int
ledger_sqlite_count_unshipped(struct ledger_sqlite *l, int64_t *n, struct ora_error *err)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(l->db, "SELECT COUNT(*) FROM requests WHERE shipped_rev < rev", -1,
	        &s, NULL) != SQLITE_OK)
		return ledger_db_error(l, err, "count rows to ship");
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : ledger_db_error(l, err, "count rows to ship");
}

/* The audit entries after the last one the shared ledger acknowledged.
 * Audit ids only grow (nothing deletes an entry), so one number says
 * what has been shipped. */
#define AUDIT_UNSHIPPED                                                                         \
	" FROM audit WHERE id > COALESCE((SELECT CAST(value AS INTEGER) FROM meta"                 \
	" WHERE key = 'audit_shipped_id'), 0)"

int
ledger_sqlite_audit_unshipped(struct ledger_sqlite *l, size_t max, ledger_ship_row_fn fn,
    void *arg, struct ora_error *err)
{
	_Static_assert(LEDGER_SHIP_AUDIT_COLUMNS <= LEDGER_SHIP_COLUMNS, "ship_rows' columns");
	return ship_rows(l,
	    "SELECT id, time_ms, uid, user, action, detail" AUDIT_UNSHIPPED " ORDER BY id LIMIT ?1",
	    LEDGER_SHIP_AUDIT_COLUMNS, max, fn, arg, "list audit entries to ship", err);
}

int
ledger_sqlite_audit_mark_shipped(struct ledger_sqlite *l, int64_t id, struct ora_error *err)
{
	sqlite3_stmt *s;
	int rc;

	/* Never backwards: a late acknowledgement changes nothing. */
	if (sqlite3_prepare_v2(l->db,
	        "INSERT INTO meta (key, value) VALUES ('audit_shipped_id', ?1)"
	        " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
	        " WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)",
	        -1, &s, NULL) != SQLITE_OK)
		return ledger_db_error(l, err, "mark audit entries shipped");
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : ledger_db_error(l, err, "mark audit entries shipped");
}

int
ledger_sqlite_audit_count_unshipped(struct ledger_sqlite *l, int64_t *n, struct ora_error *err)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(l->db, "SELECT COUNT(*)" AUDIT_UNSHIPPED, -1, &s, NULL) != SQLITE_OK)
		return ledger_db_error(l, err, "count audit entries to ship");
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : ledger_db_error(l, err, "count audit entries to ship");
}

/*
 * The table of operations. Each takes the generic handle, which is the
 * first member of struct ledger_sqlite.
 */

static int
op_open(const struct ora_ledger_target *t, enum ora_ledger_mode mode, struct ora_ledger **out,
    struct ora_error *err)
{
	struct ledger_sqlite *l;

	if (t->path == NULL)
		return ora_error_set(err, "ledger: the sqlite backend needs a file");
	if (ledger_sqlite_open(t->path, mode, &l, err) != 0)
		return -1;
	*out = &l->base;
	return 0;
}

static void
op_close(struct ora_ledger *l)
{
	ledger_sqlite_close(ledger_sqlite_of(l));
}

static int
op_commit(struct ora_ledger *l, struct ora_error *err)
{
	return ledger_sqlite_commit(ledger_sqlite_of(l), err);
}

static int
op_dirty(const struct ora_ledger *l)
{
	return ledger_sqlite_dirty(ledger_sqlite_const(l));
}

static int
op_fold_due(const struct ora_ledger *l)
{
	return ledger_sqlite_fold_due(ledger_sqlite_const(l));
}

static uint64_t
op_pending(const struct ora_ledger *l)
{
	return ledger_sqlite_pending(ledger_sqlite_const(l));
}

static int
op_admit(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err)
{
	return ledger_sqlite_admit(ledger_sqlite_of(l), e, err);
}

static int
op_note_generation(
    struct ora_ledger *l, int64_t id, const char *generation_id, struct ora_error *err)
{
	return ledger_sqlite_note_generation(ledger_sqlite_of(l), id, generation_id, err);
}

static int
op_settle(struct ora_ledger *l, const struct ora_ledger_entry *e, struct ora_error *err)
{
	return ledger_sqlite_settle(ledger_sqlite_of(l), e, err);
}

static int
op_reconciled(struct ora_ledger *l, int64_t id, ora_pico cost, const char *cost_text,
    int64_t prompt_tokens, int64_t completion_tokens, int64_t reasoning_tokens,
    const char *model, int estimated, const char *reason, struct ora_error *err)
{
	return ledger_sqlite_reconciled(ledger_sqlite_of(l), id, cost, cost_text, prompt_tokens,
	    completion_tokens, reasoning_tokens, model, estimated, reason, err);
}

static int
op_refuse(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err)
{
	return ledger_sqlite_refuse(ledger_sqlite_of(l), e, err);
}

static int
op_audit(struct ora_ledger *l, uint32_t uid, const char *user, const char *action,
    const char *detail, struct ora_error *err)
{
	return ledger_sqlite_audit(ledger_sqlite_of(l), uid, user, action, detail, err);
}

static int
op_each_unsettled(struct ora_ledger *l, void (*fn)(const struct ora_ledger_entry *e, void *arg),
    void *arg, struct ora_error *err)
{
	return ledger_sqlite_each_unsettled(ledger_sqlite_of(l), fn, arg, err);
}

static int
op_find_generation(struct ora_ledger *l, uint32_t uid, const char *user,
    const char *generation_id, void (*fn)(const struct ora_ledger_entry *e, void *arg), void *arg,
    int *found, struct ora_error *err)
{
	return ledger_sqlite_find_generation(
	    ledger_sqlite_of(l), uid, user, generation_id, fn, arg, found, err);
}

static int
op_spent(struct ora_ledger *l, const char *column, const char *value, int64_t since_ms,
    int64_t until_ms, ora_pico *out, struct ora_error *err)
{
	return ledger_sqlite_spent(
	    ledger_sqlite_of(l), column, value, since_ms, until_ms, out, err);
}

static int
op_unfolded(struct ora_ledger *l, uint64_t *writes, struct ora_error *err)
{
	return ledger_sqlite_unfolded(ledger_sqlite_of(l), writes, err);
}

static int
op_schema_version(struct ora_ledger *l, int *version, struct ora_error *err)
{
	return ledger_sqlite_schema_version(ledger_sqlite_of(l), version, err);
}

static int
op_prune(struct ora_ledger *l, int64_t before_ms, uint32_t uid, int64_t *rows, ora_pico *cost,
    int64_t *unsettled, struct ora_error *err)
{
	return ledger_sqlite_prune(
	    ledger_sqlite_of(l), before_ms, uid, rows, cost, unsettled, err);
}

static int
op_counts(struct ora_ledger *l, int64_t *rows, int64_t *unsettled, struct ora_error *err)
{
	return ledger_sqlite_counts(ledger_sqlite_of(l), rows, unsettled, err);
}

const struct ledger_backend ledger_sqlite_backend = {
	.name = "sqlite",
	.open = op_open,
	.close = op_close,
	.commit = op_commit,
	.dirty = op_dirty,
	.fold_due = op_fold_due,
	.pending = op_pending,
	.admit = op_admit,
	.note_generation = op_note_generation,
	.settle = op_settle,
	.reconciled = op_reconciled,
	.refuse = op_refuse,
	.audit = op_audit,
	.each_unsettled = op_each_unsettled,
	.find_generation = op_find_generation,
	.spent = op_spent,
	.unfolded = op_unfolded,
	.schema_version = op_schema_version,
	.prune = op_prune,
	.prune_preview = ledger_sqlite_prune_preview,
	.counts = op_counts,
	.read_begin = ledger_sqlite_read_begin,
	.read_end = ledger_sqlite_read_end,
	.extent = ledger_sqlite_extent,
	.report = ledger_sqlite_report,
	.audit_each = ledger_sqlite_audit_each,
};

int
ora_ledger_replay(struct ora_ledger *l, struct ora_ledger_log *log, struct ora_error *err)
{
	if (l->be != &ledger_sqlite_backend)
		return ora_error_set(err, "ledger: only a sqlite ledger replays an intent log");
	return ledger_sqlite_replay(ledger_sqlite_of(l), log, err);
}
