/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_log.h: the ledger's intent log, state_dir/ledger.db-log.
 *
 * A request must be on record before it goes upstream, and a SQLite commit
 * per request (or per turn of the event loop) costs more than the rest of
 * the broker's work on it: every commit writes whole pages to the WAL and
 * takes and drops file locks. So orad first appends each ledger write to
 * this log, a file of fixed size mapped shared into memory: once the bytes
 * are stored they belong to the kernel's page cache and outlive the process
 * (kill -9, a crash), with no system call at all. The ledger then folds the
 * log into SQLite in one transaction now and then (orad/journal.h: by
 * count, and within a second), and at the
 * next start replays whatever a dead broker left unfolded.
 *
 * A power failure can lose the last records, as it can lose SQLite's last
 * WAL frames with synchronous=NORMAL; it cannot corrupt what came before.
 *
 * Layout: records one after another from offset 0, each a 32-byte header
 * (magic, type, payload length, sequence number, checksum of all of it)
 * and its payload, padded to 8 bytes. Sequence numbers rise by one from
 * record to record and never repeat, so after the log restarts at offset 0
 * the older records behind the new ones end the chain: their numbers are
 * lower. A torn record fails its checksum and ends the chain too.
 *
 * One process at a time: the file is locked (flock) while open.
 */
#ifndef ORA_LEDGER_LOG_H
#define ORA_LEDGER_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

/* Room for some 15,000 requests between two folds. */
#define ORA_LEDGER_LOG_BYTES (4u << 20)
/* A page of the log once written stays in the process's RSS for as long as
 * the log is mapped, though the chain restarts at offset 0 at every fold.
 * A fold by count (512 writes, ~170 KB) stays below this; the log goes
 * past it only while folds wait (the checkpointer holds them, or the
 * database is away), measured at up to 0.8 MB under load here and up to
 * the whole 4 MiB when the database is away: the pages past it are given
 * back at the next restart (doc/design.md, issue 17). */
#define ORA_LEDGER_LOG_KEEP_BYTES (256u << 10)

struct ora_ledger_log;

/* Open (creating it 0600 and allocating its blocks, so that a full disk
 * fails here and not as a fault when a page is first written) and lock
 * path, and find the chain of records in it. */
int ora_ledger_log_open(
    const char *path, size_t size, struct ora_ledger_log **out, struct ora_error *err);
void ora_ledger_log_close(struct ora_ledger_log *log);

/* A log held in memory, not in a file: size bytes (or len, if more) whose
 * start is a copy of image, with its chain found as ora_ledger_log_open()
 * finds it. Nothing in it is durable or locked. For the fuzzer and tests,
 * which replay log images without touching the disk. */
int ora_ledger_log_open_image(
    const void *image, size_t len, size_t size, struct ora_ledger_log **out);

/* Fail, as ora_ledger_log_open() would, if another process holds path
 * open; succeed when it is free or does not exist. For a broker to stop
 * before it takes its socket, while it can still remove it. */
int ora_ledger_log_check_free(const char *path, struct ora_error *err);

/* Without opening it for writing: how many records of the log at path
 * number above after_seq (0 when there is no log), unless a broker holds
 * it (*in_use = 1): a broker folds them itself. For readers, who would
 * otherwise not know that a broker that stopped left writes behind. */
int ora_ledger_log_peek(const char *path, uint64_t after_seq, uint64_t *pending, int *in_use,
    struct ora_error *err);

/* Call fn for each record of the chain, in order, with a sequence number
 * above after_seq. A non-zero return from fn stops the walk and is
 * returned. */
typedef int (*ora_ledger_log_fn)(
    void *arg, uint64_t seq, uint32_t type, const void *data, size_t len);
int ora_ledger_log_each(
    const struct ora_ledger_log *log, uint64_t after_seq, ora_ledger_log_fn fn, void *arg);

/* The sequence number of the chain's last record, 0 when it is empty. */
uint64_t ora_ledger_log_last_seq(const struct ora_ledger_log *log);

/* Bytes used by the chain, and the capacity. */
size_t ora_ledger_log_used(const struct ora_ledger_log *log);
size_t ora_ledger_log_capacity(const struct ora_ledger_log *log);

/* Append a record of len bytes: ora_ledger_log_reserve() returns where to
 * write them (NULL when they do not fit below limit bytes of use), and
 * ora_ledger_log_append() seals them into the chain. Returns the new
 * record's sequence number. */
void *ora_ledger_log_reserve(struct ora_ledger_log *log, size_t len, size_t limit);
uint64_t ora_ledger_log_append(struct ora_ledger_log *log, uint32_t type, size_t len);

/* Every record is safely elsewhere: start again at offset 0, numbering
 * from next_seq (above every number this log ever held). Pages of a log
 * file past ORA_LEDGER_LOG_KEEP_BYTES that the chain reached are unmapped
 * from the process (the file keeps them; a later record maps them again). */
void ora_ledger_log_restart(struct ora_ledger_log *log, uint64_t next_seq);

/* Replay log into the ledger l (opened ORA_LEDGER_READ_WRITE) as a starting
 * broker replays what a dead one left: fold every record above the last one
 * l has folded into SQLite, in one transaction. log stays the caller's (and
 * is restarted, as after every fold). ledger_fold.c. */
struct ora_ledger;
int ora_ledger_replay(struct ora_ledger *l, struct ora_ledger_log *log, struct ora_error *err);

#endif
