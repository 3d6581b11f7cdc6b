#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# PostgreSQL stopped for a few seconds in the middle of a load run, with
# both settings of ledger.unavailable at once: host alpha refuses, host
# beta has an allowance. Real users, real brokers, a real server
# (lib_pg.sh), one mock upstream.
#   - while it is away: on alpha a request with a budget is refused (503,
#     saying why), on beta it is admitted on the allowance until the
#     allowance is taken, then refused; requests without a budget are
#     served by both, throughout; oractl status says what waits;
#   - once it is back: the allowance's holds reach the database and are
#     charged (each once), every local row of both hosts is in the shared
#     ledger exactly once, the shared budget rows equal the rows' costs and
#     the mock's billing to the picodollar, and a budget that the allowance
#     took past its limit is over by no more than the allowance;
#   - a second outage: a broker killed -9 and restarted while the database
#     is away still charges the holds it admitted on its allowance.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
is_root || skip_all "needs root to create the users that run PostgreSQL and make requests"
pg_start
start_mock
make_daemon_user
for u in u0 u1 u2 u3; do add_user "$u" money; done
add_user tight tightg
add_user free

CONF_EXTRA="ledger = { backend = \"postgresql\"; conninfo = \"$(pg_conninfo)\"; host_name = \"alpha\"; password_key = \"ledger-db\"; unavailable = \"refuse\"; };"
# write_it TIGHT_USD: group money pays from a pool that this test never
# exhausts, tightg from a small budget, everyone else from dev (none).
write_it() {
	CONF_CENTRES="  pool = { key = \"dev\"; budget = { usd = 1000.0; period = \"monthly\"; }; };
  tight = { key = \"dev\"; budget = { usd = $1; period = \"monthly\"; }; };
  dev = { key = \"dev\"; };"
	write_conf "  { group = \"${PFX}money\"; role = \"worker\"; cost_centre = \"pool\"; },
  { group = \"${PFX}tightg\"; role = \"worker\"; cost_centre = \"tight\"; },
  { everyone = true; role = \"worker\"; cost_centre = \"dev\"; }" "
  worker = {
    models = [ \"openai/gpt-4o-mini\" ];
    default_model = \"openai/gpt-4o-mini\";
    max_tokens = 1000;
    requests_per_minute = 1000000;
    concurrent_requests = 100;
  };" "max_connections_per_uid = 200;"
}
write_it 1.0
printf '%s\n' "$PG_PASSWORD" | "$ORACTL" -c "$CONF" init --ledger-password >"$T/oractl.out" 2>&1 ||
	{ cat "$T/oractl.out"; exit 1; }
printf '%s\n' "$KEY_DEV" | "$ORACTL" -c "$CONF" key add dev >>"$T/oractl.out" 2>&1 ||
	{ cat "$T/oractl.out"; exit 1; }

# E, the reservation of the one request body used here, from a request
# without a budget; the tight budget holds 4 of them and a half, the
# allowance 3 and a half.
BODY='{"messages":[{"role":"user","content":"a question while the database comes and goes"}]}'
start_orad
check "a first request (no budget) passes" [ "$(as_req free POST /api/v1/chat/completions "$BODY")" = 200 ]
ledger_flushed
E=$(ledger_sql "SELECT reserved_pico FROM requests ORDER BY id DESC LIMIT 1")
kill "$ORAD_PID"
wait "$ORAD_PID" 2>/dev/null
usd() { "$PY3" -c "print('%.12f' % (($1) / 1e12))"; }
TIGHT_USD=$(usd "4 * $E + $E // 2")
ALLOW_USD=$(usd "3 * $E + $E // 2")
tight_pico=$("$PY3" -c "print(round($TIGHT_USD * 1e12))")
allow_pico=$("$PY3" -c "print(round($ALLOW_USD * 1e12))")
write_it "$TIGHT_USD"

# Host beta: a copy of the keystore, its own socket, state directory, name,
# (empty) ledger, and the allowance.
cp -a "$STATE" "$T/state-beta"
rm -f "$T/state-beta"/ledger.db*
sed -e "s|$SOCK|$T/beta.sock|" -e "s|state_dir = \"$STATE\"|state_dir = \"$T/state-beta\"|" \
	-e "s|host_name = \"alpha\"|host_name = \"beta\"|" \
	-e "s|unavailable = \"refuse\";|unavailable = \"allowance\"; allowance = $ALLOW_USD;|" \
	"$CONF" >"$T/beta.conf"
"$ORACTL" -c "$T/beta.conf" check >"$T/check.out" 2>&1
check "ledger.unavailable = \"allowance\" with ledger.allowance is accepted" [ $? -eq 0 ]
start_orad
SOCK_A=$SOCK
SOCK_B=$T/beta.sock
"$ORAD" -f -c "$T/beta.conf" 2>>"$T/orad-beta.log" &
PID_beta=$!
PIDS="$PIDS $PID_beta"
beta_up() { [ -S "$SOCK_B" ] && curl -s --unix-socket "$SOCK_B" -o /dev/null http://localhost/api/v1/me; }
wait_until 30 beta_up || { echo "orad beta did not start"; cat "$T/orad-beta.log"; exit 1; }

# status_field CONF FIELD: a field of the shared ledger in oractl status
# --json, 0 when it is absent (no allowance, and none of one waits).
status_field() {
	"$ORACTL" -c "$1" status --json >"$T/status.json" 2>/dev/null &&
		json "$T/status.json" "d['ledger']['shared'].get('$2', 0)"
}
beta_connected() { [ "$(status_field "$T/beta.conf" budgets_connected)" = True ]; }
check "beta's shared budgets are connected" wait_until 30 beta_connected

# The tight budget: 4 requests on alpha take it nearly all.
for i in 1 2 3 4; do
	SOCK=$SOCK_A
	s=$(as_req tight POST /api/v1/chat/completions "$BODY")
	[ "$s" = 200 ] || break
done
check "4 requests on alpha spend the tight budget [last $s]" [ "$s" = 200 ]

# The load: closed loops, one per user and host, until told to stop.
cat >"$T/load.py" <<'PY'
import http.client, json, os, socket, sys, time
class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(self.path)
sock, body, stop, out = sys.argv[1:5]
with open(out, "a", buffering=1) as f:
    while not os.path.exists(stop):
        try:
            c = UnixConn(sock)
            c.request("POST", "/api/v1/chat/completions", body, {"Content-Type": "application/json"})
            r = c.getresponse(); data = r.read(); c.close()
            t = ""
            if r.status != 200:
                t = json.loads(data).get("error", {}).get("type", "")
            f.write("%d %s\n" % (r.status, t))
            if r.status != 200:
                time.sleep(0.02)  # a client backing off, not a wait for a state
        except Exception as e:
            f.write("failed %s\n" % e)
            time.sleep(0.02)
PY
chmod 644 "$T/load.py"
mkdir -p "$T/load"
chmod 777 "$T/load"
LOADS=""
load() { # load USER HOST SOCKET
	as "$1" "$PY3" "$T/load.py" "$3" "$BODY" "$T/load/stop" "$T/load/$1-$2" 2>>"$T/load.err" &
	LOADS="$LOADS $!"
}
load u0 alpha "$SOCK_A"
load u1 alpha "$SOCK_A"
load free alpha "$SOCK_A"
load u2 beta "$SOCK_B"
load u3 beta "$SOCK_B"
load free beta "$SOCK_B"
LOADNAMES="u0-alpha u1-alpha free-alpha u2-beta u3-beta free-beta"
# ok_at_least N: every loop has had N answers 200 since its start.
ok_at_least() {
	for f in $LOADNAMES; do
		[ "$(cat "$T/load/$f" 2>/dev/null | grep -c '^200 ')" -ge "$1" ] || return 1
	done
}
check "the load runs: every loop is served" wait_until 60 ok_at_least 5

# PostgreSQL stops in the middle of it.
pg_pause
for f in $LOADNAMES; do wc -l <"$T/load/$f" >"$T/load/$f.mark"; done
SOCK=$SOCK_A
s=$(as_req u0 POST /api/v1/chat/completions "$BODY")
check "database away, alpha (refuse): a request with a budget is refused with 503 [$s]" [ "$s" = 503 ]
check "  ... saying why" grep -q "cannot reach the shared ledger" "$T/out"
s=$(as_req free POST /api/v1/chat/completions "$BODY")
check "  ... a request without a budget is served [$s]" [ "$s" = 200 ]
SOCK=$SOCK_B
got=""
for i in 1 2 3 4 5; do
	got="$got $(as_req tight POST /api/v1/chat/completions "$BODY")"
done
check "database away, beta (allowance of 3.5 requests): 3 admitted, then refused [$got]" \
	[ "$got" = " 200 200 200 503 503" ]
check "  ... the refusal says why" grep -q "cannot reach the shared ledger" "$T/out"
s=$(as_req free POST /api/v1/chat/completions "$BODY")
check "  ... a request without a budget is served [$s]" [ "$s" = 200 ]
"$ORACTL" -c "$T/beta.conf" status >"$T/status-out.txt" 2>&1
check "  ... oractl status says the allowance is in use and how many wait" \
	grep -Eq "^allowance: \\\$[0-9.]+ of \\\$[0-9.]+ taken on the most used budget, [0-9]+ requests admitted on it wait" "$T/status-out.txt"
check "  ... and how many rows wait to be shipped" \
	grep -Eq "^shared ledger \(PostgreSQL\): unreachable, [0-9]+ rows waiting" "$T/status-out.txt"
check "  ... and that requests are admitted on the allowance, then refused" \
	grep -q "shared budgets: unreachable (requests with a budget are admitted on this host's allowance" "$T/status-out.txt"
"$ORACTL" -c "$CONF" status >"$T/status-a.txt" 2>&1
check "  ... alpha's says requests with a budget are refused" \
	grep -q "shared budgets: unreachable (requests with a budget are refused)" "$T/status-a.txt"
# since_mark FILE: the lines a loop wrote since the database stopped.
since_mark() { tail -n +"$(($(cat "$1.mark") + 1))" "$1"; }
pool_refused_both() {
	since_mark "$T/load/u0-alpha" | grep -q '^503 unavailable' &&
		since_mark "$T/load/u2-beta" | grep -q '^503 unavailable' &&
		since_mark "$T/load/u3-beta" | grep -q '^503 unavailable'
}
check "  ... under load, the pool's loops are refused on both hosts (beta's allowance taken)" \
	wait_until 30 pool_refused_both
pg_resume

# Back: the allowance's holds are delivered, the loops are served again.
for f in $LOADNAMES; do wc -l <"$T/load/$f" >"$T/load/$f.back"; done
allowance_delivered() { [ "$(status_field "$T/beta.conf" allowance_waiting)" = 0 ]; }
check "once the database is back, beta's allowance holds are delivered (none wait)" \
	wait_until 60 allowance_delivered
served_again() {
	for f in u0-alpha u1-alpha u2-beta u3-beta; do
		tail -n +"$(($(cat "$T/load/$f.back") + 1))" "$T/load/$f" | grep -q '^200 ' || return 1
	done
}
check "  ... and requests with a budget pass again on both hosts" wait_until 60 served_again
touch "$T/load/stop"
for p in $LOADS; do wait "$p"; done
check "requests without a budget were served throughout, on both hosts" \
	sh -c "! grep -hv '^200 ' '$T/load/free-alpha' '$T/load/free-beta'"
check "the pool's loops saw only 200 and 503 (never another failure)" \
	sh -c "cd '$T/load' && ! grep -hEv '^(200 |503 unavailable)' u0-alpha u1-alpha u2-beta u3-beta"
echo "# load: $(cd "$T/load" && cat $LOADNAMES | grep -c '^200 ') served, $(cd "$T/load" && cat $LOADNAMES | grep -c '^503 ') refused with 503"

# A second outage, without load: beta admits 3 tight requests on its
# allowance (free again since the first one's holds were delivered), is
# killed -9 and restarted while the database is still away, and with
# unavailable = "refuse" now: the holds recorded before the requests went
# upstream are still there, and charged.
pg_pause
SOCK=$SOCK_B
got=""
for i in 1 2 3 4; do
	got="$got $(as_req tight POST /api/v1/chat/completions "$BODY")"
done
check "a second outage: beta admits 3 on its allowance again, then refuses [$got]" \
	[ "$got" = " 200 200 200 503" ]
kill -9 "$PID_beta"
wait "$PID_beta" 2>/dev/null
sed -e "s|unavailable = \"allowance\"; allowance = $ALLOW_USD;|unavailable = \"refuse\";|" \
	"$T/beta.conf" >"$T/beta-refuse.conf"
"$ORAD" -f -c "$T/beta-refuse.conf" 2>>"$T/orad-beta.log" &
PID_beta=$!
PIDS="$PIDS $PID_beta"
wait_until 30 beta_up || { echo "orad beta did not restart"; cat "$T/orad-beta.log"; exit 1; }
check "  ... after kill -9 and a restart (now \"refuse\") with the database still away, the 3 still wait" \
	[ "$(status_field "$T/beta.conf" allowance_waiting)" = 3 ]
"$ORACTL" -c "$T/beta-refuse.conf" status >"$T/status-r.txt" 2>&1
check "  ... oractl status says so" \
	grep -q '^allowance: none now (unavailable = "refuse"), 3 requests admitted on an earlier one wait' "$T/status-r.txt"
s=$(as_req tight POST /api/v1/chat/completions "$BODY")
check "  ... and a request with a budget is refused [$s]" [ "$s" = 503 ]
pg_resume
check "  ... once the database is back they are delivered" wait_until 60 allowance_delivered

# Totals, once every row is shipped and every hold settled.
local_rows() { # local_rows STATE_DIR: rows, refusals they stand for, cost
	"$PY3" - "$1/ledger.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print("%d %d %d" % db.execute("SELECT count(*), coalesce(sum(count), 0), coalesce(sum(cost_pico), 0) FROM requests").fetchone())
PY
}
shared_rows() { pg_sql "SELECT count(*) || ' ' || coalesce(sum(count), 0) || ' ' || coalesce(sum(cost_pico), 0) FROM requests WHERE host = '$1'"; }
all_in() {
	curl -s -o /dev/null --unix-socket "$SOCK_A" http://localhost/api/v1/admin/status
	curl -s -o /dev/null --unix-socket "$SOCK_B" http://localhost/api/v1/admin/status
	[ "$(local_rows "$STATE")" = "$(shared_rows alpha)" ] &&
		[ "$(local_rows "$T/state-beta")" = "$(shared_rows beta)" ] &&
		[ "$(pg_sql "SELECT count(*) FROM requests WHERE state IN ('open','unsettled')")" = 0 ] &&
		[ "$(pg_sql "SELECT count(*) FROM budget_holds WHERE NOT settled")" = 0 ]
}
check "every local row of both hosts is in the shared ledger (same rows, counts, costs); every hold settled" \
	wait_until 60 all_in
echo "# alpha: $(shared_rows alpha), beta: $(shared_rows beta) (rows, requests, picodollars)"
check "  ... each once: no (host, id) twice" \
	[ "$(pg_sql "SELECT count(*) - count(DISTINCT (host, id)) FROM requests")" = 0 ]
# centre_exact CENTRE: nothing reserved, spent = the shared rows' costs.
centre_exact() {
	[ "$(pg_sql "SELECT reserved_pico FROM budget_usage WHERE scope = 'cost_centre' AND name = '$1'")" = 0 ] &&
		[ "$(pg_sql "SELECT spent_pico FROM budget_usage WHERE scope = 'cost_centre' AND name = '$1'")" = \
			"$(pg_sql "SELECT coalesce(sum(cost_pico), 0) FROM requests WHERE cost_centre = '$1'")" ]
}
check "the pool's shared row: nothing reserved, spent = its rows' costs" centre_exact pool
check "the tight budget's shared row: the same" centre_exact tight
check "beta's 6 tight requests (3 per outage) were charged as holds of the allowance" \
	[ "$(pg_sql "SELECT count(*) FROM budget_holds WHERE host = 'beta' AND name = 'tight' AND allowance")" = 6 ]
n_allow_pool=$(pg_sql "SELECT count(*) FROM budget_holds WHERE host = 'beta' AND name = 'pool' AND allowance")
check "beta's pool holds on the allowance fit in it [$n_allow_pool]" \
	[ "$n_allow_pool" -ge 1 -a $((n_allow_pool * E)) -le "$allow_pico" ]
check "  ... alpha, which refuses, has none" \
	[ "$(pg_sql "SELECT count(*) FROM budget_holds WHERE host = 'alpha' AND allowance")" = 0 ]
spent_tight=$(pg_sql "SELECT spent_pico FROM budget_usage WHERE name = 'tight'")
echo "# tight: limit $tight_pico, spent $spent_tight, allowance $allow_pico (pico)"
check "tight's spend is within its limit plus one host's allowance per outage" \
	[ "$spent_tight" -le $((tight_pico + 2 * allow_pico)) ]

# The mock's record: each generation once in the shared ledger, at its cost.
check "every generation the mock billed is in the shared ledger once, at the mock's cost, totals exact" \
	pg_shared_caught_up
check "beta's allowance file is empty once delivered" [ ! -s "$T/state-beta/ledger-allowance" ]

finish
