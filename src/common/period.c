/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * period.c: calendar budget periods in a configured time zone.
 *
 * The zone's rules come from the system's TZ database through the C
 * library: TZ is set to the zone for the length of one computation
 * (setenv + tzset, then localtime_r and mktime) and put back afterwards.
 * That is not thread-safe: TZ and the library's zone state are process-wide.
 * It is fine here because orad and oractl are single-threaded and call this
 * only from their main thread; a thread added later (a ledger writer, say)
 * must not call localtime/mktime or this module while another thread does.
 * UTC needs no zone at all and is computed with plain arithmetic.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/period.h"

#define PERIOD_ZONEINFO_DIR "/usr/share/zoneinfo"
#define PERIOD_ZONE_NAME_MAX 128 /* the longest real one is about 32 */
#define PERIOD_SECONDS_PER_DAY 86400
/* Each zone's bounds are remembered, so the broker's several checks per
 * request cost a comparison instead of two zone file loads. */
#define PERIOD_CACHE_SIZE 8

#define PERIOD_TIME_MAX ((time_t)(((uintmax_t)1 << (sizeof(time_t) * 8 - 1)) - 1))

static const char *const period_names[] = {"total", "daily", "weekly", "monthly"};

const char *
ora_period_name(enum ora_period p)
{
	if ((unsigned)p >= sizeof(period_names) / sizeof(period_names[0]))
		return "unknown";
	return period_names[p];
}

int
ora_period_parse(const char *name, enum ora_period *out)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(period_names) / sizeof(period_names[0]); i++) {
		if (strcmp(name, period_names[i]) == 0) {
			if (out != NULL)
				*out = (enum ora_period)i;
			return 0;
		}
	}
	return -1;
}

static int
period_is_utc(const char *tz)
{
	return tz == NULL || *tz == '\0' || strcmp(tz, "UTC") == 0;
}

/* The name becomes a path under the zoneinfo directory (and TZ=":NAME"
 * would make the C library open it), so only the characters of real zone
 * names, no absolute path and no component that climbs or hides. */
static int
period_zone_name_ok(const char *tz)
{
	size_t n = strlen(tz);

	if (n == 0 || n >= PERIOD_ZONE_NAME_MAX || tz[0] == '/' || tz[n - 1] == '/')
		return 0;
	if (strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != n)
		return 0;
	return strstr(tz, "//") == NULL;
}

int
ora_period_zone_valid(const char *tz)
{
	char path[sizeof(PERIOD_ZONEINFO_DIR) + PERIOD_ZONE_NAME_MAX + 1], magic[4];
	struct stat st;
	int fd, ok;

	if (tz == NULL)
		return 0;
	if (strcmp(tz, "UTC") == 0)
		return 1;
	if (!period_zone_name_ok(tz))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", PERIOD_ZONEINFO_DIR, tz);
	/* A regular file that starts like a compiled zone: the directory
	 * also holds tables (zone.tab, leapseconds) that are not zones. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	     read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	     memcmp(magic, "TZif", sizeof(magic)) == 0;
	close(fd);
	return ok;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12), and
 * back: Howard Hinnant's algorithms, exact for any year an int64 holds. */
static int64_t
period_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
period_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* The first and the following day of the period of kind p that contains
 * the day `day` (days since the epoch; weekday index 0 = Monday). */
static void
period_days(enum ora_period p, int64_t day, int64_t *first, int64_t *next)
{
	int64_t y;
	int m, d;

	switch (p) {
	case ORA_PERIOD_WEEKLY:
		/* 1970-01-01 was a Thursday, three days after a Monday. */
		*first = day - (((day + 3) % 7) + 7) % 7;
		*next = *first + 7;
		return;
	case ORA_PERIOD_MONTHLY:
		period_civil_from_days(day, &y, &m, &d);
		*first = period_days_from_civil(y, m, 1);
		*next = m == 12 ? period_days_from_civil(y + 1, 1, 1)
		                : period_days_from_civil(y, m + 1, 1);
		return;
	default:
		*first = day;
		*next = day + 1;
		return;
	}
}

static time_t
period_sat_seconds(int64_t days)
{
	int64_t s;

	if (__builtin_mul_overflow(days, (int64_t)PERIOD_SECONDS_PER_DAY, &s) ||
	    s > (int64_t)PERIOD_TIME_MAX)
		return PERIOD_TIME_MAX;
	return (time_t)s;
}

static int64_t
period_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* A local date as one comparable number, for "which day is this". */
static int64_t
period_tm_day(const struct tm *tm)
{
	return period_days_from_civil((int64_t)tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
}

static int
period_local_day(time_t t, int64_t *day)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	*day = period_tm_day(&tm);
	return 0;
}

/*
 * The first second of local date `day` in the zone TZ now names. Usually
 * 00:00 exists once and mktime finds it. Where the clocks are turned back
 * over midnight (Havana, Amman: 00:00-01:00 happens twice) the earlier of
 * the two is asked for explicitly with tm_isdst = 1 and 0, since glibc's
 * mktime with tm_isdst = -1 may return either. Where they jump over it
 * (Sao Paulo, 2018-11-04: 00:00 became 01:00) there is no 00:00, and the day
 * starts at the first second whose local date is that day: a bisection.
 */
static int
period_day_start(int64_t day, time_t *out)
{
	static const int isdst_tries[] = {-1, 1, 0};
	time_t best = 0, guess = 0, lo, hi;
	int found = 0, have_guess = 0;
	int64_t y, got;
	int m, d;

	period_civil_from_days(day, &y, &m, &d);
	if (y - 1900 < INT32_MIN || y - 1900 > INT32_MAX)
		return -1;
	for (size_t i = 0; i < sizeof(isdst_tries) / sizeof(isdst_tries[0]); i++) {
		struct tm tm = {0}, back;
		time_t c;

		tm.tm_year = (int)(y - 1900);
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
		tm.tm_isdst = isdst_tries[i];
		c = mktime(&tm);
		if (c == (time_t)-1 || localtime_r(&c, &back) == NULL)
			continue;
		if (!have_guess) {
			guess = c;
			have_guess = 1;
		}
		if (period_tm_day(&back) == day && back.tm_hour == 0 && back.tm_min == 0 &&
		    back.tm_sec == 0 && (!found || c < best)) {
			best = c;
			found = 1;
		}
	}
	if (found) {
		*out = best;
		return 0;
	}
	if (!have_guess)
		return -1;
	/* No 00:00 that day: the boundary lies within a day of the guess. */
	lo = guess - PERIOD_SECONDS_PER_DAY;
	hi = guess + PERIOD_SECONDS_PER_DAY;
	if (period_local_day(lo, &got) != 0 || got >= day || period_local_day(hi, &got) != 0 ||
	    got < day)
		return -1;
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;

		if (period_local_day(mid, &got) != 0)
			return -1;
		if (got >= day)
			hi = mid;
		else
			lo = mid;
	}
	*out = hi;
	return 0;
}

