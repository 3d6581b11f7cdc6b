/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_money.c: exact USD arithmetic in integer picodollars.
 *
 * Money tests compare ora's ledger with the mock's records to 1e-9 USD, so
 * prices are never held in a double: the decimal strings of /models are
 * parsed into integer picodollars and costs are printed back as plain
 * decimals ("0.0000225", never "2.25e-05").
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "mock.h"

#define MOCK_DIGITS "0123456789"
#define MOCK_MAX_EXPONENT 1000

static int
mock_money_digits(const char *d, size_t n, int64_t *acc)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int v = d[i] - '0';

		if (*acc > (INT64_MAX - v) / 10)
			return -1;
		*acc = *acc * 10 + v;
	}
	return 0;
}

int
mock_money_parse(const char *s, int64_t *pico)
{
	const char *p = s, *ip, *fp = "";
	size_t il, fl = 0;
	long exp = 0, scale;
	int neg = 0;
	int64_t m = 0;

	if (s == NULL)
		return -1;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	ip = p;
	il = strspn(p, MOCK_DIGITS);
	p += il;
	if (*p == '.') {
		fp = ++p;
		fl = strspn(p, MOCK_DIGITS);
		p += fl;
	}
	if (il + fl == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		int eneg = 0;
		size_t el;

		p++;
		if (*p == '-' || *p == '+')
			eneg = *p++ == '-';
		el = strspn(p, MOCK_DIGITS);
		if (el == 0 || el > 4)
			return -1;
		for (; el > 0; el--, p++)
			exp = exp * 10 + (*p - '0');
		if (exp > MOCK_MAX_EXPONENT)
			return -1;
		if (eneg)
			exp = -exp;
	}
	if (*p != '\0')
		return -1;
	if (neg) {
		/* "-1" marks a price that depends on the routed model. */
		*pico = 0;
		return 0;
	}
	/* Trailing fractional zeros carry no value but would overflow m. */
	while (fl > 0 && fp[fl - 1] == '0')
		fl--;
	while (il > 0 && *ip == '0') {
		ip++;
		il--;
	}
	if (mock_money_digits(ip, il, &m) != 0 || mock_money_digits(fp, fl, &m) != 0)
		return -1;
	scale = 12 + exp - (long)fl;
	for (; scale > 0 && m != 0; scale--) {
		if (m > INT64_MAX / 10)
			return -1;
		m *= 10;
	}
	for (; scale < 0 && m != 0; scale++) {
		if (m % 10 != 0)
			return -1; /* finer than a picodollar */
		m /= 10;
	}
	if (m > MOCK_MAX_PRICE_PICO)
		return -1;
	*pico = m;
	return 0;
}

void
mock_money_format(int64_t pico, char *buf, size_t size)
{
	uint64_t u = pico < 0 ? -(uint64_t)pico : (uint64_t)pico;
	uint64_t ip = u / (uint64_t)MOCK_PICO_PER_USD;
	uint64_t fp = u % (uint64_t)MOCK_PICO_PER_USD;
	char frac[16];
	size_t n;

	if (fp == 0) {
		snprintf(buf, size, "%s%llu", pico < 0 ? "-" : "", (unsigned long long)ip);
		return;
	}
	snprintf(frac, sizeof(frac), "%012llu", (unsigned long long)fp);
	for (n = strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	snprintf(buf, size, "%s%llu.%s", pico < 0 ? "-" : "", (unsigned long long)ip, frac);
}

json_object *
mock_money_json(int64_t pico)
{
	char buf[MOCK_MONEY_STRLEN];

	mock_money_format(pico, buf, sizeof(buf));
	/* json-c would print the double its own way; the _s variant makes
	 * the exact decimal text the serialisation. */
	return json_object_new_double_s((double)pico / (double)MOCK_PICO_PER_USD, buf);
}

int64_t
mock_money_mul(int64_t tokens, int64_t price_pico)
{
	int64_t r;

	if (__builtin_mul_overflow(tokens, price_pico, &r))
		return INT64_MAX;
	return r;
}
