/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_orask_command.c: the words after orask's options are a command
 * only when they fit it, a question otherwise; a mistyped command is never
 * sent (and charged) as a question when a person is typing; and the UTF-8
 * check that keeps mis-encoded input from reaching the broker.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "orask/command.h"
#include "orask/orask.h"

static char msg[2048];

/* Parse the words of line (split on spaces) as orask would. */
static int
parse(const char *line, int dashdash, int tty, struct orask_command *out)
{
	char *copy = strdup(line), *words[16], *save = NULL, *w;
	int n = 0, r;

	for (w = strtok_r(copy, " ", &save); w != NULL && n < 16; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	msg[0] = '\0';
	r = orask_command_parse(n, words, dashdash, tty, out, msg, sizeof(msg));
	/* out->id points into the copy: tests below only look at it when
	 * they keep their own. */
	if (out->id != NULL)
		out->id = out->id == NULL ? NULL : "set";
	free(copy);
	return r;
}

START_TEST(commands_with_their_arguments)
{
	struct orask_command c;

	ck_assert_int_eq(parse("models", 0, 1, &c), 0);
	ck_assert_int_eq(c.cmd, ORASK_CMD_MODELS);
	ck_assert_int_eq(parse("me", 0, 1, &c), 0);
	ck_assert_int_eq(c.cmd, ORASK_CMD_ME);
	ck_assert_int_eq(parse("usage", 0, 0, &c), 0);
	ck_assert_int_eq(c.cmd, ORASK_CMD_USAGE);
	ck_assert_int_eq(parse("log", 0, 1, &c), 0);
	ck_assert_int_eq(c.cmd, ORASK_CMD_LOG);
	ck_assert_int_eq(c.has_count, 0);
	ck_assert_int_eq(parse("log 7", 0, 1, &c), 0);
	ck_assert_int_eq(c.count, 7);
	ck_assert_int_eq(parse("show 227cf540", 0, 1, &c), 0);
	ck_assert_int_eq(c.cmd, ORASK_CMD_SHOW);
	ck_assert_ptr_nonnull(c.id);
	ck_assert_int_eq(parse("rm proj-1", 0, 0, &c), 0);
	ck_assert_int_eq(c.cmd, ORASK_CMD_RM);
}
END_TEST

/* The examples: each was sent to the model, charged, exit 0. */
START_TEST(commands_with_wrong_arguments_are_usage_errors)
{
	struct orask_command c;

	ck_assert_int_eq(parse("log rfc", 0, 0, &c), -1);
	ck_assert_ptr_nonnull(strstr(msg, "orask -- log rfc"));
	ck_assert_int_eq(parse("log 2 extra", 0, 0, &c), -1);
	ck_assert_int_eq(parse("log 0", 0, 0, &c), -1);
	ck_assert_int_eq(parse("models please", 0, 0, &c), -1);
	ck_assert_ptr_nonnull(strstr(msg, "orask models"));
	ck_assert_int_eq(parse("show", 0, 0, &c), -1);
	ck_assert_int_eq(parse("show ../etc/passwd", 0, 0, &c), -1);
	ck_assert_int_eq(parse("rm a b", 0, 0, &c), -1);
}
END_TEST

START_TEST(near_misses_asked_at_a_terminal)
{
	struct orask_command c;

	ck_assert_int_eq(parse("model", 0, 1, &c), -1);
	ck_assert_ptr_nonnull(strstr(msg, "did you mean 'orask models'?"));
	ck_assert_ptr_nonnull(strstr(msg, "orask -- model"));
	ck_assert_int_eq(parse("logs", 0, 1, &c), -1);
	ck_assert_ptr_nonnull(strstr(msg, "'orask log'"));
	ck_assert_int_eq(parse("logs 3", 0, 1, &c), -1);
	ck_assert_int_eq(parse("shwo 227cf540", 0, 1, &c), -1);
	ck_assert_int_eq(parse("Models", 0, 1, &c), -1);
	/* Not a terminal, or "--": what was written is asked. */
	ck_assert_int_eq(parse("model", 0, 0, &c), 0);
	ck_assert_int_eq(c.cmd, ORASK_CMD_NONE);
	ck_assert_int_eq(parse("model", 1, 1, &c), 0);
	ck_assert_int_eq(c.cmd, ORASK_CMD_NONE);
	ck_assert_int_eq(parse("log rfc", 1, 1, &c), 0);
	ck_assert_int_eq(c.cmd, ORASK_CMD_NONE);
}
END_TEST

START_TEST(questions_stay_questions)
{
	struct orask_command c;

	ck_assert_int_eq(parse("how do I reverse a list", 0, 1, &c), 0);
	ck_assert_int_eq(c.cmd, ORASK_CMD_NONE);
	ck_assert_int_eq(parse("how are", 0, 1, &c), 0);
	ck_assert_int_eq(parse("my code is broken", 0, 1, &c), 0);
	ck_assert_int_eq(parse("models of the atom", 0, 1, &c), -1); /* reserved */
	ck_assert_int_eq(parse("modelling clay", 0, 1, &c), 0);
	ck_assert_int_eq(parse("blog post ideas", 0, 1, &c), 0);
}
END_TEST

START_TEST(edit_distance_one)
{
	ck_assert(orask_command_near("model", "models"));
	ck_assert(orask_command_near("modles", "models"));
	ck_assert(orask_command_near("modelz", "models"));
	ck_assert(orask_command_near("xmodels", "models"));
	ck_assert(orask_command_near("LOG", "log"));
	ck_assert(!orask_command_near("mod", "models"));
	ck_assert(!orask_command_near("usages2", "usage"));
	ck_assert(!orask_command_near("lgoo", "log"));
}
END_TEST

START_TEST(suggestion_is_quoted_for_the_shell)
{
	struct orask_command c;
	char *words[] = {"log", "it's", "a b"};

	ck_assert_int_eq(orask_command_parse(3, words, 0, 0, &c, msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "orask -- log 'it'\\''s' 'a b'"));
}
END_TEST

START_TEST(utf8_checked)
{
	ck_assert_int_eq(orask_utf8_invalid_at("plain", 5), -1);
	ck_assert_int_eq(
	    orask_utf8_invalid_at("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14), -1);
	ck_assert_int_eq(orask_utf8_invalid_at("caf\xe9!", 5), 3);         /* Latin-1 */
	ck_assert_int_eq(orask_utf8_invalid_at("ab\xc3", 3), 2);           /* cut short */
	ck_assert_int_eq(orask_utf8_invalid_at("\xc0\xaf", 2), 0);         /* overlong */
	ck_assert_int_eq(orask_utf8_invalid_at("x\xed\xa0\x80", 4), 1);    /* surrogate */
	ck_assert_int_eq(orask_utf8_invalid_at("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	ck_assert_int_eq(orask_utf8_invalid_at("\xe0\x80\x80", 3), 0);     /* overlong */
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("orask_command");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, commands_with_their_arguments);
	tcase_add_test(tc, commands_with_wrong_arguments_are_usage_errors);
	tcase_add_test(tc, near_misses_asked_at_a_terminal);
	tcase_add_test(tc, questions_stay_questions);
	tcase_add_test(tc, edit_distance_one);
	tcase_add_test(tc, suggestion_is_quoted_for_the_shell);
	tcase_add_test(tc, utf8_checked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
