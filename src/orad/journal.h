/*
 * journal.h: when the ledger's writes reach SQLite.
 *
 * Every ledger write is durable the moment it is made (the ledger's intent
 * log, see ledger/ledger_log.h), so nothing waits for a commit: a request
 * goes upstream as soon as its row is written. The journal folds the writes
 * into SQLite, where reports see them, JOURNAL_FOLD_MS after the first of
 * them, or at once when the log fills up, in one transaction each time.
 */
#ifndef ORAD_JOURNAL_H
#define ORAD_JOURNAL_H

struct orad;

int journal_init(struct orad *d);
void journal_free(struct orad *d);

/* A ledger write happened: fold it within JOURNAL_FOLD_MS. Short enough
 * that a report never lags noticeably; long enough that a busy broker
 * folds hundreds of writes in each transaction. */
#define JOURNAL_FOLD_MS 10
void journal_touch(struct orad *d);

/* Fold now (shutdown). */
void journal_flush(struct orad *d);

#endif
