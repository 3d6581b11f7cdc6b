/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg_ship.c: a broker's rows, copied to the shared PostgreSQL
 * ledger from its event loop (ledger_ship.h says what and why).
 *
 * One connection, one statement at a time, a small state machine driven
 * by libevent: connect (PQconnectStartParams, then PQconnectPoll as the
 * socket becomes ready), check the schema version, then in rounds: read
 * up to SHIP_BATCH rows with an unshipped version from the local ledger,
 * send them as one INSERT ... ON CONFLICT DO UPDATE (PQsendQueryParams,
 * PQflush until the bytes are out), collect the result when the socket is
 * readable (PQconsumeInput, PQisBusy, PQgetResult), and record the
 * shipped versions locally. Nothing here waits: a slow or absent database
 * delays only the copy. On any failure the connection is dropped and made
 * again after a pause that doubles up to SHIP_RETRY_MAX_MS.
 *
 * libpq resolves a host name inside PQconnectStartParams, which can wait
 * on DNS; a broker's conninfo should name a Unix socket directory, or give
 * hostaddr, as ora.conf(5) says.
 */
#include "config.h"

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "ledger/ledger_internal.h"
#include "ledger/ledger_pg.h"
#include "ledger/ledger_pg_usage.h"
#include "ledger/ledger_ship.h"

/* Rows per statement: 35 parameters each, far below libpq's 65535. */
#define SHIP_BATCH 200
/* How often an idle shipper looks for new rows. */
#define SHIP_IDLE_MS 100
/* Idle rounds between two settlements of the shared budgets with nothing
 * shipped (a hold taken after its row was shipped, see
 * ledger_pg_budget.c). */
#define SHIP_SETTLE_EVERY 10
/* The pause before a new connection, doubling from min to max. */
#define SHIP_RETRY_MIN_MS 250
#define SHIP_RETRY_MAX_MS 4000
#define SHIP_PARAMS_PER_ROW (LEDGER_SHIP_COLUMNS + 1)
/* The broker's own audit entries per statement, and their parameters:
 * host, then the local columns (the id becomes local_id). */
#define SHIP_AUDIT_BATCH 50
#define SHIP_AUDIT_PARAMS (LEDGER_SHIP_AUDIT_COLUMNS + 1)
_Static_assert(SHIP_AUDIT_BATCH * SHIP_AUDIT_PARAMS <= SHIP_BATCH * SHIP_PARAMS_PER_ROW,
    "an audit batch fits in the shipper's parameters");

enum ship_state {
	SHIP_DOWN,       /* waiting to connect */
	SHIP_CONNECTING, /* PQconnectPoll */
	SHIP_CHECKING,   /* the schema version query */
	SHIP_IDLE,       /* connected, nothing sent */
	SHIP_SENDING,    /* a batch sent, its result awaited */
	SHIP_AUDITING,   /* a batch of audit entries sent, its result awaited */
	SHIP_SETTLING,   /* ora_budget_settle sent, its result awaited */
	SHIP_USAGE,      /* the shared budget rows asked for /api/v1/usage */
};

struct ora_ledger_ship {
	struct event_base *base;
	struct ledger_sqlite *local;
	char *conninfo, *password, *host;
	PGconn *conn;
	enum ship_state state;
	struct event *sock_ev; /* the connection's socket */
	struct event *timer;   /* the next round, or the next try */
	int flushing;          /* PQflush said more is to send */
	int retry_ms;
	int failed;            /* an outage is under way (logged once) */
	int result_ok;         /* the statement's result was a success */
	char *result_value;    /* of the version query */
	/* The batch in flight. */
	size_t n, nvals;
	char *vals[SHIP_BATCH * SHIP_PARAMS_PER_ROW];
	int64_t audit_last; /* the highest local audit id in the batch */
	int audit_later;    /* recording failed: requests first this round */
	uint64_t audit_shipped;
	int64_t ids[SHIP_BATCH], revs[SHIP_BATCH];
	int64_t waiting;
	uint64_t shipped;
	int more;              /* a full batch went: more rows may wait */
	int idle_rounds;       /* since the last settlement */
	struct ledger_pg_usage *usage; /* the shared budget rows, as last read */
};

