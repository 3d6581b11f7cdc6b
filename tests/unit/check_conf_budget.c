/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_conf_budget.c: budgets in ora.conf: the exact picodollars and
 * periods they load as, their defaults, which budget applies to a user, and
 * each mistake reported as "FILE:LINE: what is wrong; what to do".
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "check_conf.h"

#define PICO(usd) ((ora_pico)(usd)*ORA_PICO_PER_USD)

/* A file of ROLES CENTRES RULES (lines 1-3) and then text (from line 4). */
static char *
with_basics(const char *text)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), ROLES CENTRES RULES "%s", text);
	return buf;
}

static void
assert_budget(const struct ora_budget *b, ora_pico limit, enum ora_period p, double warn, int line)
{
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->set, 1);
	ck_assert_msg(
	    b->limit == limit, "limit %lld, want %lld", (long long)b->limit, (long long)limit);
	ck_assert_int_eq(b->period, p);
	ck_assert_double_eq(b->warn, warn);
	ck_assert_int_eq(b->line, line);
}

START_TEST(test_good_budgets)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	const struct ora_role *staff, *eng;

	ck_assert_msg(ora_conf_load(conf_data_path("good.conf"), &c, &d) == 0,
	    "good.conf refused:%s", conf_joined(d.errors, d.n_errors));
	ck_assert_msg(
	    d.n_warnings == 0, "unexpected warnings:%s", conf_joined(d.warnings, d.n_warnings));
	staff = ora_conf_find_role(c, "staff");
	eng = ora_conf_find_role(c, "engineer");
	/* usd = 5 (an integer) */
	assert_budget(&staff->budget, PICO(5), ORA_PERIOD_DAILY, 0.8, 44);
	ck_assert_int_eq(eng->budget.set, 0);
	/* usd = 200.5; period and warn left out */
	assert_budget(&ora_conf_find_centre(c, "prod")->budget, INT64_C(200500000000000),
	    ORA_PERIOD_WEEKLY, 0, 58);
	ck_assert_int_eq(ora_conf_find_centre(c, "dev")->budget.set, 0);

	ck_assert_str_eq(c->budgets.timezone, "Europe/Zurich");
	assert_budget(&c->budgets.global, INT64_C(1000250000000000), ORA_PERIOD_TOTAL, 0.9, 71);
	ck_assert_uint_eq(c->budgets.n_keys, 2);
	/* usd = 0: set, and nothing may be spent; monthly by default */
	assert_budget(ora_conf_key_budget(c, "dev"), 0, ORA_PERIOD_MONTHLY, 0, 73);
	/* Named by key = "..." since '.' cannot be in a libconfig name. */
	assert_budget(
	    ora_conf_key_budget(c, "prod-2024.key_1"), PICO(500), ORA_PERIOD_MONTHLY, 1.0, 74);
	ck_assert_ptr_null(ora_conf_key_budget(c, "prod"));
	ck_assert_ptr_null(ora_conf_key_budget(c, NULL));
	ck_assert_uint_eq(c->budgets.n_users, 1);
	/* usd = 0.0000225 is exactly 22500000 pico */
	assert_budget(
	    ora_conf_user_budget(c, staff, "root"), INT64_C(22500000), ORA_PERIOD_WEEKLY, 0, 77);
	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_budget_defaults)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;

	ck_assert_int_eq(ora_conf_load(conf_data_path("minimal.conf"), &c, &d), 0);
	ck_assert_str_eq(c->budgets.timezone, "UTC");
	ck_assert_int_eq(c->budgets.global.set, 0);
	ck_assert_uint_eq(c->budgets.n_keys, 0);
	ck_assert_uint_eq(c->budgets.n_users, 0);
	ck_assert_int_eq(c->roles[0].budget.set, 0);
	ck_assert_int_eq(c->centres[0].budget.set, 0);
	ck_assert_int_eq(c->daemon.ledger, 1);
	ck_assert_int_eq(c->upstream.reconcile_give_up, 86400);
	/* No override: the role's budget, unset. */
	ck_assert_ptr_eq(ora_conf_user_budget(c, &c->roles[0], "root"), &c->roles[0].budget);
	ck_assert_ptr_null(ora_conf_user_budget(c, NULL, "root"));
	ck_assert_ptr_null(ora_conf_key_budget(c, "dev"));
	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_user_override_beats_role)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	const struct ora_budget *b;

	ck_assert_msg(
	    conf_load_text("roles = { staff = { models = [ \"openai/*\" ]; default_model "
	                   "= \"openai/gpt-4o-mini\";\n"
	                   "  budget = { usd = 5.0; period = \"daily\"; }; }; };\n" CENTRES RULES
	                   "budgets = { users = {\n"
	                   "  root = { usd = 50; period = \"weekly\"; };\n"
	                   "  daemon-user = { user = \"daemon\"; usd = 0.1; };\n"
	                   "}; };\n",
	        &c, &d) == 0,
	    "refused:%s", conf_joined(d.errors, d.n_errors));
	ck_assert_msg(d.n_warnings == 0, "warnings:%s", conf_joined(d.warnings, d.n_warnings));
	b = ora_conf_user_budget(c, &c->roles[0], "root");
	assert_budget(b, PICO(50), ORA_PERIOD_WEEKLY, 0, 6);
	/* The entry's `user` names the user, not the entry's own name. */
	b = ora_conf_user_budget(c, &c->roles[0], "daemon");
	assert_budget(b, INT64_C(100000000000), ORA_PERIOD_MONTHLY, 0, 7);
	ck_assert_ptr_eq(ora_conf_user_budget(c, &c->roles[0], "daemon-user"), &c->roles[0].budget);
	/* Everyone else gets the role's. */
	b = ora_conf_user_budget(c, &c->roles[0], "nobody");
	ck_assert_ptr_eq(b, &c->roles[0].budget);
	assert_budget(b, PICO(5), ORA_PERIOD_DAILY, 0, 2);
	ck_assert_ptr_eq(ora_conf_user_budget(c, &c->roles[0], NULL), &c->roles[0].budget);
	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_amount_forms)
{
	static const struct {
		const char *usd;
		ora_pico want;
	} cases[] = {
	    {"0", 0},
	    {"0.0", 0},
	    {"0.1", INT64_C(100000000000)},
	    {"2.25e-05", INT64_C(22500000)},
	    {"1E3", PICO(1000)},
	    {"9000000.01", INT64_C(9000000010000000000)},
	    {"500000.37", INT64_C(500000370000000000)},
	    {"7L", PICO(7)},
	};
	char text[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ora_diag d = {0};
		struct ora_conf *c = NULL;

		snprintf(
		    text, sizeof(text), "budgets = { global = { usd = %s; }; };\n", cases[i].usd);
		ck_assert_msg(conf_load_text(with_basics(text), &c, &d) == 0, "usd = %s refused:%s",
		    cases[i].usd, conf_joined(d.errors, d.n_errors));
		ck_assert_msg(c->budgets.global.limit == cases[i].want, "usd = %s gave %lld",
		    cases[i].usd, (long long)c->budgets.global.limit);
		ck_assert_int_eq(c->budgets.global.set, 1);
		ora_conf_unref(c);
		ora_diag_clear(&d);
	}
}
END_TEST

