/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/period.h"
#include "common/util.h"
#include "ledger/ledger.h"
#include "ledger/ledger_pg_budget.h"
#include "orad/budget.h"

#define COUNTER_BUCKETS 1024

static const char *const scope_names[BUDGET_SCOPES] = { "user", "cost_centre", "key", "global" };
static const char *const scope_columns[BUDGET_SCOPES] = { "user", "cost_centre", "key_name", NULL };

struct budget_counter {
	enum budget_scope scope;
	char *name;            /* "" for global */
	enum ora_period period;
	char *timezone;
	time_t start, end;     /* current period */
	unsigned long epoch;   /* bumped each time the counter is (re)loaded */
	ora_pico spent;        /* settled, plus reservations it inherited on load */
	ora_pico reserved;     /* held by requests admitted under this epoch */
	int warned;            /* warning logged for this period */
	struct ora_budget budget; /* as last configured, for listings */
	struct budget_counter *next;
};

struct orad_budgets {
	struct ora_ledger *ledger;
	struct budget_counter *buckets[COUNTER_BUCKETS];
};

struct orad_budgets *
budgets_new(struct ora_ledger *ledger)
{
	struct orad_budgets *b = ora_xcalloc(1, sizeof(*b));

	b->ledger = ledger;
	return b;
}

void
budgets_free(struct orad_budgets *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < COUNTER_BUCKETS; i++) {
		struct budget_counter *c = b->buckets[i], *next;
		for (; c != NULL; c = next) {
			next = c->next;
			free(c->name);
			free(c->timezone);
			free(c);
		}
	}
	free(b);
}

static unsigned
hash(enum budget_scope scope, const char *name)
{
	unsigned h = 2166136261u ^ (unsigned)scope;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h % COUNTER_BUCKETS;
}

static int
budget_applies(const struct ora_budget *budget)
{
	return budget != NULL && budget->set;
}

void
budgets_subject(const struct ora_conf *conf, const struct ora_rule *rule,
    const struct ora_cost_centre *cc, const char *user, struct budget_subject *s)
{
	memset(s, 0, sizeof(*s));
	s->user = user;
	s->user_budget = ora_conf_user_budget(conf, rule->role, user);
	s->centre = cc->name;
	s->centre_budget = &cc->budget;
	s->key = cc->key;
	s->key_budget = ora_conf_key_budget(conf, cc->key);
	s->global_budget = &conf->budgets.global;
	s->timezone = conf->budgets.timezone;
}

int
budgets_any(const struct budget_subject *s)
{
	return budget_applies(s->user_budget) || budget_applies(s->centre_budget) ||
	    budget_applies(s->key_budget) || budget_applies(s->global_budget);
}

/* The subject's budget and name for a scope. */
static const struct ora_budget *
scope_budget(const struct budget_subject *s, enum budget_scope scope, const char **name)
{
	switch (scope) {
	case BUDGET_USER: *name = s->user; return s->user_budget;
	case BUDGET_CENTRE: *name = s->centre; return s->centre_budget;
	case BUDGET_KEY: *name = s->key; return s->key_budget;
	default: *name = ""; return s->global_budget;
	}
}

/* The counter for (scope, name), loaded for the period containing now.
 * NULL if the ledger cannot say what was spent: callers then refuse, since
 * admitting blind could overspend. */
static struct budget_counter *
counter_for(struct orad_budgets *b, enum budget_scope scope, const char *name,
    const struct ora_budget *budget, const char *tz, time_t now)
{
	struct budget_counter **slot = &b->buckets[hash(scope, name)], *c;
	const char *zone = tz != NULL ? tz : "UTC";
	time_t start, end;
	struct ora_error err;

	for (c = *slot; c != NULL; c = c->next)
		if (c->scope == scope && strcmp(c->name, name) == 0)
			break;
	if (c != NULL && c->period == budget->period && strcmp(c->timezone, zone) == 0 &&
	    now >= c->start && now < c->end) {
		c->budget = *budget;
		return c;
	}
	if (ora_period_bounds(budget->period, zone, now, &start, &end) != 0) {
		ora_log_error("budget: cannot compute the %s period in time zone %s",
		    ora_period_name(budget->period), zone);
		return NULL;
	}
	if (c == NULL) {
		c = ora_xcalloc(1, sizeof(*c));
		c->scope = scope;
		c->name = ora_xstrdup(name);
		c->next = *slot;
		*slot = c;
	}
	free(c->timezone);
	c->timezone = ora_xstrdup(zone);
	c->period = budget->period;
	c->budget = *budget;
	c->start = start;
	c->end = end;
	c->epoch++;
	c->reserved = 0;
	c->warned = 0;
	c->spent = 0;
	if (b->ledger != NULL &&
	    ora_ledger_spent(b->ledger, scope_columns[scope], name, (int64_t)start * 1000,
	        (int64_t)end * 1000, &c->spent, &err) != 0) {
		ora_log_error("budget: %s", err.msg);
		c->end = c->start; /* force a reload next time */
		return NULL;
	}
	return c;
}

