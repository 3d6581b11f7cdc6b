/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg_schema.c: the PostgreSQL ledger's schema, versioned.
 *
 * ora_meta's 'schema_version' says which version a database has. A
 * read-write open (oractl init) creates the schema in an empty database or
 * upgrades an older one, one step at a time, all in one transaction under
 * an advisory lock, so that two hosts upgrading at once do it once. Every
 * other open (reports, brokers) needs exactly the version it knows: an
 * older database is to be upgraded by `oractl init` first, and a newer one
 * is refused, since its columns may mean what this ora does not know.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ledger/ledger_pg.h"

/* Taken by the upgrading transaction (pg_advisory_xact_lock): the bytes
 * of "oraledgr". */
#define LEDGER_PG_UPGRADE_LOCK "7957889447235864178"

/* Version 1, as a database is created: everything that came later is an
 * upgrade, so a new database and an upgraded one are built the same way. */
static const char schema_v1[] =
    "CREATE TABLE ora_meta (key text PRIMARY KEY, value text NOT NULL);"
    "CREATE TABLE requests ("
    " host text NOT NULL, id bigint NOT NULL,"
    " started_ms bigint NOT NULL, settled_ms bigint, state text NOT NULL,"
    " uid bigint NOT NULL, \"user\" text NOT NULL, rule_line integer, rule_match text,"
    " role text, cost_centre text, key_name text,"
    " model_requested text, models_requested text, model_served text, provider text,"
    " generation_id text, stream integer NOT NULL DEFAULT 0,"
    " prompt_tokens bigint NOT NULL DEFAULT 0, completion_tokens bigint NOT NULL DEFAULT 0,"
    " reasoning_tokens bigint NOT NULL DEFAULT 0, cached_tokens bigint NOT NULL DEFAULT 0,"
    " cost_pico bigint NOT NULL DEFAULT 0, cost_text text,"
    " reserved_pico bigint NOT NULL DEFAULT 0, estimated integer NOT NULL DEFAULT 0,"
    " http_status integer, outcome text, reason text,"
    " latency_ms double precision, ttfb_ms double precision,"
    " client_pid integer, client_exe text, count bigint NOT NULL DEFAULT 1,"
    " PRIMARY KEY (host, id));"
    "CREATE INDEX requests_started ON requests (started_ms);"
    "CREATE INDEX requests_user ON requests (\"user\", started_ms);"
    "CREATE TABLE audit ("
    " id bigserial PRIMARY KEY, host text NOT NULL, time_ms bigint NOT NULL,"
    " uid bigint NOT NULL, \"user\" text, action text NOT NULL, detail text);"
    "INSERT INTO ora_meta (key, value) VALUES ('schema_version', '1');";

/* upgrades[v] takes a database from version v to v + 1 (upgrades[0] is
 * unused: version 0 is an empty database, which gets schema_v1). */
