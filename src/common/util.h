/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * util.h: the one error idiom and small helpers shared by every program.
 *
 * Every fallible function in ora returns 0 on success or -1 on failure and,
 * on failure, fills a caller-provided struct ora_error with one sentence for
 * a person: what went wrong and, where there is one, what to do about it.
 * Callers write `if (f(..., err) != 0) goto out;` and free at one label.
 * Every *_free() function accepts NULL.
 */
#ifndef ORA_UTIL_H
#define ORA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ORA_ERROR_MAX 1024

struct ora_error {
	char msg[ORA_ERROR_MAX];
};

/* Replace the message in err (if err is not NULL). Always returns -1 so a
 * caller can write `return ora_error_set(err, "...")`. */
int ora_error_set(struct ora_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Allocation that cannot fail silently: on out-of-memory the process logs
 * and aborts, because a broker that half-builds a request or a ledger row
 * is worse than one that restarts. */
void *ora_xmalloc(size_t n);
void *ora_xcalloc(size_t n, size_t size);
void *ora_xrealloc(void *p, size_t n);
char *ora_xstrdup(const char *s);
char *ora_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Bounded copy that always NUL-terminates; returns strlen(src). */
size_t ora_strlcpy(char *dst, const char *src, size_t size);

/* Monotonic clock in microseconds, for latencies and timeouts. */
uint64_t ora_now_us(void);

/* Wall clock in milliseconds since the epoch, for records. */
int64_t ora_wall_ms(void);

/* Case-sensitive match of a model id against an ora.conf pattern: '*' is
 * any run of characters and '?' one character, but neither ever matches
 * '/', ':' or '@'. So openai/STAR allows every OpenAI model, but neither
 * "openai/gpt-4o:nitro" (a variant must be named, e.g. openai/STAR:nitro)
 * nor "openai/../x" nor "@preset/x". Returns 1 on match. */
int ora_glob_match(const char *pattern, const char *text);

/* Parse a non-negative decimal integer with an upper bound; -1 on junk. */
int ora_parse_ulong(const char *s, unsigned long max, unsigned long *out);

#endif
