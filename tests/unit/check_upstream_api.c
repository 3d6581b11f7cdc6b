/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_upstream_api.c: OpenRouter's particulars (src/orad/upstream_api.h):
 * each wire's upstream path, the attribution headers, which statuses are
 * retried and how long the upstream asked us to wait, and the /generation
 * lookup: which ids are looked up, and what its answer says.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "orad/upstream.h"
#include "orad/upstream_api.h"
#include "orad/wire.h"

/* Stand-ins for the wires: only their addresses matter here. */
const struct orad_wire wire_chat = { .name = "chat" };
const struct orad_wire wire_messages = { .name = "messages" };
const struct orad_wire wire_responses = { .name = "responses" };

START_TEST(test_wire_paths)
{
	const struct orad_upstream_api *api = upstream_api();
	struct orad_wire other = { .name = "other" };

	ck_assert_str_eq(api->name, "openrouter");
	ck_assert_str_eq(api->wire_path(&wire_chat), "/chat/completions");
	ck_assert_str_eq(api->wire_path(&wire_messages), "/messages");
	ck_assert_str_eq(api->wire_path(&wire_responses), "/responses");
	ck_assert_ptr_null(api->wire_path(&other));
}
END_TEST

START_TEST(test_attribution)
{
	char *h[UPSTREAM_API_MAX_ATTRIBUTION];
	size_t n;

	ck_assert_uint_eq(upstream_api()->attribution(NULL, NULL, h), 0);
	n = upstream_api()->attribution("https://ora.example", "ora at example", h);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(h[0], "HTTP-Referer: https://ora.example");
	ck_assert_str_eq(h[1], "X-OpenRouter-Title: ora at example");
	for (size_t i = 0; i < n; i++)
		free(h[i]);
	n = upstream_api()->attribution(NULL, "t", h);
	ck_assert_uint_eq(n, 1);
	for (size_t i = 0; i < n; i++)
		free(h[i]);
}
END_TEST

START_TEST(test_retryable)
{
	static const long yes[] = { 429, 502, 503, 524, 529 };
	static const long no[] = { 200, 400, 401, 402, 403, 404, 408, 413, 500, 504 };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(upstream_api()->retryable(yes[i]), "%ld", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!upstream_api()->retryable(no[i]), "%ld", no[i]);
}
END_TEST

START_TEST(test_asked_wait)
{
	struct upstream_headers h;
	long w;

	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(upstream_api()->asked_wait_ms(&h), 0);
	strcpy(h.retry_after, "7");
	ck_assert_int_eq(upstream_api()->asked_wait_ms(&h), 7000);
	strcpy(h.retry_after, "soon");
	ck_assert_int_eq(upstream_api()->asked_wait_ms(&h), 0);
	/* A reset time later than Retry-After wins. */
	strcpy(h.retry_after, "1");
	snprintf(h.ratelimit_reset, sizeof(h.ratelimit_reset), "%lld", (long long)ora_wall_ms() + 60000);
	w = upstream_api()->asked_wait_ms(&h);
	ck_assert_msg(w > 50000 && w <= 60000, "%ld", w);
	/* One in the past does not. */
	snprintf(h.ratelimit_reset, sizeof(h.ratelimit_reset), "%lld", (long long)ora_wall_ms() - 60000);
	ck_assert_int_eq(upstream_api()->asked_wait_ms(&h), 1000);
}
END_TEST

START_TEST(test_generation_url)
{
	char *u = upstream_api()->generation_url("http://up/api/v1", "gen-1234_ab");

	ck_assert_str_eq(u, "http://up/api/v1/generation?id=gen-1234_ab");
	free(u);
	ck_assert_ptr_null(upstream_api()->generation_url("http://up/api/v1", ""));
	ck_assert_ptr_null(upstream_api()->generation_url("http://up/api/v1", "gen&id=other"));
	ck_assert_ptr_null(upstream_api()->generation_url("http://up/api/v1", "../keys"));
}
END_TEST

START_TEST(test_generation_parse)
{
	struct upstream_generation g;

	ck_assert_int_eq(upstream_api()->generation_parse(
	                     "{\"data\":{\"id\":\"gen-1\",\"total_cost\":0.0000225,\"tokens_prompt\":12,"
	                     "\"tokens_completion\":34,\"native_tokens_reasoning\":5,"
	                     "\"model\":\"openai/gpt-4o-mini\"}}",
	                     &g),
	    0);
	ck_assert_int_eq(g.cost, 22500000);
	ck_assert_str_eq(g.cost_text, "0.0000225"); /* as written, not reformatted */
	ck_assert_int_eq(g.tokens_prompt, 12);
	ck_assert_int_eq(g.tokens_completion, 34);
	ck_assert_int_eq(g.tokens_reasoning, 5);
	ck_assert_str_eq(g.model, "openai/gpt-4o-mini");
	upstream_generation_clear(&g);
	ck_assert_ptr_null(g.model);

	ck_assert_int_eq(upstream_api()->generation_parse("{\"data\":{\"total_cost\":0,\"model\":null}}", &g), 0);
	ck_assert_int_eq(g.cost, 0);
	ck_assert_ptr_null(g.model);
	upstream_generation_clear(&g);

	/* No cost yet, or not an answer at all: not known. */
	ck_assert_int_ne(upstream_api()->generation_parse("{\"data\":{\"total_cost\":null}}", &g), 0);
	ck_assert_int_ne(upstream_api()->generation_parse("{\"data\":{\"total_cost\":\"1\"}}", &g), 0);
	ck_assert_int_ne(upstream_api()->generation_parse("{\"error\":{\"code\":404}}", &g), 0);
	ck_assert_int_ne(upstream_api()->generation_parse("", &g), 0);
	ck_assert_int_ne(upstream_api()->generation_parse("not json", &g), 0);
}
END_TEST

Suite *suite(void);

Suite *
suite(void)
{
	Suite *s = suite_create("upstream_api");
	TCase *tc = tcase_create("openrouter");

	tcase_add_test(tc, test_wire_paths);
	tcase_add_test(tc, test_attribution);
	tcase_add_test(tc, test_retryable);
	tcase_add_test(tc, test_asked_wait);
	tcase_add_test(tc, test_generation_url);
	tcase_add_test(tc, test_generation_parse);
	suite_add_tcase(s, tc);
	return s;
}
