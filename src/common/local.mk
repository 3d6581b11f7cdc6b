# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Shared by every program: logging, bounded buffers, JSON error bodies.
# src/config and src/keys add their files to the same library.
noinst_LIBRARIES += libora_common.a
libora_common_a_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(SODIUM_CFLAGS) $(JSONC_CFLAGS) \
	$(SQLITE_CFLAGS) $(LIBPQ_CFLAGS)
libora_common_a_SOURCES = \
	src/common/log.c src/common/log.h \
	src/common/util.c src/common/util.h

# Members of a large JSON object found without building it (issue 17).
libora_common_a_SOURCES += src/common/json_scan.c src/common/json_scan.h

# The one server-sent event reader of orad and libora-client (libora-client
# compiles it in: src/client/local.mk).
libora_common_a_SOURCES += src/common/sse.c src/common/sse.h

check_PROGRAMS += tests/unit/check_sse
TESTS += tests/unit/check_sse
tests_unit_check_sse_SOURCES = tests/unit/check_main.c tests/unit/check_sse.c src/orad/usage.c
tests_unit_check_sse_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_sse_LDADD = $(CHECK_LIBS_ALL)

check_PROGRAMS += tests/unit/check_log
TESTS += tests/unit/check_log
tests_unit_check_log_SOURCES = tests/unit/check_main.c tests/unit/check_log.c
tests_unit_check_log_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_log_LDADD = $(CHECK_LIBS_ALL)

check_PROGRAMS += tests/unit/check_json_scan
TESTS += tests/unit/check_json_scan
tests_unit_check_json_scan_SOURCES = tests/unit/check_main.c tests/unit/check_json_scan.c
tests_unit_check_json_scan_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_json_scan_LDADD = $(CHECK_LIBS_ALL)
