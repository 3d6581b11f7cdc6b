/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * settle.c: a finished exchange's money (see settle.h). The only file that
 * charges or releases a reservation of an admitted request and settles its
 * ledger row.
 */
#include "config.h"

#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "ledger/ledger.h"
#include "orad/budget.h"
#include "orad/exchange.h"
#include "orad/journal.h"
#include "orad/metrics.h"
#include "orad/orad.h"
#include "orad/reconcile.h"
#include "orad/settle.h"

void
settle_note_generation(struct orad_exchange *x)
{
	struct ora_error err;

	/* When the answer ends before the next fold, the ledger merges this
	 * into the row's one insert, so it costs next to nothing. */
	if (x->generation_noted || x->ledger_id == 0 || x->usage.generation_id[0] == '\0')
		return;
	x->generation_noted = 1;
	if (ora_ledger_note_generation(x->d->ledger, x->ledger_id, x->usage.generation_id, &err) != 0)
		ora_log_error("%s", err.msg);
	journal_touch(x->d);
}

/* What the exchange cost, as far as can be known now. */
enum settle_kind { SETTLE_KNOWN, SETTLE_LATER, SETTLE_ESTIMATED };

/* *reported: the upstream's own text of the cost, when it gave one. */
static enum settle_kind
actual_cost(const struct orad_exchange *x, ora_pico *actual, const char **reported)
{
	const struct orad_usage *u = &x->usage;

	*reported = NULL;
	if (u->cost[0] != '\0' && ora_money_parse(u->cost, actual) == 0) {
		*reported = u->cost;
		return SETTLE_KNOWN;
	}
	*actual = 0;
	/* Never reached the upstream, or refused by it before any
	 * generation: nothing was billed. An error answer that names a
	 * generation (a Messages answer that failed mid-generation is a 502
	 * with X-Generation-Id) may have been billed for what was generated:
	 * it is reconciled like any other. */
	if (!x->request_sent ||
	    (x->status >= 400 && !u->saw_content && u->generation_id[0] == '\0'))
		return SETTLE_KNOWN;
	if (u->generation_id[0] != '\0')
		return SETTLE_LATER;
	*actual = x->estimate;
	return SETTLE_ESTIMATED;
}

static void
settle_ledger(struct orad_exchange *x, enum settle_kind kind, ora_pico actual,
    const char *reported)
{
	const struct orad_usage *u = &x->usage;
	struct ora_ledger_entry e = { .id = x->ledger_id };
	struct ora_error err;

	if (x->ledger_id == 0)
		return;
	e.cost_text = reported;
	if (kind == SETTLE_ESTIMATED) {
		e.estimated = 1;
		e.reason = "cost unknown: the upstream named no generation; charged the reservation";
	}
	e.settled_ms = ora_wall_ms();
	e.state = kind == SETTLE_LATER ? "unsettled" : "settled";
	e.model_served = u->model[0] ? u->model : NULL;
	e.provider = u->provider[0] ? u->provider : NULL;
	e.generation_id = u->generation_id[0] ? u->generation_id : NULL;
	e.prompt_tokens = u->prompt_tokens;
	e.completion_tokens = u->completion_tokens;
	e.reasoning_tokens = u->reasoning_tokens;
	e.cached_tokens = u->cached_tokens;
	e.cost = actual;
	e.http_status = exchange_client_status(x);
	e.outcome = exchange_outcome_name(x->outcome);
	if (e.reason == NULL && u->error_code != 0)
		e.reason = u->error_message;
	e.latency_ms = (double)(ora_now_us() - x->started_us) / 1000.0;
	e.ttfb_ms = x->first_byte_us ? (double)(x->first_byte_us - x->started_us) / 1000.0 : 0.0;
	if (ora_ledger_settle(x->d->ledger, &e, &err) != 0)
		ora_log_error("%s", err.msg);
	journal_touch(x->d);
}

void
settle_exchange(struct orad_exchange *x)
{
	struct orad *d = x->d;
	const struct orad_usage *u = &x->usage;
	const char *reported;
	ora_pico actual;
	enum settle_kind kind = actual_cost(x, &actual, &reported);

	settle_ledger(x, kind, actual, reported);
	metrics_request(d->metrics, exchange_outcome_name(x->outcome),
	    u->model[0] ? u->model : x->model, x->centre->name, actual, u->prompt_tokens,
	    u->completion_tokens, x->request_sent ? (double)(ora_now_us() - x->started_us) / 1e6 : -1.0);
	if (kind == SETTLE_LATER)
		/* The reconciler takes the hold over and settles it when
		 * /generation names the cost. */
		reconcile_add(d->reconciler, x->ledger_id, u->generation_id, x->centre->key,
		    x->caller.id.user, x->centre->name, x->estimate, (time_t)(x->started_ms / 1000),
		    &x->hold);
	else
		budgets_settle(d->budgets, &x->hold, actual);
}
