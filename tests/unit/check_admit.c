/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_admit.c: the admission core without a daemon: values that mean one
 * thing, model ids and patterns, the field table, the price, and the
 * scrubbing of upstream errors. Policy rules: check_admit_policy.c.
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit.h"
#include "check_admit.h"
#include "common/money.h"
#include "config/conf.h"

static struct ora_conf *conf;
static struct json_object *catalog;

/* Prices in USD per token, as OpenRouter's /models writes them. */
static const char *const catalog_json =
    "{"
    "\"openai/gpt-4o-mini\":{\"id\":\"openai/gpt-4o-mini\",\"context_length\":128000,"
    "  \"top_provider\":{\"max_completion_tokens\":16384},"
    "  \"pricing\":{\"prompt\":\"0.00000015\",\"completion\":\"0.0000006\"}},"
    "\"openai/gpt-4o\":{\"id\":\"openai/gpt-4o\",\"context_length\":128000,"
    "  \"pricing\":{\"prompt\":\"0.0000025\",\"completion\":\"0.00001\",\"request\":\"0.001\","
    "  \"image\":\"0.002\",\"web_search\":\"0.01\",\"internal_reasoning\":\"0.00002\","
    "  \"input_cache_write\":\"0.000003\"}},"
    "\"anthropic/claude-3.5-haiku\":{\"id\":\"anthropic/claude-3.5-haiku\","
    "  \"pricing\":{\"prompt\":\"0.0000008\",\"completion\":\"0.000004\"}},"
    "\"anthropic/claude-opus-4.1\":{\"id\":\"anthropic/claude-opus-4.1\","
    "  \"pricing\":{\"prompt\":\"0.000015\",\"completion\":\"0.000075\"}},"
    "\"meta-llama/llama-3.1-8b-instruct\":{\"id\":\"meta-llama/llama-3.1-8b-instruct\","
    "  \"pricing\":{\"prompt\":\"0.00000002\",\"completion\":\"0.00000005\"}},"
    "\"meta-llama/llama-3.1-8b-instruct:free\":{\"id\":\"meta-llama/llama-3.1-8b-instruct:free\","
    "  \"pricing\":{\"prompt\":\"0\",\"completion\":\"0\"}},"
    "\"openrouter/auto\":{\"id\":\"openrouter/auto\","
    "  \"pricing\":{\"prompt\":\"-1\",\"completion\":\"-1\"}}"
    "}";

void
admit_fixture_setup(void)
{
	struct ora_diag d = { 0 };
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/unit/data/conf/admit.conf",
	    getenv("top_srcdir") != NULL ? getenv("top_srcdir") : ".");
	ck_assert_msg(ora_conf_load(path, &conf, &d) == 0, "%s refused: %s", path,
	    d.n_errors > 0 ? d.errors[0] : "?");
	ora_diag_clear(&d);
	catalog = json_tokener_parse(catalog_json);
	ck_assert_ptr_nonnull(catalog);
}

void
admit_fixture_teardown(void)
{
	ora_conf_unref(conf);
	json_object_put(catalog);
	conf = NULL;
	catalog = NULL;
}

int
try_admit_len(const char *user, const char *centre, const char *body, size_t len,
    struct admit_decision *d)
{
	return try_admit_shape(&admit_shape_chat, user, centre, body, len, d);
}

int
try_admit_shape(const struct admit_shape *shape, const char *user, const char *centre,
    const char *body, size_t len, struct admit_decision *d)
{
	const struct ora_rule *rule = NULL;
	struct admit_catalog cat = { .by_id = catalog };
	struct admit_caller c;

	for (size_t i = 0; i < conf->n_rules; i++)
		if (strcmp(conf->rules[i].name, user) == 0)
			rule = &conf->rules[i];
	ck_assert_ptr_nonnull(rule);
	c = (struct admit_caller){ .conf = conf, .rule = rule, .cc = ora_conf_find_centre(conf, centre),
		.user = user, .user_value = user };
	ck_assert_ptr_nonnull(c.cc);
	return admit_request(shape, body, len, &c, &cat, d);
}

int
try_admit(const char *user, const char *centre, const char *body, struct admit_decision *d)
{
	return try_admit_len(user, centre, body, strlen(body), d);
}

