/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_conf.c: loading ora.conf, as an operator sees it: the values and
 * defaults that land in the struct, the warnings for rules that can never
 * match or names that do not exist, and several errors reported at once.
 * Each single kind of mistake is in check_conf_errors.c.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/conf.h"
#include "check_conf.h"

START_TEST(test_good_config_values)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	const struct ora_role *staff, *eng;
	const struct ora_cost_centre *prod;

	ck_assert_msg(ora_conf_load(conf_data_path("good.conf"), &c, &d) == 0,
	    "good.conf refused:%s", conf_joined(d.errors, d.n_errors));
	ck_assert_msg(
	    d.n_warnings == 0, "unexpected warnings:%s", conf_joined(d.warnings, d.n_warnings));
	ck_assert_int_eq(c->refcount, 1);
	ck_assert_str_eq(c->path, conf_data_path("good.conf"));
	ck_assert_str_eq(c->contact, "the ora team (ora@example.org)");

	ck_assert_str_eq(c->daemon.socket_path, "/tmp/ora-test/ora.sock");
	ck_assert_str_eq(c->daemon.socket_owner, "root");
	ck_assert_str_eq(c->daemon.socket_group, "root");
	ck_assert_uint_eq(c->daemon.socket_mode, 0640);
	ck_assert_str_eq(c->daemon.state_dir, "/tmp/ora-test/state");
	ck_assert_str_eq(c->daemon.master_key, "/tmp/ora-test/master.key");
	ck_assert_str_eq(c->daemon.user, "nobody");
	ck_assert_str_eq(c->daemon.group, "nogroup");
	ck_assert_str_eq(c->daemon.admin_group, "root");
	ck_assert_str_eq(c->daemon.log_level, "debug");
	ck_assert_int_eq(c->daemon.max_body_bytes, 1048576);
	ck_assert_int_eq(c->daemon.max_header_bytes, 8192);
	ck_assert_int_eq(c->daemon.header_timeout, 5);
	ck_assert_int_eq(c->daemon.request_timeout, 120);
	ck_assert_int_eq(c->daemon.max_connections_per_uid, 8);
	ck_assert_int_eq(c->daemon.shutdown_grace, 0);
	ck_assert_int_eq(c->daemon.ledger, 0);

	/* The trailing slash is dropped: paths are appended with one. */
	ck_assert_str_eq(c->upstream.base_url, "http://127.0.0.1:8080/api/v1");
	ck_assert_int_eq(c->upstream.connect_timeout, 3);
	ck_assert_int_eq(c->upstream.catalog_refresh, 60);
	ck_assert_str_eq(c->upstream.referer, "https://example.org/");
	ck_assert_str_eq(c->upstream.title, "ora tests");
	ck_assert_int_eq(c->upstream.user_field, ORA_USER_FIELD_HASH);
	ck_assert_str_eq(c->upstream.user_prefix, "example.org:");
	ck_assert_int_eq(c->upstream.reconcile_give_up, 3600);

	ck_assert_uint_eq(c->n_roles, 2);
	staff = ora_conf_find_role(c, "staff");
	ck_assert_ptr_nonnull(staff);
	ck_assert_uint_eq(staff->n_models, 3);
	ck_assert_str_eq(staff->models[0], "openai/gpt-4o-mini*");
	ck_assert_str_eq(staff->models[2], "*:free");
	ck_assert_str_eq(staff->default_model, "openai/gpt-4o-mini");
	ck_assert_int_eq(staff->max_tokens, 4096);
	ck_assert_int_eq(staff->requests_per_minute, 30);
	ck_assert_int_eq(staff->concurrent_requests, 2);
	eng = ora_conf_find_role(c, "engineer");
	ck_assert_ptr_nonnull(eng);
	ck_assert_int_eq(eng->max_tokens, 0);
	ck_assert_int_eq(eng->requests_per_minute, 0);
	ck_assert_ptr_null(ora_conf_find_role(c, "Staff"));

	ck_assert_uint_eq(c->n_centres, 2);
	prod = ora_conf_find_centre(c, "prod");
	ck_assert_ptr_nonnull(prod);
	ck_assert_str_eq(prod->key, "prod-2024.key_1");
	ck_assert_uint_eq(prod->n_models, 2);
	ck_assert_str_eq(prod->models[1], "anthropic/claude-3.5-sonnet");
	ck_assert_str_eq(prod->title, "ora production jobs");
	ck_assert_ptr_null(ora_conf_find_centre(c, "dev")->title);
	ck_assert_uint_eq(ora_conf_find_centre(c, "dev")->n_models, 0);
	ck_assert_ptr_null(ora_conf_find_centre(c, "research"));

	ck_assert_uint_eq(c->n_rules, 3);
	ck_assert_int_eq(c->rules[0].line, 63);
	ck_assert_int_eq(c->rules[0].kind, ORA_RULE_USER);
	ck_assert_str_eq(c->rules[0].name, "root");
	ck_assert_ptr_eq(c->rules[0].role, eng);
	ck_assert_uint_eq(c->rules[0].n_centres, 2);
	ck_assert_str_eq(c->rules[0].centres[0]->name, "dev");
	ck_assert_ptr_eq(c->rules[0].centres[1], prod);
	ck_assert_int_eq(c->rules[1].kind, ORA_RULE_GROUP);
	ck_assert_str_eq(c->rules[1].name, "root");
	ck_assert_uint_eq(c->rules[1].n_centres, 1);
	ck_assert_ptr_eq(c->rules[1].centres[0], prod);
	ck_assert_int_eq(c->rules[2].kind, ORA_RULE_EVERYONE);
	ck_assert_ptr_null(c->rules[2].name);
	ck_assert_int_eq(c->rules[2].line, 65);

	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_defaults)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;

	ck_assert_msg(ora_conf_load(conf_data_path("minimal.conf"), &c, &d) == 0,
	    "minimal.conf refused:%s", conf_joined(d.errors, d.n_errors));
	ck_assert_uint_eq(d.n_warnings, 0);
	ck_assert_str_eq(c->daemon.socket_path, ORA_DEFAULT_SOCKET_PATH);
	ck_assert_uint_eq(c->daemon.socket_mode, 0666);
	ck_assert_str_eq(c->daemon.state_dir, ORA_DEFAULT_STATE_DIR);
	ck_assert_str_eq(c->daemon.master_key, ORA_DEFAULT_MASTER_KEY);
	ck_assert_ptr_null(c->daemon.socket_owner);
	ck_assert_ptr_null(c->daemon.socket_group);
	ck_assert_ptr_null(c->daemon.user);
	ck_assert_ptr_null(c->daemon.admin_group);
	ck_assert_str_eq(c->daemon.log_level, "info");
	ck_assert_int_eq(c->daemon.max_body_bytes, ORA_DEFAULT_MAX_BODY_BYTES);
	ck_assert_int_eq(c->daemon.max_header_bytes, ORA_DEFAULT_MAX_HEADER_BYTES);
	ck_assert_int_eq(c->daemon.header_timeout, ORA_DEFAULT_HEADER_TIMEOUT_S);
	ck_assert_int_eq(c->daemon.request_timeout, ORA_DEFAULT_REQUEST_TIMEOUT_S);
	ck_assert_int_eq(c->daemon.max_connections_per_uid, ORA_DEFAULT_MAX_CONN_PER_UID);
	ck_assert_int_eq(c->daemon.shutdown_grace, ORA_DEFAULT_SHUTDOWN_GRACE_S);
	ck_assert_int_eq(c->daemon.ledger, 1);
	ck_assert_str_eq(c->upstream.base_url, ORA_DEFAULT_UPSTREAM);
	ck_assert_int_eq(c->upstream.connect_timeout, ORA_DEFAULT_CONNECT_TIMEOUT_S);
	ck_assert_int_eq(c->upstream.catalog_refresh, ORA_DEFAULT_CATALOG_REFRESH_S);
	ck_assert_ptr_null(c->upstream.referer);
	ck_assert_ptr_null(c->upstream.title);
	ck_assert_int_eq(c->upstream.user_field, ORA_USER_FIELD_NAME);
	ck_assert_str_eq(c->upstream.user_prefix, "");
	ck_assert_int_eq(c->upstream.reconcile_give_up, 86400);
	/* Refused users are always told someone to ask. */
	ck_assert_ptr_nonnull(c->contact);
	ck_assert_uint_gt(strlen(c->contact), 0);
	ck_assert_int_eq(c->roles[0].max_tokens, 0);
	ck_assert_int_eq(c->roles[0].concurrent_requests, 0);
	/* cost_centre = "dev"; is a one-element cost_centres. */
	ck_assert_uint_eq(c->rules[0].n_centres, 1);
	ck_assert_str_eq(c->rules[0].centres[0]->name, "dev");
	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_shipped_example_loads)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	char path[1024];

	snprintf(path, sizeof(path), "%s/etc/ora.conf", getenv("top_srcdir"));
	ck_assert_msg(ora_conf_load(path, &c, &d) == 0, "etc/ora.conf refused:%s",
	    conf_joined(d.errors, d.n_errors));
	ck_assert_uint_eq(c->n_roles, 2);
	ck_assert_uint_eq(c->n_centres, 5);
	ck_assert_uint_eq(c->n_rules, 4);
	ck_assert_uint_eq(c->daemon.socket_mode, 0660);
	ck_assert_str_eq(c->rules[0].name, "ora-admins");
	ck_assert_uint_eq(c->rules[0].n_centres, 3);
	ck_assert_str_eq(c->rules[0].centres[2]->name, "prod");
	ck_assert_str_eq(c->rules[3].role->name, "staff");
	/* Its budgets: per user by role, pooled by centre, by key, global. */
	ck_assert_str_eq(c->budgets.timezone, "UTC");
	ck_assert(c->roles[0].budget.set);
	ck_assert_int_eq(c->roles[0].budget.limit, INT64_C(5000000000000));
	ck_assert_int_eq(c->roles[0].budget.period, ORA_PERIOD_DAILY);
	ck_assert_int_eq(
	    ora_conf_find_centre(c, "research")->budget.limit, INT64_C(200000000000000));
	ck_assert(!ora_conf_find_centre(c, "dev")->budget.set);
	ck_assert_int_eq(c->budgets.global.limit, INT64_C(2000000000000000));
	ck_assert_int_eq(ora_conf_key_budget(c, "prod")->limit, INT64_C(500000000000000));
	ck_assert_uint_eq(c->budgets.n_users, 0);
	ck_assert_int_eq(c->daemon.ledger, 1);
	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_many_errors_all_reported)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	const char *p = conf_data_path("many_errors.conf");

	ck_assert_int_eq(ora_conf_load(p, &c, &d), -1);
	ck_assert_ptr_null(c);
	assert_error(&d, p, 2, "log_level 'verbose'");
	assert_error(&d, p, 3, "socket_mode '0999'");
	assert_error(&d, p, 8, "default_model 'anthropic/claude-3.5-haiku'");
	assert_error(&d, p, 9, "'max_token'", "did you mean 'max_tokens'?");
	assert_error(&d, p, 13, "key '.hidden'");
	assert_error(&d, p, 16, "names role 'staf'");
	assert_error(&d, p, 17, "grants no cost centre");
	assert_error(&d, p, 20, "timezone 'Mars/Olympus_Mons'", "not a time zone");
	assert_error(&d, p, 21, "period 'yearly' in budgets.global is not known");
	ck_assert_msg(
	    d.n_errors == 9, "expected 9 errors, got:%s", conf_joined(d.errors, d.n_errors));
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_shadowed_rules)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;

	ck_assert_int_eq(
	    conf_load_text(ROLES CENTRES
	        "rules = (\n  { group = \"root\"; role = \"staff\"; cost_centre = \"dev\"; },\n  { "
	        "everyone = true; role = \"staff\"; cost_centre = \"dev\"; },\n  { group = "
	        "\"root\"; role = \"staff\"; cost_centre = \"dev\"; },\n  { user = \"root\"; role "
	        "= \"staff\"; cost_centre = \"dev\"; }\n);\n",
	        &c, &d),
	    0);
	ck_assert_ptr_nonnull(c);
	/* Line 6 repeats line 4's group; line 7 comes after everyone. */
	assert_warning(&d, conf_tmpconf, 6, "the rule for group 'root' can never match", "line 4");
	assert_warning(&d, conf_tmpconf, 7, "the rule for user 'root' can never match",
	    "line 5 before it matches everyone", "move this rule above line 5");
	ck_assert_msg(
	    d.n_warnings == 2, "expected 2 warnings:%s", conf_joined(d.warnings, d.n_warnings));
	ck_assert_uint_eq(c->n_rules, 4);
	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_other_warnings)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;

	ck_assert_int_eq(
	    conf_load_text(
	        "roles = { staff = { models = [ \"openai/*\" ]; default_model = \"openai/gpt-4o\"; "
	        "}; unused = { models = [ \"x/*\" ]; default_model = \"x/y\"; }; };\ncost_centres "
	        "= { dev = { key = \"dev\"; models = [ \"openai/gpt-4o-mini\" ]; };\n  spare = { "
	        "key = \"spare\"; }; };\nrules = (\n  { group = \"no-such-group-for-ora-tests\"; "
	        "role = \"staff\"; cost_centre = \"dev\"; }\n);\n",
	        &c, &d),
	    0);
	assert_warning(&d, conf_tmpconf, 5,
	    "group 'no-such-group-for-ora-tests', which does not exist on this system");
	assert_warning(&d, conf_tmpconf, 5, "cost centre 'dev' that name no model will be refused",
	    "default_model 'openai/gpt-4o'");
	assert_warning(&d, conf_tmpconf, 0, "role 'unused' is defined but no rule grants it");
	assert_warning(&d, conf_tmpconf, 0, "cost centre 'spare' is defined but no rule grants it");
	ck_assert_msg(
	    d.n_warnings == 4, "expected 4 warnings:%s", conf_joined(d.warnings, d.n_warnings));
	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_include_names_its_file)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	char inc[1024];

	ck_assert_int_eq(ora_conf_load(conf_data_path("include_main.conf"), &c, &d), -1);
	snprintf(inc, sizeof(inc), "%s", conf_data_path("include_roles.inc"));
	assert_error(&d, inc, 5, "'max_tokens' in role 'staff' is -5");
	ck_assert_uint_eq(d.n_errors, 1);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_file_problems)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	char missing[400];

	snprintf(missing, sizeof(missing), "%s/nope.conf", conf_tmpdir);
	ck_assert_int_eq(ora_conf_load(missing, &c, &d), -1);
	ck_assert_uint_eq(d.n_errors, 1);
	assert_error(&d, missing, 0, "cannot read the configuration", "No such file or directory",
	    "pass another with -c");
	ora_diag_clear(&d);

	/* Anyone could rewrite a world-writable policy. */
	ck_assert_int_eq(conf_load_text(ROLES CENTRES RULES, &c, &d), 0);
	ora_conf_unref(c);
	ck_assert_int_eq(chmod(conf_tmpconf, 0666), 0);
	ck_assert_int_eq(ora_conf_load(conf_tmpconf, &c, &d), -1);
	assert_error(&d, conf_tmpconf, 0, "writable by every user", "chmod o-w");
	ora_diag_clear(&d);

	ck_assert_int_eq(ora_conf_load(conf_tmpdir, &c, &d), -1);
	assert_error(&d, conf_tmpdir, 0, "is not a regular file");
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_refcount_and_null)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;

	ck_assert_int_eq(ora_conf_load(conf_data_path("minimal.conf"), &c, NULL), 0);
	ck_assert_ptr_eq(ora_conf_ref(c), c);
	ck_assert_int_eq(c->refcount, 2);
	ora_conf_unref(c);
	ck_assert_int_eq(c->refcount, 1);
	/* The struct is still whole after one of two references is gone. */
	ck_assert_str_eq(c->roles[0].name, "staff");
	ora_conf_unref(c);
	ora_conf_unref(NULL);
	ck_assert_ptr_null(ora_conf_ref(NULL));
	ora_diag_clear(NULL);
	ora_diag_clear(&d);
	ck_assert_ptr_null(ora_conf_find_role(NULL, "staff"));
}
END_TEST
Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, conf_setup_tmp, conf_teardown_tmp);
	tcase_add_test(tc, test_good_config_values);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_shipped_example_loads);
	tcase_add_test(tc, test_many_errors_all_reported);
	tcase_add_test(tc, test_shadowed_rules);
	tcase_add_test(tc, test_other_warnings);
	tcase_add_test(tc, test_include_names_its_file);
	tcase_add_test(tc, test_file_problems);
	tcase_add_test(tc, test_refcount_and_null);
	suite_add_tcase(s, tc);
	return s;
}
