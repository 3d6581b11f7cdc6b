/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_sse.c: the server-sent event reader shared by orad and
 * libora-client (src/common/sse.c): every line ending, a CR at the end of
 * one chunk and its LF at the start of the next, every split of a stream
 * (byte by byte included), comments, fields without a colon or a space,
 * event names, the byte order mark, and lines over the cap (dropped or
 * refused); and orad's reading of usage through it (orad/usage.c).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sse.h"
#include "orad/usage.h"

/* What a feed produced, as text: fields "name=value;", blank lines "/;",
 * events "type:data|". */
struct seen {
	char text[4096];
	int n;
	int stop_at; /* return 9 on this callback (1-based); 0: never */
};

/* Append len bytes of text to what was seen. */
static void
add(struct seen *s, const char *text, size_t len)
{
	size_t used = strlen(s->text);

	ck_assert_uint_lt(used + len, sizeof(s->text));
	memcpy(s->text + used, text, len);
	s->text[used + len] = '\0';
}

static int
on_field(void *arg, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct seen *s = arg;

	if (name == NULL) {
		add(s, "/;", 2);
	} else {
		ck_assert_uint_eq(strlen(value), value_len); /* NUL-terminated */
		add(s, name, name_len);
		add(s, "=", 1);
		add(s, value, value_len);
		add(s, ";", 1);
	}
	return ++s->n == s->stop_at ? 9 : 0;
}

static int
on_event(void *arg, const struct sse_event *ev)
{
	struct seen *s = arg;

	ck_assert_uint_eq(strlen(ev->data), ev->len);
	add(s, ev->type, strlen(ev->type));
	add(s, ":", 1);
	add(s, ev->data, ev->len);
	add(s, "|", 1);
	return ++s->n == s->stop_at ? 9 : 0;
}

/* Feed text in pieces of at most step bytes (0: all at once). */
static int
lines_in_steps(const char *text, size_t len, size_t step, size_t max, enum sse_overflow o,
    struct seen *s)
{
	struct sse_lines l;
	size_t i, n;
	int r = 0;

	sse_lines_init(&l, max, o);
	for (i = 0; i < len && r == 0; i += n) {
		n = step == 0 || len - i < step ? len - i : step;
		r = sse_lines_feed(&l, text + i, n, on_field, s);
	}
	sse_lines_free(&l);
	return r;
}

static int
events_split(const char *text, size_t len, size_t at, size_t max, struct seen *s)
{
	struct sse_events e;
	int r;

	sse_events_init(&e, max);
	if ((r = sse_events_feed(&e, text, at, on_event, s)) == 0)
		r = sse_events_feed(&e, text + at, len - at, on_event, s);
	sse_events_free(&e);
	return r;
}

START_TEST(every_line_ending)
{
	static const char *const endings[] = {"\n", "\r\n", "\r"};

	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < 3; j++) {
			char text[64];
			struct seen s = {0};

			/* The blank line ends like the line before it: a CR
			 * then an LF would be one CRLF. */
			snprintf(text, sizeof(text), "data: a%sdata:b%s%s", endings[i], endings[j],
			    endings[j]);
			ck_assert_int_eq(
			    lines_in_steps(text, strlen(text), 0, 100, SSE_OVERFLOW_FAIL, &s), 0);
			ck_assert_msg(strcmp(s.text, "data=a;data=b;/;") == 0, "endings %zu %zu: %s",
			    i, j, s.text);
		}
	}
}
END_TEST

START_TEST(cr_at_chunk_boundary)
{
	struct seen s = {0};
	struct sse_lines l;

	/* "a\r" then "\nb\r" then "\r": CRLF split, then CR CR (two line
	 * ends: "b" and a blank line). */
	sse_lines_init(&l, 100, SSE_OVERFLOW_FAIL);
	ck_assert_int_eq(sse_lines_feed(&l, "data:a\r", 7, on_field, &s), 0);
	ck_assert_str_eq(s.text, "data=a;");
	ck_assert_int_eq(sse_lines_feed(&l, "\ndata:b\r", 8, on_field, &s), 0);
	ck_assert_str_eq(s.text, "data=a;data=b;");
	ck_assert_int_eq(sse_lines_feed(&l, "\r", 1, on_field, &s), 0);
	ck_assert_str_eq(s.text, "data=a;data=b;/;");
	/* An LF alone after a CR that began the chunk is a blank line only
	 * when it does not pair with the CR. */
	ck_assert_int_eq(sse_lines_feed(&l, "\n", 1, on_field, &s), 0);
	ck_assert_str_eq(s.text, "data=a;data=b;/;");
	ck_assert_int_eq(sse_lines_feed(&l, "\n", 1, on_field, &s), 0);
	ck_assert_str_eq(s.text, "data=a;data=b;/;/;");
	sse_lines_free(&l);
}
END_TEST

