#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Two brokers (hosts alpha and beta: their own state directories, sockets
# and ledgers) ship their rows to one PostgreSQL ledger, started by the test
# (lib_pg.sh), while they serve real users against one mock upstream:
#   - every generation the mock billed is in the shared ledger once, with
#     the mock's cost to the picodollar, and `oractl report --by host`
#     shows both hosts;
#   - a broker killed -9 and restarted ships nothing twice;
#   - while the database is stopped the brokers serve on, and every row
#     that waited arrives once it is back;
#   - `oractl audit` shows what oractl did on every host, with a HOST
#     column; --host keeps one host's;
#   - each broker's own audit entries (reloads, accepted and rejected)
#     reach the shared trail once: an admin's workstation, with no broker
#     and no local ledger, sees both hosts' with the right HOST, still once
#     after a broker killed -9 (even one that sends them again) and after
#     the database was stopped between a reload and its shipping.
# Budgets shared across hosts: test_ledger_pg_budget.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
is_root || skip_all "needs root to create the users that run PostgreSQL and make requests"
pg_start
start_mock
make_daemon_user
add_user alice

CONF_EXTRA="ledger = { backend = \"postgresql\"; conninfo = \"$(pg_conninfo)\"; host_name = \"alpha\"; password_key = \"ledger-db\"; };"
write_conf '{ everyone = true; role = "basic"; cost_centre = "dev"; }'
printf '%s\n' "$PG_PASSWORD" | "$ORACTL" -c "$CONF" init --ledger-password >"$T/oractl.out" 2>&1 ||
	{ cat "$T/oractl.out"; exit 1; }
printf '%s\n' "$KEY_DEV" | "$ORACTL" -c "$CONF" key add dev >>"$T/oractl.out" 2>&1 &&
	printf '%s\n' "$KEY_PROD" | "$ORACTL" -c "$CONF" key add prod >>"$T/oractl.out" 2>&1 ||
	{ cat "$T/oractl.out"; exit 1; }

# Host beta: a copy of the keystore (same master key), its own socket,
# state directory and name.
cp -a "$STATE" "$T/state2"
CONF2=$T/ora2.conf
sed -e "s|$SOCK|$T/ora2.sock|" -e "s|state_dir = \"$STATE\"|state_dir = \"$T/state2\"|" \
	-e 's|host_name = "alpha"|host_name = "beta"|' "$CONF" >"$CONF2"

start_orad
SOCK_A=$SOCK
start_beta() {
	"$ORAD" -f -c "$CONF2" 2>>"$T/orad2.log" &
	BETA_PID=$!
	PIDS="$PIDS $BETA_PID"
	wait_until 30 sh -c "[ -S '$T/ora2.sock' ] && curl -s --unix-socket '$T/ora2.sock' -o /dev/null http://localhost/api/v1/me" ||
		{ echo "orad beta did not start"; cat "$T/orad2.log"; exit 1; }
}
start_beta

# requests HOST_SOCKET N: N chat requests as alice; prints how many got 200.
requests() {
	SOCK=$1
	good=0
	for i in $(seq "$2"); do
		[ "$(as_req alice POST /api/v1/chat/completions "$CHAT")" = 200 ] && good=$((good + 1))
	done
	SOCK=$SOCK_A
	echo "$good"
}

# shared_settled N: the shared ledger has N settled rows.
shared_settled() { [ "$(pg_sql "SELECT count(*) FROM requests WHERE state = 'settled'")" = "$1" ]; }


check "alpha serves 8 requests" [ "$(requests "$SOCK_A" 8)" = 8 ]
check "beta serves 6 requests" [ "$(requests "$T/ora2.sock" 6)" = 6 ]
check "all 14 rows reach the shared ledger, settled" wait_until 30 shared_settled 14
check "  ... each billed generation once, at the mock's cost" pg_shared_caught_up
check "  ... from both hosts" [ "$(pg_sql "SELECT string_agg(host || '=' || n, ' ' ORDER BY host) FROM (SELECT host, count(*) n FROM requests GROUP BY host) h")" = "alpha=8 beta=6" ]
"$ORACTL" -c "$CONF" report --period all --by host --format csv >"$T/hosts.csv" 2>"$T/report.err"
check "oractl report --by host shows alpha's 8 requests" grep -q '^alpha,[0-9.]*,8,' "$T/hosts.csv"
check "  ... and beta's 6" grep -q '^beta,[0-9.]*,6,' "$T/hosts.csv"

# oractl on beta records its actions as beta's; alpha reads them all.
printf '%s\n' "$KEY_PROD" | "$ORACTL" -c "$CONF2" key add prod2 >>"$T/oractl.out" 2>&1