static const char *const upgrades[ORA_LEDGER_PG_SCHEMA_VERSION] = {
    [0] = NULL,
    /* 1 -> 2: what prune removed, so that reports over a pruned period can
     * say so; the shared budget counters of the brokers' admissions; the
     * rows a broker reconciles, found without a scan. */
    [1] = "CREATE TABLE pruned ("
          " id bigserial PRIMARY KEY, host text NOT NULL, time_ms bigint NOT NULL,"
          " uid bigint NOT NULL, before_ms bigint NOT NULL, rows bigint NOT NULL,"
          " cost_pico bigint NOT NULL);"
          "CREATE TABLE budget_usage ("
          " scope text NOT NULL, name text NOT NULL, period_start_ms bigint NOT NULL,"
          " spent_pico bigint NOT NULL DEFAULT 0, reserved_pico bigint NOT NULL DEFAULT 0,"
          " PRIMARY KEY (scope, name, period_start_ms),"
          " CHECK (spent_pico >= 0 AND reserved_pico >= 0));"
          "CREATE INDEX requests_unsettled ON requests (host, id)"
          " WHERE state IN ('open', 'unsettled');"
          /* The version of a row a broker shipped: an older copy that
           * arrives late never overwrites a newer one. */
          "ALTER TABLE requests ADD COLUMN rev bigint NOT NULL DEFAULT 1;",
    /* 2 -> 3: budgets that hold across hosts (ledger_pg_budget.c). A
     * hold is what one request of one host reserved on one budget row;
     * ora_budget_reserve takes all of a request's holds or none, each by a
     * conditional UPDATE that PostgreSQL's row lock serialises, so no
     * interleaving of hosts passes a limit. ora_budget_settle moves the
     * holds of a host's finished rows (as its shipper delivered them) from
     * reserved to spent, each once: a hold is settled in the same statement
     * that charges it. */
    [2] = "CREATE TABLE budget_holds ("
          " host text NOT NULL, id bigint NOT NULL, scope text NOT NULL, name text NOT NULL,"
          " period_start_ms bigint NOT NULL, reserved_pico bigint NOT NULL,"
          " settled boolean NOT NULL DEFAULT false,"
          " PRIMARY KEY (host, id, scope, name, period_start_ms));"
          "CREATE INDEX budget_holds_open ON budget_holds (host, id) WHERE NOT settled;"
          "CREATE FUNCTION ora_budget_reserve(p_host text, p_id bigint, p_scope text[],"
          " p_name text[], p_period bigint[], p_limit bigint[], p_amount bigint)"
          " RETURNS integer LANGUAGE plpgsql AS $f$"
          " DECLARE i integer;"
          " BEGIN"
          "  IF EXISTS (SELECT 1 FROM budget_holds WHERE host = p_host AND id = p_id) THEN"
          "   RETURN 0;"
          "  END IF;"
          "  BEGIN"
          "   FOR i IN 1 .. coalesce(array_length(p_scope, 1), 0) LOOP"
          "    INSERT INTO budget_usage (scope, name, period_start_ms)"
          "     VALUES (p_scope[i], p_name[i], p_period[i]) ON CONFLICT DO NOTHING;"
          "    UPDATE budget_usage SET reserved_pico = reserved_pico + p_amount"
          "     WHERE scope = p_scope[i] AND name = p_name[i] AND period_start_ms = p_period[i]"
          "     AND p_limit[i] - spent_pico - reserved_pico >= p_amount;"
          "    IF NOT FOUND THEN"
          "     RAISE EXCEPTION USING ERRCODE = 'OR402', MESSAGE = i::text;"
          "    END IF;"
          "    INSERT INTO budget_holds (host, id, scope, name, period_start_ms, reserved_pico)"
          "     VALUES (p_host, p_id, p_scope[i], p_name[i], p_period[i], p_amount);"
          "   END LOOP;"
          "  EXCEPTION WHEN SQLSTATE 'OR402' THEN"
          "   RETURN SQLERRM::integer;"
          "  END;"
          "  RETURN 0;"
          " END $f$;"
          "CREATE FUNCTION ora_budget_settle(p_host text) RETURNS bigint LANGUAGE sql AS $f$"
          " WITH s AS ("
          "  UPDATE budget_holds h SET settled = true FROM requests r"
          "  WHERE h.host = p_host AND NOT h.settled AND r.host = h.host AND r.id = h.id"
          "  AND r.state NOT IN ('open', 'unsettled')"
          "  RETURNING h.scope, h.name, h.period_start_ms, h.reserved_pico, r.cost_pico),"
          " a AS (SELECT scope, name, period_start_ms, sum(reserved_pico) AS r,"
          "  sum(cost_pico) AS c, count(*) AS n FROM s GROUP BY 1, 2, 3),"
          " u AS (UPDATE budget_usage b SET reserved_pico = b.reserved_pico - a.r,"
          "  spent_pico = b.spent_pico + a.c FROM a WHERE b.scope = a.scope"
          "  AND b.name = a.name AND b.period_start_ms = a.period_start_ms RETURNING a.n)"
          " SELECT coalesce(sum(n), 0)::bigint FROM u $f$;",
    /* 3 -> 4: holds admitted on a host's allowance while the database
     * was away (ledger.unavailable = "allowance", ledger_pg_budget.c),
     * delivered when it is back. They are charged unconditionally: the
     * host has already sent the requests, so the budget may go over, by
     * at most the allowance of each host (doc/design.md). A hold keyed
     * (host, id, scope, name, period) already there, delivered before or
     * reserved by ora_budget_reserve before its answer was lost, makes
     * the delivery do nothing: each is charged once. They then settle as
     * every hold does (ora_budget_settle). allowance marks them, so an
     * admin can see what was admitted blind. */
    [3] = "ALTER TABLE budget_holds ADD COLUMN allowance boolean NOT NULL DEFAULT false;"
          "CREATE FUNCTION ora_budget_allow(p_host text, p_id bigint[], p_scope text[],"
          " p_name text[], p_period bigint[], p_amount bigint[]) RETURNS bigint"
          " LANGUAGE sql AS $f$"
          " WITH i AS ("
          "  INSERT INTO budget_holds (host, id, scope, name, period_start_ms, reserved_pico,"
          "   allowance)"
          "  SELECT p_host, t.id, t.scope, t.name, t.period, t.amount, true"
          "  FROM unnest(p_id, p_scope, p_name, p_period, p_amount)"
          "   AS t(id, scope, name, period, amount)"
          "  ON CONFLICT DO NOTHING"
          "  RETURNING scope, name, period_start_ms, reserved_pico),"
          " a AS (SELECT scope, name, period_start_ms, sum(reserved_pico) AS r,"
          "  count(*) AS n FROM i GROUP BY 1, 2, 3),"
          " u AS (INSERT INTO budget_usage (scope, name, period_start_ms, reserved_pico)"
          "  SELECT scope, name, period_start_ms, r FROM a"
          "  ON CONFLICT (scope, name, period_start_ms) DO UPDATE"
          "  SET reserved_pico = budget_usage.reserved_pico + EXCLUDED.reserved_pico"
          "  RETURNING 1)"
          " SELECT coalesce((SELECT sum(n) FROM a), 0)::bigint $f$;"
          /* A broker's own audit entries (reloads), shipped from its
           * local ledger (ledger_pg_ship.c) with the id they have there:
           * an entry sent again (the broker died before it recorded that
           * the first copy arrived) meets this index and is not added
           * twice. oractl's entries, written here directly, have no
           * local id, and NULLs never collide. */
          "ALTER TABLE audit ADD COLUMN local_id bigint;"
          "CREATE UNIQUE INDEX audit_local ON audit (host, local_id);",
};

