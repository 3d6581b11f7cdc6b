# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Upstream keys sealed under the master key (keystore, keyring), secrets in
# locked memory (secret), and checked, atomic access to files (secfile).
libora_common_a_SOURCES += \
	src/keys/keystore.c src/keys/keystore.h \
	src/keys/keyring.c \
	src/keys/secret.c src/keys/secret.h \
	src/keys/secfile.c src/keys/secfile.h

check_PROGRAMS += tests/unit/check_keystore
TESTS += tests/unit/check_keystore
tests_unit_check_keystore_SOURCES = tests/unit/check_keystore.c
tests_unit_check_keystore_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_keystore_LDADD = $(CHECK_LIBS_ALL)
