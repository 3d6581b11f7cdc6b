/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_client_http.c: the library's own HTTP/1.1 over the Unix socket,
 * against the canned responder: what the request looks like, every way an
 * answer's body may be framed (Content-Length, chunked with extensions and
 * trailers, until the broker closes), interim answers, connections kept
 * alive or closed, a kept-alive connection the broker closed meanwhile, and
 * answers that are not HTTP at all.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_client.h"
#include "ora/client.h"

static struct ora_client *
client_for(struct responder *r)
{
	struct ora_client *c;

	responder_start(r);
	ck_assert_int_eq(ora_client_open(r->path, &c), ORA_OK);
	return c;
}

/* GET path; the status returned, the body in *body (freed by the caller). */
static enum ora_status
get(struct ora_client *c, const char *path, long *status, char **body)
{
	return ora_client_request(c, "GET", path, NULL, 0, status, body, NULL);
}

START_TEST(http_request_head)
{
	struct responder *r = responder_new(
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", 0, CLOSE);
	struct ora_client *c = client_for(r);
	char *body;
	long status;

	ck_assert_int_eq(ora_client_set_cost_centre(c, "research"), ORA_OK);
	ck_assert_int_eq(
	    ora_client_request(c, "POST", "/api/v1/x?y=1", "{\"a\":1}", 7, &status, &body, NULL),
	    ORA_OK);
	ck_assert_str_eq(body, "ok");
	free(body);
	responder_stop(r);
	ck_assert(strncmp(r->request, "POST /api/v1/x?y=1 HTTP/1.1\r\n", 29) == 0);
	ck_assert_ptr_nonnull(strstr(r->request, "\r\nHost: localhost\r\n"));
	ck_assert_ptr_nonnull(strstr(r->request, "\r\nContent-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(r->request, "\r\nContent-Length: 7\r\n"));
	ck_assert_ptr_nonnull(strstr(r->request, "\r\nX-Ora-Cost-Centre: research\r\n"));
	ck_assert_ptr_nonnull(strstr(r->request, "\r\n\r\n{\"a\":1}"));
	ck_assert_ptr_null(strcasestr(r->request, "Authorization"));
	ora_client_close(c);
}
END_TEST

/* 5 + 6 + 3 bytes in three chunks, with an extension and a trailer. */
static const char chunked[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"
                              "5;name=value\r\n{\"ok\"\r\n"
                              "6\r\n:true,\r\n"
                              "3 \r\n\"x\"\r\n"
                              "0\r\nX-Trailer: yes\r\n\r\n";

START_TEST(http_chunked)
{
	int byte_by_byte;

	for (byte_by_byte = 0; byte_by_byte <= 1; byte_by_byte++) {
		struct responder *r = responder_new(chunked, byte_by_byte, KEEP);
		struct ora_client *c;
		char *body;
		long status;

		r->canned[1] =
		    (struct canned){"HTTP/1.1 204 No Content\r\n\r\n", byte_by_byte, CLOSE};
		r->n_canned = 2;
		c = client_for(r);
		ck_assert_int_eq(get(c, "/a", &status, &body), ORA_OK);
		ck_assert_str_eq(body, "{\"ok\":true,\"x\"");
		free(body);
		/* The trailer was read to its end: the same connection serves the
		 * next request, whose answer has no body at all. */
		ck_assert_int_eq(get(c, "/b", &status, &body), ORA_OK);
		ck_assert_int_eq(status, 204);
		ck_assert_str_eq(body, "");
		free(body);
		responder_stop(r);
		ck_assert_int_eq(r->accepts, 1);
		ora_client_close(c);
	}
}
END_TEST

START_TEST(http_interim_then_until_close)
{
	/* An HTTP/1.0 answer without a length ends when the broker closes. */
	struct responder *r = responder_new("HTTP/1.1 100 Continue\r\n\r\n"
	                                    "HTTP/1.0 200 OK\nContent-Type: application/json\n\n"
	                                    "{\"a\":1}",
	    1, CLOSE);
	struct ora_client *c = client_for(r);
	char *body;
	long status;

	r->canned[1] = (struct canned){"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2", 0, CLOSE};
	r->n_canned = 2;
	ck_assert_int_eq(get(c, "/a", &status, &body), ORA_OK);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(body, "{\"a\":1}");
	free(body);
	ck_assert_int_eq(get(c, "/b", &status, &body), ORA_OK);
	ck_assert_str_eq(body, "2");
	free(body);
	responder_stop(r);
	ck_assert_int_eq(r->accepts, 2);
	ora_client_close(c);
}
END_TEST

START_TEST(http_broker_closed_kept_connection)
{
	/* The first answer says nothing of closing, so the client keeps the
	 * connection; the broker closes it anyway (an idle timeout, a
	 * restart). The next request must go out on a new connection. */
	struct responder *r =
	    responder_new("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1", 0, CLOSE);
	struct ora_client *c = client_for(r);
	char *body;
	long status;
	int i;

	r->canned[1] = (struct canned){"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2", 0, CLOSE};
	r->n_canned = 2;
	for (i = 1; i <= 2; i++) {
		ck_assert_int_eq(get(c, "/a", &status, &body), ORA_OK);
		ck_assert_int_eq(body[0], '0' + i);
		free(body);
	}
	responder_stop(r);
	ck_assert_int_eq(r->accepts, 2);
	ora_client_close(c);
}
END_TEST

START_TEST(http_truncated_body)
{
	struct responder *r =
	    responder_new("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", 0, CLOSE);
	struct ora_client *c = client_for(r);
	char *body;
	long status;

	ck_assert_int_eq(get(c, "/a", &status, &body), ORA_E_UPSTREAM_MIDSTREAM);
	ck_assert_ptr_null(body);
	ck_assert_ptr_nonnull(strstr(ora_client_last_error(c), "broke off"));
	responder_stop(r);
	ora_client_close(c);
}
END_TEST

START_TEST(http_not_http)
{
	static const char *const junk[] = {
	    "SSH-2.0-OpenSSH_9.2\r\n\r\n",
	    "HTTP/1.1 2000 OK\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
	    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
	    "HTTP/1.1 101 Switching Protocols\r\n\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		struct responder *r = responder_new(junk[i], 0, CLOSE);
		struct ora_client *c = client_for(r);
		char *body;
		long status;

		ck_assert_msg(get(c, "/a", &status, &body) == ORA_E_PROTOCOL, "answer %zu", i);
		ck_assert_msg(strstr(ora_client_last_error(c), "not valid HTTP") != NULL,
		    "answer %zu: %s", i, ora_client_last_error(c));
		free(body);
		responder_stop(r);
		ora_client_close(c);
	}
}
END_TEST

START_TEST(http_head_too_large)
{
	size_t n = 70 * 1024, len;
	char *bytes = malloc(n + 64);
	struct responder *r;
	struct ora_client *c;
	char *body;
	long status;

	/* The client stops reading at the cap: the responder's write may fail. */
	signal(SIGPIPE, SIG_IGN);
	len = (size_t)sprintf(bytes, "HTTP/1.1 200 OK\r\nX-Long: ");
	memset(bytes + len, 'x', n);
	strcpy(bytes + len + n, "\r\n\r\n");
	r = responder_new(bytes, 0, CLOSE);
	c = client_for(r);
	ck_assert_int_eq(get(c, "/a", &status, &body), ORA_E_PROTOCOL);
	ck_assert_ptr_nonnull(strstr(ora_client_last_error(c), "head larger than 64 KiB"));
	free(body);
	responder_stop(r);
	ora_client_close(c);
	free(bytes);
}
END_TEST

Suite *
client_http_suite(void)
{
	Suite *s = suite_create("client-http");
	TCase *tc = tcase_create("http");

	tcase_add_test(tc, http_request_head);
	tcase_add_test(tc, http_chunked);
	tcase_add_test(tc, http_interim_then_until_close);
	tcase_add_test(tc, http_broker_closed_kept_connection);
	tcase_add_test(tc, http_truncated_body);
	tcase_add_test(tc, http_not_http);
	tcase_add_test(tc, http_head_too_large);
	suite_add_tcase(s, tc);
	return s;
}
