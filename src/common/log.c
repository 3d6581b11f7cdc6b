/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <string.h>
#include <sys/types.h>

#include "common/log.h"

static struct {
	const char *ident;
	int to_stderr;
	enum ora_log_level level;
} log_state = { "ora", 1, ORA_LOG_INFO };

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void
ora_log_init(const char *ident, int to_stderr, enum ora_log_level level)
{
	log_state.ident = ident;
	log_state.to_stderr = to_stderr;
	log_state.level = level;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
ora_log_set_level(enum ora_log_level level)
{
	log_state.level = level;
}

int
ora_log_level_parse(const char *name, enum ora_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum ora_log_level)i;
			return 0;
		}
	}
	return -1;
}

size_t
ora_log_escape(char *out, size_t size, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	static const char cut[] = "...";
	size_t o = 0;

	if (size == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
		size_t run = 0, room;

		/* Room for the longest escape, the marker and the NUL. */
		if (o + 4 + sizeof(cut) > size) {
			memcpy(out + o, cut, sizeof(cut));
			return o + sizeof(cut) - 1;
		}
		/* Bytes that need no escape are copied a run at a time (a line
		 * per request: byte by byte it was a tenth of the log's cost). */
		room = size - 4 - sizeof(cut) - o + 1;
		while (run < room && p[run] >= 0x20 && p[run] != 0x7f && p[run] != '\\')
			run++;
		if (run > 0) {
			memcpy(out + o, p, run);
			o += run;
			p += run - 1;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f || *p == '\\') {
			out[o++] = '\\';
			if (*p == '\\') {
				out[o++] = '\\';
			} else {
				out[o++] = 'x';
				out[o++] = hex[*p >> 4];
				out[o++] = hex[*p & 0xf];
			}
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
	return o;
}

/* Formatted output with vsnprintf's truncation: len counts every byte
 * the whole text has, size - 1 of them at most are written. */
struct fmt_out {
	char *p;
	size_t size, len;
};

static void
put(struct fmt_out *o, const char *s, size_t n)
{
	if (o->size > 0 && o->len < o->size - 1) {
		size_t room = o->size - 1 - o->len;
		memcpy(o->p + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void
put_number(struct fmt_out *o, unsigned long long v, int negative, unsigned base)
{
	static const char digits[] = "0123456789abcdef";
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = digits[v % base];
		v /= base;
	} while (v != 0);
	if (negative)
		buf[--i] = '-';
	put(o, buf + i, sizeof(buf) - i);
}

/* %.Nf for N <= LOG_FIXED_MAX_PRECISION and |d| * 10^N < 10^18 where long
 * double holds d * 10^N exactly (a 53-bit mantissa times 5^N, at most 63
 * bits): rintl then rounds the exact value half to even, as glibc does.
 * snprintf's %f was half the cost of a request's log line. -1: not here. */
#define LOG_FIXED_MAX_PRECISION 4
static int
put_fixed(struct fmt_out *o, int precision, double d)
{
#if LDBL_MANT_DIG >= 64
	static const unsigned long long tens[] = { 1, 10, 100, 1000, 10000 };
	long double x;
	unsigned long long r, ten;
	char buf[32];
	size_t i = sizeof(buf);

	if (precision > LOG_FIXED_MAX_PRECISION || !isfinite(d))
		return -1;
	ten = tens[precision];
	x = fabsl((long double)d * (long double)ten);
	if (x >= 1e18L)
		return -1;
	r = (unsigned long long)rintl(x);
	for (int k = 0; k < precision; k++) {
		buf[--i] = (char)('0' + r % 10);
		r /= 10;
	}
	if (precision > 0)
		buf[--i] = '.';
	do {
		buf[--i] = (char)('0' + r % 10);
		r /= 10;
	} while (r != 0);
	if (signbit(d))
		buf[--i] = '-';
	put(o, buf + i, sizeof(buf) - i);
	return 0;
#else
	(void)o;
	(void)precision;
	(void)d;
	return -1;
#endif
}

/* One floating-point conversion, at hand or through snprintf: the
 * rounding is glibc's either way. */
static int
put_double(struct fmt_out *o, char conv, int precision, double d)
{
	char buf[128];
	int n;

	if (precision < 0)
		precision = 6;
	if (conv == 'f' && put_fixed(o, precision, d) == 0)
		return 0;
	if (conv == 'f')
		n = snprintf(buf, sizeof(buf), "%.*f", precision, d);
	else if (conv == 'e')
		n = snprintf(buf, sizeof(buf), "%.*e", precision, d);
	else
		n = snprintf(buf, sizeof(buf), "%.*g", precision, d);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	put(o, buf, (size_t)n);
	return 0;
}

int
ora_log_format(char *out, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = { out, size, 0 };
	const char *p = fmt;

	while (*p != '\0') {
		const char *pct = strchr(p, '%'), *s;
		int precision = -1, longs = 0, size_t_arg = 0;
		long long v;
		char conv;

		if (pct == NULL) {
			put(&o, p, strlen(p));
			break;
		}
		put(&o, p, (size_t)(pct - p));
		p = pct + 1;
		if (*p == '%') {
			put(&o, "%", 1);
			p++;
			continue;
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				precision = va_arg(ap, int);
				p++;
			} else {
				precision = 0;
				while (*p >= '0' && *p <= '9' && precision < 100000)
					precision = precision * 10 + (*p++ - '0');
			}
		}
		while (*p == 'l' && longs < 2) {
			longs++;
			p++;
		}
		if (*p == 'z' && longs == 0) {
			size_t_arg = 1;
			p++;
		}
		conv = *p++;
		switch (conv) {
		case 's':
			if (longs != 0 || size_t_arg || (s = va_arg(ap, const char *)) == NULL)
				return -1;
			put(&o, s, precision < 0 ? strlen(s) : strnlen(s, (size_t)precision));
			break;
		case 'd':
		case 'i':
			if (precision >= 0)
				return -1;
			v = size_t_arg ? (long long)va_arg(ap, ssize_t)
			    : longs == 2 ? va_arg(ap, long long)
			    : longs == 1 ? (long long)va_arg(ap, long)
			    : (long long)va_arg(ap, int);
			put_number(&o, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0, 10);
			break;
		case 'u':
		case 'x':
			if (precision >= 0)
				return -1;
			put_number(&o, size_t_arg ? (unsigned long long)va_arg(ap, size_t)
			    : longs == 2 ? va_arg(ap, unsigned long long)
			    : longs == 1 ? (unsigned long long)va_arg(ap, unsigned long)
			    : (unsigned long long)va_arg(ap, unsigned), 0, conv == 'u' ? 10 : 16);
			break;
		case 'c': {
			char c;

			if (precision >= 0 || longs != 0 || size_t_arg)
				return -1;
			c = (char)va_arg(ap, int);
			put(&o, &c, 1);
			break;
		}
		case 'f':
		case 'e':
		case 'g':
			if (longs > 1 || size_t_arg || put_double(&o, conv, precision, va_arg(ap, double)) != 0)
				return -1;
			break;
		default:
			return -1; /* flags, a width, or a conversion lines do not use */
		}
	}
	if (size > 0)
		out[o.len < size - 1 ? o.len : size - 1] = '\0';
	return o.len > INT_MAX ? -1 : (int)o.len;
}

static void
log_line(enum ora_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

void
ora_log(enum ora_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(level, fmt, ap);
	va_end(ap);
}

/* Refusal lines per uid and minute: uids share slots by hash, and a slot
 * taken by another uid starts afresh (a few more lines, never fewer). */
#define REFUSAL_SLOTS 256
static struct {
	unsigned uid;
	long minute;
	unsigned lines;
} refusal_slots[REFUSAL_SLOTS];

void
ora_log_refusal(unsigned uid, const char *fmt, ...)
{
	struct timespec now;
	long minute;
	va_list ap;
	unsigned slot = (uid * 2654435761u) % REFUSAL_SLOTS;

	if (ORA_LOG_INFO > log_state.level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	minute = (long)(now.tv_sec / 60) + 1; /* 0: a slot never used */
	if (refusal_slots[slot].minute != minute || refusal_slots[slot].uid != uid) {
		refusal_slots[slot].uid = uid;
		refusal_slots[slot].minute = minute;
		refusal_slots[slot].lines = 0;
	}
	if (++refusal_slots[slot].lines > ORA_LOG_REFUSALS_PER_MINUTE) {
		if (refusal_slots[slot].lines == ORA_LOG_REFUSALS_PER_MINUTE + 1)
			ora_log(ORA_LOG_INFO,
			    "uid=%u: more than %d refusals this minute; the rest of this minute's are "
			    "not logged (the ledger counts them)",
			    uid, ORA_LOG_REFUSALS_PER_MINUTE);
		return;
	}
	va_start(ap, fmt);
	log_line(ORA_LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Longest program name put in a line (names are a few letters). */
#define LOG_IDENT_MAX 64

/* Lines held for one write (see ora_log_defer); only the thread that asked
 * for it touches them. */
static struct {
	char buf[ORA_LOG_DEFER_BYTES];
	size_t len;
	void (*arm)(void *);
	void *arg;
} deferred;
static _Thread_local int defers_here;

void
ora_log_flush(void)
{
	if (!defers_here || deferred.len == 0)
		return;
	fwrite(deferred.buf, 1, deferred.len, stderr);
	deferred.len = 0;
}

void
ora_log_defer(void (*arm)(void *), void *arg)
{
	ora_log_flush();
	deferred.arm = arm;
	deferred.arg = arg;
	defers_here = arm != NULL;
}

static void
emit(const char *line, size_t n, enum ora_log_level level)
{
	if (defers_here && level > ORA_LOG_WARNING && n <= sizeof(deferred.buf)) {
		if (deferred.len + n > sizeof(deferred.buf))
			ora_log_flush();
		if (deferred.len == 0)
			deferred.arm(deferred.arg);
		memcpy(deferred.buf + deferred.len, line, n);
		deferred.len += n;
		return;
	}
	ora_log_flush(); /* what came before goes first */
	fwrite(line, 1, n, stderr);
}

static void
log_line(enum ora_log_level level, const char *fmt, va_list ap)
{
	static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char raw[ORA_LOG_LINE_MAX];
	va_list copy;

	if (level > log_state.level)
		return;
	va_copy(copy, ap);
	if (ora_log_format(raw, sizeof(raw), fmt, copy) < 0)
		vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(copy);
	/* Every line is escaped here, once, so that no caller can let a
	 * newline (or a terminal escape) that a user sent forge a line. */
	if (!log_state.to_stderr) {
		char line[ORA_LOG_LINE_MAX];

		ora_log_escape(line, sizeof(line), raw);
		syslog(syslog_prio[level], "%s", line);
		return;
	}
	/* The second's stamp is kept (per thread: the ledger's checkpointer
	 * logs too): gmtime_r and strftime for every line cost more than the
	 * rest of the prefix. */
	static _Thread_local time_t stamp_sec = -1;
	static _Thread_local char stamp[32];
	static _Thread_local size_t stamp_len;
	struct timespec ts;
	char out[ORA_LOG_LINE_MAX + 128];
	size_t n, ident_len = strlen(log_state.ident), level_len = strlen(level_names[level]);
	long ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != stamp_sec) {
		struct tm tm;

		gmtime_r(&ts.tv_sec, &tm);
		stamp_len = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		stamp_sec = ts.tv_sec;
	}
	/* "<stamp>.<ms>Z <ident>[<level>]: <line>\n", put together a run at a
	 * time: snprintf copied the escaped line once more through stdio. */
	if (ident_len > LOG_IDENT_MAX)
		ident_len = LOG_IDENT_MAX; /* out holds the longest line then */
	ms = ts.tv_nsec / 1000000;
	n = 0;
	memcpy(out + n, stamp, stamp_len);
	n += stamp_len;
	out[n++] = '.';
	out[n++] = (char)('0' + ms / 100);
	out[n++] = (char)('0' + ms / 10 % 10);
	out[n++] = (char)('0' + ms % 10);
	out[n++] = 'Z';
	out[n++] = ' ';
	memcpy(out + n, log_state.ident, ident_len);
	n += ident_len;
	out[n++] = '[';
	memcpy(out + n, level_names[level], level_len);
	n += level_len;
	out[n++] = ']';
	out[n++] = ':';
	out[n++] = ' ';
	n += ora_log_escape(out + n, ORA_LOG_LINE_MAX, raw);
	out[n++] = '\n';
	emit(out, n, level);
}
