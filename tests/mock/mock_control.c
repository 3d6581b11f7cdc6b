/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_control.c: the test-facing control API under /mock/ (no auth: the
 * mock listens on loopback and holds no real secret).
 */
#include "config.h"

#include <string.h>

#include <sys/queue.h>

#include <event2/keyvalq_struct.h>

#include "mock.h"

static json_object *
mock_u64(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static json_object *
mock_control_stats(const struct mock_server *srv)
{
	json_object *o = json_object_new_object(), *r = json_object_new_object();

	json_object_object_add(o, "connections", mock_u64(srv->stats.connections));
	json_object_object_add(o, "open_connections", mock_u64(srv->open_connections));
	json_object_object_add(r, "chat", mock_u64(srv->stats.req_chat));
	json_object_object_add(r, "messages", mock_u64(srv->stats.req_messages));
	json_object_object_add(r, "responses", mock_u64(srv->stats.req_responses));
	json_object_object_add(r, "models", mock_u64(srv->stats.req_models));
	json_object_object_add(r, "key", mock_u64(srv->stats.req_key));
	json_object_object_add(r, "generation", mock_u64(srv->stats.req_generation));
	json_object_object_add(r, "control", mock_u64(srv->stats.req_control));
	json_object_object_add(o, "requests", r);
	json_object_object_add(o, "attempts", mock_u64(srv->stats.attempts));
	json_object_object_add(o, "faults_applied", mock_u64(srv->stats.faults_applied));
	json_object_object_add(o, "active_streams", mock_u64(srv->active_streams));
	json_object_object_add(o, "client_aborts", mock_u64(srv->stats.client_aborts));
	return o;
}

/* 1 when the query string has name=1 (or name=true). */
static int
mock_control_flag(struct evhttp_request *req, const char *name)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL, *v;
	struct evkeyvalq q;
	int on = 0;

	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) == 0) {
		v = evhttp_find_header(&q, name);
		on = v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
	}
	evhttp_clear_headers(&q);
	return on;
}

static json_object *
mock_control_count(const char *name, int n)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, name, json_object_new_int(n));
	return o;
}

void
mock_control_handle(struct mock_server *srv, struct evhttp_request *req, const char *path)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	srv->stats.req_control++;
	if (strcmp(path, "faults") == 0) {
		mock_faults_handle(srv, req);
		return;
	}
	if (cmd == EVHTTP_REQ_GET && strcmp(path, "stats") == 0)
		mock_http_reply_json(srv, req, 200, mock_control_stats(srv));
	else if (cmd == EVHTTP_REQ_GET && strcmp(path, "generations") == 0)
		mock_http_reply_json(srv, req, 200,
		    mock_records_generations_json(srv->records, mock_control_flag(req, "summary")));
	else if (cmd == EVHTTP_REQ_GET && strcmp(path, "requests") == 0)
		mock_http_reply_json(srv, req, 200, mock_records_requests_json(srv->records));
	else if (cmd == EVHTTP_REQ_POST && strcmp(path, "resume") == 0)
		mock_http_reply_json(
		    srv, req, 200, mock_control_count("resumed", mock_gen_resume_all(srv)));
	else if (cmd == EVHTTP_REQ_POST && strcmp(path, "reset") == 0) {
		/* Counters and history go; gauges (open connections, active
		 * streams) describe the present and stay. Paused streams are
		 * resumed so that no test inherits a hung one. */
		mock_records_clear(srv->records);
		mock_faults_clear(srv->faults);
		memset(&srv->stats, 0, sizeof(srv->stats));
		mock_http_reply_json(
		    srv, req, 200, mock_control_count("resumed", mock_gen_resume_all(srv)));
	} else
		mock_http_reply_error(srv, req, 404, "Not Found", NULL);
}