static void ship_tick(evutil_socket_t fd, short what, void *arg);
static void ship_on_socket(evutil_socket_t fd, short what, void *arg);
static void ship_settle(struct ora_ledger_ship *s);
static void ship_usage(struct ora_ledger_ship *s);

static void
ship_arm_timer(struct ora_ledger_ship *s, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(s->timer, &tv);
}

/* Watch the connection's socket for what (EV_READ, EV_WRITE or both). */
static void
ship_watch(struct ora_ledger_ship *s, short what)
{
	if (s->sock_ev != NULL)
		event_free(s->sock_ev);
	s->sock_ev = event_new(s->base, PQsocket(s->conn), what, ship_on_socket, s);
	if (s->sock_ev != NULL)
		event_add(s->sock_ev, NULL);
}

static void
ship_clear_batch(struct ora_ledger_ship *s)
{
	for (size_t i = 0; i < s->nvals; i++) {
		free(s->vals[i]);
		s->vals[i] = NULL;
	}
	s->n = s->nvals = 0;
}

static void
ship_disconnect(struct ora_ledger_ship *s)
{
	if (s->sock_ev != NULL)
		event_free(s->sock_ev);
	s->sock_ev = NULL;
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = NULL;
	s->flushing = 0;
	free(s->result_value);
	s->result_value = NULL;
	ship_clear_batch(s);
}

/* Drop the connection and try again later; say so once per outage. */
static void
ship_fail(struct ora_ledger_ship *s, const char *what, const char *why)
{
	size_t n = strcspn(why, "\n");

	if (!s->failed)
		ora_log_warning("ledger: cannot ship rows to PostgreSQL (%s: %.*s); they wait in "
		                "the local ledger and go when it is back",
		    what, (int)n, why);
	s->failed = 1;
	ship_disconnect(s);
	s->state = SHIP_DOWN;
	ship_arm_timer(s, s->retry_ms);
	s->retry_ms = s->retry_ms * 2 > SHIP_RETRY_MAX_MS ? SHIP_RETRY_MAX_MS : s->retry_ms * 2;
}

static void
ship_connect(struct ora_ledger_ship *s)
{
	const char *keys[5], *values[5];
	int k = 0;

	/* As ledger_pg.c: later keywords win, the password is the keystore's. */
	keys[k] = "connect_timeout", values[k++] = "10";
	keys[k] = "application_name", values[k++] = "orad";
	keys[k] = "dbname", values[k++] = s->conninfo;
	if (s->password != NULL)
		keys[k] = "password", values[k++] = s->password;
	keys[k] = NULL, values[k] = NULL;
	s->conn = PQconnectStartParams(keys, values, 1);
	if (s->conn == NULL) {
		ship_fail(s, "connect", "out of memory");
		return;
	}
	if (PQstatus(s->conn) == CONNECTION_BAD) {
		ship_fail(s, "connect", PQerrorMessage(s->conn));
		return;
	}
	s->state = SHIP_CONNECTING;
	/* libpq: poll as if PQconnectPoll had asked for writing. */
	ship_watch(s, EV_WRITE);
}

static void
ship_flush(struct ora_ledger_ship *s)
{
	int r = PQflush(s->conn);

	if (r < 0) {
		ship_fail(s, "send", PQerrorMessage(s->conn));
		return;
	}
	s->flushing = r == 1;
	/* While flushing, the server may answer first: read too. */
	ship_watch(s, r == 1 ? EV_READ | EV_WRITE : EV_READ);
}

static void
ship_send(struct ora_ledger_ship *s, const char *sql, int n, const char *const *params)
{
	s->result_ok = 0;
	if (!PQsendQueryParams(s->conn, sql, n, NULL, params, NULL, NULL, 0)) {
		ship_fail(s, "send", PQerrorMessage(s->conn));
		return;
	}
	ship_flush(s);
}

