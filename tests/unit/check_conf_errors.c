/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_conf_errors.c: each kind of mistake in ora.conf, reported once as
 * "FILE:LINE: what is wrong; what to do".
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

START_TEST(test_syntax_error)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	const char *path = conf_data_path("syntax.conf");

	ck_assert_int_eq(ora_conf_load(path, &c, &d), -1);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(d.n_errors, 1);
	/* The missing ';' is on line 3; libconfig notices on line 4. */
	assert_error(&d, path, 4, "syntax error", "missing ';'");
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_unknown_settings)
{
	/* A typo one letter off gets the right name suggested. */
	assert_one_error("roles = { staff = { models = [ \"openai/*\" ];\n  default_model = "
	                 "\"openai/gpt-4o\";\n  max_token = 100; }; };\n" CENTRES RULES,
	    3, "unknown setting 'max_token' in role 'staff'", "did you mean 'max_tokens'?");
	/* The near miss is not also reported as missing. */
	assert_one_error("roles = { staff = { models = [ \"openai/*\" ];\n  default_modle = "
	                 "\"openai/gpt-4o\"; }; };\n" CENTRES RULES,
	    2, "unknown setting 'default_modle' in role 'staff'", "did you mean 'default_model'?");
	/* A right name in the wrong section says where it belongs. */
	assert_one_error(ROLES CENTRES RULES "daemon = { max_tokens = 100; };\n", 4,
	    "unknown setting 'max_tokens' in daemon", "is a role setting");
	/* Nothing close: the valid names are listed. */
	assert_one_error(ROLES CENTRES RULES "upstream = { proxy = \"http://proxy\"; };\n", 4,
	    "unknown setting 'proxy' in upstream", "base_url", "user_prefix");
	assert_one_error(ROLES CENTRES RULES "rule = ();\n", 4,
	    "unknown setting 'rule' at the top level", "did you mean 'rules'?");
	assert_one_error(ROLES
	    "cost_centres = { dev = { key = \"dev\"; modles = [ \"x\" ]; }; };\n" RULES,
	    2, "unknown setting 'modles' in cost centre 'dev'", "did you mean 'models'?");
	assert_one_error(ROLES CENTRES
	    "rules = ( { everyone = true; role = \"staff\"; cost_center = \"dev\"; } );\n",
	    3, "unknown setting 'cost_center' in the rule at line 3",
	    "did you mean 'cost_centre'?");
}
END_TEST

START_TEST(test_wrong_types)
{
	assert_one_error("roles = { staff = { models = [ \"openai/*\" ];\n  default_model = "
	                 "\"openai/gpt-4o\";\n  max_tokens = \"4096\"; }; };\n" CENTRES RULES,
	    3, "'max_tokens' in role 'staff' must be an integer, not a string",
	    "max_tokens = 4096;");
	/* An unquoted mode would be read as decimal 660. */
	assert_one_error(ROLES CENTRES RULES "daemon = { socket_mode = 0660; };\n", 4,
	    "'socket_mode' in daemon must be a string in double quotes, not an integer",
	    "socket_mode = \"0660\";");
	assert_one_error(ROLES CENTRES
	    "rules = ( { everyone = \"yes\"; role = \"staff\"; cost_centre = \"dev\"; } );\n",
	    3, "'everyone' in the rule at line 3 must be true or false", "everyone = true;");
	assert_one_error(ROLES CENTRES RULES "daemon = \"/run/ora.sock\";\n", 4,
	    "daemon must be a group { ... }, not a string");
	assert_one_error(
	    ROLES CENTRES "rules = { a = 1; };\n", 3, "rules must be a list ( ... ), not a group");
	assert_one_error(ROLES CENTRES RULES "upstream = { connect_timeout = 2.5; };\n", 4,
	    "must be an integer, not a number with a fraction");
}
END_TEST

START_TEST(test_limits_out_of_range)
{
	assert_one_error("roles = { staff = { models = [ \"openai/*\" ];\n  default_model = "
	                 "\"openai/gpt-4o\";\n  max_tokens = -1; }; };\n" CENTRES RULES,
	    3, "'max_tokens' in role 'staff' is -1, but it must be 0 or more", "0 means no cap");
	assert_one_error(ROLES CENTRES RULES "daemon = {\n  max_body_bytes = 0; };\n", 5,
	    "'max_body_bytes' in daemon is 0, but it must be greater than 0");
	assert_one_error(ROLES CENTRES RULES "upstream = {\n  catalog_refresh = -300; };\n", 5,
	    "'catalog_refresh' in upstream is -300");
}
END_TEST

