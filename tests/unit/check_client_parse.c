/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_client_parse.c: unit tests of what libora-client makes of the
 * broker's bodies (the error classifier, the completion, model and identity
 * parsers) and of the request it builds.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check_client.h"
#include "client/classify.h"
#include "client/internal.h"

/* ---- classifier ---- */

static enum ora_status
classify(long status, const char *body, struct oc_http_error *e)
{
	oc_classify(status, body, body != NULL ? strlen(body) : 0, e);
	return e->status;
}

START_TEST(classify_broker_types)
{
	static const struct {
		long http;
		const char *type;
		enum ora_status want;
	} cases[] = {
	    {403, "not_permitted", ORA_E_NOT_PERMITTED},
	    {403, "model_not_allowed", ORA_E_MODEL_NOT_ALLOWED},
	    {403, "cost_centre_not_allowed", ORA_E_COST_CENTRE_NOT_ALLOWED},
	    {400, "bad_request", ORA_E_BAD_REQUEST}, {413, "too_large", ORA_E_TOO_LARGE},
	    {408, "request_timeout", ORA_E_BAD_REQUEST},
	    {429, "rate_limited", ORA_E_RATE_LIMITED},
	    {429, "too_many_connections", ORA_E_RATE_LIMITED},
	    {402, "budget_exhausted", ORA_E_BUDGET}, {502, "upstream_unreachable", ORA_E_UPSTREAM},
	    {504, "upstream_timeout", ORA_E_UPSTREAM}, {404, "not_found", ORA_E_NOT_FOUND},
	    {405, "method_not_allowed", ORA_E_NOT_FOUND}, {503, "shutting_down", ORA_E_UNAVAILABLE},
	    {500, "internal", ORA_E_INTERNAL},
	    {502, "upstream_bad_reply", ORA_E_UPSTREAM}, {503, "upstream_down", ORA_E_UPSTREAM},
	    {503, "upstream_busy", ORA_E_UPSTREAM}, {503, "unavailable", ORA_E_UNAVAILABLE},
	    {403, "some_future_type", ORA_E_NOT_PERMITTED}, /* by status */
	};
	struct oc_http_error e;
	char body[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
		    " {\"error\":{\"code\":%ld,\"message\":\"Why: %zu.\",\"type\":\"%s\"}}",
		    cases[i].http, i, cases[i].type);
		ck_assert_msg(
		    classify(cases[i].http, body, &e) == cases[i].want, "%s", cases[i].type);
		ck_assert_str_eq(e.type, cases[i].type);
		snprintf(body, sizeof(body), "Why: %zu.", i);
		ck_assert_str_eq(e.message, body);
	}
}
END_TEST

START_TEST(classify_upstream_and_http_layer)
{
	struct oc_http_error e;

	/* OpenRouter's own errors, passed through: upstream whatever the code. */
	ck_assert_int_eq(classify(402,
	                     "{\"error\":{\"code\":402,\"message\":\"Insufficient credits\","
	                     "\"metadata\":{}},\"user_id\":\"user_1\"}",
	                     &e),
	    ORA_E_UPSTREAM);
	ck_assert_str_eq(e.message, "Insufficient credits");
	ck_assert_str_eq(e.type, "");
	ck_assert_int_eq(
	    classify(400, "{\"error\":{\"code\":400,\"message\":\"context length\"}}", &e),
	    ORA_E_UPSTREAM);
	ck_assert_int_eq(classify(429, "{\"error\":{\"code\":429,\"message\":\"slow down\"}}", &e),
	    ORA_E_UPSTREAM);
	/* 413 is too large even from the HTTP layer, or with OpenRouter's body. */
	ck_assert_int_eq(classify(413,
	                     "<html><body><h1>413 Request Entity Too Large</h1></body>"
	                     "</html>",
	                     &e),
	    ORA_E_TOO_LARGE);
	ck_assert_str_eq(e.message, "the request is too large for the broker (HTTP 413)");
	ck_assert_int_eq(classify(413, "{\"error\":{\"code\":413,\"message\":\"too big\"}}", &e),
	    ORA_E_TOO_LARGE);
	ck_assert_int_eq(classify(413, NULL, &e), ORA_E_TOO_LARGE);
	/* Bodies that are not ours: judged by status. */
	ck_assert_int_eq(classify(404, "<html>Not Found</html>", &e), ORA_E_NOT_FOUND);
	ck_assert_str_eq(e.message, "the broker answered HTTP 404 (not found)");
	ck_assert_int_eq(classify(400, "Bad Request", &e), ORA_E_BAD_REQUEST);
	ck_assert_int_eq(classify(500, "", &e), ORA_E_INTERNAL);
	ck_assert_int_eq(classify(503, "[1,2]", &e), ORA_E_UNAVAILABLE);
	ck_assert_int_eq(classify(418, "{\"error\":\"a string\"}", &e), ORA_E_BAD_REQUEST);
	ck_assert_int_eq(classify(302, NULL, &e), ORA_E_PROTOCOL);
}
END_TEST

