/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * orad.h: the broker's shared state, one struct for the whole process.
 *
 * orad is single-threaded: one libevent loop drives the Unix socket server,
 * the upstream transfers (libcurl multi), timers and signals. Nothing on the
 * loop blocks, so nothing here needs a lock.
 */
#ifndef ORAD_H
#define ORAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/conf.h"
#include "orad/listen.h"

struct event_base;
struct http_server;
struct ora_keyring;
struct ora_secret;
struct orad_upstream;
struct orad_catalog;
struct orad_peers;
struct orad_tcpident;
struct orad_whois;
struct orad_metrics;
struct ora_ledger;
struct ora_ledger_ship;
struct ora_shared_budgets;
struct orad_budgets;
struct orad_reconciler;
struct orad_exchange;
struct event;


struct orad {
	struct event_base *base;
	struct http_server *http;
	const char *conf_path;

	/* The policy in force. Each request takes a reference to the one it
	 * started under, so a reload never changes rules mid-request. */
	struct ora_conf *conf;
	unsigned long conf_generation;

	/* The master key stays in locked memory for the daemon's life so that a
	 * reload can decrypt new keys after privileges were dropped. */
	struct ora_secret *master;
	struct ora_keyring *keys;
	/* Key for the pseudonymous `user` field (user_field = "hash"),
	 * derived from the master key. */
	unsigned char pseudonym_key[32];

	struct orad_upstream *upstream;
	struct orad_catalog *catalog;
	struct orad_peers *peers;
	struct orad_whois *whois;
	struct ora_ledger *ledger;   /* NULL when daemon.ledger is off */
	struct ora_ledger_ship *ship; /* copies it to a shared PostgreSQL ledger */
	struct ora_shared_budgets *shared; /* budgets held there across hosts */
	struct orad_budgets *budgets;
	struct orad_reconciler *reconciler;
	struct event *journal_timer;          /* folds the ledger, see journal.h */
	struct event *journal_idle;
	int journal_failing;
	

	int listen_fd;
	/* daemon.listen's loopback TCP sockets, bound before the privilege
	 * drop, and the netlink socket that identifies their callers (NULL
	 * when there are none), opened after it but before the sandbox. */
	struct listen_tcp tcp;
	struct orad_tcpident *tcpident;
	dev_t socket_dev; /* identify the socket file we created, so we only */
	ino_t socket_ino; /* ever remove our own */

	int draining;           /* SIGTERM received: finish, accept nothing */
	size_t in_flight;       /* requests being served (exchange.c counts) */
	/* Told when an admitted request has finished (exchange_free), so that
	 * SIGTERM's drain can complete: set by main.c. */
	void (*request_done)(void *arg);
	void *request_done_arg;
	uint64_t started_us;
	int64_t started_ms;     /* wall clock, for status */
	struct orad_metrics *metrics;
	uint64_t requests_total;
};

/* Replace the configuration and keys from conf_path. On any error the old
 * ones stay and -1 is returned with every problem logged and, when diag is
 * not NULL, listed there (errors and warnings; the caller clears it). */
int orad_reload(struct orad *d, struct ora_diag *diag);

/* Record an admin action (who, what) in the ledger's audit trail and the
 * log. */
void orad_audit(struct orad *d, uid_t uid, const char *user, const char *action,
    const char *detail);


#endif
