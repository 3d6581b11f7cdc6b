/*
 * log.h: one log line per event, to stderr (foreground) or syslog.
 *
 * Never pass secrets, prompt text or answer text to these functions: the log
 * is readable by operators, and ora promises that keys and conversations
 * never reach it.
 */
#ifndef ORA_LOG_H
#define ORA_LOG_H

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

void ora_log(enum ora_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define ora_log_error(...) ora_log(ORA_LOG_ERROR, __VA_ARGS__)
#define ora_log_warning(...) ora_log(ORA_LOG_WARNING, __VA_ARGS__)
#define ora_log_info(...) ora_log(ORA_LOG_INFO, __VA_ARGS__)
#define ora_log_debug(...) ora_log(ORA_LOG_DEBUG, __VA_ARGS__)

#endif