struct json_object *
sent(const struct admit_decision *d)
{
	struct json_object *o;

	ck_assert_ptr_nonnull(d->body);
	o = json_tokener_parse(d->body);
	ck_assert_msg(o != NULL, "not JSON: %s", d->body);
	return o;
}

struct json_object *
at(struct json_object *o, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k != NULL && o != NULL;
	     k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return o;
}

#define MSG "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"

/* Refused with status and a message holding needle. */
static void
refused(const char *user, const char *centre, const char *body, int status, const char *needle)
{
	struct admit_decision d;

	ck_assert_msg(try_admit(user, centre, body, &d) != 0, "admitted: %s", body);
	ck_assert_msg(d.status == status, "status %d, not %d, for %s: %s", d.status, status, body,
	    d.message);
	ck_assert_msg(strstr(d.message, needle) != NULL, "'%s' not in: %s", needle, d.message);
	ck_assert_ptr_null(d.body);
	admit_decision_clear(&d);
}

/* --- values that mean one thing ------------------------------------- */

START_TEST(test_numbers_json_cannot_carry)
{
	refused("alice", "dev", "{" MSG ",\"temperature\":1e999999}", 400, "Infinity");
	refused("alice", "dev", "{" MSG ",\"temperature\":-1e400}", 400, "Infinity");
	refused("alice", "dev", "{" MSG ",\"temperature\":NaN}", 400, "not JSON syntax");
	refused("alice", "dev", "{" MSG ",\"temperature\":Infinity}", 400, "not JSON syntax");
	refused("alice", "dev", "{" MSG ",\"temperature\":nan}", 400, "not valid JSON");
	refused("alice", "dev", "{" MSG ",\"seed\":18446744073709551616}", 400, "digits");
	refused("alice", "dev", "{" MSG ",\"seed\":9223372036854775808}", 400, "digits");
	refused("alice", "dev", "{" MSG ",\"seed\":-99999999999999999999}", 400, "digits");
	char big[6000];
	int n = snprintf(big, sizeof(big), "{" MSG ",\"seed\":");
	memset(big + n, '7', 5000);
	snprintf(big + n + 5000, sizeof(big) - (size_t)n - 5000, "}");
	refused("alice", "dev", big, 400, "5000 digits");
}
END_TEST

START_TEST(test_numbers_that_fit_pass)
{
	struct admit_decision d;
	struct json_object *o;

	ck_assert_int_eq(try_admit("alice", "dev",
	    "{" MSG ",\"seed\":9223372036854775807,\"temperature\":1e300,\"top_p\":0.5}", &d), 0);
	o = sent(&d);
	ck_assert_int_eq(json_object_get_int64(at(o, "seed")), INT64_MAX);
	ck_assert_ptr_null(strstr(d.body, "Infinity"));
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_invalid_utf8)
{
	refused("alice", "dev", "{\"messages\":[{\"role\":\"user\",\"content\":\"h\xff\"}]}", 400,
	    "UTF-8");
	refused("alice", "dev", "{\"messages\":[{\"role\":\"user\",\"content\":\"\xc0\xaf\"}]}", 400,
	    "UTF-8");
	refused("alice", "dev", "{\"messages\":[{\"role\":\"user\",\"content\":\"\xed\xa0\x80\"}]}",
	    400, "UTF-8");
	refused("alice", "dev", "{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}]}", 400,
	    "surrogate");
	refused("alice", "dev", "{\"messages\":[{\"role\":\"user\",\"content\":\"\\udc00x\"}]}", 400,
	    "surrogate");
	/* A good pair and plain multibyte text pass. */
	struct admit_decision d;
	ck_assert_int_eq(try_admit("alice", "dev",
	    "{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud83d\\ude00 gr\xc3\xbc\xc3\xbc\"}]}", &d),
	    0);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_nul_in_key_and_model)
{
	refused("alice", "dev", "{" MSG ",\"model\\u0000\":\"anthropic/claude-opus-4.1\"}", 400,
	    "key holds");
	refused("alice", "prod",
	    "{" MSG ",\"model\":\"openai/gpt-4o-mini\\u0000anthropic/claude-opus-4.1\"}", 400,
	    "NUL");
	/* NUL inside message text is text, and is escaped on the way out. */
	struct admit_decision d;
	ck_assert_int_eq(try_admit("alice", "dev",
	    "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]}", &d), 0);
	ck_assert_ptr_nonnull(strstr(d.body, "a\\u0000b"));
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_not_json)
{
	refused("alice", "dev", "", 400, "empty");
	refused("alice", "dev", "[1]", 400, "object");
	refused("alice", "dev", "{" MSG "} x", 400, "not JSON syntax");
	refused("alice", "dev", "{" MSG "} {}", 400, "not valid JSON");
	refused("alice", "dev", "{" MSG ",}", 400, "not valid JSON");
	refused("alice", "dev", "{'messages':1}", 400, "not JSON syntax");
	refused("alice", "dev", "{'model\\u0000':'x'," MSG "}", 400, "not JSON syntax");
	refused("alice", "dev", "{" MSG "/* c */}", 400, "not JSON syntax");
	refused("alice", "dev", "{\"model\":\"openai/gpt-4o-mini\"}", 400, "messages");
	refused("alice", "dev", "{\"messages\":[]}", 400, "non-empty");
}
END_TEST

