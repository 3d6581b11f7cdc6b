# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Admission: the pure core that decides on a request body (see
# src/admit/admit.h), used by orad and driven alone by the unit tests and
# fuzz/admit-fuzzer.c.
libora_common_a_SOURCES += \
	src/admit/admit.c src/admit/admit.h src/admit/admit_internal.h \
	src/admit/admit_fields.c \
	src/admit/admit_messages.c \
	src/admit/admit_responses.c \
	src/admit/admit_model.c \
	src/admit/admit_value.c \
	src/admit/admit_json.c \
	src/admit/admit_plugins.c \
	src/admit/admit_provider.c \
	src/admit/admit_price.c \
	src/admit/admit_scrub.c

check_PROGRAMS += tests/unit/check_admit
TESTS += tests/unit/check_admit
tests_unit_check_admit_SOURCES = tests/unit/check_main.c tests/unit/check_admit.c \
	tests/unit/check_admit_policy.c tests/unit/check_admit_shapes.c tests/unit/check_admit.h
tests_unit_check_admit_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_admit_LDADD = $(CHECK_LIBS_ALL)

TESTS += tests/integration/test_admission.sh
EXTRA_DIST += tests/integration/test_admission.sh tests/unit/data/conf/admit.conf