START_TEST(test_rule_subject)
{
	assert_one_error(ROLES CENTRES
	    "rules = (\n  { role = \"staff\"; cost_centre = \"dev\"; } );\n",
	    4, "the rule at line 4 matches nobody",
	    "exactly one of user = \"NAME\";, group = \"NAME\"; or everyone = true;");
	assert_one_error(ROLES CENTRES "rules = (\n  { user = \"root\"; group = \"root\"; role = "
	                               "\"staff\"; cost_centre = \"dev\"; } );\n",
	    4, "more than one of user, group and everyone", "split it");
	assert_one_error(ROLES CENTRES
	    "rules = (\n  { everyone = false; role = \"staff\"; cost_centre = \"dev\"; } );\n",
	    4, "everyone = false in the rule at line 4 would match nobody");
	assert_one_error(ROLES CENTRES
	    "rules = (\n  { user = \"alice, bob\"; role = \"staff\"; cost_centre = \"dev\"; } );\n",
	    4, "'alice, bob', which cannot be a user or group name", "write one rule for each");
}
END_TEST

START_TEST(test_rule_references)
{
	assert_one_error(ROLES CENTRES
	    "rules = (\n  { everyone = true;\n    role = \"boss\"; cost_centre = \"dev\"; } );\n",
	    5, "rule at line 4 names role 'boss', which is not defined in roles",
	    "use one of: staff");
	assert_one_error(ROLES CENTRES "rules = (\n  { everyone = true; role = \"staff\";\n    "
	                               "cost_centres = [ \"dev\", \"prod\" ]; } );\n",
	    5, "rule at line 4 names cost centre 'prod', which is not defined in cost_centres",
	    "use one of: dev");
	assert_one_error(ROLES CENTRES
	    "rules = (\n  { everyone = true; cost_centre = \"dev\"; } );\n",
	    4, "the rule at line 4 grants no role", "role = \"NAME\";", "staff");
}
END_TEST

START_TEST(test_rule_cost_centres)
{
	assert_one_error(ROLES CENTRES "rules = (\n  { everyone = true; role = \"staff\"; } );\n",
	    4, "the rule at line 4 grants no cost centre", "cost_centre = \"NAME\";", "dev");
	assert_one_error(ROLES CENTRES "rules = (\n  { everyone = true; role = \"staff\"; "
	                               "cost_centre = \"dev\"; cost_centres = [ \"dev\" ]; } );\n",
	    4, "both cost_centre and cost_centres", "keep one");
	assert_one_error(ROLES CENTRES
	    "rules = (\n  { everyone = true; role = \"staff\";\n    cost_centres = [ ]; } );\n",
	    5, "'cost_centres' in the rule at line 4 is empty", "list at least one");
}
END_TEST

START_TEST(test_role_models)
{
	assert_one_error("roles = {\n  staff = { default_model = \"x/y\"; };\n};\n" CENTRES RULES,
	    2, "role 'staff' has no models", "models = [");
	assert_one_error("roles = {\n  staff = { models = [ \"openai/*\" ]; };\n};\n" CENTRES RULES,
	    2, "role 'staff' has no default_model", "default_model =");
	assert_one_error("roles = { staff = {\n  models = [ \"openai/*\" ];\n  default_model = "
	                 "\"anthropic/claude-3.5-haiku\"; }; };\n" CENTRES RULES,
	    3,
	    "default_model 'anthropic/claude-3.5-haiku' of role 'staff' is not allowed by the "
	    "role's own models",
	    "add a pattern that matches it");
	assert_one_error("roles = { staff = {\n  models = [ \"openai/*\" ];\n  default_model = "
	                 "\"openai/*\"; }; };\n" CENTRES RULES,
	    3, "default_model 'openai/*' in role 'staff' is a pattern", "must name one model");
	assert_one_error("roles = { staff = {\n  models = [ ];\n  default_model = "
	                 "\"openai/gpt-4o\"; }; };\n" CENTRES RULES,
	    2, "'models' in role 'staff' is empty");
}
END_TEST

