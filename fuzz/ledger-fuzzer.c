/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger-fuzzer.c: the replay of the ledger's intent log (src/ledger), as a
 * broker starting after a crash replays what the dead one left: the chain
 * scan (headers, sequence numbers, checksums), the decoding of each record
 * and the fold of its write into SQLite.
 *
 * The first byte of an input chooses its form:
 *  - odd: the rest is a raw log image, torn and stale records included;
 *  - even: the rest is a list of records, each a type byte, a 16-bit
 *    little-endian length and that many payload bytes, written through the
 *    log's own encoder (so they pass the chain checks and reach the
 *    decoder); the second byte is the sequence number the database says
 *    it folded last, so that some records count as folded already.
 * Seeds (fuzz/corpus/ledger) hold records a real ledger wrote.
 *
 * The database is one SQLite file under /dev/shm (or TMPDIR), opened once per
 * process and emptied before each input: opening a database per input would
 * cost more than the replay.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "fuzz/fuzz.h"
#include "ledger/ledger.h"
#include "ledger/ledger_log.h"
#include "ledger/ledger_sqlite.h"

#define LEDGER_FUZZ_LOG_BYTES (64u * 1024) /* the log of one input; a real one is 4 MiB */

static struct ora_ledger *ledger;
static char db_path[256];

static void
remove_db(void)
{
	char p[300];

	ora_ledger_close(ledger);
	ledger = NULL;
	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ora_error err;
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	/* A replay warns of what it replays, and a fuzzed log is one warning
	 * after another. */
	ora_log_set_level(ORA_LOG_ERROR);
	snprintf(db_path, sizeof(db_path), "%s/ora-ledger-fuzz-%ld.db", dir ? dir : "/tmp",
	    (long)getpid());
	if (ora_ledger_open(db_path, ORA_LEDGER_READ_WRITE, &ledger, &err) != 0) {
		fprintf(stderr, "ledger-fuzzer: %s\n", err.msg);
		abort();
	}
	/* Nothing here needs to survive a power cut. */
	sqlite3_exec(ora_ledger_sqlite_db(ledger), "PRAGMA synchronous=OFF", NULL, NULL, NULL);
	atexit(remove_db);
	return 0;
}

/* Empty the ledger, then say it folded the log up to seq. */
static void
reset_db(uint64_t folded)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
	    "DELETE FROM requests; DELETE FROM audit; DELETE FROM meta WHERE key = "
	    "'log_folded_seq'; INSERT INTO meta VALUES ('log_folded_seq', %llu);",
	    (unsigned long long)folded);
	if (sqlite3_exec(ora_ledger_sqlite_db(ledger), sql, NULL, NULL, NULL) != SQLITE_OK)
		abort();
}

/* Encode the records of data into log; the rest of an input that is too
 * short for its stated length is the last payload. */
static void
write_records(struct ora_ledger_log *log, const uint8_t *data, size_t size)
{
	while (size >= 3) {
		uint32_t type = data[0];
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;
		void *p;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if ((p = ora_ledger_log_reserve(log, len, ora_ledger_log_capacity(log))) == NULL)
			return;
		memcpy(p, data, len);
		ora_ledger_log_append(log, type, len);
		data += len;
		size -= len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ora_ledger_log *log;
	struct ora_error err;

	if (ledger == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 2)
		return 0;
	if (data[0] & 1) {
		reset_db(0);
		ora_ledger_log_open_image(data + 1, size - 1, 0, &log);
	} else {
		reset_db(data[1]);
		ora_ledger_log_open_image(NULL, 0, LEDGER_FUZZ_LOG_BYTES, &log);
		write_records(log, data + 2, size - 2);
	}
	ora_ledger_replay(ledger, log, &err);
	ora_ledger_log_close(log);
	return 0;
}
