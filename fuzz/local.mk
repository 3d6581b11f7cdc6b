# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Fuzz targets (fuzz/README.md). With --enable-fuzzing each is a libFuzzer
# binary built by make; without, make check builds it with the replay main()
# of fuzz/replay.c. Either way make check runs it over its seed corpus,
# fuzz/corpus/NAME/ (fuzz/corpus.sh).
#
# A new target NAME is fuzz/NAME-fuzzer.c, a directory fuzz/corpus/NAME/ of
# seeds, and three lines here (what it links goes in LDADD):
#   FUZZ_TARGETS += fuzz/NAME-fuzzer
#   fuzz_NAME_fuzzer_SOURCES = fuzz/NAME-fuzzer.c fuzz/fuzz.h $(FUZZ_MAIN)
#   fuzz_NAME_fuzzer_LDADD = $(FUZZ_LIBS)
FUZZ_TARGETS =
FUZZ_LIBS = libora_common.a $(LIBCONFIG_LIBS) $(SODIUM_LIBS) $(JSONC_LIBS) $(SQLITE_LIBS) $(LIBPQ_LIBS) \
	$(FUZZ_ENGINE)
if ORA_FUZZING
FUZZ_MAIN =
else
FUZZ_MAIN = fuzz/replay.c
endif

# The upstream's answers and stream events, as orad reads them (usage.c).
FUZZ_TARGETS += fuzz/usage-fuzzer
fuzz_usage_fuzzer_SOURCES = fuzz/usage-fuzzer.c fuzz/fuzz.h $(FUZZ_MAIN) src/orad/usage.c \
	$(ORAD_USAGE_SHAPES_SOURCES)
fuzz_usage_fuzzer_LDADD = $(FUZZ_LIBS)

# The client library's HTTP response, SSE and answer parsing.
FUZZ_TARGETS += fuzz/client-fuzzer
fuzz_client_fuzzer_SOURCES = fuzz/client-fuzzer.c fuzz/fuzz.h $(FUZZ_MAIN) $(ORA_CLIENT_SOURCES)
fuzz_client_fuzzer_LDADD = $(FUZZ_LIBS)

# The ledger's intent log, replayed into SQLite as at a broker's start.
FUZZ_TARGETS += fuzz/ledger-fuzzer
fuzz_ledger_fuzzer_SOURCES = fuzz/ledger-fuzzer.c fuzz/fuzz.h $(FUZZ_MAIN)
fuzz_ledger_fuzzer_LDADD = $(FUZZ_LIBS)

# The configuration loader, on ora.conf text.
FUZZ_TARGETS += fuzz/conf-fuzzer
fuzz_conf_fuzzer_SOURCES = fuzz/conf-fuzzer.c fuzz/fuzz.h $(FUZZ_MAIN)
fuzz_conf_fuzzer_LDADD = $(FUZZ_LIBS)

# orad's HTTP request parser (src/orad/http_parse.c), in arbitrary splits.
FUZZ_TARGETS += fuzz/http_request-fuzzer
fuzz_http_request_fuzzer_SOURCES = fuzz/http_request-fuzzer.c fuzz/fuzz.h $(FUZZ_MAIN) \
	src/orad/http_parse.c src/orad/http_parse.h
fuzz_http_request_fuzzer_LDADD = $(FUZZ_LIBS)

# The same parser reading answers, in arbitrary splits, then the close.
FUZZ_TARGETS += fuzz/http_response-fuzzer
fuzz_http_response_fuzzer_SOURCES = fuzz/http_response-fuzzer.c fuzz/fuzz.h $(FUZZ_MAIN) \
	src/orad/http_parse.c src/orad/http_parse.h
fuzz_http_response_fuzzer_LDADD = $(FUZZ_LIBS)

# Admission of a chat request body (src/admit), for a fixed caller and catalog.
FUZZ_TARGETS += fuzz/admit-fuzzer
fuzz_admit_fuzzer_SOURCES = fuzz/admit-fuzzer.c fuzz/fuzz.h $(FUZZ_MAIN)
fuzz_admit_fuzzer_LDADD = $(FUZZ_LIBS)

if ORA_FUZZING
noinst_PROGRAMS += $(FUZZ_TARGETS)
else
check_PROGRAMS += $(FUZZ_TARGETS)
endif
TESTS += fuzz/corpus.sh
# What corpus.sh wrote of each target's run.
CLEANFILES += fuzz/corpus-*.out
EXTRA_DIST += fuzz/README.md fuzz/corpus fuzz/run.sh fuzz/corpus.sh fuzz/lsan.supp \
	fuzz/conf.options

# make fuzz [FUZZ_SECONDS=N] [FUZZ_RUN='usage conf']: every target (or those
# named) for FUZZ_SECONDS each; needs an --enable-fuzzing build.
FUZZ_SECONDS = 300
FUZZ_RUN =
.PHONY: fuzz
fuzz: $(FUZZ_TARGETS)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
		FUZZ_SECONDS='$(FUZZ_SECONDS)' enable_fuzzing='$(enable_fuzzing)' \
		$(SHELL) $(top_srcdir)/fuzz/run.sh $(FUZZ_RUN)
