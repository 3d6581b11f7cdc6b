/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * money.h: exact amounts of US dollars.
 *
 * Every amount ora stores or adds up is an integer count of picodollars
 * (1e-12 USD): OpenRouter bills to about 1e-10 USD per token, and sums of
 * integers are exact, where sums of doubles drift. An int64 holds up to
 * about 9.2 million USD.
 */
#ifndef ORA_MONEY_H
#define ORA_MONEY_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t ora_pico;

#define ORA_PICO_PER_USD INT64_C(1000000000000)
#define ORA_MONEY_TEXT_MAX 32 /* room for any formatted amount */

/* Parse a decimal amount in USD as JSON writes numbers ("0.0000225",
 * "12", "2.25e-05", "-0.5") into picodollars, rounding half away from zero
 * beyond 12 decimals. Returns -1 for anything else or on overflow. */
int ora_money_parse(const char *text, ora_pico *out);

/* Write v as an exact decimal in USD with no exponent and no trailing
 * zeros ("0.0000225", "3", "-0.5"). buf should hold ORA_MONEY_TEXT_MAX. */
void ora_money_format(ora_pico v, char *buf, size_t size);

/* A configured amount (a double from the configuration file) in
 * picodollars, rounded to the nearest; -1 if negative, NaN or too large. */
int ora_money_from_usd(double usd, ora_pico *out);

/* price (picodollars per token) times tokens, saturating at INT64_MAX. */
ora_pico ora_money_mul(ora_pico price, int64_t tokens);

/* a + b, saturating at INT64_MAX. */
ora_pico ora_money_add(ora_pico a, ora_pico b);

#endif