# shared_reloads HOST N: the shared trail has N reloads of HOST's broker.
shared_reloads() { [ "$(pg_sql "SELECT count(*) FROM audit WHERE host = '$1' AND action = 'reload'")" = "$2" ]; }
# reload_both HOST PID CONF N: SIGHUP the broker with its configuration as
# it is (accepted), then broken (rejected), then put back; N reloads of
# HOST's are then in the shared trail, which is how each is known done.
reload_both() {
	kill -HUP "$2"
	wait_until 30 shared_reloads "$1" $(($4 - 1)) || return 1
	cp "$3" "$3.good"
	echo 'this is not a configuration' >>"$3"
	kill -HUP "$2"
	wait_until 30 shared_reloads "$1" "$4"
	rc=$?
	cp "$3.good" "$3"
	return $rc
}
check "alpha's broker ships a SIGHUP reload, then a rejected one" reload_both alpha "$ORAD_PID" "$CONF" 2
check "  ... and beta's" reload_both beta "$BETA_PID" "$CONF2" 2

# An admin's workstation: the database only, no broker, no local ledger,
# the password from libpq's environment.
mkdir -p "$T/admin-state"
sed -e "s|state_dir = \"$STATE\"|state_dir = \"$T/admin-state\"|" \
	-e 's|password_key = "ledger-db";||' -e 's|host_name = "alpha"|host_name = "desk"|' \
	"$CONF" >"$T/admin.conf"
# admin_audit NAME: oractl audit from the workstation into $T/NAME.out.
admin_audit() {
	PGPASSWORD=$PG_PASSWORD "$ORACTL" -c "$T/admin.conf" audit >"$T/$1.out" 2>&1
	sed 's/^/# /' "$T/$1.out"
}
# reloads FILE HOST KIND: how many reloads of HOST (KIND accepted or
# rejected) an audit listing shows.
reloads() { grep -cE "^[-0-9]+ [:0-9]+  $2 +0  \(SIGHUP\) +reload +$3" "$1"; }
admin_audit admin
check "from a workstation, oractl audit shows alpha's accepted reload once" [ "$(reloads "$T/admin.out" alpha accepted)" = 1 ]
check "  ... and its rejected one once" [ "$(reloads "$T/admin.out" alpha rejected)" = 1 ]
check "  ... and beta's accepted reload once" [ "$(reloads "$T/admin.out" beta accepted)" = 1 ]
check "  ... and its rejected one once" [ "$(reloads "$T/admin.out" beta rejected)" = 1 ]
check "  ... beside what oractl did on both hosts" grep -qE '  beta +[0-9]+  .*key add  .*prod2' "$T/admin.out"
"$ORACTL" -c "$CONF" audit >"$T/audit.out" 2>&1
sed 's/^/# /' "$T/audit.out"
check "oractl audit has a HOST column" grep -q '^TIME  *HOST  *UID  *WHO' "$T/audit.out"
check "  ... with alpha's key add" grep -qE '^[-0-9]+ [:0-9]+  alpha  .*key add  .*dev' "$T/audit.out"
check "  ... and beta's" grep -qE '^[-0-9]+ [:0-9]+  beta   .*key add  .*prod2' "$T/audit.out"
"$ORACTL" -c "$CONF" audit --host beta >"$T/audit-beta.out" 2>&1
check "  ... and on alpha's host, alpha's reloads once each, as from anywhere" \
	[ "$(reloads "$T/audit.out" alpha accepted) $(reloads "$T/audit.out" alpha rejected)" = "1 1" ]
check "oractl audit --host beta shows beta's entry" grep -q 'prod2' "$T/audit-beta.out"
check "  ... and none of alpha's" [ "$(grep -c '  alpha  ' "$T/audit-beta.out")" = 0 ]
grep -v '^ledger = ' "$CONF" >"$T/one-host.conf"
"$ORACTL" -c "$T/one-host.conf" audit --host beta >"$T/audit-one.out" 2>&1
rc=$?
check "on a one-host ledger, --host is refused as a usage error [$rc]" [ "$rc" = 2 ]
check "  ... saying it needs a shared ledger" grep -q 'needs a ledger shared by several hosts' "$T/audit-one.out"

# kill -9 beta right after a reload and start it again: nothing is
# shipped twice, nothing lost.
kill -HUP "$BETA_PID"
# local_reloads DIR N: N reloads are in the broker's own ledger in DIR.
# local_sql DIR SQL: one value from the broker's own ledger in DIR.
local_sql() {
	"$PY3" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute(sys.argv[2]).fetchone())
db.commit()' "$1/ledger.db" "$2"
}
local_reloads() { [ "$(local_sql "$1" "SELECT count(*) FROM audit WHERE action = 'reload'")" = "($2,)" ]; }
wait_until 30 local_reloads "$T/state2" 3
kill -9 "$BETA_PID"
wait "$BETA_PID" 2>/dev/null
start_beta
check "beta's reload before its kill -9 is in the shared trail once" wait_until 30 shared_reloads beta 3
# As if beta had died between the database's answer and its record of it:
# the next start sends every entry again; the database adds none.
kill -9 "$BETA_PID"
wait "$BETA_PID" 2>/dev/null
check "  ... and beta had recorded them shipped" [ "$(local_sql "$T/state2" "SELECT value FROM meta WHERE key = 'audit_shipped_id'")" = "('3',)" ]
local_sql "$T/state2" "DELETE FROM meta WHERE key = 'audit_shipped_id'" >/dev/null
for f in "$T/state2/ledger.db-wal" "$T/state2/ledger.db-shm"; do
	[ -e "$f" ] && chown --reference="$T/state2/ledger.db" "$f"
