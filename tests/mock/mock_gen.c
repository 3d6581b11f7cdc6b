/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_gen.c: a chat answer in flight, as a small state machine on timers.
 *
 * Every event is handed to evhttp as soon as it is produced and the next
 * one waits on a timer when the fault asks for delays, so a test or the
 * broker sees the first events while the rest are still "generating".
 * Without delays the whole answer is written in one go, which is what
 * lets one process keep up with a benchmark.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "mock.h"

/* A fault field, or dflt when there is no fault or the field is absent. */
#define MOCK_FAULT(gen, field, dflt)                                                               \
	((gen)->fault != NULL && (gen)->fault->field >= 0 ? (gen)->fault->field : (dflt))

#define MOCK_CUT_RETRY_MS 1

enum mock_phase {
	MOCK_PH_HEADERS,  /* waiting for delay_headers_ms */
	MOCK_PH_COMMENTS, /* stream: ": OPENROUTER PROCESSING" keep-alives */
	MOCK_PH_START,    /* stream: the shape's opening events, if any */
	MOCK_PH_CONTENT,  /* stream: one chunk per word */
	MOCK_PH_FINISH,
	MOCK_PH_USAGE,
	MOCK_PH_DONE,   /* stream: "data: [DONE]" */
	MOCK_PH_PREFIX, /* non-stream: keep-alive whitespace */
	MOCK_PH_BODY,   /* non-stream: the JSON */
	MOCK_PH_CUT,    /* close the connection once output is flushed */
	MOCK_PH_END,
};

enum mock_act { MOCK_ACT_EVENT, MOCK_ACT_PAUSE, MOCK_ACT_CUT, MOCK_ACT_END };

static void mock_gen_timer_cb(evutil_socket_t fd, short what, void *arg);

struct mock_gen *
mock_gen_new(struct mock_server *srv, struct evhttp_request *req)
{
	struct mock_gen *gen = mock_xcalloc(1, sizeof(*gen));

	gen->srv = srv;
	gen->req = req;
	gen->conn = mock_http_conn(srv, req);
	if (gen->conn != NULL)
		gen->conn->gen = gen;
	gen->timer = evtimer_new(srv->base, mock_gen_timer_cb, gen);
	gen->drip = evbuffer_new();
	if (gen->timer == NULL || gen->drip == NULL)
		abort(); /* out of memory, see mock_xmalloc */
	gen->next = srv->gens;
	if (srv->gens != NULL)
		srv->gens->prev = gen;
	srv->gens = gen;
	gen->start_wall_ms = mock_wall_ms();
	gen->start_us = mock_now_us();
	gen->created = gen->start_wall_ms / 1000;
	mock_gen_id(gen->id, sizeof(gen->id), gen->created);
	return gen;
}

void
mock_gen_free(struct mock_gen *gen)
{
	struct mock_server *srv;
	size_t i;

	if (gen == NULL)
		return;
	srv = gen->srv;
	if (gen->prev != NULL)
		gen->prev->next = gen->next;
	else
		srv->gens = gen->next;
	if (gen->next != NULL)
		gen->next->prev = gen->prev;
	if (gen->stream && gen->headers_sent)
		srv->active_streams--;
	if (gen->conn != NULL)
		gen->conn->gen = NULL;
	/* A request still attached to its connection belongs to evhttp; one
	 * it detached on a hang-up is ours to free. */
	if (gen->req != NULL && evhttp_request_get_connection(gen->req) == NULL)
		evhttp_send_reply_end(gen->req);
	event_free(gen->timer);
	evbuffer_free(gen->drip);
	mock_fault_unref(gen->fault);
	free(gen->error_message);
	json_object_put(gen->error_metadata);
	free(gen->model_requested);
	json_object_put(gen->models);
	for (i = 0; i < gen->n_words; i++)
		free(gen->words[i]);
	free(gen->words);
	free(gen->key);
	free(gen->user);
	free(gen->referer);
	free(gen->x_title);
	free(gen->x_openrouter_title);
	free(gen);
}

static void
mock_gen_schedule(struct mock_gen *gen, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(gen->timer, &tv);
}

/* Words billed when the answer ends now: a stream bills what reached the
 * socket, a non-stream answer is billed in full once generated. */
static size_t
mock_gen_billed_words(const struct mock_gen *gen)
{
	int err = MOCK_FAULT(gen, error_after_events, -1);

	if (gen->stream)
		return gen->words_sent;
	if (err >= 0 && (size_t)err < gen->n_words)
		return (size_t)err;
	return gen->n_words;
}

