/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * internal.h: what the parts of libora-client share and do not export.
 *
 * Internal names start with oc_ ("ora client"): the library exports only
 * symbols matching ^ora_, so nothing here becomes ABI.
 */
#ifndef ORA_CLIENT_INTERNAL_H
#define ORA_CLIENT_INTERNAL_H

#include <stddef.h>

#include "client/buf.h"
#include "client/classify.h"
#include "ora/client.h"

/* Limits on what the broker may make us hold in memory. */
#define OC_MAX_RESPONSE (64u * 1024 * 1024) /* one non-streamed response body */
#define OC_MAX_EVENT (8u * 1024 * 1024)     /* one server-sent event */
#define OC_HEAD_MAX (64u * 1024)            /* status line and headers of one response */
#define OC_CHUNK_LINE_MAX 1024u             /* one chunk-size or trailer line */
#define OC_CONNECT_TIMEOUT_MS 10000L        /* a local socket answers at once */
#define OC_WAIT_SLICE_MS 200                /* the cancel check runs at least this often */
#define OC_COST_CENTRE_MAX 128
#define OC_GENERATION_ID_MAX 128 /* "gen-" and some 30 letters in practice */

#define OC_CHAT_PATH "/api/v1/chat/completions"

/* Opaque to applications; shared by client.c (the object and its options)
 * and transport.c (the exchange). */
struct ora_client {
	int fd; /* the connection to the broker, kept alive between requests; -1: none */
	char *socket_path;
	char cost_centre[OC_COST_CENTRE_MAX]; /* "" for the default */
	long timeout_ms;
	int (*cancel_check)(void *arg);
	void *cancel_arg;

	/* What the last call left for ora_client_last_*(). */
	char error[OC_MESSAGE_MAX];
	char error_type[OC_TYPE_MAX];
	long http_status;
	long retry_after;
	/* The last chat request's generation id ("" none) and the usage it
	 * reported (has_usage), kept even when it failed. */
	char generation_id[OC_GENERATION_ID_MAX];
	struct ora_usage usage;
	int has_usage;
};

struct oc_response {
	long status;        /* HTTP status; 0 if none arrived */
	struct oc_buf body; /* the body, unless a sink consumed it */
	char content_type[128];
	long retry_after;                         /* seconds, or -1 */
	char generation_id[OC_GENERATION_ID_MAX]; /* X-Generation-Id, or "" */
};

/* Receives the body of a 2xx text/event-stream response as it arrives.
 * Return 0 to go on, non-zero to abort the transfer. */
typedef int (*oc_sink_fn)(void *arg, const char *data, size_t len);

/* Start of every public call on c: forget the last error. */
void oc_begin(struct ora_client *c);

/* Keep what a chat request learned for ora_client_last_generation_id() and
 * ora_client_last_usage(): id (may be NULL; an id already kept, from the
 * response's header, stays) and usage (may be NULL). */
void oc_note_generation(struct ora_client *c, const char *id, const struct ora_usage *usage);

/* Forget a recorded message that turned out not to matter. */
void oc_clear_error(struct ora_client *c);

/* Record a failure of the library's own; returns status. */
enum ora_status oc_fail(struct ora_client *c, enum ora_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the failure a non-2xx response means; returns its status. */
enum ora_status oc_fail_http(struct ora_client *c, const struct oc_response *resp);

/* Do one HTTP exchange with the broker. A sink (may be NULL) receives the body
 * of a 2xx event stream; any other body is collected in resp->body.
 * Returns ORA_OK when a complete response arrived, whatever its status, and
 * otherwise records and returns the failure: ORA_E_UNREACHABLE (no answer),
 * ORA_E_UPSTREAM_MIDSTREAM (the answer broke off), ORA_E_TIMEOUT,
 * ORA_E_CANCELLED (the sink or the cancel check stopped it), ORA_E_PROTOCOL
 * (too large), ORA_E_INVALID, ORA_E_NOMEM. Free resp with
 * oc_response_free(). */
enum ora_status oc_perform(struct ora_client *c, const char *method, const char *path,
    const char *body, size_t body_len, oc_sink_fn sink, void *sink_arg, struct oc_response *resp);

/* Only the reading half of oc_perform(): one response from c->fd (already
 * connected, the request already sent with method). For the fuzzer, which
 * hands it the bytes of a socket pair; the connection is left as it is. */
enum ora_status oc_receive(struct ora_client *c, const char *method, oc_sink_fn sink,
    void *sink_arg, struct oc_response *resp);

void oc_response_free(struct oc_response *resp);

/* Whether resp is a 2xx. */
int oc_response_ok(const struct oc_response *resp);

/* Parse a non-streamed chat completion. On failure returns the status
 * (ORA_E_UPSTREAM for an error reported in a 200, ORA_E_PROTOCOL for junk,
 * ORA_E_NOMEM) and writes a message to msg. */
enum ora_status oc_parse_completion(
    const char *body, size_t len, struct ora_reply **out, char *msg, size_t msg_size);

/* Parse the answers of /api/v1/models and /api/v1/me, likewise. */
enum ora_status oc_parse_models(
    const char *body, size_t len, struct ora_model_list **out, char *msg, size_t msg_size);
enum ora_status oc_parse_me(
    const char *body, size_t len, struct ora_me **out, char *msg, size_t msg_size);
enum ora_status oc_parse_generation(
    const char *body, size_t len, struct ora_generation **out, char *msg, size_t msg_size);

#endif
