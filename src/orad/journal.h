/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * journal.h: when the ledger's writes reach SQLite.
 *
 * Every ledger write is durable the moment it is made (the ledger's intent
 * log, see ledger/ledger_log.h), so nothing waits for a commit: a request
 * goes upstream as soon as its row is written. The journal folds the writes
 * into SQLite, where reports see them, in one transaction each time, at
 * most JOURNAL_FOLD_MS after the first of them, or at once when the log
 * fills up.
 */
#ifndef ORAD_JOURNAL_H
#define ORAD_JOURNAL_H

struct orad;

int journal_init(struct orad *d);
void journal_free(struct orad *d);

/* A ledger write happened: fold it at the first moment after
 * JOURNAL_IDLE_MS when the loop has nothing else to do (then the fold
 * delays nobody), or after JOURNAL_FOLD_MS when it is never idle (a busy
 * broker then folds hundreds of writes at a time, which is what keeps the
 * ledger cheap). The earliest time caps the commits at 50 a second however
 * the requests come: a commit costs about as much as the rest of a request
 * (~60,000 instructions), and with a floor of 5 ms a broker at 200
 * requests/s committed after nearly every one of them (issue 17). */
#define JOURNAL_IDLE_MS 20
#define JOURNAL_FOLD_MS 25
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
