/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_report.c: the calendar arithmetic of `oractl report`: dates typed
 * by an admin, local dates of instants and where local days begin (DST,
 * midnights that do not exist, zones far from UTC), and the named periods
 * at an injected "now". Expected instants were computed independently with
 * Python's zoneinfo.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "oractl/cmd_report.h"

static char *saved_tz;

static void
zone(const char *tz)
{
	ck_assert_int_eq(oractl_report_zone_enter(tz, &saved_tz), 0);
}

static void
zone_done(void)
{
	oractl_report_zone_leave(saved_tz);
	saved_tz = NULL;
}

static struct oractl_date
date(const char *text)
{
	struct oractl_date d;

	ck_assert_msg(oractl_report_parse_date(text, &d) == 0, "%s refused", text);
	return d;
}

static void
assert_date(const struct oractl_date *d, const char *want)
{
	char got[ORACTL_DATE_TEXT_MAX];

	oractl_report_date_text(d, got, sizeof(got));
	ck_assert_str_eq(got, want);
}

START_TEST(test_parse_date)
{
	static const char *const bad[] = {"2026-02-29", "2025-02-30", "2026-13-01", "2026-00-10",
	    "2026-01-00", "2026-04-31", "26-01-01", "2026-1-01", "2026-01-01x", "2026/01/01", "",
	    "0000-01-01", "2026-01-+1", " 2026-01-1"};
	struct oractl_date d = date("2024-02-29");
	size_t i;

	assert_date(&d, "2024-02-29");
	d = date("2026-12-31");
	assert_date(&d, "2026-12-31");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(oractl_report_parse_date(bad[i], &d) != 0, "%s accepted", bad[i]);
}
END_TEST

START_TEST(test_add_days)
{
	struct oractl_date d = date("2026-12-31"), out;

	ck_assert_int_eq(oractl_report_add_days(&d, 1, &out), 0);
	assert_date(&out, "2027-01-01");
	d = date("2024-03-01");
	ck_assert_int_eq(oractl_report_add_days(&d, -1, &out), 0);
	assert_date(&out, "2024-02-29");
	ck_assert_int_eq(oractl_report_add_days(&d, -366, &out), 0);
	assert_date(&out, "2023-03-01");
}
END_TEST

START_TEST(test_local_date_midnight)
{
	struct oractl_date d;

	zone("Europe/Zurich");
	/* 2026-01-31 23:59:59.999 and 2026-02-01 00:00 in Zurich (UTC+1). */
	ck_assert_int_eq(oractl_report_local_date(INT64_C(1769900399999), &d), 0);
	assert_date(&d, "2026-01-31");
	ck_assert_int_eq(oractl_report_local_date(INT64_C(1769900400000), &d), 0);
	assert_date(&d, "2026-02-01");
	zone_done();
	zone("UTC");
	ck_assert_int_eq(oractl_report_local_date(INT64_C(1769900400000), &d), 0);
	assert_date(&d, "2026-01-31");
	ck_assert_int_eq(oractl_report_local_date(-1, &d), 0); /* floor, not toward zero */
	assert_date(&d, "1969-12-31");
	zone_done();
}
END_TEST

static void
assert_day_start(const char *tz, const char *day, int64_t want_s)
{
	struct oractl_date d = date(day);
	int64_t ms;

	zone(tz);
	ck_assert_msg(oractl_report_day_start(tz, &d, &ms) == 0, "%s in %s", day, tz);
	ck_assert_msg(ms == want_s * 1000, "%s in %s starts at %lld, not %lld", day, tz,
	    (long long)ms, (long long)want_s * 1000);
	zone_done();
}

START_TEST(test_day_start)
{
	assert_day_start("UTC", "2026-02-01", 1769904000);
	/* Zurich: 2026-03-29 has 23 hours, 2026-10-25 has 25. */
	assert_day_start("Europe/Zurich", "2026-03-29", 1774738800);
	assert_day_start("Europe/Zurich", "2026-03-30", 1774821600);
	assert_day_start("Europe/Zurich", "2026-10-25", 1792879200);
	assert_day_start("Europe/Zurich", "2026-10-26", 1792969200);
	/* No midnight: Sao Paulo went from 23:59:59 to 01:00 on 2018-11-04. */
	assert_day_start("America/Sao_Paulo", "2018-11-04", 1541300400);
	/* Far from UTC on both sides. */
	assert_day_start("Pacific/Kiritimati", "2026-01-01", 1767175200);
	assert_day_start("Pacific/Pago_Pago", "2026-01-01", 1767265200);
}
END_TEST

static void
assert_period(const char *name, const char *from, const char *to)
{
	/* 2026-03-01 00:30 in Zurich, a Sunday: still February in UTC. */
	const time_t now = 1772321400;
	struct oractl_date f, t;

	ck_assert_msg(oractl_report_period(name, "Europe/Zurich", now, &f, &t) == 0, "%s", name);
	assert_date(&f, from);
	assert_date(&t, to);
}

START_TEST(test_periods)
{
	struct oractl_date f, t;

	zone("Europe/Zurich");
	assert_period("today", "2026-03-01", "2026-03-01");
	assert_period("yesterday", "2026-02-28", "2026-02-28");
	assert_period("this-week", "2026-02-23", "2026-03-01");
	assert_period("last-week", "2026-02-16", "2026-02-22");
	assert_period("this-month", "2026-03-01", "2026-03-31");
	assert_period("last-month", "2026-02-01", "2026-02-28");
	assert_period("this-year", "2026-01-01", "2026-12-31");
	assert_period("last-year", "2025-01-01", "2025-12-31");
	ck_assert_int_ne(oractl_report_period("next-month", "Europe/Zurich", 0, &f, &t), 0);
	zone_done();
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("dates");

	tcase_add_test(tc, test_parse_date);
	tcase_add_test(tc, test_add_days);
	tcase_add_test(tc, test_local_date_midnight);
	tcase_add_test(tc, test_day_start);
	tcase_add_test(tc, test_periods);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
