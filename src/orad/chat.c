/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * chat.c: the adapter between HTTP and admission, for every wire shape
 * (wire.h: chat completions, Messages, Responses). The rate limits come
 * first (refusals count against them), then the cost centre header; the
 * body is decided on by the pure admission core (src/admit/admit.h: every
 * field, model, plugin, provider preference and the price); this file
 * turns the decision into an error reply, or into a reservation, a ledger
 * row and an exchange. Its HTTP touch points: the input headers and
 * buffer, Retry-After and warning headers, and errors in the wire's shape
 * via refuse().
 */
#include "config.h"

#include <stdio.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#include "admit/admit.h"
#include "common/log.h"
#include "common/util.h"
#include "config/policy.h"
#include "keys/keystore.h"
#include "ledger/ledger.h"
#include "ledger/ledger_pg_budget.h"
#include "orad/budget.h"
#include "orad/catalog.h"
#include "orad/exchange.h"
#include "orad/http_conn.h"
#include "orad/journal.h"
#include "orad/metrics.h"
#include "orad/upstream.h"
#include "orad/handlers.h"
#include "orad/orad.h"
#include "orad/peers.h"
#include "orad/reply.h"
#include "orad/wire.h"

#define COST_CENTRE_HEADER "X-Ora-Cost-Centre"

/* Header names close enough to ours that a caller who sent one meant ours;
 * refusing them beats silently billing the default cost centre. */
static const char *const centre_header_lookalikes[] = {
	"X-Ora-Cost-Center", "X-Ora-CostCentre", "X-Ora-CostCenter", "X-Ora-Cost_Centre",
	"X-Ora-Centre", "X-Ora-Center", "X-Cost-Centre", "X-Cost-Center",
};

/* One request being admitted. */
struct admission {
	struct orad *d;
	const struct orad_wire *wire;
	struct http_req *req;
	struct orad_caller *caller;
	const struct ora_cost_centre *cc; /* NULL until chosen */
	const char *model;                /* NULL until known */
	int stream;
	int64_t started_ms;
};

/* Fill the parts of a ledger row that describe who asked for what. */
static void
describe_request(const struct admission *a, struct ora_ledger_entry *e, char *match, size_t match_size)
{
	const struct orad_caller *c = a->caller;

	memset(e, 0, sizeof(*e));
	e->started_ms = a->started_ms;
	e->uid = (uint32_t)c->id.uid;
	e->user = c->id.user;
	if (c->rule != NULL) {
		e->rule_line = c->rule->line;
		e->rule_match = ora_policy_rule_match(c->rule, match, match_size);
		e->role = c->rule->role->name;
	}
	if (a->cc != NULL) {
		e->cost_centre = a->cc->name;
		e->key_name = a->cc->key;
	}
	e->model_requested = a->model;
	e->stream = a->stream;
	e->client_pid = (int32_t)c->id.pid;
	e->client_exe = peers_conn_comm(c->conn);
}

/* Answer an error and record the refusal in the ledger, with its reason. */
static void __attribute__((format(printf, 4, 5)))
refuse(const struct admission *a, int status, const char *type, const char *fmt, ...)
{
	char message[2048], match[ORA_NAME_MAX + 16];
	struct ora_ledger_entry e;
	struct ora_error err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	wire_reply_error(a->wire, a->req, status, type, "%s", message);
	ora_log_refusal((unsigned)a->caller->id.uid, "refused uid=%u user=%s status=%d type=%s",
	    (unsigned)a->caller->id.uid,
	    a->caller->id.user, status, type);
	if (a->d->ledger == NULL)
		return;
	describe_request(a, &e, match, sizeof(match));
	e.http_status = status;
	e.outcome = type;
	e.reason = message;
	if (ora_ledger_refuse(a->d->ledger, &e, &err) != 0)
		ora_log_error("%s", err.msg);
	journal_touch(a->d);
}

