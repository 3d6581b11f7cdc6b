# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Configuration, identity and policy: parsed once into struct ora_conf,
# callers resolved from SO_PEERCRED, decisions made by pure functions.
libora_common_a_SOURCES += \
	src/config/conf.c src/config/conf.h \
	src/config/conf_internal.h \
	src/config/conf_fields.c \
	src/config/conf_parse.c \
	src/config/conf_policy.c \
	src/config/conf_validate.c \
	src/config/policy.c src/config/policy.h \
	src/config/identity.c src/config/identity.h \
	src/config/listen_addr.c src/config/listen_addr.h \
	src/config/preflight.c src/config/preflight.h

check_PROGRAMS += tests/unit/check_conf tests/unit/check_conf_errors \
	tests/unit/check_policy tests/unit/check_identity
TESTS += tests/unit/check_conf tests/unit/check_conf_errors \
	tests/unit/check_policy tests/unit/check_identity

tests_unit_check_conf_SOURCES = tests/unit/check_main.c tests/unit/check_conf.c \
	tests/unit/check_conf_util.c tests/unit/check_conf.h
tests_unit_check_conf_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_conf_LDADD = $(CHECK_LIBS_ALL)

tests_unit_check_conf_errors_SOURCES = tests/unit/check_main.c tests/unit/check_conf_errors.c \
	tests/unit/check_conf_util.c tests/unit/check_conf.h
tests_unit_check_conf_errors_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_conf_errors_LDADD = $(CHECK_LIBS_ALL)

tests_unit_check_policy_SOURCES = tests/unit/check_policy.c
tests_unit_check_policy_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_policy_LDADD = $(CHECK_LIBS_ALL)

tests_unit_check_identity_SOURCES = tests/unit/check_identity.c
tests_unit_check_identity_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_identity_LDADD = $(CHECK_LIBS_ALL)

EXTRA_DIST += tests/unit/data
man_MANS += doc/ora.conf.5

# Money and calendar periods live in src/common but are registered here,
# with their tests, by the budget work (src/common/local.mk is owned apart).
libora_common_a_SOURCES += src/common/money.c src/common/money.h \
	src/common/period.c src/common/period.h \
	src/config/conf_budget.c

check_PROGRAMS += tests/unit/check_money tests/unit/check_period
TESTS += tests/unit/check_money tests/unit/check_period

tests_unit_check_money_SOURCES = tests/unit/check_main.c tests/unit/check_money.c
tests_unit_check_money_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_money_LDADD = $(CHECK_LIBS_ALL)

tests_unit_check_period_SOURCES = tests/unit/check_main.c tests/unit/check_period.c
tests_unit_check_period_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_period_LDADD = $(CHECK_LIBS_ALL)

check_PROGRAMS += tests/unit/check_conf_budget
TESTS += tests/unit/check_conf_budget
tests_unit_check_conf_budget_SOURCES = tests/unit/check_main.c tests/unit/check_conf_budget.c \
	tests/unit/check_conf_util.c tests/unit/check_conf.h
tests_unit_check_conf_budget_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_conf_budget_LDADD = $(CHECK_LIBS_ALL)
