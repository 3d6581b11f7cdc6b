/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_http.c: the HTTP side of ora-mock: listening, connection tracking,
 * routing, authentication and reply helpers.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "mock.h"

#define MOCK_KEY_PREFIX "sk-or-v1-"
#define MOCK_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Phrases libevent lacks (it stops at 417 and 505). */
static const char *
mock_http_reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 402:
		return "Payment Required";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Payload Too Large";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 524:
		return "A Timeout Occurred";
	case 529:
		return "Site Overloaded";
	default:
		return "Status";
	}
}

const char *
mock_http_header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

void
mock_http_log(struct mock_server *srv, struct evhttp_request *req, int status, const char *note)
{
	static const char *const methods[] = {
	    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"};
	const char *method = "POST";
	int cmd, i;

	if (srv->quiet)
		return;
	if (req != NULL) {
		cmd = (int)evhttp_request_get_command(req);
		for (i = 0; i < (int)(sizeof(methods) / sizeof(methods[0])); i++)
			if (cmd == 1 << i)
				method = methods[i];
	}
	/* Never the Authorization header: even a mock's log gets pasted. */
	fprintf(stderr, "ora-mock: %s %s %d%s%s\n", method,
	    req != NULL ? evhttp_request_get_uri(req) : "/api/v1/chat/completions", status,
	    note != NULL ? " " : "", note != NULL ? note : "");
}

void
mock_http_reply_text(struct mock_server *srv, struct evhttp_request *req, int status,
    const char *ctype, const char *body, size_t len)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	mock_http_log(srv, req, status, NULL);
	evhttp_send_reply(req, status, mock_http_reason(status), NULL);
}

void
mock_http_reply_json(
    struct mock_server *srv, struct evhttp_request *req, int status, json_object *obj)
{
	size_t len;
	const char *s = json_object_to_json_string_length(obj, MOCK_JSON_FLAGS, &len);

	mock_http_reply_text(srv, req, status, "application/json", s, len);
	json_object_put(obj);
}

json_object *
mock_http_error_body(int code, const char *message, json_object *metadata)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	if (metadata != NULL)
		json_object_object_add(e, "metadata", metadata);
	json_object_object_add(o, "error", e);
	json_object_object_add(o, "user_id", json_object_new_string(MOCK_USER_ID));
	return o;
}

void
mock_http_reply_error(struct mock_server *srv, struct evhttp_request *req, int code,
    const char *message, json_object *metadata)
{
	mock_http_reply_json(srv, req, code, mock_http_error_body(code, message, metadata));
}

int
mock_http_auth(
    struct mock_server *srv, struct evhttp_request *req, const char **key, const char **why)
{
	const char *h = mock_http_header(req, "Authorization");
	int known;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		*why = "Missing Authentication header";
		return -1;
	}
	for (h += 7; *h == ' '; h++)
		;
	if (*h == '\0') {
		*why = "Missing Authentication header";
		return -1;
	}
	if ((known = mock_keys_auth(srv, h, why)) != 0) { /* management, created keys */
		*key = h;
		return known > 0 ? 0 : -1;
	}
	if (srv->keys != NULL ? mock_map_get(srv->keys, h, strlen(h)) == NULL
	                      : strncmp(h, MOCK_KEY_PREFIX, strlen(MOCK_KEY_PREFIX)) != 0 ||
	                            h[strlen(MOCK_KEY_PREFIX)] == '\0') {
		*why = "User not found.";
		return -1;
	}
	*key = h;
	return 0;
}

const char *
mock_http_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	/* evhttp caps the body at MOCK_MAX_BODY_BYTES; terminate it so that
	 * string functions can never run past it. */
	*len = evbuffer_get_length(in);
	evbuffer_add(in, "", 1);
	return (const char *)evbuffer_pullup(in, -1);
}

static void
mock_http_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct mock_conn *conn = arg;
	struct mock_server *srv = conn->srv;

	if (conn->gen != NULL)
		mock_gen_conn_closed(conn->gen);
	mock_map_remove(srv->conns, &evcon, sizeof(evcon));
	srv->open_connections--;
	free(conn);
}

struct mock_conn *
mock_http_conn(struct mock_server *srv, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct mock_conn *conn;

	if (evcon == NULL)
		return NULL;
	conn = mock_map_get(srv->conns, &evcon, sizeof(evcon));
	if (conn == NULL) {
		/* evhttp has no hook for a new connection, so each one is
		 * adopted at its first request; the close callback is also how
		 * a stream learns its client hung up. */
		conn = mock_xcalloc(1, sizeof(*conn));
		conn->srv = srv;
		conn->evcon = evcon;
		mock_map_put(srv->conns, &evcon, sizeof(evcon), conn);
		evhttp_connection_set_closecb(evcon, mock_http_conn_closed, conn);
		srv->open_connections++;
	}
	return conn;
}