static int
pick_centre(struct admission *a)
{
	const struct ora_rule *rule = a->caller->rule;
	const char *name = NULL, *key, *value;
	int seen = 0;

	for (size_t n = 0; http_req_header_at(a->req, n, &key, &value); n++) {
		if (strcasecmp(key, COST_CENTRE_HEADER) == 0) {
			name = value;
			seen++;
			continue;
		}
		for (size_t i = 0; i < sizeof(centre_header_lookalikes) / sizeof(char *); i++) {
			if (strcasecmp(key, centre_header_lookalikes[i]) == 0) {
				refuse(a, 400, ORA_ERR_BAD_REQUEST,
				    "header %s is not understood; to choose a cost centre send "
				    COST_CENTRE_HEADER ": NAME", key);
				return -1;
			}
		}
	}
	if (seen > 1) {
		refuse(a, 400, ORA_ERR_BAD_REQUEST, COST_CENTRE_HEADER " was sent %d times; send it once",
		    seen);
		return -1;
	}
	if ((a->cc = ora_policy_centre(rule, name)) != NULL)
		return 0;

	char granted[1024] = "";
	for (size_t i = 0; i < rule->n_centres; i++) {
		if (i > 0)
			strncat(granted, ", ", sizeof(granted) - strlen(granted) - 1);
		strncat(granted, rule->centres[i]->name, sizeof(granted) - strlen(granted) - 1);
	}
	refuse(a, 403, ORA_ERR_CENTRE_NOT_ALLOWED,
	    "cost centre '%s' is not granted to you (user %s); you may use: %s; to be granted "
	    "another, ask %s",
	    name, a->caller->id.user, granted, a->caller->conf->contact);
	return -1;
}

static int
admit_limits(struct admission *a)
{
	const struct ora_role *role = a->caller->rule->role;
	struct orad_user_state *u = peers_user(a->d->peers, a->caller->id.uid);
	long retry_after = 1;
	char seconds[32];

	if (role->concurrent_requests > 0 && u->in_flight >= role->concurrent_requests) {
		http_reply_add_header(a->req, "Retry-After", "1");
		refuse(a, 429, ORA_ERR_RATE_LIMITED,
		    "you already have %ld requests in progress and role %s allows %ld at once; "
		    "wait for one to finish",
		    u->in_flight, role->name, role->concurrent_requests);
		return -1;
	}
	if (peers_rate_take(u, role->requests_per_minute, ora_now_us(), &retry_after) != 0) {
		snprintf(seconds, sizeof(seconds), "%ld", retry_after);
		http_reply_add_header(a->req, "Retry-After", seconds);
		refuse(a, 429, ORA_ERR_RATE_LIMITED,
		    "role %s allows %ld requests per minute; try again in %ld s", role->name,
		    role->requests_per_minute, retry_after);
		return -1;
	}
	return 0;
}

/* What the upstream `user` field says about the caller (upstream.user_field);
 * NULL when the field is removed. */
static char *
user_value(struct orad *d, const struct orad_caller *caller)
{
	const struct ora_upstream_conf *up = &caller->conf->upstream;
	const char *prefix = up->user_prefix != NULL ? up->user_prefix : "";

	switch (up->user_field) {
	case ORA_USER_FIELD_NONE:
		return NULL;
	case ORA_USER_FIELD_UID:
		return ora_xasprintf("%s%u", prefix, (unsigned)caller->id.uid);
	case ORA_USER_FIELD_HASH: {
		unsigned char h[8];
		char hex[sizeof(h) * 2 + 1];
		crypto_generichash(h, sizeof(h), (const unsigned char *)caller->id.user,
		    strlen(caller->id.user), d->pseudonym_key, sizeof(d->pseudonym_key));
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		return ora_xasprintf("%s%s", prefix, hex);
	}
	case ORA_USER_FIELD_NAME:
	default:
		return ora_xasprintf("%s%s", prefix, caller->id.user);
	}
}

/* The body through the admission core; refused here when it says so. */
static int
admit_body(struct admission *a, struct admit_decision *dec)
{
	size_t len;
	const char *in = http_req_body(a->req, &len);
	struct admit_caller c = { .conf = a->caller->conf, .rule = a->caller->rule, .cc = a->cc,
		.user = a->caller->id.user };
	struct admit_catalog cat = { .by_id = catalog_by_id(a->d->catalog) };
	char *user = user_value(a->d, a->caller);
	int r;

	c.user_value = user;
	r = admit_request(a->wire->admit, in, len, &c, &cat, dec);
	free(user);
	a->model = dec->model;
	a->stream = dec->stream;
	if (r != 0)
		refuse(a, dec->status, dec->type, "%s", dec->message);
	return r;
}

