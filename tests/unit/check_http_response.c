/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_http_response.c: the parser of src/orad/http_parse.c reading an
 * answer (http_parser_init_response), fed whole, byte by byte and split in
 * two at every offset, each way giving the same head, body, end and bytes
 * used: each framing, interim heads, answers without a body, the end of a
 * body that runs until close, and every answer it must not guess at.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orad/http_parse.h"

#define MAX_HEAD 512

/* What one way of feeding an answer gave. */
struct answer {
	enum http_parse_result end; /* DONE or ERROR, or MORE if neither came */
	size_t used;                /* bytes used by the time it ended */
	int heads;                  /* HTTP_PARSE_HEAD returned */
	int code, keep_alive, until_close, status;
	char type[64];
	char body[256];
	size_t body_len;
	char message[256];
};

/* Feed text cut at cuts (sorted offsets), then, if eof, the close. */
static void
read_answer(const char *text, size_t len, const size_t *cuts, size_t n_cuts, int head_request,
    int eof, struct answer *a)
{
	struct http_parser p;
	size_t from = 0;

	memset(a, 0, sizeof(*a));
	a->end = HTTP_PARSE_MORE;
	http_parser_init_response(&p, MAX_HEAD, head_request);
	for (size_t i = 0; i <= n_cuts && a->end == HTTP_PARSE_MORE; i++) {
		size_t to = i < n_cuts ? cuts[i] : len;
		const char *d = text + from;
		size_t left = to - from, u;

		for (;;) {
			enum http_parse_result r = http_parse(&p, d, left, &u);

			ck_assert_uint_le(u, left);
			d += u;
			left -= u;
			a->used += u;
			if (r == HTTP_PARSE_HEAD) {
				const char *t = http_parser_header(&p, "Content-Type");
				a->heads++;
				a->code = p.code;
				a->keep_alive = p.keep_alive;
				a->until_close = p.until_close;
				snprintf(a->type, sizeof(a->type), "%s", t != NULL ? t : "");
				continue;
			}
			if (r == HTTP_PARSE_BODY) {
				/* A span of what was fed, never empty. */
				ck_assert_uint_gt(p.span_len, 0);
				ck_assert(p.span >= text && p.span + p.span_len <= d);
				ck_assert_uint_lt(a->body_len + p.span_len, sizeof(a->body));
				memcpy(a->body + a->body_len, p.span, p.span_len);
				a->body_len += p.span_len;
				continue;
			}
			if (r == HTTP_PARSE_MORE) {
				ck_assert_uint_eq(left, 0); /* MORE means every byte was used */
				break;
			}
			a->end = r;
			break;
		}
		from = to;
	}
	if (a->end == HTTP_PARSE_MORE && eof)
		a->end = http_parse_eof(&p);
	a->status = p.status;
	snprintf(a->message, sizeof(a->message), "%s", p.message);
	if (a->end == HTTP_PARSE_ERROR) {
		/* An error is final, and says why. */
		size_t u;
		ck_assert_int_eq(http_parse(&p, "HTTP/1.1 200 OK\r\n\r\n", 19, &u), HTTP_PARSE_ERROR);
		ck_assert_uint_eq(u, 0);
		ck_assert(p.message[0] != '\0');
		ck_assert_int_eq(p.status, 502);
	}
	http_parser_free(&p);
}

static void
same(const struct answer *a, const struct answer *b, const char *how)
{
	ck_assert_msg(a->end == b->end, "%s: end %d, whole %d", how, b->end, a->end);
	ck_assert_msg(a->used == b->used, "%s: used %zu, whole %zu", how, b->used, a->used);
	ck_assert_int_eq(a->heads, b->heads);
	ck_assert_int_eq(a->code, b->code);
	ck_assert_int_eq(a->keep_alive, b->keep_alive);
	ck_assert_str_eq(a->type, b->type);
	ck_assert_uint_eq(a->body_len, b->body_len);
	ck_assert(memcmp(a->body, b->body, a->body_len) == 0);
	ck_assert_str_eq(a->message, b->message);
}

/* Read text whole, byte by byte and split in two at every offset; all must
 * agree. The whole reading is left in *a. */
static void
read_every_way(const char *text, int head_request, int eof, struct answer *a)
{
	size_t len = strlen(text), *bytes = malloc((len + 1) * sizeof(size_t));
	struct answer b;
	char how[32];

	read_answer(text, len, NULL, 0, head_request, eof, a);
	for (size_t i = 0; i < len; i++)
		bytes[i] = i + 1;
	read_answer(text, len, bytes, len ? len - 1 : 0, head_request, eof, &b);
	same(a, &b, "byte by byte");
	for (size_t cut = 0; cut <= len; cut++) {
		read_answer(text, len, &cut, 1, head_request, eof, &b);
		snprintf(how, sizeof(how), "split at %zu", cut);
		same(a, &b, how);
	}
	free(bytes);
}

