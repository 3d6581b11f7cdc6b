/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * history_sqlite.h: the SQLite functions orask's history calls, found at
 * run time.
 *
 * A plain question never opens the database (history_pending.c), yet a
 * program linked with libsqlite3 loads and relocates it at every start:
 * about 0.25 ms of CPU, a tenth of a short question's 3 ms budget. So the
 * library is dlopen()ed by the first orask_history_open() instead; the
 * files that use it include this header after <sqlite3.h>, and the calls
 * below go through the table, unchanged in the code.
 */
#ifndef ORA_ORASK_HISTORY_SQLITE_H
#define ORA_ORASK_HISTORY_SQLITE_H

#include <stddef.h>

#include <sqlite3.h>

#define ORASK_SQLITE_SONAME "libsqlite3.so.0"

#define ORASK_SQLITE_FUNCTIONS(X)                                                                  \
	X(bind_double, int, (sqlite3_stmt *, int, double))                                         \
	X(bind_int, int, (sqlite3_stmt *, int, int))                                               \
	X(bind_int64, int, (sqlite3_stmt *, int, sqlite3_int64))                                   \
	X(bind_null, int, (sqlite3_stmt *, int))                                                   \
	X(bind_parameter_count, int, (sqlite3_stmt *))                                             \
	X(bind_text, int, (sqlite3_stmt *, int, const char *, int, void (*)(void *)))              \
	X(busy_timeout, int, (sqlite3 *, int))                                                     \
	X(changes, int, (sqlite3 *))                                                               \
	X(close_v2, int, (sqlite3 *))                                                              \
	X(column_double, double, (sqlite3_stmt *, int))                                            \
	X(column_int, int, (sqlite3_stmt *, int))                                                  \
	X(column_int64, sqlite3_int64, (sqlite3_stmt *, int))                                      \
	X(column_text, const unsigned char *, (sqlite3_stmt *, int))                               \
	X(column_type, int, (sqlite3_stmt *, int))                                                 \
	X(errcode, int, (sqlite3 *))                                                               \
	X(errmsg, const char *, (sqlite3 *))                                                       \
	X(exec, int,                                                                               \
	    (sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **))    \
	X(finalize, int, (sqlite3_stmt *))                                                         \
	X(open_v2, int, (const char *, sqlite3 **, int, const char *))                             \
	X(prepare_v2, int, (sqlite3 *, const char *, int, sqlite3_stmt **, const char **))         \
	X(step, int, (sqlite3_stmt *))

#define ORASK_SQLITE_FIELD(name, ret, args) ret(*name) args;
struct orask_sqlite {
	ORASK_SQLITE_FUNCTIONS(ORASK_SQLITE_FIELD)
};
#undef ORASK_SQLITE_FIELD

extern struct orask_sqlite orask_sqlite;

/* Load the library once; -1 with a sentence in msg when it cannot be. */
int orask_sqlite_load(char *msg, size_t size);

#define sqlite3_bind_double orask_sqlite.bind_double
#define sqlite3_bind_int orask_sqlite.bind_int
#define sqlite3_bind_int64 orask_sqlite.bind_int64
#define sqlite3_bind_null orask_sqlite.bind_null
#define sqlite3_bind_parameter_count orask_sqlite.bind_parameter_count
#define sqlite3_bind_text orask_sqlite.bind_text
#define sqlite3_busy_timeout orask_sqlite.busy_timeout
#define sqlite3_changes orask_sqlite.changes
#define sqlite3_close_v2 orask_sqlite.close_v2
#define sqlite3_column_double orask_sqlite.column_double
#define sqlite3_column_int orask_sqlite.column_int
#define sqlite3_column_int64 orask_sqlite.column_int64
#define sqlite3_column_text orask_sqlite.column_text
#define sqlite3_column_type orask_sqlite.column_type
#define sqlite3_errcode orask_sqlite.errcode
#define sqlite3_errmsg orask_sqlite.errmsg
#define sqlite3_exec orask_sqlite.exec
#define sqlite3_finalize orask_sqlite.finalize
#define sqlite3_open_v2 orask_sqlite.open_v2
#define sqlite3_prepare_v2 orask_sqlite.prepare_v2
#define sqlite3_step orask_sqlite.step

#endif
