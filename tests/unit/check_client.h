/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_client.h: the suites of the libora-client unit test.
 */
#ifndef ORA_CHECK_CLIENT_H
#define ORA_CHECK_CLIENT_H

#include <check.h>
#include <pthread.h>
#include <stddef.h>

/* check_client.c: the SSE parser and stream interpreter, fed bytes. */
Suite *client_stream_suite(void);

/* check_client_parse.c: the classifier, the request, the body parsers. */
Suite *client_parse_suite(void);

/* check_client_net.c: the transport, against the responder below. */
Suite *client_net_suite(void);

/* check_client_http.c: the library's HTTP framing, against the responder. */
Suite *client_http_suite(void);

/* ---- check_client_responder.c ---- */

#define MAX_CANNED 4
#define REQUEST_MAX (2 * 1024 * 1024)

/* How long WAIT_HANGUP waits for the client to close before it closes
 * itself. Well above any timeout a test sets on the client: were they
 * equal, the responder's close could come first and the client would see
 * an answer broken off instead of its own timeout. */
#define RESPONDER_HANGUP_WAIT_MS 20000

enum after {
	KEEP,        /* wait for the next request on the same connection */
	CLOSE,       /* close the connection */
	WAIT_HANGUP, /* wait until the client closes, and record that it did */
};

struct canned {
	const char *bytes; /* the whole response, or its start */
	int byte_by_byte;  /* one write(2) per byte */
	enum after after;
};

struct responder {
	char dir[64];
	char path[108];
	int listen_fd;
	pthread_t thread;
	struct canned canned[MAX_CANNED];
	int n_canned;
	int accepts;                   /* connections accepted */
	int saw_hangup;                /* the client closed during WAIT_HANGUP */
	char request[REQUEST_MAX + 1]; /* the last request: head and body */
	size_t request_len;
	size_t body_len; /* of the last request */
};

/* A responder (one static instance, reset) that answers one request with
 * bytes; tests may fill more of canned[] and raise n_canned. */
struct responder *responder_new(const char *bytes, int byte_by_byte, enum after after);

/* Listen on a fresh socket in a new temporary directory, and serve. */
void responder_start(struct responder *r);

/* Stop serving, wait for the thread, remove the socket; the recorded
 * request stays readable. */
void responder_stop(struct responder *r);

/* Whole responses (kept until free_owned()): an event stream with one
 * chunk per piece (NULL-terminated; complete ends the body), or a body with
 * its Content-Length. */
const char *sse_response(const char *const *pieces, int complete);
const char *http_response(
    const char *status, const char *headers, const char *type, const char *body);
const char *json_response(const char *status, const char *headers, const char *body);
void free_owned(void);

#endif