/* TZ set to tz for one computation; the previous value is kept to restore. */
struct period_tz {
	char *saved; /* NULL: TZ was unset */
	int changed;
};

static int
period_tz_enter(struct period_tz *st, const char *tz)
{
	const char *old = getenv("TZ");
	char want[PERIOD_ZONE_NAME_MAX + 2];

	/* ":NAME" tells the C library to read the zone file, never to
	 * interpret the name as a POSIX rule string. */
	snprintf(want, sizeof(want), ":%s", tz);
	st->saved = NULL;
	st->changed = 0;
	if (old != NULL && strcmp(old, want) == 0)
		return 0;
	if (old != NULL && (st->saved = strdup(old)) == NULL)
		return -1;
	if (setenv("TZ", want, 1) != 0) {
		free(st->saved);
		return -1;
	}
	st->changed = 1;
	/* localtime_r need not notice a new TZ by itself; tzset makes it. */
	tzset();
	return 0;
}

static void
period_tz_leave(struct period_tz *st)
{
	if (!st->changed)
		return;
	if (st->saved != NULL)
		setenv("TZ", st->saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(st->saved);
}

static int
period_bounds_local(enum ora_period p, const char *tz, time_t t, time_t *start, time_t *end)
{
	struct period_tz st;
	int64_t first, next, day;
	int r = -1;

	if (period_tz_enter(&st, tz) != 0)
		return -1;
	if (period_local_day(t, &day) != 0)
		goto out;
	period_days(p, day, &first, &next);
	if (period_day_start(first, start) != 0 || period_day_start(next, end) != 0)
		goto out;
	/* Only a zone whose clocks went back over midnight could break this;
	 * callers may rely on t lying in its own period. */
	if (*start > t)
		*start = t;
	if (*end <= t)
		*end = t + 1;
	r = 0;
out:
	period_tz_leave(&st);
	return r;
}

struct period_cache_entry {
	int used;
	enum ora_period p;
	char tz[PERIOD_ZONE_NAME_MAX];
	time_t start, end;
};

static struct period_cache_entry period_cache[PERIOD_CACHE_SIZE];
static size_t period_cache_next;
/* The last zone found valid, so a check per request is not a file open. */
static char period_valid_zone[PERIOD_ZONE_NAME_MAX];

static int
period_zone_known(const char *tz)
{
	if (period_is_utc(tz) || strcmp(tz, period_valid_zone) == 0)
		return 1;
	if (!ora_period_zone_valid(tz))
		return 0;
	snprintf(period_valid_zone, sizeof(period_valid_zone), "%s", tz);
	return 1;
}

int
ora_period_bounds(enum ora_period p, const char *tz, time_t t, time_t *start, time_t *end)
{
	struct period_cache_entry *e;
	int64_t first, next;
	time_t s, x;

	if (!period_zone_known(tz))
		return -1;
	if (p == ORA_PERIOD_TOTAL) {
		*start = 0;
		*end = PERIOD_TIME_MAX;
		return 0;
	}
	if (p != ORA_PERIOD_DAILY && p != ORA_PERIOD_WEEKLY && p != ORA_PERIOD_MONTHLY)
		return -1;
	if (period_is_utc(tz)) {
		period_days(p, period_floor_div((int64_t)t, PERIOD_SECONDS_PER_DAY), &first, &next);
		*start = period_sat_seconds(first);
		*end = period_sat_seconds(next);
		return 0;
	}
	/* Periods of one kind in one zone tile the time line, so a period that
	 * holds t is the answer for t. */
	for (size_t i = 0; i < PERIOD_CACHE_SIZE; i++) {
		e = &period_cache[i];
		if (e->used && e->p == p && strcmp(e->tz, tz) == 0 && e->start <= t && t < e->end) {
			*start = e->start;
			*end = e->end;
			return 0;
		}
	}
	if (period_bounds_local(p, tz, t, &s, &x) != 0)
		return -1;
	e = &period_cache[period_cache_next];
	period_cache_next = (period_cache_next + 1) % PERIOD_CACHE_SIZE;
	e->used = 1;
	e->p = p;
	snprintf(e->tz, sizeof(e->tz), "%s", tz);
	e->start = s;
	e->end = x;
	*start = s;
	*end = x;
	return 0;
}