START_TEST(status_strings)
{
	int s;

	for (s = ORA_OK; s <= ORA_E_INTERNAL; s++)
		ck_assert_str_ne(ora_status_str((enum ora_status)s), "unknown error");
	ck_assert_str_eq(ora_status_str((enum ora_status)999), "unknown error");
	ck_assert_str_eq(ora_status_str(ORA_E_BUDGET), "budget exhausted");
}
END_TEST

/* ---- request builder ---- */

START_TEST(request_json)
{
	struct ora_request *r = ora_request_new();
	struct json_object *root, *v, *m;
	char *json;

	ck_assert_int_eq(ora_request_add_message(r, "user", "say \"hi\" \\ \xc3\xa9/\n"), ORA_OK);
	json = ora_request_to_json(r, 0);
	root = json_tokener_parse(json);
	ck_assert_ptr_nonnull(root);
	ck_assert(!json_object_object_get_ex(root, "model", &v));
	ck_assert(!json_object_object_get_ex(root, "temperature", &v));
	ck_assert(!json_object_object_get_ex(root, "max_tokens", &v));
	ck_assert(json_object_object_get_ex(root, "stream", &v) && !json_object_get_boolean(v));
	json_object_put(root);
	free(json);

	ck_assert_int_eq(ora_request_set_model(r, "openai/gpt-4o-mini"), ORA_OK);
	ck_assert_int_eq(ora_request_set_system(r, "be brief"), ORA_OK);
	ck_assert_int_eq(ora_request_set_temperature(r, 0.7), ORA_OK);
	ck_assert_int_eq(ora_request_set_max_tokens(r, 100), ORA_OK);
	ck_assert_int_eq(ora_request_add_message(r, "assistant", "hi"), ORA_OK);
	json = ora_request_to_json(r, 1);
	ck_assert_ptr_nonnull(strstr(json, "\"temperature\":0.7")); /* not 0.69999... */
	root = json_tokener_parse(json);
	ck_assert(json_object_object_get_ex(root, "model", &v));
	ck_assert_str_eq(json_object_get_string(v), "openai/gpt-4o-mini");
	ck_assert(json_object_object_get_ex(root, "stream", &v) && json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(root, "max_tokens", &v));
	ck_assert_int_eq(json_object_get_int(v), 100);
	ck_assert(json_object_object_get_ex(root, "messages", &v));
	ck_assert_int_eq(json_object_array_length(v), 3);
	m = json_object_array_get_idx(v, 0); /* the system prompt comes first */
	ck_assert_str_eq(json_object_get_string(json_object_object_get(m, "role")), "system");
	m = json_object_array_get_idx(v, 1);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(m, "content")),
	    "say \"hi\" \\ \xc3\xa9/\n");
	json_object_put(root);
	free(json);

	ck_assert_int_eq(ora_request_set_model(r, NULL), ORA_OK);
	json = ora_request_to_json(r, 0);
	ck_assert_ptr_null(strstr(json, "\"model\""));
	free(json);
	ora_request_free(r);
}
END_TEST

START_TEST(request_invalid)
{
	struct ora_request *r = ora_request_new();

	ck_assert_int_eq(ora_request_add_message(r, "tool", "x"), ORA_E_INVALID);
	ck_assert_int_eq(ora_request_add_message(r, "user", NULL), ORA_E_INVALID);
	ck_assert_int_eq(ora_request_set_temperature(r, -0.1), ORA_E_INVALID);
	ck_assert_int_eq(ora_request_set_temperature(r, 2.5), ORA_E_INVALID);
	ck_assert_int_eq(ora_request_set_temperature(r, NAN), ORA_E_INVALID);
	ck_assert_int_eq(ora_request_set_max_tokens(r, 0), ORA_E_INVALID);
	ck_assert_int_eq(ora_request_set_model(NULL, "x"), ORA_E_INVALID);
	ck_assert_ptr_null(ora_request_to_json(NULL, 0));
	ora_request_free(r);
	ora_request_free(NULL);
}
END_TEST

