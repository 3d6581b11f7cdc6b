/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * journal.h: when the ledger's writes reach SQLite.
 *
 * Every ledger write is durable the moment it is made (the ledger's intent
 * log, see ledger/ledger_log.h), so nothing waits for a commit: a request
 * goes upstream as soon as its row is written. The journal folds the writes
 * into SQLite, where other processes see them, in one transaction each
 * time: by count, at the first idle moment once JOURNAL_IDLE_WRITES wait
 * or at once when JOURNAL_BUSY_WRITES do, and by time, at most
 * JOURNAL_FOLD_MS after the first of them (readers in orad, and oractl
 * report through orad, fold first and see every write made so far).
 */
#ifndef ORAD_JOURNAL_H
#define ORAD_JOURNAL_H

struct orad;

int journal_init(struct orad *d);
void journal_free(struct orad *d);

/* A ledger write happened: fold it, with whatever else waits, at the first
 * moment when the loop has nothing else to do (then the fold delays
 * nobody) once JOURNAL_IDLE_WRITES writes wait; at once, idle or not, when
 * JOURNAL_BUSY_WRITES do (a loop that is never idle then folds some 250
 * requests at a time, as the 25 ms of a timer did at saturation); and
 * after JOURNAL_FOLD_MS
 * whatever the count. A fold costs a fifth of a request (its commit,
 * ~50,000 instructions, a wake-up and ~20 system calls) plus ~25,000 a row:
 * folding by time alone, every 20-25 ms, a broker at 200 requests/s folded
 * every 4 requests and at 20 requests/s after each one (issue 17). A fold
 * holds the loop for its length (~1 ms for JOURNAL_IDLE_WRITES, some 30
 * requests, on a busy 2-core machine): a request that comes meanwhile
 * waits, so larger batches would save little CPU and cost latency. The bound by time is what a direct reader of ledger.db
 * (sqlite3, oractl backup) may lag behind, and the refusal counts (not
 * logged, see ora_ledger_refuse()) a kill -9 may lose. */
#define JOURNAL_IDLE_WRITES 64
#define JOURNAL_BUSY_WRITES 512
#define JOURNAL_FOLD_MS 1000
/* While the database cannot be written, how often to try again. */
#define JOURNAL_RETRY_S 1
void journal_touch(struct orad *d);

/* The event priorities: orad's events have the middle one (libevent's
 * default with three), the idle fold the lowest. */
#define ORAD_PRIORITIES 3
#define ORAD_PRIORITY_IDLE 2

/* Fold now (shutdown). */
void journal_flush(struct orad *d);

#endif
