/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * http_conn.h: the door. orad's own HTTP/1.1 server on the Unix socket,
 * built so that everything a local user can make orad hold is bounded
 * before orad knows what they want:
 *
 *  - identity at accept: SO_PEERCRED is read when the connection is
 *    accepted (on a daemon.listen TCP socket, the kernel's owner of the
 *    client's socket, orad/tcpident.h; unknown: 403, closed), and the per-uid and total connection caps apply there,
 *    before a byte is read (over a cap: a short JSON 429/503, closed);
 *    a reserve above the total cap keeps root and the admin group able to
 *    connect; EMFILE at accept pauses accepting briefly instead of spinning;
 *  - absolute deadlines, from the start and not from the last byte, so a
 *    trickle cannot extend them: the head (daemon.header_timeout), the body
 *    (daemon.body_timeout), and the idle time between kept-alive requests
 *    (daemon.keepalive_timeout); over one: 408, closed;
 *  - bytes held for requests still being read are counted per uid and in
 *    total (daemon.max_pending_bytes_per_uid, daemon.max_pending_bytes);
 *    over a cap: 429 / 503, closed, and the memory freed;
 *  - answers are written in one piece where possible; a stream's pending
 *    output is visible to its producer (http_req_output_pending) so it can
 *    pause the upstream, and a client that stops reading is cut after
 *    HTTP_WRITE_STALL_S.
 *
 * Requests are parsed by http_parse.h (pure, fuzzed). One request per
 * connection is served at a time; while it is served, orad does not read
 * the connection but watches it for a hang-up, which it reports at once
 * (struct orad_conn's on_gone).
 */
#ifndef ORAD_HTTP_CONN_H
#define ORAD_HTTP_CONN_H

#include <stddef.h>

#include "common/util.h"
#include "config/listen_addr.h"

struct orad;
struct orad_conn;
struct http_req;
struct http_server;
struct orad_tcpident;

/* A client that has not taken a byte of its answer for this long is cut. */
#define HTTP_WRITE_STALL_S 60
/* Connections above daemon.max_connections kept for root and admin_group. */
#define HTTP_ADMIN_RESERVE 16
/* Descriptors kept free of client connections when max_connections is
 * sized from RLIMIT_NOFILE: NSS lookups, the ledger and its journal,
 * upstream sockets, logging. */
#define HTTP_FD_RESERVE 256
/* Most connections accepted in one turn of the loop, so a flood of
 * connections cannot keep the loop from everything else. */
#define HTTP_ACCEPT_BURST 64
/* How long accepting pauses when the process is out of descriptors. */
#define HTTP_ACCEPT_PAUSE_MS 100
/* Connections refused at accept linger this long (at most this many at
 * once, reading and dropping at most this many bytes) so the client can
 * read why; see refuse_at_accept. */
#define HTTP_LINGER_MS 500
#define HTTP_MAX_LINGER 64
#define HTTP_LINGER_BYTES 65536
/* Listening sockets: the Unix one and daemon.listen's. */
#define HTTP_MAX_DOORS (1 + ORA_LISTEN_MAX)
/* The uid refusals of unidentified TCP callers are rate-limited under in
 * the log (ora_log_refusal): all of them share one allowance. */
#define HTTP_UNIDENTIFIED_UID ((unsigned)-1)
/* Bytes read from a connection at a time. */
#define HTTP_READ_CHUNK 16384

/* Serve HTTP on d->listen_fd. A complete request goes to
 * on_request(d, req), which must answer it (now or later) with http_reply
 * or http_reply_start ... http_reply_end. on_head(d, req), if not NULL, is
 * called when a request's head is complete, before its body is read: it may
 * answer at once (the connection then closes, the body unread), or return
 * 0 to go on. */
struct http_server *http_server_new(struct orad *d, int listen_fd,
    void (*on_request)(struct orad *d, struct http_req *req),
    int (*on_head)(struct orad *d, struct http_req *req), struct ora_error *err);

/* Serve loopback TCP on fd too (a daemon.listen socket, named name for
 * the log; both must outlive s). Each connection's caller is the uid the
 * kernel says owns the client's socket (ident), asked at accept; after
 * that, everything is as for the Unix socket. */
int http_server_listen_tcp(struct http_server *s, int fd, const char *name,
    struct orad_tcpident *ident, struct ora_error *err);

/* Stop accepting and close the listening descriptors (drain). */
void http_server_stop_accepting(struct http_server *s);

/* Close every connection (telling their requests) and free. NULL is fine. */
void http_server_free(struct http_server *s);

/* Connections with answer bytes not yet written. */
long http_server_output_pending(const struct http_server *s);

/* Connections open. */
long http_server_connections(const struct http_server *s);

/* Bytes held for requests still being read, all users. */
size_t http_server_pending_bytes(const struct http_server *s);

/* The request. Strings live as long as the request. */
const char *http_req_method(const struct http_req *req);
const char *http_req_target(const struct http_req *req); /* path and query */
/* The first header field called name (any case), or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);
/* The i-th header field; 0 when there is none. */
int http_req_header_at(const struct http_req *req, size_t i, const char **name, const char **value);
/* The query parameter name, percent-decoded into out (size bytes).
 * Returns 1 when present and fitting, 0 when absent, -1 when malformed or
 * too long. */
int http_req_query(const struct http_req *req, const char *name, char *out, size_t size);
/* The body (empty until the request is complete). */
const char *http_req_body(const struct http_req *req, size_t *len);
/* Keep p with the request until the handler takes it back (NULL when
 * nothing is kept) or the request ends unanswered, when free_fn(p) is
 * called: what on_head learnt, so that on_request need not learn it again. */
void http_req_keep(struct http_req *req, void *p, void (*free_fn)(void *p));
void *http_req_take(struct http_req *req);
/* Who is on the other end, from accept. */
struct orad_conn *http_req_peer(const struct http_req *req);

/* Add a header field to the answer. "Connection: close" closes the
 * connection after the answer. CR, LF and NUL in value become spaces. */
void http_reply_add_header(struct http_req *req, const char *name, const char *value);

/* The whole answer at once (Content-Type: application/json unless one was
 * added). The request is finished: req is not to be used again. */
void http_reply(struct http_req *req, int status, const char *body, size_t len);

/* A streamed answer: the head, chunks, the end (after which req is not to
 * be used again). */
void http_reply_start(struct http_req *req, int status);
void http_reply_chunk(struct http_req *req, const char *data, size_t len);
void http_reply_end(struct http_req *req);

/* Answer bytes queued on req's connection and not yet taken by the client. */
size_t http_req_output_pending(const struct http_req *req);

/* Call fn(arg) once when the queued answer bytes fall to low_water or
 * below (fn NULL: cancel). */
void http_req_on_drain(struct http_req *req, size_t low_water, void (*fn)(void *arg), void *arg);

#endif
