/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_admit_shapes.c: the Anthropic Messages and Responses shapes under
 * the chat completions' policy: every class of field of each table, and
 * the attacks through them (forbidden model in the model and in the
 * fallback list, routing plugins, a client-chosen identity, oversized
 * caps and thinking budgets, unknown fields, a NUL in the model). The
 * policy is tests/unit/data/conf/admit.conf: alice (staff: openai/STAR,
 * meta-llama/STAR, cap 1000, plugins incl. fusion and auto-router), bob
 * (research: openai/STAR and anthropic/STAR, cap 2000, fallback claude-3.5-haiku).
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit.h"
#include "check_admit.h"
#include "common/money.h"

#define MSGS "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
#define INPUT "\"input\":\"hi\""

static const struct admit_shape *const M = &admit_shape_messages;
static const struct admit_shape *const R = &admit_shape_responses;

static void
refused(const struct admit_shape *shape, const char *user, const char *centre, const char *body,
    int status, const char *needle)
{
	struct admit_decision d;

	ck_assert_msg(try_admit_shape(shape, user, centre, body, strlen(body), &d) != 0,
	    "admitted: %s", body);
	ck_assert_msg(d.status == status, "status %d, not %d, for %s: %s", d.status, status, body,
	    d.message);
	ck_assert_msg(strstr(d.message, needle) != NULL, "'%s' not in: %s", needle, d.message);
	ck_assert_ptr_null(d.body);
	admit_decision_clear(&d);
}

/* Admitted; the body sent upstream, parsed (new reference). */
static struct json_object *
admitted(const struct admit_shape *shape, const char *user, const char *centre, const char *body,
    struct admit_decision *d)
{
	ck_assert_msg(try_admit_shape(shape, user, centre, body, strlen(body), d) == 0,
	    "refused %s: %s", body, d->message);
	return sent(d);
}

static int64_t
int_at(struct json_object *o, const char *path)
{
	struct json_object *v = at(o, path);

	ck_assert_msg(v != NULL, "no %s", path);
	return json_object_get_int64(v);
}

static const char *
str_at(struct json_object *o, const char *path)
{
	struct json_object *v = at(o, path);

	return v != NULL ? json_object_get_string(v) : NULL;
}

/* --- Anthropic Messages ---------------------------------------------- */

START_TEST(test_messages_forwarded_and_rewritten)
{
	struct admit_decision d;
	struct json_object *o;

	o = admitted(M, "alice", "dev",
	    "{\"model\":\"openai/gpt-4o-mini\",\"max_tokens\":64000," MSGS ",\"system\":\"Be brief\","
	    "\"stop_sequences\":[\"END\"],\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,"
	    "\"tools\":[{\"name\":\"t\",\"input_schema\":{\"type\":\"object\"}}],"
	    "\"tool_choice\":{\"type\":\"auto\"},\"stream\":true,\"session_id\":\"s1\","
	    "\"cache_control\":{\"type\":\"ephemeral\"},"
	    "\"metadata\":{\"user_id\":\"mallory\"},\"user\":\"mallory\"}", &d);
	/* Forwarded as sent. */
	ck_assert_str_eq(str_at(o, "system"), "Be brief");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(at(o, "stop_sequences"), 0)),
	    "END");
	ck_assert_int_eq(int_at(o, "top_k"), 40);
	ck_assert_str_eq(str_at(o, "tool_choice.type"), "auto");
	ck_assert_str_eq(str_at(o, "session_id"), "s1");
	ck_assert_str_eq(str_at(o, "cache_control.type"), "ephemeral");
	ck_assert_int_eq(d.stream, 1);
	/* Rewritten: the cap, and the identity is the broker's, in Anthropic's place. */
	ck_assert_int_eq(int_at(o, "max_tokens"), 1000);
	ck_assert_str_eq(str_at(o, "metadata.user_id"), "alice");
	ck_assert_ptr_null(at(o, "user"));
	ck_assert_ptr_null(strstr(d.body, "mallory"));
	ck_assert_str_eq(d.model, "openai/gpt-4o-mini");
	ck_assert_int_eq(d.priced, 1);
	ck_assert_int_gt(d.estimate, 0);
	json_object_put(o);
	admit_decision_clear(&d);
	/* No metadata sent: orad adds its own. */
	o = admitted(M, "alice", "dev", "{\"max_tokens\":10," MSGS "}", &d);
	ck_assert_str_eq(str_at(o, "metadata.user_id"), "alice");
	ck_assert_str_eq(d.model, "openai/gpt-4o-mini"); /* the role's default */
	ck_assert_int_eq(int_at(o, "max_tokens"), 10);
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_messages_max_tokens_required)
{
	refused(M, "alice", "dev", "{\"model\":\"openai/gpt-4o-mini\"," MSGS "}", 400,
	    "\"max_tokens\" is required");
	refused(M, "alice", "dev", "{\"max_tokens\":0," MSGS "}", 400, "positive integer");
	refused(M, "alice", "dev", "{\"max_tokens\":\"100\"," MSGS "}", 400, "positive integer");
	refused(M, "alice", "dev", "{\"max_tokens\":100}", 400, "\"messages\"");
	refused(M, "alice", "dev", "{\"max_tokens\":100,\"messages\":[]}", 400, "non-empty");
	refused(M, "alice", "dev", "", 400, "\"max_tokens\"");
}
END_TEST