/* One log line per chat request that got this far; http_status 0 means
 * nothing was answered at all. */
static void
mock_gen_log_end(struct mock_gen *gen, int http_status, const char *status, size_t words)
{
	char note[160];

	if (gen->srv->quiet)
		return;
	snprintf(note, sizeof(note), "%s %s %s %zu+%lld tokens %llums",
	    gen->stream ? "stream" : "json", gen->id, status, words, (long long)gen->prompt_tokens,
	    (unsigned long long)((mock_now_us() - gen->start_us) / 1000));
	if (gen->shape != &mock_shape_chat) {
		/* mock_http_log names chat completions when the request is gone. */
		fprintf(stderr, "ora-mock: POST /api/v1/%s %d %s\n", gen->shape->name, http_status,
		    note);
		return;
	}
	mock_http_log(gen->srv, NULL, http_status, note);
}

static void
mock_gen_finish(struct mock_gen *gen, enum mock_gen_status status, const char *finish_reason)
{
	static const char *const names[] = {"complete", "cancelled", "error", "cut"};
	size_t words = mock_gen_billed_words(gen);

	mock_records_add(gen->srv, gen, status, words, finish_reason);
	mock_gen_log_end(gen, gen->reply_status ? gen->reply_status : 200, names[status], words);
	mock_gen_free(gen);
}

/* Produce the next stream event into out. */
static enum mock_act
mock_gen_next_stream(struct mock_gen *gen, struct evbuffer *out, int *is_word)
{
	int pause = MOCK_FAULT(gen, pause_after_events, -1);
	int cut = MOCK_FAULT(gen, cut_after_events, -1);
	int err = MOCK_FAULT(gen, error_after_events, -1);
	size_t n = gen->words_emitted;

	switch (gen->phase) {
	case MOCK_PH_COMMENTS:
		if (gen->comments_left > 0) {
			gen->comments_left--;
			evbuffer_add_printf(out, ": OPENROUTER PROCESSING\n\n");
			return MOCK_ACT_EVENT;
		}
		gen->phase = MOCK_PH_START;
		/* fall through */
	case MOCK_PH_START:
		gen->phase = MOCK_PH_CONTENT;
		gen->shape->stream_start(gen, out);
		if (evbuffer_get_length(out) > 0)
			return MOCK_ACT_EVENT;
		/* fall through */
	case MOCK_PH_CONTENT:
		/* A fault at N events fires after min(N, words) words, so it
		 * fires even when the answer is shorter than N. */
		if (pause >= 0 && !gen->pause_done && (n == (size_t)pause || n == gen->n_words)) {
			gen->pause_done = 1;
			return MOCK_ACT_PAUSE;
		}
		if (cut >= 0 && (n == (size_t)cut || n == gen->n_words))
			return MOCK_ACT_CUT;
		if (err >= 0 && (n == (size_t)err || n == gen->n_words)) {
			gen->shape->stream_error(gen, out);
			gen->phase = MOCK_PH_DONE;
			gen->finish_reason = "error";
			return MOCK_ACT_EVENT;
		}
		if (n < gen->n_words) {
			gen->shape->stream_word(gen, n, out);
			gen->words_emitted++;
			*is_word = 1;
			return MOCK_ACT_EVENT;
		}
		gen->shape->stream_finish(gen, out);
		gen->phase = MOCK_PH_USAGE;
		return MOCK_ACT_EVENT;
	case MOCK_PH_USAGE:
		gen->shape->stream_usage(gen, out);
		gen->phase = MOCK_PH_DONE;
		return MOCK_ACT_EVENT;
	case MOCK_PH_DONE:
		gen->shape->stream_done(gen, out);
		gen->phase = MOCK_PH_END;
		/* An empty chunk would end the chunked body early. */
		return evbuffer_get_length(out) > 0 ? MOCK_ACT_EVENT : MOCK_ACT_END;
	default:
		return MOCK_ACT_END;
	}
}

