# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# orask: ask a model from the shell, through the broker.
bin_PROGRAMS += orask
ORASK_HISTORY_SOURCES = src/orask/history.c src/orask/history.h src/orask/history_files.c \
	src/orask/history_import.c src/orask/history_pending.c src/orask/history_internal.h \
	src/orask/history_sqlite.c src/orask/history_sqlite.h
orask_SOURCES = src/orask/orask.c src/orask/orask.h src/orask/ask.c src/orask/info.c \
	src/orask/input.c src/orask/command.c src/orask/command.h src/orask/memory.c \
	src/orask/conversations.c src/orask/costs.c src/orask/utf8.c src/orask/settings.c src/orask/settings.h \
	src/orask/settings_libconfig.c src/orask/settings_libconfig.h \
	src/orask/chat.c src/orask/markdown.c src/orask/markdown.h \
	src/orask/markdown_cmark.c src/orask/markdown_cmark.h \
	$(ORASK_HISTORY_SOURCES) $(ORA_CLIENT_SOURCES)
# libedit, SQLite, cmark and libconfig are dlopen()ed (chat.c,
# history_sqlite.c, markdown_cmark.c, settings_libconfig.c) when needed:
# only their headers are needed at build time.
# libora-client is compiled in (its sources, as the unit test does): one
# shared library fewer to find, map and relocate at every start. The shared
# library is still built and installed for other programs, and the example
# and the third-party tests use it.
orask_LDADD = libora_common.a $(JSONC_LIBS)
orask_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(SQLITE_CFLAGS) $(LIBCONFIG_CFLAGS) \
	$(LIBEDIT_CFLAGS) $(CMARK_CFLAGS)
man_MANS += doc/orask.1

# Shell completions for orask and oractl (kept together: one format each).
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = contrib/bash-completion/orask contrib/bash-completion/oractl
zshcompletiondir = $(datadir)/zsh/site-functions
dist_zshcompletion_DATA = contrib/zsh-completion/_orask contrib/zsh-completion/_oractl
fishcompletiondir = $(datadir)/fish/vendor_completions.d
dist_fishcompletion_DATA = contrib/fish-completion/orask.fish contrib/fish-completion/oractl.fish

# End to end through real orad and the mock upstream (tests/integration):
# orask, and third-party clients (curl, httpx) on the same socket.
TESTS += tests/integration/test_client_orask.sh tests/integration/test_client_orask_more.sh \
	tests/integration/test_client_orask_chat.sh \
	tests/integration/test_client_thirdparty.sh
EXTRA_DIST += tests/integration/test_client_orask.sh tests/integration/test_client_orask_more.sh \
	tests/integration/test_client_orask_chat.sh \
	tests/integration/test_client_thirdparty.sh

# The conversation history on a real file system (modes, refusals, search,
# the import of an older orask's files, two writers).
check_PROGRAMS += tests/unit/check_client_history tests/unit/check_orask_command
TESTS += tests/unit/check_client_history tests/unit/check_orask_command
tests_unit_check_client_history_SOURCES = tests/unit/check_client_history.c \
	$(ORASK_HISTORY_SOURCES)
tests_unit_check_client_history_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	$(SQLITE_CFLAGS)
tests_unit_check_client_history_LDADD = libora_common.a $(CHECK_LIBS) $(JSONC_LIBS) \
	$(SQLITE_LIBS) $(LIBPQ_LIBS)

# Commands told from questions, and the UTF-8 check: pure functions.
tests_unit_check_orask_command_SOURCES = tests/unit/check_orask_command.c \
	src/orask/command.c src/orask/command.h src/orask/utf8.c $(ORASK_HISTORY_SOURCES)
tests_unit_check_orask_command_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	$(SQLITE_CFLAGS)
tests_unit_check_orask_command_LDADD = libora_common.a $(CHECK_LIBS) $(JSONC_LIBS) \
	$(SQLITE_LIBS) $(LIBPQ_LIBS)

# Markdown rendering, checked against expected terminal output.
check_PROGRAMS += tests/unit/check_orask_markdown
TESTS += tests/unit/check_orask_markdown
tests_unit_check_orask_markdown_SOURCES = tests/unit/check_orask_markdown.c \
	src/orask/markdown.c src/orask/markdown.h src/orask/markdown_cmark.c \
	src/orask/markdown_cmark.h
tests_unit_check_orask_markdown_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CMARK_CFLAGS)
tests_unit_check_orask_markdown_LDADD = libora_common.a $(CHECK_LIBS)

# orask.conf: settings, templates and the mistakes people make in them.
check_PROGRAMS += tests/unit/check_orask_settings
TESTS += tests/unit/check_orask_settings
tests_unit_check_orask_settings_SOURCES = tests/unit/check_orask_settings.c \
	src/orask/settings.c src/orask/settings.h src/orask/settings_libconfig.c \
	src/orask/settings_libconfig.h
tests_unit_check_orask_settings_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBCONFIG_CFLAGS)
tests_unit_check_orask_settings_LDADD = libora_common.a $(CHECK_LIBS)
