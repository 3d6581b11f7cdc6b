#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Two brokers (hosts alpha and beta) share one PostgreSQL ledger
# (lib_pg.sh), one mock upstream and a cost-centre budget:
#   - /api/v1/usage on alpha shows the budget's spend on alpha and, as
#     "organisation", across both hosts, equal to the shared budget row and
#     to what the mock billed; orask usage and oractl explain show both;
#   - a client that hangs up while its request waits for the shared
#     budget's reservation (held back by a row lock a psql session keeps
#     on the budget row), and another queued behind it: nothing reaches the
#     upstream, their local rows settle at $0, the holds the reservations
#     took anyway are released once the lock goes (nothing stays reserved),
#     the shared ledger equals the mock's billing, and the broker serves
#     others throughout (a request without a budget while the lock is held,
#     one with a budget after).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK" "$ORASK"
is_root || skip_all "needs root to create the users that run PostgreSQL and make requests"
pg_start
start_mock
make_daemon_user
add_user u money
add_user free

CONF_EXTRA="ledger = { backend = \"postgresql\"; conninfo = \"$(pg_conninfo)\"; host_name = \"alpha\"; password_key = \"ledger-db\"; };"
CONF_CENTRES="  pool = { key = \"dev\"; budget = { usd = 10.0; period = \"monthly\"; }; };
  dev = { key = \"dev\"; };"
write_conf "  { group = \"${PFX}money\"; role = \"worker\"; cost_centre = \"pool\"; },
  { everyone = true; role = \"worker\"; cost_centre = \"dev\"; }" "
  worker = {
    models = [ \"openai/gpt-4o-mini\" ];
    default_model = \"openai/gpt-4o-mini\";
    max_tokens = 1000;
    requests_per_minute = 100000;
    concurrent_requests = 100;
  };"
printf '%s\n' "$PG_PASSWORD" | "$ORACTL" -c "$CONF" init --ledger-password >"$T/oractl.out" 2>&1 ||
	{ cat "$T/oractl.out"; exit 1; }
printf '%s\n' "$KEY_DEV" | "$ORACTL" -c "$CONF" key add dev >>"$T/oractl.out" 2>&1 ||
	{ cat "$T/oractl.out"; exit 1; }

# Host beta: a copy of the keystore, its own socket, state and name.
cp -a "$STATE" "$T/state-beta"
rm -f "$T/state-beta"/ledger.db*
sed -e "s|$SOCK|$T/beta.sock|" -e "s|state_dir = \"$STATE\"|state_dir = \"$T/state-beta\"|" \
	-e 's|host_name = "alpha"|host_name = "beta"|' "$CONF" >"$T/beta.conf"
start_orad
SOCK_A=$SOCK
"$ORAD" -f -c "$T/beta.conf" 2>>"$T/orad-beta.log" &
PIDS="$PIDS $!"
wait_until 30 sh -c "[ -S '$T/beta.sock' ] && curl -s --unix-socket '$T/beta.sock' -o /dev/null http://localhost/api/v1/me" ||
	{ echo "orad beta did not start"; cat "$T/orad-beta.log"; exit 1; }

BODY='{"messages":[{"role":"user","content":"a question on a shared budget"}]}'
pool_sql() { pg_sql "SELECT $1 FROM budget_usage WHERE scope = 'cost_centre' AND name = 'pool'"; }
all_settled() {
	[ "$(pg_sql "SELECT count(*) FROM requests WHERE state IN ('open','unsettled')")" = 0 ] &&
		[ "$(pg_sql "SELECT count(*) FROM budget_holds WHERE NOT settled")" = 0 ]
}
# shared_vs_mock: every generation the mock billed is in the shared ledger
# once, at the mock's cost; the totals agree exactly; and the pool's
# shared row has spent exactly its rows' costs and holds nothing.
shared_vs_mock() {
	[ "$(pool_sql reserved_pico)" = 0 ] &&
		[ "$(pool_sql spent_pico)" = "$(pg_sql "SELECT sum(cost_pico) FROM requests WHERE cost_centre = 'pool'")" ] &&
		pg_shared_vs_mock
}

# --- /api/v1/usage across hosts -------------------------------------------
check "alpha serves 2 requests on the pool" [ "$(as_req u POST /api/v1/chat/completions "$BODY")$(as_req u POST /api/v1/chat/completions "$BODY")" = 200200 ]
SOCK=$T/beta.sock
check "beta serves 1" [ "$(as_req u POST /api/v1/chat/completions "$BODY")" = 200 ]
SOCK=$SOCK_A
check "every row and hold is settled in the shared ledger" wait_until 30 all_settled
check "  ... the shared ledger equals the mock's billing" shared_vs_mock
org_spent=$(pool_sql spent_pico)
alpha_spent=$(pg_sql "SELECT sum(cost_pico) FROM requests WHERE host = 'alpha' AND cost_centre = 'pool'")
# pool_usage PYEXPR: evaluate on the pool's entry of alpha's /api/v1/usage for u.
pool_usage() {
	as_req u GET /api/v1/usage >/dev/null
	json "$T/out" "[b for b in d['budgets'] if b['name'] == 'pool'][0]$1"
}
org_caught_up() { [ "$(pool_usage "['organisation']['spent_pico']" 2>/dev/null)" = "$org_spent" ]; }
check "/api/v1/usage on alpha: the pool across all hosts is the shared row [$org_spent]" \
	wait_until 30 org_caught_up
check "  ... its own figure is alpha's part [$alpha_spent]" [ "$(pool_usage "['spent_pico']")" = "$alpha_spent" ]
check "  ... which is less than the whole" [ "$alpha_spent" -lt "$org_spent" ]
check "  ... nothing reserved anywhere" [ "$(pool_usage "['organisation']['reserved_pico']")" = 0 ]
check "  ... what remains is the limit less every host's spend" \
	[ "$(pool_usage "['organisation']['remaining_pico']")" = $((10000000000000 - org_spent)) ]
check "  ... dated" [ "$(pool_usage "['organisation']['as_of'][-1]")" = Z ]
check "  ... and the answer names the host" [ "$(json "$T/out" 'd["host"]')" = alpha ]
ORASK_USERS=$(orask_for_users)
as u env ORA_SOCKET="$SOCK_A" "$ORASK_USERS" usage >"$T/orask.out" 2>"$T/orask.err"
sed 's/^/# /' "$T/orask.out" "$T/orask.err"
check "orask usage shows the pool with a THIS HOST column" grep -q "THIS HOST" "$T/orask.out"
check "  ... and says the figures are every host's" grep -q "shared by every host" "$T/orask.err"
"$ORACTL" -c "$CONF" explain "${PFX}u" >"$T/explain.out" 2>&1
sed -n '/^budgets/,$s/^/# /p' "$T/explain.out"
check "oractl explain shows the pool across all hosts" grep -q "(all hosts)" "$T/explain.out"

# --- a client hangs up while its reservation waits -------------------------
# A psql session locks the pool's budget row, so ora_budget_reserve waits.
mkfifo "$T/lock.fifo"
PGPASSWORD=$PG_PASSWORD psql -X -q -h "$PGSOCK" -U "$PG_USER" -d ora <"$T/lock.fifo" >"$T/lock.out" 2>&1 &
LOCK_PID=$!
exec 3>"$T/lock.fifo"
echo "BEGIN; SELECT 1 FROM budget_usage WHERE scope = 'cost_centre' AND name = 'pool' FOR UPDATE;" >&3
row_locked() { [ "$(pg_sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'budget_usage' AND l.mode = 'RowShareLock' AND l.granted")" = 1 ]; }
check "a psql session holds the pool's budget row" wait_until 30 row_locked
mock_get /mock/requests "$T/before.json"
before=$(json "$T/before.json" 'len(d["data"])')
first_id=$(ledger_sql "SELECT coalesce(max(id), 0) FROM requests")
# client WORDS: a request from u on alpha, in the background; its pid in $!.
client() {
	setpriv --reuid="${PFX}u" --regid="$(id -g "${PFX}u")" --init-groups -- \
		curl -sS --unix-socket "$SOCK_A" -H 'Content-Type: application/json' \
		-d "{\"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]}" -o /dev/null \
		http://localhost/api/v1/chat/completions 2>/dev/null &
}
client "hangup canary waiting"
WAITING=$!
reserving() { [ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%ora_budget_reserve%' AND wait_event_type = 'Lock'")" = 1 ]; }
check "its reservation waits on the lock in PostgreSQL" wait_until 30 reserving
client "hangup canary queued"
QUEUED=$!
two_open() { [ "$(ledger_sql "SELECT count(*) FROM requests WHERE id > $first_id AND state = 'open'")" = 2 ]; }
check "  ... a second request is on record behind it" wait_until 30 two_open
SOCK=$T/beta.sock
s=$(as_req free POST /api/v1/chat/completions "$BODY")
SOCK=$SOCK_A
check "  ... meanwhile a request without a budget is served [$s]" [ "$s" = 200 ]
s=$(as_req free GET /api/v1/me)
check "  ... and alpha answers too [$s]" [ "$s" = 200 ]
kill -9 "$WAITING" "$QUEUED"
wait "$WAITING" "$QUEUED" 2>/dev/null
none_open() { [ "$(ledger_sql "SELECT count(*) FROM requests WHERE id > $first_id AND state IN ('open', 'unsettled')")" = 0 ]; }
check "both clients hang up: their local rows are settled" wait_until 30 none_open
check "  ... at \$0" [ "$(ledger_sql "SELECT count(*) FROM requests WHERE id > $first_id AND cost_pico = 0 AND estimated = 0")" = 2 ]
echo "# local rows: $(ledger_sql "SELECT id || ':' || state || ':' || coalesce(outcome, '-') FROM requests WHERE id > $first_id" | tr '\n' ' ')"
echo "COMMIT;" >&3
exec 3>&-
wait "$LOCK_PID"
lock_rc=$?
check "the psql session commits and ends, releasing the lock [$lock_rc]" [ "$lock_rc" = 0 ]
check "every row and hold settles, nothing left reserved" wait_until 30 all_settled
hold_state=$(pg_sql "SELECT coalesce(string_agg(id || ':' || settled || ':' || reserved_pico, ' '), 'none') FROM budget_holds WHERE host = 'alpha' AND id > $first_id")
echo "# holds the hung-up requests took anyway: $hold_state"
check "  ... their rows reached the shared ledger at \$0" \
	[ "$(pg_sql "SELECT count(*) FROM requests WHERE host = 'alpha' AND id > $first_id AND cost_pico = 0 AND state NOT IN ('open', 'unsettled')")" = 2 ]
check "  ... the pool holds nothing, spent is its rows' costs, equal to the mock's billing" \
	wait_until 30 shared_vs_mock
mock_get /mock/requests "$T/after.json"
check "nothing of theirs reached the upstream" \
	[ "$(json "$T/after.json" 'sum("hangup canary" in json.dumps(r) for r in d["data"])')" = 0 ]
check "  ... nor anything else [$before]" [ "$(json "$T/after.json" 'len(d["data"])')" = $((before + 1)) ]
pool_ok() { [ "$(as_req u POST /api/v1/chat/completions "$BODY")" = 200 ]; }
check "alpha serves a request on the pool again" wait_until 30 pool_ok
check "  ... and it settles in the shared ledger, exact" wait_until 30 all_settled
check "  ... equal to the mock's billing" wait_until 30 shared_vs_mock

finish
