/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_report_time.c: calendar dates for `oractl report`.
 *
 * Where a day, week or month begins is the budgets' business: it comes from
 * ora_period_bounds (period.c), so "this-month" in a report is exactly the
 * period a monthly budget counts, DST and midnights that do not exist
 * included. This file adds what reports need on top: local dates of
 * instants, dates typed by an admin, and date arithmetic, which is done on
 * UTC noons with timegm/gmtime_r (no zone, no DST).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/period.h"
#include "common/util.h"
#include "oractl/cmd_report.h"

#define SECONDS_PER_DAY 86400
#define DATE_TEXT_LEN 10 /* YYYY-MM-DD */
/* Steps to walk from a date's UTC noon to an instant of that local date:
 * one corrects the zone's offset, the others are margin. */
#define FIND_DAY_TRIES 4

const char oractl_report_period_names[] =
    "today, yesterday, this-week, last-week, this-month, last-month, this-year, last-year or "
    "all";

int
oractl_report_zone_enter(const char *tz, char **saved)
{
	const char *old = getenv("TZ");
	char *want;
	int r;

	*saved = old != NULL ? ora_xstrdup(old) : NULL;
	/* As period.c does: ":NAME" reads the zone file and is never taken
	 * for a POSIX rule string; UTC needs no file. */
	want = strcmp(tz, "UTC") == 0 ? ora_xstrdup(tz) : ora_xasprintf(":%s", tz);
	r = setenv("TZ", want, 1);
	free(want);
	if (r != 0) {
		free(*saved);
		*saved = NULL;
		return -1;
	}
	tzset();
	return 0;
}

void
oractl_report_zone_leave(char *saved)
{
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

/* Noon UTC of a date: a time_t to do calendar arithmetic on. */
static time_t
utc_noon(const struct oractl_date *d)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d->year - 1900;
	tm.tm_mon = d->month - 1;
	tm.tm_mday = d->day;
	tm.tm_hour = 12;
	return timegm(&tm);
}

static int
tm_date(const struct tm *tm, struct oractl_date *out)
{
	out->year = tm->tm_year + 1900;
	out->month = tm->tm_mon + 1;
	out->day = tm->tm_mday;
	return 0;
}

static int
utc_date(time_t t, struct oractl_date *out)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return tm_date(&tm, out);
}

static int
local_date_s(time_t t, struct oractl_date *out)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	return tm_date(&tm, out);
}

int
oractl_report_add_days(const struct oractl_date *d, int days, struct oractl_date *out)
{
	return utc_date(utc_noon(d) + (time_t)days * SECONDS_PER_DAY, out);
}

int
oractl_report_date_cmp(const struct oractl_date *a, const struct oractl_date *b)
{
	if (a->year != b->year)
		return a->year < b->year ? -1 : 1;
	if (a->month != b->month)
		return a->month < b->month ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return 0;
}

int
oractl_report_parse_date(const char *text, struct oractl_date *out)
{
	struct oractl_date d, back;
	int i;

	if (strlen(text) != DATE_TEXT_LEN || text[4] != '-' || text[7] != '-')
		return -1;
	for (i = 0; i < DATE_TEXT_LEN; i++)
		if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
			return -1;
	d.year = atoi(text);
	d.month = atoi(text + 5);
	d.day = atoi(text + 8);
	if (d.year < 1 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31)
		return -1;
	/* 2026-02-30 comes back as March 2nd: not a date. */
	if (oractl_report_add_days(&d, 0, &back) != 0 || oractl_report_date_cmp(&d, &back) != 0)
		return -1;
	*out = d;
	return 0;
}

void
oractl_report_date_text(const struct oractl_date *d, char *buf, size_t size)
{
	snprintf(buf, size, "%04d-%02d-%02d", d->year, d->month, d->day);
}

void
oractl_report_month_text(const struct oractl_date *d, char *buf, size_t size)
{
	snprintf(buf, size, "%04d-%02d", d->year, d->month);
}

int
oractl_report_local_date(int64_t ms, struct oractl_date *out)
{
	/* Floor, so that a moment before 1970 is not rounded up a second. */
	int64_t s = ms / 1000 - (ms % 1000 < 0);

	return local_date_s((time_t)s, out);
}

int
oractl_report_day_start(const char *tz, const struct oractl_date *d, int64_t *out_ms)
{
	struct oractl_date local;
	time_t t = utc_noon(d), start, end;
	int i, c;

	/* An instant whose local date is d: UTC noon, moved by half days
	 * until the zone's offset no longer takes it to another date. */
	for (i = 0; i < FIND_DAY_TRIES; i++) {
		if (local_date_s(t, &local) != 0)
			return -1;
		if ((c = oractl_report_date_cmp(&local, d)) == 0)
			break;
		t += c < 0 ? SECONDS_PER_DAY / 2 : -SECONDS_PER_DAY / 2;
	}
	if (i == FIND_DAY_TRIES || ora_period_bounds(ORA_PERIOD_DAILY, tz, t, &start, &end) != 0)
		return -1; /* a date the zone skipped, like Samoa's 2011-12-30 */
	*out_ms = (int64_t)start * 1000;
	return 0;
}

/* The period of kind p that holds t: its start, and the local dates of
 * its first and last day. */
static int
period_dates(enum ora_period p, const char *tz, time_t t, time_t *start, struct oractl_date *from,
    struct oractl_date *to)
{
	time_t end;

	if (ora_period_bounds(p, tz, t, start, &end) != 0 || local_date_s(*start, from) != 0 ||
	    local_date_s(end - 1, to) != 0)
		return -1;
	return 0;
}

int
oractl_report_period(
    const char *name, const char *tz, time_t now, struct oractl_date *from, struct oractl_date *to)
{
	struct oractl_date today;
	enum ora_period p;
	time_t start;
	int previous;

	if (strcmp(name, "today") == 0 || strcmp(name, "yesterday") == 0)
		p = ORA_PERIOD_DAILY;
	else if (strcmp(name, "this-week") == 0 || strcmp(name, "last-week") == 0)
		p = ORA_PERIOD_WEEKLY;
	else if (strcmp(name, "this-month") == 0 || strcmp(name, "last-month") == 0)
		p = ORA_PERIOD_MONTHLY;
	else if (strcmp(name, "this-year") == 0 || strcmp(name, "last-year") == 0)
		p = ORA_PERIOD_TOTAL; /* no budget is yearly: from the dates alone */
	else
		return -1;
	previous = name[0] == 'y' || name[0] == 'l';
	if (p == ORA_PERIOD_TOTAL) {
		if (local_date_s(now, &today) != 0)
			return -1;
		*from = (struct oractl_date){today.year - previous, 1, 1};
		*to = (struct oractl_date){from->year, 12, 31};
		return 0;
	}
	if (period_dates(p, tz, now, &start, from, to) != 0)
		return -1;
	/* The one before holds the last second before this one began. */
	if (previous && period_dates(p, tz, start - 1, &start, from, to) != 0)
		return -1;
	return 0;
}