/* --- model ids and patterns ------------------------------------------ */

START_TEST(test_model_id_valid)
{
	static const char *const good[] = { "openai/gpt-4o-mini", "meta-llama/llama-3.1-8b-instruct:free",
		"x-ai/grok-4", "openai/gpt-4o-mini:nitro", "a/b_c.d" };
	static const char *const bad[] = { "", "openai", "/gpt", "openai/", "@preset/x",
		"openai/../anthropic/claude-opus-4.1", "openai/gpt 4", "openai/gpt\n",
		"openai/a/b", "openai/x:", "openai:x/y", "openai/x:a:b", "openai/.hidden",
		"openai/gpt-4o@preset", "openai/gpt*" };
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(admit_model_id_valid(good[i], strlen(good[i]), &why), "%s: %s", good[i],
		    why);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!admit_model_id_valid(bad[i], strlen(bad[i]), &why), "%s accepted", bad[i]);
	ck_assert(!admit_model_id_valid("openai/gpt-4o-mini", 30, &why));
	char longid[200];
	memset(longid, 'a', sizeof(longid));
	longid[3] = '/';
	longid[sizeof(longid) - 1] = '\0';
	ck_assert(!admit_model_id_valid(longid, strlen(longid), &why));
}
END_TEST

START_TEST(test_pattern_match)
{
	ck_assert(admit_pattern_match("openai/*", "openai/gpt-4o-mini"));
	ck_assert(!admit_pattern_match("openai/*", "openai/gpt-4o-mini:nitro"));
	ck_assert(!admit_pattern_match("openai/*", "openai/../anthropic/claude-opus-4.1"));
	ck_assert(!admit_pattern_match("openai/*", "openai/x/y"));
	ck_assert(!admit_pattern_match("openai/*", "@preset/x"));
	ck_assert(!admit_pattern_match("*", "openai/gpt-4o"));
	ck_assert(admit_pattern_match("*/*:free", "meta-llama/llama-3.1-8b-instruct:free"));
	ck_assert(!admit_pattern_match("*/*:free", "meta-llama/llama-3.1-8b-instruct"));
	ck_assert(admit_pattern_match("openai/*:*", "openai/gpt-4o:online"));
	ck_assert(admit_pattern_match("openai/gpt-4o-mini*", "openai/gpt-4o-mini-2024-07-18"));
	ck_assert(!admit_pattern_match("openai/gpt-4o-mini*", "openai/gpt-4o-mini:online"));
	ck_assert(admit_pattern_match("meta-llama/*", "meta-llama/llama-3.1-8b-instruct"));
	ck_assert(!admit_pattern_match("meta-llama/*", "meta-llama/llama-3.1-8b-instruct:online"));
	ck_assert(admit_pattern_match("openai/gpt-4?", "openai/gpt-4o"));
	ck_assert(!admit_pattern_match("openai/gpt-4?", "openai/gpt-4:"));
	ck_assert(admit_pattern_match("openai/gpt-4o", "openai/gpt-4o"));
	ck_assert(!admit_pattern_match("openai/gpt-4o", "openai/gpt-4o-mini"));
	ck_assert(admit_pattern_match("*-mini", "x-mini") == 1);
	ck_assert(admit_pattern_match("a*b*c", "aXbYc"));
	ck_assert(!admit_pattern_match("a*b*c", "aXbY/c"));
}
END_TEST

