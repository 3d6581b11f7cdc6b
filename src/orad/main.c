/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * orad: the ora broker. Holds the organisation's upstream keys, knows each
 * caller by the kernel's word (SO_PEERCRED), and forwards what policy allows.
 *
 * main() reads like a table of contents: options, configuration, socket,
 * master key, privilege drop, keys, event loop; then the mirror-image
 * teardown.
 */
#include "config.h"

#include <event2/event.h>
#include <event2/http.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "config/conf.h"
#include "config/preflight.h"
#include "keys/keystore.h"
#include "ledger/ledger.h"
#include "ledger/ledger_pg_budget.h"
#include "ledger/ledger_ship.h"
#include "orad/budget.h"
#include "orad/reconcile.h"
#include "orad/catalog.h"
#include "orad/journal.h"
#include "orad/listen.h"
#include "orad/metrics.h"
#include "orad/http_conn.h"
#include "orad/orad.h"
#include "orad/peers.h"
#include "orad/privdrop.h"
#include "orad/sandbox.h"
#include "orad/server.h"
#include "orad/tcpident.h"
#include "orad/upstream.h"
#include "orad/usage.h"
#include "orad/usage_shapes.h"
#include "orad/whois.h"

struct options {
	const char *conf_path;
	int foreground;
	int check_only;
	int debug;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: orad [-f] [-d] [-c FILE]\n"
	           "       orad -t [-c FILE]\n"
	           "  -c FILE  configuration (default %s, or $ORA_CONF)\n"
	           "  -f       stay in the foreground and log to stderr\n"
	           "  -d       debug logging\n"
	           "  -t       check the configuration and what orad needs to start (master\n"
	           "           key, upstream keys, directories), print every problem, and exit\n"
	           "  -V, --version  print the version\n"
	           "  -h, --help     print this help\n",
	    ORA_DEFAULT_CONF_PATH);
}

/* -d holds for the daemon's life: the configuration's log_level, applied
 * at start and at every reload, must not lower it. */
