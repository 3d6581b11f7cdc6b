/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * period.h: calendar budget periods in a configured time zone.
 *
 * A daily period starts at local midnight, a weekly one at Monday 00:00, a
 * monthly one at 00:00 on the 1st, all in the configured zone, so a day
 * across a DST change is 23 or 25 hours long, as the calendar says.
 */
#ifndef ORA_PERIOD_H
#define ORA_PERIOD_H

#include <time.h>

enum ora_period {
	ORA_PERIOD_TOTAL = 0, /* never resets */
	ORA_PERIOD_DAILY,
	ORA_PERIOD_WEEKLY,
	ORA_PERIOD_MONTHLY,
};

/* "total", "daily", "weekly", "monthly". */
const char *ora_period_name(enum ora_period p);
int ora_period_parse(const char *name, enum ora_period *out);

/* Whether tz names a zone this system knows (tzdata), e.g. "Europe/Zurich"
 * or "UTC". */
int ora_period_zone_valid(const char *tz);

/* The period of kind p containing t, in zone tz (NULL or "" = UTC):
 * [*start, *end). For ORA_PERIOD_TOTAL, start is 0 and end is (time_t)-1
 * cast to the largest time_t. Returns 0, or -1 if tz is unknown. */
int ora_period_bounds(enum ora_period p, const char *tz, time_t t, time_t *start, time_t *end);

#endif
