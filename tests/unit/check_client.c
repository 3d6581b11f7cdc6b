/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_client.c: unit tests of libora-client's stream parsing: the SSE
 * parser and the stream interpreter, fed bytes split every way. main() runs
 * every client suite.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_client.h"
#include "client/internal.h"
#include "client/sse.h"
#include "client/stream.h"

/* ---- SSE parser ---- */

struct events {
	char all[4096]; /* each event's data followed by '|' */
	int n;
	int stop_at; /* return 7 on this event (1-based); 0: never */
};

static int
collect(void *arg, const char *data, size_t len)
{
	struct events *e = arg;

	ck_assert_uint_eq(strlen(data), len); /* NUL-terminated, no embedded NUL */
	strncat(e->all, data, sizeof(e->all) - strlen(e->all) - 2);
	strcat(e->all, "|");
	e->n++;
	return e->n == e->stop_at ? 7 : 0;
}

static int
feed_all(const char *text, struct events *e, size_t max)
{
	struct oc_sse p;
	int r;

	oc_sse_init(&p, max);
	r = oc_sse_feed(&p, text, strlen(text), collect, e);
	oc_sse_free(&p);
	return r;
}

/* A stream with everything OpenRouter and the SSE rules allow. */
static const char tricky_stream[] = ": OPENROUTER PROCESSING\r\n\r\n"
                                    ":\n\n"
                                    "data: {\"a\":1}\r\n\r\n"
                                    "event: message\nid: 7\nretry: 10\ndata:no-space\n\n"
                                    "data: line one\ndata: line two\n\n"
                                    "data\n\n"
                                    "data: cr only\r\r"
                                    "data: [DONE]\n\n";
static const char tricky_events[] = "{\"a\":1}|no-space|line one\nline two||cr only|[DONE]|";

START_TEST(sse_basic_and_tricky)
{
	struct events e = {0};

	ck_assert_int_eq(feed_all(tricky_stream, &e, 1024), 0);
	ck_assert_str_eq(e.all, tricky_events);
	ck_assert_int_eq(e.n, 6);
}
END_TEST

START_TEST(sse_split_everywhere)
{
	size_t len = strlen(tricky_stream), i, j;

	/* Every single split point, then every byte on its own. */
	for (i = 0; i <= len; i++) {
		struct events e = {0};
		struct oc_sse p;

		oc_sse_init(&p, 1024);
		ck_assert_int_eq(oc_sse_feed(&p, tricky_stream, i, collect, &e), 0);
		ck_assert_int_eq(oc_sse_feed(&p, tricky_stream + i, len - i, collect, &e), 0);
		ck_assert_msg(strcmp(e.all, tricky_events) == 0, "split at %zu: %s", i, e.all);
		oc_sse_free(&p);
	}
	{
		struct events e = {0};
		struct oc_sse p;

		oc_sse_init(&p, 1024);
		for (j = 0; j < len; j++)
			ck_assert_int_eq(oc_sse_feed(&p, tricky_stream + j, 1, collect, &e), 0);
		ck_assert_str_eq(e.all, tricky_events);
		oc_sse_free(&p);
	}
}
END_TEST

START_TEST(sse_unfinished_event_is_dropped)
{
	struct events e = {0};

	ck_assert_int_eq(feed_all("data: one\n\ndata: two\n", &e, 1024), 0);
	ck_assert_str_eq(e.all, "one|");
}
END_TEST

START_TEST(sse_too_long)
{
	struct events e = {0};
	char big[200];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(feed_all(big, &e, 100), OC_SSE_TOO_LONG);
	/* Many short data lines that together exceed the cap. */
	ck_assert_int_eq(feed_all("data: 0123456789\ndata: 0123456789\ndata: 0123456789\n", &e, 25),
	    OC_SSE_TOO_LONG);
	ck_assert_int_eq(e.n, 0);
}
END_TEST

