#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# The PostgreSQL ledger, against a real server the test starts (lib_pg.sh):
# `oractl init` seals the database password and creates the schema; a
# database of an older schema version is upgraded with every row kept, and
# the functions of the newest version (ora_budget_allow) work on it;
# a newer one is refused by init and by reports; a password in conninfo is
# refused by the configuration; reports and the audit trail read every
# host's rows (--by host); a broker's audit entry, keyed by its host and
# local id, is kept once however often it is sent, beside oractl's
# entries, which have no local id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

need_binaries "$ORACTL"
is_root || skip_all "needs root to create the user that runs PostgreSQL"
"$ORACTL" --version >/dev/null 2>&1 || true
pg_start

MOCK_URL=http://127.0.0.1:9 # oractl init and reports never reach it
make_daemon_user
ledger_conf() {
	CONF_EXTRA="ledger = { backend = \"postgresql\"; conninfo = \"$1\"; host_name = \"alpha\"; ${2:-password_key = \"ledger-db\";} };"
	write_conf '{ everyone = true; role = "basic"; cost_centre = "dev"; }'
}

# The configuration: no password in conninfo, an unknown backend named.
ledger_conf "$(pg_conninfo) password=$PG_PASSWORD"
"$ORACTL" -c "$CONF" check >"$T/check.out" 2>&1
check "a password in conninfo is refused" grep -q "conninfo holds a password" "$T/check.out"
check "  ... and the password is not echoed back" sh -c "! grep -q '$PG_PASSWORD' '$T/check.out'"
CONF_EXTRA='ledger = { backend = "oracle"; };'
write_conf '{ everyone = true; role = "basic"; cost_centre = "dev"; }'
"$ORACTL" -c "$CONF" check >"$T/check.out" 2>&1
check "an unknown backend is refused" grep -q 'backend "oracle" is not one ora knows' "$T/check.out"
CONF_EXTRA='ledger = { backend = "postgresql"; };'
write_conf '{ everyone = true; role = "basic"; cost_centre = "dev"; }'
"$ORACTL" -c "$CONF" check >"$T/check.out" 2>&1
check "postgresql without conninfo is refused" grep -q 'needs conninfo' "$T/check.out"

# init without the password: the server refuses, and init says so.
ledger_conf "$(pg_conninfo)" " "
"$ORACTL" -c "$CONF" init >"$T/init0.out" 2>&1
check "init without a password fails" [ $? -ne 0 ]
check "  ... naming the server's refusal" grep -q "password" "$T/init0.out"
rm -rf "$STATE" "$T/master.key"

# init with the password sealed: the schema is created.
ledger_conf "$(pg_conninfo)"
printf '%s\n' "$PG_PASSWORD" | "$ORACTL" -c "$CONF" init --ledger-password >"$T/init.out" 2>&1
check "init --ledger-password seals the password and creates the schema" \
	grep -q "schema version 4, created or upgraded" "$T/init.out"
check "  ... the password is sealed in the keystore" [ -s "$STATE/keys/ledger-db.key" ]
check "  ... and is nowhere in the configuration" sh -c "! grep -q '$PG_PASSWORD' '$CONF'"
check "  ... ora_meta says version 4" [ "$(pg_sql "SELECT value FROM ora_meta WHERE key = 'schema_version'")" = 4 ]
check "  ... with every table" [ "$(pg_sql "SELECT count(*) FROM pg_tables WHERE tablename IN ('requests','audit','pruned','budget_usage','ora_meta')")" = 5 ]
check "  ... and init is in the audit trail, from host alpha" \
	[ "$(pg_sql "SELECT host || ' ' || action FROM audit ORDER BY id LIMIT 1")" = "alpha init" ]
"$ORACTL" -c "$CONF" init >"$T/init2.out" 2>&1
check "init again: up to date" grep -q "schema version 4, up to date" "$T/init2.out"

