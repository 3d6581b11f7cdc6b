/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_policy.c: who gets which rule, cost centre and models, from
 * tests/unit/data/conf/policy.conf and made-up identities.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "config/identity.h"
#include "config/policy.h"

static struct ora_conf *conf;

static void
load_policy(void)
{
	struct ora_diag d = {0};
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/unit/data/conf/policy.conf",
	    getenv("top_srcdir") != NULL ? getenv("top_srcdir") : ".");
	ck_assert_msg(ora_conf_load(path, &conf, &d) == 0, "%s refused: %s", path,
	    d.n_errors > 0 ? d.errors[0] : "?");
	ora_diag_clear(&d);
}

static void
unload_policy(void)
{
	ora_conf_unref(conf);
	conf = NULL;
}

/* An identity as ora_identity_resolve would build it; the groups end with
 * NULL, and the first is the primary group. */
static void
make_id(struct ora_identity *id, const char *user, ...)
{
	const char *g;
	va_list ap;

	memset(id, 0, sizeof(*id));
	snprintf(id->user, sizeof(id->user), "%s", user);
	id->uid = 1000;
	id->gid = 1000;
	id->groups = calloc(8, sizeof(char *));
	id->gids = calloc(8, sizeof(gid_t));
	va_start(ap, user);
	while ((g = va_arg(ap, const char *)) != NULL && id->n_groups < 8) {
		id->gids[id->n_groups] = (gid_t)(1000 + id->n_groups);
		id->groups[id->n_groups++] = strdup(g);
	}
	va_end(ap);
}

/* Rules in policy.conf: alice (line 22), group developers (23), group
 * staff (24), everyone (25). */
START_TEST(test_user_rule_before_group)
{
	struct ora_identity id;
	const struct ora_rule *r;
	const char *via = "unset";

	/* alice is a developer too, but her own rule comes first. */
	make_id(&id, "alice", "alice", "developers", NULL);
	r = ora_policy_match(conf, &id, &via);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->line, 22);
	ck_assert_int_eq(r->kind, ORA_RULE_USER);
	ck_assert_str_eq(r->role->name, "staff");
	ck_assert_ptr_null(via);
	ora_identity_clear(&id);
}
END_TEST

START_TEST(test_group_rules_first_match)
{
	struct ora_identity id;
	const struct ora_rule *r;
	const char *via = NULL;

	/* In both developers and staff: the earlier rule (developers) wins,
	 * whatever the order of the user's groups. */
	make_id(&id, "bob", "bob", "staff", "developers", NULL);
	r = ora_policy_match(conf, &id, &via);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->line, 23);
	ck_assert_str_eq(r->role->name, "engineer");
	ck_assert_str_eq(via, "developers");
	ora_identity_clear(&id);

	make_id(&id, "carol", "carol", "staff", NULL);
	r = ora_policy_match(conf, &id, &via);
	ck_assert_int_eq(r->line, 24);
	ck_assert_str_eq(via, "staff");
	ora_identity_clear(&id);

	/* A primary group counts as membership too. */
	make_id(&id, "erin", "developers", NULL);
	r = ora_policy_match(conf, &id, &via);
	ck_assert_int_eq(r->line, 23);
	ora_identity_clear(&id);

	/* A user named like a group is not a member of it. */
	make_id(&id, "developers", "users", NULL);
	r = ora_policy_match(conf, &id, &via);
	ck_assert_int_eq(r->line, 25);
	ora_identity_clear(&id);
}
END_TEST

START_TEST(test_everyone_and_no_match)
{
	struct ora_identity id;
	const struct ora_rule *r;
	const char *via = "unset";

	make_id(&id, "dave", "dave", "users", NULL);
	r = ora_policy_match(conf, &id, &via);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, ORA_RULE_EVERYONE);
	ck_assert_int_eq(r->line, 25);
	ck_assert_ptr_null(via);

	/* Without the everyone rule nobody else matches. */
	conf->n_rules = 3;
	ck_assert_ptr_null(ora_policy_match(conf, &id, &via));
	ck_assert_ptr_null(via);
	conf->n_rules = 4;
	/* Group names compare exactly. */
	ora_identity_clear(&id);
	make_id(&id, "frank", "Developers", "developers2", NULL);
	conf->n_rules = 3;
	ck_assert_ptr_null(ora_policy_match(conf, &id, NULL));
	conf->n_rules = 4;
	ora_identity_clear(&id);
	ck_assert_ptr_null(ora_policy_match(NULL, &id, NULL));
}
END_TEST

START_TEST(test_centre_selection)
{
	const struct ora_rule *dev_rule = &conf->rules[1];
	const struct ora_rule *alice_rule = &conf->rules[0];

	ck_assert_str_eq(ora_policy_centre(dev_rule, NULL)->name, "dev");
	ck_assert_str_eq(ora_policy_centre(dev_rule, "")->name, "dev");
	ck_assert_str_eq(ora_policy_centre(dev_rule, "prod")->name, "prod");
	ck_assert_str_eq(ora_policy_centre(dev_rule, "dev")->name, "dev");
	/* Defined, but not granted by this rule: refused. */
	ck_assert_ptr_null(ora_policy_centre(dev_rule, "support"));
	ck_assert_ptr_null(ora_policy_centre(dev_rule, "nowhere"));
	ck_assert_ptr_null(ora_policy_centre(dev_rule, "Prod"));
	ck_assert_str_eq(ora_policy_centre(alice_rule, NULL)->name, "support");
	ck_assert_ptr_null(ora_policy_centre(alice_rule, "prod"));
	ck_assert_ptr_null(ora_policy_centre(NULL, NULL));
}
END_TEST