done
start_beta
kill -HUP "$BETA_PID"
check "  ... sent again after a restart, beta's 3 earlier reloads are still once each" \
	wait_until 30 shared_reloads beta 4
check "  ... every shipped entry once by its local id" \
	[ "$(pg_sql "SELECT count(*) FROM audit WHERE local_id IS NOT NULL")" = "$(pg_sql "SELECT count(DISTINCT (host, local_id)) FROM audit WHERE local_id IS NOT NULL")" ]
check "beta, restarted after kill -9, serves 3 more" [ "$(requests "$T/ora2.sock" 3)" = 3 ]
check "  ... the shared ledger has 17 settled rows" wait_until 30 shared_settled 17
check "  ... each generation once" pg_shared_caught_up

# kill -9 beta with 6 requests in flight: their open rows are in the
# shared ledger before their answers end (shipped while in flight); after
# the restart beta reconciles them through /generation and ships the
# settled versions over the open ones: each billed once, none twice.
mock_post /mock/faults '{"times":0,"pause_after_events":1,"whitespace_prefix":true}'
CLIENTS=""
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) -eq 0 ]; then stream=true; else stream=false; fi
	as alice curl -sS -N --unix-socket "$T/ora2.sock" -m 30 -H 'Content-Type: application/json' \
		-d "{\"stream\":$stream,\"messages\":[{\"role\":\"user\",\"content\":\"in flight $i\"}]}" \
		-o /dev/null http://localhost/api/v1/chat/completions 2>/dev/null &
	CLIENTS="$CLIENTS $!"
done
beta_open() { [ "$(pg_sql "SELECT count(*) FROM requests WHERE host = 'beta' AND state = 'open' AND generation_id IS NOT NULL")" = 6 ]; }
check "6 requests in flight on beta are in the shared ledger, open, named" wait_until 30 beta_open
kill -9 "$BETA_PID"
wait "$BETA_PID" 2>/dev/null
for c in $CLIENTS; do wait "$c"; done
mock_post /mock/resume '{}'
curl -sS -X DELETE "$MOCK_URL/mock/faults" >/dev/null # the records stay: pg_shared_vs_mock
mock_idle() { mock_get /mock/stats "$T/stats.json" && [ "$(json "$T/stats.json" 'd["active_streams"]')" = 0 ]; }
check "  ... the mock finished them" wait_until 20 mock_idle
start_beta
beta_settled() { [ "$(pg_sql "SELECT count(*) FROM requests WHERE host = 'beta' AND state IN ('open', 'unsettled')")" = 0 ]; }
check "  ... after beta's restart they are settled in the shared ledger" wait_until 60 beta_settled
check "  ... 23 settled rows in all" wait_until 30 shared_settled 23
check "  ... each generation once, at the mock's cost" pg_shared_caught_up

# The database goes away: the brokers serve on; the rows wait and arrive.
pg_pause
check "with the database stopped, alpha serves 4" [ "$(requests "$SOCK_A" 4)" = 4 ]
check "  ... and beta 2" [ "$(requests "$T/ora2.sock" 2)" = 2 ]
check "  ... and alpha logs that rows wait" wait_until 30 grep -q "cannot ship rows to PostgreSQL" "$T/orad.log"
kill -HUP "$ORAD_PID"
check "  ... alpha reloads meanwhile, into its own ledger" wait_until 30 local_reloads "$STATE" 3
"$ORACTL" -c "$CONF" status >"$T/status.out" 2>&1
check "  ... oractl status says the 4 rows wait" grep -q "shared ledger (PostgreSQL): unreachable, 4 rows waiting" "$T/status.out"
check "  ... and alpha's reload" grep -q "shared ledger (PostgreSQL): 1 of orad's audit entries (reloads) waiting" "$T/status.out"
pg_resume
check "once it is back, all 29 rows arrive" wait_until 30 shared_settled 29
check "  ... each generation once, totals exact" pg_shared_caught_up
check "  ... alpha says it shipped what waited" grep -q "PostgreSQL is back" "$T/orad.log"
check "  ... with the reload made while the database was away" wait_until 30 shared_reloads alpha 3
admin_audit admin2
check "  ... which the workstation shows once: alpha 2 accepted, 1 rejected" \
	[ "$(reloads "$T/admin2.out" alpha accepted) $(reloads "$T/admin2.out" alpha rejected)" = "2 1" ]
check "  ... beta 3 accepted, 1 rejected" \
	[ "$(reloads "$T/admin2.out" beta accepted) $(reloads "$T/admin2.out" beta rejected)" = "3 1" ]

finish