/* Produce the next piece of a non-stream answer into out. */
static enum mock_act
mock_gen_next_body(struct mock_gen *gen, struct evbuffer *out)
{
	int err = MOCK_FAULT(gen, error_after_events, -1);
	json_object *body;
	size_t len;
	const char *s;

	switch (gen->phase) {
	case MOCK_PH_PREFIX:
		gen->phase = MOCK_PH_BODY;
		if (gen->fault != NULL && gen->fault->whitespace_prefix) {
			evbuffer_add(out, MOCK_WHITESPACE_PREFIX, strlen(MOCK_WHITESPACE_PREFIX));
			return MOCK_ACT_EVENT;
		}
		/* fall through */
	case MOCK_PH_BODY:
		if (MOCK_FAULT(gen, pause_after_events, -1) >= 0 && !gen->pause_done) {
			gen->pause_done = 1;
			return MOCK_ACT_PAUSE;
		}
		body = gen->shape->body(gen, err);
		s = json_object_to_json_string_length(
		    body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		if (MOCK_FAULT(gen, cut_after_events, -1) >= 0) {
			len /= 2; /* half a body, then the connection drops */
			gen->phase = MOCK_PH_CUT;
		} else
			gen->phase = MOCK_PH_END;
		evbuffer_add(out, s, len);
		json_object_put(body);
		if (err >= 0)
			gen->finish_reason = "error";
		return MOCK_ACT_EVENT;
	case MOCK_PH_CUT:
		return MOCK_ACT_CUT;
	default:
		return MOCK_ACT_END;
	}
}

static void
mock_gen_send(struct mock_gen *gen, struct evbuffer *buf)
{
	if (gen->req == NULL)
		return;
	if (gen->chunked) {
		evhttp_send_reply_chunk(gen->req, buf);
		return;
	}
	/* A plain non-stream answer: one reply with Content-Length. */
	evbuffer_add_buffer(evhttp_request_get_output_buffer(gen->req), buf);
	if (gen->reply_status != 0 && gen->reply_status != 200)
		evhttp_send_reply(gen->req, gen->reply_status, "Error", NULL);
	else
		evhttp_send_reply(gen->req, 200, "OK", NULL);
	gen->req = NULL;
}

static void
mock_gen_end(struct mock_gen *gen)
{
	if (gen->req != NULL) {
		evhttp_send_reply_end(gen->req);
		gen->req = NULL;
	}
	mock_gen_finish(gen,
	    strcmp(gen->finish_reason, "error") == 0 ? MOCK_GEN_ERROR : MOCK_GEN_COMPLETE,
	    gen->finish_reason);
}

/* Close the connection under the answer, once what was written has reached
 * the socket (freeing the connection would discard unflushed bytes). Runs
 * from the timer only, never inside an evhttp callback. */
static void
mock_gen_cut_now(struct mock_gen *gen)
{
	struct evhttp_connection *evcon =
	    gen->req != NULL ? evhttp_request_get_connection(gen->req) : NULL;

	if (evcon != NULL) {
		struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);

		if (evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
			mock_gen_schedule(gen, MOCK_CUT_RETRY_MS);
			return;
		}
		/* Unlink first: the close callback must not take this for a
		 * client hang-up. evhttp frees the request with the connection. */
		if (gen->conn != NULL)
			gen->conn->gen = NULL;
		gen->conn = NULL;
		gen->req = NULL;
		evhttp_connection_free(evcon);
	}
	if (!gen->headers_sent) {
		mock_gen_log_end(gen, 0, "cut-before-headers", 0);
		mock_gen_free(gen);
		return;
	}
	mock_gen_finish(gen, MOCK_GEN_CUT, NULL);
}

/* Send one piece of at most drip bytes of what was produced. */
static void
mock_gen_drip(struct mock_gen *gen, int drip)
{
	struct evbuffer *piece = evbuffer_new();

	evbuffer_remove_buffer(gen->drip, piece, (size_t)drip);
	mock_gen_send(gen, piece);
	evbuffer_free(piece);
	if (evbuffer_get_length(gen->drip) == 0) {
		gen->words_sent += gen->drip_words;
		if (gen->drip_words > 0 && gen->first_token_us == 0)
			gen->first_token_us = mock_now_us();
		gen->drip_words = 0;
	}
}

/* Write events until the answer ends, pauses or must wait for a delay. */
static void
mock_gen_step(struct mock_gen *gen)
{
	int delay = MOCK_FAULT(gen, delay_events_ms, 0);
	int drip = MOCK_FAULT(gen, drip_bytes, 0);

	for (;;) {
		struct evbuffer *buf;
		enum mock_act act;
		int is_word = 0;

		if (drip > 0 && evbuffer_get_length(gen->drip) > 0) {
			mock_gen_drip(gen, drip);
			if (delay > 0) {
				mock_gen_schedule(gen, delay);
				return;
			}
			continue;
		}
		buf = evbuffer_new();
		act = gen->stream ? mock_gen_next_stream(gen, buf, &is_word)
		                  : mock_gen_next_body(gen, buf);
		if (act != MOCK_ACT_EVENT) {
			evbuffer_free(buf);
			if (act == MOCK_ACT_PAUSE)
				gen->paused = 1;
			else if (act == MOCK_ACT_CUT) {
				gen->phase = MOCK_PH_CUT;
				mock_gen_schedule(gen, 0);
			} else
				mock_gen_end(gen);
			return;
		}
		if (drip > 0) {
			evbuffer_add_buffer(gen->drip, buf);
			evbuffer_free(buf);
			gen->drip_words += (size_t)is_word;
			continue;
		}
		mock_gen_send(gen, buf);
		evbuffer_free(buf);
		gen->words_sent += (size_t)is_word;
		if (is_word && gen->first_token_us == 0)
			gen->first_token_us = mock_now_us();
		if (delay > 0 && gen->phase != MOCK_PH_END) {
			mock_gen_schedule(gen, delay);
			return;
		}
	}
}