static void
expect_error(const char *text, int eof, const char *says)
{
	struct answer a;

	read_every_way(text, 0, eof, &a);
	ck_assert_msg(a.end == HTTP_PARSE_ERROR, "accepted: %s", text);
	ck_assert_msg(strstr(a.message, says) != NULL, "\"%s\" does not say \"%s\"", a.message, says);
}

START_TEST(test_content_length)
{
	const char *text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	                   "Content-Length: 11\r\n\r\nhello world";
	struct answer a;

	read_every_way(text, 0, 0, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_DONE);
	ck_assert_uint_eq(a.used, strlen(text));
	ck_assert_int_eq(a.heads, 1);
	ck_assert_int_eq(a.code, 200);
	ck_assert_int_eq(a.keep_alive, 1);
	ck_assert_int_eq(a.until_close, 0);
	ck_assert_str_eq(a.type, "application/json");
	ck_assert_uint_eq(a.body_len, 11);
	ck_assert(memcmp(a.body, "hello world", 11) == 0);
}
END_TEST

START_TEST(test_chunked)
{
	const char *text = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
	                   "Transfer-Encoding: chunked\r\n\r\n"
	                   "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
	struct answer a;

	read_every_way(text, 0, 0, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_DONE);
	ck_assert_uint_eq(a.used, strlen(text));
	ck_assert_int_eq(a.keep_alive, 1);
	ck_assert_str_eq(a.type, "text/event-stream");
	ck_assert_uint_eq(a.body_len, 11);
	ck_assert(memcmp(a.body, "hello world", 11) == 0);
}
END_TEST

/* Neither a length nor chunks: the body is all the peer sends, and the
 * connection cannot be kept. */
START_TEST(test_until_close)
{
	const char *text = "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<p>all of it";
	struct answer a;

	read_every_way(text, 0, 0, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_MORE); /* still open: more may come */
	ck_assert_int_eq(a.until_close, 1);
	ck_assert_int_eq(a.keep_alive, 0);
	read_every_way(text, 0, 1, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_DONE);
	ck_assert_int_eq(a.code, 502);
	ck_assert_uint_eq(a.body_len, 12);
	ck_assert(memcmp(a.body, "<p>all of it", 12) == 0);
}
END_TEST