START_TEST(test_attack_model_names)
{
	refused("alice", "prod", "{" MSG ",\"model\":\"@preset/x\"}", 400, "presets");
	refused("alice", "dev", "{" MSG ",\"model\":\"openai/../anthropic/claude-opus-4.1\"}", 400,
	    "\"..\"");
	refused("alice", "dev", "{" MSG ",\"model\":\"openai/gpt-4o-mini:nitro\"}", 403,
	    "not allowed");
	refused("alice", "dev", "{" MSG ",\"model\":\"meta-llama/llama-3.1-8b-instruct:online\"}",
	    403, "not allowed");
	refused("alice", "dev", "{" MSG ",\"models\":[\"openai/gpt-4o\",\"@preset/y\"]}", 400,
	    "presets");
	refused("alice", "dev", "{" MSG ",\"model\":42}", 400, "strings");
	/* A refusal still names what was asked for (the ledger keeps it),
	 * unless it holds a NUL. */
	struct admit_decision d;
	ck_assert_int_ne(try_admit("alice", "dev", "{" MSG ",\"model\":\"anthropic/claude-opus-4.1\"}",
	    &d), 0);
	ck_assert_pstr_eq(d.model, "anthropic/claude-opus-4.1");
	admit_decision_clear(&d);
	ck_assert_int_ne(try_admit("alice", "dev", "{" MSG ",\"model\":\"openai/x\\u0000y\"}", &d), 0);
	ck_assert_ptr_null(d.model);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_unknown_model_refused)
{
	/* Allowed by the pattern, absent from the catalog: not priced at the
	 * dearest, refused. */
	refused("alice", "dev", "{" MSG ",\"model\":\"openai/gpt-9-imaginary\"}", 400,
	    "not in the upstream's model list");
	refused("alice", "dev", "{" MSG ",\"models\":[\"openai/gpt-9-imaginary\"]}", 400,
	    "not in the upstream's model list");
	/* Without a catalog nothing can be checked: admitted, not priced. */
	const struct ora_rule *rule = &conf->rules[0];
	struct admit_caller c = { .conf = conf, .rule = rule, .cc = rule->centres[0], .user = "alice" };
	struct admit_catalog none = { .by_id = NULL };
	struct admit_decision d;
	const char *b = "{" MSG ",\"model\":\"openai/gpt-9-imaginary\"}";
	ck_assert_int_eq(admit_request(&admit_shape_chat, b, strlen(b), &c, &none, &d), 0);
	ck_assert_int_eq(d.priced, 0);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_variant_named_by_pattern)
{
	struct admit_decision d, base;

	/* bob's role names :nitro and :online for gpt-4o-mini: allowed, and
	 * :online reserves web search on top of the base price. */
	ck_assert_int_eq(try_admit("bob", "dev", "{" MSG ",\"model\":\"openai/gpt-4o-mini:nitro\"}", &d), 0);
	admit_decision_clear(&d);
	/* Own lists, so that the role's fallbacks do not set the price. */
	ck_assert_int_eq(try_admit("bob", "dev", "{" MSG ",\"models\":[\"openai/gpt-4o-mini\"]}", &base), 0);
	ck_assert_int_eq(try_admit("bob", "dev", "{" MSG ",\"models\":[\"openai/gpt-4o-mini:online\"]}", &d), 0);
	ck_assert_int_gt(d.estimate, base.estimate);
	ora_pico web;
	ora_money_parse(ADMIT_WEB_RESULT_USD, &web);
	/* Same body length difference aside, 5 results at the default price. */
	ck_assert_int_ge(d.estimate - base.estimate, 5 * web);
	admit_decision_clear(&d);
	admit_decision_clear(&base);
	/* The :free variant is its own catalog entry, named by "* / *:free". */
	ck_assert_int_eq(try_admit("alice", "dev",
	    "{" MSG ",\"model\":\"meta-llama/llama-3.1-8b-instruct:free\"}", &d), 0);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_alias_and_default)
{
	struct admit_decision d;
	struct json_object *o;

	ck_assert_int_eq(try_admit("alice", "dev", "{" MSG ",\"model\":\"fast\"}", &d), 0);
	ck_assert_str_eq(d.model, "openai/gpt-4o-mini");
	o = sent(&d);
	ck_assert_str_eq(json_object_get_string(at(o, "model")), "openai/gpt-4o-mini");
	json_object_put(o);
	admit_decision_clear(&d);
	ck_assert_int_eq(try_admit("alice", "dev", "{" MSG "}", &d), 0);
	ck_assert_str_eq(d.model, "openai/gpt-4o-mini");
	admit_decision_clear(&d);
}
END_TEST

