/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_period.c: calendar budget periods in a time zone, at the edges that
 * matter for money: midnight at the end of a month or year, Mondays, and
 * the days that DST makes 23 or 25 hours long.
 *
 * Every expected epoch was computed independently of this code, at
 * development time, with GNU date and the system's tzdata, e.g.
 *   TZ=Europe/Zurich date -d '2026-03-29 00:00' +%s
 *   TZ=America/Havana date -d '2019-11-03 00:00 -04' +%s
 * and checked against `zdump -v -c 2026,2027 Europe/Zurich`. Historical
 * transitions (Sao Paulo 2018, Havana and Amman 2019) are used where the
 * rules are odd, because the rules of past years no longer change.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/period.h"

#define HOUR 3600
#define DAY 86400

/* The period of kind p holding t in tz is exactly [start, end). */
#define assert_period(p, tz, t, want_start, want_end)                                              \
	do {                                                                                       \
		time_t s_ = 1, e_ = 1;                                                             \
		ck_assert_int_eq(ora_period_bounds((p), (tz), (time_t)(t), &s_, &e_), 0);          \
		ck_assert_msg(s_ == (time_t)(want_start) && e_ == (time_t)(want_end),              \
		    "%s %s at %lld: got [%lld, %lld), want [%lld, %lld)", ora_period_name(p),      \
		    (tz) ? (tz) : "(null)", (long long)(t), (long long)s_, (long long)e_,          \
		    (long long)(want_start), (long long)(want_end));                               \
	} while (0)

START_TEST(test_names)
{
	static const char *const names[] = {"total", "daily", "weekly", "monthly"};
	enum ora_period p = ORA_PERIOD_DAILY;

	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(ora_period_parse(names[i], &p), 0);
		ck_assert_int_eq(p, i);
		ck_assert_str_eq(ora_period_name(p), names[i]);
	}
	ck_assert_int_eq(ORA_PERIOD_TOTAL, 0);
	ck_assert_int_eq(ora_period_parse("yearly", &p), -1);
	ck_assert_int_eq(ora_period_parse("Daily", &p), -1);
	ck_assert_int_eq(ora_period_parse("", &p), -1);
	ck_assert_int_eq(ora_period_parse(NULL, &p), -1);
	ck_assert_int_eq(p, ORA_PERIOD_MONTHLY);
	ck_assert_str_eq(ora_period_name((enum ora_period)42), "unknown");
}
END_TEST

