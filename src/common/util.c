/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"

int
ora_error_set(struct ora_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void
out_of_memory(size_t n)
{
	ora_log_error("out of memory allocating %zu bytes", n);
	abort();
}

void *
ora_xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		out_of_memory(n);
	return p;
}

void *
ora_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

	if (p == NULL)
		out_of_memory(n * size);
	return p;
}

void *
ora_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n == 0 ? 1 : n);

	if (q == NULL)
		out_of_memory(n);
	return q;
}

char *
ora_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		out_of_memory(strlen(s) + 1);
	return p;
}

char *
ora_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		out_of_memory(0);
	return s;
}

size_t
ora_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

uint64_t
ora_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t
ora_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Characters a '*' or '?' never matches: the vendor/name separator, the
 * :variant separator, and the @ of presets. */
static int
glob_separator(char c)
{
	return c == '/' || c == ':' || c == '@';
}

int
ora_glob_match(const char *p, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;

	if (p == NULL || s == NULL)
		return 0;
	/* Iterative glob: on a mismatch go back to the last '*' and let it
	 * take one more character, unless that character is a separator. */
	while (*s != '\0') {
		if (*p == '*') {
			star_p = ++p;
			star_s = s;
		} else if (*p == '?' && !glob_separator(*s)) {
			p++;
			s++;
		} else if (*p != '\0' && *p != '?' && *p == *s) {
			p++;
			s++;
		} else if (star_p != NULL && !glob_separator(*star_s)) {
			p = star_p;
			s = ++star_s;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

int
ora_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}
