/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "orad/budget.h"
#include "orad/metrics.h"
#include "orad/orad.h"
#include "orad/http_conn.h"
#include "orad/peers.h"
#include "orad/reconcile.h"

/* A labelled counter: requests by (outcome, model, cost centre), spend and
 * tokens by cost centre. Few distinct label sets: a list does. */
struct series {
	char *outcome;
	char *model;
	char *centre;
	uint64_t requests;
	struct series *next;
};

struct centre_totals {
	char *centre;
	ora_pico spend;
	int64_t prompt_tokens;
	int64_t completion_tokens;
	struct centre_totals *next;
};

struct orad_metrics {
	struct series *series;
	struct centre_totals *centres;
	uint64_t latency_buckets[METRICS_N_BUCKETS];
	uint64_t latency_count;
	double latency_sum;
	struct upstream_health health;
};

struct orad_metrics *
metrics_new(void)
{
	return ora_xcalloc(1, sizeof(struct orad_metrics));
}

void
metrics_free(struct orad_metrics *m)
{
	if (m == NULL)
		return;
	for (struct series *s = m->series, *n; s != NULL; s = n) {
		n = s->next;
		free(s->outcome);
		free(s->model);
		free(s->centre);
		free(s);
	}
	for (struct centre_totals *c = m->centres, *n; c != NULL; c = n) {
		n = c->next;
		free(c->centre);
		free(c);
	}
	free(m);
}

void
metrics_request(struct orad_metrics *m, const char *outcome, const char *model,
    const char *centre, ora_pico cost, int64_t prompt_tokens, int64_t completion_tokens,
    double upstream_s)
{
	static const double bounds[METRICS_N_BUCKETS] = METRICS_LATENCY_BUCKETS;
	struct series *s;
	struct centre_totals *c;

	for (s = m->series; s != NULL; s = s->next)
		if (strcmp(s->outcome, outcome) == 0 && strcmp(s->model, model) == 0 &&
		    strcmp(s->centre, centre) == 0)
			break;
	if (s == NULL) {
		s = ora_xcalloc(1, sizeof(*s));
		s->outcome = ora_xstrdup(outcome);
		s->model = ora_xstrdup(model);
		s->centre = ora_xstrdup(centre);
		s->next = m->series;
		m->series = s;
	}
	s->requests++;
	for (c = m->centres; c != NULL; c = c->next)
		if (strcmp(c->centre, centre) == 0)
			break;
	if (c == NULL) {
		c = ora_xcalloc(1, sizeof(*c));
		c->centre = ora_xstrdup(centre);
		c->next = m->centres;
		m->centres = c;
	}
	c->spend = ora_money_add(c->spend, cost);
	c->prompt_tokens += prompt_tokens;
	c->completion_tokens += completion_tokens;
	if (upstream_s >= 0) {
		for (int i = 0; i < METRICS_N_BUCKETS; i++)
			if (upstream_s <= bounds[i])
				m->latency_buckets[i]++;
		m->latency_count++;
		m->latency_sum += upstream_s;
	}
}

void
metrics_upstream(struct orad_metrics *m, int ok, double latency_ms, const char *failure,
    long failures_to_open, long cooldown_s, int probe)
{
	struct upstream_health *h = &m->health;

	if (probe)
		h->probe_in_flight = 0;
	if (ok) {
		h->last_success_ms = ora_wall_ms();
		h->consecutive_failures = 0;
		h->latency_ms_avg = h->latency_ms_avg == 0 ? latency_ms : 0.9 * h->latency_ms_avg + 0.1 * latency_ms;
		if (h->circuit != CIRCUIT_CLOSED)
			ora_log_info("upstream: answering again; circuit closed");
		h->circuit = CIRCUIT_CLOSED;
		return;
	}
	h->last_failure_ms = ora_wall_ms();
	h->consecutive_failures++;
	ora_strlcpy(h->last_failure, failure != NULL ? failure : "failed", sizeof(h->last_failure));
	if (failures_to_open > 0 &&
	    (probe || (h->circuit == CIRCUIT_CLOSED && h->consecutive_failures >= (unsigned)failures_to_open))) {
		h->circuit = CIRCUIT_OPEN;
		h->open_until_ms = ora_wall_ms() + cooldown_s * 1000;
		ora_log_warning("upstream: %u failures in a row (last: %s); failing requests fast for %lds",
		    h->consecutive_failures, h->last_failure, cooldown_s);
	}
}

int
metrics_circuit_admit(struct orad_metrics *m, long *retry_after_s, int *probe)
{
	struct upstream_health *h = &m->health;
	int64_t now = ora_wall_ms();

	*probe = 0;
	if (h->circuit == CIRCUIT_CLOSED)
		return 0;
	if (h->circuit == CIRCUIT_OPEN && now >= h->open_until_ms)
		h->circuit = CIRCUIT_HALF_OPEN;
	if (h->circuit == CIRCUIT_HALF_OPEN && !h->probe_in_flight) {
		h->probe_in_flight = 1;
		*probe = 1;
		return 0;
	}
	*retry_after_s = h->circuit == CIRCUIT_OPEN ? (long)((h->open_until_ms - now + 999) / 1000) : 1;
	if (*retry_after_s < 1)
		*retry_after_s = 1;
	return -1;
}

int
metrics_circuit_check(const struct orad_metrics *m, long *retry_after_s)
{
	const struct upstream_health *h = &m->health;
	int64_t now = ora_wall_ms();
	int open = h->circuit == CIRCUIT_OPEN && now < h->open_until_ms;

	if (h->circuit == CIRCUIT_CLOSED || (!open && !h->probe_in_flight))
		return 0;
	*retry_after_s = open ? (long)((h->open_until_ms - now + 999) / 1000) : 1;
	if (*retry_after_s < 1)
		*retry_after_s = 1;
	return -1;
}

