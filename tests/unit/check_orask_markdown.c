/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_orask_markdown.c: Markdown answers as a terminal shows them
 * (src/orask/markdown.c): each construct against the expected bytes,
 * escape sequences included; streaming in pieces gives what rendering the
 * whole gives, and shows complete blocks before the answer ends; the
 * model's control characters never reach the terminal.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orask/markdown.h"

#define ESC "\033"

static char *
render(const char *md)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	orask_md_render(f, 80, md, strlen(md));
	fclose(f);
	return out;
}

/* Feed md in pieces of size step, then finish. */
static char *
stream(const char *md, size_t step, char **before_finish)
{
	char *out = NULL;
	size_t n = 0, i, len = strlen(md);
	FILE *f = open_memstream(&out, &n);
	struct orask_md *r = orask_md_new(f, 80);

	for (i = 0; i < len; i += step)
		orask_md_feed(r, md + i, i + step <= len ? step : len - i);
	fflush(f);
	if (before_finish != NULL)
		*before_finish = strndup(out, n);
	orask_md_finish(r);
	orask_md_free(r);
	fclose(f);
	return out;
}

#define RENDERS(md, want)                                                                          \
	do {                                                                                       \
		char *got_ = render(md);                                                           \
		ck_assert_msg(                                                                     \
		    strcmp(got_, want) == 0, "rendering %s\ngot:  %s\nwant: %s", #md, got_, want); \
		free(got_);                                                                        \
	} while (0)

START_TEST(md_inlines)
{
	RENDERS("Some *emphasis*, **strong** and `code`.\n",
	    "Some " ESC "[3memphasis" ESC "[23m, " ESC "[1mstrong" ESC "[22m and " ESC
	    "[36mcode" ESC "[0m.\n");
	RENDERS("See [the spec](https://spec.commonmark.org/).\n",
	    "See " ESC "[4mthe spec" ESC "[24m" ESC "[2m <https://spec.commonmark.org/>" ESC
	    "[0m.\n");
}
END_TEST

START_TEST(md_headings)
{
	RENDERS("# Title\n", ESC "[1;35m" ESC "[4mTitle" ESC "[0m\n");
	RENDERS("## Part\n\ntext\n", ESC "[1;35mPart" ESC "[0m\n\ntext\n");
}
END_TEST

START_TEST(md_code_block_shows_its_language)
{
	RENDERS("```python\nprint(1)\nx = 2\n```\n",
	    ESC "[2m\u2500\u2500 python \u2500\u2500" ESC "[0m\n" ESC "[36mprint(1)" ESC "[0m\n" ESC
	        "[36mx = 2" ESC "[0m\n");
	RENDERS("    indented\n",
	    ESC "[2m\u2500\u2500 code \u2500\u2500" ESC "[0m\n" ESC "[36mindented" ESC "[0m\n");
}
END_TEST

START_TEST(md_lists)
{
	RENDERS("- one\n- two\n", "\u2022 one\n\u2022 two\n");
	RENDERS("3. three\n4. four\n", "3. three\n4. four\n");
	RENDERS("- outer\n  - inner\n", "\u2022 outer\n  \u2022 inner\n");
	RENDERS("> quoted\n", ESC "[0m" ESC "[2m\u2502 " ESC "[0mquoted\n");
}
END_TEST

START_TEST(md_control_characters_defused)
{
	RENDERS("evil \033]0;title\007 text\n", "evil ?]0;title? text\n");
	RENDERS("```\n\033[2J\n```\n",
	    ESC "[2m\u2500\u2500 code \u2500\u2500" ESC "[0m\n" ESC "[36m?[2J" ESC "[0m\n");
}
END_TEST

static const char doc[] = "# Plan\n\nFirst *step*, then:\n\n"
                          "1. write\n2. test\n\n"
                          "```sh\nmake check\n\nmake bench\n```\n\n"
                          "> done\n\nBye.\n";

START_TEST(md_streaming_matches_whole)
{
	char *whole = render(doc), *one = stream(doc, 1, NULL), *seven = stream(doc, 7, NULL);

	ck_assert_str_eq(one, whole);
	ck_assert_str_eq(seven, whole);
	free(whole);
	free(one);
	free(seven);
}
END_TEST

START_TEST(md_blocks_shown_as_they_complete)
{
	char *before, *all = stream("First paragraph.\n\nSecond, still arriving", 4, &before);

	/* The first paragraph is out before the answer ends... */
	ck_assert_ptr_nonnull(strstr(before, "First paragraph."));
	ck_assert_ptr_null(strstr(before, "Second"));
	/* ...and the rest at the end. */
	ck_assert_ptr_nonnull(strstr(all, "Second, still arriving"));
	free(before);
	free(all);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("orask_markdown");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, md_inlines);
	tcase_add_test(tc, md_headings);
	tcase_add_test(tc, md_code_block_shows_its_language);
	tcase_add_test(tc, md_lists);
	tcase_add_test(tc, md_control_characters_defused);
	tcase_add_test(tc, md_streaming_matches_whole);
	tcase_add_test(tc, md_blocks_shown_as_they_complete);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