START_TEST(test_keep_alive)
{
	struct answer a;

	read_every_way("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 0, 0, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_DONE);
	ck_assert_int_eq(a.keep_alive, 0);
	read_every_way("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 0, &a);
	ck_assert_int_eq(a.keep_alive, 0);
	read_every_way("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", 0, 0, &a);
	ck_assert_int_eq(a.keep_alive, 1);
	/* A status line without a reason phrase (RFC 9112 4). */
	read_every_way("HTTP/1.1 204\r\n\r\n", 0, 0, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_DONE);
	ck_assert_int_eq(a.code, 204);
	ck_assert_int_eq(a.keep_alive, 1);
}
END_TEST

/* 1xx heads are read and dropped: one head, the final one's. */
START_TEST(test_interim)
{
	const char *text = "HTTP/1.1 100 Continue\r\n\r\n"
	                   "HTTP/1.1 103 Early Hints\r\nContent-Type: text/nonsense\r\n\r\n"
	                   "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
	                   "Content-Length: 2\r\n\r\n{}";
	struct answer a;

	read_every_way(text, 0, 0, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_DONE);
	ck_assert_uint_eq(a.used, strlen(text));
	ck_assert_int_eq(a.heads, 1);
	ck_assert_int_eq(a.code, 429);
	ck_assert_str_eq(a.type, "application/json");
	ck_assert_uint_eq(a.body_len, 2);
}
END_TEST

/* After HEAD, and for 204 and 304, there is no body whatever the fields
 * say: the next bytes are the next answer's. */
START_TEST(test_no_body)
{
	const char *next = "HTTP/1.1 200 OK\r\n";
	const char *answers[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
	};
	char text[256];
	struct answer a;

	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", answers[i], next);
		read_every_way(text, i == 0, 0, &a);
		ck_assert_msg(a.end == HTTP_PARSE_DONE, "%s", answers[i]);
		ck_assert_uint_eq(a.used, strlen(answers[i]));
		ck_assert_uint_eq(a.body_len, 0);
		ck_assert_int_eq(a.keep_alive, 1);
	}
}
END_TEST

/* One parser, answers one after another on a kept connection. */
START_TEST(test_reset_next)
{
	const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
	                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n";
	struct http_parser p;
	size_t off = 0, used, len = strlen(two);
	int done = 0;
	char body[4] = "";

	http_parser_init_response(&p, MAX_HEAD, 0);
	while (done < 2) {
		enum http_parse_result r = http_parse(&p, two + off, len - off, &used);

		off += used;
		if (r == HTTP_PARSE_BODY)
			strncat(body, p.span, p.span_len);
		if (r == HTTP_PARSE_DONE) {
			done++;
			http_parser_reset(&p);
			ck_assert_int_eq(p.kind, HTTP_KIND_RESPONSE);
		}
		ck_assert_int_ne(r, HTTP_PARSE_ERROR);
	}
	ck_assert_uint_eq(off, len);
	ck_assert_str_eq(body, "ab");
	http_parser_free(&p);
}
END_TEST

/* Answers that could be framed two ways, or not at all. */
START_TEST(test_refused)
{
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
	    "both Content-Length and Transfer-Encoding");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0,
	    "Transfer-Encoding other than a single chunked");
	expect_error("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "in HTTP/1.0");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", 0,
	    "two different Content-Length");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "not a number");
	expect_error("HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, "switches protocols");
	expect_error("HTTP/2 200 OK\r\n\r\n", 0, "does not start with HTTP/1.1");
	expect_error("HTTP/1.1 20 OK\r\n\r\n", 0, "not three digits");
	expect_error("HTTP/1.1 2000 OK\r\n\r\n", 0, "not three digits");
	expect_error("HTTP/1.1 099 Low\r\n\r\n", 0, "is not a status");
	expect_error("HTTP/1.1 200 O\x01K\r\n\r\n", 0, "control character");
	expect_error("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", 0, "folded");
	expect_error("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", 0, "LF alone");
	expect_error("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", 0, "CR not followed by LF");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 0,
	    "longer than its size");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", 0,
	    "not a hexadecimal number");
}
END_TEST

/* NUL inside the head needs its length: strlen stops at it. */
START_TEST(test_nul_in_head)
{
	const char text[] = "HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n";
	struct answer a;

	read_answer(text, sizeof(text) - 1, NULL, 0, 0, 0, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_ERROR);
	ck_assert_ptr_nonnull(strstr(a.message, "answer holds a NUL"));
}
END_TEST

START_TEST(test_head_limit)
{
	char text[MAX_HEAD + 64];
	size_t n = (size_t)snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\nX-Pad: ");
	struct answer a;

	/* The head exactly at the limit is read; one byte more is not. */
	memset(text + n, 'a', MAX_HEAD - n - 4);
	memcpy(text + MAX_HEAD - 4, "\r\n\r\n", 5);
	read_answer(text, strlen(text), NULL, 0, 0, 1, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_DONE);
	memset(text + n, 'a', MAX_HEAD - n - 3);
	memcpy(text + MAX_HEAD - 3, "\r\n\r\n", 5);
	read_answer(text, strlen(text), NULL, 0, 0, 1, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_ERROR);
	ck_assert_ptr_nonnull(strstr(a.message, "larger than 512 bytes"));
	ck_assert_int_eq(a.status, 502);
}
END_TEST

/* The peer closing says the answer is whole only when its framing says so. */
START_TEST(test_eof)
{
	struct answer a;

	read_every_way("", 0, 1, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_ERROR);
	ck_assert_str_eq(a.message, "the connection closed before any of the answer");
	expect_error("HTTP/1.1 200 OK\r\nContent-Le", 1, "in the middle of the answer's head");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", 1,
	    "cut short: the connection closed after 3 of its 5 body bytes");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 1,
	    "in the middle of the answer's chunked body");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1,
	    "in the middle of the answer's chunked body");
	/* A complete answer stays complete. */
	read_every_way("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 1, &a);
	ck_assert_int_eq(a.end, HTTP_PARSE_DONE);
}
END_TEST

Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("http-response");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_content_length);
	tcase_add_test(tc, test_chunked);
	tcase_add_test(tc, test_until_close);
	tcase_add_test(tc, test_keep_alive);
	tcase_add_test(tc, test_interim);
	tcase_add_test(tc, test_no_body);
	tcase_add_test(tc, test_reset_next);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_nul_in_head);
	tcase_add_test(tc, test_head_limit);
	tcase_add_test(tc, test_eof);
	suite_add_tcase(s, tc);
	return s;
}
