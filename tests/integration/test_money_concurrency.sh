#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# 200 concurrent requests from 10 real users against budgets that admit only
# some of them: no budget is overspent, exactly the right number is
# admitted, and the ledger equals the upstream's billing to the picodollar.
. "$top_srcdir/tests/integration/lib.sh"

is_root || skip_all "needs root to create 10 users (CI runs it as root)"
need_binaries "$ORAD" "$ORACTL" "$MOCK"

i=0
while [ $i -lt 10 ]; do
	add_user "u$i" money
	i=$((i + 1))
done
# Each request is identical, so each reserves the same upper bound E (the
# body's bytes at the prompt price plus max_tokens at the completion price)
# and costs the same C < E. Per-user budgets of 5 reservations, and a
# cost-centre pool of 32: with everything in flight at once, exactly 32 of
# 200 are admitted and no user gets more than 5.
CONF_CENTRES='  pool = { key = "dev"; };'
write_it() {
	write_conf "  { group = \"${PFX}money\"; role = \"worker\"; cost_centre = \"pool\"; }" "
  worker = {
    models = [ \"openai/gpt-4o-mini\" ];
    default_model = \"openai/gpt-4o-mini\";
    max_tokens = 1000;
    requests_per_minute = 10000;
    concurrent_requests = 50;
    budget = { usd = $1; period = \"daily\"; };
  };" "max_connections_per_uid = 100;"
}
start_mock
make_daemon_user
write_it 1.0
seal_keys || exit 1
start_orad

BODY='{"messages":[{"role":"user","content":"the same question from everyone"}]}'
# Learn E from one request's reservation, then size the budgets from it.
s=$(as_req u0 POST /api/v1/chat/completions "$BODY")
check "a first request passes [got $s: $(head -c 300 "$T/out")]" [ "$s" = 200 ]
ledger_flushed
E=$(ledger_sql "SELECT reserved_pico FROM requests ORDER BY id DESC LIMIT 1")
C=$(ledger_sql "SELECT cost_pico FROM requests ORDER BY id DESC LIMIT 1")
check "the reservation is an upper bound of the cost" [ "$E" -gt "$C" ]
mock_post /mock/reset '{}'
stop_all
rm -f "$STATE/ledger.db" "$STATE/ledger.db-wal" "$STATE/ledger.db-shm"
USER_LIMIT=$("$PY3" -c "print('%.12f' % ((5 * $E + $E // 2) / 1e12))")
POOL_LIMIT=$("$PY3" -c "print('%.12f' % ((32 * $E + $E // 2) / 1e12))")
CONF_CENTRES="  pool = { key = \"dev\"; budget = { usd = $POOL_LIMIT; period = \"monthly\"; }; };"
rm -f "$T/mock.port"
start_mock
write_it "$USER_LIMIT"
# The admitted requests wait at the mock until the test releases them (below),
# however long a loaded machine takes to decide the others: leave them far
# more than the test's usual 30 s.
sed -i 's/request_timeout = 30;/request_timeout = 300;/' "$CONF"
start_orad

# Hold every answer back until all 200 have been admitted or refused: the
# mock pauses each admitted request before its body until /mock/resume, so
# "all in flight at once" is arranged, not a race against a clock.
mock_post /mock/faults '{"times":0,"pause_after_events":0}'
cat >"$T/burst.py" <<'PY'
import http.client, json, socket, sys, threading
class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=300)
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(self.path)
lock = threading.Lock()
def one():
    c = UnixConn(sys.argv[1])
    c.request("POST", "/api/v1/chat/completions", sys.argv[2], {"Content-Type": "application/json"})
    r = c.getresponse(); body = r.read()
    t = json.loads(body).get("error", {}).get("type", "") if r.status != 200 else ""
    # One line per answer as soon as it comes: the test counts them while
    # the admitted requests are still held.
    with lock:
        sys.stdout.write("%d %s\n" % (r.status, t)); sys.stdout.flush()
ts = [threading.Thread(target=one) for _ in range(20)]
for t in ts: t.start()
for t in ts: t.join()
PY
i=0
while [ $i -lt 10 ]; do
	as "u$i" "$PY3" "$T/burst.py" "$SOCK" "$BODY" >"$T/burst.$i" 2>&1 &
	i=$((i + 1))
done
answered() { cat "$T"/burst.* | grep -c '^[0-9]'; }
at_mock() { mock_get /mock/stats "$T/stats.json" && json "$T/stats.json" 'd["attempts"]' || echo 0; }
# Every request is decided once it was either answered (refused: admitted
# ones are held) or reached the mock (admitted). Then release the held ones.
all_decided() { [ $(($(answered) + $(at_mock))) -ge 200 ]; }
check "every request was admitted or refused while the admitted ones were held" \
	wait_until 120 all_decided
curl -sS -X DELETE "$MOCK_URL/mock/faults" >/dev/null
curl -sS -X POST "$MOCK_URL/mock/resume" >/dev/null
wait_bursts() { [ "$(answered)" -ge 200 ]; }
check "all 200 requests were answered" wait_until 120 wait_bursts
admitted=$(cat "$T"/burst.* | grep -c '^200 ')
refused=$(cat "$T"/burst.* | grep -c '^402 budget_exhausted')
check "exactly 32 admitted (the pool's limit) [got $admitted]" [ "$admitted" -eq 32 ]
check "the other 168 refused as budget_exhausted [got $refused]" [ "$refused" -eq 168 ]
over=0
i=0
while [ $i -lt 10 ]; do
	n=$(grep -c '^200 ' "$T/burst.$i")
	[ "$n" -le 5 ] || over=$((over + 1))
	i=$((i + 1))
done
check "no user got more than their 5" [ "$over" -eq 0 ]

done_all() { [ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state IN ('open','unsettled')")" -eq 0 ]; }
check "every admitted request settled" wait_until 20 done_all
check "the ledger equals the mock's billing exactly" mock_vs_ledger
pool_pico=$("$PY3" -c "print(round($POOL_LIMIT * 1e12))")
user_pico=$("$PY3" -c "print(round($USER_LIMIT * 1e12))")
check "the pool is not overspent" \
	[ "$(ledger_sql "SELECT SUM(cost_pico) FROM requests")" -le "$pool_pico" ]
check "no user's budget is overspent" \
	[ "$(ledger_sql "SELECT COUNT(*) FROM (SELECT user, SUM(cost_pico) s FROM requests GROUP BY user) WHERE s > $user_pico")" -eq 0 ]
check "refusals are in the ledger with their reason" \
	[ "$(ledger_sql "SELECT SUM(count) FROM requests WHERE state='refused' AND reason LIKE 'budget exhausted%'")" -eq 168 ]
finish