START_TEST(test_centre_keys)
{
	char long64[65], long65[66];
	const char *const bad[] = {
	    ".hidden",
	    "a/b",
	    "../prod",
	    "with space",
	    "\xc3\xa9",
	    long65,
	};
	const char *const good[] = {"dev", "prod-2024.v2_A", "a", long64};
	char text[1024];

	memset(long64, 'k', 64);
	long64[64] = '\0';
	memset(long65, 'k', 65);
	long65[65] = '\0';

	assert_one_error(ROLES "cost_centres = {\n  dev = { title = \"x\"; };\n};\n" RULES, 3,
	    "cost centre 'dev' has no key", "key = \"NAME\";");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
		    ROLES "cost_centres = {\n  dev = { key = \"%s\"; };\n};\n" RULES, bad[i]);
		assert_one_error(
		    text, 3, "is not a valid key name", "1 to 64 letters, digits, '_', '.' or '-'");
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct ora_diag d = {0};
		struct ora_conf *c = NULL;

		snprintf(text, sizeof(text),
		    ROLES "cost_centres = {\n  dev = { key = \"%s\"; };\n};\n" RULES, good[i]);
		ck_assert_msg(conf_load_text(text, &c, &d) == 0, "key '%s' refused:%s", good[i],
		    conf_joined(d.errors, d.n_errors));
		ck_assert_str_eq(c->centres[0].key, good[i]);
		ora_conf_unref(c);
		ora_diag_clear(&d);
	}
	assert_one_error(
	    ROLES "cost_centres = {\n  dev = { key = \"dev\";\n    models = [ ]; };\n};\n" RULES, 4,
	    "'models' in cost centre 'dev' is empty", "remove it to allow every model of the role");
}
END_TEST

START_TEST(test_duplicate_names)
{
	assert_one_error(ROLES
	    "cost_centres = {\n  dev = { key = \"a\"; };\n  dev = { key = \"b\"; };\n};\n" RULES,
	    4, "duplicate setting name", "rename or merge the two");
}
END_TEST

/* daemon.listen: loopback only, numeric, each once; a good one is kept. */
START_TEST(test_daemon_listen)
{
	static const char *const not_loopback[] = {"0.0.0.0:8391", "192.0.2.1:8391", "[::]:8391",
	    "[::ffff:127.0.0.1]:8391", "[2001:db8::1]:8391"};
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	char text[1024];

	for (size_t i = 0; i < sizeof(not_loopback) / sizeof(not_loopback[0]); i++) {
		snprintf(text, sizeof(text),
		    ROLES CENTRES RULES "daemon = { listen = [ \"%s\" ]; };\n", not_loopback[i]);
		assert_one_error(text, 4, "daemon.listen:", not_loopback[i],
		    "is not a loopback address", "127.0.0.1 or [::1]");
	}
	assert_one_error(ROLES CENTRES RULES "daemon = { listen = [ \"localhost:8391\" ]; };\n", 4,
	    "daemon.listen:", "host names are not accepted");
	assert_one_error(ROLES CENTRES RULES "daemon = { listen = [ \"127.0.0.1\" ]; };\n", 4,
	    "daemon.listen:", "127.0.0.1:8391");
	assert_one_error(ROLES CENTRES RULES "daemon = { listen = [ \"127.0.0.1:0\" ]; };\n", 4,
	    "daemon.listen:", "needs a port from 1 to 65535");
	assert_one_error(ROLES CENTRES RULES
	    "daemon = { listen = [ \"127.0.0.1:8391\", \"127.0.0.1:8391\" ]; };\n",
	    4, "daemon.listen:", "is listed twice");
	assert_one_error(ROLES CENTRES RULES "daemon = { listen = \"127.0.0.1:8391\"; };\n", 4,
	    "'listen' in daemon must be an array of strings");
	assert_one_error(ROLES CENTRES RULES "daemon = { listen = [ ]; };\n", 4,
	    "'listen' in daemon is empty", "remove the setting");

	ck_assert_int_eq(conf_load_text(ROLES CENTRES RULES
	                     "daemon = { listen = [ \"127.0.0.1:8391\", \"[::1]:8391\" ]; };\n",
	                     &c, &d),
	    0);
	ck_assert_uint_eq(c->daemon.n_listen, 2);
	ck_assert_str_eq(c->daemon.listen[1], "[::1]:8391");
	ora_conf_unref(c);
	ora_diag_clear(&d);
	ck_assert_int_eq(conf_load_text(ROLES CENTRES RULES, &c, &d), 0);
	ck_assert_uint_eq(c->daemon.n_listen, 0); /* off by default */
	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_daemon_values)
{
	static const char *const bad_modes[] = {"0999", "660x", "07777", "66", "rw-rw----"};
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;
	char text[1024];

	for (size_t i = 0; i < sizeof(bad_modes) / sizeof(bad_modes[0]); i++) {
		snprintf(text, sizeof(text),
		    ROLES CENTRES RULES "daemon = { socket_mode = \"%s\"; };\n", bad_modes[i]);
		assert_one_error(text, 4, "socket_mode", "is not an octal permission mode",
		    "socket_mode = \"0660\";");
	}
	ck_assert_int_eq(
	    conf_load_text(ROLES CENTRES RULES "daemon = { socket_mode = \"600\"; };\n", &c, &d),
	    0);
	ck_assert_uint_eq(c->daemon.socket_mode, 0600);
	ora_conf_unref(c);
	ora_diag_clear(&d);

	assert_one_error(ROLES CENTRES RULES "daemon = { log_level = \"verbose\"; };\n", 4,
	    "log_level 'verbose' in daemon is not a level", "error, warning, info or debug");
	assert_one_error(ROLES CENTRES RULES "daemon = { state_dir = \"var/lib/ora\"; };\n", 4,
	    "'state_dir' in daemon is 'var/lib/ora', a relative path", "absolute");
	assert_one_error(ROLES CENTRES RULES
	    "daemon = { socket = "
	    "\"/tmp/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaa\"; };\n",
	    4, "a Unix socket path must be shorter than 108");
	assert_one_error(ROLES CENTRES RULES "daemon = { admin_group = \"\"; };\n", 4,
	    "'admin_group' in daemon is empty");
}
END_TEST

