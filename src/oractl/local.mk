# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# oractl: the administrator's tool (state directory, master key, upstream
# keys, configuration checks, orad's admin API, the audit trail). One file
# per command; oractl.c is the table of contents.
sbin_PROGRAMS += oractl
oractl_SOURCES = \
	src/oractl/oractl.c src/oractl/oractl.h \
	src/oractl/cmd_init.c \
	src/oractl/cmd_key.c \
	src/oractl/cmd_report.c src/oractl/cmd_report.h \
	src/oractl/cmd_report_ledger.c src/oractl/cmd_report_time.c \
	src/oractl/cmd_report_out.c \
	src/oractl/cmd_check.c src/oractl/cmd_explain.c \
	src/oractl/cmd_admin.c src/oractl/cmd_key_more.c \
	src/oractl/cmd_key_provision.c src/oractl/cmd_key_limits.c \
	src/oractl/mgmt.c src/oractl/mgmt.h \
	src/oractl/cmd_audit.c src/oractl/audit.c src/oractl/audit.h \
	src/oractl/cmd_maint.c \
	src/oractl/ledger_target.c src/oractl/ledger_target.h \
	src/oractl/http.c src/oractl/http.h \
	src/oractl/prompt.c
oractl_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(SODIUM_CFLAGS) $(JSONC_CFLAGS) \
	$(LIBCURL_CFLAGS) $(SQLITE_CFLAGS)
oractl_LDADD = libora_common.a $(LIBCONFIG_LIBS) $(SODIUM_LIBS) $(JSONC_LIBS) \
	$(LIBCURL_LIBS) $(SQLITE_LIBS) $(LIBPQ_LIBS)

TESTS += tests/integration/test_oractl_keys.sh
EXTRA_DIST += tests/integration/test_oractl_keys.sh
man_MANS += doc/oractl.8

# oractl report: the billing export, tested against ledgers filled through
# the real ledger API by ledger_fill, and its calendar arithmetic alone.
check_PROGRAMS += tests/unit/ledger_fill tests/unit/check_report
tests_unit_ledger_fill_SOURCES = tests/unit/ledger_fill.c
tests_unit_ledger_fill_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_ledger_fill_LDADD = $(CHECK_LIBS_ALL)
tests_unit_check_report_SOURCES = tests/unit/check_report.c \
	src/oractl/cmd_report_time.c src/oractl/cmd_report.h
tests_unit_check_report_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_report_LDADD = $(CHECK_LIBS_ALL)
TESTS += tests/unit/check_report tests/integration/test_oractl_report.sh
EXTRA_DIST += tests/integration/test_oractl_report.sh

# check, explain, reload/status/metrics, key rotate/rm/check and audit,
# against a real orad and the mock upstream; as root also with real users
# (refusals for non-admins).
TESTS += tests/integration/test_oractl_check.sh tests/integration/test_oractl_admin.sh
EXTRA_DIST += tests/integration/test_oractl_check.sh tests/integration/test_oractl_admin.sh

# backup and prune, and the upgrade of a ledger made by the previous schema
# (tests/integration/data/ledger-v1.db).
TESTS += tests/integration/test_oractl_backup.sh
EXTRA_DIST += tests/integration/test_oractl_backup.sh