void
metrics_circuit_release(struct orad_metrics *m)
{
	m->health.probe_in_flight = 0;
}

const struct upstream_health *
metrics_health(const struct orad_metrics *m)
{
	return &m->health;
}

/* Label values are ours or the configuration's, but a model id comes from
 * the upstream: escape as the format requires. */
static void
label(struct evbuffer *out, const char *name, const char *value, int first)
{
	evbuffer_add_printf(out, "%s%s=\"", first ? "" : ",", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			evbuffer_add_printf(out, "\\%c", *value);
		else if (*value == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, value, 1);
	}
	evbuffer_add(out, "\"", 1);
}

static void
money(struct evbuffer *out, ora_pico v)
{
	char text[ORA_MONEY_TEXT_MAX];

	ora_money_format(v, text, sizeof(text));
	evbuffer_add_printf(out, "%s\n", text);
}

struct budget_render {
	struct evbuffer *out;
};

static void
render_budget(const struct budget_view *v, void *arg)
{
	struct budget_render *r = arg;
	ora_pico used = ora_money_add(v->spent, v->reserved);

	evbuffer_add(r->out, "ora_budget_remaining_usd{", 25);
	label(r->out, "scope", v->scope, 1);
	label(r->out, "name", v->name, 0);
	evbuffer_add(r->out, "} ", 2);
	money(r->out, v->budget->limit > used ? v->budget->limit - used : 0);
}

void
metrics_render(struct orad *d, struct evbuffer *out)
{
	static const double bounds[METRICS_N_BUCKETS] = METRICS_LATENCY_BUCKETS;
	const struct orad_metrics *m = d->metrics;
	struct budget_render br = { out };

	evbuffer_add_printf(out, "# HELP ora_requests_total Chat requests by outcome, model and cost centre.\n"
	                         "# TYPE ora_requests_total counter\n");
	for (const struct series *s = m->series; s != NULL; s = s->next) {
		evbuffer_add(out, "ora_requests_total{", 19);
		label(out, "outcome", s->outcome, 1);
		label(out, "model", s->model, 0);
		label(out, "cost_centre", s->centre, 0);
		evbuffer_add_printf(out, "} %llu\n", (unsigned long long)s->requests);
	}
	evbuffer_add_printf(out, "# HELP ora_spend_usd_total Spend billed by the upstream, by cost centre.\n"
	                         "# TYPE ora_spend_usd_total counter\n");
	for (const struct centre_totals *c = m->centres; c != NULL; c = c->next) {
		evbuffer_add(out, "ora_spend_usd_total{", 20);
		label(out, "cost_centre", c->centre, 1);
		evbuffer_add(out, "} ", 2);
		money(out, c->spend);
	}
	evbuffer_add_printf(out, "# HELP ora_tokens_total Tokens by kind and cost centre.\n"
	                         "# TYPE ora_tokens_total counter\n");
	for (const struct centre_totals *c = m->centres; c != NULL; c = c->next) {
		evbuffer_add(out, "ora_tokens_total{kind=\"prompt\",", 31);
		label(out, "cost_centre", c->centre, 1);
		evbuffer_add_printf(out, "} %lld\n", (long long)c->prompt_tokens);
		evbuffer_add(out, "ora_tokens_total{kind=\"completion\",", 35);
		label(out, "cost_centre", c->centre, 1);
		evbuffer_add_printf(out, "} %lld\n", (long long)c->completion_tokens);
	}
	evbuffer_add_printf(out, "# HELP ora_upstream_latency_seconds Time from sending to the end of the answer.\n"
	                         "# TYPE ora_upstream_latency_seconds histogram\n");
	for (int i = 0; i < METRICS_N_BUCKETS; i++)
		evbuffer_add_printf(out, "ora_upstream_latency_seconds_bucket{le=\"%g\"} %llu\n", bounds[i],
		    (unsigned long long)m->latency_buckets[i]);
	evbuffer_add_printf(out,
	    "ora_upstream_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "ora_upstream_latency_seconds_sum %.6f\nora_upstream_latency_seconds_count %llu\n",
	    (unsigned long long)m->latency_count, m->latency_sum, (unsigned long long)m->latency_count);
	evbuffer_add_printf(out,
	    "# HELP ora_in_flight Chat requests being served.\n# TYPE ora_in_flight gauge\n"
	    "ora_in_flight %zu\n"
	    "# HELP ora_connections Open client connections.\n# TYPE ora_connections gauge\n"
	    "ora_connections %ld\n"
	    "# HELP ora_upstream_up 0 while the circuit breaker holds requests back (%ld failures open it).\n"
	    "# TYPE ora_upstream_up gauge\nora_upstream_up %d\n"
	    "# HELP ora_reconcile_backlog Requests waiting to learn their cost.\n"
	    "# TYPE ora_reconcile_backlog gauge\nora_reconcile_backlog %zu\n",
	    d->in_flight, http_server_connections(d->http), d->conf->upstream.circuit_failures,
	    m->health.circuit == CIRCUIT_CLOSED,
	    reconcile_backlog(d->reconciler));
	evbuffer_add_printf(out, "# HELP ora_budget_remaining_usd What is left of each budget in use, this period.\n"
	                         "# TYPE ora_budget_remaining_usd gauge\n");
	budgets_each(d->budgets, time(NULL), render_budget, &br);
}
