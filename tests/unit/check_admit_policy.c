/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_admit_policy.c: the fields that choose a model, a provider or a
 * price: plugins by id, routers held to the caller's models, priced
 * plugins bounded and reserved, and provider preferences that a client may
 * narrow but never widen.
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit/admit.h"
#include "check_admit.h"
#include "common/money.h"
#include "config/conf.h"

#define MSG "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"

static void
refused(const char *user, const char *centre, const char *body, int status, const char *needle)
{
	struct admit_decision d;

	ck_assert_msg(try_admit(user, centre, body, &d) != 0, "admitted: %s", body);
	ck_assert_msg(d.status == status, "status %d, not %d, for %s: %s", d.status, status, body,
	    d.message);
	ck_assert_msg(strstr(d.message, needle) != NULL, "'%s' not in: %s", needle, d.message);
	admit_decision_clear(&d);
}

static struct json_object *
admitted(const char *user, const char *centre, const char *body, struct admit_decision *d)
{
	ck_assert_msg(try_admit(user, centre, body, d) == 0, "refused %s: %s", body, d->message);
	return sent(d);
}

static int
list_has(struct json_object *a, const char *s)
{
	for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return 1;
	return 0;
}

/* --- plugins --------------------------------------------------------- */

START_TEST(test_plugins_none_by_default)
{
	/* bob's role grants none; dev grants none. */
	refused("bob", "dev", "{" MSG ",\"plugins\":[{\"id\":\"response-healing\"}]}", 403,
	    "allowed plugins: none");
	refused("alice", "dev", "{" MSG ",\"plugins\":[{\"id\":\"web\"}]}", 403, "not allowed");
	refused("alice", "dev", "{" MSG ",\"plugins\":[{\"id\":\"mystery\"}]}", 400, "not known");
	refused("alice", "dev", "{" MSG ",\"plugins\":[\"web\"]}", 400, "object with an \"id\"");
	refused("alice", "dev", "{" MSG ",\"plugins\":{}}", 400, "array");
	refused("alice", "dev", "{" MSG ",\"plugins\":[{\"id\":\"response-healing\",\"x\":1}]}", 400,
	    "not understood");
}
END_TEST

START_TEST(test_plugins_granted_by_role_or_centre)
{
	struct admit_decision d;
	struct json_object *o;

	o = admitted("alice", "dev", "{" MSG ",\"plugins\":[{\"id\":\"response-healing\"}]}", &d);
	json_object_put(o);
	admit_decision_clear(&d);
	/* prod grants web to anyone billed there. */
	o = admitted("bob", "prod", "{" MSG ",\"plugins\":[{\"id\":\"web\",\"max_results\":3}]}", &d);
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_fusion_forbidden_model)
{
	/* The first attack: fusion naming a model the role forbids. */
	refused("alice", "dev",
	    "{\"model\":\"openai/gpt-4o-mini\"," MSG ",\"plugins\":[{\"id\":\"fusion\","
	    "\"models\":[\"anthropic/claude-opus-4.1\"]}]}", 403, "anthropic/claude-opus-4.1");
	refused("alice", "dev", "{" MSG ",\"plugins\":[{\"id\":\"fusion\"}]}", 400,
	    "must name its models");
	refused("alice", "dev",
	    "{" MSG ",\"plugins\":[{\"id\":\"fusion\",\"models\":[\"openai/*\"]}]}", 400,
	    "not patterns");
}
END_TEST

START_TEST(test_fusion_reserves_every_model)
{
	struct admit_decision one, fused;
	struct json_object *o;

	o = admitted("alice", "dev", "{" MSG ",\"max_tokens\":100}", &one);
	json_object_put(o);
	o = admitted("alice", "dev", "{" MSG ",\"max_tokens\":100,\"plugins\":[{\"id\":\"fusion\","
	    "\"models\":[\"openai/gpt-4o\",\"meta-llama/llama-3.1-8b-instruct\"]}]}", &fused);
	json_object_put(o);
	/* gpt-4o alone costs more than gpt-4o-mini; the sum is above both. */
	ck_assert_int_gt(fused.estimate, one.estimate);
	ora_pico c4o;
	ora_money_parse("0.00001", &c4o);
	ck_assert_int_gt(fused.estimate, 100 * c4o);
	admit_decision_clear(&one);
	admit_decision_clear(&fused);
}
END_TEST

