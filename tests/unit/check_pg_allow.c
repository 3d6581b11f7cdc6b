/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_pg_allow.c: the allowance's holds while the shared ledger is away
 * (src/ledger/ledger_pg_allow.h): each budget row admits no more than the
 * allowance; a hold is on file before the call returns and a broker that
 * restarts finds every whole line (a torn last one is dropped); a batch
 * is the array parameters ora_budget_allow takes; the file is emptied
 * once everything in it is delivered, and not before.
 *
 * The database side (each hold charged once) is
 * tests/integration/test_ledger_pg.sh's and test_ledger_pg_outage.sh's.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "ledger/ledger_pg_allow.h"

#define PERIOD INT64_C(1767225600000) /* 2026-01-01 00:00 UTC */

static char dir[64], path[128];

static void
setup(void)
{
	strcpy(dir, "/tmp/ora-allow.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, ORA_ALLOWANCE_FILE);
}

static void
teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static off_t
file_size(void)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static const struct ora_shared_part pool = {"cost_centre", "pool", PERIOD, 0};
static const struct ora_shared_part alice = {"user", "alice", PERIOD, 0};

START_TEST(test_limit_per_row)
{
	struct pg_allow *a;
	struct ora_error err;
	struct ora_shared_part both[2] = {pool, alice}, next = pool;

	ck_assert_int_eq(pg_allow_open(path, 100, &a, &err), 0);
	ck_assert_int_eq(pg_allow_take(a, 1, &pool, 1, 40), 0);
	ck_assert_int_eq(pg_allow_take(a, 2, both, 2, 40), 0);
	/* pool has 80 taken: 30 more would pass 100, 20 would not. */
	ck_assert_int_eq(pg_allow_take(a, 3, both, 2, 30), -1);
	ck_assert_int_eq(pg_allow_take(a, 4, &alice, 1, 60), 0);
	ck_assert_int_eq(pg_allow_take(a, 5, both, 2, 20), -1); /* alice has 100 */
	ck_assert_int_eq(pg_allow_take(a, 6, &pool, 1, 20), 0);
	ck_assert_uint_eq(pg_allow_waiting(a), 4);
	ck_assert_int_eq(pg_allow_used(a), 100);
	ck_assert_int_eq(pg_allow_limit(a), 100);
	/* Another period of the same budget is another row. */
	next.period_start_ms = PERIOD + 86400000;
	ck_assert_int_eq(pg_allow_take(a, 7, &next, 1, 100), 0);
	pg_allow_free(a);
}
END_TEST

START_TEST(test_names_with_separators)
{
	struct pg_allow *a;
	struct ora_error err;
	struct ora_shared_part odd = {"user", "al\tice", PERIOD, 0};

	ck_assert_int_eq(pg_allow_open(path, 100, &a, &err), 0);
	ck_assert_int_eq(pg_allow_take(a, 1, &odd, 1, 10), -1);
	ck_assert_uint_eq(pg_allow_waiting(a), 0);
	ck_assert_int_eq(file_size(), 0);
	pg_allow_free(a);
}
END_TEST

START_TEST(test_restart_and_torn_line)
{
	struct pg_allow *a;
	struct ora_error err;
	FILE *f;
	char line[256];
	int n = 0;
	off_t whole;

	ck_assert_int_eq(pg_allow_open(path, 100, &a, &err), 0);
	ck_assert_int_eq(pg_allow_take(a, 1, &pool, 1, 30), 0);
	ck_assert_int_eq(pg_allow_take(a, 2, &pool, 1, 30), 0);
	pg_allow_free(a); /* as a broker that dies: nothing is delivered */
	whole = file_size();
	/* A line torn by a crash. */
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("3\t30\t1\tcost_centre\tpo", f);
	fclose(f);
	ck_assert_int_eq(pg_allow_open(path, 100, &a, &err), 0);
	ck_assert_uint_eq(pg_allow_waiting(a), 2);
	ck_assert_int_eq(pg_allow_used(a), 60);
	ck_assert_int_eq(file_size(), whole);
	/* The allowance stays taken: 40 more would pass 100. */
	ck_assert_int_eq(pg_allow_take(a, 4, &pool, 1, 41), -1);
	ck_assert_int_eq(pg_allow_take(a, 4, &pool, 1, 40), 0);
	pg_allow_free(a);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	ck_assert_int_eq(n, 3);
}
END_TEST

START_TEST(test_batch_and_delivery)
{
	struct pg_allow *a;
	struct ora_error err;
	struct ora_shared_part both[2] = {pool, {"user", "a\"b", PERIOD, 0}};
	char *p[5];
	off_t all;

	ck_assert_int_eq(pg_allow_open(path, 1000, &a, &err), 0);
	ck_assert_uint_eq(pg_allow_batch(a, p), 0);
	ck_assert_int_eq(pg_allow_take(a, 7, both, 2, 50), 0);
	ck_assert_int_eq(pg_allow_take(a, 8, &pool, 1, 60), 0);
	ck_assert_uint_eq(pg_allow_batch(a, p), 2);
	/* One element per hold: request 7 holds two budgets. */
	ck_assert_str_eq(p[0], "{7,7,8}");
	ck_assert_str_eq(p[1], "{\"cost_centre\",\"user\",\"cost_centre\"}");
	ck_assert_str_eq(p[2], "{\"pool\",\"a\\\"b\",\"pool\"}");
	ck_assert_str_eq(p[3], "{1767225600000,1767225600000,1767225600000}");
	ck_assert_str_eq(p[4], "{50,50,60}");
	for (int i = 0; i < 5; i++)
		free(p[i]);
	/* A hold taken while the batch is in flight: after the delivery it
	 * still waits, and the file keeps every line. */
	ck_assert_int_eq(pg_allow_take(a, 9, &pool, 1, 70), 0);
	all = file_size();
	pg_allow_delivered(a);
	ck_assert_uint_eq(pg_allow_waiting(a), 1);
	ck_assert_int_eq(pg_allow_used(a), 70);
	ck_assert_int_eq(file_size(), all);
	ck_assert_uint_eq(pg_allow_batch(a, p), 1);
	ck_assert_str_eq(p[0], "{9}");
	for (int i = 0; i < 5; i++)
		free(p[i]);
	pg_allow_delivered(a);
	/* Everything delivered: the file starts afresh, the allowance is free. */
	ck_assert_uint_eq(pg_allow_waiting(a), 0);
	ck_assert_int_eq(pg_allow_used(a), 0);
	ck_assert_int_eq(file_size(), 0);
	ck_assert_int_eq(pg_allow_take(a, 10, &pool, 1, 1000), 0);
	ck_assert_uint_eq(pg_allow_waiting(a), 1);
	pg_allow_free(a);
}
END_TEST

START_TEST(test_batch_bounded)
{
	struct pg_allow *a;
	struct ora_error err;
	char *p[5];
	size_t total = 0, n;

	ck_assert_int_eq(pg_allow_open(path, INT64_MAX / 2, &a, &err), 0);
	for (int64_t id = 1; id <= PG_ALLOW_BATCH + 10; id++)
		ck_assert_int_eq(pg_allow_take(a, id, &pool, 1, 1), 0);
	while ((n = pg_allow_batch(a, p)) > 0) {
		ck_assert_uint_le(n, PG_ALLOW_BATCH);
		total += n;
		for (int i = 0; i < 5; i++)
			free(p[i]);
		pg_allow_delivered(a);
	}
	ck_assert_uint_eq(total, PG_ALLOW_BATCH + 10);
	ck_assert_int_eq(file_size(), 0);
	pg_allow_free(a);
}
END_TEST

Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("pg_allow");
	TCase *tc = tcase_create("allowance");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_limit_per_row);
	tcase_add_test(tc, test_names_with_separators);
	tcase_add_test(tc, test_restart_and_torn_line);
	tcase_add_test(tc, test_batch_and_delivery);
	tcase_add_test(tc, test_batch_bounded);
	suite_add_tcase(s, tc);
	return s;
}