static void
ship_connected(struct ora_ledger_ship *s)
{
	if (PQsetnonblocking(s->conn, 1) != 0) {
		ship_fail(s, "connect", PQerrorMessage(s->conn));
		return;
	}
	s->state = SHIP_CHECKING;
	ship_send(s, "SELECT value FROM ora_meta WHERE key = 'schema_version'", 0, NULL);
}

/* One row's parameters into the batch: host, then its ncols columns. */
static void
ship_batch_add(struct ora_ledger_ship *s, const char *const *cols, int ncols)
{
	char **v = &s->vals[s->nvals];

	v[0] = ora_xstrdup(s->host);
	for (int i = 0; i < ncols; i++)
		v[i + 1] = cols[i] != NULL ? ora_xstrdup(cols[i]) : NULL;
	s->nvals += (size_t)ncols + 1;
	s->n++;
}

/* One row of the local ledger into the batch. */
static void
ship_collect(void *arg, const char *const *cols)
{
	struct ora_ledger_ship *s = arg;

	s->ids[s->n] = strtoll(cols[0], NULL, 10);
	s->revs[s->n] = strtoll(cols[1], NULL, 10);
	ship_batch_add(s, cols, LEDGER_SHIP_COLUMNS);
}

/* One audit entry of the local ledger into the batch (id, time_ms, uid,
 * user, action, detail). */
static void
ship_audit_collect(void *arg, const char *const *cols)
{
	struct ora_ledger_ship *s = arg;

	s->audit_last = strtoll(cols[0], NULL, 10);
	ship_batch_add(s, cols, LEDGER_SHIP_AUDIT_COLUMNS);
}

/* INSERT of n audit entries keyed by (host, local_id): one the database
 * has already (sent before the broker recorded that it arrived) is left
 * alone, so each is there once. */
static char *
ship_audit_sql(size_t n)
{
	size_t cap = 256 + n * SHIP_AUDIT_PARAMS * 8, len;
	char *sql = ora_xcalloc(1, cap);
	int param = 1;

	len = (size_t)snprintf(sql, cap,
	    "INSERT INTO audit (host, local_id, time_ms, uid, \"user\", action, detail) VALUES ");
	for (size_t r = 0; r < n; r++) {
		len += (size_t)snprintf(sql + len, cap - len, "%s(", r > 0 ? ", " : "");
		for (int i = 0; i < SHIP_AUDIT_PARAMS; i++)
			len += (size_t)snprintf(
			    sql + len, cap - len, "%s$%d", i > 0 ? ", " : "", param++);
		len += (size_t)snprintf(sql + len, cap - len, ")");
	}
	snprintf(sql + len, cap - len, " ON CONFLICT (host, local_id) DO NOTHING");
	return sql;
}

/* Send the broker's audit entries that wait, if any: 1 when a batch went. */
static int
ship_audit_round(struct ora_ledger_ship *s)
{
	struct ora_error err;
	char *sql;

	if (s->audit_later) {
		s->audit_later = 0;
		return 0;
	}
	if (ledger_sqlite_audit_unshipped(
	        s->local, SHIP_AUDIT_BATCH, ship_audit_collect, s, &err) != 0) {
		ora_log_error("%s", err.msg);
		ship_clear_batch(s);
		return 0;
	}
	if (s->n == 0)
		return 0;
	s->state = SHIP_AUDITING;
	sql = ship_audit_sql(s->n);
	ship_send(s, sql, (int)s->nvals, (const char *const *)s->vals);
	free(sql);
	return 1;
}

/* The columns as the shared schema names them, after host. */
static const char ship_columns[] =
    "id, rev, started_ms, settled_ms, state, uid, \"user\", rule_line, rule_match, role,"
    " cost_centre, key_name, model_requested, models_requested, model_served, provider,"
    " generation_id, stream, prompt_tokens, completion_tokens, reasoning_tokens,"
    " cached_tokens, cost_pico, cost_text, reserved_pico, estimated, http_status, outcome,"
    " reason, latency_ms, ttfb_ms, client_pid, client_exe, count";

/* INSERT of n rows; a row the database has at an older rev is replaced,
 * one it has at this rev or a newer one is left alone. */
