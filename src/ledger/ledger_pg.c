/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg.c: the PostgreSQL backend (ledger_backend.h): the connection,
 * and the writes of one host's rows.
 *
 * This backend is synchronous: each write is one statement, in
 * autocommit, and waits for the server. That suits oractl and the tests
 * (init, audit, reports, prune). A broker must not wait on its event loop,
 * so it never opens this backend (ORA_LEDGER_LOGGED is refused): it keeps
 * its own SQLite ledger and ships its rows asynchronously
 * (ledger_pg_ship.c; doc/design.md, "A ledger shared by many hosts").
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "ledger/ledger_pg.h"

/* How long a connection attempt may take, in seconds (libpq's
 * connect_timeout): an unreachable database must fail oractl, not hang it. */
#define LEDGER_PG_CONNECT_TIMEOUT "10"

/* Decimal text of an int64, for a query parameter. */
#define LEDGER_PG_INT_TEXT 24

struct pg_ints {
	char v[LEDGER_PG_PARAMS_MAX][LEDGER_PG_INT_TEXT];
	size_t n;
};

static const char *
pg_int(struct pg_ints *t, int64_t v)
{
	char *s = t->v[t->n++];

	snprintf(s, LEDGER_PG_INT_TEXT, "%" PRId64, v);
	return s;
}

static const char *
pg_double(struct pg_ints *t, double v)
{
	char *s = t->v[t->n++];

	snprintf(s, LEDGER_PG_INT_TEXT, "%.3f", v);
	return s;
}

