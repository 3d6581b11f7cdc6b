/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_internal.h: the SQLite backend's state, which ledger_sqlite.c (the
 * database), ledger_fold.c (the intent log in front of it),
 * ledger_maint.c (upgrades, backup, prune) and ledger_sqlite_query.c
 * (reports) share. Nothing outside src/ledger includes it.
 */
#ifndef ORA_LEDGER_INTERNAL_H
#define ORA_LEDGER_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "ledger/ledger.h"
#include "ledger/ledger_backend.h"
#include "ledger/ledger_log.h"

enum stmt_id {
	STMT_ADMIT,
	STMT_GENERATION,
	STMT_SETTLE,
	STMT_AUDIT,
	STMT_RECONCILED,
	STMT_FOLDED,
	STMT_REFUSALS,
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_COUNT,
};

/* The writes, as the intent log records them. */
enum ledger_write {
	LEDGER_ADMIT = 1,
	LEDGER_REFUSE,
	LEDGER_GENERATION,
	LEDGER_SETTLE,
	LEDGER_RECONCILED,
	LEDGER_COUNT, /* a collapsed refusal row's count (see ora_ledger_refuse) */
};

struct ledger_sqlite {
	struct ora_ledger base; /* first: see ledger_backend.h */
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	enum ora_ledger_mode mode;
	int in_batch;
	char *path;
	char *log_path; /* path + ORA_LEDGER_LOG_SUFFIX */
	/* ORA_LEDGER_LOGGED: writes go to the log first. */
	struct ora_ledger_log *log;
	uint64_t folded_seq;         /* the last log record that is in SQLite */
	int64_t next_id;             /* of the next request row */
	struct ledger_queued *queue; /* the fold's work, kept between folds */
	size_t queue_len, queue_cap;
	size_t *admits;
	size_t admits_cap;
	/* The checkpointer: its own connection, its own thread. */
	pthread_t checkpointer;
	int checkpointer_running;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
	int wake_now;
	/* While set (under lock), the checkpointer is restarting the WAL and
	 * the broker keeps its writes in the intent log: a fold would wait
	 * for the checkpoint's lock, and the checkpoint could never catch up
	 * with a writer that never stops. */
	int holding;
	int wal_pages_limit;         /* the WAL size that wakes the checkpointer */
	int wal_over;                /* the broker's thread only: it passed it */
	uint64_t checkpoints_full;   /* checkpoints that restarted the WAL */
	uint64_t checkpoints_busy;   /* ... that could not (a reader held it) */
	/* Refusals, counted per (uid, reason) and minute: see
	 * ledger_sqlite_refuse(). The broker's thread only. */
	struct ledger_refusals *refusals;
	int refusals_dirty;          /* a count not yet written */
	int low_space;               /* under LEDGER_MIN_FREE_BYTES */
	int64_t space_checked_ms;
};

/* Apply one write to SQLite, inside the current batch (opened if need be).
 * For LEDGER_ADMIT and LEDGER_REFUSE, e->id 0 lets SQLite number the row
 * and sets e->id. */
int ledger_apply(struct ledger_sqlite *l, enum ledger_write what, struct ora_ledger_entry *e,
    struct ora_error *err);

/* Insert a row that is complete: admitted and settled at once. */
int ledger_insert_settled(struct ledger_sqlite *l, struct ora_ledger_entry *e, struct ora_error *err);

/* End the batch: COMMIT (a failed one rolls back); or ROLLBACK. */
int ledger_end_batch(struct ledger_sqlite *l, struct ora_error *err);
void ledger_abort_batch(struct ledger_sqlite *l);

/* ledger_maint.c: bring the schema of a read-write ledger to
 * ORA_LEDGER_SCHEMA_VERSION, or refuse a newer one. */
int ledger_upgrade(struct ledger_sqlite *l, struct ora_error *err);

/* Record folded_seq in the batch (meta 'log_folded_seq'). */
int ledger_note_folded(struct ledger_sqlite *l, uint64_t seq, struct ora_error *err);

/* ledger_fold.c: open the log beside the database and replay what a dead
 * broker left in it; append one write; fold every pending write into
 * SQLite in one transaction. */
int ledger_log_attach(struct ledger_sqlite *l, struct ora_error *err);
int ledger_log_write(struct ledger_sqlite *l, enum ledger_write what, const struct ora_ledger_entry *e,
    struct ora_error *err);
int ledger_fold(struct ledger_sqlite *l, struct ora_error *err);
void ledger_fold_free(struct ledger_sqlite *l);