static void
format_reset(const struct budget_counter *c, char *buf, size_t size)
{
	struct tm tm;

	if (c->period == ORA_PERIOD_TOTAL) {
		ora_strlcpy(buf, "never (a total budget)", size);
		return;
	}
	gmtime_r(&c->end, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
describe(const struct budget_counter *c, const struct ora_budget *budget, char *buf, size_t size)
{
	char limit[ORA_MONEY_TEXT_MAX];

	ora_money_format(budget->limit, limit, sizeof(limit));
	if (c->scope == BUDGET_GLOBAL)
		snprintf(buf, size, "the organisation's %s budget ($%s)", ora_period_name(c->period), limit);
	else if (c->scope == BUDGET_USER)
		snprintf(buf, size, "your %s budget as user %s ($%s)", ora_period_name(c->period), c->name, limit);
	else
		snprintf(buf, size, "the %s budget of %s %s ($%s)", ora_period_name(c->period),
		    c->scope == BUDGET_CENTRE ? "cost centre" : "key", c->name, limit);
}

int
budgets_admit(struct orad_budgets *b, const struct budget_subject *s, ora_pico estimate,
    time_t now, struct budget_hold *hold, char *why, size_t why_size, char *warning,
    size_t warning_size)
{
	struct budget_counter *counters[BUDGET_SCOPES];
	size_t n = 0;

	memset(hold, 0, sizeof(*hold));
	warning[0] = '\0';
	/* First check every budget, then reserve on all: all or nothing. */
	for (int scope = 0; scope < BUDGET_SCOPES; scope++) {
		const char *name;
		const struct ora_budget *budget = scope_budget(s, (enum budget_scope)scope, &name);
		struct budget_counter *c;
		char what[256], left[ORA_MONEY_TEXT_MAX], need[ORA_MONEY_TEXT_MAX], reset[64];

		if (!budget_applies(budget))
			continue;
		if ((c = counter_for(b, (enum budget_scope)scope, name, budget, s->timezone, now)) == NULL) {
			snprintf(why, why_size,
			    "the broker cannot read what has been spent against your budgets right now; "
			    "try again shortly, and tell your administrator if it persists");
			return -1;
		}
		ora_pico used = ora_money_add(c->spent, c->reserved);
		ora_pico remaining = budget->limit > used ? budget->limit - used : 0;
		if (ora_money_add(used, estimate) > budget->limit) {
			describe(c, budget, what, sizeof(what));
			ora_money_format(remaining, left, sizeof(left));
			ora_money_format(estimate, need, sizeof(need));
			format_reset(c, reset, sizeof(reset));
			snprintf(why, why_size,
			    "budget exhausted: %s has $%s left and this request may cost up to $%s; "
			    "it resets %s. Ask for fewer tokens (max_tokens), a cheaper model, or wait",
			    what, left, need, reset);
			return -1;
		}
		if (budget->warn > 0 && !c->warned &&
		    (double)ora_money_add(used, estimate) >= budget->warn * (double)budget->limit) {
			describe(c, budget, what, sizeof(what));
			ora_money_format(remaining, left, sizeof(left));
			snprintf(warning, warning_size, "%s is %.0f%% used: $%s left", what,
			    100.0 * (double)ora_money_add(used, estimate) / (double)(budget->limit ? budget->limit : 1),
			    left);
			ora_log_warning("budget warning: %s", warning);
			c->warned = 1;
		}
		counters[n++] = c;
	}
	for (size_t i = 0; i < n; i++) {
		counters[i]->reserved = ora_money_add(counters[i]->reserved, estimate);
		hold->part[i].counter = counters[i];
		hold->part[i].epoch = counters[i]->epoch;
	}
	hold->n = n;
	hold->amount = estimate;
	hold->started = now;
	return 0;
}

void
budgets_settle(struct orad_budgets *b, struct budget_hold *hold, ora_pico actual)
{
	for (size_t i = 0; i < hold->n; i++) {
		struct budget_counter *c = hold->part[i].counter;
		if (c->epoch == hold->part[i].epoch) {
			c->reserved -= hold->amount;
			c->spent = ora_money_add(c->spent, actual);
		} else if (hold->started >= c->start && hold->started < c->end) {
			/* Reloaded from the ledger meanwhile, which counted our
			 * reservation as spent: correct it to the real cost. */
			c->spent += actual - hold->amount;
		}
	}
	(void)b;
	memset(hold, 0, sizeof(*hold));
}

void
budgets_adjust(struct orad_budgets *b, const struct budget_subject *s, time_t started, ora_pico delta)
{
	for (int scope = 0; scope < BUDGET_SCOPES; scope++) {
		const char *name;
		struct budget_counter *c;

		scope_budget(s, (enum budget_scope)scope, &name);
		if (name == NULL)
			continue;
		for (c = b->buckets[hash((enum budget_scope)scope, name)]; c != NULL; c = c->next)
			if (c->scope == (enum budget_scope)scope && strcmp(c->name, name) == 0 &&
			    started >= c->start && started < c->end)
				c->spent += delta;
	}
}

size_t
budgets_view(struct orad_budgets *b, const struct budget_subject *s, time_t now,
    struct budget_view *out, size_t max)
{
	size_t n = 0;

	for (int scope = 0; scope < BUDGET_SCOPES && n < max; scope++) {
		const char *name;
		const struct ora_budget *budget = scope_budget(s, (enum budget_scope)scope, &name);
		struct budget_counter *c;

		if (!budget_applies(budget))
			continue;
		if ((c = counter_for(b, (enum budget_scope)scope, name, budget, s->timezone, now)) == NULL)
			continue;
		out[n].scope = scope_names[scope];
		out[n].name = c->name;
		out[n].budget = budget;
		out[n].spent = c->spent;
		out[n].reserved = c->reserved;
		out[n].period_start = c->start;
		out[n].period_end = c->end;
		n++;
	}
	return n;
}

void
budgets_each(struct orad_budgets *b, time_t now, void (*fn)(const struct budget_view *v, void *arg),
    void *arg)
{
	for (size_t i = 0; i < COUNTER_BUCKETS; i++) {
		for (struct budget_counter *c = b->buckets[i]; c != NULL; c = c->next) {
			struct budget_view v = {
				.scope = scope_names[c->scope], .name = c->name, .budget = &c->budget,
				.spent = c->spent, .reserved = c->reserved,
				.period_start = c->start, .period_end = c->end,
			};
			if (now >= c->start && now < c->end)
				fn(&v, arg);
		}
	}
}

size_t
budgets_shared_parts(const struct budget_hold *hold, struct ora_shared_part *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < hold->n && n < max; i++) {
		const struct budget_counter *c = hold->part[i].counter;

		out[n].scope = scope_names[c->scope];
		out[n].name = c->name;
		out[n].period_start_ms = (int64_t)c->start * 1000;
		out[n].limit = c->budget.limit;
		n++;
	}
	return n;
}

void
budgets_shared_refusal(const struct budget_hold *hold, size_t i, char *why, size_t size)
{
	const struct budget_counter *c;
	char what[256], need[ORA_MONEY_TEXT_MAX], reset[64];

	if (i >= hold->n) {
		snprintf(why, size, "budget exhausted across the hosts that share it");
		return;
	}
	c = hold->part[i].counter;
	describe(c, &c->budget, what, sizeof(what));
	ora_money_format(hold->amount, need, sizeof(need));
	format_reset(c, reset, sizeof(reset));
	snprintf(why, size,
	    "budget exhausted: %s, shared by every host, has less than $%s left, which this "
	    "request may cost; it resets %s. Ask for fewer tokens (max_tokens), a cheaper model, "
	    "or wait",
	    what, need, reset);
}
