/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_log.c: ora_log_escape, which every log line passes through so that
 * no caller can let a user's newline or terminal escape forge a line; and
 * the lines held for one write per loop turn (ora_log_defer).
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>
#include <unistd.h>

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

/* ora_log_format against vsnprintf, whole and cut at every size. 1 when
 * the fast formatter took the format, 0 when it left it to vsnprintf. */
static int
same_as_vsnprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
same_as_vsnprintf(const char *fmt, ...)
{
	char want[512], got[512];
	int n_want, n_got, taken = 1;
	va_list ap, aq;

	for (size_t size = 0; size <= 80; size += (size < 40 ? 1 : 13)) {
		memset(got, 'X', sizeof(got));
		memset(want, 'X', sizeof(want));
		va_start(ap, fmt);
		va_copy(aq, ap);
		n_want = vsnprintf(want, size, fmt, ap);
		n_got = ora_log_format(got, size, fmt, aq);
		va_end(aq);
		va_end(ap);
		if (n_got < 0) {
			taken = 0;
			continue;
		}
		ck_assert_msg(n_got == n_want, "%s: %d, vsnprintf %d", fmt, n_got, n_want);
		ck_assert_msg(memcmp(got, want, sizeof(got)) == 0, "%s at size %zu: \"%.80s\", vsnprintf \"%.80s\"",
		    fmt, size, size ? got : "", size ? want : "");
	}
	return taken;
}

START_TEST(format_as_vsnprintf)
{
	const char *volatile null_string = NULL;

	ck_assert(same_as_vsnprintf("request uid=%u user=%s pid=%d rule=%d role=%s model=%s "
	    "stream=%d status=%ld outcome=%s prompt_tokens=%ld cost=%s latency_ms=%.1f ttfb_ms=%.1f",
	    4294967295u, "alice", -12, 0, "basic", "openai/gpt-4o-mini", 1, -9223372036854775807L - 1,
	    "ok", 9223372036854775807L, "0.00001185", 0.25, 1234.56789));
	ck_assert(same_as_vsnprintf("%s%%%s%c%x%lx%llu%lld%zu%zd%i%li", "", "a", 'z', 0xbeefu, 0UL,
	    18446744073709551615ull, -1ll, (size_t)7, (ssize_t)-7, 0, -1L));
	ck_assert(same_as_vsnprintf("%.3s|%.0s|%.*s|%.*s|%.10s", "abcdef", "abc", 2, "xyz", -1, "xyz", "ab"));
	ck_assert(same_as_vsnprintf("%f %e %g %.0f %.*f %g", 1.0 / 3, 6.02e23, 1e-5, 2.5, 3, -0.0005, 1e300));
	/* Ties, near-ties and signs, at each precision done at hand. */
	for (int k = -400; k <= 400; k++) {
		double d = k / 20.0, e = k * 0.001 + 1e-9 * (k % 3), big = k * 123456789.987654;

		ck_assert(same_as_vsnprintf("%.0f %.1f %.2f %.3f %.4f|%.1f %.4f|%.1f %.2f", d, d, d, d, d,
		    e, e, big, -big));
	}
	ck_assert(same_as_vsnprintf("%.1f %.1f %.1f %.1f %.4f", 0.05, 0.15, 0.25, 0.35, 1.00005));
	ck_assert(same_as_vsnprintf("%.1f %.1f %.0f %.0f", -0.0, -0.04, 0.5, 1.5));
	ck_assert(same_as_vsnprintf("%.1f %.3f %.1f", 99999999999999999.0, 1e14 + 0.0625, 1e17));
	ck_assert(same_as_vsnprintf("%.1f %.1f", 1.0 / 0.0, -1.0 / 0.0));
	ck_assert(same_as_vsnprintf("no conversions at all"));
	ck_assert(same_as_vsnprintf("%s", ""));
	/* Left to vsnprintf, with the same result in the end. */
	ck_assert(!same_as_vsnprintf("%5d", 3));
	ck_assert(!same_as_vsnprintf("%-8s|", "ab"));
	ck_assert(!same_as_vsnprintf("%02x", 10u));
	ck_assert(!same_as_vsnprintf("%p", (void *)0));
	ck_assert(!same_as_vsnprintf("%hhu", 300));
	ck_assert(!same_as_vsnprintf("%s", null_string));
	ck_assert(!same_as_vsnprintf("%.2d", 3));
	ck_assert(!same_as_vsnprintf("%.1f", 1e200));
}
END_TEST

/* ---- lines held for one write ---------------------------------------- */

static FILE *captured;
static int saved_stderr = -1;
static int arms;

/* stderr into a temporary file, read back by written(). */
static void
capture_stderr(void)
{
	fflush(stderr);
	captured = tmpfile();
	ck_assert_ptr_nonnull(captured);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_eq(dup2(fileno(captured), STDERR_FILENO), STDERR_FILENO);
	arms = 0;
}