START_TEST(test_messages_forbidden_models)
{
	/* In model, in models, in OpenRouter's fallbacks. */
	refused(M, "alice", "dev", "{\"model\":\"anthropic/claude-opus-4.1\",\"max_tokens\":10," MSGS
	    "}", 403, "anthropic/claude-opus-4.1");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS
	    ",\"models\":[\"openai/gpt-4o\",\"anthropic/claude-opus-4.1\"]}", 403, "not allowed");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS
	    ",\"fallbacks\":[{\"model\":\"anthropic/claude-opus-4.1\"}]}", 403,
	    "anthropic/claude-opus-4.1");
	/* bob may use anthropic/STAR, but the prod centre names no llama. */
	refused(M, "bob", "prod", "{\"max_tokens\":10," MSGS
	    ",\"fallbacks\":[{\"model\":\"meta-llama/llama-3.1-8b-instruct\"}]}", 403, "not allowed");
	/* The NUL attack, and the preset form. */
	const char nul[] = "{\"model\":\"openai/gpt-4o-mini\\u0000anthropic/claude-opus-4.1\","
	    "\"max_tokens\":10," MSGS "}";
	refused(M, "alice", "prod", nul, 400, "NUL");
	refused(M, "alice", "dev", "{\"model\":\"@preset/x\",\"max_tokens\":10," MSGS "}", 400,
	    "presets");
}
END_TEST

START_TEST(test_messages_fallbacks_become_models)
{
	struct admit_decision d;
	struct json_object *o, *models;

	o = admitted(M, "alice", "dev", "{\"max_tokens\":10," MSGS
	    ",\"fallbacks\":[{\"model\":\"openai/gpt-4o\"},{\"model\":\"fast\"}]}", &d);
	ck_assert_ptr_null(at(o, "fallbacks"));
	models = at(o, "models");
	ck_assert_ptr_nonnull(models);
	ck_assert_int_eq(json_object_array_length(models), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(models, 0)), "openai/gpt-4o");
	/* The alias resolved like any model. */
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(models, 1)),
	    "openai/gpt-4o-mini");
	ck_assert_ptr_nonnull(d.models_json);
	ck_assert_ptr_nonnull(strstr(d.models_json, "openai/gpt-4o"));
	json_object_put(o);
	admit_decision_clear(&d);
	/* bob's role fallbacks join as "models" when the client sends none. */
	o = admitted(M, "bob", "dev", "{\"model\":\"openai/gpt-4o\",\"max_tokens\":10," MSGS "}", &d);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(at(o, "models"), 1)),
	    "anthropic/claude-3.5-haiku");
	json_object_put(o);
	admit_decision_clear(&d);
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS
	    ",\"models\":[\"openai/gpt-4o\"],\"fallbacks\":[{\"model\":\"openai/gpt-4o\"}]}", 400,
	    "cannot be combined");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS
	    ",\"fallbacks\":[{\"model\":\"openai/gpt-4o\",\"provider\":{}}]}", 400, "nothing else");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS
	    ",\"fallbacks\":[{\"model\":\"a/b\"},{\"model\":\"a/b\"},{\"model\":\"a/b\"},"
	    "{\"model\":\"a/b\"}]}", 400, "at most 3");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"fallbacks\":[{\"model\":7}]}", 400,
	    "as strings");
}
END_TEST

