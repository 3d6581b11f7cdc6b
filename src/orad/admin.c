/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admin.c: the administrator's endpoints (oractl reload, status, metrics).
 * Only root and members of daemon.admin_group get here (server.c checks,
 * by peer credentials, before anything else).
 */
#include "config.h"

#include <event2/buffer.h>
#include "orad/http_conn.h"
#include <json-c/json.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "ledger/ledger_pg_budget.h"
#include "ledger/ledger.h"
#include "ledger/ledger_ship.h"
#include "orad/catalog.h"
#include "orad/handlers.h"
#include "orad/journal.h"
#include "orad/metrics.h"
#include "orad/orad.h"
#include "orad/peers.h"
#include "orad/reconcile.h"
#include "orad/reply.h"
#include "orad/server.h"
#include "orad/upstream.h"

static struct json_object *
iso_ms(int64_t ms)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	char buf[32];

	if (ms == 0)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(buf);
}

static struct json_object *
string_list(char *const *items, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(items[i]));
	return a;
}

void
orad_audit(struct orad *d, uid_t uid, const char *user, const char *action, const char *detail)
{
	struct ora_error err;

	ora_log_info("audit: %s by %s (uid %u): %s", action, user, (unsigned)uid, detail);
	if (d->ledger == NULL)
		return;
	if (ora_ledger_audit(d->ledger, (uint32_t)uid, user, action, detail, &err) != 0)
		ora_log_error("%s", err.msg);
	journal_touch(d);
}

static void
audit(struct orad *d, const struct orad_caller *caller, const char *action, const char *detail)
{
	orad_audit(d, caller->id.uid, caller->id.user, action, detail);
}

void
admin_reload(struct orad *d, struct http_req *req, const struct orad_caller *caller)
{
	struct ora_diag diag = { 0 };
	struct json_object *root = json_object_new_object();
	char detail[512];

	if (orad_reload(d, &diag) == 0) {
		snprintf(detail, sizeof(detail), "accepted: generation %lu", d->conf_generation);
		audit(d, caller, "reload", detail);
		json_object_object_add(root, "reloaded", json_object_new_boolean(1));
		json_object_object_add(root, "generation", json_object_new_int64((int64_t)d->conf_generation));
		json_object_object_add(root, "warnings", string_list(diag.warnings, diag.n_warnings));
		reply_json(req, 200, root);
	} else {
		struct json_object *err = json_object_new_object();
		snprintf(detail, sizeof(detail), "rejected: %s",
		    diag.n_errors > 0 ? diag.errors[0] : "unknown error");
		audit(d, caller, "reload", detail);
		json_object_object_add(err, "code", json_object_new_int(422));
		json_object_object_add(err, "message",
		    json_object_new_string("the new configuration has errors; the previous configuration "
		                           "stays in force"));
		json_object_object_add(err, "type", json_object_new_string("config_invalid"));
		json_object_object_add(err, "details", string_list(diag.errors, diag.n_errors));
		json_object_object_add(err, "warnings", string_list(diag.warnings, diag.n_warnings));
		json_object_object_add(root, "error", err);
		reply_json(req, 422, root);
	}
	json_object_put(root);
	ora_diag_clear(&diag);
}

struct in_flight_ctx {
	struct json_object *by_user;
};

