/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <string.h>

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

static void
log_line(enum ora_log_level level, const char *fmt, va_list ap)
{
	static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char raw[ORA_LOG_LINE_MAX];

	if (level > log_state.level)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
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
	fwrite(out, 1, n, stderr);
}