static char *
ship_sql(size_t n)
{
	size_t cap = 1024 + n * SHIP_PARAMS_PER_ROW * 8 + 2048, len;
	char *sql = ora_xcalloc(1, cap), *p;
	const char *c;
	int param = 1;

	len = (size_t)snprintf(sql, cap, "INSERT INTO requests (host, %s) VALUES ", ship_columns);
	for (size_t r = 0; r < n; r++) {
		len += (size_t)snprintf(sql + len, cap - len, "%s(", r > 0 ? ", " : "");
		for (int i = 0; i < SHIP_PARAMS_PER_ROW; i++)
			len += (size_t)snprintf(
			    sql + len, cap - len, "%s$%d", i > 0 ? ", " : "", param++);
		len += (size_t)snprintf(sql + len, cap - len, ")");
	}
	len += (size_t)snprintf(sql + len, cap - len, " ON CONFLICT (host, id) DO UPDATE SET ");
	/* Every column but id: name = EXCLUDED.name. */
	for (c = strchr(ship_columns, ',') + 2; *c != '\0';) {
		size_t w = strcspn(c, ",");

		len += (size_t)snprintf(sql + len, cap - len, "%.*s = EXCLUDED.%.*s%s", (int)w, c,
		    (int)w, c, c[w] == ',' ? ", " : "");
		c += w;
		if (*c == ',')
			c += 2;
	}
	p = sql + len;
	snprintf(p, cap - len, " WHERE requests.rev < EXCLUDED.rev");
	return sql;
}

static void
ship_round(struct ora_ledger_ship *s)
{
	struct ora_error err;
	char *sql;

	if (ship_audit_round(s))
		return;
	if (ledger_sqlite_unshipped(s->local, SHIP_BATCH, ship_collect, s, &err) != 0) {
		ora_log_error("%s", err.msg);
		ship_clear_batch(s);
		ship_arm_timer(s, SHIP_RETRY_MAX_MS);
		return;
	}
	if (s->n == 0) {
		s->waiting = 0;
		if (++s->idle_rounds >= SHIP_SETTLE_EVERY) {
			s->more = 0;
			ship_settle(s);
		} else
			ship_arm_timer(s, SHIP_IDLE_MS);
		return;
	}
	if (s->n < SHIP_BATCH)
		s->waiting = (int64_t)s->n;
	else if (ledger_sqlite_count_unshipped(s->local, &s->waiting, &err) != 0)
		s->waiting = (int64_t)s->n;
	s->state = SHIP_SENDING;
	sql = ship_sql(s->n);
	ship_send(s, sql, (int)s->nvals, (const char *const *)s->vals);
	free(sql);
}

/* Move the holds of this host's finished rows from reserved to spent in
 * the shared budgets (schema version 3's ora_budget_settle: each hold
 * once, however often this runs). */
static void
ship_settle(struct ora_ledger_ship *s)
{
	const char *params[1] = {s->host};

	s->idle_rounds = 0;
	s->state = SHIP_SETTLING;
	ship_send(s, "SELECT ora_budget_settle($1)", 1, params);
}

/* Read the shared budget rows for /api/v1/usage (ledger_pg_usage.h), on
 * this connection, between two rounds: the usage endpoint never waits. */
static void
ship_usage(struct ora_ledger_ship *s)
{
	char since[32];
	const char *params[1] = {since};
	int64_t now = ora_wall_ms();

	snprintf(since, sizeof(since), "%lld", (long long)(now - LEDGER_PG_USAGE_LOOKBACK_MS));
	ledger_pg_usage_sent(s->usage, now);
	s->state = SHIP_USAGE;
	ship_send(s, ledger_pg_usage_sql, 1, params);
}