START_TEST(test_amount_errors)
{
	assert_one_error(with_basics("budgets = {\n  global = { usd = -1; }; };\n"), 5,
	    "'usd' in budgets.global is -1, but it must be 0 or more", "usd = 5.0;");
	assert_one_error(with_basics("budgets = {\n  global = { usd = -0.5; }; };\n"), 5,
	    "'usd' in budgets.global is -0.5, but it must be 0 or more");
	assert_one_error(with_basics("budgets = {\n  global = { usd = 10000000; }; };\n"), 5,
	    "more than ora can count", "remove the budget");
	assert_one_error(with_basics("budgets = {\n  global = { usd = 1.5e7; }; };\n"), 5,
	    "more than ora can count");
	assert_one_error(with_basics("budgets = {\n  global = { usd = \"5\"; }; };\n"), 5,
	    "'usd' in budgets.global must be a number, not a string", "usd = 5.0;");
	assert_one_error(with_basics("budgets = {\n  global = { period = \"daily\"; }; };\n"), 5,
	    "budgets.global has no usd", "add e.g. usd = 5.0;");
	assert_one_error(with_basics("budgets = {\n  global = 100.0; };\n"), 5,
	    "'global' in budgets must be a group { ... }, not a number with a fraction");
}
END_TEST

START_TEST(test_period_and_warn_errors)
{
	assert_one_error(
	    with_basics(
	        "budgets = { keys = {\n  dev = { usd = 1.0; period = \"yearly\"; }; }; };\n"),
	    5, "period 'yearly' in budgets.keys.dev is not known",
	    "total, daily, weekly or monthly");
	assert_one_error(
	    with_basics("budgets = { keys = {\n  dev = { usd = 1.0; period = 30; }; }; };\n"), 5,
	    "'period' in budgets.keys.dev must be a string in double quotes, not an integer");
	assert_one_error(
	    with_basics("budgets = { users = {\n  root = { usd = 1.0; warn = 1.5; }; }; };\n"), 5,
	    "'warn' in budgets.users.root is 1.5, but it must be more than 0 and at most 1",
	    "warn = 0.8;");
	assert_one_error(
	    with_basics("budgets = { users = {\n  root = { usd = 1.0; warn = 0; }; }; };\n"), 5,
	    "'warn' in budgets.users.root is 0,");
	assert_one_error(
	    with_basics("budgets = { users = {\n  root = { usd = 1.0; warn = -0.2; }; }; };\n"), 5,
	    "'warn' in budgets.users.root is -0.2,");
}
END_TEST

