# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# ora-mock: a fake OpenRouter upstream for tests and benchmarks (see
# tests/mock/README.md). Not installed.
noinst_PROGRAMS += tests/mock/ora-mock
tests_mock_ora_mock_SOURCES = \
	tests/mock/mock.h \
	tests/mock/mock_main.c \
	tests/mock/mock_http.c \
	tests/mock/mock_control.c \
	tests/mock/mock_chat.c \
	tests/mock/mock_messages.c \
	tests/mock/mock_responses.c \
	tests/mock/mock_gen.c \
	tests/mock/mock_wire.c \
	tests/mock/mock_faults.c \
	tests/mock/mock_records.c \
	tests/mock/mock_keys.c \
	tests/mock/mock_catalog.c \
	tests/mock/mock_money.c \
	tests/mock/mock_map.c \
	tests/mock/mock_util.c
tests_mock_ora_mock_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS)
tests_mock_ora_mock_LDADD = $(LIBEVENT_LIBS) $(JSONC_LIBS)

TESTS += tests/mock/test_mock.sh
EXTRA_DIST += tests/mock/test_mock.sh tests/mock/README.md