START_TEST(test_auto_router_filled_with_allowed_models)
{
	struct admit_decision d;
	struct json_object *o, *allowed;

	/* No allowed_models: orad fills in what alice may use in dev. */
	o = admitted("alice", "dev", "{" MSG ",\"plugins\":[{\"id\":\"auto-router\"}]}", &d);
	allowed = at(json_object_array_get_idx(at(o, "plugins"), 0), "allowed_models");
	ck_assert_ptr_nonnull(allowed);
	ck_assert(list_has(allowed, "openai/gpt-4o-mini"));
	ck_assert(list_has(allowed, "openai/gpt-4o"));
	ck_assert(list_has(allowed, "meta-llama/llama-3.1-8b-instruct"));
	ck_assert(!list_has(allowed, "anthropic/claude-opus-4.1"));
	ck_assert(!list_has(allowed, "anthropic/claude-3.5-haiku"));
	json_object_put(o);
	admit_decision_clear(&d);
	/* With openrouter/auto as the model, the candidates price it. */
	o = admitted("alice", "dev",
	    "{\"model\":\"openrouter/auto\"," MSG ",\"plugins\":[{\"id\":\"auto-router\"}]}", &d);
	ck_assert_int_gt(d.estimate, 0);
	json_object_put(o);
	admit_decision_clear(&d);
	/* A client's own list is checked model by model. */
	refused("alice", "dev", "{" MSG ",\"plugins\":[{\"id\":\"auto-router\","
	    "\"allowed_models\":[\"anthropic/claude-opus-4.1\"]}]}", 403, "not allowed");
	refused("alice", "dev", "{" MSG ",\"plugins\":[{\"id\":\"auto-router\","
	    "\"allowed_models\":[\"anthropic/*\"]}]}", 400, "not patterns");
}
END_TEST

START_TEST(test_web_plugin_bounded_and_reserved)
{
	struct admit_decision d, base;
	struct json_object *o;
	ora_pico web;

	refused("bob", "prod", "{" MSG ",\"plugins\":[{\"id\":\"web\",\"max_results\":1000}]}", 400,
	    "max_results");
	refused("bob", "prod", "{" MSG ",\"plugins\":[{\"id\":\"web\",\"max_results\":\"5\"}]}", 400,
	    "max_results");
	o = admitted("bob", "prod", "{" MSG ",\"max_tokens\":10}", &base);
	json_object_put(o);
	/* No max_results: orad sets OpenRouter's default, and reserves it. */
	o = admitted("bob", "prod", "{" MSG ",\"max_tokens\":10,\"plugins\":[{\"id\":\"web\"}]}", &d);
	ck_assert_int_eq(json_object_get_int(at(json_object_array_get_idx(at(o, "plugins"), 0),
	    "max_results")), ADMIT_WEB_DEFAULT_RESULTS);
	ora_money_parse(ADMIT_WEB_RESULT_USD, &web);
	ck_assert_int_ge(d.estimate - base.estimate, ADMIT_WEB_DEFAULT_RESULTS * web);
	json_object_put(o);
	admit_decision_clear(&d);
	admit_decision_clear(&base);
	/* gpt-4o publishes web_search = 0.01 per result: 3 results. */
	o = admitted("bob", "prod", "{\"model\":\"openai/gpt-4o\"," MSG
	    ",\"max_tokens\":10,\"plugins\":[{\"id\":\"web\",\"max_results\":3}]}", &d);
	o = (json_object_put(o), NULL);
	o = admitted("bob", "prod", "{\"model\":\"openai/gpt-4o\"," MSG
	    ",\"max_tokens\":10,\"plugins\":[{\"id\":\"web\",\"max_results\":4}]}", &base);
	json_object_put(o);
	ora_money_parse("0.01", &web);
	ck_assert_int_eq(base.estimate - d.estimate, web + 0 * 1);
	admit_decision_clear(&d);
	admit_decision_clear(&base);
	/* web_search_options needs the web plugin's grant. */
	refused("alice", "dev", "{" MSG ",\"web_search_options\":{\"search_context_size\":\"high\"}}",
	    403, "plugin 'web'");
}
END_TEST

