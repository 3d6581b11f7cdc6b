/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * metrics.h: counters for the admin status and Prometheus endpoints, and
 * the upstream's recent health.
 */
#ifndef ORAD_METRICS_H
#define ORAD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/money.h"

struct evbuffer;
struct orad;
struct orad_metrics;

/* Upper bounds (seconds) of the upstream latency histogram's buckets. */
#define METRICS_LATENCY_BUCKETS { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120 }
#define METRICS_N_BUCKETS 11

enum circuit_state { CIRCUIT_CLOSED = 0, CIRCUIT_OPEN, CIRCUIT_HALF_OPEN };

struct upstream_health {
	enum circuit_state circuit;
	int64_t open_until_ms;   /* CIRCUIT_OPEN: when a probe may go */
	int probe_in_flight;     /* CIRCUIT_HALF_OPEN: the one probe is out */
	int64_t last_success_ms;
	int64_t last_failure_ms;
	char last_failure[256];
	unsigned consecutive_failures;
	double latency_ms_avg; /* exponentially weighted, over successes */
};

struct orad_metrics *metrics_new(void);
void metrics_free(struct orad_metrics *m);

/* One finished exchange. upstream_s < 0 when it never reached upstream. */
void metrics_request(struct orad_metrics *m, const char *outcome, const char *model,
    const char *centre, ora_pico cost, int64_t prompt_tokens, int64_t completion_tokens,
    double upstream_s);

/* The upstream answered (ok = below 500 and the transfer finished), or not.
 * After failures_to_open failures in a row (0: never) the circuit opens for
 * cooldown_s seconds; probe says this attempt was the half-open probe. */
void metrics_upstream(struct orad_metrics *m, int ok, double latency_ms, const char *failure,
    long failures_to_open, long cooldown_s, int probe);

/* Whether a new request may go upstream now. While the circuit is open it
 * may not (-1, *retry_after_s set); once the cooldown is over exactly one
 * request goes through as a probe (*probe = 1) and the others wait for its
 * outcome. */
int metrics_circuit_admit(struct orad_metrics *m, long *retry_after_s, int *probe);

/* The same decision as metrics_circuit_admit() without taking the probe:
 * admission asks this, and the exchange takes the probe when it starts
 * (exchange_new), so that only one place holds it. */
int metrics_circuit_check(const struct orad_metrics *m, long *retry_after_s);

/* A probe that ended without an upstream answer either way (refused later,
 * client gone): let the next request probe instead. */
void metrics_circuit_release(struct orad_metrics *m);
const struct upstream_health *metrics_health(const struct orad_metrics *m);

/* Prometheus text exposition (format 0.0.4) of everything, into out. */
void metrics_render(struct orad *d, struct evbuffer *out);

#endif
