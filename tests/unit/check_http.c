/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_http.c: orad's request parser (src/orad/http_parse.c), fed whole,
 * byte by byte and split at every offset: what it accepts, every refusal,
 * and each limit exactly at and one over.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orad/http_parse.h"

#define MAX_HEAD 1024
#define MAX_BODY 4096

static const struct http_limits limits = { MAX_HEAD, MAX_BODY };

/* Feed one segment; stop at DONE or ERROR. Adds what was used to *used. */
static enum http_parse_result
feed(struct http_parser *p, const char *data, size_t len, size_t *used)
{
	size_t off = 0, u;
	enum http_parse_result r = HTTP_PARSE_MORE;

	while (off < len || r == HTTP_PARSE_HEAD) {
		r = http_parse(p, data + off, len - off, &u);
		ck_assert_uint_le(u, len - off);
		off += u;
		if (r == HTTP_PARSE_DONE || r == HTTP_PARSE_ERROR)
			break;
		if (r == HTTP_PARSE_MORE)
			ck_assert_uint_eq(off, len); /* MORE means every byte was used */
	}
	*used += off;
	return r;
}

/* Parse text cut at the given offsets (sorted, within text). */
static enum http_parse_result
parse_cuts(struct http_parser *p, const char *text, size_t len, const size_t *cuts, size_t n,
    size_t *used)
{
	size_t from = 0;
	enum http_parse_result r = HTTP_PARSE_MORE;

	*used = 0;
	http_parser_init(p, &limits);
	for (size_t i = 0; i <= n; i++) {
		size_t to = i < n ? cuts[i] : len;
		r = feed(p, text + from, to - from, used);
		if (r == HTTP_PARSE_DONE || r == HTTP_PARSE_ERROR)
			return r;
		from = to;
	}
	if (r == HTTP_PARSE_HEAD) /* a bodiless request ends at its head */
		r = feed(p, "", 0, used);
	return r;
}

/* Parse text whole, byte by byte, and split in two at every offset, and
 * check each gives the same result, status and bytes used. The whole-text
 * parser is left in *p for inspection (free it). */
static enum http_parse_result
parse_every_way(struct http_parser *p, const char *text, size_t len, size_t *used)
{
	struct http_parser q;
	enum http_parse_result whole, r;
	size_t u, *bytes = malloc((len + 1) * sizeof(size_t));

	whole = parse_cuts(p, text, len, NULL, 0, used);
	for (size_t i = 0; i < len; i++)
		bytes[i] = i + 1;
	r = parse_cuts(&q, text, len, bytes, len ? len - 1 : 0, &u);
	ck_assert_int_eq(r, whole);
	ck_assert_uint_eq(u, *used);
	ck_assert_int_eq(q.status, p->status);
	http_parser_free(&q);
	for (size_t cut = 0; cut <= len; cut++) {
		r = parse_cuts(&q, text, len, &cut, 1, &u);
		ck_assert_msg(r == whole, "split at %zu: %d, whole: %d", cut, r, whole);
		ck_assert_uint_eq(u, *used);
		ck_assert_int_eq(q.status, p->status);
		http_parser_free(&q);
	}
	free(bytes);
	return whole;
}

static enum http_parse_result
parse_str(struct http_parser *p, const char *text, size_t *used)
{
	return parse_every_way(p, text, strlen(text), used);
}

static void
expect_refused(const char *text, int status)
{
	struct http_parser p;
	size_t used;

	ck_assert_msg(parse_str(&p, text, &used) == HTTP_PARSE_ERROR, "accepted: %s", text);
	ck_assert_msg(p.status == status, "status %d, wanted %d: %s", p.status, status, text);
	ck_assert(p.message[0] != '\0');
	http_parser_free(&p);
}