static int debug_forced;

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf_path = getenv("ORA_CONF") != NULL ? getenv("ORA_CONF") : ORA_DEFAULT_CONF_PATH;
	while ((ch = getopt_long(argc, argv, "c:fdtVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf_path = optarg; break;
		case 'f': o->foreground = 1; break;
		case 'd': o->debug = debug_forced = 1; break;
		case 't': o->check_only = 1; break;
		case 'V': printf("orad (ora) %s\n", PACKAGE_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Load a configuration, logging (or, for -t, printing) every problem; the
 * problems are also left in diag when it is not NULL. */
static struct ora_conf *
load_conf(const char *path, int to_stdout, struct ora_diag *keep)
{
	struct ora_diag diag = { 0 };
	struct ora_conf *conf = NULL;

	if (ora_conf_load(path, &conf, &diag) != 0) {
		for (size_t i = 0; i < diag.n_errors; i++)
			if (to_stdout)
				fprintf(stderr, "%s\n", diag.errors[i]);
			else
				ora_log_error("%s", diag.errors[i]);
	}
	for (size_t i = 0; i < diag.n_warnings; i++)
		if (to_stdout)
			fprintf(stderr, "%s\n", diag.warnings[i]);
		else
			ora_log_warning("%s", diag.warnings[i]);
	if (keep != NULL)
		*keep = diag;
	else
		ora_diag_clear(&diag);
	return conf;
}

/* The names of every key the configuration uses. */
static const char **
key_names(const struct ora_conf *conf, size_t *n)
{
	const char **names = ora_xcalloc(conf->n_centres, sizeof(char *));

	for (size_t i = 0; i < conf->n_centres; i++)
		names[i] = conf->centres[i].key;
	*n = conf->n_centres;
	return names;
}

static int
load_keys(struct orad *d, const struct ora_conf *conf, struct ora_keyring **out, struct ora_error *err)
{
	size_t n;
	const char **names = key_names(conf, &n);
	int r = ora_keyring_open(d->master, conf->daemon.state_dir, names, n, out, err);

	free(names);
	return r;
}

static void
check_report(void *arg, const char *msg)
{
	fprintf(stderr, "%s: %s\n", (const char *)arg, msg);
}

/* -t: the file is valid; now what it points to, as nginx -t does. */
static int
check_only(struct orad *d)
{
	size_t failures = ora_preflight(d->conf, check_report, (void *)d->conf_path);

	ora_conf_unref(d->conf);
	if (failures > 0) {
		fprintf(stderr, "orad: configuration file %s test failed: orad would not start (%zu "
		                "problem%s)\n", d->conf_path, failures, failures == 1 ? "" : "s");
		return 1;
	}
	printf("configuration OK\n");
	fprintf(stderr, "orad: configuration file %s test is successful\n", d->conf_path);
	return 0;
}

static void
apply_conf(struct orad *d)
{
	enum ora_log_level level;

	if (debug_forced)
		ora_log_debug("debug logging (-d) stays on over daemon.log_level");
	else if (d->conf->daemon.log_level != NULL &&
	    ora_log_level_parse(d->conf->daemon.log_level, &level) == 0)
		ora_log_set_level(level);
	server_apply_limits(d);
	catalog_configure(d->catalog, d->conf->upstream.base_url, d->conf->upstream.catalog_refresh,
	    d->conf->upstream.connect_timeout, d->conf->upstream.ca_file.data,
	    d->conf->upstream.ca_file.len);
}

int
orad_reload(struct orad *d, struct ora_diag *diag)
{
	struct ora_diag local = { 0 };
	struct ora_diag *dg = diag != NULL ? diag : &local;
	struct ora_conf *conf;
	struct ora_keyring *keys = NULL;
	struct ora_error err;

	if ((conf = load_conf(d->conf_path, 0, dg)) == NULL) {
		ora_log_error("reload refused: %s has errors; the previous configuration stays in force",
		    d->conf_path);
		ora_diag_clear(&local);
		return -1;
	}
	if (load_keys(d, conf, &keys, &err) != 0) {
		ora_log_error("reload refused: %s; the previous configuration stays in force", err.msg);
		dg->errors = ora_xrealloc(dg->errors, (dg->n_errors + 1) * sizeof(char *));
		dg->errors[dg->n_errors++] = ora_xstrdup(err.msg);
		ora_conf_unref(conf);
		ora_diag_clear(&local);
		return -1;
	}
	if (strcmp(conf->daemon.socket_path, d->conf->daemon.socket_path) != 0)
		ora_log_warning("daemon.socket changed: the new path takes effect after a restart");
	if (listen_tcp_changed(&conf->daemon, &d->tcp))
		ora_log_warning("daemon.listen changed: the new addresses take effect after a restart; "
		                "until then orad keeps serving the ones it bound at start");
	/* In-flight requests hold their own reference to the old policy and
	 * have already handed their key to the transfer. */
	ora_conf_unref(d->conf);
	ora_keyring_free(d->keys);
	d->conf = conf;
	d->keys = keys;
	d->conf->generation = ++d->conf_generation;
	apply_conf(d);
	ora_log_info("configuration reloaded from %s (generation %lu, %zu rules)", d->conf_path,
	    d->conf_generation, d->conf->n_rules);
	ora_diag_clear(&local);
	return 0;
}

static void
on_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct orad *d = arg;

	ora_log_warning("shutdown: %zu requests still running after %lds; stopping them", d->in_flight,
	    d->conf->daemon.shutdown_grace);
	event_base_loopexit(d->base, NULL);
}

/* Exit once every answer has left our buffers: the last chunk of a stream
 * may still be queued on its connection when its exchange ends. */
static void
exit_when_flushed(evutil_socket_t fd, short what, void *arg)
{
	struct orad *d = arg;
	struct timeval soon = { 0, 10000 };

	if (http_server_output_pending(d->http) == 0) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	event_base_once(d->base, -1, EV_TIMEOUT, exit_when_flushed, d, &soon);
}

/* An admitted request finished (the exchanges' completion callback). */
static void
on_request_done(void *arg)
{
	struct orad *d = arg;
	struct timeval now = { 0, 0 };

	if (d->draining && d->in_flight == 0)
		event_base_once(d->base, -1, EV_TIMEOUT, exit_when_flushed, d, &now);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct orad *d = arg;

	if (sig == SIGHUP) {
		/* libevent does not say who sent the signal: the trail says how. */
		ora_log_info("SIGHUP: reloading %s", d->conf_path);
		if (orad_reload(d, NULL) == 0) {
			char detail[64];
			snprintf(detail, sizeof(detail), "accepted: generation %lu", d->conf_generation);
			orad_audit(d, 0, "(SIGHUP)", "reload", detail);
		} else {
			orad_audit(d, 0, "(SIGHUP)", "reload", "rejected: see the log for every error");
		}
		return;
	}
	if (d->draining)
		return;
	d->draining = 1;
	server_stop_accepting(d);
	ora_log_info("shutting down: %zu requests in flight, waiting up to %lds", d->in_flight,
	    d->conf->daemon.shutdown_grace);
	if (d->in_flight == 0) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	struct timeval tv = { d->conf->daemon.shutdown_grace, 0 };
	event_base_once(d->base, -1, EV_TIMEOUT, on_shutdown_timeout, d, &tv);
}

/* With a shared PostgreSQL ledger (ledger section), the broker keeps its
 * own ledger as ever and copies its rows there (ledger/ledger_ship.h); the
 * database password is unsealed from the keystore. */
static int
start_shipping(struct orad *d, struct ora_error *err)
{
	const struct ora_ledger_conf *lc = &d->conf->ledger;
	struct ora_ledger_target t = {.kind = ORA_LEDGER_POSTGRESQL, .conninfo = lc->conninfo,
	    .host_name = lc->host_name};
	struct ora_secret *pw = NULL;
	char *password = NULL, *allowance_path = NULL;
	int r;

	if (lc->password_key != NULL) {
		if (ora_key_open(d->master, d->conf->daemon.state_dir, lc->password_key, &pw, err) != 0)
			return -1;
		password = ora_xcalloc(1, ora_secret_len(pw) + 1);
		memcpy(password, ora_secret_data(pw), ora_secret_len(pw));
		ora_secret_free(pw);
		t.password = password;
	}
	r = ora_ledger_ship_new(d->base, d->ledger, &t, &d->ship, err);
	/* Budgets hold across the hosts that share the database; while it is
	 * away, a request is refused or admitted on the host's allowance. */
	if (r == 0) {
		struct ora_shared_options o = {.allowance = lc->allow ? lc->allowance : 0};
		struct stat st;

		/* Holds admitted on an allowance before a restart are delivered
		 * even if the setting is "refuse" now. */
		allowance_path = ora_xasprintf("%s/%s", d->conf->daemon.state_dir, ORA_ALLOWANCE_FILE);
		if (lc->allow || (stat(allowance_path, &st) == 0 && st.st_size > 0))
			o.allowance_path = allowance_path;
		r = ora_shared_budgets_new(d->base, &t, &o, &d->shared, err);
		free(allowance_path);
	}
	if (password != NULL) {
		sodium_memzero(password, strlen(password));
		free(password);
	}
	return r;
}

/* The ledger is opened as the daemon user, so that the files SQLite
 * creates beside it (WAL, shared memory) belong to that user too. */
static int
open_ledger(struct orad *d, struct ora_error *err)
{
	char *path;
	int r;

	if (!d->conf->daemon.ledger) {
		ora_log_warning("daemon.ledger is off: requests are not recorded and budgets count "
		                "only since this start");
		return 0;
	}
	path = ora_xasprintf("%s/%s", d->conf->daemon.state_dir, ORA_LEDGER_FILE);
	r = ora_ledger_open(path, ORA_LEDGER_LOGGED, &d->ledger, err);
	free(path);
	if (r == 0 && d->conf->ledger.kind == ORA_LEDGER_CONF_POSTGRESQL)
		r = start_shipping(d, err);
	return r;
}

/* Another broker writing this state_dir's ledger: stop now, while the
 * socket can still be removed (after the privilege drop it could not). */
static int
ledger_taken(struct orad *d, struct ora_error *err)
{
	char *path;
	int r;

	if (!d->conf->daemon.ledger)
		return 0;
	path = ora_xasprintf("%s/%s", d->conf->daemon.state_dir, ORA_LEDGER_FILE);
	r = ora_ledger_check_free(path, err);
	free(path);
	return r;
}

/* Rows left open by a broker that died: reconcile those the upstream
 * named; charge the reservation of the others, whose cost can never be
 * learned. */
static void
recover_row(const struct ora_ledger_entry *e, void *arg)
{
	struct orad *d = arg;
	struct ora_error err;

	if (e->generation_id != NULL && e->generation_id[0] != '\0') {
		reconcile_add(d->reconciler, e->id, e->generation_id, e->key_name, e->user,
		    e->cost_centre, e->reserved, (time_t)(e->started_ms / 1000), NULL);
		return;
	}
	if (ora_ledger_reconciled(d->ledger, e->id, e->reserved, NULL, 0, 0, 0, NULL, 1,
	        "cost unknown: the broker stopped before the upstream named the generation; "
	        "charged the reservation", &err) != 0)
		ora_log_error("%s", err.msg);
}

static void
recover(struct orad *d)
{
	struct ora_error err;

	if (d->ledger == NULL)
		return;
	if (ora_ledger_each_unsettled(d->ledger, recover_row, d, &err) != 0)
		ora_log_error("cannot list unsettled ledger rows: %s", err.msg);
	if (reconcile_backlog(d->reconciler) > 0)
		ora_log_info("reconciling %zu requests left unsettled", reconcile_backlog(d->reconciler));
}

/* After a burst (say a thousand streams), glibc keeps the freed memory
 * for reuse; when nothing is in flight, give it back. */
#define IDLE_TRIM_INTERVAL_S 10

/* Between those trims, free() gives the heap's top back only past
 * HEAP_TRIM_THRESHOLD, and a heap that grows takes HEAP_TOP_PAD more:
 * with glibc's 128 KiB each, the heap's top went back and forth with the
 * requests in flight, a brk(2) and its page faults every few requests
 * (issue 17). What this keeps is returned at the next idle trim. Setting
 * either turns off glibc's sliding mmap threshold, which would have
 * moved up to the largest block freed (at most 32 MiB on 64-bit), so
 * that a request's body of a few MiB came from the heap, not from an
 * mmap(2) and its page faults each time: HEAP_MMAP_THRESHOLD is that
 * ceiling, set outright. */
#define HEAP_TRIM_THRESHOLD (4 << 20)
#define HEAP_TOP_PAD (1 << 20)
#define HEAP_MMAP_THRESHOLD (32 << 20)

static void
on_idle_trim(evutil_socket_t fd, short what, void *arg)
{
	struct orad *d = arg;

	if (d->in_flight == 0)
		malloc_trim(0);
}

/* Log lines are written once a loop turn (ora_log_defer): the flush runs
 * after the callbacks already active at the loop's default priority, so
 * the lines of a turn's requests go in one write. */
static void
on_log_flush(evutil_socket_t fd, short what, void *arg)
{
	ora_log_flush();
}

static void
arm_log_flush(void *ev)
{
	event_active(ev, EV_TIMEOUT, 0);
}

static struct event_base *
new_base(struct ora_error *err)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	/* EV_CLOSED is how a hang-up is noticed while a request waits on the
	 * upstream; insist on a backend (epoll) that provides it. */
	event_config_require_features(cfg, EV_FEATURE_EARLY_CLOSE | EV_FEATURE_O1);
	/* Every request turns its sockets' interest on and off several times
	 * in one turn (the upstream's connections, the door's reads and
	 * writes); the changelist applies only the net change, halving the
	 * epoll_ctl calls and gaining 5-12% throughput. Its one caveat,
	 * descriptors made with dup(), does not arise: orad dups none. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	/* Three priorities: every event gets the middle one, and the
	 * journal's fold the lowest, so that it runs when nothing else is
	 * ready (see journal.h). */
	if (base != NULL && event_base_priority_init(base, ORAD_PRIORITIES) != 0) {
		event_base_free(base);
		base = NULL;
	}
	if (base == NULL)
		ora_error_set(err, "no event backend with early-close detection (epoll) available");
	return base;
}

/* Everything up to the event loop. On failure, logs and returns -1. */
static int
start(struct orad *d, struct listen_socket *ls, struct ora_error *err)
{
	const struct ora_daemon_conf *dc = &d->conf->daemon;

	if (ora_keystore_init(err) != 0)
		return -1;
	if (listen_open(dc, ls, err) != 0)
		return -1;
	d->listen_fd = ls->fd;
	if (listen_tcp_open(dc, &d->tcp, err) != 0)
		return -1;
	if (ledger_taken(d, err) != 0)
		return -1;
	if (ora_master_key_load_configured(dc->master_key, &d->master, err) != 0)
		return -1;
	crypto_generichash(d->pseudonym_key, sizeof(d->pseudonym_key),
	    (const unsigned char *)"ora user pseudonym v1", 21, ora_secret_data(d->master),
	    ora_secret_len(d->master));
	/* Keys are opened before the drop so that a bad key stops the start
	 * while the socket can still be removed; the master key stays in
	 * locked memory, so a reload opens them again as the daemon user
	 * (key files belong to it; see keystore.h). */
	if (load_keys(d, d->conf, &d->keys, err) != 0)
		return -1;
	if (privdrop(dc->user, dc->group, err) != 0)
		return -1;
	/* Who owns a TCP caller's socket is for anyone to ask, so the netlink
	 * socket is opened with no privilege, but before the sandbox. */
	if (d->tcp.n > 0 && orad_tcpident_open(&d->tcpident, err) != 0)
		return -1;
	/* The account files' watch is set up before the sandbox: only
	 * adding a watch again, after a file is replaced, is allowed in it. */
	d->whois = whois_new();
	if (!whois_watching(d->whois))
		ora_log_info("/etc/passwd and /etc/group cannot be watched (inotify); they are "
		             "stat'ed for every request instead");
	if (sandbox_apply(d, err) != 0)
		return -1;
	if ((d->base = new_base(err)) == NULL)
		return -1;
	if ((d->upstream = upstream_new(d->base, err)) == NULL)
		return -1;
	d->catalog = catalog_new(d->base, d->upstream);
	d->peers = peers_new();
	d->metrics = metrics_new();
	if (open_ledger(d, err) != 0)
		return -1;
	d->budgets = budgets_new(d->ledger);
	d->reconciler = reconcile_new(d);
	if (journal_init(d) != 0)
		return ora_error_set(err, "cannot create the ledger's commit event");
	recover(d);
	journal_flush(d);
	d->request_done = on_request_done;
	d->request_done_arg = d;
	if (server_start(d, err) != 0)
		return -1;
	apply_conf(d);
	return 0;
}

static void
stop(struct orad *d, struct listen_socket *ls)
{
	/* Freeing the server closes every connection, which ends any
	 * exchange still running and stops its upstream transfer. */
	server_free(d);
	if (d->ledger != NULL)
		journal_flush(d);
	journal_free(d);
	reconcile_free(d->reconciler);
	budgets_free(d->budgets);
	ora_shared_budgets_free(d->shared);
	ora_ledger_ship_free(d->ship);
	ora_ledger_close(d->ledger);
	catalog_free(d->catalog);
	upstream_free(d->upstream);
	peers_free(d->peers);
	whois_free(d->whois);
	metrics_free(d->metrics);
	usage_cleanup();
	usage_shapes_cleanup();
	ora_keyring_free(d->keys);
	ora_secret_free(d->master);
	sodium_memzero(d->pseudonym_key, sizeof(d->pseudonym_key));
	if (d->conf != NULL)
		listen_remove(d->conf->daemon.socket_path, ls);
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	listen_tcp_close(&d->tcp);
	orad_tcpident_free(d->tcpident);
	ora_conf_unref(d->conf);
	if (d->base != NULL)
		event_base_free(d->base);
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct orad d = { .listen_fd = -1 };
	struct listen_socket ls = { .fd = -1 };
	struct ora_error err;
	struct event *signals[4] = { NULL };
	struct event *trim = NULL, *log_flush = NULL;
	const int signos[4] = { SIGHUP, SIGTERM, SIGINT, 0 };
	struct rlimit no_core = { 0, 0 };
	int status = 1;

	/* Memory will hold decrypted keys: no core dumps, no ptrace. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGPIPE, SIG_IGN);
	mallopt(M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD);
	mallopt(M_TOP_PAD, HEAP_TOP_PAD);
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);

	if (parse_options(argc, argv, &opt) != 0)
		return 2;
	ora_log_init("orad", opt.foreground || opt.check_only, opt.debug ? ORA_LOG_DEBUG : ORA_LOG_INFO);
	d.conf_path = opt.conf_path;
	if ((d.conf = load_conf(opt.conf_path, opt.check_only, NULL)) == NULL) {
		if (opt.check_only)
			fprintf(stderr, "%s: configuration has errors\n", opt.conf_path);
		return 1;
	}
	if (opt.check_only)
		return check_only(&d);
	d.conf->generation = d.conf_generation = 1;
	if (!opt.debug && d.conf->daemon.log_level != NULL) {
		enum ora_log_level level;
		if (ora_log_level_parse(d.conf->daemon.log_level, &level) == 0)
			ora_log_set_level(level);
	}
	if (start(&d, &ls, &err) != 0) {
		ora_log_error("cannot start: %s", err.msg);
		goto out;
	}
	for (int i = 0; signos[i] != 0; i++) {
		signals[i] = evsignal_new(d.base, signos[i], on_signal, &d);
		event_add(signals[i], NULL);
	}
	struct timeval trim_every = { IDLE_TRIM_INTERVAL_S, 0 };
	trim = event_new(d.base, -1, EV_PERSIST, on_idle_trim, &d);
	event_add(trim, &trim_every);
	d.started_us = ora_now_us();
	d.started_ms = ora_wall_ms();
	for (size_t i = 0; i < d.tcp.n; i++)
		ora_log_info("serving loopback TCP on %s; callers are identified by the kernel "
		             "(daemon.listen)", d.tcp.spec[i]);
	ora_log_info("orad %s ready on %s: %zu rules, %zu cost centres, upstream %s", PACKAGE_VERSION,
	    ls.activated ? "(systemd socket)" : d.conf->daemon.socket_path, d.conf->n_rules,
	    d.conf->n_centres, d.conf->upstream.base_url);
	log_flush = event_new(d.base, -1, 0, on_log_flush, NULL);
	ora_log_defer(arm_log_flush, log_flush);
	event_base_dispatch(d.base);
	ora_log_defer(NULL, NULL);
	ora_log_info("orad stopped");
	status = 0;
out:
	for (int i = 0; signals[i] != NULL; i++)
		event_free(signals[i]);
	if (trim != NULL)
		event_free(trim);
	if (log_flush != NULL)
		event_free(log_flush);
	stop(&d, &ls);
	return status;
}
