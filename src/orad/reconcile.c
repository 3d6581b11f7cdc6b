/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <event2/event.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "keys/keystore.h"
#include "ledger/ledger.h"
#include "orad/journal.h"
#include "orad/orad.h"
#include "orad/reconcile.h"
#include "orad/upstream.h"
#include "orad/upstream_api.h"

#define GENERATION_MAX_BYTES (1024 * 1024)

struct item {
	int64_t ledger_id;
	char *generation_id;
	char *key_name;
	char *user;
	char *centre;
	ora_pico reserved;
	time_t started;
	struct budget_hold hold;
	uint64_t next_try_ms;
	unsigned attempts;
	struct upstream_xfer *xfer;
	long status;
	char *body;
	size_t len;
	struct orad_reconciler *r;
	struct item *next;
};

struct orad_reconciler {
	struct orad *d;
	struct event *timer;
	struct item *items;
	size_t n;
	size_t running;
};

static uint64_t
now_ms(void)
{
	return ora_now_us() / 1000;
}

static void
item_free(struct item *it)
{
	upstream_xfer_abort(it->xfer);
	free(it->generation_id);
	free(it->key_name);
	free(it->user);
	free(it->centre);
	free(it->body);
	free(it);
}

static void
unlink_item(struct orad_reconciler *r, struct item *it)
{
	for (struct item **p = &r->items; *p != NULL; p = &(*p)->next) {
		if (*p == it) {
			*p = it->next;
			r->n--;
			return;
		}
	}
}

/* The cost is known (or given up on): write it and release the budgets. */
static void
finish(struct orad_reconciler *r, struct item *it, ora_pico cost, const char *cost_text,
    int64_t prompt, int64_t completion, int64_t reasoning, const char *model, int estimated,
    const char *reason)
{
	struct orad *d = r->d;
	struct ora_error err;

	if (d->ledger != NULL &&
	    ora_ledger_reconciled(d->ledger, it->ledger_id, cost, cost_text, prompt, completion,
	        reasoning, model, estimated, reason, &err) != 0)
		ora_log_error("reconcile: ledger row %lld: %s", (long long)it->ledger_id, err.msg);
	journal_touch(d);
	if (it->hold.n > 0) {
		budgets_settle(d->budgets, &it->hold, cost);
	} else {
		struct budget_subject s = { .user = it->user, .centre = it->centre, .key = it->key_name };
		budgets_adjust(d->budgets, &s, it->started, cost - it->reserved);
	}
	ora_log_info("reconciled ledger row %lld (generation %s): cost %s%s", (long long)it->ledger_id,
	    it->generation_id, cost_text != NULL ? cost_text : "?", estimated ? " (estimated)" : "");
	unlink_item(r, it);
	item_free(it);
}

/* 0 if the answer held the generation's cost. */
static int
take_answer(struct orad_reconciler *r, struct item *it)
{
	struct upstream_generation g;

	if (upstream_api()->generation_parse(it->body != NULL ? it->body : "", &g) != 0)
		return -1;
	finish(r, it, g.cost, g.cost_text, g.tokens_prompt, g.tokens_completion, g.tokens_reasoning,
	    g.model, 0, NULL);
	upstream_generation_clear(&g);
	return 0;
}

static void
on_headers(void *ctx, const struct upstream_headers *h)
{
	((struct item *)ctx)->status = h->status;
}

static void
on_data(void *ctx, const char *data, size_t len)
{
	struct item *it = ctx;

	if (it->len + len > GENERATION_MAX_BYTES)
		return;
	it->body = ora_xrealloc(it->body, it->len + len + 1);
	memcpy(it->body + it->len, data, len);
	it->len += len;
	it->body[it->len] = '\0';
}

static void
schedule_retry(struct item *it)
{
	uint64_t delay = (uint64_t)RECONCILE_FIRST_DELAY_MS << (it->attempts < 10 ? it->attempts : 10);

	if (delay > RECONCILE_MAX_DELAY_MS)
		delay = RECONCILE_MAX_DELAY_MS;
	it->attempts++;
	it->next_try_ms = now_ms() + delay;
}

static void
on_done(void *ctx, int curl_code, const char *message, int connected)
{
	struct item *it = ctx;
	struct orad_reconciler *r = it->r;

	upstream_xfer_free(it->xfer);
	it->xfer = NULL;
	r->running--;
	if (curl_code == 0 && it->status == 200 && take_answer(r, it) == 0)
		return; /* it is gone */
	ora_log_debug("reconcile: generation %s not available yet (%s%ld)", it->generation_id,
	    curl_code ? message : "HTTP ", curl_code ? 0L : it->status);
	free(it->body);
	it->body = NULL;
	it->len = 0;
	schedule_retry(it);
}