START_TEST(test_get)
{
	struct http_parser p;
	const char *req = "GET /api/v1/models?x=1 HTTP/1.1\r\nHost: localhost\r\n"
	                  "X-Thing:  spaced value \t\r\n\r\n";
	size_t used;

	ck_assert_int_eq(parse_str(&p, req, &used), HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, strlen(req));
	ck_assert_str_eq(p.method, "GET");
	ck_assert_str_eq(p.target, "/api/v1/models?x=1");
	ck_assert_int_eq(p.minor, 1);
	ck_assert_uint_eq(p.n_headers, 2);
	ck_assert_str_eq(http_parser_header(&p, "host"), "localhost");
	ck_assert_str_eq(http_parser_header(&p, "X-THING"), "spaced value");
	ck_assert_ptr_null(http_parser_header(&p, "Content-Length"));
	ck_assert_int_eq(p.keep_alive, 1);
	ck_assert_uint_eq(p.body_len, 0);
	http_parser_free(&p);
}
END_TEST

START_TEST(test_post_length)
{
	struct http_parser p;
	const char *req = "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 11\r\n"
	                  "Content-Length: 11\r\n\r\nhello world";
	size_t used;

	ck_assert_int_eq(parse_str(&p, req, &used), HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, strlen(req));
	ck_assert_uint_eq(p.body_len, 11);
	ck_assert(memcmp(p.body, "hello world", 11) == 0);
	ck_assert_uint_le(http_parser_held(&p), MAX_HEAD + 64 + 1024);
	http_parser_reset(&p);
	ck_assert_uint_eq(http_parser_held(&p), 0);
	ck_assert(http_parser_idle(&p));
	http_parser_free(&p);
}
END_TEST

START_TEST(test_chunked)
{
	struct http_parser p;
	const char *req = "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
	                  "5\r\nhello\r\n1;ext=\"v\"\r\n \r\nA \r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
	size_t used;

	ck_assert_int_eq(parse_str(&p, req, &used), HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, strlen(req));
	ck_assert_uint_eq(p.body_len, 16);
	ck_assert(memcmp(p.body, "hello 0123456789", 16) == 0);
	http_parser_free(&p);
}
END_TEST

START_TEST(test_keep_alive)
{
	static const struct {
		const char *req;
		int keep;
	} cases[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 1 },
		{ "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1 },
	};
	struct http_parser p;
	size_t used;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(parse_str(&p, cases[i].req, &used), HTTP_PARSE_DONE);
		ck_assert_msg(p.keep_alive == cases[i].keep, "%s", cases[i].req);
		http_parser_free(&p);
	}
}
END_TEST

START_TEST(test_pipelined)
{
	struct http_parser p;
	const char *two = "\r\nPOST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nokGET /b HTTP/1.1\r\n\r\n";
	size_t used, used2;

	ck_assert_int_eq(parse_str(&p, two, &used), HTTP_PARSE_DONE);
	ck_assert_str_eq(two + used, "GET /b HTTP/1.1\r\n\r\n");
	http_parser_reset(&p);
	used2 = 0;
	ck_assert_int_eq(feed(&p, two + used, strlen(two + used), &used2), HTTP_PARSE_DONE);
	ck_assert_str_eq(p.target, "/b");
	http_parser_free(&p);
}
END_TEST

