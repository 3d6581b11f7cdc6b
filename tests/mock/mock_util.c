/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_util.c: allocation, clocks and generation ids for ora-mock.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "mock.h"

static void
mock_oom(size_t n)
{
	/* A test instrument that silently drops part of an answer would make
	 * tests lie; dying loudly is the honest failure. */
	fprintf(stderr, "ora-mock: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
mock_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		mock_oom(n);
	return p;
}

void *
mock_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		mock_oom(n * size);
	return p;
}

void *
mock_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		mock_oom(n);
	return q;
}

char *
mock_xstrdup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		mock_oom(strlen(s) + 1);
	return d;
}

char *
mock_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		mock_oom(0);
	return s;
}

uint64_t
mock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t
mock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
mock_iso8601(int64_t wall_ms, char *buf, size_t size)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", base, (int)(wall_ms % 1000));
}

/* xorshift64*: ids only need to be unique and look like OpenRouter's, not
 * to be unguessable, so one seeded generator is enough. */
static uint64_t mock_rng_state;

static uint64_t
mock_rng_next(void)
{
	uint64_t x;

	if (mock_rng_state == 0) {
		if (getrandom(&mock_rng_state, sizeof(mock_rng_state), 0) !=
		    (ssize_t)sizeof(mock_rng_state))
			mock_rng_state = mock_now_us() ^ ((uint64_t)getpid() << 32);
		mock_rng_state |= 1;
	}
	x = mock_rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	mock_rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void
mock_gen_id(char *buf, size_t size, int64_t unix_s)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char rnd[21];
	int i;

	for (i = 0; i < 20; i++)
		rnd[i] = alnum[mock_rng_next() % (sizeof(alnum) - 1)];
	rnd[20] = '\0';
	snprintf(buf, size, "gen-%lld-%s", (long long)unix_s, rnd);
}
