/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * relay.c: the data path of an admitted exchange, top to bottom: watch the
 * client, start the upstream transfer, carry its answer to the client as
 * it arrives (holding the upstream back when the client is behind), retry
 * what may be retried, answer what failed, decide the outcome, and hand the
 * exchange to exchange_free() (exchange.c), its owner, which settles and
 * frees it. The relay owns only its transfer, timers and buffers, and
 * releases them in relay_end() before that.
 */
#include "config.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admit/admit.h"
#include "common/log.h"
#include "common/util.h"
#include "keys/keystore.h"
#include "ledger/ledger_pg_budget.h"
#include "orad/exchange.h"
#include "orad/http_conn.h"
#include "orad/metrics.h"
#include "orad/orad.h"
#include "orad/peers.h"
#include "orad/settle.h"
#include "orad/reply.h"
#include "orad/upstream.h"
#include "orad/upstream_api.h"
#include "orad/wire.h"

#define RELAY_MAX_HEADERS 8
/* The key, Content-Type, Accept and the attribution. */
_Static_assert(3 + UPSTREAM_API_MAX_ATTRIBUTION <= RELAY_MAX_HEADERS, "room for every header");
#define RELAY_BACKOFF_INITIAL_MS 250L
#define RELAY_BACKOFF_MAX_MS 8000L

/* Detach from the client connection: no more hang-up notifications. */
static void
unwatch_client(struct orad_exchange *x)
{
	if (x->req != NULL)
		http_req_on_drain(x->req, 0, NULL, NULL);
	if (x->caller.conn != NULL) {
		x->caller.conn->on_gone = NULL;
		x->caller.conn->gone_arg = NULL;
	}
}

/* The last step of every way the relay ends: release what the relay holds
 * and give the exchange to its owner. */
static void
relay_end(struct orad_exchange *x, enum exchange_outcome outcome)
{
	x->outcome = outcome;
	unwatch_client(x);
	ora_shared_cancel(x->shared_wait);
	x->shared_wait = NULL;
	/* A client gone before the upstream had the whole request: nothing
	 * can have been billed, so nothing is charged. */
	if (x->xfer != NULL)
		x->request_sent = upstream_xfer_request_sent(x->xfer);
	upstream_xfer_abort(x->xfer);
	x->xfer = NULL;
	if (x->phase_timer != NULL)
		event_free(x->phase_timer);
	x->phase_timer = NULL;
	if (x->retry_timer != NULL)
		event_free(x->retry_timer);
	x->retry_timer = NULL;
	if (x->body != NULL)
		evbuffer_free(x->body);
	x->body = NULL;
	usage_events_clear(&x->events);
	exchange_free(x);
}

/* The client hung up (from peers' close callback, before the descriptor is
 * closed). Stopping the upstream transfer now is what stops the spend. */
static void
on_client_gone(void *arg)
{
	struct orad_exchange *x = arg;

	x->caller.conn = NULL;
	x->req = NULL; /* freed by the door once we return */
	relay_end(x, EXCHANGE_CLIENT_GONE);
}

static void
copy_header(struct http_req *req, const char *name, const char *value)
{
	if (value[0] != '\0')
		http_reply_add_header(req, name, value);
}

static void
pass_headers(struct http_req *req, const struct upstream_headers *h)
{
	copy_header(req, "X-Generation-Id", h->generation_id);
	copy_header(req, "Retry-After", h->retry_after);
	copy_header(req, "X-RateLimit-Limit", h->ratelimit_limit);
	copy_header(req, "X-RateLimit-Remaining", h->ratelimit_remaining);
	copy_header(req, "X-RateLimit-Reset", h->ratelimit_reset);
}

/* Arm the phase timer: until the first byte, then between bytes. */
static void
arm_phase(struct orad_exchange *x, enum relay_phase phase)
{
	const struct ora_upstream_conf *up = &x->caller.conf->upstream;
	struct timeval tv = { phase == PHASE_FIRST_BYTE ? up->first_byte_timeout : up->idle_timeout, 0 };

	x->phase = phase;
	evtimer_add(x->phase_timer, &tv);
}