# audit_once DB: a broker's entry sent twice is there once; oractl's,
# with no local id, any number of times.
audit_once() {
	for i in 1 2; do
		pg_sql_db "$1" "INSERT INTO audit (host, local_id, time_ms, uid, \"user\", action, detail) VALUES ('alpha', 7, 1, 0, '(SIGHUP)', 'reload', 'accepted') ON CONFLICT (host, local_id) DO NOTHING; INSERT INTO audit (host, local_id, time_ms, uid, \"user\", action, detail) VALUES ('beta', 7, 1, 0, '(SIGHUP)', 'reload', 'accepted') ON CONFLICT (host, local_id) DO NOTHING; INSERT INTO audit (host, time_ms, uid, action) VALUES ('alpha', 1, 0, 'test')"
	done
	n=$(pg_sql_db "$1" "SELECT string_agg(host || ':' || coalesce(local_id::text, '-') || '=' || n, ' ' ORDER BY host, local_id) FROM (SELECT host, local_id, count(*) n FROM audit WHERE time_ms = 1 GROUP BY 1, 2) a")
	pg_sql_db "$1" "DELETE FROM audit WHERE time_ms = 1"
	echo "# $1: $n"
	[ "$n" = "alpha:7=1 alpha:-=2 beta:7=1" ]
}
check "  ... a broker's audit entry sent twice is kept once, per host; oractl's have no local id" audit_once ora

# Rows of three hosts; reports see them all.
pg_sql "INSERT INTO requests (host, id, started_ms, settled_ms, state, uid, \"user\", cost_centre, key_name, model_requested, model_served, prompt_tokens, completion_tokens, cost_pico, reserved_pico, http_status, outcome)
 VALUES ('alpha', 1, 1767261600000, 1767261601000, 'settled', 1001, 'alice', 'dev', 'dev', 'openai/gpt-4o-mini', 'openai/gpt-4o-mini', 10, 20, 1500000000, 9000000000, 200, 'ok'),
        ('beta', 1, 1767261700000, 1767261701000, 'settled', 1002, 'bob', 'dev', 'dev', 'openai/gpt-4o-mini', 'openai/gpt-4o-mini', 10, 20, 2500000000, 9000000000, 200, 'ok'),
        ('gamma', 1, 1767261800000, NULL, 'open', 1002, 'bob', 'prod', 'prod', 'openai/gpt-4o-mini', NULL, 0, 0, 0, 7000000000, NULL, NULL)"
"$ORACTL" -c "$CONF" report --period all --by host --format csv >"$T/report.csv" 2>"$T/report.err"
check "report --by host runs on the PostgreSQL ledger" [ $? -eq 0 ]
check "  ... alpha's spend" grep -q '^alpha,0.0015,' "$T/report.csv"
check "  ... beta's spend" grep -q '^beta,0.0025,' "$T/report.csv"
check "  ... gamma's row is unsettled, reserved, not spend" grep -q '^gamma,0,' "$T/report.csv"
"$ORACTL" -c "$CONF" report --period all --by cost-centre --format json >"$T/report.json" 2>>"$T/report.err"
check "  ... the total is the organisation's" [ "$(json "$T/report.json" 'd["total"]["spend_usd"]')" = 0.004 ]
"$ORACTL" -c "$CONF" report --from 2026-01-01 --to 2026-01-01 --by day --format csv >"$T/day.csv" 2>>"$T/report.err"
check "  ... by day, in budgets.timezone" grep -q '^2026-01-01,0.004,' "$T/day.csv"
"$ORACTL" -c "$CONF" audit >"$T/audit.out" 2>&1
check "oractl audit reads the shared trail" grep -q "init" "$T/audit.out"
"$ORACTL" -c "$CONF" prune --before 2026-01-02 --dry-run >"$T/prune.out" 2>&1
check "prune --dry-run counts every host's rows and refuses the unsettled one" \
	grep -q "would prune 3 request rows.*refused now" "$T/prune.out"

# The previous schema version, upgraded in place by init.
pg_sql_db postgres "CREATE DATABASE ora_v1" >/dev/null
PGPASSWORD=$PG_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -U "$PG_USER" -d ora_v1 \
	-f "$top_srcdir/tests/integration/data/ledger-pg-v1.sql" >/dev/null