/* ---- response parsers ---- */

START_TEST(parse_completion)
{
	static const char body[] =
	    "\n   "
	    "\n\n{\"id\":\"gen-9\",\"provider\":\"OpenAI\",\"model\":\"openai/gpt-4o-mini-2024\","
	    "\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":"
	    "\"assistant\",\"content\":\"Paris.\"}}],\"usage\":{\"prompt_tokens\":82,"
	    "\"completion_tokens\":17,\"total_tokens\":99,\"cost\":0.0000225,\"is_byok\":false}}";
	struct ora_reply *reply;
	char msg[256];

	ck_assert_int_eq(oc_parse_completion(body, strlen(body), &reply, msg, sizeof(msg)), ORA_OK);
	ck_assert_str_eq(reply->text, "Paris.");
	ck_assert_str_eq(reply->model, "openai/gpt-4o-mini-2024");
	ck_assert_str_eq(reply->id, "gen-9");
	ck_assert_str_eq(reply->finish_reason, "stop");
	ck_assert_int_eq(reply->usage.total_tokens, 99);
	ck_assert(reply->usage.has_cost && fabs(reply->usage.cost - 0.0000225) < 1e-12);
	ora_reply_free(reply);
}
END_TEST

START_TEST(parse_completion_failures)
{
	static const char null_content[] = "{\"choices\":[{\"message\":{\"content\":null}}]}";
	static const char choice_error[] =
	    "{\"choices\":[{\"finish_reason\":\"error\",\"error\":{\"code\":502,\"message\":"
	    "\"provider fell over\"},\"message\":{\"content\":\"\"}}]}";
	struct ora_reply *reply;
	char msg[256];

	ck_assert_int_eq(
	    oc_parse_completion(null_content, strlen(null_content), &reply, msg, sizeof(msg)),
	    ORA_OK);
	ck_assert_str_eq(reply->text, "");
	ck_assert_int_eq(reply->usage.prompt_tokens, -1);
	ck_assert(!reply->usage.has_cost);
	ora_reply_free(reply);
	ck_assert_int_eq(
	    oc_parse_completion(choice_error, strlen(choice_error), &reply, msg, sizeof(msg)),
	    ORA_E_UPSTREAM);
	ck_assert_ptr_null(reply);
	ck_assert_str_eq(msg, "provider fell over");
	ck_assert_int_eq(
	    oc_parse_completion("<html>", 6, &reply, msg, sizeof(msg)), ORA_E_PROTOCOL);
	ck_assert_int_eq(
	    oc_parse_completion("{\"choices\":[]}", 14, &reply, msg, sizeof(msg)), ORA_E_PROTOCOL);
}
END_TEST

START_TEST(parse_models)
{
	static const char body[] =
	    "{\"data\":[{\"id\":\"openai/gpt-4o-mini\",\"name\":\"OpenAI: GPT-4o-mini\","
	    "\"context_length\":128000,\"pricing\":{\"prompt\":\"0.00000015\",\"completion\":"
	    "\"0.0000006\",\"image\":\"0\"}},{\"name\":\"no id: skipped\"},"
	    "{\"id\":\"meta-llama/x:free\",\"pricing\":{}}]}";
	struct ora_model_list *list;
	char msg[256];

	ck_assert_int_eq(oc_parse_models(body, strlen(body), &list, msg, sizeof(msg)), ORA_OK);
	ck_assert_uint_eq(list->count, 2);
	ck_assert_str_eq(list->models[0]->id, "openai/gpt-4o-mini");
	ck_assert_str_eq(list->models[0]->name, "OpenAI: GPT-4o-mini");
	ck_assert_int_eq(list->models[0]->context_length, 128000);
	ck_assert(fabs(list->models[0]->prompt_price - 0.00000015) < 1e-15);
	ck_assert(fabs(list->models[0]->completion_price - 0.0000006) < 1e-15);
	ck_assert_ptr_null(list->models[1]->name);
	ck_assert_int_eq(list->models[1]->context_length, -1);
	ck_assert(list->models[1]->prompt_price == 0.0);
	ora_model_list_free(list);
	ck_assert_int_eq(oc_parse_models("{}", 2, &list, msg, sizeof(msg)), ORA_E_PROTOCOL);
	ck_assert_ptr_null(list);
}
END_TEST

