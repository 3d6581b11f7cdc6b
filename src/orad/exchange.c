/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * exchange.c: the one owner of an admitted request's state (see
 * exchange.h). exchange_new() and exchange_free() bracket it: the in-flight
 * counters and the circuit breaker's probe are taken in the first and given
 * back in the second (the probe earlier, in exchange_upstream_ended(), when
 * the upstream answered it), and the starter learns of the end through its
 * completion callback.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "orad/exchange.h"
#include "orad/metrics.h"
#include "orad/orad.h"
#include "orad/peers.h"
#include "orad/settle.h"
#include "orad/wire.h"

static const char *const outcome_names[EXCHANGE_OUTCOMES] = {
	[EXCHANGE_OK] = "ok",
	[EXCHANGE_CLIENT_GONE] = "client_gone",
	[EXCHANGE_UPSTREAM_TIMEOUT] = "upstream_timeout",
	[EXCHANGE_UPSTREAM_UNREACHABLE] = "upstream_unreachable",
	[EXCHANGE_UPSTREAM_FAILED] = "upstream_failed",
	[EXCHANGE_UPSTREAM_CUT] = "upstream_cut",
	[EXCHANGE_UPSTREAM_ERROR] = "upstream_error",
	[EXCHANGE_UPSTREAM_STATUS] = "upstream_status",
	[EXCHANGE_UPSTREAM_TOO_BIG] = "upstream_too_big",
	[EXCHANGE_INTERNAL] = "internal",
	[EXCHANGE_REFUSED] = "refused",
};

/* Exchanges kept for reuse, a fixed few: at about 2.3 KB one is past
 * malloc's per-thread cache, and taking it from and giving it back to
 * the main arena cost ~4,000 instructions a request (issue 17). A kept
 * one is poisoned under AddressSanitizer, which so still sees a use
 * after exchange_free; they stay reachable from here until exit. */
#define EXCHANGE_SPARES 16
static struct orad_exchange *spares[EXCHANGE_SPARES];
static size_t n_spares;

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SPARE_POISON(p) ASAN_POISON_MEMORY_REGION((p), sizeof(**spares))
#define SPARE_UNPOISON(p) ASAN_UNPOISON_MEMORY_REGION((p), sizeof(**spares))
#else
#define SPARE_POISON(p) ((void)(p))
#define SPARE_UNPOISON(p) ((void)(p))
#endif

static struct orad_exchange *
exchange_alloc(void)
{
	struct orad_exchange *x;

	if (n_spares == 0)
		return ora_xcalloc(1, sizeof(*x));
	x = spares[--n_spares];
	SPARE_UNPOISON(x);
	memset(x, 0, sizeof(*x));
	return x;
}

static void
exchange_release(struct orad_exchange *x)
{
	if (n_spares == EXCHANGE_SPARES) {
		free(x);
		return;
	}
	SPARE_POISON(x);
	spares[n_spares++] = x;
}

const char *
exchange_outcome_name(enum exchange_outcome o)
{
	return (unsigned)o < EXCHANGE_OUTCOMES ? outcome_names[o] : "unknown";
}

struct orad_exchange *
exchange_new(struct orad *d, struct http_req *req, struct orad_caller *caller,
    struct exchange_start *s)
{
	struct orad_exchange *x = exchange_alloc();
	struct orad_user_state *who;
	long retry_after;

	x->d = d;
	x->wire = s->wire;
	x->req = req;
	x->caller = *caller;
	memset(caller, 0, sizeof(*caller));
	x->centre = s->centre;
	x->model = ora_xstrdup(s->model);
	x->stream = s->stream;
	x->outcome = EXCHANGE_OK;
	x->started_us = ora_now_us();
	x->started_ms = s->started_ms;
	x->ledger_id = s->ledger_id;
	x->hold = s->hold;
	memset(&s->hold, 0, sizeof(s->hold));
	x->estimate = s->estimate;
	x->upstream_body = s->upstream_body;
	x->upstream_body_len = s->upstream_body_len;
	s->upstream_body = NULL;
	x->done = s->done;
	x->done_arg = s->done_arg;