/* The statement's result is in. */
static void
ship_done(struct ora_ledger_ship *s)
{
	struct ora_error err;
	unsigned long version;

	if (!s->result_ok)
		return; /* ship_fail has run */
	if (s->state == SHIP_CHECKING) {
		if (s->result_value == NULL ||
		    ora_parse_ulong(s->result_value, 1000000, &version) != 0 ||
		    version != ORA_LEDGER_PG_SCHEMA_VERSION) {
			char why[160];

			snprintf(why, sizeof(why),
			    "the shared ledger has schema version %s, this orad writes %d: run "
			    "`oractl init`",
			    s->result_value != NULL ? s->result_value : "none", ORA_LEDGER_PG_SCHEMA_VERSION);
			ship_fail(s, "schema", why);
			return;
		}
		if (s->failed)
			ora_log_info("ledger: PostgreSQL is back; shipping the rows that waited");
		else
			ora_log_info("ledger: shipping rows to PostgreSQL as host %s", s->host);
		s->failed = 0;
		s->retry_ms = SHIP_RETRY_MIN_MS;
		s->state = SHIP_IDLE;
		s->more = 1;
		/* Holds of rows shipped before a restart, settled first. */
		ship_settle(s);
		return;
	}
	if (s->state == SHIP_SETTLING && ledger_pg_usage_due(s->usage, ora_wall_ms())) {
		ship_usage(s);
		return;
	}
	if (s->state == SHIP_SETTLING || s->state == SHIP_USAGE) {
		s->state = SHIP_IDLE;
		if (s->more) {
			s->more = 0;
			ship_round(s);
		} else
			ship_arm_timer(s, SHIP_IDLE_MS);
		return;
	}
	if (s->state == SHIP_AUDITING) {
		/* As below: if recording fails, the entries go again and the
		 * database adds none of them twice; requests go first. */
		if (ledger_sqlite_audit_mark_shipped(s->local, s->audit_last, &err) != 0) {
			ora_log_debug("%s (the audit entries will be sent again)", err.msg);
			s->audit_later = 1;
		} else
			s->audit_shipped += s->n;
		ship_clear_batch(s);
		s->state = SHIP_IDLE;
		ship_round(s);
		return;
	}
	/* SHIP_SENDING: the database has these versions. Recording it may
	 * fail, most often because the checkpointer holds the file for a
	 * moment (so only at debug level): then they go again, and the
	 * database leaves them as they are. */
	if (ledger_sqlite_mark_shipped(s->local, s->ids, s->revs, s->n, &err) != 0)
		ora_log_debug("%s (the rows will be sent again)", err.msg);
	else
		s->shipped += s->n;
	s->more = s->n == SHIP_BATCH; /* more wait */
	ship_clear_batch(s);
	ship_settle(s);
}

static void
ship_read(struct ora_ledger_ship *s)
{
	PGresult *res;

	if (!PQconsumeInput(s->conn)) {
		ship_fail(s, "read", PQerrorMessage(s->conn));
		return;
	}
	while (!PQisBusy(s->conn)) {
		if ((res = PQgetResult(s->conn)) == NULL) {
			ship_done(s);
			return;
		}
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
			if (s->state == SHIP_USAGE)
				ledger_pg_usage_take(s->usage, res);
			else if (PQntuples(res) == 1 && PQnfields(res) == 1) {
				free(s->result_value);
				s->result_value = ora_xstrdup(PQgetvalue(res, 0, 0));
			}
			s->result_ok = 1;
			break;
		case PGRES_COMMAND_OK:
			s->result_ok = 1;
			break;
		default: {
			char *why = ora_xstrdup(PQresultErrorMessage(res));

			PQclear(res);
			ship_fail(s,
			    s->state == SHIP_CHECKING ? "schema" :
			    s->state == SHIP_SETTLING ? "settle budgets" :
			    s->state == SHIP_USAGE ? "read budgets" :
			    s->state == SHIP_AUDITING ? "insert audit entries" : "insert", why);
			free(why);
			return;
		}
		}
		PQclear(res);
	}
	ship_watch(s, EV_READ);
}

