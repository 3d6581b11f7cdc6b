# orask: ask a model from the shell, through the broker.
bin_PROGRAMS += orask
orask_SOURCES = src/orask/orask.c src/orask/orask.h src/orask/ask.c src/orask/info.c \
	src/orask/input.c src/orask/history.c src/orask/history.h src/orask/history_files.c \
	src/orask/history_log.c src/orask/history_internal.h
orask_LDADD = libora-client.la libora_common.a $(JSONC_LIBS)
orask_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
man_MANS += doc/orask.1

bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = contrib/bash-completion/orask

# End to end through real orad and the mock upstream (tests/integration):
# orask, and third-party clients (curl, httpx) on the same socket.
TESTS += tests/integration/test_client_orask.sh tests/integration/test_client_thirdparty.sh
EXTRA_DIST += tests/integration/test_client_orask.sh tests/integration/test_client_thirdparty.sh

# The conversation history on a real file system (modes, refusals, caps).
check_PROGRAMS += tests/unit/check_client_history
TESTS += tests/unit/check_client_history
tests_unit_check_client_history_SOURCES = tests/unit/check_client_history.c \
	src/orask/history.c src/orask/history.h src/orask/history_files.c \
	src/orask/history_log.c src/orask/history_internal.h
tests_unit_check_client_history_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS)
tests_unit_check_client_history_LDADD = libora_common.a $(CHECK_LIBS) $(JSONC_LIBS)
