# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# libora-client: the C client of the broker, a shared library with a
# versioned soname. Only ora_* symbols are exported; the internal oc_* ones
# are reached by the unit test, which compiles the sources in directly.
lib_LTLIBRARIES += libora-client.la
orainclude_HEADERS += include/ora/client.h
pkgconfig_DATA += src/client/ora-client.pc
EXTRA_DIST += src/client/ora-client.pc.in
man_MANS += doc/libora-client.3

ORA_CLIENT_SOURCES = \
	src/client/buf.c src/client/buf.h \
	src/client/chat.c \
	src/client/client.c \
	src/client/classify.c src/client/classify.h \
	src/client/generation.c \
	src/client/info.c \
	src/client/internal.h \
	src/client/json.c src/client/json.h \
	src/client/reply.c \
	src/client/request.c \
	src/client/sse.c src/client/sse.h \
	src/common/sse.c src/common/sse.h \
	src/client/stream.c src/client/stream.h \
	src/client/transport.c
# No libcurl: the library speaks the little HTTP it needs itself
# (transport.c says why).
ORA_CLIENT_DEPS_CFLAGS = $(JSONC_CFLAGS)
ORA_CLIENT_DEPS_LIBS = $(JSONC_LIBS)

libora_client_la_SOURCES = $(ORA_CLIENT_SOURCES)
libora_client_la_CFLAGS = $(AM_CFLAGS) $(ORA_CLIENT_DEPS_CFLAGS)
libora_client_la_LIBADD = $(ORA_CLIENT_DEPS_LIBS)
libora_client_la_LDFLAGS = $(AM_LDFLAGS) -version-info 1:0:1 -export-symbols-regex '^ora_' \
	-no-undefined

check_PROGRAMS += tests/unit/check_client
TESTS += tests/unit/check_client
tests_unit_check_client_SOURCES = $(ORA_CLIENT_SOURCES) \
	tests/unit/check_client.c tests/unit/check_client.h tests/unit/check_client_net.c \
	tests/unit/check_client_http.c \
	tests/unit/check_client_parse.c tests/unit/check_client_responder.c
tests_unit_check_client_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(ORA_CLIENT_DEPS_CFLAGS)
tests_unit_check_client_LDADD = $(CHECK_LIBS) $(ORA_CLIENT_DEPS_LIBS)

# The example shows the library as an application uses it: built by make
# check so it keeps compiling as the API moves.
check_PROGRAMS += examples/ora-example
examples_ora_example_SOURCES = examples/ora-example.c
examples_ora_example_LDADD = libora-client.la