START_TEST(test_expect)
{
	struct http_parser p;
	size_t used = 0;
	const char *head = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";

	/* The head alone is reported before any body byte arrives. */
	http_parser_init(&p, &limits);
	ck_assert_int_eq(http_parse(&p, head, strlen(head), &used), HTTP_PARSE_HEAD);
	ck_assert_uint_eq(used, strlen(head));
	ck_assert_int_eq(p.expect_continue, 1);
	ck_assert_int_eq(http_parse(&p, "abc", 3, &used), HTTP_PARSE_DONE);
	http_parser_free(&p);
	expect_refused("POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417);
}
END_TEST

START_TEST(test_ambiguous)
{
	expect_refused("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
	expect_refused("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc", 400);
	expect_refused("POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc", 400);
	expect_refused("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	               "Transfer-Encoding: chunked\r\n\r\n", 400);
	expect_refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
}
END_TEST

START_TEST(test_malformed)
{
	expect_refused("GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n", 400);       /* obs-fold */
	expect_refused("GET / HTTP/1.1\r\nX-A: one\rtwo\r\n\r\n", 400);          /* bare CR */
	expect_refused("GET / HTTP/1.1\nX-A: one\r\n\r\n", 400);                 /* bare LF */
	expect_refused("GET / HTTP/1.1\r\nX-A: one\r\n\n", 400);
	expect_refused("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nX-A : x\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\n: x\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nX(A): x\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nX-A: a\x01z\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nX-A: a\x7fz\r\n\r\n", 400);
	expect_refused("GET /  HTTP/1.1\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1 \r\n\r\n", 400);
	expect_refused("GET /\r\n\r\n", 400);
	expect_refused("G@T / HTTP/1.1\r\n\r\n", 400);
	expect_refused("GET http://x/ HTTP/1.1\r\n\r\n", 400);
	expect_refused("GET /a\x80 HTTP/1.1\r\n\r\n", 400);
	expect_refused("GET / HTTP/2.0\r\n\r\n", 505);
	expect_refused("GET / HTTP/1.1\r\r\n\r\n", 400);
	expect_refused("\r\r\nGET / HTTP/1.1\r\n\r\n", 400);
	expect_refused("\nGET / HTTP/1.1\r\n\r\n", 400);
	/* The chunked framing is as strict as the head. */
	expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	               "1000000000000000\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", 400);
}
END_TEST

START_TEST(test_nul)
{
	static const char req[] = "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n";
	struct http_parser p;
	size_t used;

	ck_assert_int_eq(parse_every_way(&p, req, sizeof(req) - 1, &used), HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.status, 400);
	http_parser_free(&p);
}
END_TEST

/* A head of exactly len bytes. */
static char *
head_of(size_t len)
{
	const char *start = "GET / HTTP/1.1\r\nX-Pad: ";
	char *h = malloc(len + 1);

	ck_assert_uint_gt(len, strlen(start) + 5);
	memset(h, 'a', len);
	memcpy(h, start, strlen(start));
	memcpy(h + len - 4, "\r\n\r\n", 4);
	h[len] = '\0';
	return h;
}

START_TEST(test_head_limit)
{
	struct http_parser p;
	size_t used;
	char *h = head_of(MAX_HEAD);

	ck_assert_int_eq(parse_str(&p, h, &used), HTTP_PARSE_DONE);
	ck_assert_uint_le(http_parser_held(&p), MAX_HEAD + 1);
	http_parser_free(&p);
	free(h);
	h = head_of(MAX_HEAD + 1);
	ck_assert_int_eq(parse_str(&p, h, &used), HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.status, 431);
	ck_assert_uint_eq(used, MAX_HEAD); /* refused at the byte that crossed */
	ck_assert(strstr(p.message, "daemon.max_header_bytes") != NULL);
	http_parser_free(&p);
	free(h);
}
END_TEST

START_TEST(test_header_count)
{
	struct http_parser p;
	size_t used, n;
	char req[2048];

	for (int extra = 0; extra <= 1; extra++) {
		n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n");
		for (int i = 0; i < HTTP_MAX_HEADERS + extra; i++)
			n += (size_t)snprintf(req + n, sizeof(req) - n, "X%d: v\r\n", i);
		snprintf(req + n, sizeof(req) - n, "\r\n");
		http_parser_init(&p, &(struct http_limits){ sizeof(req), MAX_BODY });
		used = 0;
		enum http_parse_result r = feed(&p, req, strlen(req), &used);
		if (!extra) {
			ck_assert_int_eq(r, HTTP_PARSE_DONE);
			ck_assert_uint_eq(p.n_headers, HTTP_MAX_HEADERS);
		} else {
			ck_assert_int_eq(r, HTTP_PARSE_ERROR);
			ck_assert_int_eq(p.status, 431);
		}
		http_parser_free(&p);
	}
}
END_TEST

START_TEST(test_body_limit)
{
	struct http_parser p;
	size_t used;
	char head[128], *req = malloc(MAX_BODY + 256);

	/* Exactly the limit is accepted. */
	snprintf(req, MAX_BODY + 256, "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n", MAX_BODY);
	size_t hlen = strlen(req);
	memset(req + hlen, 'b', MAX_BODY);
	http_parser_init(&p, &limits);
	used = 0;
	ck_assert_int_eq(feed(&p, req, hlen + MAX_BODY, &used), HTTP_PARSE_DONE);
	ck_assert_uint_eq(p.body_len, MAX_BODY);
	ck_assert_uint_le(http_parser_held(&p), MAX_HEAD + MAX_BODY);
	http_parser_free(&p);
	/* One over is refused at the end of the head, before any body byte. */
	snprintf(head, sizeof(head), "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\nbbbb", MAX_BODY + 1);
	ck_assert_int_eq(parse_str(&p, head, &used), HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.status, 413);
	ck_assert_uint_eq(used, strlen(head) - 4);
	ck_assert_uint_eq(p.body_cap, 0);
	ck_assert(strstr(p.message, "daemon.max_body_bytes") != NULL);
	http_parser_free(&p);
	/* A length too large for any integer is still 413, not a wrap. */
	expect_refused("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413);
	free(req);
}
END_TEST

START_TEST(test_chunked_limit)
{
	struct http_parser p;
	size_t used, n;
	char *req = malloc(2 * MAX_BODY + 256);

	for (int extra = 0; extra <= 1; extra++) {
		/* Two chunks adding up to the limit (plus one). */
		n = (size_t)sprintf(req, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n",
		    MAX_BODY / 2);
		memset(req + n, 'c', MAX_BODY / 2);
		n += MAX_BODY / 2;
		n += (size_t)sprintf(req + n, "\r\n%x\r\n", MAX_BODY / 2 + extra);
		memset(req + n, 'd', MAX_BODY / 2 + extra);
		n += MAX_BODY / 2 + extra;
		n += (size_t)sprintf(req + n, "\r\n0\r\n\r\n");
		http_parser_init(&p, &limits);
		used = 0;
		enum http_parse_result r = feed(&p, req, n, &used);
		if (!extra) {
			ck_assert_int_eq(r, HTTP_PARSE_DONE);
			ck_assert_uint_eq(p.body_len, MAX_BODY);
		} else {
			ck_assert_int_eq(r, HTTP_PARSE_ERROR);
			ck_assert_int_eq(p.status, 413);
			ck_assert_uint_eq(p.body_len, MAX_BODY / 2); /* the crossing chunk is not kept */
		}
		http_parser_free(&p);
	}
	free(req);
}
END_TEST

START_TEST(test_error_sticks)
{
	struct http_parser p;
	size_t used = 0;
	const char *bad = "GET / HTTP/1.1\r\nX-A: \x01\r\n\r\n";

	http_parser_init(&p, &limits);
	ck_assert_int_eq(feed(&p, bad, strlen(bad), &used), HTTP_PARSE_ERROR);
	ck_assert_int_eq(http_parse(&p, "GET / HTTP/1.1\r\n\r\n", 18, &used), HTTP_PARSE_ERROR);
	ck_assert_uint_eq(used, 0);
	http_parser_free(&p);
}
END_TEST

Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_get);
	tcase_add_test(tc, test_post_length);
	tcase_add_test(tc, test_chunked);
	tcase_add_test(tc, test_keep_alive);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_expect);
	tcase_add_test(tc, test_ambiguous);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_head_limit);
	tcase_add_test(tc, test_header_count);
	tcase_add_test(tc, test_body_limit);
	tcase_add_test(tc, test_chunked_limit);
	tcase_add_test(tc, test_error_sticks);
	suite_add_tcase(s, tc);
	return s;
}