START_TEST(test_messages_thinking_bounded)
{
	struct admit_decision d, plain;
	struct json_object *o;

	/* Claude Code's habit: a large max_tokens and a budget just below it.
	 * Both come down to the cap, the budget kept below max_tokens. */
	o = admitted(M, "alice", "dev", "{\"max_tokens\":32000," MSGS
	    ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":31999}}", &d);
	ck_assert_int_eq(int_at(o, "max_tokens"), 1000);
	ck_assert_int_eq(int_at(o, "thinking.budget_tokens"), 999);
	json_object_put(o);
	/* The budget is reserved for, like reasoning.max_tokens. */
	o = admitted(M, "alice", "dev", "{\"max_tokens\":32000," MSGS "}", &plain);
	ck_assert_int_gt(d.estimate, plain.estimate);
	json_object_put(o);
	admit_decision_clear(&d);
	admit_decision_clear(&plain);
	/* Within the cap: left as sent. */
	o = admitted(M, "alice", "dev", "{\"max_tokens\":900," MSGS
	    ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":500}}", &d);
	ck_assert_int_eq(int_at(o, "thinking.budget_tokens"), 500);
	json_object_put(o);
	admit_decision_clear(&d);
	o = admitted(M, "alice", "dev", "{\"max_tokens\":900," MSGS ",\"thinking\":{\"type\":"
	    "\"disabled\"}}", &d);
	json_object_put(o);
	admit_decision_clear(&d);
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"thinking\":{\"type\":\"max\"}}", 400,
	    "enabled, disabled or adaptive");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS
	    ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":-5}}", 400, "positive integer");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS
	    ",\"thinking\":{\"type\":\"enabled\",\"models\":[\"x/y\"]}}", 400, "not understood");
}
END_TEST

START_TEST(test_messages_policy_fields)
{
	struct admit_decision d;
	struct json_object *o;

	/* Routing plugins: fusion naming a forbidden model; auto-router held
	 * to the caller's models. */
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"plugins\":[{\"id\":\"fusion\","
	    "\"models\":[\"anthropic/claude-opus-4.1\"]}]}", 403, "anthropic/claude-opus-4.1");
	refused(M, "bob", "dev", "{\"max_tokens\":10," MSGS ",\"plugins\":[{\"id\":\"auto-router\"}]}",
	    403, "not allowed");
	o = admitted(M, "alice", "dev", "{\"max_tokens\":10," MSGS
	    ",\"plugins\":[{\"id\":\"auto-router\"}]}", &d);
	ck_assert_ptr_nonnull(at(json_object_array_get_idx(at(o, "plugins"), 0), "allowed_models"));
	json_object_put(o);
	admit_decision_clear(&d);
	/* The site's provider preferences, which a client cannot widen. */
	o = admitted(M, "bob", "prod", "{\"model\":\"anthropic/claude-3.5-haiku\",\"max_tokens\":10,"
	    MSGS "}", &d);
	ck_assert_str_eq(str_at(o, "provider.data_collection"), "deny");
	json_object_put(o);
	admit_decision_clear(&d);
	o = admitted(M, "bob", "prod", "{\"model\":\"anthropic/claude-3.5-haiku\",\"max_tokens\":10,"
	    MSGS ",\"provider\":{\"data_collection\":\"allow\",\"only\":[\"deepinfra\",\"x\"]}}",
	    &d);
	ck_assert_str_eq(str_at(o, "provider.data_collection"), "deny");
	ck_assert_int_eq(json_object_array_length(at(o, "provider.only")), 1);
	json_object_put(o);
	admit_decision_clear(&d);
	refused(M, "bob", "prod", "{\"model\":\"anthropic/claude-3.5-haiku\",\"max_tokens\":10,"
	    MSGS ",\"provider\":{\"only\":[\"DeepInfra\"]}}", 403, "leaves no provider");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"route\":\"sort\"}", 400,
	    "\"fallback\"");
}
END_TEST

