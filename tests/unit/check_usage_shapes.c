/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_usage_shapes.c: the Anthropic Messages and Responses usage readers
 * (src/orad/usage_shapes.h) against what the mock upstream actually sends
 * (tests/unit/data/usage_shapes/, captured from tests/mock/ora-mock:
 * non-stream and stream answers, errors before and after the first event),
 * and against the corners the mock does not show (cache tokens, events
 * without a name, an exact cost no double can hold). A stream must read
 * the same whole and one byte at a time.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orad/usage_shapes.h"

static char *
slurp(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/unit/data/usage_shapes/%s",
	    getenv("top_srcdir") != NULL ? getenv("top_srcdir") : ".", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
body(int (*reader)(struct orad_usage *, const char *, size_t), const char *name,
    struct orad_usage *u)
{
	size_t len;
	char *b = slurp(name, &len);

	memset(u, 0, sizeof(*u));
	ck_assert_int_eq(reader(u, b, len), 0);
	free(b);
}

/* The stream read whole, then one byte at a time: both must agree. */
static void
stream(usage_event_fn fn, const char *name, struct orad_usage *u)
{
	struct usage_event_stream s = { 0 };
	struct orad_usage bytewise;
	size_t len;
	char *b = slurp(name, &len);

	memset(u, 0, sizeof(*u));
	usage_events_feed(&s, fn, u, b, len);
	usage_events_clear(&s);
	memset(&bytewise, 0, sizeof(bytewise));
	for (size_t i = 0; i < len; i++)
		usage_events_feed(&s, fn, &bytewise, b + i, 1);
	usage_events_clear(&s);
	ck_assert_msg(memcmp(u, &bytewise, sizeof(*u)) == 0, "%s reads differently in pieces", name);
	free(b);
}

static void
event(usage_event_fn fn, struct orad_usage *u, const char *name, const char *data)
{
	fn(u, name, data, strlen(data));
}

/* --- Anthropic Messages ---------------------------------------------- */

START_TEST(test_messages_body)
{
	struct orad_usage u;

	body(usage_messages_body, "msg-body", &u);
	ck_assert_str_eq(u.generation_id, "msg_1796543731-MgFf68aWIXhGNRMSE36L");
	ck_assert_str_eq(u.model, "anthropic/claude-3.5-haiku");
	ck_assert_str_eq(u.provider, "MockAI");
	ck_assert_int_eq(u.have_usage, 1);
	ck_assert_int_eq(u.prompt_tokens, 13);
	ck_assert_int_eq(u.completion_tokens, 14);
	ck_assert_str_eq(u.cost, "0.0000664");
	ck_assert_str_eq(u.finish_reason, "stop");
	ck_assert_int_eq(u.saw_content, 1);
	ck_assert_int_eq(u.error_code, 0);
	body(usage_messages_body, "msg-body-length", &u);
	ck_assert_str_eq(u.finish_reason, "length");
	ck_assert_int_eq(u.completion_tokens, 3);
	ck_assert_str_eq(u.cost, "0.0000176");
}
END_TEST

START_TEST(test_messages_body_errors)
{
	struct orad_usage u;

	/* Mid-generation failure: a 502 with Anthropic's api_error. */
	body(usage_messages_body, "msg-body-error", &u);
	ck_assert_int_eq(u.error_code, 502);
	ck_assert_str_eq(u.error_message, "Provider returned error");
	ck_assert_int_eq(u.have_usage, 0);
	body(usage_messages_body, "msg-body-529", &u);
	ck_assert_int_eq(u.error_code, 529);
	ck_assert_str_eq(u.error_message, "Provider overloaded");
	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(usage_messages_body(&u, "not json", 8), -1);
	ck_assert_int_eq(usage_messages_body(&u, "  \n", 3), -1);
	ck_assert_int_eq(usage_messages_body(&u, "[1]", 3), -1);
	const char *rl = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"x\"}}";
	ck_assert_int_eq(usage_messages_body(&u, rl, strlen(rl)), 0);
	ck_assert_int_eq(u.error_code, 429);
}
END_TEST

START_TEST(test_messages_stream)
{
	struct orad_usage u;

	stream(usage_messages_event, "msg-stream", &u);
	ck_assert_str_eq(u.generation_id, "msg_1796543731-Yzo1LUeI57gYm7wqITwQ");
	ck_assert_str_eq(u.model, "anthropic/claude-3.5-haiku");
	ck_assert_str_eq(u.provider, "MockAI");
	ck_assert_int_eq(u.prompt_tokens, 13);
	ck_assert_int_eq(u.completion_tokens, 14);
	ck_assert_str_eq(u.cost, "0.0000664");
	ck_assert_str_eq(u.finish_reason, "stop");
	ck_assert_int_eq(u.saw_content, 1);
	ck_assert_int_eq(u.saw_done, 1);
	ck_assert_int_eq(u.error_code, 0);
}
END_TEST

START_TEST(test_messages_stream_error_after_first_event)
{
	struct orad_usage u;

	/* Two words, then Anthropic's error event and nothing more: no usage
	 * (the exchange reconciles through /generation), no message_stop. */
	stream(usage_messages_event, "msg-stream-error", &u);
	ck_assert_int_eq(u.error_code, 502);
	ck_assert_str_eq(u.error_message, "Provider returned error");
	ck_assert_int_eq(u.saw_content, 1);
	ck_assert_int_eq(u.saw_done, 0);
	ck_assert_int_eq(u.prompt_tokens, 13);
	ck_assert_str_eq(u.cost, "");
}
END_TEST

START_TEST(test_messages_events_by_hand)
{
	struct orad_usage u;

	memset(&u, 0, sizeof(u));
	/* Cache reads and writes are prompt tokens too; reads are cached. */
	event(usage_messages_event, &u, "message_start",
	    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"a/b\",\"usage\":"
	    "{\"input_tokens\":2,\"cache_creation_input_tokens\":3,\"cache_read_input_tokens\":5,"
	    "\"output_tokens\":1}}}");
	ck_assert_int_eq(u.prompt_tokens, 10);
	ck_assert_int_eq(u.cached_tokens, 5);
	ck_assert_int_eq(u.saw_content, 0);
	/* Absurd counts saturate instead of overflowing (found by the fuzzer). */
	struct orad_usage big;
	memset(&big, 0, sizeof(big));
	event(usage_messages_event, &big, "message_delta",
	    "{\"usage\":{\"input_tokens\":13,\"cache_read_input_tokens\":"
	    "9223372036854775807,\"cache_creation_input_tokens\":9223372036854775807}}");
	ck_assert_int_eq(big.prompt_tokens, LONG_MAX);
	/* A later message_start cannot change the generation id. */
	event(usage_messages_event, &u, "message_start",
	    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\"}}");
	ck_assert_str_eq(u.generation_id, "msg_1");
	/* No event: line: the data's type names it. */
	event(usage_messages_event, &u, NULL,
	    "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"thinking_delta\"}}");
	ck_assert_int_eq(u.saw_content, 1);
	/* message_delta without input_tokens keeps the prompt count; the cost
	 * is kept exactly as written, past what a double holds. */
	event(usage_messages_event, &u, "",
	    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":"
	    "{\"output_tokens\":40,\"cost\":0.1000000000000000055511151231257827}}");
	ck_assert_int_eq(u.prompt_tokens, 10);
	ck_assert_int_eq(u.completion_tokens, 40);
	ck_assert_str_eq(u.cost, "0.1000000000000000055511151231257827");
	ck_assert_str_eq(u.finish_reason, "tool_calls");
	/* ping, blocks and unknown events change nothing; junk is ignored. */
	struct orad_usage before = u;
	event(usage_messages_event, &u, "ping", "{\"type\":\"ping\"}");
	event(usage_messages_event, &u, "content_block_stop", "{}");
	event(usage_messages_event, &u, "future_event", "{\"type\":\"future_event\",\"usage\":{}}");
	event(usage_messages_event, &u, "message_delta", "not json");
	event(usage_messages_event, &u, "message_delta", "[]");
	ck_assert(memcmp(&before, &u, sizeof(u)) == 0);
	event(usage_messages_event, &u, "message_stop", "{\"type\":\"message_stop\"}");
	ck_assert_int_eq(u.saw_done, 1);
	/* An error event without an error object still counts as one. */
	event(usage_messages_event, &u, "error", "{\"type\":\"error\"}");
	ck_assert_int_eq(u.error_code, 502);
	event(usage_messages_event, &u, "error",
	    "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}");
	ck_assert_int_eq(u.error_code, 529);
	ck_assert_str_eq(u.error_message, "busy");
}
END_TEST

/* --- Responses -------------------------------------------------------- */

START_TEST(test_responses_body)
{
	struct orad_usage u;

	body(usage_responses_body, "resp-body", &u);
	ck_assert_str_eq(u.generation_id, "resp_1796543731-Z3jzqK8H27PerDiAkM2W");
	ck_assert_str_eq(u.model, "openai/gpt-4o-mini");
	ck_assert_str_eq(u.provider, "MockAI");
	ck_assert_int_eq(u.prompt_tokens, 7);
	ck_assert_int_eq(u.completion_tokens, 14);
	ck_assert_int_eq(u.cached_tokens, 0);
	ck_assert_str_eq(u.cost, "0.00000945");
	ck_assert_str_eq(u.finish_reason, "stop");
	ck_assert_int_eq(u.saw_content, 1);
	ck_assert_int_eq(u.error_code, 0);
}
END_TEST

START_TEST(test_responses_body_errors)
{
	struct orad_usage u;

	/* Before anything was generated: OpenRouter's error body. */
	body(usage_responses_body, "resp-body-402", &u);
	ck_assert_int_eq(u.error_code, 402);
	ck_assert_ptr_nonnull(strstr(u.error_message, "Insufficient credits"));
	/* After: a 200 whose status is failed, with the usage of the words. */
	body(usage_responses_body, "resp-body-failed", &u);
	ck_assert_int_eq(u.error_code, 502);
	ck_assert_str_eq(u.error_message, "Provider returned error");
	ck_assert_str_eq(u.finish_reason, "error");
	ck_assert_int_eq(u.completion_tokens, 2);
	ck_assert_str_eq(u.cost, "0.00000225");
	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(usage_responses_body(&u, "{", 1), -1);
	const char *f = "{\"object\":\"response\",\"status\":\"failed\",\"error\":null}";
	ck_assert_int_eq(usage_responses_body(&u, f, strlen(f)), 0);
	ck_assert_int_eq(u.error_code, 502);
}
END_TEST

START_TEST(test_responses_stream)
{
	struct orad_usage u;

	stream(usage_responses_event, "resp-stream", &u);
	ck_assert_str_eq(u.generation_id, "resp_1796543731-KUTQoIFNG4g8hBYqx3ms");
	ck_assert_int_eq(u.prompt_tokens, 7);
	ck_assert_int_eq(u.completion_tokens, 14);
	ck_assert_str_eq(u.cost, "0.00000945");
	ck_assert_str_eq(u.finish_reason, "stop");
	ck_assert_int_eq(u.saw_content, 1);
	ck_assert_int_eq(u.saw_done, 1);
	ck_assert_int_eq(u.error_code, 0);
	stream(usage_responses_event, "resp-stream-incomplete", &u);
	ck_assert_str_eq(u.finish_reason, "length");
	ck_assert_int_eq(u.completion_tokens, 2);
	ck_assert_int_eq(u.saw_done, 1);
}
END_TEST

START_TEST(test_responses_stream_failed_after_first_event)
{
	struct orad_usage u;

	stream(usage_responses_event, "resp-stream-failed", &u);
	ck_assert_int_eq(u.error_code, 502);
	ck_assert_str_eq(u.error_message, "Provider returned error");
	ck_assert_str_eq(u.finish_reason, "error");
	ck_assert_int_eq(u.completion_tokens, 2);
	ck_assert_str_eq(u.cost, "0.00000225");
	ck_assert_int_eq(u.saw_content, 1);
	ck_assert_int_eq(u.saw_done, 1);
}
END_TEST

START_TEST(test_responses_events_by_hand)
{
	struct orad_usage u;

	memset(&u, 0, sizeof(u));
	event(usage_responses_event, &u, NULL,
	    "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_9\",\"model\":\"a/b\","
	    "\"status\":\"in_progress\",\"output\":[],\"usage\":null}}");
	ck_assert_str_eq(u.generation_id, "resp_9");
	ck_assert_int_eq(u.have_usage, 0);
	ck_assert_int_eq(u.saw_content, 0);
	event(usage_responses_event, &u, "response.reasoning_summary_text.delta", "{}");
	ck_assert_int_eq(u.saw_content, 1);
	/* Events orad has no use for are not even parsed. */
	event(usage_responses_event, &u, "response.output_item.added", "{not json");
	event(usage_responses_event, &u, "error",
	    "{\"type\":\"error\",\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\"}");
	ck_assert_int_eq(u.error_code, 429);
	ck_assert_str_eq(u.error_message, "slow down");
	event(usage_responses_event, &u, "response.completed",
	    "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_other\",\"status\":"
	    "\"completed\",\"usage\":{\"input_tokens\":3,\"output_tokens\":4,"
	    "\"input_tokens_details\":{\"cached_tokens\":1},"
	    "\"output_tokens_details\":{\"reasoning_tokens\":2},\"cost\":1e-7}}}");
	ck_assert_str_eq(u.generation_id, "resp_9");
	ck_assert_int_eq(u.cached_tokens, 1);
	ck_assert_int_eq(u.reasoning_tokens, 2);
	ck_assert_str_eq(u.cost, "1e-7");
	ck_assert_int_eq(u.saw_done, 1);
	/* A failed event without an error object is still an error. */
	memset(&u, 0, sizeof(u));
	event(usage_responses_event, &u, "response.failed", "{\"type\":\"response.failed\"}");
	ck_assert_int_eq(u.error_code, 502);
	ck_assert_int_eq(u.saw_done, 1);
}
END_TEST

/* A stream's event name belongs to its own event only. */
START_TEST(test_event_names_do_not_leak)
{
	struct usage_event_stream s = { 0 };
	struct orad_usage u;
	const char *text = "event: message_stop\ndata: {}\n\n"
	                   "data: {\"type\":\"content_block_stop\"}\n\n"
	                   ": comment\nevent: " "a-name-longer-than-any-event-the-upstream-sends-"
	                   "and-longer-than-the-buffer-holds\ndata: {\"type\":\"message_stop\"}\n\n";

	memset(&u, 0, sizeof(u));
	usage_events_feed(&s, usage_messages_event, &u, text, strlen(text));
	usage_events_clear(&s);
	/* The first is message_stop by name; the second names nothing and is
	 * read by its type; the third's name is unknown, so nothing. */
	ck_assert_int_eq(u.saw_done, 1);
	memset(&u, 0, sizeof(u));
	usage_events_feed(&s, usage_messages_event, &u, text + 30, strlen(text + 30));
	usage_events_clear(&s);
	ck_assert_int_eq(u.saw_done, 0);
	usage_shapes_cleanup();
}
END_TEST

Suite *suite(void);

Suite *
suite(void)
{
	Suite *s = suite_create("usage_shapes");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_messages_body);
	tcase_add_test(tc, test_messages_body_errors);
	tcase_add_test(tc, test_messages_stream);
	tcase_add_test(tc, test_messages_stream_error_after_first_event);
	tcase_add_test(tc, test_messages_events_by_hand);
	tcase_add_test(tc, test_responses_body);
	tcase_add_test(tc, test_responses_body_errors);
	tcase_add_test(tc, test_responses_stream);
	tcase_add_test(tc, test_responses_stream_failed_after_first_event);
	tcase_add_test(tc, test_responses_events_by_hand);
	tcase_add_test(tc, test_event_names_do_not_leak);
	suite_add_tcase(s, tc);
	return s;
}