/* Budgets inside roles and cost centres are named after them. */
START_TEST(test_section_budget_errors)
{
	assert_one_error("roles = { staff = { models = [ \"openai/*\" ]; default_model = "
	                 "\"openai/gpt-4o-mini\";\n  budget = { usd = 5.0; perod = \"daily\"; }; "
	                 "}; };\n" CENTRES RULES,
	    2, "unknown setting 'perod' in the budget of role 'staff'", "did you mean 'period'?");
	assert_one_error(ROLES "cost_centres = { dev = { key = \"dev\";\n  budget = { usd = -3; "
	                       "}; }; };\n" RULES,
	    3, "'usd' in the budget of cost centre 'dev' is -3");
	assert_one_error(ROLES
	    "cost_centres = { dev = { key = \"dev\";\n  budget = { }; }; };\n" RULES,
	    3, "the budget of cost centre 'dev' has no usd");
	/* A budget setting written straight into the role. */
	assert_one_error("roles = { staff = { models = [ \"openai/*\" ]; default_model = "
	                 "\"openai/gpt-4o-mini\";\n  usd = 5.0; }; };\n" CENTRES RULES,
	    2, "unknown setting 'usd' in role 'staff'", "'usd' is a budget setting: move it there");
	assert_one_error(with_basics("budgets = {\n  time_zone = \"UTC\"; };\n"), 5,
	    "unknown setting 'time_zone' in budgets", "did you mean 'timezone'?");
	assert_one_error(with_basics("budgets = {\n  user = { root = { usd = 1.0; }; }; };\n"), 5,
	    "unknown setting 'user' in budgets", "did you mean 'users'?");
	assert_one_error(with_basics("budgets = {\n  global = { usd = 1.0; warm = 0.5; }; };\n"), 5,
	    "unknown setting 'warm' in budgets.global", "did you mean 'warn'?");
	assert_one_error(with_basics("budgets = { keys = {\n  dev = 5.0; }; };\n"), 5,
	    "a key budget must be a group { ... }, not a number with a fraction");
	assert_one_error(with_basics("budgets = ( );\n"), 4, "budgets must be a group { ... }");
}
END_TEST

START_TEST(test_timezone_errors)
{
	static const char *const bad[] = {"Europe/Zuerich", "Mars/Olympus_Mons", "../../etc/passwd",
	    "/etc/localtime", "zone.tab"};
	char text[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[256];

		snprintf(text, sizeof(text), "budgets = {\n  timezone = \"%s\"; };\n", bad[i]);
		snprintf(want, sizeof(want),
		    "timezone '%s' in budgets is not a time zone this system knows (no "
		    "/usr/share/zoneinfo/%s)",
		    bad[i], bad[i]);
		assert_one_error(with_basics(text), 5, want, "use e.g. Europe/Zurich or UTC");
	}
	assert_one_error(with_basics("budgets = {\n  timezone = \"\"; };\n"), 5,
	    "timezone '' in budgets is not a time zone");
}
END_TEST

START_TEST(test_named_budget_names)
{
	/* Two entries for one user, through `user`. */
	assert_one_error(with_basics("budgets = { users = {\n  root = { usd = 1.0; };\n  admin = { "
	                             "user = \"root\"; usd = 2.0; }; }; };\n"),
	    6, "budgets.users has a second budget for user 'root' (the first is at line 5)",
	    "merge the two");
	assert_one_error(with_basics("budgets = { keys = {\n  prod = { key = \"../prod\"; usd = "
	                             "1.0; }; }; };\n"),
	    5, "key '../prod' in budgets.keys.prod is not a valid key name");
	assert_one_error(
	    with_basics("budgets = { users = {\n  a = { user = \"a, b\"; usd = 1.0; }; "
	                "}; };\n"),
	    5, "'a, b', which cannot be a user or group name");
}
END_TEST