/* A stream with everything OpenRouter and the rules allow, and the events a
 * browser would see in it. */
static const char tricky[] = "\xef\xbb\xbf: OPENROUTER PROCESSING\r\n\r\n"
                             ":\n\n"
                             "data: {\"a\":1}\r\n\r\n"
                             "event: message_start\nid: 7\nretry: 10\ndata:no-space\n\n"
                             "event: ping\n\n"
                             "data: line one\ndata: line two\n\n"
                             "data\n\n"
                             "data:  two spaces\r\r"
                             "event: content_block_delta\rdata: cr only\r\r"
                             "data: [DONE]\n\n"
                             "data: not ended\n";
static const char tricky_events[] = "message:{\"a\":1}|message_start:no-space|"
                                    "message:line one\nline two|message:|message: two spaces|"
                                    "content_block_delta:cr only|message:[DONE]|";

START_TEST(events_every_split)
{
	size_t len = strlen(tricky);

	for (size_t i = 0; i <= len; i++) {
		struct seen s = {0};

		ck_assert_int_eq(events_split(tricky, len, i, 1024, &s), 0);
		ck_assert_msg(strcmp(s.text, tricky_events) == 0, "split at %zu: %s", i, s.text);
	}
}
END_TEST

START_TEST(events_byte_by_byte)
{
	struct sse_events e;
	struct seen s = {0};

	sse_events_init(&e, 1024);
	for (size_t i = 0; tricky[i] != '\0'; i++)
		ck_assert_int_eq(sse_events_feed(&e, tricky + i, 1, on_event, &s), 0);
	ck_assert_str_eq(s.text, tricky_events);
	sse_events_free(&e);
}
END_TEST

START_TEST(fields_byte_by_byte)
{
	static const char text[] = "\xef\xbb\xbf"
	                           "data:x\r\n:comment\rfield\nevent: e\n\nid:\r\n";
	struct seen whole = {0}, bytes = {0};

	ck_assert_int_eq(
	    lines_in_steps(text, strlen(text), 0, 100, SSE_OVERFLOW_FAIL, &whole), 0);
	ck_assert_str_eq(whole.text, "data=x;field=;event=e;/;id=;");
	ck_assert_int_eq(
	    lines_in_steps(text, strlen(text), 1, 100, SSE_OVERFLOW_FAIL, &bytes), 0);
	ck_assert_str_eq(bytes.text, whole.text);
}
END_TEST

START_TEST(bom_only_at_start)
{
	struct seen s = {0};

	/* A BOM later in the stream is text; a partial one at the start is
	 * text too. */
	ck_assert_int_eq(lines_in_steps("\xef\xbb\xbf\xef\xbb\xbf"
	                                "a:1\n",
	                     10, 1, 100, SSE_OVERFLOW_FAIL, &s),
	    0);
	ck_assert_str_eq(s.text, "\xef\xbb\xbf"
	                         "a=1;");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(lines_in_steps("\xef\xbb"
	                                "a:1\n",
	                     6, 1, 100, SSE_OVERFLOW_FAIL, &s),
	    0);
	ck_assert_str_eq(s.text, "\xef\xbb"
	                         "a=1;");
}
END_TEST