void
admin_status(struct orad *d, struct http_req *req, const struct orad_caller *caller)
{
	struct json_object *root = json_object_new_object(), *o;
	const struct upstream_health *h = metrics_health(d->metrics);
	struct json_object *models = catalog_models(d->catalog);
	int64_t loaded = catalog_loaded_ms(d->catalog), now = ora_wall_ms();

	json_object_object_add(root, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(root, "pid", json_object_new_int64(getpid()));
	json_object_object_add(root, "started_at", iso_ms(d->started_ms));
	json_object_object_add(root, "uptime_s", json_object_new_int64((now - d->started_ms) / 1000));
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(d->conf_path));
	json_object_object_add(o, "generation", json_object_new_int64((int64_t)d->conf_generation));
	json_object_object_add(root, "config", o);
	json_object_object_add(root, "connections", json_object_new_int64(http_server_connections(d->http)));
	/* Bytes held for requests still being sent (daemon.max_pending_bytes). */
	json_object_object_add(root, "pending_request_bytes",
	    json_object_new_int64((int64_t)http_server_pending_bytes(d->http)));
	json_object_object_add(root, "in_flight", json_object_new_int64((int64_t)d->in_flight));
	json_object_object_add(root, "in_flight_by_user", peers_in_flight_json(d->peers));
	json_object_object_add(root, "requests_total", json_object_new_int64((int64_t)d->requests_total));

	o = json_object_new_object();
	json_object_object_add(o, "base_url", json_object_new_string(d->conf->upstream.base_url));
	static const char *const circuit_names[] = { "closed", "open", "half-open" };
	json_object_object_add(o, "healthy", json_object_new_boolean(h->circuit == CIRCUIT_CLOSED));
	json_object_object_add(o, "circuit", json_object_new_string(circuit_names[h->circuit]));
	json_object_object_add(o, "consecutive_failures", json_object_new_int64(h->consecutive_failures));
	json_object_object_add(o, "last_success_at", iso_ms(h->last_success_ms));
	json_object_object_add(o, "last_failure_at", iso_ms(h->last_failure_ms));
	json_object_object_add(o, "last_failure",
	    h->last_failure[0] ? json_object_new_string(h->last_failure) : NULL);
	json_object_object_add(o, "latency_ms_avg", json_object_new_double(h->latency_ms_avg));
	json_object_object_add(o, "transfers", json_object_new_int64((int64_t)upstream_active(d->upstream)));
	/* Far fewer than requests_total when connections are kept and reused. */
	json_object_object_add(o, "connections_opened",
	    json_object_new_int64(upstream_connections_opened(d->upstream)));
	json_object_object_add(root, "upstream", o);

	o = json_object_new_object();
	json_object_object_add(o, "models",
	    json_object_new_int64(models != NULL ? (int64_t)json_object_array_length(models) : 0));
	json_object_object_add(o, "loaded_at", iso_ms(loaded));
	json_object_object_add(o, "age_s", loaded ? json_object_new_int64((now - loaded) / 1000) : NULL);
	json_object_object_add(root, "catalog", o);

	o = json_object_new_object();
	json_object_object_add(o, "enabled", json_object_new_boolean(d->ledger != NULL));
	if (d->ledger != NULL) {
		int64_t rows = 0, unsettled = 0;
		struct ora_error err;
		struct stat st;
		char *path = ora_xasprintf("%s/%s", d->conf->daemon.state_dir, ORA_LEDGER_FILE);
		ora_ledger_counts(d->ledger, &rows, &unsettled, &err);
		json_object_object_add(o, "path", json_object_new_string(path));
		json_object_object_add(o, "rows", json_object_new_int64(rows));
		json_object_object_add(o, "unsettled", json_object_new_int64(unsettled));
		/* Writes still in the intent log: 0 unless folding fails. */
		json_object_object_add(o, "pending_writes",
		    json_object_new_int64((int64_t)ora_ledger_pending(d->ledger)));
		json_object_object_add(o, "bytes", json_object_new_int64(stat(path, &st) == 0 ? st.st_size : 0));
		free(path);
	}
	if (d->ship != NULL) {
		/* The copy to a shared PostgreSQL ledger (ledger/ledger_ship.h). */
		struct json_object *sh = json_object_new_object();

		json_object_object_add(
		    sh, "connected", json_object_new_boolean(ora_ledger_ship_connected(d->ship)));
		json_object_object_add(
		    sh, "waiting", json_object_new_int64(ora_ledger_ship_waiting(d->ship)));
		json_object_object_add(sh, "shipped",
		    json_object_new_int64((int64_t)ora_ledger_ship_shipped(d->ship)));
		json_object_object_add(sh, "audit_waiting",
		    json_object_new_int64(ora_ledger_ship_audit_waiting(d->ship)));
		if (d->shared != NULL) {
			/* Requests waiting for their shared budgets. */
			json_object_object_add(sh, "budgets_connected",
			    json_object_new_boolean(ora_shared_connected(d->shared)));
			json_object_object_add(sh, "budgets_waiting",
			    json_object_new_int64((int64_t)ora_shared_waiting(d->shared)));
			/* ledger.unavailable = "allowance": what this host admitted
			 * while the database was away, not yet charged there. */
			if (ora_shared_allowance(d->shared) > 0 ||
			    ora_shared_allowance_waiting(d->shared) > 0) {
				json_object_object_add(sh, "allowance_pico",
				    json_object_new_int64(ora_shared_allowance(d->shared)));
				json_object_object_add(sh, "allowance_used_pico",
				    json_object_new_int64(ora_shared_allowance_used(d->shared)));
				json_object_object_add(sh, "allowance_waiting",
				    json_object_new_int64(
				        (int64_t)ora_shared_allowance_waiting(d->shared)));
			}
		}
		json_object_object_add(o, "shared", sh);
	}
	json_object_object_add(root, "ledger", o);
	json_object_object_add(root, "reconcile_backlog",
	    json_object_new_int64((int64_t)reconcile_backlog(d->reconciler)));
	reply_json(req, 200, root);
	json_object_put(root);
}

void
admin_metrics(struct orad *d, struct http_req *req, const struct orad_caller *caller)
{
	struct evbuffer *out = evbuffer_new();

	metrics_render(d, out);
	http_reply_add_header(req, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	http_reply(req, 200, (const char *)evbuffer_pullup(out, -1), evbuffer_get_length(out));
	evbuffer_free(out);
}
