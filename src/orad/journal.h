/*
 * journal.h: group commit of the ledger.
 *
 * Every ledger write of one turn of the event loop goes into one SQLite
 * transaction, committed once, after every callback of that turn has run.
 * A request waits for the commit that makes its row durable before it is
 * sent upstream, which costs it a fraction of one turn, not an fsync.
 */
#ifndef ORAD_JOURNAL_H
#define ORAD_JOURNAL_H

struct orad;
struct orad_exchange;

int journal_init(struct orad *d);
void journal_free(struct orad *d);

/* A ledger write happened: commit at the end of this turn. */
void journal_touch(struct orad *d);

/* A write whose durability can wait a little (a settlement: if orad dies
 * before it commits, the row is still open and is reconciled at the next
 * start): commit with the next request's admission, or within
 * JOURNAL_LAZY_MS. Halves the commits of a busy broker. */
#define JOURNAL_LAZY_MS 20
void journal_touch_soon(struct orad *d);

/* Start x (relay_committed) after the next commit. */
void journal_wait(struct orad *d, struct orad_exchange *x);

/* Write x's generation id with the next commit, unless x settles first
 * (its settlement carries the id anyway): most answers end in the same
 * turn their headers arrive, and the extra write would be wasted. */
void journal_note_generation(struct orad *d, struct orad_exchange *x);

/* x ended before the commit: take it off the waiting lists. */
void journal_forget(struct orad *d, struct orad_exchange *x);

/* Commit now (shutdown). */
void journal_flush(struct orad *d);

#endif