START_TEST(test_budget_warnings)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;

	ck_assert_int_eq(conf_load_text(with_basics("budgets = {\n  keys = {\n    dev = { usd = "
	                                            "1.0; };\n    prdo = { usd = 2.0; }; };\n"
	                                            "  users = {\n    root = { usd = 1.0; };\n"
	                                            "    no-such-user-for-ora-tests = { usd = "
	                                            "1.0; }; }; };\n"),
	                     &c, &d),
	    0);
	assert_warning(&d, conf_tmpconf, 7, "the budget for key 'prdo' applies to nothing",
	    "no cost centre uses key 'prdo'", "the keys in use are: dev");
	assert_warning(&d, conf_tmpconf, 10,
	    "the budget for user 'no-such-user-for-ora-tests' applies to nobody",
	    "no user 'no-such-user-for-ora-tests' on this system");
	ck_assert_msg(
	    d.n_warnings == 2, "expected 2 warnings:%s", conf_joined(d.warnings, d.n_warnings));
	/* A warning does not stop the budget from loading. */
	ck_assert_int_eq(ora_conf_key_budget(c, "prdo")->limit, PICO(2));
	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_daemon_and_upstream_settings)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;

	ck_assert_int_eq(conf_load_text(with_basics("daemon = { ledger = false; };\nupstream = { "
	                                            "reconcile_give_up = 1; };\n"),
	                     &c, &d),
	    0);
	ck_assert_int_eq(c->daemon.ledger, 0);
	ck_assert_int_eq(c->upstream.reconcile_give_up, 1);
	ora_conf_unref(c);
	ora_diag_clear(&d);
	assert_one_error(with_basics("daemon = {\n  ledger = \"off\"; };\n"), 5,
	    "'ledger' in daemon must be true or false, not a string");
	assert_one_error(with_basics("upstream = {\n  reconcile_give_up = 0; };\n"), 5,
	    "'reconcile_give_up' in upstream is 0, but it must be greater than 0");
}
END_TEST

/* The users example in etc/ora.conf is commented out (it names people);
 * with the comment marks taken away it must load as it says. */
START_TEST(test_shipped_users_example)
{
	char path[1024], *text, *out, *start;
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	size_t n = 0, o = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc/ora.conf", getenv("top_srcdir"));
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	text = calloc(1, 65536);
	out = calloc(1, 65536);
	n = fread(text, 1, 65535, f);
	fclose(f);
	ck_assert_uint_gt(n, 0);
	ck_assert_ptr_nonnull(start = strstr(text, "\nbudgets = {"));
	for (size_t i = 0; i < n; i++) {
		if (text + i > start && strncmp(text + i, "\n  # ", 5) == 0) {
			memcpy(out + o, "\n  ", 3);
			o += 3;
			i += 4;
			continue;
		}
		out[o++] = text[i];
	}
	ck_assert_int_eq(conf_load_text(out, &c, &d), 0);
	ck_assert_uint_eq(c->budgets.n_users, 2);
	ck_assert_str_eq(c->budgets.users[0].name, "alice");
	ck_assert_int_eq(c->budgets.users[0].budget.period, ORA_PERIOD_DAILY);
	ck_assert_str_eq(c->budgets.users[1].name, "john.doe");
	ck_assert_int_eq(c->budgets.users[1].budget.limit, PICO(100));
	ora_conf_unref(c);
	ora_diag_clear(&d);
	free(text);
	free(out);
}
END_TEST

Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("conf_budget");
	TCase *tc = tcase_create("budgets");

	tcase_add_checked_fixture(tc, conf_setup_tmp, conf_teardown_tmp);
	tcase_add_test(tc, test_good_budgets);
	tcase_add_test(tc, test_budget_defaults);
	tcase_add_test(tc, test_user_override_beats_role);
	tcase_add_test(tc, test_amount_forms);
	tcase_add_test(tc, test_amount_errors);
	tcase_add_test(tc, test_period_and_warn_errors);
	tcase_add_test(tc, test_section_budget_errors);
	tcase_add_test(tc, test_timezone_errors);
	tcase_add_test(tc, test_named_budget_names);
	tcase_add_test(tc, test_budget_warnings);
	tcase_add_test(tc, test_daemon_and_upstream_settings);
	tcase_add_test(tc, test_shipped_users_example);
	suite_add_tcase(s, tc);
	return s;
}