START_TEST(test_messages_refused_unknown_and_passed)
{
	struct admit_decision d;
	struct json_object *o;

	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"service_tier\":\"auto\"}", 400,
	    "service tier");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"speed\":\"fast\"}", 400, "price");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"container\":\"c\"}", 400,
	    "containers");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"mcp_servers\":[]}", 400, "MCP");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"inference_geo\":\"us\"}", 400,
	    "region");
	/* Server tools the upstream runs are priced per use: refused; the
	 * client's own tools (no type, custom, Anthropic's client schemas) pass. */
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"tools\":[{\"name\":\"a\"},"
	    "{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]}", 400,
	    "tool type 'web_search_20250305'");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"tools\":{}}", 400, "array");
	o = admitted(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"tools\":[{\"name\":\"a\"},"
	    "{\"type\":\"custom\",\"name\":\"b\"},{\"type\":\"bash_20250124\",\"name\":\"bash\"}]}",
	    &d);
	json_object_put(o);
	admit_decision_clear(&d);
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"frequency_penalty\":1}", 400,
	    "unknown field 'frequency_penalty'; this broker forwards only the Anthropic Messages");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"metadata\":{\"tenant\":\"x\"}}",
	    400, "only user_id");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"metadata\":[]}", 400, "object");
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"stream\":\"yes\"}", 400,
	    "true or false");
	/* policy.pass_fields holds for every shape. */
	o = admitted(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"x_site_field\":1}", &d);
	ck_assert_int_eq(int_at(o, "x_site_field"), 1);
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

/* --- Responses -------------------------------------------------------- */

START_TEST(test_responses_forwarded_and_rewritten)
{
	struct admit_decision d;
	struct json_object *o;

	o = admitted(R, "alice", "dev", "{\"model\":\"openai/gpt-4o\"," INPUT
	    ",\"instructions\":\"Be brief\",\"max_output_tokens\":9000,\"temperature\":0.2,"
	    "\"text\":{\"format\":{\"type\":\"text\"}},\"tools\":[],\"tool_choice\":\"auto\","
	    "\"metadata\":{\"k\":\"v\"},\"store\":false,\"previous_response_id\":null,"
	    "\"user\":\"mallory\",\"safety_identifier\":\"mallory\",\"stream\":true,"
	    "\"include\":[\"reasoning.encrypted_content\"]}", &d);
	ck_assert_str_eq(str_at(o, "instructions"), "Be brief");
	ck_assert_str_eq(str_at(o, "text.format.type"), "text");
	ck_assert_str_eq(str_at(o, "metadata.k"), "v");
	ck_assert_int_eq(json_object_get_boolean(at(o, "store")), 0);
	ck_assert_ptr_null(at(o, "previous_response_id"));
	ck_assert_int_eq(int_at(o, "max_output_tokens"), 1000);
	ck_assert_str_eq(str_at(o, "user"), "alice");
	ck_assert_ptr_null(at(o, "safety_identifier"));
	ck_assert_ptr_null(strstr(d.body, "mallory"));
	ck_assert_int_eq(d.stream, 1);
	ck_assert_str_eq(d.model, "openai/gpt-4o");
	json_object_put(o);
	admit_decision_clear(&d);
	/* No cap sent: the role's is set, in the Responses field. */
	o = admitted(R, "alice", "dev", "{" INPUT "}", &d);
	ck_assert_int_eq(int_at(o, "max_output_tokens"), 1000);
	ck_assert_ptr_null(at(o, "max_tokens"));
	json_object_put(o);
	admit_decision_clear(&d);
	/* Input as items, images counted into the price. */
	struct admit_decision img;
	o = admitted(R, "alice", "dev", "{\"model\":\"openai/gpt-4o\",\"input\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"input_text\",\"text\":\"hi\"}]}]}", &d);
	json_object_put(o);
	o = admitted(R, "alice", "dev", "{\"model\":\"openai/gpt-4o\",\"input\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"input_image\",\"image_url\":\"x\"}]}]}", &img);
	ck_assert_int_gt(img.estimate, d.estimate);
	json_object_put(o);
	admit_decision_clear(&d);
	admit_decision_clear(&img);
}
END_TEST