static void
on_headers(void *ctx, const struct upstream_headers *h)
{
	struct orad_exchange *x = ctx;

	x->h = *h;
	x->status = h->status;
	x->first_byte_us = ora_now_us();
	arm_phase(x, PHASE_IDLE);
	if (h->generation_id[0] != '\0') {
		ora_strlcpy(x->usage.generation_id, h->generation_id, sizeof(x->usage.generation_id));
		settle_note_generation(x);
	}
	if (x->req == NULL)
		return;
	if (x->stream && h->status == 200 &&
	    strncasecmp(h->content_type, "text/event-stream", 17) == 0) {
		x->streaming = 1;
		http_reply_add_header(x->req, "Content-Type", "text/event-stream");
		http_reply_add_header(x->req, "Cache-Control", "no-cache");
		pass_headers(x->req, h);
		http_reply_start(x->req, 200);
		return;
	}
	/* Anything else is buffered, headers included, until it is complete:
	 * an error may still be retried, and the client sees one answer. */
	x->body = evbuffer_new();
}

/* The client took enough of the stream: let the upstream go on. */
static void
on_client_drained(void *arg)
{
	struct orad_exchange *x = arg;

	if (!x->paused || x->xfer == NULL)
		return;
	x->paused = 0;
	arm_phase(x, PHASE_IDLE);
	upstream_xfer_pause(x->xfer, 0);
}

/* Back-pressure: a client behind by more than the high mark pauses the
 * upstream (which stops reading its socket, so the upstream's own flow
 * control holds the rest) instead of orad buffering the whole answer. The
 * upstream's idle timer stops meanwhile: the wait is the client's, and a
 * client that takes nothing at all is cut by the door (HTTP_WRITE_STALL_S). */
static void
hold_back(struct orad_exchange *x)
{
	if (x->paused || x->req == NULL || x->xfer == NULL ||
	    http_req_output_pending(x->req) <= (size_t)EXCHANGE_STREAM_HIGH_WATER)
		return;
	x->paused = 1;
	evtimer_del(x->phase_timer);
	upstream_xfer_pause(x->xfer, 1);
	http_req_on_drain(x->req, EXCHANGE_STREAM_LOW_WATER, on_client_drained, x);
}

static void
on_data(void *ctx, const char *data, size_t len)
{
	struct orad_exchange *x = ctx;

	arm_phase(x, PHASE_IDLE);
	if (x->streaming) {
		usage_events_feed(&x->events, x->wire->usage_event, &x->usage, data, len);
		settle_note_generation(x);
		if (x->req != NULL) {
			http_reply_chunk(x->req, data, len);
			hold_back(x);
		}
		return;
	}
	if (x->body == NULL || x->body_too_big)
		return;
	if (evbuffer_get_length(x->body) + len > (size_t)EXCHANGE_MAX_BODY) {
		x->body_too_big = 1;
		return;
	}
	evbuffer_add(x->body, data, len);
}

/* An upstream failure that the client sees as a stream event, because the
 * stream's status line has already gone out. */
static void
stream_error(struct orad_exchange *x, int code, const char *type, const char *message)
{
	wire_stream_error(x->wire, x->req, code, type, message);
}

/* Why a transfer ended, beyond libcurl's code: our own phase timers. */
enum ending {
	END_CURL = 0,       /* libcurl finished (code 0) or failed */
	END_FIRST_BYTE,     /* upstream.first_byte_timeout */
	END_IDLE,           /* upstream.idle_timeout */
};

static int
is_timeout(int curl_code)
{
	return curl_code == UPSTREAM_TIMED_OUT;
}

/* The sentence for a timeout, naming the phase and its setting. */
static char *
timeout_message(const struct orad_exchange *x, enum ending ending, int connected)
{
	const struct ora_conf *conf = x->caller.conf;

	if (ending == END_FIRST_BYTE)
		return ora_xasprintf("the upstream (%s) did not start answering within %ld seconds "
		                     "(upstream.first_byte_timeout)",
		    conf->upstream.base_url, conf->upstream.first_byte_timeout);
	if (ending == END_IDLE)
		return ora_xasprintf("the upstream (%s) sent nothing for %ld seconds in the middle of "
		                     "its answer (upstream.idle_timeout)",
		    conf->upstream.base_url, conf->upstream.idle_timeout);
	if (!connected)
		return ora_xasprintf("could not connect to the upstream (%s) within %ld seconds "
		                     "(upstream.connect_timeout)",
		    conf->upstream.base_url, conf->upstream.connect_timeout);
	return ora_xasprintf("the upstream (%s) did not finish answering within %ld seconds "
	                     "(daemon.request_timeout)",
	    conf->upstream.base_url, conf->daemon.request_timeout);
}

