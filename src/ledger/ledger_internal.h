/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_internal.h: what ledger.c (the SQLite side) and ledger_fold.c (the
 * intent log in front of it) share. Nothing outside src/ledger includes it.
 */
#ifndef ORA_LEDGER_INTERNAL_H
#define ORA_LEDGER_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "ledger/ledger.h"
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

struct ora_ledger {
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
	 * ora_ledger_refuse(). The broker's thread only. */
	struct ledger_refusals *refusals;
	int refusals_dirty;          /* a count not yet written */
	int low_space;               /* under LEDGER_MIN_FREE_BYTES */
	int64_t space_checked_ms;
};

/* Apply one write to SQLite, inside the current batch (opened if need be).
 * For LEDGER_ADMIT and LEDGER_REFUSE, e->id 0 lets SQLite number the row
 * and sets e->id. */
int ledger_apply(struct ora_ledger *l, enum ledger_write what, struct ora_ledger_entry *e,
    struct ora_error *err);

/* Insert a row that is complete: admitted and settled at once. */
int ledger_insert_settled(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err);

/* End the batch: COMMIT (a failed one rolls back); or ROLLBACK. */
int ledger_end_batch(struct ora_ledger *l, struct ora_error *err);
void ledger_abort_batch(struct ora_ledger *l);

/* ledger_maint.c: bring the schema of a read-write ledger to
 * ORA_LEDGER_SCHEMA_VERSION, or refuse a newer one. */
int ledger_upgrade(struct ora_ledger *l, struct ora_error *err);

/* Record folded_seq in the batch (meta 'log_folded_seq'). */
int ledger_note_folded(struct ora_ledger *l, uint64_t seq, struct ora_error *err);

/* ledger_fold.c: open the log beside the database and replay what a dead
 * broker left in it; append one write; fold every pending write into
 * SQLite in one transaction. */
int ledger_log_attach(struct ora_ledger *l, struct ora_error *err);
int ledger_log_write(struct ora_ledger *l, enum ledger_write what, const struct ora_ledger_entry *e,
    struct ora_error *err);
int ledger_fold(struct ora_ledger *l, struct ora_error *err);
void ledger_fold_free(struct ora_ledger *l);

int ledger_db_error(struct ora_ledger *l, struct ora_error *err, const char *what);

#endif
