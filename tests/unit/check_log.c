/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_log.c: ora_log_escape, which every log line passes through so that
 * no caller can let a user's newline or terminal escape forge a line.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "common/log.h"

static const char *
esc(const char *in, size_t size)
{
	static char out[256];

	memset(out, 'Z', sizeof(out));
	ora_log_escape(out, size, in);
	return out;
}

START_TEST(plain_text_unchanged)
{
	char out[64];

	ck_assert_uint_eq(ora_log_escape(out, sizeof(out), "request uid=0 user=root"), 23);
	ck_assert_str_eq(out, "request uid=0 user=root");
	ck_assert_uint_eq(ora_log_escape(out, sizeof(out), ""), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(controls_and_backslash_escaped)
{
	ck_assert_str_eq(esc("a\nb\\c\x1b[31md\x7f", 64), "a\\x0ab\\\\c\\x1b[31md\\x7f");
	ck_assert_str_eq(esc("\r\n", 64), "\\x0d\\x0a");
}
END_TEST

START_TEST(long_lines_cut_with_a_marker)
{
	char in[100];
	char out[16];
	size_t n;

	memset(in, 'x', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	/* A byte goes out while the longest escape, "...", and the NUL
	 * still fit after it: 9 of 16 here, then the marker. */
	n = ora_log_escape(out, sizeof(out), in);
	ck_assert_str_eq(out, "xxxxxxxxx...");
	ck_assert_uint_eq(n, 12);
	/* Escapes are cut the same way. */
	ck_assert_str_eq(esc("\n\n\n\n\n", 16), "\\x0a\\x0a\\x0a...");
	ck_assert_str_eq(esc("xxxxxxx\n", 16), "xxxxxxx\\x0a");
	/* Exactly what fits is not cut. */
	ck_assert_str_eq(esc("xxxxxxxxx", 16), "xxxxxxxxx");
}
END_TEST

Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, plain_text_unchanged);
	tcase_add_test(tc, controls_and_backslash_escaped);
	tcase_add_test(tc, long_lines_cut_with_a_marker);
	suite_add_tcase(s, tc);
	return s;
}