START_TEST(parse_me)
{
	static const char body[] =
	    "{\"user\":\"alice\",\"uid\":1001,\"gid\":1001,\"groups\":[\"alice\",\"research\"],"
	    "\"rule\":{\"line\":3,\"match\":\"group research\"},\"role\":\"engineer\","
	    "\"cost_centre\":\"research\",\"cost_centres\":[\"research\"],\"models\":[\"openai/*\","
	    "\"anthropic/*\"],\"default_model\":\"anthropic/"
	    "claude-3.5-sonnet\",\"max_tokens\":16384,"
	    "\"requests_per_minute\":120,\"concurrent_requests\":8,\"budget\":{\"left\":1}}";
	static const char objects[] =
	    "{\"cost_centres\":[{\"name\":\"dev\",\"default\":true},{\"name\":\"prod\","
	    "\"default\":false,\"models\":[\"openai/gpt-4o-mini\"]},{\"default\":false},7]}";
	struct ora_me *me;
	char msg[256];

	ck_assert_int_eq(oc_parse_me(body, strlen(body), &me, msg, sizeof(msg)), ORA_OK);
	ck_assert_str_eq(me->user, "alice");
	ck_assert_int_eq(me->uid, 1001);
	ck_assert_uint_eq(me->n_groups, 2);
	ck_assert_str_eq(me->groups[1], "research");
	ck_assert_ptr_null(me->groups[2]);
	ck_assert_int_eq(me->rule_line, 3);
	ck_assert_str_eq(me->rule_match, "group research");
	ck_assert_str_eq(me->role, "engineer");
	ck_assert_str_eq(me->cost_centre, "research");
	ck_assert_uint_eq(me->n_cost_centres, 1);
	ck_assert_uint_eq(me->n_models, 2);
	ck_assert_str_eq(me->models[0], "openai/*");
	ck_assert_str_eq(me->default_model, "anthropic/claude-3.5-sonnet");
	ck_assert_int_eq(me->max_tokens, 16384);
	ck_assert_int_eq(me->requests_per_minute, 120);
	ck_assert_int_eq(me->concurrent_requests, 8);
	ck_assert_str_eq(me->json, body);
	ora_me_free(me);

	/* orad describes cost centres as objects: their names are taken. */
	ck_assert_int_eq(oc_parse_me(objects, strlen(objects), &me, msg, sizeof(msg)), ORA_OK);
	ck_assert_uint_eq(me->n_cost_centres, 2);
	ck_assert_str_eq(me->cost_centres[0], "dev");
	ck_assert_str_eq(me->cost_centres[1], "prod");
	ck_assert_ptr_null(me->cost_centres[2]);
	ora_me_free(me);

	ck_assert_int_eq(oc_parse_me("{}", 2, &me, msg, sizeof(msg)), ORA_OK);
	ck_assert_ptr_null(me->user);
	ck_assert_uint_eq(me->n_groups, 0);
	ck_assert_int_eq(me->max_tokens, -1);
	ora_me_free(me);
	ck_assert_int_eq(oc_parse_me("[]", 2, &me, msg, sizeof(msg)), ORA_E_PROTOCOL);
	ora_me_free(NULL);
	ora_model_list_free(NULL);
	ora_reply_free(NULL);
}
END_TEST

Suite *
client_parse_suite(void)
{
	Suite *s = suite_create("client-parse");
	TCase *cls = tcase_create("classify"), *req = tcase_create("request");
	TCase *parse = tcase_create("parse");

	tcase_add_test(cls, classify_broker_types);
	tcase_add_test(cls, classify_upstream_and_http_layer);
	tcase_add_test(cls, status_strings);
	tcase_add_test(req, request_json);
	tcase_add_test(req, request_invalid);
	tcase_add_test(parse, parse_completion);
	tcase_add_test(parse, parse_completion_failures);
	tcase_add_test(parse, parse_models);
	tcase_add_test(parse, parse_me);
	suite_add_tcase(s, cls);
	suite_add_tcase(s, req);
	suite_add_tcase(s, parse);
	return s;
}
