#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Budgets that hold across hosts: three brokers (hosts alpha, beta, gamma:
# their own state directories, sockets and ledgers) share one PostgreSQL
# ledger (lib_pg.sh) and one mock upstream:
#   - 300 concurrent requests from 10 real users, spread over the three,
#     against a cost-centre budget that admits only part of them: the
#     refused ones are told budget_exhausted, what the mock billed stays
#     within the budget, and the shared budget row equals the mock's
#     billing to the picodollar;
#   - a broker killed -9 with requests in flight: after its restart their
#     shared reservations are settled (each once), none left reserved;
#   - PostgreSQL stopped: requests with a budget are refused (503, the
#     documented ledger.unavailable = "refuse"), requests without one are
#     served; once it is back, requests pass again and totals are exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
is_root || skip_all "needs root to create the users that run PostgreSQL and make requests"
pg_start
start_mock
make_daemon_user
i=0
while [ $i -lt 10 ]; do
	add_user "u$i" money
	i=$((i + 1))
done
add_user big bigspend
add_user free

CONF_EXTRA="ledger = { backend = \"postgresql\"; conninfo = \"$(pg_conninfo)\"; host_name = \"alpha\"; password_key = \"ledger-db\"; unavailable = \"refuse\"; };"
# write_it POOL_USD: group money pays from the pool, bigspend from a large
# budget, everyone else from dev (no budget).
write_it() {
	CONF_CENTRES="  pool = { key = \"dev\"; budget = { usd = $1; period = \"monthly\"; }; };
  big = { key = \"dev\"; budget = { usd = 1000.0; period = \"monthly\"; }; };
  dev = { key = \"dev\"; };"
	write_conf "  { group = \"${PFX}money\"; role = \"worker\"; cost_centre = \"pool\"; },
  { group = \"${PFX}bigspend\"; role = \"worker\"; cost_centre = \"big\"; },
  { everyone = true; role = \"worker\"; cost_centre = \"dev\"; }" "
  worker = {
    models = [ \"openai/gpt-4o-mini\" ];
    default_model = \"openai/gpt-4o-mini\";
    max_tokens = 1000;
    requests_per_minute = 100000;
    concurrent_requests = 100;
  };" "max_connections_per_uid = 200;"
}
write_it 1.0
printf '%s\n' "$PG_PASSWORD" | "$ORACTL" -c "$CONF" init --ledger-password >"$T/oractl.out" 2>&1 ||
	{ cat "$T/oractl.out"; exit 1; }
printf '%s\n' "$KEY_DEV" | "$ORACTL" -c "$CONF" key add dev >>"$T/oractl.out" 2>&1 ||
	{ cat "$T/oractl.out"; exit 1; }

# An allowance needs its size (test_ledger_pg_outage.sh runs with one).
sed 's/unavailable = "refuse"/unavailable = "allowance"/' "$CONF" >"$T/allowance.conf"
"$ORACTL" -c "$T/allowance.conf" check >"$T/allowance.out" 2>&1
check "ledger.unavailable = \"allowance\" without ledger.allowance is refused" \
	grep -q 'unavailable = "allowance" needs allowance' "$T/allowance.out"
sed 's/unavailable = "refuse"/unavailable = "later"/' "$CONF" >"$T/allowance.conf"
"$ORACTL" -c "$T/allowance.conf" check >"$T/allowance.out" 2>&1
check "an unknown ledger.unavailable is refused, naming both" \
	grep -q '"later" is not one this ora knows; write "refuse"' "$T/allowance.out"

# Learn E, the reservation of the one request body used here, from a
# request without a budget; then size the pool from it.
BODY='{"messages":[{"role":"user","content":"the same question from every host"}]}'
start_orad
check "a first request (no budget) passes" [ "$(as_req free POST /api/v1/chat/completions "$BODY")" = 200 ]
ledger_flushed
E=$(ledger_sql "SELECT reserved_pico FROM requests ORDER BY id DESC LIMIT 1")
C=$(ledger_sql "SELECT cost_pico FROM requests ORDER BY id DESC LIMIT 1")
check "the reservation is an upper bound of the cost" [ "$E" -gt "$C" ]
kill "$ORAD_PID"
wait "$ORAD_PID" 2>/dev/null
POOL_LIMIT=$("$PY3" -c "print('%.12f' % ((40 * $E + $E // 2) / 1e12))")
pool_pico=$("$PY3" -c "print(round($POOL_LIMIT * 1e12))")
write_it "$POOL_LIMIT"

# Hosts beta and gamma: copies of the keystore, their own socket, state
# directory, name and (empty) local ledger.
for h in beta gamma; do
	cp -a "$STATE" "$T/state-$h"
	rm -f "$T/state-$h"/ledger.db*
	sed -e "s|$SOCK|$T/$h.sock|" -e "s|state_dir = \"$STATE\"|state_dir = \"$T/state-$h\"|" \
		-e "s|host_name = \"alpha\"|host_name = \"$h\"|" "$CONF" >"$T/$h.conf"
done
start_host() { # start_host NAME: beta or gamma
	"$ORAD" -f -c "$T/$1.conf" 2>>"$T/orad-$1.log" &
	eval "PID_$1=\$!"
	PIDS="$PIDS $!"
	wait_until 30 sh -c "[ -S '$T/$1.sock' ] && curl -s --unix-socket '$T/$1.sock' -o /dev/null http://localhost/api/v1/me" ||
		{ echo "orad $1 did not start"; cat "$T/orad-$1.log"; exit 1; }
}
start_orad
SOCK_A=$SOCK
start_host beta
start_host gamma

# Hold every answer back while all 300 are admitted or refused.
mock_post /mock/faults '{"times":0,"delay_headers_ms":2000}'
cat >"$T/burst.py" <<'PY'
import http.client, json, socket, sys, threading
class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=120)
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(self.path)
out = []
def one():
    try:
        c = UnixConn(sys.argv[1])
        c.request("POST", "/api/v1/chat/completions", sys.argv[2], {"Content-Type": "application/json"})
        r = c.getresponse(); body = r.read()
        t = json.loads(body).get("error", {}).get("type", "") if r.status != 200 else ""
        out.append("%d %s" % (r.status, t))
    except Exception as e:
        out.append("failed %s" % e)
ts = [threading.Thread(target=one) for _ in range(30)]
for t in ts: t.start()
for t in ts: t.join()
print("\n".join(out))
PY
i=0
for s in "$SOCK_A" "$T/beta.sock" "$T/gamma.sock" "$SOCK_A" "$T/beta.sock" "$T/gamma.sock" \
	"$SOCK_A" "$T/beta.sock" "$T/gamma.sock" "$SOCK_A"; do
	as "u$i" "$PY3" "$T/burst.py" "$s" "$BODY" >"$T/burst.$i" 2>&1 &
	i=$((i + 1))
done
wait_bursts() { [ "$(cat "$T"/burst.* | grep -c '^[0-9]')" -ge 300 ]; }
check "all 300 requests were answered" wait_until 120 wait_bursts
admitted=$(cat "$T"/burst.* | grep -c '^200 ')
refused=$(cat "$T"/burst.* | grep -c '^402 budget_exhausted')
echo "# admitted $admitted, refused $refused (the pool holds 40 reservations)"
check "at least 40 admitted, the pool's reservations [got $admitted]" [ "$admitted" -ge 40 ]
check "far fewer than 3 hosts' worth (120) [got $admitted]" [ "$admitted" -lt 120 ]
check "every other one refused as budget_exhausted [got $refused]" [ $((admitted + refused)) -eq 300 ]
curl -sS -X DELETE "$MOCK_URL/mock/faults" >/dev/null

# shared_open_holds: holds not yet settled in the shared ledger.
shared_open_holds() { pg_sql "SELECT count(*) FROM budget_holds WHERE NOT settled"; }
all_settled() {
	[ "$(pg_sql "SELECT count(*) FROM requests WHERE state IN ('open','unsettled')")" = 0 ] &&
		[ "$(shared_open_holds)" = 0 ]
}
# centre_exact CENTRE: the shared budget row of CENTRE has nothing
# reserved and has spent exactly what the shared ledger's rows cost.
centre_exact() {
	[ "$(pg_sql "SELECT reserved_pico FROM budget_usage WHERE scope = 'cost_centre' AND name = '$1'")" = 0 ] &&
		[ "$(pg_sql "SELECT spent_pico FROM budget_usage WHERE scope = 'cost_centre' AND name = '$1'")" = \
			"$(pg_sql "SELECT coalesce(sum(cost_pico), 0) FROM requests WHERE cost_centre = '$1'")" ]
}
check "every row and hold is settled in the shared ledger" wait_until 60 all_settled
check "  ... each billed generation once, at the mock's cost" pg_shared_caught_up
billed_pool=$(pg_sql "SELECT coalesce(sum(cost_pico), 0) FROM requests WHERE cost_centre = 'pool'")
check "the pool is not overspent across the 3 hosts [$billed_pool <= $pool_pico]" [ "$billed_pool" -le "$pool_pico" ]
check "the shared pool row equals the rows' costs, nothing reserved" centre_exact pool
# Which host admitted how many is a race, so it is only shown.
echo "# admitted per host: $(pg_sql "SELECT string_agg(host || '=' || n, ' ' ORDER BY host) FROM (SELECT host, count(*) n FROM requests WHERE cost_centre = 'pool' AND cost_pico > 0 GROUP BY host) h")"

# kill -9 beta with 6 requests in flight on the big budget: their holds
# are in the shared ledger; after the restart beta reconciles the rows and
# the shipper settles each hold once.
mock_post /mock/faults '{"times":0,"pause_after_events":1,"whitespace_prefix":true}'
CLIENTS=""
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) -eq 0 ]; then stream=true; else stream=false; fi
	as big curl -sS -N --unix-socket "$T/beta.sock" -m 30 -H 'Content-Type: application/json' \
		-d "{\"stream\":$stream,\"messages\":[{\"role\":\"user\",\"content\":\"in flight $i\"}]}" \
		-o /dev/null http://localhost/api/v1/chat/completions 2>/dev/null &
	CLIENTS="$CLIENTS $!"
done
beta_open() {
	[ "$(pg_sql "SELECT count(*) FROM requests WHERE host = 'beta' AND state = 'open' AND generation_id IS NOT NULL")" = 6 ] &&
		[ "$(pg_sql "SELECT count(*) FROM budget_holds WHERE host = 'beta' AND name = 'big' AND NOT settled")" = 6 ]
}
check "6 requests in flight on beta hold the big budget in the shared ledger" wait_until 30 beta_open
check "  ... reserved there" [ "$(pg_sql "SELECT reserved_pico > 0 FROM budget_usage WHERE name = 'big'")" = t ]
kill -9 "$PID_beta"
wait "$PID_beta" 2>/dev/null
for c in $CLIENTS; do wait "$c"; done
mock_post /mock/resume '{}'
curl -sS -X DELETE "$MOCK_URL/mock/faults" >/dev/null
mock_idle() { mock_get /mock/stats "$T/stats.json" && [ "$(json "$T/stats.json" 'd["active_streams"]')" = 0 ]; }
check "  ... the mock finished them" wait_until 20 mock_idle
start_host beta
check "  ... after beta's restart every row and hold is settled" wait_until 60 all_settled
check "  ... the big budget's row: nothing reserved, spent = its rows' costs" centre_exact big
check "  ... each generation once, at the mock's cost" pg_shared_caught_up

# PostgreSQL stopped: a request with a budget is refused, not admitted
# blind; one without a budget is served; then all is well again.
pg_pause
s=$(as_req big POST /api/v1/chat/completions "$BODY")
check "with the database stopped, a request with a budget is refused with 503 [$s]" [ "$s" = 503 ]
check "  ... saying why" grep -q "cannot reach the shared ledger" "$T/out"
SOCK=$T/gamma.sock
s=$(as_req free POST /api/v1/chat/completions "$BODY")
SOCK=$SOCK_A
check "  ... a request without a budget is served [$s]" [ "$s" = 200 ]
"$ORACTL" -c "$CONF" status >"$T/status.out" 2>&1
check "  ... oractl status says the shared budgets are unreachable" grep -q "shared budgets: unreachable" "$T/status.out"
pg_resume
big_ok() { [ "$(as_req big POST /api/v1/chat/completions "$BODY")" = 200 ]; }
check "once it is back, requests with a budget pass again" wait_until 30 big_ok
"$ORACTL" -c "$CONF" status >"$T/status.out" 2>&1
check "  ... oractl status says connected, none waiting" grep -q "shared budgets: connected, 0 requests waiting" "$T/status.out"
check "  ... every row and hold settled" wait_until 60 all_settled
check "  ... big exact" centre_exact big
check "  ... pool exact" centre_exact pool
check "  ... each generation once, totals exact" pg_shared_caught_up

finish