START_TEST(test_zone_valid)
{
	static const char *const good[] = {"UTC", "Europe/Zurich", "America/New_York",
	    "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Asia/Kolkata"};
	static const char *const bad[] = {"", "Europe/Zürich", "Europe/Nowhere", "Europe",
	    "/usr/share/zoneinfo/UTC", "../zoneinfo/UTC", "Europe/../UTC", "Europe//Zurich",
	    "Europe/Zurich/", "zone.tab", "tzdata.zi", "Europe/Zurich ", "CET;rm", ".", "utc"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(ora_period_zone_valid(good[i]), "'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!ora_period_zone_valid(bad[i]), "'%s' accepted", bad[i]);
	ck_assert(!ora_period_zone_valid(NULL));

	time_t s, e;
	ck_assert_int_eq(ora_period_bounds(ORA_PERIOD_DAILY, "Mars/Olympus", 0, &s, &e), -1);
	ck_assert_int_eq(ora_period_bounds(ORA_PERIOD_TOTAL, "Mars/Olympus", 0, &s, &e), -1);
	ck_assert_int_eq(ora_period_bounds((enum ora_period)9, "UTC", 0, &s, &e), -1);
}
END_TEST

START_TEST(test_total)
{
	time_t s = 1, e = 1;

	ck_assert_int_eq(
	    ora_period_bounds(ORA_PERIOD_TOTAL, "Europe/Zurich", 1774738800, &s, &e), 0);
	ck_assert_int_eq(s, 0);
	ck_assert(e > 0 && e + 0 == (time_t)(((uintmax_t)1 << (sizeof(time_t) * 8 - 1)) - 1));
	ck_assert_int_eq(ora_period_bounds(ORA_PERIOD_TOTAL, NULL, 5, &s, &e), 0);
	ck_assert_int_eq(s, 0);
}
END_TEST

START_TEST(test_utc)
{
	/* NULL, "" and "UTC" are the same zone. */
	const char *const zones[] = {NULL, "", "UTC"};

	for (size_t i = 0; i < 3; i++) {
		const char *z = zones[i];

		/* 2026-01-31 23:59:59 and 2026-02-01 00:00:00 UTC */
		assert_period(ORA_PERIOD_MONTHLY, z, 1769903999, 1767225600, 1769904000);
		assert_period(ORA_PERIOD_MONTHLY, z, 1769904000, 1769904000, 1772323200);
		assert_period(ORA_PERIOD_DAILY, z, 1769903999, 1769903999 - DAY + 1, 1769904000);
		assert_period(ORA_PERIOD_DAILY, z, 1769904000, 1769904000, 1769904000 + DAY);
		/* Saturday 2026-01-31 is in the week of Monday 2026-01-26;
		 * Sunday 2026-02-01 too; Monday 2026-02-02 starts the next. */
		assert_period(ORA_PERIOD_WEEKLY, z, 1769903999, 1769385600, 1769990400);
		assert_period(ORA_PERIOD_WEEKLY, z, 1769904000, 1769385600, 1769990400);
		assert_period(ORA_PERIOD_WEEKLY, z, 1769990400, 1769990400, 1769990400 + 7 * DAY);
		assert_period(ORA_PERIOD_WEEKLY, z, 1769990399, 1769385600, 1769990400);
		/* Year end: Thursday 2026-12-31 23:59:59. */
		assert_period(ORA_PERIOD_MONTHLY, z, 1798761599, 1798761600 - 31 * DAY, 1798761600);
		assert_period(ORA_PERIOD_WEEKLY, z, 1798761599, 1798416000, 1799020800);
		assert_period(ORA_PERIOD_DAILY, z, 1798761600, 1798761600, 1798761600 + DAY);
		/* A leap February, 2028. */
		assert_period(ORA_PERIOD_MONTHLY, z, 1835438400, 1832976000, 1835481600);
		/* Before the epoch: 1969-12-31 23:59:59 is second -1. */
		assert_period(ORA_PERIOD_DAILY, z, -1, -86400, 0);
		assert_period(ORA_PERIOD_WEEKLY, z, -1, -259200, 345600);
		assert_period(ORA_PERIOD_MONTHLY, z, -1, -2678400, 0);
	}
}
END_TEST

START_TEST(test_zurich_month_and_year)
{
	const char *z = "Europe/Zurich";

	/* 2026-01-31 23:59:59 and 2026-02-01 00:00:00 local (CET, +1). */
	assert_period(ORA_PERIOD_MONTHLY, z, 1769900399, 1767222000, 1769900400);
	assert_period(ORA_PERIOD_MONTHLY, z, 1769900400, 1769900400, 1772319600);
	assert_period(ORA_PERIOD_DAILY, z, 1769900399, 1769900400 - DAY, 1769900400);
	/* The UTC month is still January for the first local hour of February. */
	assert_period(ORA_PERIOD_MONTHLY, NULL, 1769900400, 1767225600, 1769904000);
	/* March has the DST change: it is one hour shorter than 31 days. */
	assert_period(ORA_PERIOD_MONTHLY, z, 1774778400, 1772319600, 1774994400);
	ck_assert_int_eq(1774994400 - 1772319600, 31 * DAY - HOUR);
	/* Year end, and the week across it (Mon 2026-12-28 to Mon 2027-01-04). */
	assert_period(ORA_PERIOD_MONTHLY, z, 1798757999, 1796079600, 1798758000);
	assert_period(ORA_PERIOD_MONTHLY, z, 1798758000, 1798758000, 1798758000 + 31 * DAY);
	assert_period(ORA_PERIOD_WEEKLY, z, 1798757999, 1798412400, 1799017200);
	assert_period(ORA_PERIOD_WEEKLY, z, 1798758000, 1798412400, 1799017200);
}
END_TEST

START_TEST(test_zurich_dst)
{
	const char *z = "Europe/Zurich";

	/* Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST; 23 hours. */
	assert_period(ORA_PERIOD_DAILY, z, 1774778400, 1774738800, 1774821600);
	ck_assert_int_eq(1774821600 - 1774738800, 23 * HOUR);
	/* Either side of the jump: 01:59:59 CET and 03:00:00 CEST. */
	assert_period(ORA_PERIOD_DAILY, z, 1774745999, 1774738800, 1774821600);
	assert_period(ORA_PERIOD_DAILY, z, 1774746000, 1774738800, 1774821600);
	assert_period(ORA_PERIOD_DAILY, z, 1774821599, 1774738800, 1774821600);
	assert_period(ORA_PERIOD_DAILY, z, 1774821600, 1774821600, 1774821600 + DAY);
	/* The week of that Sunday: Monday 2026-03-23 to Monday 2026-03-30. */
	assert_period(ORA_PERIOD_WEEKLY, z, 1774778400, 1774220400, 1774821600);
	ck_assert_int_eq(1774821600 - 1774220400, 7 * DAY - HOUR);

	/* Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET; 25 hours. */
	assert_period(ORA_PERIOD_DAILY, z, 1792926000, 1792879200, 1792969200);
	ck_assert_int_eq(1792969200 - 1792879200, 25 * HOUR);
	/* 02:30 happens twice; both are that day. */
	assert_period(ORA_PERIOD_DAILY, z, 1792891800, 1792879200, 1792969200);
	assert_period(ORA_PERIOD_DAILY, z, 1792891800 + HOUR, 1792879200, 1792969200);
	assert_period(ORA_PERIOD_WEEKLY, z, 1792926000, 1792360800, 1792969200);
	/* October is one hour longer than 31 days. */
	assert_period(ORA_PERIOD_MONTHLY, z, 1792926000, 1790805600, 1793487600);
	ck_assert_int_eq(1793487600 - 1790805600, 31 * DAY + HOUR);
}
END_TEST

START_TEST(test_new_york)
{
	const char *z = "America/New_York";

	/* 2026-02-28 23:59:59 and 2026-03-01 00:00:00 EST (-5). */
	assert_period(ORA_PERIOD_MONTHLY, z, 1772341199, 1769922000, 1772341200);
	assert_period(ORA_PERIOD_MONTHLY, z, 1772341200, 1772341200, 1775016000);
	/* Sunday 2026-03-08, 23 hours; its week from Monday 2026-03-02. */
	assert_period(ORA_PERIOD_DAILY, z, 1772985600, 1772946000, 1773028800);
	ck_assert_int_eq(1773028800 - 1772946000, 23 * HOUR);
	assert_period(ORA_PERIOD_WEEKLY, z, 1772985600, 1772427600, 1773028800);
	/* Sunday 2026-11-01, 25 hours: 01:30 EDT and 01:30 EST are both in
	 * it, and in November, which starts at 00:00 EDT. */
	assert_period(ORA_PERIOD_DAILY, z, 1793511000, 1793505600, 1793595600);
	assert_period(ORA_PERIOD_DAILY, z, 1793514600, 1793505600, 1793595600);
	ck_assert_int_eq(1793595600 - 1793505600, 25 * HOUR);
	assert_period(ORA_PERIOD_WEEKLY, z, 1793514600, 1792987200, 1793595600);
	assert_period(ORA_PERIOD_MONTHLY, z, 1793514600, 1793505600, 1796101200);
	/* The last second of October local is in October. */
	assert_period(ORA_PERIOD_MONTHLY, z, 1793505599, 1793505600 - 31 * DAY, 1793505600);
	/* Year end. */
	assert_period(ORA_PERIOD_MONTHLY, z, 1798779599, 1796101200, 1798779600);
	assert_period(ORA_PERIOD_DAILY, z, 1798779600, 1798779600, 1798779600 + DAY);
	assert_period(ORA_PERIOD_WEEKLY, z, 1798779600, 1798434000, 1799038800);
}
END_TEST

/* Zones whose clocks change at midnight itself. */
START_TEST(test_midnight_transitions)
{
	/* Sao Paulo, Sunday 2018-11-04: 00:00 -03 became 01:00 -02, so the
	 * day has no midnight and starts at 01:00 (03:00 UTC). */
	const char *sp = "America/Sao_Paulo", *hav = "America/Havana";

	assert_period(ORA_PERIOD_DAILY, sp, 1541340000, 1541300400, 1541383200);
	assert_period(ORA_PERIOD_DAILY, sp, 1541300400, 1541300400, 1541383200);
	assert_period(ORA_PERIOD_DAILY, sp, 1541300399, 1541214000, 1541300400);
	assert_period(ORA_PERIOD_WEEKLY, sp, 1541340000, 1540782000, 1541383200);
	assert_period(ORA_PERIOD_MONTHLY, sp, 1541340000, 1541041200, 1543629600);
	/* Saturday 2019-02-16: 24:00 -02 went back to 23:00 -03; 25 hours,
	 * and the second 23:30 is still Saturday. */
	assert_period(ORA_PERIOD_DAILY, sp, 1550367000, 1550282400, 1550372400);
	assert_period(ORA_PERIOD_DAILY, sp, 1550370600, 1550282400, 1550372400);
	/* Havana, Sunday 2019-11-03: 01:00 CDT went back to 00:00 CST, so
	 * midnight happened twice; the day starts at the first. */
	assert_period(ORA_PERIOD_DAILY, hav, 1572759000, 1572753600, 1572843600);
	assert_period(ORA_PERIOD_DAILY, hav, 1572757200, 1572753600, 1572843600);
	assert_period(ORA_PERIOD_DAILY, hav, 1572753599, 1572667200, 1572753600);
	/* Amman, Friday 2019-10-25: the same, and there glibc's mktime with
	 * tm_isdst = -1 answers with the second midnight (22:00 UTC), not the
	 * first (21:00 UTC, +03). */
	assert_period(ORA_PERIOD_DAILY, "Asia/Amman", 1571956200, 1571950800, 1572040800);
	assert_period(ORA_PERIOD_DAILY, "Asia/Amman", 1571950800, 1571950800, 1572040800);
	assert_period(ORA_PERIOD_DAILY, "Asia/Amman", 1571950799, 1571950800 - DAY, 1571950800);
}
END_TEST

/* The process's own TZ is left exactly as it was, set or unset, so other
 * code (log timestamps) is not moved into the budget zone. */
START_TEST(test_tz_restored)
{
	time_t s, e, t = 1774778400;
	struct tm tm;

	ck_assert_int_eq(setenv("TZ", "America/New_York", 1), 0);
	tzset();
	ck_assert_int_eq(ora_period_bounds(ORA_PERIOD_DAILY, "Asia/Tokyo", t, &s, &e), 0);
	ck_assert_str_eq(getenv("TZ"), "America/New_York");
	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	ck_assert_int_eq(tm.tm_gmtoff, -4 * HOUR);
	/* Tokyo (+9, no DST): 2026-03-29 12:00 CEST is 19:00 in Tokyo. */
	ck_assert_int_eq(s, 1774710000);
	ck_assert_int_eq(e, 1774710000 + DAY);

	ck_assert_int_eq(unsetenv("TZ"), 0);
	tzset();
	ck_assert_int_eq(ora_period_bounds(ORA_PERIOD_WEEKLY, "Asia/Tokyo", t, &s, &e), 0);
	ck_assert_ptr_null(getenv("TZ"));

	/* Already in the zone asked for: nothing to change. */
	ck_assert_int_eq(setenv("TZ", ":Europe/Zurich", 1), 0);
	tzset();
	assert_period(ORA_PERIOD_DAILY, "Europe/Zurich", 1774778400, 1774738800, 1774821600);
	ck_assert_str_eq(getenv("TZ"), ":Europe/Zurich");
}
END_TEST

/* A brute-force cross-check over two years of Zurich at every hour: each
 * period holds t, is adjacent to the next one, starts at local 00:00 and on
 * the right weekday or day of the month. */
START_TEST(test_tiling)
{
	const char *z = "Europe/Zurich";
	static const enum ora_period kinds[] = {
	    ORA_PERIOD_DAILY, ORA_PERIOD_WEEKLY, ORA_PERIOD_MONTHLY};

	ck_assert_int_eq(setenv("TZ", ":Europe/Zurich", 1), 0);
	tzset();
	for (size_t k = 0; k < 3; k++) {
		time_t prev_start = 0, prev_end = 0;

		for (time_t t = 1767222000; t < 1767222000 + 2 * 366 * DAY; t += 1800) {
			time_t s, e;
			struct tm ts;

			ck_assert_int_eq(ora_period_bounds(kinds[k], z, t, &s, &e), 0);
			ck_assert(s <= t && t < e);
			/* The same period as before, or the one right after it. */
			ck_assert(
			    prev_end == 0 || (s == prev_start && e == prev_end) || s == prev_end);
			prev_start = s;
			prev_end = e;
			ck_assert_ptr_nonnull(localtime_r(&s, &ts));
			ck_assert(ts.tm_hour == 0 && ts.tm_min == 0 && ts.tm_sec == 0);
			if (kinds[k] == ORA_PERIOD_WEEKLY)
				ck_assert_int_eq(ts.tm_wday, 1);
			if (kinds[k] == ORA_PERIOD_MONTHLY)
				ck_assert_int_eq(ts.tm_mday, 1);
		}
	}
	unsetenv("TZ");
	tzset();
}
END_TEST

Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("period");
	TCase *tc = tcase_create("period");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_zone_valid);
	tcase_add_test(tc, test_total);
	tcase_add_test(tc, test_utc);
	tcase_add_test(tc, test_zurich_month_and_year);
	tcase_add_test(tc, test_zurich_dst);
	tcase_add_test(tc, test_new_york);
	tcase_add_test(tc, test_midnight_transitions);
	tcase_add_test(tc, test_tz_restored);
	tcase_add_test(tc, test_tiling);
	suite_add_tcase(s, tc);
	return s;
}
