/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * upstream.h: HTTP transfers to the upstream (OpenRouter), driven by orad's
 * event loop. What is particular to its API (paths, headers, retries,
 * /generation) is in upstream_api.h.
 *
 * HTTP/1.1 of orad's own (upstream.c) over kept-alive connections, TLS by
 * OpenSSL: a request skips DNS, TCP and TLS set-up when a connection to
 * its origin is idle. Nothing here blocks.
 */
#ifndef ORAD_UPSTREAM_H
#define ORAD_UPSTREAM_H

#include <stddef.h>

#include "common/util.h"

struct event_base;
struct orad_upstream;
struct upstream_xfer;

/* Response headers a transfer keeps, for passing on to the client. */
struct upstream_headers {
	long status;
	char content_type[128];
	char retry_after[32];
	char generation_id[128];
	char ratelimit_limit[32];
	char ratelimit_remaining[32];
	char ratelimit_reset[32];
};

/* on_done's code when a deadline passed (the value libcurl gave it). */
#define UPSTREAM_TIMED_OUT 28

struct upstream_callbacks {
	/* The status line and all headers have arrived (called once, before any
	 * body bytes). */
	void (*on_headers)(void *ctx, const struct upstream_headers *h);
	/* Body bytes, as they arrive. */
	void (*on_data)(void *ctx, const char *data, size_t len);
	/* The transfer ended. curl_code is a CURLcode (0 on success) and
	 * message says what failed in words; connected says whether the
	 * upstream got the whole request (upstream_xfer_request_sent): if
	 * not, it cannot have acted on it, and nothing was billed. The
	 * transfer is already detached from the multi handle;
	 * the callee frees it with upstream_xfer_free. */
	void (*on_done)(void *ctx, int curl_code, const char *message, int connected);
};

struct orad_upstream *upstream_new(struct event_base *base, struct ora_error *err);
void upstream_free(struct orad_upstream *u);

/* Number of transfers in progress. */
size_t upstream_active(const struct orad_upstream *u);

/* A request to send. The strings are copied; header lines are "Name: value"
 * and may contain a secret (Authorization): they are wiped when freed. */
struct upstream_request {
	const char *method; /* "GET" or "POST" */
	const char *url;
	const char *const *headers;
	size_t n_headers;
	const char *body; /* NULL for none */
	size_t body_len;
	long connect_timeout_s;
	long total_timeout_s;
	/* PEM certificates trusted for https instead of the system's
	 * (upstream.ca_file), copied; NULL: the system's. */
	const char *ca_pem;
	size_t ca_pem_len;
};

/* Start a transfer. Callbacks start arriving from the event loop; none is
 * called from within this function. */
struct upstream_xfer *upstream_start(struct orad_upstream *u,
    const struct upstream_request *r, const struct upstream_callbacks *cb, void *ctx,
    struct ora_error *err);

/* 1 once the whole request (headers and body) has been written to the
 * upstream's connection, or an answer has begun: from then on the upstream
 * may be generating, and billing. Before it, a transfer that ends or is
 * aborted cost nothing: the upstream cannot act on a request it does not
 * have in full. NULL: 0. */
int upstream_xfer_request_sent(const struct upstream_xfer *x);

/* Stop a transfer at once (closing its connection, which tells the upstream
 * to stop generating) and free it. No callback follows. NULL is fine. */
void upstream_xfer_abort(struct upstream_xfer *x);

/* Pause (1) or resume (0) receiving the answer: while paused libcurl
 * stops reading the socket, and the upstream's flow control holds the
 * rest. Resuming may deliver held data at once, through on_data. */
void upstream_xfer_pause(struct upstream_xfer *x, int paused);

/* Free a finished transfer (after on_done). NULL is fine. */
void upstream_xfer_free(struct upstream_xfer *x);

/* Total upstream connections curl has opened, for tests and status. */
long upstream_connections_opened(const struct orad_upstream *u);

#endif