static void
finish_failed(struct orad_exchange *x, int curl_code, const char *message, enum ending ending,
    int connected)
{
	const struct ora_conf *conf = x->caller.conf;

	if (ending != END_CURL || is_timeout(curl_code)) {
		char *m = timeout_message(x, ending, connected);
		x->outcome = EXCHANGE_UPSTREAM_TIMEOUT;
		wire_reply_error(x->wire, x->req, 504, ORA_ERR_UPSTREAM_TIMEOUT, "%s; try again later%s", m,
		    x->attempts > 1 ? " (after several attempts)" : "");
		free(m);
	} else if (!connected) {
		x->outcome = EXCHANGE_UPSTREAM_UNREACHABLE;
		wire_reply_error(x->wire, x->req, 502, ORA_ERR_UPSTREAM_UNREACHABLE,
		    "cannot reach the upstream (%s): %s; the broker is fine, the upstream or "
		    "the network to it is not%s",
		    conf->upstream.base_url, message, x->attempts > 1 ? " (tried several times)" : "");
	} else {
		x->outcome = EXCHANGE_UPSTREAM_FAILED;
		wire_reply_error(x->wire, x->req, 502, x->status ? ORA_ERR_UPSTREAM_BAD_REPLY : ORA_ERR_UPSTREAM_UNREACHABLE,
		    "the connection to the upstream (%s) failed %s: %s", conf->upstream.base_url,
		    x->status ? "while it was answering" : "before it answered", message);
	}
}

/* Milliseconds to wait before another attempt, or -1 for no retry. Only
 * while the client has seen nothing, and never when the upstream may be
 * generating (and billing) a non-stream answer it will finish anyway. */
static long
retry_delay_ms(struct orad_exchange *x, int curl_code, enum ending ending, int connected)
{
	const struct ora_upstream_conf *up = &x->caller.conf->upstream;
	long delay, asked;
	int retry;

	if (x->streaming || x->req == NULL || x->attempts > up->retries)
		return -1;
	if (ending == END_CURL && curl_code == 0)
		/* A status that names a generation may have been billed for
		 * it: another attempt would bill again. */
		retry = upstream_api()->retryable(x->status) && x->usage.generation_id[0] == '\0';
	else if (!connected)
		retry = 1; /* the request never reached the upstream */
	else
		/* Connected, sent, and no complete answer: a stream stops
		 * being generated (and billed) when its connection goes; a
		 * non-stream answer would be generated twice. */
		retry = x->stream && x->status == 0;
	if (!retry)
		return -1;
	/* Exponential backoff with jitter: 250 ms, 500 ms, 1 s ... */
	delay = RELAY_BACKOFF_INITIAL_MS << (x->attempts - 1 < 10 ? x->attempts - 1 : 10);
	if (delay > RELAY_BACKOFF_MAX_MS)
		delay = RELAY_BACKOFF_MAX_MS;
	delay = delay / 2 + (long)(randombytes_uniform((uint32_t)(delay / 2 + 1)));
	if ((asked = upstream_api()->asked_wait_ms(&x->h)) > delay)
		delay = asked;
	if ((int64_t)(ora_now_us() / 1000) + delay > (int64_t)(x->started_us / 1000) + up->retry_deadline * 1000)
		return -1;
	return delay;
}

static void on_retry(evutil_socket_t fd, short what, void *arg);

/* Forget everything the failed attempt left, and try again later. */
static void
schedule_retry(struct orad_exchange *x, long delay_ms)
{
	struct timeval tv = { delay_ms / 1000, (delay_ms % 1000) * 1000 };

	ora_log_info("retrying uid=%u model=%s in %ld ms (attempt %d failed: status %ld)",
	    (unsigned)x->caller.id.uid, x->model, delay_ms, x->attempts, x->status);
	if (x->body != NULL)
		evbuffer_free(x->body);
	x->body = NULL;
	x->body_too_big = 0;
	x->paused = 0;
	x->status = 0;
	memset(&x->h, 0, sizeof(x->h));
	usage_events_clear(&x->events);
	memset(&x->usage, 0, sizeof(x->usage));
	x->generation_noted = 0;
	if (x->retry_timer == NULL)
		x->retry_timer = evtimer_new(x->d->base, on_retry, x);
	evtimer_add(x->retry_timer, &tv);
}

