/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_ship.h: a broker's rows, copied to the shared PostgreSQL ledger.
 *
 * The broker keeps its own ledger as ever (SQLite, through its intent log:
 * a row is on record before its request goes upstream, and survives
 * kill -9). The shipper copies every new version of every row to the
 * shared database from the broker's event loop, without ever waiting on
 * it: libpq in non-blocking mode, its socket watched by libevent. A row
 * is sent as (host, id, rev, columns) and written only where the database
 * has an older rev, so a copy sent twice (the broker died before it
 * recorded that the first one arrived) or late changes nothing; once the
 * database has acknowledged a version, the broker records it in
 * shipped_rev and never sends it again. While the database is away, rows
 * wait in the local ledger and go when it is back, every one of them.
 *
 * The broker's own audit entries (reloads) go the same way, keyed by
 * (host, local id) so that one sent twice is added once; the local
 * ledger remembers the highest id the database acknowledged.
 */
#ifndef ORA_LEDGER_SHIP_H
#define ORA_LEDGER_SHIP_H

#include <stdint.h>

#include "ledger/ledger.h"

struct event_base;
struct ora_ledger_ship;

/* Start copying the rows of local (a SQLite ledger opened
 * ORA_LEDGER_LOGGED) to the database t names (t->kind
 * ORA_LEDGER_POSTGRESQL; its strings are copied). The first connection is
 * made from the loop: a database that is away fails nothing here. */
int ora_ledger_ship_new(struct event_base *base, struct ora_ledger *local,
    const struct ora_ledger_target *t, struct ora_ledger_ship **out, struct ora_error *err);
void ora_ledger_ship_free(struct ora_ledger_ship *s);

/* Rows with a version the database has not acknowledged yet (counted in
 * the local ledger now: for status, not for every request); versions
 * shipped since the start; 1 while connected. */
int64_t ora_ledger_ship_waiting(struct ora_ledger_ship *s);
uint64_t ora_ledger_ship_shipped(const struct ora_ledger_ship *s);
/* The broker's own audit entries (reloads) not yet in the shared trail,
 * counted as the rows are; -1 when the local ledger cannot say. */
int64_t ora_ledger_ship_audit_waiting(struct ora_ledger_ship *s);
int ora_ledger_ship_connected(const struct ora_ledger_ship *s);

/* What one shared budget row holds across every host, as the shipper last
 * read it (ledger_pg_usage.h: about a second old while the database is
 * reachable and the figures are asked for; as_of_ms says when). */
struct ora_ledger_shared_budget {
	ora_pico spent, reserved;
	int64_t as_of_ms;
};

/* 1 and *out for the budget row (scope, name, period_start_ms), zeros when
 * no host has reserved on it; 0 when the shipper has not read the rows
 * yet. The host name this broker's rows carry. */
int ora_ledger_ship_budget(const struct ora_ledger_ship *s, const char *scope, const char *name,
    int64_t period_start_ms, struct ora_ledger_shared_budget *out);
const char *ora_ledger_ship_host(const struct ora_ledger_ship *s);

#endif
