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

void
ora_log(enum ora_log_level level, const char *fmt, ...)
{
	static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[2048];
	va_list ap;

	if (level > log_state.level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	if (!log_state.to_stderr) {
		syslog(syslog_prio[level], "%s", line);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%s]: %s\n", stamp, ts.tv_nsec / 1000000,
	    log_state.ident, level_names[level], line);
}