/* --- the field table ------------------------------------------------- */

START_TEST(test_forwarded_fields)
{
	struct admit_decision d;
	struct json_object *o;
	const char *b = "{" MSG ",\"temperature\":0.5,\"top_p\":1,\"stop\":[\"x\"],\"seed\":7,"
	                "\"tools\":[],\"response_format\":{\"type\":\"json_object\"},"
	                "\"stream_options\":{\"include_usage\":true},\"store\":false,"
	                "\"metadata\":{\"k\":\"v\"},\"parallel_tool_calls\":true,"
	                "\"session_id\":\"s1\",\"logprobs\":false,\"stream\":true}";

	ck_assert_int_eq(try_admit("alice", "dev", b, &d), 0);
	o = sent(&d);
	ck_assert(json_object_get_double(at(o, "temperature")) == 0.5);
	ck_assert_str_eq(json_object_get_string(at(o, "metadata.k")), "v");
	ck_assert(json_object_get_boolean(at(o, "stream_options.include_usage")));
	ck_assert_str_eq(json_object_get_string(at(o, "session_id")), "s1");
	ck_assert_int_eq(d.stream, 1);
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_rewritten_fields)
{
	struct admit_decision d;
	struct json_object *o;

	ck_assert_int_eq(try_admit("alice", "dev",
	    "{" MSG ",\"user\":\"mallory\",\"safety_identifier\":\"mallory\","
	    "\"usage\":{\"include\":false},\"max_tokens\":999999,\"max_completion_tokens\":50}", &d), 0);
	o = sent(&d);
	ck_assert_str_eq(json_object_get_string(at(o, "user")), "alice");
	ck_assert_ptr_null(at(o, "safety_identifier"));
	ck_assert(json_object_get_boolean(at(o, "usage.include")));
	ck_assert_int_eq(json_object_get_int64(at(o, "max_tokens")), 1000);
	ck_assert_int_eq(json_object_get_int64(at(o, "max_completion_tokens")), 50);
	json_object_put(o);
	admit_decision_clear(&d);
	/* No cap given: the role's applies. */
	ck_assert_int_eq(try_admit("alice", "dev", "{" MSG "}", &d), 0);
	o = sent(&d);
	ck_assert_int_eq(json_object_get_int64(at(o, "max_tokens")), 1000);
	json_object_put(o);
	admit_decision_clear(&d);
	refused("alice", "dev", "{" MSG ",\"max_tokens\":0}", 400, "positive");
	refused("alice", "dev", "{" MSG ",\"max_tokens\":1.5}", 400, "positive");
	refused("alice", "dev", "{" MSG ",\"stream\":\"yes\"}", 400, "true or false");
}
END_TEST

START_TEST(test_n)
{
	struct admit_decision d;

	refused("alice", "dev", "{" MSG ",\"n\":2}", 400, "must be 1");
	refused("alice", "dev", "{" MSG ",\"n\":\"1\"}", 400, "must be 1");
	ck_assert_int_eq(try_admit("alice", "dev", "{" MSG ",\"n\":1}", &d), 0);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_refused_and_unknown_fields)
{
	refused("alice", "dev", "{" MSG ",\"preset\":\"x\"}", 400, "preset");
	refused("alice", "dev", "{" MSG ",\"service_tier\":\"priority\"}", 400, "price");
	refused("alice", "dev", "{" MSG ",\"debug\":{}}", 400, "debug");
	refused("alice", "dev", "{" MSG ",\"prompt\":\"x\"}", 400, "messages");
	refused("alice", "dev", "{" MSG ",\"frobnicate\":1}", 400, "unknown field 'frobnicate'");
	refused("alice", "dev", "{" MSG ",\"frobnicate\":1}", 400, "policy.pass_fields");

	/* Names too long for check_fields' room on the stack each have
	 * their own copy: the first unknown one is still named. */
	char body[4096], *p = body;
	p += sprintf(p, "{" MSG);
	for (int i = 0; i < 3; i++) {
		p += sprintf(p, ",\"%c", 'a' + i);
		memset(p, 'x', 900);
		p += 900;
		p += sprintf(p, "\":%d", i);
	}
	sprintf(p, "}");
	refused("alice", "dev", body, 400, "unknown field 'axxxxxxxx");
}
END_TEST