	/* Taken here, given back in exchange_free(), and nowhere else. */
	who = peers_user(d->peers, x->caller.id.uid);
	ora_strlcpy(who->name, x->caller.id.user, sizeof(who->name));
	who->in_flight++;
	d->in_flight++;
	d->requests_total++;
	/* Admission checked the circuit in this same turn of the loop, so
	 * this succeeds; it also makes this request the half-open probe when
	 * the cooldown is over. */
	if (metrics_circuit_admit(d->metrics, &retry_after, &x->probe) != 0)
		ora_log_warning("the circuit closed between admission and start: going anyway");
	return x;
}

/* The probe's one way back: with the upstream's answer (ok, failure), or
 * without one (result == 0: refused later, client gone). */
static void
give_back_probe(struct orad_exchange *x, int answered, int ok, const char *failure)
{
	const struct ora_upstream_conf *up = &x->caller.conf->upstream;

	if (answered)
		metrics_upstream(x->d->metrics, ok, (double)(ora_now_us() - x->started_us) / 1000.0,
		    failure, up->circuit_failures, up->circuit_cooldown, x->probe);
	else if (x->probe)
		metrics_circuit_release(x->d->metrics);
	x->probe = 0;
}

void
exchange_upstream_ended(struct orad_exchange *x, int ok, const char *failure)
{
	give_back_probe(x, 1, ok, failure);
}

int
exchange_client_status(const struct orad_exchange *x)
{
	switch (x->outcome) {
	case EXCHANGE_CLIENT_GONE:
		return 499;
	case EXCHANGE_UPSTREAM_TIMEOUT:
		return 504;
	case EXCHANGE_INTERNAL:
		return 500;
	case EXCHANGE_UPSTREAM_UNREACHABLE:
	case EXCHANGE_UPSTREAM_FAILED:
	case EXCHANGE_UPSTREAM_CUT:
	case EXCHANGE_UPSTREAM_ERROR:
	case EXCHANGE_UPSTREAM_STATUS:
	case EXCHANGE_UPSTREAM_TOO_BIG:
		if (x->status == 0)
			return 502;
		break;
	case EXCHANGE_OK:
	case EXCHANGE_REFUSED:
	case EXCHANGE_OUTCOMES:
		break;
	}
	return x->streaming ? 200 : (int)x->status;
}

static void
log_exchange(const struct orad_exchange *x)
{
	const struct orad_usage *u = &x->usage;
	uint64_t now = ora_now_us();

	ora_log_info("request uid=%u user=%s pid=%d rule=%d role=%s cost_centre=%s model=%s "
	             "served=%s stream=%d status=%ld outcome=%s prompt_tokens=%ld "
	             "completion_tokens=%ld cost=%s generation=%s latency_ms=%.1f ttfb_ms=%.1f shape=%s",
	    (unsigned)x->caller.id.uid, x->caller.id.user, (int)x->caller.id.pid,
	    x->caller.rule->line, x->caller.rule->role->name, x->centre->name, x->model,
	    u->model[0] ? u->model : "-", x->stream, x->status, exchange_outcome_name(x->outcome),
	    u->prompt_tokens, u->completion_tokens, u->cost[0] ? u->cost : "-",
	    u->generation_id[0] ? u->generation_id : "-", (double)(now - x->started_us) / 1000.0,
	    x->first_byte_us ? (double)(x->first_byte_us - x->started_us) / 1000.0 : 0.0,
	    x->wire->name);
}

void
exchange_free(struct orad_exchange *x)
{
	struct orad *d;
	exchange_done_fn done;
	void *done_arg;

	if (x == NULL)
		return;
	d = x->d;
	give_back_probe(x, 0, 0, NULL);
	settle_exchange(x);
	log_exchange(x);
	peers_user(d->peers, x->caller.id.uid)->in_flight--;
	d->in_flight--;
	done = x->done;
	done_arg = x->done_arg;
	x->caller.conn = NULL;
	caller_clear(&x->caller);
	free(x->upstream_body);
	free(x->model);
	exchange_release(x);
	if (done != NULL)
		done(done_arg);
}
