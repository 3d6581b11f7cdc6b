/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_orask_settings.c: orask.conf (src/orask/settings.c): every setting
 * read, templates found by name, a missing file is no settings, and the
 * mistakes a person makes (an unknown or misspelt setting, a wrong type, a
 * value out of range, a syntax error, a file others may change) refused
 * with the file and line.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "orask/settings.h"

static char dir[64], path[128], msg[1024];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ora-settings-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/orask.conf", dir);
}

static void
teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static void
write_conf(const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(settings_read)
{
	struct orask_settings s;
	const struct orask_template *t;

	write_conf("model = \"m/x\";\nsystem = \"Be brief.\";\ncost_centre = \"dev\";\n"
	           "color = \"never\";\nmarkdown = \"never\";\n"
	           "history = { max_days = 30; max_conversations = 500; };\n"
	           "templates = { review = { system = \"Review.\"; model = \"m/y\"; "
	           "temperature = 0.2; max_tokens = 800; cost_centre = \"ops\"; };\n"
	           "  empty = { }; warm = { temperature = 1; }; };\n",
	    0644);
	ck_assert_msg(orask_settings_load(path, &s, msg, sizeof(msg)) == 0, "%s", msg);
	ck_assert(s.found);
	ck_assert_str_eq(s.model, "m/x");
	ck_assert_str_eq(s.system, "Be brief.");
	ck_assert_str_eq(s.cost_centre, "dev");
	ck_assert_int_eq(s.color, ORASK_COLOR_NEVER);
	ck_assert(s.markdown_never);
	ck_assert_int_eq(s.keep_days, 30);
	ck_assert_int_eq(s.keep_conversations, 500);
	ck_assert_uint_eq(s.n_templates, 3);
	ck_assert_ptr_nonnull(t = orask_settings_template(&s, "review"));
	ck_assert_str_eq(t->model, "m/y");
	ck_assert(t->has_temperature && t->temperature == 0.2);
	ck_assert_int_eq(t->max_tokens, 800);
	ck_assert_str_eq(t->cost_centre, "ops");
	ck_assert_ptr_nonnull(t = orask_settings_template(&s, "empty"));
	ck_assert_ptr_null(t->system);
	ck_assert(!t->has_temperature);
	ck_assert_ptr_nonnull(t = orask_settings_template(&s, "warm"));
	ck_assert(t->has_temperature && t->temperature == 1.0);
	ck_assert_ptr_null(orask_settings_template(&s, "nope"));
	orask_settings_free(&s);
}
END_TEST

START_TEST(settings_missing_file_is_none)
{
	struct orask_settings s;

	ck_assert_int_eq(orask_settings_load(path, &s, msg, sizeof(msg)), 0);
	ck_assert(!s.found);
	ck_assert_ptr_null(s.model);
	ck_assert_uint_eq(s.n_templates, 0);
	orask_settings_free(&s);
}
END_TEST

/* conf must be refused with a message holding want. */
static void
refused(const char *conf, mode_t mode, const char *want)
{
	struct orask_settings s;

	write_conf(conf, mode);
	ck_assert_int_eq(orask_settings_load(path, &s, msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, want) != NULL, "%s: got '%s', want '%s'", conf, msg, want);
	orask_settings_free(&s);
}

START_TEST(settings_mistakes_refused)
{
	refused("modle = \"x\";\n", 0600, "orask.conf:1: unknown setting 'modle'");
	refused("model = 3;\n", 0600, "orask.conf:1: model must be a string");
	refused("\n\nmodel = ;\n", 0600, "orask.conf:3: syntax error");
	refused("color = \"blue\";\n", 0600, "color must be \"auto\", \"always\" or \"never\"");
	refused("markdown = \"yes\";\n", 0600, "markdown must be \"auto\" or \"never\"");
	refused("history = { max_days = -1; };\n", 0600, "max_days must be from 0 to");
	refused("history = { keep = 1; };\n", 0600, "unknown setting 'keep'");
	refused("history = 5;\n", 0600, "history must be a group");
	refused("templates = { t = { temperature = 3.5; }; };\n", 0600,
	    "temperature must be a number from 0 to 2");
	refused("templates = { t = { system = \"x\"; sytem = \"y\"; }; };\n", 0600,
	    "unknown setting 'sytem'");
	refused("templates = { t = \"x\"; };\n", 0600, "template t must be a group");
	refused("model = \"x\";\n", 0620, "may be changed by others");
	refused("model = \"x\";\n", 0602, "run chmod go-w");
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("orask_settings");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, settings_read);
	tcase_add_test(tc, settings_missing_file_is_none);
	tcase_add_test(tc, settings_mistakes_refused);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