/* Every way a transfer ends comes here once: libcurl's on_done, or one of
 * our phase timers (after aborting the transfer). */
/* An upstream error names the paying account (user_id): relayed without
 * it (src/admit/admit_scrub.c). */
static void
scrub_error_body(struct orad_exchange *x)
{
	size_t len = evbuffer_get_length(x->body), out_len;
	char *out;

	admit_scrub_upstream_error((const char *)evbuffer_pullup(x->body, -1), len, x->status, &out,
	    &out_len);
	evbuffer_drain(x->body, len);
	evbuffer_add(x->body, out, out_len);
	free(out);
}

static void
transfer_ended(struct orad_exchange *x, int curl_code, const char *message, enum ending ending,
    int connected)
{
	int failed = ending != END_CURL || curl_code != 0 || x->status >= 500;
	long delay;

	evtimer_del(x->phase_timer);
	/* Only a failure to connect proves the request never left. */
	x->request_sent = connected;
	exchange_upstream_ended(x, !failed,
	    curl_code != 0 ? message : ending != END_CURL ? "timed out" : "HTTP 5xx");
	if (x->req == NULL) {
		/* Cannot happen: a gone client ends the exchange. Be safe. */
		relay_end(x, EXCHANGE_CLIENT_GONE);
		return;
	}
	if ((delay = retry_delay_ms(x, curl_code, ending, connected)) >= 0) {
		schedule_retry(x, delay);
		return;
	}
	unwatch_client(x);
	if (x->streaming) {
		if (!x->usage.saw_done && (ending != END_CURL || is_timeout(curl_code))) {
			char *m = timeout_message(x, ending, connected);
			char *full = ora_xasprintf("%s; the answer is incomplete", m);
			stream_error(x, 504, ORA_ERR_UPSTREAM_TIMEOUT, full);
			free(full);
			free(m);
			x->outcome = EXCHANGE_UPSTREAM_TIMEOUT;
		} else if (curl_code != 0 && !x->usage.saw_done) {
			char *m = ora_xasprintf("the upstream connection was lost mid-stream (%s); the "
			                        "answer is incomplete", message);
			stream_error(x, 502, ORA_ERR_UPSTREAM_BAD_REPLY, m);
			free(m);
			x->outcome = EXCHANGE_UPSTREAM_CUT;
		} else {
			x->outcome = x->usage.error_code ? EXCHANGE_UPSTREAM_ERROR : EXCHANGE_OK;
		}
		http_reply_end(x->req);
	} else if (ending != END_CURL || curl_code != 0) {
		finish_failed(x, curl_code, message, ending, connected);
	} else if (x->body_too_big) {
		x->outcome = EXCHANGE_UPSTREAM_TOO_BIG;
		wire_reply_error(x->wire, x->req, 502, ORA_ERR_UPSTREAM_BAD_REPLY,
		    "the upstream answer was larger than %ld bytes", EXCHANGE_MAX_BODY);
	} else {
		size_t len = evbuffer_get_length(x->body);
		const char *body = (const char *)evbuffer_pullup(x->body, -1);

		x->wire->usage_body(&x->usage, body, len);
		if (x->status == 200)
			x->outcome = x->usage.error_code ? EXCHANGE_UPSTREAM_ERROR : EXCHANGE_OK;
		else
			x->outcome = EXCHANGE_UPSTREAM_STATUS;
		pass_headers(x->req, &x->h);
		if (x->status >= 400) {
			scrub_error_body(x);
			len = evbuffer_get_length(x->body);
			body = (const char *)evbuffer_pullup(x->body, -1);
		}
		http_reply_add_header(x->req, "Content-Type",
		    x->h.content_type[0] ? x->h.content_type : "application/json");
		http_reply(x->req, (int)x->status, body != NULL ? body : "", len);
	}
	x->req = NULL;
	relay_end(x, x->outcome);
}

static void
on_done(void *ctx, int curl_code, const char *message, int connected)
{
	struct orad_exchange *x = ctx;

	upstream_xfer_free(x->xfer);
	x->xfer = NULL;
	transfer_ended(x, curl_code, message, END_CURL, connected);
}

