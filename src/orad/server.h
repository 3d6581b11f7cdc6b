/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * server.h: the routing of each request that came through the door
 * (http_conn.h) to its handler, after the caller has been identified and
 * matched to a rule. Callers that match no rule get a fixed 403 as soon as
 * their request head is read, before any of their body is.
 */
#ifndef ORAD_SERVER_H
#define ORAD_SERVER_H

#include "config/conf.h"
#include "config/identity.h"

struct orad;
struct orad_conn;

/* Who is asking, resolved for this request. */
struct orad_caller {
	struct ora_identity id;
	struct ora_conf *conf; /* reference to the policy in force at arrival */
	const struct ora_rule *rule;
	const char *via_group; /* group through which the rule matched, or NULL */
	struct orad_conn *conn;
};

/* Release what a caller holds (identity, configuration reference). */
void caller_clear(struct orad_caller *c);

/* Serve HTTP on d->listen_fd. */
int server_start(struct orad *d, struct ora_error *err);

/* Stop accepting new connections (drain). */
void server_stop_accepting(struct orad *d);

/* Apply limits from d->conf (after start and after a reload). */
void server_apply_limits(struct orad *d);

void server_free(struct orad *d);

#endif