START_TEST(sse_callback_stops)
{
	struct events e = {0};

	e.stop_at = 2;
	ck_assert_int_eq(feed_all("data: 1\n\ndata: 2\n\ndata: 3\n\n", &e, 100), 7);
	ck_assert_str_eq(e.all, "1|2|");
}
END_TEST

/* ---- stream interpreter ---- */

struct deltas {
	char content[1024];
	char reasoning[1024];
	int stop_after; /* content deltas before asking to stop; 0: never */
	int n;
};

static int
on_content(void *arg, const char *text, size_t len)
{
	struct deltas *d = arg;

	strncat(d->content, text, len);
	return d->stop_after != 0 && ++d->n >= d->stop_after;
}

static int
on_reasoning(void *arg, const char *text, size_t len)
{
	struct deltas *d = arg;

	strncat(d->reasoning, text, len);
	return 0;
}

static int
event(struct oc_stream *s, const char *data)
{
	return oc_stream_event(s, data, strlen(data));
}

#define CHUNK(delta)                                                                               \
	"{\"id\":\"gen-1\",\"model\":\"openai/gpt-4o-mini\",\"object\":\"chat.completion.chunk\"," \
	"\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":null}]}"

START_TEST(stream_deltas_usage_done)
{
	struct deltas d = {0};
	struct oc_stream s;
	struct ora_reply *reply;

	oc_stream_init(&s, on_content, on_reasoning, &d);
	ck_assert_int_eq(event(&s, CHUNK("{\"role\":\"assistant\",\"content\":\"\"}")), 0);
	ck_assert_int_eq(event(&s, CHUNK("{\"role\":\"assistant\",\"reasoning\":\"hmm\"}")), 0);
	ck_assert_int_eq(event(&s, CHUNK("{\"content\":\"Hel\"}")), 0);
	ck_assert_int_eq(event(&s, CHUNK("{\"content\":\"lo \\u00e9\\n\"}")), 0);
	ck_assert_int_eq(event(&s, "{\"id\":\"gen-1\",\"choices\":[{\"delta\":{},"
	                           "\"finish_reason\":\"stop\"}]}"),
	    0);
	ck_assert_int_eq(
	    event(&s, "{\"id\":\"gen-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":82,"
	              "\"completion_tokens\":17,\"total_tokens\":99,\"cost\":0.0000225}}"),
	    0);
	ck_assert_int_eq(event(&s, "[DONE]"), 0);
	ck_assert_int_eq(event(&s, CHUNK("{\"content\":\"after the end\"}")), 0);
	ck_assert_int_eq(oc_stream_result(&s), ORA_OK);
	ck_assert_str_eq(d.content, "Hello \xc3\xa9\n");
	ck_assert_str_eq(d.reasoning, "hmm");
	ck_assert_int_eq(oc_stream_reply(&s, &reply), ORA_OK);
	ck_assert_ptr_null(reply->text);
	ck_assert_str_eq(reply->model, "openai/gpt-4o-mini");
	ck_assert_str_eq(reply->id, "gen-1");
	ck_assert_str_eq(reply->finish_reason, "stop");
	ck_assert_int_eq(reply->usage.prompt_tokens, 82);
	ck_assert_int_eq(reply->usage.completion_tokens, 17);
	ck_assert_int_eq(reply->usage.total_tokens, 99);
	ck_assert(reply->usage.has_cost);
	ck_assert(fabs(reply->usage.cost - 0.0000225) < 1e-12);
	ora_reply_free(reply);
	oc_stream_free(&s);
}
END_TEST