static void
on_phase_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct orad_exchange *x = arg;
	int sent = upstream_xfer_request_sent(x->xfer);

	/* Closing the connection tells the upstream to stop generating. */
	upstream_xfer_abort(x->xfer);
	x->xfer = NULL;
	transfer_ended(
	    x, 0, "timed out", x->phase == PHASE_FIRST_BYTE ? END_FIRST_BYTE : END_IDLE, sent);
}

/* The upstream request: the cost centre's key (a header line kept in locked
 * memory by the keyring), the upstream API's attribution headers, the
 * rewritten body, to where the API serves this wire. */
static int
start_transfer(struct orad_exchange *x, struct ora_error *err)
{
	static const struct upstream_callbacks cb = { on_headers, on_data, on_done };
	const struct orad_upstream_api *api = upstream_api();
	const struct ora_conf *conf = x->caller.conf;
	const char *title = x->centre->title != NULL ? x->centre->title : conf->upstream.title;
	const char *auth = ora_keyring_auth_header(x->d->keys, x->centre->key);
	const char *path = api->wire_path(x->wire);
	const char *headers[RELAY_MAX_HEADERS];
	char *attribution[UPSTREAM_API_MAX_ATTRIBUTION], *url;
	size_t n = 0, n_attr;

	if (auth == NULL)
		return ora_error_set(err, "no key %s for cost centre %s", x->centre->key, x->centre->name);
	if (path == NULL)
		return ora_error_set(err, "the %s upstream does not serve %s requests", api->name, x->wire->name);
	headers[n++] = auth;
	headers[n++] = "Content-Type: application/json";
	if (x->stream)
		headers[n++] = "Accept: text/event-stream";
	n_attr = api->attribution(conf->upstream.referer, title, attribution);
	for (size_t i = 0; i < n_attr; i++)
		headers[n++] = attribution[i];
	url = ora_xasprintf("%s%s", conf->upstream.base_url, path);
	struct upstream_request r = {
		.method = "POST", .url = url, .headers = headers, .n_headers = n,
		.body = x->upstream_body, .body_len = x->upstream_body_len,
		.connect_timeout_s = conf->upstream.connect_timeout,
		.total_timeout_s = conf->daemon.request_timeout,
		.ca_pem = conf->upstream.ca_file.data, .ca_pem_len = conf->upstream.ca_file.len,
	};
	x->attempts++;
	if (x->phase_timer == NULL)
		x->phase_timer = evtimer_new(x->d->base, on_phase_timeout, x);
	x->xfer = upstream_start(x->d->upstream, &r, &cb, x, err);
	if (x->xfer != NULL)
		arm_phase(x, PHASE_FIRST_BYTE);
	for (size_t i = 0; i < n_attr; i++)
		free(attribution[i]);
	free(url);
	return x->xfer != NULL ? 0 : -1;
}

/* Start a transfer; if that is impossible, answer 500 and end x. */
static void
start_or_fail(struct orad_exchange *x)
{
	struct ora_error err;
	int sent_before = x->request_sent;

	x->request_sent = 1; /* until the transfer proves otherwise */
	if (start_transfer(x, &err) == 0)
		return;
	x->request_sent = sent_before;
	unwatch_client(x);
	wire_reply_error(x->wire, x->req, 500, ORA_ERR_INTERNAL, "cannot start the upstream request: %s", err.msg);
	x->req = NULL;
	relay_end(x, EXCHANGE_INTERNAL);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	start_or_fail(arg);
}

void
relay_wait(struct orad_exchange *x)
{
	x->request_sent = 0;
	x->caller.conn->on_gone = on_client_gone;
	x->caller.conn->gone_arg = x;
}

void
relay_go(struct orad_exchange *x)
{
	start_or_fail(x);
}

void
relay_refuse(struct orad_exchange *x, int status, const char *type, const char *retry_after,
    const char *message)
{
	unwatch_client(x);
	x->status = status;
	if (retry_after != NULL)
		http_reply_add_header(x->req, "Retry-After", retry_after);
	wire_reply_error(x->wire, x->req, status, type, "%s", message);
	x->req = NULL;
	relay_end(x, EXCHANGE_REFUSED);
}

void
relay_start(struct orad_exchange *x)
{
	x->request_sent = 0;
	/* The door watches the connection while we answer and tells us the
	 * moment the client hangs up. */
	x->caller.conn->on_gone = on_client_gone;
	x->caller.conn->gone_arg = x;
	start_or_fail(x);
}