START_TEST(too_long_fails_or_is_dropped)
{
	struct seen s = {0};
	char big[300];

	memset(big, 'x', sizeof(big));
	memcpy(big, "data:", 5);
	big[150] = '\n';
	memcpy(big + 151, "data: ok\n\n", 10);
	/* SSE_OVERFLOW_FAIL: the feed stops at the long line, split or not. */
	ck_assert_int_eq(lines_in_steps(big, 161, 0, 100, SSE_OVERFLOW_FAIL, &s), SSE_TOO_LONG);
	ck_assert_int_eq(lines_in_steps(big, 161, 7, 100, SSE_OVERFLOW_FAIL, &s), SSE_TOO_LONG);
	ck_assert_int_eq(s.n, 0);
	/* SSE_OVERFLOW_SKIP: the long line is gone, the next one is read. */
	ck_assert_int_eq(lines_in_steps(big, 161, 0, 100, SSE_OVERFLOW_SKIP, &s), 0);
	ck_assert_str_eq(s.text, "data=ok;/;");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(lines_in_steps(big, 161, 1, 100, SSE_OVERFLOW_SKIP, &s), 0);
	ck_assert_str_eq(s.text, "data=ok;/;");
	/* A line of exactly the cap is read. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(lines_in_steps(big + 50, 101, 0, 100, SSE_OVERFLOW_FAIL, &s), 0);
	ck_assert_int_eq(s.n, 1);
}
END_TEST

START_TEST(event_data_over_cap)
{
	static const char text[] = "data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\n";
	struct seen s = {0};

	/* Each line fits; together they do not. */
	ck_assert_int_eq(events_split(text, strlen(text), 0, 25, &s), SSE_TOO_LONG);
	ck_assert_int_eq(s.n, 0);
	ck_assert_int_eq(events_split(text, strlen(text), 0, 40, &s), 0);
	ck_assert_str_eq(s.text, "message:0123456789\n0123456789\n0123456789|");
}
END_TEST

START_TEST(callback_stops_the_feed)
{
	static const char text[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
	struct seen s = {0};

	s.stop_at = 2;
	ck_assert_int_eq(events_split(text, strlen(text), 0, 100, &s), 9);
	ck_assert_str_eq(s.text, "message:1|message:2|");
	memset(&s, 0, sizeof(s));
	s.stop_at = 3;
	ck_assert_int_eq(lines_in_steps(text, strlen(text), 0, 100, SSE_OVERFLOW_FAIL, &s), 9);
	ck_assert_str_eq(s.text, "data=1;/;data=2;");
}
END_TEST

/* orad's reading of a stream: the same usage whatever the line endings and
 * splits, and usage that came before the stream broke off (no blank line,
 * no [DONE]) still counts. */
START_TEST(orad_usage_any_ending_any_split)
{
	static const char stream[] =
	    ": OPENROUTER PROCESSING\n\n"
	    "data: {\"id\":\"gen-1-abc\",\"model\":\"openai/gpt-4o-mini\",\"provider\":\"OpenAI\","
	    "\"choices\":[{\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
	    "data: {\"id\":\"gen-1-abc\",\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],"
	    "\"usage\":{\"prompt_tokens\":82,\"completion_tokens\":17,\"cost\":0.0000225}}\n";
	static const char *const endings[] = {"\n", "\r\n", "\r"};

	for (size_t e = 0; e < 3; e++) {
		char text[1024] = "";
		size_t len = 0;

		for (const char *p = stream; *p != '\0'; p++) {
			if (*p == '\n') {
				strcat(text, endings[e]);
				len += strlen(endings[e]);
			} else {
				text[len++] = *p;
				text[len] = '\0';
			}
		}
		for (size_t step = 1; step <= len; step += step < 8 ? 1 : 61) {
			struct orad_usage u = {0};
			struct sse_parser p = {0};

			for (size_t i = 0; i < len; i += step)
				sse_feed(&p, &u, text + i, len - i < step ? len - i : step);
			sse_parser_clear(&p);
			ck_assert_msg(strcmp(u.cost, "0.0000225") == 0, "ending %zu step %zu", e, step);
			ck_assert_str_eq(u.generation_id, "gen-1-abc");
			ck_assert_str_eq(u.provider, "OpenAI");
			ck_assert_str_eq(u.finish_reason, "stop");
			ck_assert_int_eq(u.prompt_tokens, 82);
			ck_assert_int_eq(u.completion_tokens, 17);
			ck_assert_int_eq(u.saw_content, 1);
			ck_assert_int_eq(u.saw_done, 0);
		}
	}
	usage_cleanup();
}
END_TEST

Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("sse");
	TCase *tc = tcase_create("sse");

	tcase_add_test(tc, every_line_ending);
	tcase_add_test(tc, cr_at_chunk_boundary);
	tcase_add_test(tc, events_every_split);
	tcase_add_test(tc, events_byte_by_byte);
	tcase_add_test(tc, fields_byte_by_byte);
	tcase_add_test(tc, bom_only_at_start);
	tcase_add_test(tc, too_long_fails_or_is_dropped);
	tcase_add_test(tc, event_data_over_cap);
	tcase_add_test(tc, callback_stops_the_feed);
	tcase_add_test(tc, orad_usage_any_ending_any_split);
	suite_add_tcase(s, tc);
	return s;
}
