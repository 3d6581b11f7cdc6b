# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# The ledger: an interface (ledger.c) over backends: SQLite, shared by orad
# (writes) and oractl (reports), and PostgreSQL, shared by many hosts.
libora_common_a_SOURCES += src/ledger/ledger.c src/ledger/ledger.h \
	src/ledger/ledger_backend.h \
	src/ledger/ledger_internal.h \
	src/ledger/ledger_sqlite.c src/ledger/ledger_sqlite.h \
	src/ledger/ledger_sqlite_query.c \
	src/ledger/ledger_ship.h src/ledger/ledger_pg_budget.h \
	src/ledger/ledger_fold.c \
	src/ledger/ledger_maint.c \
	src/ledger/ledger_log.c src/ledger/ledger_log.h
EXTRA_DIST += src/ledger/ledger_pg.c src/ledger/ledger_pg.h src/ledger/ledger_pg_schema.c \
	src/ledger/ledger_pg_query.c src/ledger/ledger_pg_ship.c src/ledger/ledger_pg_budget.c \
	src/ledger/ledger_pg_usage.c src/ledger/ledger_pg_usage.h \
	src/ledger/ledger_pg_allow.c src/ledger/ledger_pg_allow.h
if HAVE_LIBPQ
libora_common_a_SOURCES += src/ledger/ledger_pg.c src/ledger/ledger_pg.h \
	src/ledger/ledger_pg_schema.c src/ledger/ledger_pg_query.c \
	src/ledger/ledger_pg_ship.c src/ledger/ledger_pg_budget.c \
	src/ledger/ledger_pg_usage.c src/ledger/ledger_pg_usage.h \
	src/ledger/ledger_pg_allow.c src/ledger/ledger_pg_allow.h
endif

if HAVE_LIBPQ
# The allowance's holds while the shared ledger is away: limits, the file
# across a restart, batches and their delivery.
check_PROGRAMS += tests/unit/check_pg_allow
TESTS += tests/unit/check_pg_allow
tests_unit_check_pg_allow_SOURCES = tests/unit/check_main.c tests/unit/check_pg_allow.c
tests_unit_check_pg_allow_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_pg_allow_LDADD = $(CHECK_LIBS_ALL)
endif
EXTRA_DIST += tests/unit/check_pg_allow.c

# The ledger's modes, the intent log's crash replay and limits, and the
# checkpointer; children of the tests play brokers killed with -9.
check_PROGRAMS += tests/unit/check_ledger
TESTS += tests/unit/check_ledger
tests_unit_check_ledger_SOURCES = tests/unit/check_main.c tests/unit/check_ledger.c
tests_unit_check_ledger_CFLAGS = $(CHECK_CFLAGS_ALL) $(SQLITE_CFLAGS)
tests_unit_check_ledger_LDADD = $(CHECK_LIBS_ALL)

# The PostgreSQL ledger against a real server started by the test.
TESTS += tests/integration/test_ledger_pg.sh tests/integration/test_ledger_pg_orad.sh \
	tests/integration/test_ledger_pg_budget.sh
EXTRA_DIST += tests/integration/test_ledger_pg.sh tests/integration/lib_pg.sh \
	tests/integration/test_ledger_pg_orad.sh tests/integration/test_ledger_pg_budget.sh \
	tests/integration/data/ledger-pg-v1.sql
