/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_money.c: exact picodollar amounts: parsing the decimals OpenRouter
 * and the configuration write, formatting them back, and the saturating
 * arithmetic of cost estimates.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct parse_case {
	const char *text;
	ora_pico want;
};

static void
assert_parses(const char *text, ora_pico want)
{
	ora_pico got = 12345;

	ck_assert_msg(ora_money_parse(text, &got) == 0, "'%s' refused", text);
	ck_assert_msg(
	    got == want, "'%s' gave %lld pico, want %lld", text, (long long)got, (long long)want);
}

START_TEST(test_parse_plain)
{
	static const struct parse_case cases[] = {
	    {"0", 0},
	    {"-0", 0},
	    {"0.0", 0},
	    {"1", INT64_C(1000000000000)},
	    {"12", INT64_C(12000000000000)},
	    {"0.0000225", INT64_C(22500000)},
	    {"0.000000000001", 1},
	    {"0.5", INT64_C(500000000000)},
	    {"-0.5", INT64_C(-500000000000)},
	    {"3.140000", INT64_C(3140000000000)},
	    {"007.25", INT64_C(7250000000000)},
	    {"9223372.036854775807", INT64_MAX},
	    {"-9223372.036854775807", -INT64_MAX},
	    {"0.000001234567891234", INT64_C(1234568)},
	};

	for (size_t i = 0; i < N_ELEMS(cases); i++)
		assert_parses(cases[i].text, cases[i].want);
}
END_TEST

START_TEST(test_parse_exponent)
{
	static const struct parse_case cases[] = {
	    {"2.25e-05", INT64_C(22500000)},
	    {"2.25E-5", INT64_C(22500000)},
	    {"1E3", INT64_C(1000000000000000)},
	    {"1e+3", INT64_C(1000000000000000)},
	    {"1e0", INT64_C(1000000000000)},
	    {"1e-12", 1},
	    {"5e-13", 1}, /* exactly half a picodollar: away from zero */
	    {"4.9e-13", 0},
	    {"-5e-13", -1}, /* away from zero on the negative side too */
	    {"1e-400", 0},  /* far below a picodollar */
	    {"0e99999999999", 0},
	    {"12345e-17", 0},     /* 0.12345 pico */
	    {"123456789e-20", 1}, /* 1.23 pico */
	    {"123456789e-21", 0},
	    {"15e-13", 2}, /* 1.5 pico */
	    {"0.00000000000000000000000000001e30", INT64_C(10000000000000)},
	};

	for (size_t i = 0; i < N_ELEMS(cases); i++)
		assert_parses(cases[i].text, cases[i].want);
}
END_TEST

START_TEST(test_parse_rounding)
{
	static const struct parse_case cases[] = {
	    {"0.0000000000005", 1},
	    {"0.0000000000004999999", 0},
	    {"0.00000000000049", 0},
	    {"0.0000000000015", 2},
	    {"0.0000000000025", 3}, /* not banker's rounding */
	    {"-0.0000000000025", -3},
	    {"0.9999999999995", INT64_C(1000000000000)},
	    {"0.99999999999949999", INT64_C(999999999999)},
	    {"1.0000000000004", INT64_C(1000000000000)},
	};

	for (size_t i = 0; i < N_ELEMS(cases); i++)
		assert_parses(cases[i].text, cases[i].want);
}
END_TEST

START_TEST(test_parse_rejects)
{
	static const char *const bad[] = {
	    "",
	    "-",
	    "+1",
	    ".5",
	    "5.",
	    "1..2",
	    "1.2.3",
	    "abc",
	    "1e",
	    "1e+",
	    "e5",
	    " 1",
	    "1 ",
	    "0x10",
	    "1,5",
	    "--1",
	    "1e5.0",
	    "inf",
	    "nan",
	    "NaN",
	    "-.5",
	    "1_000",
	    /* one picodollar past the int64 range, and far past it */
	    "9223372.036854775808",
	    "-9223372.036854775808",
	    "10000000",
	    "1e7",
	    "1e99999999999",
	    "99999999999999999999999999",
	    "9223372.0368547758075",
	};
	ora_pico v = 42;

	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		ck_assert_msg(ora_money_parse(bad[i], &v) == -1, "'%s' accepted as %lld", bad[i],
		    (long long)v);
	}
	ck_assert_int_eq(ora_money_parse(NULL, &v), -1);
	ck_assert_int_eq(ora_money_parse("1", NULL), -1);
	/* A refusal leaves the output alone. */
	ck_assert_int_eq(v, 42);
}
END_TEST

START_TEST(test_format)
{
	static const struct parse_case cases[] = {
	    {"0", 0},
	    {"3", INT64_C(3000000000000)},
	    {"-0.5", INT64_C(-500000000000)},
	    {"0.0000225", INT64_C(22500000)},
	    {"0.000000000001", 1},
	    {"-0.000000000001", -1},
	    {"1234.5", INT64_C(1234500000000000)},
	    {"9223372.036854775807", INT64_MAX},
	    {"-9223372.036854775808", INT64_MIN},
	};
	char buf[ORA_MONEY_TEXT_MAX];

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		ora_money_format(cases[i].want, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].text);
	}
	/* A short buffer is cut, never overrun, and always terminated. */
	memset(buf, 'x', sizeof(buf));
	ora_money_format(INT64_C(1234500000000000), buf, 5);
	ck_assert_str_eq(buf, "1234");
	ora_money_format(1, buf, 0);
	ora_money_format(1, NULL, 10);
}
END_TEST

/* Every text the formatter writes parses back to the same amount, and
 * formatting a parsed canonical text gives the text. */