/* The version of the database: 0 when it has no ledger at all. */
static int
pg_version(struct ledger_pg *l, int *version, struct ora_error *err)
{
	PGresult *res;
	unsigned long v;
	int r = -1;

	*version = 0;
	if (ledger_pg_exec(l, "SELECT to_regclass('ora_meta') IS NOT NULL", 0, NULL, &res,
	        "look for the ledger", err) != 0)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	if (ledger_pg_exec(l, "SELECT value FROM ora_meta WHERE key = 'schema_version'", 0, NULL,
	        &res, "read the schema version", err) != 0)
		return -1;
	if (PQntuples(res) != 1 || ora_parse_ulong(PQgetvalue(res, 0, 0), 1000000, &v) != 0)
		ora_error_set(err, "ledger (postgresql): ora_meta has no schema version: is this "
		                   "database an ora ledger?");
	else {
		*version = (int)v;
		r = 0;
	}
	PQclear(res);
	return r;
}

int
ledger_pg_schema_version(struct ora_ledger *l, int *version, struct ora_error *err)
{
	return pg_version(ledger_pg_of(l), version, err);
}

static int
pg_refuse_newer(int version, struct ora_error *err)
{
	return ora_error_set(err,
	    "ledger (postgresql): the database has schema version %d, made by a newer ora; this "
	    "one knows up to version %d: upgrade ora on this host",
	    version, ORA_LEDGER_PG_SCHEMA_VERSION);
}

/* Create or upgrade, in one transaction under the advisory lock; the
 * version is read again under the lock, since another host may have
 * upgraded meanwhile. */
static int
pg_upgrade(struct ledger_pg *l, struct ora_error *err)
{
	char version_sql[128];
	int from, r = -1;

	if (ledger_pg_exec(l, "BEGIN", 0, NULL, NULL, "begin the upgrade", err) != 0)
		return -1;
	if (ledger_pg_exec(l, "SELECT pg_advisory_xact_lock(" LEDGER_PG_UPGRADE_LOCK ")", 0, NULL,
	        NULL, "lock for the upgrade", err) != 0 ||
	    pg_version(l, &from, err) != 0)
		goto out;
	if (from > ORA_LEDGER_PG_SCHEMA_VERSION) {
		pg_refuse_newer(from, err);
		goto out;
	}
	if (from == 0 && ledger_pg_exec(l, schema_v1, 0, NULL, NULL, "create the schema", err) != 0)
		goto out;
	for (int v = from > 0 ? from : 1; v < ORA_LEDGER_PG_SCHEMA_VERSION; v++)
		if (ledger_pg_exec(l, upgrades[v], 0, NULL, NULL, "upgrade the schema", err) != 0)
			goto out;
	snprintf(version_sql, sizeof(version_sql),
	    "UPDATE ora_meta SET value = '%d' WHERE key = 'schema_version'",
	    ORA_LEDGER_PG_SCHEMA_VERSION);
	if (ledger_pg_exec(l, version_sql, 0, NULL, NULL, "record the schema version", err) != 0)
		goto out;
	r = ledger_pg_exec(l, "COMMIT", 0, NULL, NULL, "commit the upgrade", err);
out:
	if (r != 0)
		ledger_pg_exec(l, "ROLLBACK", 0, NULL, NULL, "roll back", NULL);
	return r;
}

int
ledger_pg_schema(struct ledger_pg *l, struct ora_error *err)
{
	int version;

	if (pg_version(l, &version, err) != 0)
		return -1;
	if (version > ORA_LEDGER_PG_SCHEMA_VERSION)
		return pg_refuse_newer(version, err);
	if (version == ORA_LEDGER_PG_SCHEMA_VERSION)
		return 0;
	if (l->mode == ORA_LEDGER_READ_WRITE)
		return pg_upgrade(l, err);
	if (version == 0)
		return ora_error_set(err, "ledger (postgresql): the database has no ora ledger yet: "
		                          "run `oractl init` to create it");
	return ora_error_set(err,
	    "ledger (postgresql): the database has schema version %d, older than this ora's %d: "
	    "run `oractl init` to upgrade it",
	    version, ORA_LEDGER_PG_SCHEMA_VERSION);
}