static void
restore_stderr(void)
{
	ora_log_defer(NULL, NULL);
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(captured);
	ora_log_init("ora", 1, ORA_LOG_INFO);
}

/* What reached the file so far: the lines' texts after "]: ", one per
 * line, joined with '|'. */
static const char *
written(void)
{
	static char out[ORA_LOG_DEFER_BYTES * 2];
	char line[ORA_LOG_LINE_MAX + 256];
	size_t n = 0;

	fflush(stderr);
	rewind(captured);
	out[0] = '\0';
	while (fgets(line, sizeof(line), captured) != NULL) {
		char *text = strstr(line, "]: ");

		ck_assert_ptr_nonnull(text);
		text += 3;
		text[strcspn(text, "\n")] = '\0';
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", n > 0 ? "|" : "", text);
		ck_assert_uint_lt(n, sizeof(out));
	}
	return out;
}

static void
count_arm(void *arg)
{
	(*(int *)arg)++;
}

/* stderr captured, lines up to level logged, and held. */
static void
start_holding(enum ora_log_level level)
{
	capture_stderr();
	ora_log_init("orad", 1, level);
	ora_log_defer(count_arm, &arms);
}

START_TEST(info_lines_held_until_flushed)
{
	start_holding(ORA_LOG_DEBUG);
	ora_log_info("one");
	ora_log_debug("two");
	ora_log_info("three");
	ck_assert_str_eq(written(), "");
	ck_assert_int_eq(arms, 1); /* once, for the first line held */
	ora_log_flush();
	ck_assert_str_eq(written(), "one|two|three");
	ora_log_info("four");
	ck_assert_int_eq(arms, 2); /* held again: armed again */
	ck_assert_str_eq(written(), "one|two|three");
	ora_log_flush();
	ora_log_flush(); /* nothing held: writes nothing more */
	ck_assert_str_eq(written(), "one|two|three|four");
	restore_stderr();
}
END_TEST

START_TEST(warning_written_at_once_after_what_was_held)
{
	start_holding(ORA_LOG_INFO);
	ora_log_info("held");
	ora_log_warning("at once");
	ck_assert_str_eq(written(), "held|at once");
	ora_log_error("and this");
	ck_assert_str_eq(written(), "held|at once|and this");
	ck_assert_int_eq(arms, 1);
	ora_log_info("last");
	ora_log_defer(NULL, NULL); /* stops holding: writes what is held */
	ck_assert_str_eq(written(), "held|at once|and this|last");
	ora_log_info("then at once");
	ck_assert_str_eq(written(), "held|at once|and this|last|then at once");
	restore_stderr();
}
END_TEST

START_TEST(full_buffer_written_before_the_next_line)
{
	char text[200];
	size_t lines = 0;

	start_holding(ORA_LOG_INFO);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	/* Each line is its text and a prefix of some 40 bytes. */
	while (lines * (sizeof(text) + 40) < ORA_LOG_DEFER_BYTES * 3 / 2) {
		ora_log_info("%s", text);
		lines++;
	}
	const char *out = written();
	size_t seen = *out != '\0';
	for (const char *p = out; (p = strchr(p, '|')) != NULL; p++)
		seen++;
	ck_assert_uint_gt(seen, 0);          /* a full buffer was written */
	ck_assert_uint_lt(seen, lines);      /* the rest is held */
	ck_assert_int_eq(arms, 2);           /* armed once per buffer begun */
	ora_log_flush();
	out = written();
	seen = 1;
	for (const char *p = out; (p = strchr(p, '|')) != NULL; p++)
		seen++;
	ck_assert_uint_eq(seen, lines);      /* every line, once, in order */
	restore_stderr();
}
END_TEST

static void *
log_from_thread(void *arg)
{
	ora_log_info("from another thread");
	return arg;
}

START_TEST(other_threads_write_at_once)
{
	pthread_t t;

	start_holding(ORA_LOG_INFO);
	ora_log_info("held here");
	ck_assert_int_eq(pthread_create(&t, NULL, log_from_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_str_eq(written(), "from another thread");
	ck_assert_int_eq(arms, 1);
	ora_log_flush();
	ck_assert_str_eq(written(), "from another thread|held here");
	restore_stderr();
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
	tcase_add_test(tc, format_as_vsnprintf);
	suite_add_tcase(s, tc);
	tc = tcase_create("defer");
	tcase_add_test(tc, info_lines_held_until_flushed);
	tcase_add_test(tc, warning_written_at_once_after_what_was_held);
	tcase_add_test(tc, full_buffer_written_before_the_next_line);
	tcase_add_test(tc, other_threads_write_at_once);
	suite_add_tcase(s, tc);
	return s;
}