START_TEST(test_models_by_role)
{
	const struct ora_rule *staff = &conf->rules[0];
	const struct ora_rule *eng = &conf->rules[1];
	const struct ora_cost_centre *support = ora_conf_find_centre(conf, "support");
	const struct ora_cost_centre *dev = ora_conf_find_centre(conf, "dev");
	const char *p;

	p = ora_policy_model_allowed(staff, support, "openai/gpt-4o-mini");
	ck_assert_pstr_eq(p, "openai/gpt-4o-mini*");
	ck_assert_pstr_eq(ora_policy_model_allowed(staff, support, "openai/gpt-4o-mini-2024-07-18"),
	    "openai/gpt-4o-mini*");
	ck_assert_pstr_eq(
	    ora_policy_model_allowed(staff, support, "meta-llama/llama-3.1-8b-instruct"),
	    "meta-llama/*");
	/* Free variants of any model, and nothing else from that vendor. */
	ck_assert_pstr_eq(
	    ora_policy_model_allowed(staff, support, "mistralai/mistral-7b-instruct:free"),
	    "*/*:free");
	ck_assert_ptr_null(
	    ora_policy_model_allowed(staff, support, "mistralai/mistral-7b-instruct"));
	ck_assert_ptr_null(
	    ora_policy_model_allowed(staff, support, "mistralai/mistral-7b-instruct:free:nitro"));
	ck_assert_ptr_null(ora_policy_model_allowed(staff, support, "openai/gpt-4o"));
	ck_assert_ptr_null(ora_policy_model_allowed(staff, support, "anthropic/claude-3.5-sonnet"));
	/* '*' never crosses '/', ':' or '@': variants, presets and paths
	 * match only where a pattern names them (issue 11). */
	ck_assert_ptr_null(ora_policy_model_allowed(eng, NULL, "openai/gpt-4o-mini:nitro"));
	ck_assert_ptr_null(ora_policy_model_allowed(eng, NULL, "openai/../anthropic/x"));
	ck_assert_ptr_null(ora_policy_model_allowed(staff, support, "meta-llama/llama-3.1-8b:online"));
	ck_assert_ptr_null(ora_policy_model_allowed(eng, NULL, "openai/@preset/x"));
	/* Case matters: the pattern names the slug exactly. */
	ck_assert_ptr_null(ora_policy_model_allowed(staff, support, "OpenAI/gpt-4o-mini"));
	ck_assert_ptr_null(ora_policy_model_allowed(staff, support, ""));
	ck_assert_ptr_null(ora_policy_model_allowed(staff, support, NULL));
	ck_assert_ptr_null(ora_policy_model_allowed(NULL, support, "openai/gpt-4o"));
	/* No cost centre given: the role alone decides. */
	ck_assert_pstr_eq(ora_policy_model_allowed(eng, NULL, "openai/o1"), "openai/*");
	ck_assert_pstr_eq(
	    ora_policy_model_allowed(eng, dev, "anthropic/claude-3-opus"), "anthropic/*");
	ck_assert_ptr_null(ora_policy_model_allowed(eng, dev, "meta-llama/llama-3.1-8b-instruct"));
}
END_TEST

START_TEST(test_models_restricted_by_centre)
{
	const struct ora_rule *eng = &conf->rules[1];
	const struct ora_cost_centre *prod = ora_conf_find_centre(conf, "prod");
	const struct ora_cost_centre *dev = ora_conf_find_centre(conf, "dev");

	ck_assert_pstr_eq(
	    ora_policy_model_allowed(eng, prod, "anthropic/claude-3.5-sonnet"), "anthropic/*");
	ck_assert_pstr_eq(ora_policy_model_allowed(eng, prod, "openai/gpt-4o-mini"), "openai/*");
	/* The role allows it; prod does not. */
	ck_assert_ptr_null(ora_policy_model_allowed(eng, prod, "openai/gpt-4o"));
	ck_assert_pstr_eq(ora_policy_model_allowed(eng, dev, "openai/gpt-4o"), "openai/*");
	/* prod lists google/, the role does not: a centre never widens. */
	ck_assert_ptr_null(ora_policy_model_allowed(eng, prod, "google/gemini-pro-1.5"));
	ck_assert_ptr_null(ora_policy_model_allowed(eng, prod, "openai/gpt-4o-mini:free"));
}
END_TEST

START_TEST(test_describe_models)
{
	const struct ora_rule *eng = &conf->rules[1];
	const struct ora_cost_centre *prod = ora_conf_find_centre(conf, "prod");
	char buf[256], small[24];

	ora_policy_describe_models(eng, NULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "openai/*, anthropic/*");
	ora_policy_describe_models(eng, ora_conf_find_centre(conf, "dev"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "openai/*, anthropic/*");
	ora_policy_describe_models(eng, prod, buf, sizeof(buf));
	ck_assert_str_eq(buf, "openai/*, anthropic/*; in cost centre prod: openai/gpt-4o-mini, "
	                      "anthropic/claude-3.5-sonnet, google/*");
	/* Too small: cut, terminated, and marked as cut. */
	memset(small, 'Z', sizeof(small));
	ora_policy_describe_models(eng, prod, small, sizeof(small));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_str_eq(small, "openai/*, anthropic/...");
	ora_policy_describe_models(NULL, NULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("decide");

	tcase_add_checked_fixture(tc, load_policy, unload_policy);
	tcase_add_test(tc, test_user_rule_before_group);
	tcase_add_test(tc, test_group_rules_first_match);
	tcase_add_test(tc, test_everyone_and_no_match);
	tcase_add_test(tc, test_centre_selection);
	tcase_add_test(tc, test_models_by_role);
	tcase_add_test(tc, test_models_restricted_by_centre);
	tcase_add_test(tc, test_describe_models);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
