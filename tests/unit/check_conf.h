/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_conf.h: helpers shared by the configuration tests (check_conf.c for
 * what a good file gives and what is warned about, check_conf_errors.c for
 * each kind of mistake).
 */
#ifndef ORA_CHECK_CONF_H
#define ORA_CHECK_CONF_H

#include <check.h>
#include <stddef.h>

#include "config/conf.h"

/* A scratch directory per test, and the file conf_load_text() writes. */
extern char conf_tmpdir[256];
extern char conf_tmpconf[300];
void conf_setup_tmp(void);
void conf_teardown_tmp(void);

/* top_srcdir/tests/unit/data/conf/NAME (a static buffer). */
char *conf_data_path(const char *name);

/* Write text to conf_tmpconf and load it. */
int conf_load_text(const char *text, struct ora_conf **conf, struct ora_diag *d);

/* Every message on its own line, for failure reports (a static buffer). */
char *conf_joined(char **msgs, size_t n);

/* Index of the message that starts with "file:line: " (or "file: " when
 * line is 0) and contains every needle (a NULL-terminated list), or -1. */
int conf_find_msg(char **msgs, size_t n, const char *file, int line, ...);

#define assert_error(d, file, line, ...)                                                           \
	ck_assert_msg(                                                                             \
	    conf_find_msg((d)->errors, (d)->n_errors, file, line, __VA_ARGS__, (char *)NULL) >= 0, \
	    "no error at %s:%d with the "                                                          \
	    "expected text; errors were:%s",                                                       \
	    file, line, conf_joined((d)->errors, (d)->n_errors))
#define assert_warning(d, file, line, ...)                                                         \
	ck_assert_msg(conf_find_msg((d)->warnings, (d)->n_warnings, file, line, __VA_ARGS__,       \
	                  (char *)NULL) >= 0,                                                      \
	    "no warning at %s:%d with the "                                                        \
	    "expected text; warnings were:%s",                                                     \
	    file, line, conf_joined((d)->warnings, (d)->n_warnings))

/* A file that must fail with exactly one error containing the needles. */
#define assert_one_error(text, line, ...)                                                          \
	do {                                                                                       \
		struct ora_diag d_ = {0};                                                          \
		struct ora_conf *c_ = (struct ora_conf *)1;                                        \
		ck_assert_int_eq(conf_load_text(text, &c_, &d_), -1);                              \
		ck_assert_ptr_null(c_);                                                            \
		assert_error(&d_, conf_tmpconf, line, __VA_ARGS__);                                \
		ck_assert_msg(d_.n_errors == 1, "expected one error, got:%s",                      \
		    conf_joined(d_.errors, d_.n_errors));                                          \
		ora_diag_clear(&d_);                                                               \
	} while (0)

/* The three sections every file needs, on lines 1-3; tests append. */
#define ROLES                                                                                      \
	"roles = { staff = { models = [ \"openai/*\" ]; "                                          \
	"default_model = \"openai/gpt-4o-mini\"; }; };\n"
#define CENTRES "cost_centres = { dev = { key = \"dev\"; }; };\n"
#define RULES                                                                                      \
	"rules = ( { everyone = true; role = \"staff\"; "                                          \
	"cost_centre = \"dev\"; } );\n"

#endif