START_TEST(test_responses_stateless)
{
	refused(R, "alice", "dev", "{" INPUT ",\"previous_response_id\":\"resp_1\"}", 400,
	    "stateless");
	refused(R, "alice", "dev", "{" INPUT ",\"conversation\":\"conv_1\"}", 400, "stateless");
	refused(R, "alice", "dev", "{" INPUT ",\"store\":true}", 400, "stateless");
	refused(R, "alice", "dev", "{" INPUT ",\"background\":true}", 400, "stateless");
	refused(R, "alice", "dev", "{" INPUT ",\"prompt\":{\"id\":\"p\"}}", 400, "stored prompt");
}
END_TEST

START_TEST(test_responses_attacks)
{
	struct admit_decision d;
	struct json_object *o;

	refused(R, "alice", "dev", "{\"model\":\"anthropic/claude-opus-4.1\"," INPUT "}", 403,
	    "not allowed");
	refused(R, "alice", "dev", "{" INPUT ",\"models\":[\"anthropic/claude-opus-4.1\"]}", 403,
	    "anthropic/claude-opus-4.1");
	refused(R, "alice", "dev", "{" INPUT ",\"plugins\":[{\"id\":\"fusion\","
	    "\"models\":[\"anthropic/claude-opus-4.1\"]}]}", 403, "anthropic/claude-opus-4.1");
	refused(R, "alice", "dev", "{" INPUT ",\"plugins\":[{\"id\":\"web\"}]}", 403, "not allowed");
	const char nul[] = "{\"model\":\"openai/gpt-4o-mini\\u0000anthropic/claude-opus-4.1\","
	    INPUT "}";
	refused(R, "alice", "prod", nul, 400, "NUL");
	refused(R, "alice", "dev", "{" INPUT ",\"frequency\":1}", 400,
	    "unknown field 'frequency'; this broker forwards only the Responses fields");
	refused(R, "alice", "dev", "{" INPUT ",\"max_output_tokens\":-1}", 400, "positive");
	refused(R, "alice", "dev", "{" INPUT ",\"service_tier\":\"flex\"}", 400, "service tier");
	refused(R, "alice", "dev", "{" INPUT ",\"tools\":[{\"type\":\"web_search_preview\"}]}", 400,
	    "tool type 'web_search_preview'");
	refused(R, "alice", "dev", "{" INPUT ",\"tools\":[{\"name\":\"f\"}]}", 400,
	    "with a \"type\"");
	o = admitted(R, "alice", "dev", "{" INPUT ",\"tools\":[{\"type\":\"function\",\"name\":"
	    "\"f\",\"parameters\":{}},{\"type\":\"local_shell\"}]}", &d);
	json_object_put(o);
	admit_decision_clear(&d);
	refused(R, "alice", "dev", "{\"model\":\"openai/gpt-4o\"}", 400, "\"input\" is required");
	refused(R, "alice", "dev", "{\"input\":[]}", 400, "non-empty");
	refused(R, "alice", "dev", "{\"input\":\"\"}", 400, "non-empty");
	refused(R, "alice", "dev", "[]", 400, "\"input\"");
	refused(R, "alice", "dev", "{" INPUT ",\"metadata\":\"x\"}", 400, "object");
	/* reasoning.max_tokens above the cap comes down to it. */
	o = admitted(R, "alice", "dev", "{" INPUT ",\"reasoning\":{\"effort\":\"high\","
	    "\"max_tokens\":50000}}", &d);
	ck_assert_int_eq(int_at(o, "reasoning.max_tokens"), 1000);
	json_object_put(o);
	admit_decision_clear(&d);
	refused(R, "alice", "dev", "{" INPUT ",\"reasoning\":{\"effort\":\"extreme\"}}", 400,
	    "effort");
	/* The site's provider preferences on this shape too. */
	o = admitted(R, "alice", "prod", "{" INPUT "}", &d);
	ck_assert_str_eq(str_at(o, "provider.data_collection"), "deny");
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

/* A role without a cap: the client's numbers bound the reservation, and
 * the largest ones saturate the estimate instead of wrapping it. */
START_TEST(test_uncapped_sums_saturate)
{
	struct admit_decision d;
	struct json_object *o;

	o = admitted(M, "carol", "dev", "{\"max_tokens\":9223372036854775807," MSGS
	    ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":9223372036854775807}}", &d);
	ck_assert_int_eq(int_at(o, "max_tokens"), INT64_MAX);
	ck_assert_int_eq(d.estimate, INT64_MAX);
	json_object_put(o);
	admit_decision_clear(&d);
	o = admitted(R, "carol", "dev", "{" INPUT ",\"max_output_tokens\":9223372036854775807,"
	    "\"reasoning\":{\"max_tokens\":9223372036854775807}}", &d);
	ck_assert_int_eq(d.estimate, INT64_MAX);
	json_object_put(o);
	admit_decision_clear(&d);
	/* Without a cap, Messages still requires max_tokens, and nothing is set. */
	refused(M, "carol", "dev", "{" MSGS "}", 400, "\"max_tokens\" is required");
	o = admitted(R, "carol", "dev", "{" INPUT "}", &d);
	ck_assert_ptr_null(at(o, "max_output_tokens"));
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

/* Chat's own table is unchanged by the others: a Messages-only field is
 * unknown there, and the reverse. */
START_TEST(test_tables_are_separate)
{
	struct admit_decision d;

	ck_assert_int_ne(try_admit("alice", "dev", "{" MSGS ",\"thinking\":{\"type\":\"disabled\"}}",
	    &d), 0);
	ck_assert_ptr_nonnull(strstr(d.message, "chat completions"));
	admit_decision_clear(&d);
	refused(M, "alice", "dev", "{\"max_tokens\":10," MSGS ",\"n\":1}", 400, "unknown field 'n'");
	refused(R, "alice", "dev", "{" INPUT ",\"messages\":[]}", 400, "unknown field 'messages'");
	ck_assert_str_eq(admit_shape_name(&admit_shape_chat), "chat completions");
	ck_assert_str_eq(admit_shape_name(M), "Anthropic Messages");
	ck_assert_str_eq(admit_shape_name(R), "Responses");
}
END_TEST

void
admit_shapes_cases(Suite *s)
{
	TCase *tc = tcase_create("shapes");

	tcase_add_checked_fixture(tc, admit_fixture_setup, admit_fixture_teardown);
	tcase_add_test(tc, test_messages_forwarded_and_rewritten);
	tcase_add_test(tc, test_messages_max_tokens_required);
	tcase_add_test(tc, test_messages_forbidden_models);
	tcase_add_test(tc, test_messages_fallbacks_become_models);
	tcase_add_test(tc, test_messages_thinking_bounded);
	tcase_add_test(tc, test_messages_policy_fields);
	tcase_add_test(tc, test_messages_refused_unknown_and_passed);
	tcase_add_test(tc, test_responses_forwarded_and_rewritten);
	tcase_add_test(tc, test_responses_stateless);
	tcase_add_test(tc, test_responses_attacks);
	tcase_add_test(tc, test_uncapped_sums_saturate);
	tcase_add_test(tc, test_tables_are_separate);
	suite_add_tcase(s, tc);
}