static void
lookup(struct orad_reconciler *r, struct item *it)
{
	static const struct upstream_callbacks cb = { on_headers, on_data, on_done };
	const struct ora_conf *conf = r->d->conf;
	const struct ora_secret *key = ora_keyring_get(r->d->keys, it->key_name);
	const char *auth;
	char *url;
	struct ora_error err;

	url = upstream_api()->generation_url(conf->upstream.base_url, it->generation_id);
	if (url == NULL) {
		finish(r, it, it->reserved, NULL, 0, 0, 0, NULL, 1,
		    "cost unknown: the upstream's generation id is not one we can look up");
		return;
	}
	if (key == NULL) {
		/* The key was removed by a reload: nobody can ask any more. */
		finish(r, it, it->reserved, NULL, 0, 0, 0, NULL, 1,
		    "cost unknown: the key that paid is no longer configured");
		free(url);
		return;
	}
	auth = ora_keyring_auth_header(r->d->keys, it->key_name);
	const char *headers[] = { auth, "Accept: application/json" };
	struct upstream_request req = {
		.method = "GET", .url = url, .headers = headers, .n_headers = 2,
		.connect_timeout_s = conf->upstream.connect_timeout, .total_timeout_s = 30,
		.ca_pem = conf->upstream.ca_file.data, .ca_pem_len = conf->upstream.ca_file.len,
	};
	it->status = 0;
	it->xfer = upstream_start(r->d->upstream, &req, &cb, it, &err);
	free(url);
	if (it->xfer == NULL) {
		schedule_retry(it);
		return;
	}
	r->running++;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct orad_reconciler *r = arg;
	uint64_t now = now_ms();
	time_t wall = time(NULL);
	struct item *it, *next;

	for (it = r->items; it != NULL; it = next) {
		next = it->next;
		if (it->xfer != NULL)
			continue;
		if (wall - it->started > r->d->conf->upstream.reconcile_give_up) {
			finish(r, it, it->reserved, NULL, 0, 0, 0, NULL, 1,
			    "cost unknown: the upstream never reported this generation; charged the "
			    "reservation");
			continue;
		}
		if (it->next_try_ms <= now && r->running < RECONCILE_PARALLEL)
			lookup(r, it);
	}
	if (r->n > 0) {
		struct timeval tv = { 0, RECONCILE_TICK_MS * 1000 };
		evtimer_add(r->timer, &tv);
	}
}

struct orad_reconciler *
reconcile_new(struct orad *d)
{
	struct orad_reconciler *r = ora_xcalloc(1, sizeof(*r));

	r->d = d;
	r->timer = evtimer_new(d->base, on_tick, r);
	return r;
}

void
reconcile_free(struct orad_reconciler *r)
{
	struct item *it, *next;

	if (r == NULL)
		return;
	/* Rows stay 'unsettled' in the ledger: the next start picks them up. */
	for (it = r->items; it != NULL; it = next) {
		next = it->next;
		item_free(it);
	}
	event_free(r->timer);
	free(r);
}

void
reconcile_add(struct orad_reconciler *r, int64_t ledger_id, const char *generation_id,
    const char *key_name, const char *user, const char *centre, ora_pico reserved, time_t started,
    struct budget_hold *hold)
{
	struct item *it = ora_xcalloc(1, sizeof(*it));
	struct timeval tv = { 0, RECONCILE_TICK_MS * 1000 };

	it->r = r;
	it->ledger_id = ledger_id;
	it->generation_id = ora_xstrdup(generation_id);
	it->key_name = ora_xstrdup(key_name != NULL ? key_name : "");
	it->user = ora_xstrdup(user != NULL ? user : "");
	it->centre = ora_xstrdup(centre != NULL ? centre : "");
	it->reserved = reserved;
	it->started = started;
	if (hold != NULL) {
		it->hold = *hold;
		memset(hold, 0, sizeof(*hold));
	}
	/* The upstream needs a moment before /generation knows it. */
	it->next_try_ms = now_ms() + RECONCILE_FIRST_DELAY_MS;
	it->next = r->items;
	r->items = it;
	r->n++;
	if (!evtimer_pending(r->timer, NULL))
		evtimer_add(r->timer, &tv);
}

size_t
reconcile_backlog(const struct orad_reconciler *r)
{
	return r->n;
}