static void
ship_on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct ora_ledger_ship *s = arg;

	if (s->state == SHIP_CONNECTING) {
		switch (PQconnectPoll(s->conn)) {
		case PGRES_POLLING_READING:
			ship_watch(s, EV_READ);
			return;
		case PGRES_POLLING_WRITING:
			ship_watch(s, EV_WRITE);
			return;
		case PGRES_POLLING_OK:
			ship_connected(s);
			return;
		default:
			ship_fail(s, "connect", PQerrorMessage(s->conn));
			return;
		}
	}
	if (s->flushing) {
		if ((what & EV_READ) && !PQconsumeInput(s->conn)) {
			ship_fail(s, "read", PQerrorMessage(s->conn));
			return;
		}
		ship_flush(s);
		return;
	}
	if (what & EV_READ)
		ship_read(s);
}

static void
ship_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ora_ledger_ship *s = arg;

	if (s->state == SHIP_DOWN)
		ship_connect(s);
	else if (s->state == SHIP_IDLE)
		ship_round(s);
}

int
ora_ledger_ship_new(struct event_base *base, struct ora_ledger *local,
    const struct ora_ledger_target *t, struct ora_ledger_ship **out, struct ora_error *err)
{
	struct ora_ledger_ship *s;
	char name[256];

	*out = NULL;
	if (local->be != &ledger_sqlite_backend || t->kind != ORA_LEDGER_POSTGRESQL ||
	    t->conninfo == NULL)
		return ora_error_set(err, "ledger: shipping goes from a sqlite ledger to postgresql");
	if (ledger_sqlite_ship_prepare(ledger_sqlite_of(local), err) != 0)
		return -1;
	s = ora_xcalloc(1, sizeof(*s));
	s->base = base;
	s->local = ledger_sqlite_of(local);
	s->conninfo = ora_xstrdup(t->conninfo);
	s->password = t->password != NULL ? ora_xstrdup(t->password) : NULL;
	if (t->host_name != NULL && *t->host_name != '\0')
		s->host = ora_xstrdup(t->host_name);
	else if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		s->host = ora_xstrdup(name);
	} else
		s->host = ora_xstrdup("localhost");
	s->retry_ms = SHIP_RETRY_MIN_MS;
	s->state = SHIP_DOWN;
	s->waiting = -1;
	s->usage = ledger_pg_usage_new();
	if ((s->timer = evtimer_new(base, ship_tick, s)) == NULL) {
		ora_ledger_ship_free(s);
		return ora_error_set(err, "ledger: cannot create the shipper's timer");
	}
	ship_arm_timer(s, 0);
	*out = s;
	return 0;
}

void
ora_ledger_ship_free(struct ora_ledger_ship *s)
{
	if (s == NULL)
		return;
	ship_disconnect(s);
	if (s->timer != NULL)
		event_free(s->timer);
	free(s->conninfo);
	if (s->password != NULL) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->host);
	ledger_pg_usage_free(s->usage);
	free(s);
}

int64_t
ora_ledger_ship_waiting(struct ora_ledger_ship *s)
{
	struct ora_error err;
	int64_t n;

	/* Counted afresh: while the database is away no round counts. */
	if (ledger_sqlite_count_unshipped(s->local, &n, &err) == 0)
		s->waiting = n;
	return s->waiting;
}

int64_t
ora_ledger_ship_audit_waiting(struct ora_ledger_ship *s)
{
	struct ora_error err;
	int64_t n;

	return ledger_sqlite_audit_count_unshipped(s->local, &n, &err) == 0 ? n : -1;
}

uint64_t
ora_ledger_ship_shipped(const struct ora_ledger_ship *s)
{
	return s->shipped;
}

int
ora_ledger_ship_connected(const struct ora_ledger_ship *s)
{
	return s->state == SHIP_IDLE || s->state == SHIP_SENDING || s->state == SHIP_SETTLING ||
	       s->state == SHIP_USAGE || s->state == SHIP_AUDITING;
}

int
ora_ledger_ship_budget(const struct ora_ledger_ship *s, const char *scope, const char *name,
    int64_t period_start_ms, struct ora_ledger_shared_budget *out)
{
	return ledger_pg_usage_find(s->usage, scope, name, period_start_ms, out);
}

const char *
ora_ledger_ship_host(const struct ora_ledger_ship *s)
{
	return s->host;
}