/* evhttp calls this once per accepted connection to make its bufferevent:
 * the one place that sees every connection, even one that never sends a
 * request. */
static struct bufferevent *
mock_http_new_bev(struct event_base *base, void *arg)
{
	struct mock_server *srv = arg;

	srv->stats.connections++;
	return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

static void
mock_http_dispatch(struct evhttp_request *req, void *arg)
{
	struct mock_server *srv = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;

	if (path == NULL || *path == '\0')
		path = "/";
	mock_http_conn(srv, req);
	if (strcmp(path, "/api/v1/chat/completions") == 0)
		mock_chat_handle(srv, req);
	else if (strcmp(path, "/api/v1/messages") == 0)
		mock_messages_handle(srv, req);
	else if (strcmp(path, "/api/v1/responses") == 0)
		mock_responses_handle(srv, req);
	else if (strcmp(path, "/api/v1/models") == 0)
		mock_catalog_handle(srv, req);
	else if (strcmp(path, "/api/v1/key") == 0)
		mock_keys_handle_key(srv, req);
	else if (strcmp(path, "/api/v1/keys") == 0 || strncmp(path, "/api/v1/keys/", 13) == 0)
		mock_keys_handle(srv, req, path + 12);
	else if (strcmp(path, "/mock/keys") == 0)
		mock_keys_control(srv, req);
	else if (strcmp(path, "/api/v1/generation") == 0)
		mock_records_handle_generation(srv, req);
	else if (strncmp(path, "/mock/", 6) == 0)
		mock_control_handle(srv, req, path + 6);
	else
		mock_http_reply_error(srv, req, 404, "Not Found", NULL);
}

/* "HOST:PORT" or "[V6]:PORT" into ss; port 0 (pick one) is allowed, which
 * evutil_parse_sockaddr_port refuses. Numeric hosts only: a mock for
 * loopback tests has no business resolving names. */
static int
mock_http_parse_listen(const char *spec, struct sockaddr_storage *ss, int *sslen)
{
	const char *colon = strrchr(spec, ':');
	char host[64];
	size_t hl;
	char *end;
	long port;

	if (colon == NULL)
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || port < 0 || port > 65535)
		return -1;
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sslen = (int)sizeof(*s6);
		return evutil_inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sslen = (int)sizeof(*s4);
		return evutil_inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
	}
}

int
mock_http_start(struct mock_server *srv, const char *listen_spec)
{
	struct sockaddr_storage ss;
	int sslen = (int)sizeof(ss);
	socklen_t len = sizeof(ss);
	struct evconnlistener *lev;

	if (mock_http_parse_listen(listen_spec, &ss, &sslen) != 0) {
		fprintf(stderr, "ora-mock: --listen %s: expected IP:PORT or [IPv6]:PORT\n",
		    listen_spec);
		return -1;
	}
	srv->http = evhttp_new(srv->base);
	if (srv->http == NULL)
		return -1;
	evhttp_set_bevcb(srv->http, mock_http_new_bev, srv);
	evhttp_set_gencb(srv->http, mock_http_dispatch, srv);
	evhttp_set_max_body_size(srv->http, MOCK_MAX_BODY_BYTES);
	evhttp_set_max_headers_size(srv->http, MOCK_MAX_HEADERS_BYTES);
	evhttp_set_timeout(srv->http, MOCK_IDLE_TIMEOUT_S);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE |
	                                          EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH);
	/* Our own listener, because evhttp_bind_socket's backlog of 128
	 * drops SYNs when a benchmark opens 1000 connections at once. */
	lev = evconnlistener_new_bind(srv->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, MOCK_LISTEN_BACKLOG,
	    (struct sockaddr *)&ss, sslen);
	if (lev == NULL) {
		fprintf(
		    stderr, "ora-mock: cannot listen on %s: %s\n", listen_spec, strerror(errno));
		return -1;
	}
	if (evhttp_bind_listener(srv->http, lev) == NULL) {
		evconnlistener_free(lev);
		return -1;
	}
	if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&ss, &len) != 0)
		return -1;
	srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                           : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

void
mock_http_stop(struct mock_server *srv)
{
	if (srv->http == NULL)
		return;
	/* Frees every connection; their close callbacks release the
	 * generations still running, so the rest of srv must still exist. */
	evhttp_free(srv->http);
	srv->http = NULL;
}