static void
mock_gen_refuse(struct mock_gen *gen)
{
	json_object *meta = gen->error_metadata;

	gen->error_metadata = NULL;
	mock_fault_reply(gen->srv, gen->req, gen->fault, gen->error_status, gen->error_message,
	    meta, gen->shape);
	gen->req = NULL;
	mock_gen_free(gen);
}

/* delay_headers_ms is over: refuse, cut, or start answering. */
static void
mock_gen_headers(struct mock_gen *gen)
{
	struct evkeyvalq *h;
	int delay = MOCK_FAULT(gen, delay_events_ms, 0);

	if (gen->fault != NULL && gen->fault->cut_before_headers) {
		gen->phase = MOCK_PH_CUT;
		mock_gen_cut_now(gen);
		return;
	}
	if (gen->error_status != 0) {
		mock_gen_refuse(gen);
		return;
	}
	h = evhttp_request_get_output_headers(gen->req);
	evhttp_add_header(h, "X-Generation-Id", gen->id);
	if (gen->stream) {
		evhttp_add_header(h, "Content-Type", "text/event-stream");
		evhttp_add_header(h, "Cache-Control", "no-cache");
		gen->chunked = 1;
		gen->phase = MOCK_PH_COMMENTS;
		gen->comments_left = MOCK_FAULT(gen, processing_comments, 1);
	} else {
		evhttp_add_header(h, "Content-Type", "application/json");
		gen->chunked = gen->fault != NULL &&
		               (gen->fault->whitespace_prefix || gen->fault->drip_bytes > 0 ||
		                   gen->fault->cut_after_events >= 0);
		gen->phase = MOCK_PH_PREFIX;
	}
	gen->headers_sent = 1;
	if (gen->stream)
		gen->srv->active_streams++;
	if (gen->chunked)
		evhttp_send_reply_start(gen->req, 200, "OK");
	/* The non-stream body waits delay_events_ms even when it comes first. */
	if (!gen->stream && delay > 0 && !(gen->fault != NULL && gen->fault->whitespace_prefix)) {
		mock_gen_schedule(gen, delay);
		return;
	}
	mock_gen_step(gen);
}

static void
mock_gen_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mock_gen *gen = arg;

	if (gen->phase == MOCK_PH_HEADERS)
		mock_gen_headers(gen);
	else if (gen->phase == MOCK_PH_CUT)
		mock_gen_cut_now(gen);
	else
		mock_gen_step(gen);
}

void
mock_gen_start(struct mock_gen *gen)
{
	int delay = MOCK_FAULT(gen, delay_headers_ms, 0);

	gen->phase = MOCK_PH_HEADERS;
	/* A cut frees the connection, which must not happen inside the
	 * evhttp callback that delivered the request: always via the timer. */
	if (delay > 0 || (gen->fault != NULL && gen->fault->cut_before_headers)) {
		mock_gen_schedule(gen, delay);
		return;
	}
	mock_gen_headers(gen);
}

void
mock_gen_conn_closed(struct mock_gen *gen)
{
	struct mock_server *srv = gen->srv;

	gen->conn = NULL;
	if (srv->shutting_down || !gen->headers_sent || gen->phase == MOCK_PH_END) {
		mock_gen_free(gen);
		return;
	}
	if (gen->stream)
		srv->stats.client_aborts++;
	mock_gen_finish(gen, MOCK_GEN_CANCELLED, NULL);
}

int
mock_gen_resume_all(struct mock_server *srv)
{
	struct mock_gen *gen;
	int n = 0;

	for (gen = srv->gens; gen != NULL; gen = gen->next) {
		if (!gen->paused)
			continue;
		gen->paused = 0;
		mock_gen_schedule(gen, 0);
		n++;
	}
	return n;
}
