/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * money.c: exact amounts of US dollars as integer picodollars.
 *
 * Parsing works on the decimal text itself, digit by digit, never through a
 * double: "0.0000225" must become exactly 22500000 picodollars, and strtod
 * would first turn it into the nearest binary fraction and then leave the
 * caller to guess how to round that back.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/money.h"

/* Digits after the decimal point that a picodollar amount has. */
#define MONEY_DECIMALS 12

/* An exponent this large in magnitude already makes any non-zero amount
 * overflow or round to zero; clamping keeps the arithmetic in range. */
#define MONEY_EXP_CLAMP 100000

/* Digits a double carries faithfully (DBL_DIG): any decimal of at most this
 * many significant digits survives text -> double -> "%.15g" unchanged. */
#define MONEY_DOUBLE_DIGITS 15

static int
money_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* acc = acc * 10 + d, or -1 if that leaves int64. */
static int
money_push_digit(int64_t *acc, int d)
{
	if (*acc > (INT64_MAX - d) / 10)
		return -1;
	*acc = *acc * 10 + d;
	return 0;
}

int
ora_money_parse(const char *text, ora_pico *out)
{
	const char *p = text, *digits, *dot = NULL, *end;
	long long exp = 0, nfrac = 0, ndigits = 0, shift, keep, i = 0;
	int neg = 0, round_up = 0;
	int64_t acc = 0;

	if (text == NULL || out == NULL)
		return -1;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	/* The grammar of a JSON number: int [frac] [exp], at least one digit
	 * before the point and at least one after it. */
	digits = p;
	while (money_isdigit(*p))
		p++;
	if (p == digits)
		return -1;
	ndigits = p - digits;
	if (*p == '.') {
		dot = p++;
		while (money_isdigit(*p))
			p++;
		nfrac = p - dot - 1;
		if (nfrac == 0)
			return -1;
		ndigits += nfrac;
	}
	end = p;
	if (*p == 'e' || *p == 'E') {
		int eneg = 0;

		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		if (!money_isdigit(*p))
			return -1;
		for (; money_isdigit(*p); p++) {
			if (exp < MONEY_EXP_CLAMP)
				exp = exp * 10 + (*p - '0');
		}
		if (eneg)
			exp = -exp;
	}
	if (*p != '\0')
		return -1;

	/*
	 * The value is DIGITS * 10^(exp - nfrac) USD, so DIGITS * 10^shift
	 * picodollars. With shift < 0 the last -shift digits fall below a
	 * picodollar: keep the others, and round half away from zero on the
	 * first dropped one (a dropped 5 followed by anything is >= half).
	 */
	shift = exp - nfrac + MONEY_DECIMALS;
	keep = shift < 0 ? ndigits + shift : ndigits;
	for (p = digits; p < end; p++) {
		if (p == dot)
			continue;
		if (i >= keep) {
			round_up = i == keep && *p >= '5';
			break;
		}
		if (money_push_digit(&acc, *p - '0') != 0)
			return -1;
		i++;
	}
	if (round_up) {
		if (acc == INT64_MAX)
			return -1;
		acc++;
	}
	for (long long k = 0; k < shift && acc != 0; k++) {
		if (money_push_digit(&acc, 0) != 0)
			return -1;
	}
	*out = neg ? -acc : acc;
	return 0;
}

void
ora_money_format(ora_pico v, char *buf, size_t size)
{
	/* The magnitude as unsigned, so INT64_MIN has one too. */
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t whole = mag / (uint64_t)ORA_PICO_PER_USD;
	uint64_t frac = mag % (uint64_t)ORA_PICO_PER_USD;
	char fracbuf[MONEY_DECIMALS + 1];
	size_t n;

	if (buf == NULL || size == 0)
		return;
	if (frac == 0) {
		snprintf(buf, size, "%s%llu", v < 0 ? "-" : "", (unsigned long long)whole);
		return;
	}
	snprintf(fracbuf, sizeof(fracbuf), "%0*llu", MONEY_DECIMALS, (unsigned long long)frac);
	n = strlen(fracbuf);
	while (n > 0 && fracbuf[n - 1] == '0')
		fracbuf[--n] = '\0';
	snprintf(buf, size, "%s%llu.%s", v < 0 ? "-" : "", (unsigned long long)whole, fracbuf);
}

/*
 * A configured amount arrives as the double libconfig made of the operator's
 * text. Going through its shortest faithful decimal ("%.15g") and the exact
 * parser, rather than llround(usd * 1e12), gives back exactly the amount the
 * operator wrote ("500000.37" is 500000370000000000 pico, where the product
 * would be off by tens of picodollars above 2^53 pico); it is the nearest
 * picodollar whenever the double stands for a decimal of up to 15 digits.
 */
int
ora_money_from_usd(double usd, ora_pico *out)
{
	char text[64];

	if (out == NULL || isnan(usd) || isinf(usd) || usd < 0)
		return -1;
	/* Larger than the int64 range of picodollars: refuse before
	 * formatting, so the text never has an exponent too big to matter. */
	if (usd >= (double)INT64_MAX / (double)ORA_PICO_PER_USD)
		return -1;
	snprintf(text, sizeof(text), "%.*g", MONEY_DOUBLE_DIGITS, usd);
	/* "%g" writes "1e-05" or "5": both are in the parser's grammar. */
	return ora_money_parse(text, out);
}

/* Saturating: a cost estimate that overflows must stay a huge number (and
 * so fail any budget check), never wrap to a small or negative one. */
ora_pico
ora_money_mul(ora_pico price, int64_t tokens)
{
	ora_pico r;

	if (__builtin_mul_overflow(price, tokens, &r))
		return (price < 0) != (tokens < 0) ? INT64_MIN : INT64_MAX;
	return r;
}

ora_pico
ora_money_add(ora_pico a, ora_pico b)
{
	ora_pico r;

	if (__builtin_add_overflow(a, b, &r))
		return a < 0 ? INT64_MIN : INT64_MAX;
	return r;
}