START_TEST(test_upstream_values)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;

	assert_one_error(ROLES CENTRES RULES "upstream = { user_field = \"email\"; };\n", 4,
	    "user_field 'email' in upstream is not known", "name, uid, hash or none");
	assert_one_error(ROLES CENTRES RULES "upstream = { base_url = \"openrouter.ai\"; };\n", 4,
	    "base_url 'openrouter.ai' is not an http:// or https:// URL");
	/* Plain http elsewhere than this machine loads, with a warning. */
	ck_assert_int_eq(conf_load_text(ROLES CENTRES RULES
	                     "upstream = { base_url = \"http://proxy.example.org/v1\"; };\n",
	                     &c, &d),
	    0);
	assert_warning(&d, conf_tmpconf, 4, "plain http", "unencrypted");
	ck_assert_str_eq(c->upstream.base_url, "http://proxy.example.org/v1");
	ora_conf_unref(c);
	ora_diag_clear(&d);
}
END_TEST

START_TEST(test_missing_sections)
{
	struct ora_diag d = {0};
	struct ora_conf *c = NULL;

	ck_assert_int_eq(conf_load_text("contact = \"me\";\n", &c, &d), -1);
	ck_assert_uint_eq(d.n_errors, 3);
	assert_error(&d, conf_tmpconf, 0, "no roles are defined");
	assert_error(&d, conf_tmpconf, 0, "no cost centres are defined");
	assert_error(&d, conf_tmpconf, 0, "no rules, so nobody may use ora");
	ora_diag_clear(&d);
	assert_one_error(ROLES CENTRES "rules = ( );\n", 3, "rules is empty, so nobody may use ora",
	    "add at least one rule");
}
END_TEST
Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("conf_errors");
	TCase *tc = tcase_create("errors");

	tcase_add_checked_fixture(tc, conf_setup_tmp, conf_teardown_tmp);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_unknown_settings);
	tcase_add_test(tc, test_wrong_types);
	tcase_add_test(tc, test_limits_out_of_range);
	tcase_add_test(tc, test_rule_subject);
	tcase_add_test(tc, test_rule_references);
	tcase_add_test(tc, test_rule_cost_centres);
	tcase_add_test(tc, test_role_models);
	tcase_add_test(tc, test_centre_keys);
	tcase_add_test(tc, test_duplicate_names);
	tcase_add_test(tc, test_daemon_values);
	tcase_add_test(tc, test_daemon_listen);
	tcase_add_test(tc, test_upstream_values);
	tcase_add_test(tc, test_missing_sections);
	suite_add_tcase(s, tc);
	return s;
}