int ledger_db_error(struct ledger_sqlite *l, struct ora_error *err, const char *what);

/* The SQLite state of a ledger of this backend. */
static inline struct ledger_sqlite *
ledger_sqlite_of(struct ora_ledger *l)
{
	return (struct ledger_sqlite *)l;
}

static inline const struct ledger_sqlite *
ledger_sqlite_const(const struct ora_ledger *l)
{
	return (const struct ledger_sqlite *)l;
}

/* The operations, as ledger.h describes them, on the SQLite state. */
int ledger_sqlite_commit(struct ledger_sqlite *l, struct ora_error *err);
int ledger_sqlite_dirty(const struct ledger_sqlite *l);
uint64_t ledger_sqlite_pending(const struct ledger_sqlite *l);
int ledger_sqlite_unfolded(struct ledger_sqlite *l, uint64_t *writes, struct ora_error *err);
int ledger_sqlite_replay(
    struct ledger_sqlite *l, struct ora_ledger_log *log, struct ora_error *err);
int ledger_sqlite_schema_version(struct ledger_sqlite *l, int *version, struct ora_error *err);
int ledger_sqlite_prune(struct ledger_sqlite *l, int64_t before_ms, uint32_t uid, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err);

/* Shipping rows to a shared ledger (ledger_pg_ship.c). The columns of a
 * row as text (NULL for NULL), in the order of requests in the shared
 * schema after host: id, rev, then the columns of ledger.h. */
#define LEDGER_SHIP_COLUMN_LIST                                                                 \
	"id, rev, started_ms, settled_ms, state, uid, user, rule_line, rule_match, role,"          \
	" cost_centre, key_name, model_requested, models_requested, model_served, provider,"       \
	" generation_id, stream, prompt_tokens, completion_tokens, reasoning_tokens,"              \
	" cached_tokens, cost_pico, cost_text, reserved_pico, estimated, http_status, outcome,"    \
	" reason, latency_ms, ttfb_ms, client_pid, client_exe, count"
#define LEDGER_SHIP_COLUMNS 34
typedef void (*ledger_ship_row_fn)(void *arg, const char *const *cols);

/* Make finding unshipped rows cheap (an index only shipping needs). */
int ledger_sqlite_ship_prepare(struct ledger_sqlite *l, struct ora_error *err);
/* Call fn for up to max rows with a version not yet shipped, by id. */
int ledger_sqlite_unshipped(struct ledger_sqlite *l, size_t max, ledger_ship_row_fn fn,
    void *arg, struct ora_error *err);
/* The shared ledger has rows ids[i] at version revs[i]: one transaction. */
int ledger_sqlite_mark_shipped(struct ledger_sqlite *l, const int64_t *ids, const int64_t *revs,
    size_t n, struct ora_error *err);
int ledger_sqlite_count_unshipped(struct ledger_sqlite *l, int64_t *n, struct ora_error *err);
/* The broker's own audit entries (reloads), shipped by their local id:
 * meta 'audit_shipped_id' is the highest the shared ledger has. The
 * columns: id, time_ms, uid, user, action, detail. */
#define LEDGER_SHIP_AUDIT_COLUMNS 6
int ledger_sqlite_audit_unshipped(
    struct ledger_sqlite *l, size_t max, ledger_ship_row_fn fn, void *arg, struct ora_error *err);
int ledger_sqlite_audit_mark_shipped(struct ledger_sqlite *l, int64_t id, struct ora_error *err);
int ledger_sqlite_audit_count_unshipped(struct ledger_sqlite *l, int64_t *n, struct ora_error *err);

/* ledger_sqlite_query.c: the reads of reports and of the audit trail. */
int ledger_sqlite_prune_preview(struct ora_ledger *l, int64_t before_ms, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err);
int ledger_sqlite_read_begin(struct ora_ledger *l, struct ora_error *err);
void ledger_sqlite_read_end(struct ora_ledger *l);
int ledger_sqlite_extent(struct ora_ledger *l, int64_t *first_ms, int64_t *last_ms, int *empty,
    struct ora_error *err);
int ledger_sqlite_report(struct ora_ledger *l, const struct ora_ledger_report_query *q,
    ora_ledger_report_fn fn, void *arg, struct ora_error *err);
int ledger_sqlite_audit_each(struct ora_ledger *l, int64_t since_ms, ora_ledger_audit_fn fn,
    void *arg, struct ora_error *err);

#endif