START_TEST(test_round_trip)
{
	static const ora_pico values[] = {0, 1, -1, 7, 10, 100, 22500000, 999999999999,
	    INT64_C(1000000000000), INT64_C(1000000000001), INT64_C(123456789012345678), INT64_MAX,
	    -INT64_MAX, INT64_C(-4200000000000)};
	static const char *const texts[] = {
	    "0.1", "0.29", "1.000000000001", "42", "-7.03", "0.0000009", "9000000.999999999999"};
	char buf[ORA_MONEY_TEXT_MAX];
	ora_pico back;

	for (size_t i = 0; i < N_ELEMS(values); i++) {
		ora_money_format(values[i], buf, sizeof(buf));
		ck_assert_msg(ora_money_parse(buf, &back) == 0, "'%s' refused", buf);
		ck_assert_msg(back == values[i], "%lld -> '%s' -> %lld", (long long)values[i], buf,
		    (long long)back);
	}
	for (size_t i = 0; i < N_ELEMS(texts); i++) {
		ck_assert_int_eq(ora_money_parse(texts[i], &back), 0);
		ora_money_format(back, buf, sizeof(buf));
		ck_assert_str_eq(buf, texts[i]);
	}
	/* A pseudo-random sweep over the whole range, deterministic. */
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	for (int i = 0; i < 20000; i++) {
		ora_pico v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (ora_pico)(x >> (i % 64));
		if (i & 1)
			v = -v;
		if (v == INT64_MIN)
			continue;
		ora_money_format(v, buf, sizeof(buf));
		ck_assert_int_eq(ora_money_parse(buf, &back), 0);
		ck_assert_msg(
		    back == v, "%lld -> '%s' -> %lld", (long long)v, buf, (long long)back);
	}
}
END_TEST

START_TEST(test_from_usd)
{
	ora_pico v = 42;

	ck_assert_int_eq(ora_money_from_usd(0.0, &v), 0);
	ck_assert_int_eq(v, 0);
	/* 0.1 is not a binary fraction; it must still be exact. */
	ck_assert_int_eq(ora_money_from_usd(0.1, &v), 0);
	ck_assert_int_eq(v, INT64_C(100000000000));
	ck_assert_int_eq(ora_money_from_usd(0.29, &v), 0);
	ck_assert_int_eq(v, INT64_C(290000000000));
	ck_assert_int_eq(ora_money_from_usd(5.0, &v), 0);
	ck_assert_int_eq(v, INT64_C(5000000000000));
	ck_assert_int_eq(ora_money_from_usd(0.0000225, &v), 0);
	ck_assert_int_eq(v, INT64_C(22500000));
	ck_assert_int_eq(ora_money_from_usd(1e-12, &v), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(ora_money_from_usd(4e-13, &v), 0);
	ck_assert_int_eq(v, 0);
	/* Above 2^53 pico, usd * 1e12 in doubles would miss the cents. */
	ck_assert_int_eq(ora_money_from_usd(500000.37, &v), 0);
	ck_assert_int_eq(v, INT64_C(500000370000000000));
	ck_assert_int_eq(ora_money_from_usd(9000000.01, &v), 0);
	ck_assert_int_eq(v, INT64_C(9000000010000000000));
	ck_assert_int_eq(ora_money_from_usd(-0.0, &v), 0);
	ck_assert_int_eq(v, 0);

	v = 42;
	ck_assert_int_eq(ora_money_from_usd(-0.01, &v), -1);
	ck_assert_int_eq(ora_money_from_usd(NAN, &v), -1);
	ck_assert_int_eq(ora_money_from_usd(INFINITY, &v), -1);
	ck_assert_int_eq(ora_money_from_usd(-INFINITY, &v), -1);
	ck_assert_int_eq(ora_money_from_usd(1e7, &v), -1);
	ck_assert_int_eq(ora_money_from_usd(9223372.04, &v), -1);
	ck_assert_int_eq(ora_money_from_usd(1e300, &v), -1);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(ora_money_from_usd(1.0, NULL), -1);
}
END_TEST

START_TEST(test_arithmetic)
{
	/* $2.5 per million tokens is 2500000 pico per token. */
	ck_assert_int_eq(ora_money_mul(2500000, 1000), INT64_C(2500000000));
	ck_assert_int_eq(ora_money_mul(0, INT64_MAX), 0);
	ck_assert_int_eq(
	    ora_money_mul(INT64_C(1000000000000), INT64_C(9223372)), INT64_C(9223372000000000000));
	ck_assert_int_eq(ora_money_mul(INT64_C(1000000000000), INT64_C(9223373)), INT64_MAX);
	ck_assert_int_eq(ora_money_mul(INT64_MAX, 2), INT64_MAX);
	ck_assert_int_eq(ora_money_mul(-2, INT64_MAX), INT64_MIN);
	ck_assert_int_eq(ora_money_mul(-3, -4), 12);

	ck_assert_int_eq(ora_money_add(1, 2), 3);
	ck_assert_int_eq(ora_money_add(INT64_MAX, 1), INT64_MAX);
	ck_assert_int_eq(ora_money_add(INT64_MAX - 5, 5), INT64_MAX);
	ck_assert_int_eq(ora_money_add(INT64_MAX, INT64_MAX), INT64_MAX);
	ck_assert_int_eq(ora_money_add(-5, 3), -2);
	ck_assert_int_eq(ora_money_add(INT64_MIN, -1), INT64_MIN);
}
END_TEST

Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("money");
	TCase *tc = tcase_create("money");

	tcase_add_test(tc, test_parse_plain);
	tcase_add_test(tc, test_parse_exponent);
	tcase_add_test(tc, test_parse_rounding);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_from_usd);
	tcase_add_test(tc, test_arithmetic);
	suite_add_tcase(s, tc);
	return s;
}