int64_t
ledger_pg_int(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* The server's message without its trailing newline. */
static int
pg_error(struct ledger_pg *l, const PGresult *res, const char *what, struct ora_error *err)
{
	const char *msg = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(l->conn);
	size_t n = strcspn(msg, "\n");

	return ora_error_set(err, "ledger (postgresql): %s: %.*s", what, (int)n, msg);
}

int
ledger_pg_exec(struct ledger_pg *l, const char *sql, int n, const char *const *params,
    PGresult **out, const char *what, struct ora_error *err)
{
	/* Without parameters, PQexec: a schema is several statements, which
	 * the extended protocol of PQexecParams does not take at once. */
	PGresult *res = n == 0 ? PQexec(l->conn, sql)
	                       : PQexecParams(l->conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (out != NULL)
		*out = NULL;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_error(l, res, what, err);
		PQclear(res);
		return -1;
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return 0;
}

static void
pg_close(struct ora_ledger *base)
{
	struct ledger_pg *l = ledger_pg_of(base);

	if (l->conn != NULL)
		PQfinish(l->conn);
	free(l->host);
	free(l);
}

/* This host's name: the configured one, else the system's. */
static char *
pg_host_name(const struct ora_ledger_target *t)
{
	char name[256];

	if (t->host_name != NULL && *t->host_name != '\0')
		return ora_xstrdup(t->host_name);
	if (gethostname(name, sizeof(name)) != 0)
		return ora_xstrdup("localhost");
	name[sizeof(name) - 1] = '\0';
	return ora_xstrdup(name);
}

static int
pg_open(const struct ora_ledger_target *t, enum ora_ledger_mode mode, struct ora_ledger **out,
    struct ora_error *err)
{
	const char *keys[5], *values[5];
	struct ledger_pg *l;
	int k = 0;

	*out = NULL;
	if (t->conninfo == NULL)
		return ora_error_set(err, "ledger: the postgresql backend needs a conninfo");
	if (mode == ORA_LEDGER_LOGGED)
		return ora_error_set(err,
		    "ledger: a broker keeps its own ledger and ships its rows to PostgreSQL "
		    "(ledger_ship.h); it does not open the shared one for writing");
	l = ora_xcalloc(1, sizeof(*l));
	l->base.be = &ledger_pg_backend;
	l->mode = mode;
	l->host = pg_host_name(t);
	/* Later keywords win: the conninfo may set its own timeout; the
	 * password comes from the keystore only. A NULL password leaves libpq
	 * to its usual sources (.pgpass, peer authentication on a socket). */
	keys[k] = "connect_timeout", values[k++] = LEDGER_PG_CONNECT_TIMEOUT;
	keys[k] = "application_name", values[k++] = "ora";
	keys[k] = "dbname", values[k++] = t->conninfo;
	if (t->password != NULL)
		keys[k] = "password", values[k++] = t->password;
	keys[k] = NULL, values[k] = NULL;
	l->conn = PQconnectdbParams(keys, values, 1);
	if (l->conn == NULL || PQstatus(l->conn) != CONNECTION_OK) {
		if (l->conn == NULL)
			ora_error_set(err, "ledger (postgresql): out of memory");
		else
			pg_error(l, NULL, "cannot connect", err);
		goto fail;
	}
	if (ledger_pg_exec(l, "SET client_min_messages = warning", 0, NULL, NULL, "settings", err) !=
	        0 ||
	    ledger_pg_schema(l, err) != 0)
		goto fail;
	*out = &l->base;
	return 0;
fail:
	pg_close(&l->base);
	return -1;
}

/* Writes are in autocommit: there is nothing to commit, nothing waits. */
static int
pg_commit(struct ora_ledger *l, struct ora_error *err)
{
	return 0;
}

static int
pg_dirty(const struct ora_ledger *l)
{
	return 0;
}

static int
pg_fold_due(const struct ora_ledger *l)
{
	return 0;
}

static uint64_t
pg_pending(const struct ora_ledger *l)
{
	return 0;
}

static int
pg_writable(struct ledger_pg *l, struct ora_error *err)
{
	if (l->mode == ORA_LEDGER_READ_ONLY)
		return ora_error_set(err, "ledger (postgresql): opened read-only");
	return 0;
}

/* Every column of e, after host and id, in the order of pg_insert_sql. */
#define PG_ENTRY_PARAMS 32

static const char pg_insert_sql[] =
    "INSERT INTO requests (host, id, started_ms, settled_ms, state, uid, \"user\", rule_line,"
    " rule_match, role, cost_centre, key_name, model_requested, models_requested,"
    " model_served, provider, generation_id, stream, prompt_tokens, completion_tokens,"
    " reasoning_tokens, cached_tokens, cost_pico, cost_text, reserved_pico, estimated,"
    " http_status, outcome, reason, latency_ms, ttfb_ms, client_pid, client_exe, count)"
    " VALUES ($1, COALESCE($2::bigint,"
    " (SELECT COALESCE(MAX(id), 0) + 1 FROM requests WHERE host = $1)),"
    " $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,"
    " $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34)"
    " ON CONFLICT (host, id) DO NOTHING RETURNING id";

static int
pg_insert(struct ledger_pg *l, struct ora_ledger_entry *e, const char *state,
    struct ora_error *err)
{
	struct pg_ints t = {.n = 0};
	const char *p[PG_ENTRY_PARAMS + 2];
	PGresult *res;
	int i = 0;

	if (pg_writable(l, err) != 0)
		return -1;
	p[i++] = l->host;
	p[i++] = e->id > 0 ? pg_int(&t, e->id) : NULL;
	p[i++] = pg_int(&t, e->started_ms);
	p[i++] = e->settled_ms > 0 ? pg_int(&t, e->settled_ms) : NULL;
	p[i++] = state;
	p[i++] = pg_int(&t, e->uid);
	p[i++] = e->user != NULL ? e->user : "";
	p[i++] = pg_int(&t, e->rule_line);
	p[i++] = e->rule_match;
	p[i++] = e->role;
	p[i++] = e->cost_centre;
	p[i++] = e->key_name;
	p[i++] = e->model_requested;
	p[i++] = e->models_requested;
	p[i++] = e->model_served;
	p[i++] = e->provider;
	p[i++] = e->generation_id;
	p[i++] = pg_int(&t, e->stream);
	p[i++] = pg_int(&t, e->prompt_tokens);
	p[i++] = pg_int(&t, e->completion_tokens);
	p[i++] = pg_int(&t, e->reasoning_tokens);
	p[i++] = pg_int(&t, e->cached_tokens);
	p[i++] = pg_int(&t, e->cost);
	p[i++] = e->cost_text;
	p[i++] = pg_int(&t, e->reserved);
	p[i++] = pg_int(&t, e->estimated);
	p[i++] = e->http_status != 0 ? pg_int(&t, e->http_status) : NULL;
	p[i++] = e->outcome;
	p[i++] = e->reason;
	p[i++] = pg_double(&t, e->latency_ms);
	p[i++] = pg_double(&t, e->ttfb_ms);
	p[i++] = pg_int(&t, e->client_pid);
	p[i++] = e->client_exe;
	p[i++] = pg_int(&t, e->count > 0 ? e->count : 1);
	if (ledger_pg_exec(l, pg_insert_sql, i, p, &res, "insert a request", err) != 0)
		return -1;
	if (PQntuples(res) == 1)
		e->id = ledger_pg_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static int
pg_admit(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err)
{
	return pg_insert(ledger_pg_of(l), e, "open", err);
}

static int
pg_refuse(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err)
{
	return pg_insert(ledger_pg_of(l), e, "refused", err);
}

static int
pg_note_generation(
    struct ora_ledger *base, int64_t id, const char *generation_id, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	struct pg_ints t = {.n = 0};
	const char *p[] = {l->host, pg_int(&t, id), generation_id};

	if (pg_writable(l, err) != 0)
		return -1;
	return ledger_pg_exec(l, "UPDATE requests SET generation_id = $3 WHERE host = $1 AND id = $2",
	    3, p, NULL, "note a generation", err);
}

static int
pg_settle(struct ora_ledger *base, const struct ora_ledger_entry *e, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	struct pg_ints t = {.n = 0};
	const char *p[] = {l->host, pg_int(&t, e->id), pg_int(&t, e->settled_ms),
	    e->state != NULL ? e->state : "settled", e->model_served, e->provider, e->generation_id,
	    pg_int(&t, e->prompt_tokens), pg_int(&t, e->completion_tokens),
	    pg_int(&t, e->reasoning_tokens), pg_int(&t, e->cached_tokens), pg_int(&t, e->cost),
	    e->cost_text, pg_int(&t, e->estimated),
	    e->http_status != 0 ? pg_int(&t, e->http_status) : NULL, e->outcome, e->reason,
	    pg_double(&t, e->latency_ms), pg_double(&t, e->ttfb_ms)};

	if (pg_writable(l, err) != 0)
		return -1;
	/* Only an open row settles: a settlement sent twice changes nothing. */
	return ledger_pg_exec(l,
	    "UPDATE requests SET settled_ms = $3, state = $4, model_served = $5, provider = $6,"
	    " generation_id = COALESCE($7, generation_id), prompt_tokens = $8,"
	    " completion_tokens = $9, reasoning_tokens = $10, cached_tokens = $11, cost_pico = $12,"
	    " cost_text = $13, estimated = $14, http_status = $15, outcome = $16, reason = $17,"
	    " latency_ms = $18, ttfb_ms = $19 WHERE host = $1 AND id = $2 AND state = 'open'",
	    (int)(sizeof(p) / sizeof(p[0])), p, NULL, "settle a request", err);
}

static int
pg_reconciled(struct ora_ledger *base, int64_t id, ora_pico cost, const char *cost_text,
    int64_t prompt_tokens, int64_t completion_tokens, int64_t reasoning_tokens,
    const char *model, int estimated, const char *reason, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	struct pg_ints t = {.n = 0};
	const char *p[] = {l->host, pg_int(&t, id), pg_int(&t, ora_wall_ms()), pg_int(&t, cost),
	    cost_text, pg_int(&t, prompt_tokens), pg_int(&t, completion_tokens),
	    pg_int(&t, reasoning_tokens), model, pg_int(&t, estimated), reason};

	if (pg_writable(l, err) != 0)
		return -1;
	return ledger_pg_exec(l,
	    "UPDATE requests SET state = 'settled', settled_ms = $3, cost_pico = $4, cost_text = $5,"
	    " prompt_tokens = GREATEST(prompt_tokens, $6), completion_tokens ="
	    " GREATEST(completion_tokens, $7), reasoning_tokens = GREATEST(reasoning_tokens, $8),"
	    " model_served = COALESCE($9, model_served), estimated = $10,"
	    " reason = COALESCE($11, reason)"
	    " WHERE host = $1 AND id = $2 AND state IN ('open', 'unsettled')",
	    (int)(sizeof(p) / sizeof(p[0])), p, NULL, "reconcile a request", err);
}

static int
pg_audit(struct ora_ledger *base, uint32_t uid, const char *user, const char *action,
    const char *detail, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	struct pg_ints t = {.n = 0};
	const char *p[] = {l->host, pg_int(&t, ora_wall_ms()), pg_int(&t, uid), user, action, detail};

	if (pg_writable(l, err) != 0)
		return -1;
	return ledger_pg_exec(l,
	    "INSERT INTO audit (host, time_ms, uid, \"user\", action, detail)"
	    " VALUES ($1, $2, $3, $4, $5, $6)",
	    6, p, NULL, "audit", err);
}

/* This host's rows not yet settled: what its broker reconciles at start. */
static int
pg_each_unsettled(struct ora_ledger *base,
    void (*fn)(const struct ora_ledger_entry *e, void *arg), void *arg, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	const char *p[] = {l->host};
	PGresult *res;

	if (ledger_pg_exec(l,
	        "SELECT id, started_ms, state, uid, \"user\", cost_centre, key_name,"
	        " model_requested, generation_id, stream, reserved_pico, rule_line, rule_match, role"
	        " FROM requests WHERE host = $1 AND state IN ('open', 'unsettled') ORDER BY id",
	        1, p, &res, "list unsettled", err) != 0)
		return -1;
	for (int r = 0; r < PQntuples(res); r++) {
#define TEXT(c) (PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c))
		struct ora_ledger_entry e = {
		    .id = ledger_pg_int(res, r, 0),
		    .started_ms = ledger_pg_int(res, r, 1),
		    .state = TEXT(2),
		    .uid = (uint32_t)ledger_pg_int(res, r, 3),
		    .user = TEXT(4),
		    .cost_centre = TEXT(5),
		    .key_name = TEXT(6),
		    .model_requested = TEXT(7),
		    .generation_id = TEXT(8),
		    .stream = (int)ledger_pg_int(res, r, 9),
		    .reserved = ledger_pg_int(res, r, 10),
		    .rule_line = (int)ledger_pg_int(res, r, 11),
		    .rule_match = TEXT(12),
		    .role = TEXT(13),
		};
#undef TEXT
		fn(&e, arg);
	}
	PQclear(res);
	return 0;
}

/* Generation ids are OpenRouter's, unique across hosts. */
static int
pg_find_generation(struct ora_ledger *base, uint32_t uid, const char *user,
    const char *generation_id, void (*fn)(const struct ora_ledger_entry *e, void *arg), void *arg,
    int *found, struct ora_error *err)
{
	struct ledger_pg *l = ledger_pg_of(base);
	struct pg_ints t = {.n = 0};
	const char *p[] = {user, pg_int(&t, uid), generation_id};
	PGresult *res;

	*found = 0;
	if (ledger_pg_exec(l,
	        "SELECT id, started_ms, state, model_requested, model_served, provider,"
	        " prompt_tokens, completion_tokens, reasoning_tokens, cost_pico, estimated, outcome,"
	        " latency_ms, stream, cost_centre FROM requests WHERE \"user\" = $1 AND uid = $2"
	        " AND generation_id = $3 ORDER BY started_ms DESC, id DESC LIMIT 1",
	        3, p, &res, "find a generation", err) != 0)
		return -1;
	if (PQntuples(res) == 1) {
#define TEXT(c) (PQgetisnull(res, 0, c) ? NULL : PQgetvalue(res, 0, c))
		struct ora_ledger_entry e = {
		    .id = ledger_pg_int(res, 0, 0),
		    .started_ms = ledger_pg_int(res, 0, 1),
		    .state = TEXT(2),
		    .uid = uid,
		    .user = user,
		    .generation_id = generation_id,
		    .model_requested = TEXT(3),
		    .model_served = TEXT(4),
		    .provider = TEXT(5),
		    .prompt_tokens = ledger_pg_int(res, 0, 6),
		    .completion_tokens = ledger_pg_int(res, 0, 7),
		    .reasoning_tokens = ledger_pg_int(res, 0, 8),
		    .cost = ledger_pg_int(res, 0, 9),
		    .estimated = (int)ledger_pg_int(res, 0, 10),
		    .outcome = TEXT(11),
		    .latency_ms = PQgetisnull(res, 0, 12) ? 0.0 : strtod(PQgetvalue(res, 0, 12), NULL),
		    .stream = (int)ledger_pg_int(res, 0, 13),
		    .cost_centre = TEXT(14),
		};
#undef TEXT
		*found = 1;
		fn(&e, arg);
	}
	PQclear(res);
	return 0;
}

/* Nothing waits in a local log: every write is in the database when its
 * call returns. */
static int
pg_unfolded(struct ora_ledger *l, uint64_t *writes, struct ora_error *err)
{
	*writes = 0;
	return 0;
}

const struct ledger_backend ledger_pg_backend = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.commit = pg_commit,
	.dirty = pg_dirty,
	.fold_due = pg_fold_due,
	.pending = pg_pending,
	.admit = pg_admit,
	.note_generation = pg_note_generation,
	.settle = pg_settle,
	.reconciled = pg_reconciled,
	.refuse = pg_refuse,
	.audit = pg_audit,
	.each_unsettled = pg_each_unsettled,
	.find_generation = pg_find_generation,
	.spent = ledger_pg_spent,
	.unfolded = pg_unfolded,
	.schema_version = ledger_pg_schema_version,
	.prune = ledger_pg_prune,
	.prune_preview = ledger_pg_prune_preview,
	.counts = ledger_pg_counts,
	.read_begin = ledger_pg_read_begin,
	.read_end = ledger_pg_read_end,
	.extent = ledger_pg_extent,
	.report = ledger_pg_report,
	.audit_each = ledger_pg_audit_each,
};