START_TEST(test_file_parser_engines)
{
	struct admit_decision d;
	struct json_object *o;

	refused("alice", "dev", "{" MSG ",\"plugins\":[{\"id\":\"file-parser\","
	    "\"pdf\":{\"engine\":\"mistral-ocr\"}}]}", 400, "per page");
	o = admitted("alice", "dev", "{" MSG ",\"plugins\":[{\"id\":\"file-parser\"}]}", &d);
	ck_assert_str_eq(json_object_get_string(at(json_object_array_get_idx(at(o, "plugins"), 0),
	    "pdf.engine")), "pdf-text");
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

/* --- provider -------------------------------------------------------- */

START_TEST(test_site_provider_enforced)
{
	struct admit_decision d;
	struct json_object *o;

	/* bob in prod: role ignores together, centre denies data collection,
	 * wants zdr, ignores deepinfra and caps prices. */
	o = admitted("bob", "prod", "{" MSG "}", &d);
	ck_assert_str_eq(json_object_get_string(at(o, "provider.data_collection")), "deny");
	ck_assert(json_object_get_boolean(at(o, "provider.zdr")));
	ck_assert(list_has(at(o, "provider.ignore"), "together"));
	ck_assert(list_has(at(o, "provider.ignore"), "deepinfra"));
	ck_assert(json_object_get_double(at(o, "provider.max_price.prompt")) == 1.0);
	ck_assert(json_object_get_double(at(o, "provider.max_price.completion")) == 5.0);
	json_object_put(o);
	admit_decision_clear(&d);
	/* alice in dev: nothing enforced, nothing added. */
	o = admitted("alice", "dev", "{" MSG "}", &d);
	ck_assert_ptr_null(at(o, "provider"));
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_client_provider_only_narrows)
{
	struct admit_decision d;
	struct json_object *o;

	o = admitted("bob", "prod", "{" MSG ",\"provider\":{\"data_collection\":\"allow\","
	    "\"zdr\":false,\"ignore\":[\"x\"],\"max_price\":{\"prompt\":100,\"completion\":2},"
	    "\"only\":[\"openai\",\"deepinfra\"],\"sort\":\"price\",\"allow_fallbacks\":true}}", &d);
	ck_assert_str_eq(json_object_get_string(at(o, "provider.data_collection")), "deny");
	ck_assert(json_object_get_boolean(at(o, "provider.zdr")));
	ck_assert(list_has(at(o, "provider.ignore"), "x"));
	ck_assert(list_has(at(o, "provider.ignore"), "deepinfra"));
	ck_assert(list_has(at(o, "provider.only"), "openai"));
	ck_assert(!list_has(at(o, "provider.only"), "deepinfra"));
	ck_assert(json_object_get_double(at(o, "provider.max_price.prompt")) == 1.0);
	ck_assert(json_object_get_double(at(o, "provider.max_price.completion")) == 2.0);
	ck_assert_str_eq(json_object_get_string(at(o, "provider.sort")), "price");
	json_object_put(o);
	admit_decision_clear(&d);
	/* only naming nothing but an ignored provider: nothing left. */
	refused("bob", "prod", "{" MSG ",\"provider\":{\"only\":[\"DeepInfra\"]}}", 403,
	    "leaves no provider");
	refused("bob", "dev", "{" MSG ",\"provider\":{\"only\":[\"together\"]}}", 403,
	    "leaves no provider");
	refused("bob", "prod", "{" MSG ",\"provider\":{\"data_collection\":\"maybe\"}}", 400,
	    "allow");
	refused("bob", "prod", "{" MSG ",\"provider\":{\"max_price\":{\"prompt\":-1}}}", 400,
	    "non-negative");
	refused("bob", "prod", "{" MSG ",\"provider\":{\"bypass\":true}}", 400, "not understood");
	refused("bob", "prod", "{" MSG ",\"provider\":[]}", 400, "object");
}
END_TEST

START_TEST(test_site_provider_json)
{
	struct admit_decision d;

	ck_assert_int_eq(try_admit("bob", "prod", "{" MSG "}", &d), 0);
	admit_decision_clear(&d);
	/* admit_site_provider is what /me and oractl explain show. */
	ck_assert_ptr_null(admit_site_provider(NULL, NULL));
}
END_TEST

/* Load text as ora.conf; returns the first error, or "" when it loads. */
static char *
conf_error(const char *text)
{
	char path[] = "/tmp/check_admit_XXXXXX";
	struct ora_diag d = { 0 };
	struct ora_conf *c = NULL;
	char *first;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
	if (ora_conf_load(path, &c, &d) == 0) {
		first = strdup("");
		ora_conf_unref(c);
	} else
		first = strdup(d.n_errors > 0 ? d.errors[0] : "?");
	ora_diag_clear(&d);
	unlink(path);
	return first;
}

#define CONF_HEAD "roles = { r = { models = [ \"openai/*\" ]; default_model = \"openai/gpt-4o\"; "
#define CONF_TAIL "rules = ( { everyone = true; role = \"r\"; cost_centre = \"c\"; } );\n"

START_TEST(test_conf_policy_settings)
{
	char *e;

	e = conf_error(CONF_HEAD "plugins = [ \"teleport\" ]; }; };\n"
	    "cost_centres = { c = { key = \"c\"; }; };\n" CONF_TAIL);
	ck_assert_msg(strstr(e, "plugin 'teleport'") != NULL, "%s", e);
	free(e);
	e = conf_error(CONF_HEAD "}; };\ncost_centres = { c = { key = \"c\"; "
	    "provider = { data_collection = \"sometimes\"; }; }; };\n" CONF_TAIL);
	ck_assert_msg(strstr(e, "data_collection 'sometimes'") != NULL, "%s", e);
	free(e);
	e = conf_error(CONF_HEAD "provider = { only = [ \"openai\" ]; }; }; };\n"
	    "cost_centres = { c = { key = \"c\"; provider = { ignore = [ \"openai\" ]; }; }; };\n"
	    CONF_TAIL);
	ck_assert_msg(strstr(e, "leave no provider") != NULL, "%s", e);
	free(e);
	e = conf_error(CONF_HEAD "}; };\ncost_centres = { c = { key = \"c\"; }; };\n"
	    "policy = { pass_fields = [ \"Bad-Name\" ]; };\n" CONF_TAIL);
	ck_assert_msg(strstr(e, "not a request field name") != NULL, "%s", e);
	free(e);
	e = conf_error(CONF_HEAD "plugins = [ \"web\" ]; provider = { max_price = { prompt = 1.5; "
	    "image = 0.01; }; zdr = true; }; }; };\ncost_centres = { c = { key = \"c\"; }; };\n"
	    "policy = { pass_fields = [ ]; };\n" CONF_TAIL);
	ck_assert_msg(e[0] == '\0', "%s", e);
	free(e);
}
END_TEST

void
admit_policy_cases(Suite *s)
{
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, admit_fixture_setup, admit_fixture_teardown);
	tcase_add_test(tc, test_plugins_none_by_default);
	tcase_add_test(tc, test_plugins_granted_by_role_or_centre);
	tcase_add_test(tc, test_fusion_forbidden_model);
	tcase_add_test(tc, test_fusion_reserves_every_model);
	tcase_add_test(tc, test_auto_router_filled_with_allowed_models);
	tcase_add_test(tc, test_web_plugin_bounded_and_reserved);
	tcase_add_test(tc, test_file_parser_engines);
	tcase_add_test(tc, test_site_provider_enforced);
	tcase_add_test(tc, test_client_provider_only_narrows);
	tcase_add_test(tc, test_site_provider_json);
	tcase_add_test(tc, test_conf_policy_settings);
	suite_add_tcase(s, tc);
}
