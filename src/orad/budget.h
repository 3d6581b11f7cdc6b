/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * budget.h: spending limits that hold under concurrency.
 *
 * Before a request is sent, an upper bound of its cost is reserved against
 * every budget it touches (the user's, the cost centre's, the key's, the
 * global one); if any would go below zero the request is refused. When the
 * request settles, the reservation is replaced by the real cost. orad is
 * single-threaded, so check-and-reserve is one atomic step: concurrent
 * requests can never together pass a budget that only some of them fit.
 *
 * Counters live in memory, one per budget for its current calendar period,
 * and are loaded from the ledger when first needed (so a restart, even
 * after kill -9, starts from what was really spent and reserved).
 */
#ifndef ORAD_BUDGET_H
#define ORAD_BUDGET_H

#include <stddef.h>
#include <time.h>

#include "common/money.h"
#include "config/conf.h"

struct ora_ledger;
struct orad_budgets;
struct budget_counter;

enum budget_scope { BUDGET_USER = 0, BUDGET_CENTRE, BUDGET_KEY, BUDGET_GLOBAL, BUDGET_SCOPES };

/* What a request holds against the budgets between admission and
 * settlement. Zeroed means nothing held. */
struct budget_hold {
	struct {
		struct budget_counter *counter;
		unsigned long epoch; /* counter reloaded since? then adjust, not release */
	} part[BUDGET_SCOPES];
	size_t n;
	ora_pico amount;  /* reserved on each part */
	time_t started;
};

/* The budgets of one request, resolved from the policy. */
struct budget_subject {
	const char *user;
	const struct ora_budget *user_budget;   /* may be NULL or unset */
	const char *centre;
	const struct ora_budget *centre_budget;
	const char *key;
	const struct ora_budget *key_budget;
	const struct ora_budget *global_budget;
	const char *timezone;
};

/* ledger may be NULL (ledger disabled): counters then start from zero. */
struct orad_budgets *budgets_new(struct ora_ledger *ledger);
void budgets_free(struct orad_budgets *b);

/* Fill s for a caller from the configuration. */
void budgets_subject(const struct ora_conf *conf, const struct ora_rule *rule,
    const struct ora_cost_centre *cc, const char *user, struct budget_subject *s);

/* 1 if any budget applies to s. */
int budgets_any(const struct budget_subject *s);

/* Reserve estimate against every budget of s. Returns 0 and fills hold, or
 * -1 with a sentence for the user in why (which budget, how much is left,
 * when it resets). A warning (threshold crossed) goes into warning, else it
 * is set to "". */
int budgets_admit(struct orad_budgets *b, const struct budget_subject *s, ora_pico estimate,
    time_t now, struct budget_hold *hold, char *why, size_t why_size, char *warning,
    size_t warning_size);

/* Replace the reservation by the real cost (0 to release). Clears hold. */
void budgets_settle(struct orad_budgets *b, struct budget_hold *hold, ora_pico actual);

/* The budget rows a hold reserved on, as the shared ledger names them
 * (ledger/ledger_pg_budget.h): up to max; their count. */
struct ora_shared_part;
size_t budgets_shared_parts(const struct budget_hold *hold, struct ora_shared_part *out,
    size_t max);

/* The sentence for a request the shared ledger refused on part i of hold:
 * the same words as a local refusal, what is left being unknown here. */
void budgets_shared_refusal(const struct budget_hold *hold, size_t i, char *why, size_t size);

/* A cost learned for a request started at `started` that holds nothing
 * (reconciled after a restart): counters whose current period contains it
 * move by delta = real cost - reservation. */
void budgets_adjust(struct orad_budgets *b, const struct budget_subject *s, time_t started,
    ora_pico delta);

/* The state of each budget of s, for /api/v1/usage. */
struct budget_view {
	const char *scope; /* "user", "cost_centre", "key", "global" */
	const char *name;
	const struct ora_budget *budget;
	ora_pico spent;
	ora_pico reserved;
	time_t period_start;
	time_t period_end;
};
size_t budgets_view(struct orad_budgets *b, const struct budget_subject *s, time_t now,
    struct budget_view *out, size_t max);

/* Every budget counted so far in its current period (for metrics). */
void budgets_each(struct orad_budgets *b, time_t now,
    void (*fn)(const struct budget_view *v, void *arg), void *arg);

#endif
