/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_error_anthropic.c: orad's errors in Anthropic's shape
 * (src/orad/error_anthropic.h): every ora error type maps to the
 * Anthropic type a tool expects, unknown ones by status, and the body and
 * the stream event are the exact shape the Anthropic SDKs parse, with the
 * sentence intact (quotes, newlines and non-ASCII escaped as JSON).
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "orad/error_anthropic.h"
#include "orad/reply.h"

START_TEST(test_every_ora_type_mapped)
{
	static const struct {
		int status;
		const char *ora, *want;
	} cases[] = {
		{ 403, ORA_ERR_NOT_PERMITTED, "permission_error" },
		{ 403, ORA_ERR_MODEL_NOT_ALLOWED, "permission_error" },
		{ 403, ORA_ERR_CENTRE_NOT_ALLOWED, "permission_error" },
		{ 400, ORA_ERR_BAD_REQUEST, "invalid_request_error" },
		{ 413, ORA_ERR_TOO_LARGE, "request_too_large" },
		{ 408, ORA_ERR_REQUEST_TIMEOUT, "timeout_error" },
		{ 429, ORA_ERR_RATE_LIMITED, "rate_limit_error" },
		{ 402, ORA_ERR_BUDGET, "billing_error" },
		{ 429, ORA_ERR_TOO_MANY_CONNECTIONS, "rate_limit_error" },
		{ 502, ORA_ERR_UPSTREAM_UNREACHABLE, "api_error" },
		{ 504, ORA_ERR_UPSTREAM_TIMEOUT, "timeout_error" },
		{ 502, ORA_ERR_UPSTREAM_BAD_REPLY, "api_error" },
		{ 503, ORA_ERR_UPSTREAM_DOWN, "api_error" },
		{ 503, ORA_ERR_UPSTREAM_BUSY, "overloaded_error" },
		{ 404, ORA_ERR_NOT_FOUND, "not_found_error" },
		{ 405, ORA_ERR_METHOD, "invalid_request_error" },
		{ 503, ORA_ERR_SHUTTING_DOWN, "api_error" },
		{ 503, ORA_ERR_UNAVAILABLE, "api_error" },
		{ 500, ORA_ERR_INTERNAL, "api_error" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(strcmp(error_anthropic_type(cases[i].status, cases[i].ora),
		                  cases[i].want) == 0,
		    "%s: %s", cases[i].ora, error_anthropic_type(cases[i].status, cases[i].ora));
}
END_TEST

START_TEST(test_unknown_type_by_status)
{
	ck_assert_str_eq(error_anthropic_type(401, NULL), "authentication_error");
	ck_assert_str_eq(error_anthropic_type(402, "something_new"), "billing_error");
	ck_assert_str_eq(error_anthropic_type(404, NULL), "not_found_error");
	ck_assert_str_eq(error_anthropic_type(409, NULL), "invalid_request_error");
	ck_assert_str_eq(error_anthropic_type(429, NULL), "rate_limit_error");
	ck_assert_str_eq(error_anthropic_type(529, NULL), "overloaded_error");
	ck_assert_str_eq(error_anthropic_type(503, NULL), "api_error");
	ck_assert_str_eq(error_anthropic_type(500, ""), "api_error");
}
END_TEST

START_TEST(test_body_shape)
{
	const char *sentence = "model 'anthropic/claude-opus-4.1' is not allowed for you (user "
	                       "\"alice\", role staff);\nallowed: openai/* \xc3\xa9";
	struct json_object *o, *e, *v;
	size_t len;
	char *b = error_anthropic_body(403, ORA_ERR_MODEL_NOT_ALLOWED, sentence, &len);

	ck_assert_int_eq(strlen(b), len);
	ck_assert_int_eq(b[len - 1], '\n');
	ck_assert_ptr_null(memchr(b, '\n', len - 1));
	o = json_tokener_parse(b);
	ck_assert_ptr_nonnull(o);
	/* Exactly {"type":"error","error":{"type","message"}}. */
	ck_assert_int_eq(json_object_object_length(o), 2);
	ck_assert(json_object_object_get_ex(o, "type", &v));
	ck_assert_str_eq(json_object_get_string(v), "error");
	ck_assert(json_object_object_get_ex(o, "error", &e));
	ck_assert_int_eq(json_object_object_length(e), 2);
	ck_assert(json_object_object_get_ex(e, "type", &v));
	ck_assert_str_eq(json_object_get_string(v), "permission_error");
	ck_assert(json_object_object_get_ex(e, "message", &v));
	ck_assert_str_eq(json_object_get_string(v), sentence);
	json_object_put(o);
	free(b);
	b = error_anthropic_body(502, NULL, NULL, &len);
	ck_assert_ptr_nonnull(strstr(b, "\"type\":\"api_error\""));
	ck_assert_ptr_nonnull(strstr(b, "could not serve"));
	free(b);
}
END_TEST

START_TEST(test_stream_event)
{
	size_t len;
	char *ev = error_anthropic_event(402, ORA_ERR_BUDGET, "budget \"dev\" exhausted\n", &len);
	const char *prefix = "event: error\ndata: ";
	struct json_object *o;

	ck_assert_int_eq(strlen(ev), len);
	ck_assert_int_eq(strncmp(ev, prefix, strlen(prefix)), 0);
	ck_assert_str_eq(ev + len - 2, "\n\n");
	/* One data line: the JSON holds no raw line end. */
	ev[len - 2] = '\0';
	ck_assert_ptr_null(strchr(ev + strlen(prefix), '\n'));
	o = json_tokener_parse(ev + strlen(prefix));
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	                     json_object_object_get(o, "error"), "type")),
	    "billing_error");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	                     json_object_object_get(o, "error"), "message")),
	    "budget \"dev\" exhausted\n");
	json_object_put(o);
	free(ev);
}
END_TEST

Suite *suite(void);

Suite *
suite(void)
{
	Suite *s = suite_create("error_anthropic");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_every_ora_type_mapped);
	tcase_add_test(tc, test_unknown_type_by_status);
	tcase_add_test(tc, test_body_shape);
	tcase_add_test(tc, test_stream_event);
	suite_add_tcase(s, tc);
	return s;
}