START_TEST(test_pass_fields)
{
	struct admit_decision d;
	struct json_object *o;

	ck_assert_int_eq(try_admit("alice", "dev", "{" MSG ",\"x_site_field\":{\"a\":1}}", &d), 0);
	o = sent(&d);
	ck_assert_int_eq(json_object_get_int(at(o, "x_site_field.a")), 1);
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_route_transforms_reasoning)
{
	struct admit_decision d;
	struct json_object *o;

	refused("alice", "dev", "{" MSG ",\"route\":\"cheapest\"}", 400, "fallback");
	refused("alice", "dev", "{" MSG ",\"transforms\":[\"other\"]}", 400, "middle-out");
	refused("alice", "dev", "{" MSG ",\"reasoning\":{\"effort\":\"huge\"}}", 400, "effort");
	refused("alice", "dev", "{" MSG ",\"reasoning\":{\"budget\":1}}", 400, "not understood");
	refused("alice", "dev", "{" MSG ",\"reasoning\":{\"max_tokens\":-1}}", 400, "positive");
	ck_assert_int_eq(try_admit("alice", "dev",
	    "{" MSG ",\"route\":\"fallback\",\"transforms\":[\"middle-out\"],"
	    "\"reasoning\":{\"max_tokens\":50000,\"effort\":\"high\"}}", &d), 0);
	o = sent(&d);
	ck_assert_int_eq(json_object_get_int64(at(o, "reasoning.max_tokens")), 1000);
	json_object_put(o);
	admit_decision_clear(&d);
}
END_TEST

/* --- the price ------------------------------------------------------- */

static ora_pico
usd(const char *s)
{
	ora_pico p;

	ck_assert_int_eq(ora_money_parse(s, &p), 0);
	return p;
}