check "the fixture is schema version 1" \
	[ "$(pg_sql_db ora_v1 "SELECT value FROM ora_meta WHERE key = 'schema_version'")" = 1 ]
ledger_conf "$(pg_conninfo ora_v1)"
"$ORACTL" -c "$CONF" report --period all >"$T/old.out" 2>&1
check "a report on an older schema says to run init" grep -q "run \`oractl init\` to upgrade it" "$T/old.out"
"$ORACTL" -c "$CONF" init >"$T/up.out" 2>&1
check "init upgrades version 1 to 4" grep -q "schema version 4, created or upgraded" "$T/up.out"
check "  ... ora_meta says 4" [ "$(pg_sql_db ora_v1 "SELECT value FROM ora_meta WHERE key = 'schema_version'")" = 4 ]
check "  ... every row kept" [ "$(pg_sql_db ora_v1 "SELECT count(*) || ' ' || sum(cost_pico) FROM requests")" = "3 8000000000" ]
check "  ... the new tables are there" [ "$(pg_sql_db ora_v1 "SELECT count(*) FROM pg_tables WHERE tablename IN ('pruned','budget_usage')")" = 2 ]
check "  ... and the functions of the shared budgets and the allowance (versions 3 and 4)" \
	[ "$(pg_sql_db ora_v1 "SELECT count(*) FROM pg_proc WHERE proname IN ('ora_budget_reserve','ora_budget_settle','ora_budget_allow')")" = 3 ]
check "  ... and the audit trail's local ids (version 4), unique per host" audit_once ora_v1
# A delivery of holds admitted on an allowance (version 4), given twice as
# a broker that died before it learned of the first would: charged once,
# over the limit the database never saw.
pg_sql_db ora_v1 "SELECT ora_budget_reserve('alpha', 10, '{cost_centre}', '{dev}', '{0}', '{100}', 60)" >/dev/null
for i in 1 2; do
	pg_sql_db ora_v1 "SELECT ora_budget_allow('alpha', '{11,12,12}', '{cost_centre,cost_centre,user}', '{dev,dev,alice}', '{0,0,0}', '{70,80,80}')" >"$T/allow.$i"
done
check "  ... ora_budget_allow charges each hold once [$(cat "$T/allow.1") then $(cat "$T/allow.2")]" \
	[ "$(cat "$T/allow.1") $(cat "$T/allow.2")" = "3 0" ]
check "  ... whatever the limit: dev holds 60 + 70 + 80 reserved" \
	[ "$(pg_sql_db ora_v1 "SELECT reserved_pico FROM budget_usage WHERE scope = 'cost_centre' AND name = 'dev'")" = 210 ]
check "  ... the holds are marked as admitted on the allowance" \
	[ "$(pg_sql_db ora_v1 "SELECT count(*) FROM budget_holds WHERE allowance")" = 3 ]
pg_sql_db ora_v1 "DELETE FROM budget_holds; DELETE FROM budget_usage" >/dev/null
"$ORACTL" -c "$CONF" report --period all --by host --format csv >"$T/up.csv" 2>&1
check "  ... and reports read it: alpha" grep -q '^alpha,0.004,2,' "$T/up.csv"
check "  ... and beta" grep -q '^beta,0.004,1,' "$T/up.csv"

# A newer schema is refused, by init and by reports, and left alone.
pg_sql_db ora_v1 "UPDATE ora_meta SET value = '99' WHERE key = 'schema_version'"
"$ORACTL" -c "$CONF" init >"$T/new.out" 2>&1
check "init refuses a newer schema" grep -q "schema version 99, made by a newer ora" "$T/new.out"
"$ORACTL" -c "$CONF" report --period all >"$T/new2.out" 2>&1
check "  ... and so does report" grep -q "schema version 99, made by a newer ora" "$T/new2.out"
check "  ... which stays as it was" [ "$(pg_sql_db ora_v1 "SELECT value FROM ora_meta WHERE key = 'schema_version'")" = 99 ]

finish
