/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_sqlite.h: the SQLite backend's database handle, for the unit
 * tests and the fuzzer, which check its tables row by row. Nothing in
 * orad or oractl includes it: they use ledger.h.
 */
#ifndef ORA_LEDGER_SQLITE_H
#define ORA_LEDGER_SQLITE_H

#include "ledger/ledger.h"

/* The connection of a sqlite ledger; NULL for another backend. */
struct sqlite3 *ora_ledger_sqlite_db(struct ora_ledger *l);

#endif
