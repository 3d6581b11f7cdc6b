# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# orad: the broker daemon.
sbin_PROGRAMS += orad
orad_SOURCES = \
	src/orad/main.c src/orad/orad.h \
	src/orad/listen.c src/orad/listen.h \
	src/orad/privdrop.c src/orad/privdrop.h \
	src/orad/server.c src/orad/server.h \
	src/orad/http_parse.c src/orad/http_parse.h \
	src/orad/http_conn.c src/orad/http_conn.h \
	src/orad/peers.c src/orad/peers.h \
	src/orad/tcpident.c src/orad/tcpident.h \
	src/orad/whois.c src/orad/whois.h \
	src/orad/reply.c src/orad/reply.h \
	src/orad/handlers.h \
	src/orad/chat.c src/orad/exchange.c src/orad/exchange.h src/orad/relay.c \
	src/orad/settle.c src/orad/settle.h \
	src/orad/wire.c src/orad/wire.h src/orad/wire_chat.c \
	src/orad/wire_messages.c src/orad/wire_responses.c \
	src/orad/info.c \
	src/orad/admin.c src/orad/metrics.c src/orad/metrics.h \
	src/orad/usage.c src/orad/usage.h \
	src/orad/budget.c src/orad/budget.h \
	src/orad/reconcile.c src/orad/reconcile.h \
	src/orad/journal.c src/orad/journal.h \
	src/orad/catalog.c src/orad/catalog.h \
	src/orad/upstream.c src/orad/upstream.h \
	src/orad/upstream_api.h src/orad/upstream_openrouter.c \
	src/orad/sandbox.c src/orad/sandbox.h
orad_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(LIBEVENT_OPENSSL_CFLAGS) $(JSONC_CFLAGS) \
	$(SODIUM_CFLAGS) $(LIBCONFIG_CFLAGS) $(SQLITE_CFLAGS) $(LIBSECCOMP_CFLAGS)
orad_LDADD = libora_common.a $(LIBEVENT_LIBS) $(LIBEVENT_OPENSSL_LIBS) $(JSONC_LIBS) \
	$(SODIUM_LIBS) $(LIBCONFIG_LIBS) $(SQLITE_LIBS) $(LIBPQ_LIBS) $(LIBSECCOMP_LIBS)
man_MANS += doc/orad.8

# The request parser is pure (bytes in, request or refusal out), so it is
# tested without sockets.
check_PROGRAMS += tests/unit/check_http
TESTS += tests/unit/check_http
tests_unit_check_http_SOURCES = tests/unit/check_main.c tests/unit/check_http.c \
	src/orad/http_parse.c src/orad/http_parse.h
tests_unit_check_http_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_http_LDADD = $(CHECK_LIBS_ALL)

# The same parser reading answers (the upstream's, for orad's own upstream
# leg: doc/design.md, "libcurl's share").
check_PROGRAMS += tests/unit/check_http_response
TESTS += tests/unit/check_http_response
tests_unit_check_http_response_SOURCES = tests/unit/check_main.c \
	tests/unit/check_http_response.c src/orad/http_parse.c src/orad/http_parse.h
tests_unit_check_http_response_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_http_response_LDADD = $(CHECK_LIBS_ALL)

# What Anthropic Messages and Responses answers say about usage (pure,
# usage_shapes.h): in orad, its unit tests and fuzz/usage-fuzzer.c.
ORAD_USAGE_SHAPES_SOURCES = src/orad/usage_shapes.c src/orad/usage_shapes.h \
	src/orad/usage_shapes_internal.h src/orad/usage_messages.c src/orad/usage_responses.c
orad_SOURCES += $(ORAD_USAGE_SHAPES_SOURCES)
check_PROGRAMS += tests/unit/check_usage_shapes
TESTS += tests/unit/check_usage_shapes
tests_unit_check_usage_shapes_SOURCES = tests/unit/check_main.c \
	tests/unit/check_usage_shapes.c $(ORAD_USAGE_SHAPES_SOURCES)
tests_unit_check_usage_shapes_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_usage_shapes_LDADD = $(CHECK_LIBS_ALL)

# orad's own errors in Anthropic's shape, for the Messages endpoint (pure).
orad_SOURCES += src/orad/error_anthropic.c src/orad/error_anthropic.h
check_PROGRAMS += tests/unit/check_error_anthropic
TESTS += tests/unit/check_error_anthropic
tests_unit_check_error_anthropic_SOURCES = tests/unit/check_main.c \
	tests/unit/check_error_anthropic.c src/orad/error_anthropic.c src/orad/error_anthropic.h
tests_unit_check_error_anthropic_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_error_anthropic_LDADD = $(CHECK_LIBS_ALL)

check_PROGRAMS += tests/unit/check_upstream_api
TESTS += tests/unit/check_upstream_api
tests_unit_check_upstream_api_SOURCES = tests/unit/check_main.c \
	tests/unit/check_upstream_api.c src/orad/upstream_openrouter.c src/orad/upstream_api.h
tests_unit_check_upstream_api_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_upstream_api_LDADD = $(CHECK_LIBS_ALL)
