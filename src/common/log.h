/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * log.h: one log line per event, to stderr (foreground) or syslog.
 *
 * Never pass secrets, prompt text or answer text to these functions: the log
 * is readable by operators, and ora promises that keys and conversations
 * never reach it.
 */
#ifndef ORA_LOG_H
#define ORA_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* The longest line written, escapes included; longer ones end in "...".
 * Strings users control (model names, reasons) are therefore bounded in
 * the log whatever their size. */
#define ORA_LOG_LINE_MAX 1024

enum ora_log_level {
	ORA_LOG_ERROR = 0,
	ORA_LOG_WARNING,
	ORA_LOG_INFO,
	ORA_LOG_DEBUG,
};

/* ident names the program in syslog; to_stderr selects stderr instead of
 * syslog. Messages above level are dropped. */
void ora_log_init(const char *ident, int to_stderr, enum ora_log_level level);

/* Change the threshold at run time (reload). */
void ora_log_set_level(enum ora_log_level level);

/* Parse "error", "warning", "info" or "debug"; -1 if none of them. */
int ora_log_level_parse(const char *name, enum ora_log_level *out);

/* Copy in to out (size bytes, NUL included) with every control character
 * and DEL written as \xNN and a backslash doubled, so that one event is one
 * line however its text was made; cut with "..." when out is too small.
 * Returns the length written. Every ora_log() line goes through it. */
size_t ora_log_escape(char *out, size_t size, const char *in);

/* vsnprintf(out, size, fmt, ap) for the conversions log lines use (s
 * with or without a precision, d i u x c with l, ll or z, f e g with a
 * precision, %%; no flags, no width), with the same result; -1, having
 * consumed part of ap, for any other format, or a NULL string. A line per
 * request: glibc's vsnprintf was its largest cost (issue 17). */
int ora_log_format(char *out, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

void ora_log(enum ora_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A refusal of uid, logged at info like any line, except that a uid gets
 * at most ORA_LOG_REFUSALS_PER_MINUTE such lines a minute, then one that
 * says the rest are not logged: a user's loop of refused requests cannot
 * fill the disk through the log (the ledger counts them all). */
#define ORA_LOG_REFUSALS_PER_MINUTE 10
void ora_log_refusal(unsigned uid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lines to stderr at info and debug, from the calling thread only, are
 * held and written together: arm(arg) is called when the first is held,
 * and must have ora_log_flush() called soon (orad: at the end of the event
 * loop's turn), and the held lines are written first whenever a warning or
 * an error is, or ORA_LOG_DEFER_BYTES would be passed. One write(2) for
 * the lines of many requests instead of one each (issue 17); a process
 * killed loses the lines of its current turn. Other threads' lines, and
 * syslog's, are written at once. arm NULL writes what is held and stops. */
#define ORA_LOG_DEFER_BYTES 16384
void ora_log_defer(void (*arm)(void *), void *arg);
void ora_log_flush(void);

#define ora_log_error(...) ora_log(ORA_LOG_ERROR, __VA_ARGS__)
#define ora_log_warning(...) ora_log(ORA_LOG_WARNING, __VA_ARGS__)
#define ora_log_info(...) ora_log(ORA_LOG_INFO, __VA_ARGS__)
#define ora_log_debug(...) ora_log(ORA_LOG_DEBUG, __VA_ARGS__)

#endif