START_TEST(stream_error_chunk_ends_it)
{
	struct deltas d = {0};
	struct oc_stream s;

	oc_stream_init(&s, on_content, NULL, &d);
	ck_assert_int_eq(event(&s, CHUNK("{\"content\":\"partial\"}")), 0);
	ck_assert_int_eq(event(&s, "{\"id\":\"gen-1\",\"error\":{\"code\":502,\"message\":"
	                           "\"Provider \\u001b[31mdisconnected\"},\"choices\":[{\"delta\":"
	                           "{\"content\":\"\"},\"finish_reason\":\"error\"}]}"),
	    1);
	ck_assert_int_eq(oc_stream_result(&s), ORA_E_UPSTREAM_MIDSTREAM);
	/* The escape character became a space: no terminal tricks. */
	ck_assert_str_eq(s.message, "Provider  [31mdisconnected");
	ck_assert_str_eq(d.content, "partial");
	ck_assert_int_eq(event(&s, CHUNK("{\"content\":\"more\"}")), 1);
	ck_assert_str_eq(d.content, "partial");
	oc_stream_free(&s);
}
END_TEST

START_TEST(stream_choice_error)
{
	struct oc_stream s;

	oc_stream_init(&s, NULL, NULL, NULL);
	ck_assert_int_eq(event(&s, "{\"choices\":[{\"delta\":{},\"finish_reason\":\"error\","
	                           "\"error\":{\"message\":\"model crashed\"}}]}"),
	    1);
	ck_assert_int_eq(s.status, ORA_E_UPSTREAM_MIDSTREAM);
	ck_assert_str_eq(s.message, "model crashed");
	oc_stream_free(&s);
}
END_TEST

START_TEST(stream_callback_cancels)
{
	struct deltas d = {0};
	struct oc_stream s;

	d.stop_after = 2;
	oc_stream_init(&s, on_content, NULL, &d);
	ck_assert_int_eq(event(&s, CHUNK("{\"content\":\"a\"}")), 0);
	ck_assert_int_eq(event(&s, CHUNK("{\"content\":\"b\"}")), 1);
	ck_assert_int_eq(oc_stream_result(&s), ORA_E_CANCELLED);
	ck_assert_str_eq(d.content, "ab");
	oc_stream_free(&s);
}
END_TEST

START_TEST(stream_junk_and_truncation)
{
	struct oc_stream s;

	oc_stream_init(&s, NULL, NULL, NULL);
	ck_assert_int_eq(event(&s, "{not json"), 1);
	ck_assert_int_eq(oc_stream_result(&s), ORA_E_PROTOCOL);
	oc_stream_free(&s);

	/* Ended without [DONE] and without a finish reason: cut off. */
	oc_stream_init(&s, NULL, NULL, NULL);
	ck_assert_int_eq(event(&s, CHUNK("{\"content\":\"a\"}")), 0);
	ck_assert_int_eq(oc_stream_result(&s), ORA_E_UPSTREAM_MIDSTREAM);
	oc_stream_free(&s);

	/* A finish reason makes the answer complete even without [DONE]. */
	oc_stream_init(&s, NULL, NULL, NULL);
	ck_assert_int_eq(
	    event(&s, "{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}"), 0);
	ck_assert_int_eq(oc_stream_result(&s), ORA_OK);
	oc_stream_free(&s);
}
END_TEST

Suite *
client_stream_suite(void)
{
	Suite *s = suite_create("client-stream");
	TCase *sse = tcase_create("sse"), *stream = tcase_create("stream");

	tcase_add_test(sse, sse_basic_and_tricky);
	tcase_add_test(sse, sse_split_everywhere);
	tcase_add_test(sse, sse_unfinished_event_is_dropped);
	tcase_add_test(sse, sse_too_long);
	tcase_add_test(sse, sse_callback_stops);
	tcase_add_test(stream, stream_deltas_usage_done);
	tcase_add_test(stream, stream_error_chunk_ends_it);
	tcase_add_test(stream, stream_choice_error);
	tcase_add_test(stream, stream_callback_cancels);
	tcase_add_test(stream, stream_junk_and_truncation);
	suite_add_tcase(s, sse);
	suite_add_tcase(s, stream);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(client_stream_suite());
	int failed;

	srunner_add_suite(sr, client_parse_suite());
	srunner_add_suite(sr, client_net_suite());
	srunner_add_suite(sr, client_http_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