/* Fail fast while the upstream is known to be down (the circuit breaker),
 * or when too many requests already wait on it: a clear answer now beats a
 * pile of requests that will time out. */
static int
admit_upstream(struct admission *a)
{
	const struct ora_upstream_conf *up = &a->caller->conf->upstream;
	const struct upstream_health *h = metrics_health(a->d->metrics);
	long retry_after = 1;
	char seconds[32];

	if (upstream_active(a->d->upstream) >= (size_t)up->max_in_flight) {
		http_reply_add_header(a->req, "Retry-After", "1");
		refuse(a, 503, ORA_ERR_UPSTREAM_BUSY,
		    "the broker already has %ld requests waiting on the upstream "
		    "(upstream.max_in_flight); try again in a moment",
		    up->max_in_flight);
		return -1;
	}
	/* Only checked here: the exchange takes the probe when it starts. */
	if (metrics_circuit_check(a->d->metrics, &retry_after) != 0) {
		snprintf(seconds, sizeof(seconds), "%ld", retry_after);
		http_reply_add_header(a->req, "Retry-After", seconds);
		refuse(a, 503, ORA_ERR_UPSTREAM_DOWN,
		    "the upstream (%s) is failing: %u failures in a row, the last: %s; requests are "
		    "held back for %ld s before the next probe",
		    up->base_url, h->consecutive_failures, h->last_failure, retry_after);
		return -1;
	}
	return 0;
}

/* Reserve the request's upper-bound cost against its budgets. */
static int
admit_budgets(struct admission *a, const struct admit_decision *dec, struct budget_hold *hold,
    ora_pico *estimate)
{
	struct budget_subject subject;
	char why[1024], warning[512];

	*estimate = dec->estimate;
	memset(hold, 0, sizeof(*hold));
	budgets_subject(a->caller->conf, a->caller->rule, a->cc, a->caller->id.user, &subject);
	if (!budgets_any(&subject))
		return 0;
	if (!dec->priced) {
		http_reply_add_header(a->req, "Retry-After", "5");
		refuse(a, 503, ORA_ERR_UNAVAILABLE,
		    "the broker cannot price this request yet (no model list from the upstream), so "
		    "it cannot check your budget; try again in a few seconds");
		return -1;
	}
	if (budgets_admit(a->d->budgets, &subject, *estimate, time(NULL), hold, why, sizeof(why),
	        warning, sizeof(warning)) != 0) {
		refuse(a, 402, ORA_ERR_BUDGET, "%s", why);
		return -1;
	}
	if (warning[0] != '\0')
		http_reply_add_header(a->req, "X-Ora-Budget-Warning", warning);
	return 0;
}

/* Commit the ledger row before anything goes upstream. */
static int
admit_ledger(struct admission *a, const struct admit_decision *dec, ora_pico estimate, int64_t *id)
{
	struct ora_ledger_entry e;
	char match[ORA_NAME_MAX + 16];
	struct ora_error err;

	*id = 0;
	if (a->d->ledger == NULL)
		return 0;
	describe_request(a, &e, match, sizeof(match));
	e.reserved = estimate;
	e.models_requested = dec->models_json;
	if (ora_ledger_admit(a->d->ledger, &e, &err) != 0) {
		ora_log_error("%s", err.msg);
		wire_reply_error(a->wire, a->req, 503, ORA_ERR_UNAVAILABLE,
		    "the broker cannot record this request in its ledger, so it will not send it; "
		    "tell %s", a->caller->conf->contact);
		return -1;
	}
	*id = e.id;
	journal_touch(a->d);
	return 0;
}

/* The shared budgets answered (ledger/ledger_pg_budget.h): send, or refuse
 * with the words a local refusal uses; the row, admitted locally, is
 * settled at $0 as the exchange ends unsent. */