START_TEST(test_price_every_component)
{
	struct admit_decision d;
	/* gpt-4o: prompt bound at the dearer of prompt and cache write
	 * (0.000003) per byte; completion (cap 2000 of bob's role + reasoning
	 * 500) at the dearer of completion and internal_reasoning (0.00002);
	 * request 0.001; two images at 0.002. */
	const char *b = "{\"model\":\"openai/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":["
	                "{\"type\":\"text\",\"text\":\"see\"},"
	                "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/a.png\"}},"
	                "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/b.png\"}}]}],"
	                "\"reasoning\":{\"max_tokens\":500}}";
	size_t len = strlen(b);

	ck_assert_int_eq(try_admit("bob", "dev", b, &d), 0);
	ck_assert_int_eq(d.priced, 1);
	ora_pico want = usd("0.000003") * (ora_pico)len + usd("0.00002") * 2500 + usd("0.001") +
	                2 * usd("0.002");
	ck_assert_int_eq(d.estimate, want);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_price_fallbacks_take_dearest)
{
	struct admit_decision d;
	const char *b = "{" MSG ",\"max_tokens\":100}";
	size_t len = strlen(b);

	/* bob's role adds anthropic/claude-3.5-haiku as a fallback. */
	ck_assert_int_eq(try_admit("bob", "dev", b, &d), 0);
	ck_assert_ptr_nonnull(d.models_json);
	ck_assert_ptr_nonnull(strstr(d.models_json, "claude-3.5-haiku"));
	/* The body grew by the fallbacks; the bound uses the bytes received. */
	ck_assert_int_eq(d.estimate, usd("0.0000008") * (ora_pico)len + usd("0.000004") * 100);
	admit_decision_clear(&d);
}
END_TEST

START_TEST(test_price_unpriceable_model)
{
	/* openrouter/auto has price -1 and no router plugin to bound it. */
	refused("alice", "dev", "{" MSG ",\"model\":\"openrouter/auto\"}", 503, "no price");
}
END_TEST

/* Prices parsed once when the catalog loads give what parsing them per
 * request gave, the unknown price ("-1") included. */
START_TEST(test_price_prepared_catalog_same)
{
	static const char *const bodies[] = {
		"{\"model\":\"openai/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":["
		"{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/a.png\"}}]}],"
		"\"reasoning\":{\"max_tokens\":500}}",
		"{" MSG ",\"max_tokens\":100}",
		"{" MSG ",\"model\":\"openai/gpt-4o-mini:online\"}",
		"{" MSG ",\"model\":\"openrouter/auto\"}",
	};
	struct admit_decision d;
	int rc[4];
	ora_pico est[4];

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			admit_catalog_prepare(catalog);
		for (size_t i = 0; i < 4; i++) {
			int r = try_admit(i == 0 ? "bob" : "alice", "dev", bodies[i], &d);
			if (pass == 0) {
				rc[i] = r;
				est[i] = d.estimate;
			} else {
				ck_assert_int_eq(r, rc[i]);
				ck_assert_int_eq(d.estimate, est[i]);
			}
			admit_decision_clear(&d);
		}
	}
	ck_assert_int_ne(rc[3], 0); /* the unknown price still refused */
	ck_assert_int_gt(est[0], 0);
}
END_TEST

/* --- upstream errors ------------------------------------------------- */

START_TEST(test_scrub_upstream_error)
{
	const char *in = "{\"error\":{\"code\":402,\"message\":\"Insufficient credits\","
	                 "\"metadata\":{\"user_id\":\"user_2abc\",\"provider_name\":\"X\"}},"
	                 "\"user_id\":\"user_2abc\"}";
	char *out;
	size_t len;

	admit_scrub_upstream_error(in, strlen(in), 402, &out, &len);
	ck_assert_ptr_null(strstr(out, "user_2abc"));
	ck_assert_ptr_null(strstr(out, "user_id"));
	ck_assert_ptr_nonnull(strstr(out, "Insufficient credits"));
	ck_assert_ptr_nonnull(strstr(out, "provider_name"));
	ck_assert_uint_eq(len, strlen(out));
	free(out);
	/* Nested deeper than the walk goes: cut there, never kept unread
	 * (the fuzzer found a user_id at depth 18). */
	char deep[1024] = "";
	for (int i = 0; i < 20; i++)
		strcat(deep, "{\"m\":");
	strcat(deep, "{\"user_id\":\"user_2abc\"}");
	for (int i = 0; i < 20; i++)
		strcat(deep, "}");
	admit_scrub_upstream_error(deep, strlen(deep), 402, &out, &len);
	ck_assert_ptr_null(strstr(out, "user_2abc"));
	ck_assert_ptr_nonnull(strstr(out, "{\"m\":{\"m\":"));
	free(out);
	admit_scrub_upstream_error("<html>user_2abc</html>", 22, 502, &out, &len);
	ck_assert_ptr_null(strstr(out, "user_2abc"));
	ck_assert_ptr_nonnull(strstr(out, "502"));
	free(out);
}
END_TEST

Suite *suite(void);

Suite *
suite(void)
{
	Suite *s = suite_create("admit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, admit_fixture_setup, admit_fixture_teardown);
	tcase_add_test(tc, test_numbers_json_cannot_carry);
	tcase_add_test(tc, test_numbers_that_fit_pass);
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_nul_in_key_and_model);
	tcase_add_test(tc, test_not_json);
	tcase_add_test(tc, test_model_id_valid);
	tcase_add_test(tc, test_pattern_match);
	tcase_add_test(tc, test_attack_model_names);
	tcase_add_test(tc, test_unknown_model_refused);
	tcase_add_test(tc, test_variant_named_by_pattern);
	tcase_add_test(tc, test_alias_and_default);
	tcase_add_test(tc, test_forwarded_fields);
	tcase_add_test(tc, test_rewritten_fields);
	tcase_add_test(tc, test_n);
	tcase_add_test(tc, test_refused_and_unknown_fields);
	tcase_add_test(tc, test_pass_fields);
	tcase_add_test(tc, test_route_transforms_reasoning);
	tcase_add_test(tc, test_price_every_component);
	tcase_add_test(tc, test_price_fallbacks_take_dearest);
	tcase_add_test(tc, test_price_unpriceable_model);
	tcase_add_test(tc, test_price_prepared_catalog_same);
	tcase_add_test(tc, test_scrub_upstream_error);
	suite_add_tcase(s, tc);
	admit_policy_cases(s);
	admit_shapes_cases(s);
	return s;
}