static void
on_shared_budgets(void *arg, enum ora_shared_result result, size_t refused)
{
	struct orad_exchange *x = arg;
	char why[1024];

	x->shared_wait = NULL;
	switch (result) {
	case ORA_SHARED_ADMITTED:
		relay_go(x);
		return;
	case ORA_SHARED_ALLOWED:
		/* Admitted blind, within this host's allowance: charged to the
		 * shared budgets when the database is back. */
		ora_log_info("admitted uid=%u user=%s on the allowance: the shared ledger cannot "
		             "be reached", (unsigned)x->caller.id.uid, x->caller.id.user);
		relay_go(x);
		return;
	case ORA_SHARED_EXHAUSTED:
		budgets_shared_refusal(&x->hold, refused, why, sizeof(why));
		ora_log_refusal((unsigned)x->caller.id.uid, "refused uid=%u user=%s status=402 "
		    "type=%s (shared budget)", (unsigned)x->caller.id.uid, x->caller.id.user,
		    ORA_ERR_BUDGET);
		relay_refuse(x, 402, ORA_ERR_BUDGET, NULL, why);
		return;
	case ORA_SHARED_UNAVAILABLE:
		snprintf(why, sizeof(why),
		    "the broker cannot reach the shared ledger (PostgreSQL) that holds your budgets "
		    "across hosts, so it will not send this request; try again shortly, and tell %s "
		    "if it persists",
		    x->caller.conf->contact);
		relay_refuse(x, 503, ORA_ERR_UNAVAILABLE, "5", why);
		return;
	}
}

/* With a shared ledger, a request with budgets waits for them to be
 * reserved there too (after its local row is on record). 0: it waits. */
static int
wait_shared_budgets(struct orad *d, struct orad_exchange *x)
{
	struct ora_shared_part parts[ORA_SHARED_PARTS_MAX];
	size_t n;

	if (d->shared == NULL || x->hold.n == 0 || x->ledger_id == 0)
		return -1;
	n = budgets_shared_parts(&x->hold, parts, ORA_SHARED_PARTS_MAX);
	relay_wait(x);
	x->shared_wait = ora_shared_reserve(d->shared, x->ledger_id, parts, n, x->hold.amount,
	    on_shared_budgets, x);
	if (x->shared_wait == NULL)
		relay_refuse(x, 503, ORA_ERR_UNAVAILABLE, "5",
		    "the broker cannot reserve your budget in the shared ledger; try again shortly");
	return 0;
}

void
chat_handle(struct orad *d, const struct orad_wire *wire, struct http_req *req,
    struct orad_caller *caller)
{
	struct admission a = { .d = d, .wire = wire, .req = req, .caller = caller,
		.started_ms = ora_wall_ms() };
	struct admit_decision dec = { .status = 0 };
	struct exchange_start start = { .hold = { .n = 0 } };
	struct orad_exchange *x;

	/* Limits first: every request counts, refused ones too, so a caller
	 * cannot probe the policy faster than the role allows. */
	if (admit_limits(&a) != 0)
		goto out;
	if (pick_centre(&a) != 0)
		goto out;
	if (ora_keyring_get(d->keys, a.cc->key) == NULL) {
		ora_log_error("cost centre %s names key %s, which is not loaded", a.cc->name, a.cc->key);
		refuse(&a, 500, ORA_ERR_INTERNAL, "the broker has no key for cost centre %s; tell %s",
		    a.cc->name, caller->conf->contact);
		goto out;
	}
	if (admit_body(&a, &dec) != 0)
		goto out;
	if (admit_upstream(&a) != 0)
		goto out;
	if (admit_budgets(&a, &dec, &start.hold, &start.estimate) != 0)
		goto out;
	if (admit_ledger(&a, &dec, start.estimate, &start.ledger_id) != 0) {
		budgets_settle(d->budgets, &start.hold, 0);
		goto out;
	}

	/* Admitted: from here the exchange owns the request's state. */
	start.wire = wire;
	start.centre = a.cc;
	start.model = a.model;
	start.stream = a.stream;
	start.started_ms = a.started_ms;
	start.upstream_body = dec.body;
	start.upstream_body_len = dec.body_len;
	dec.body = NULL;
	start.done = d->request_done;
	start.done_arg = d->request_done_arg;
	x = exchange_new(d, req, caller, &start);
	if (wait_shared_budgets(d, x) != 0)
		relay_start(x);
out:
	admit_decision_clear(&dec);
	caller_clear(caller);
}
