#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# kill -9 of orad with 50 requests in flight (streams and non-streams),
# then a restart: every generation the upstream billed ends up in the ledger
# once, with its exact cost, after reconciliation through /generation,
# including while /generation still answers 404.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
ME=$(id -un)
start_mock --generation-delay-ms 1500
make_daemon_user
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }" '
  basic = {
    models = [ "openai/gpt-4o-mini" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 500;
    requests_per_minute = 10000;
    concurrent_requests = 100;
    budget = { usd = 100.0; period = "monthly"; };
  };' "max_connections_per_uid = 200;"
seal_keys || exit 1
start_orad

# Held answers: headers (with the generation id) and a first event or the
# whitespace keep-alive go out, then the mock holds every answer until it
# is told to resume, so that all 50 are mid-flight when orad dies however
# slowly a loaded machine admits them.
mock_post /mock/faults '{"times":0,"pause_after_events":1,"whitespace_prefix":true}'
CLIENTS=""
i=0
while [ $i -lt 50 ]; do
	if [ $((i % 2)) -eq 0 ]; then stream=true; else stream=false; fi
	curl -sS -N --unix-socket "$SOCK" -m 30 -H 'Content-Type: application/json' \
		-d "{\"stream\":$stream,\"messages\":[{\"role\":\"user\",\"content\":\"request $i in flight\"}]}" \
		-o "$T/client.$i" http://localhost/api/v1/chat/completions 2>/dev/null &
	CLIENTS="$CLIENTS $!"
	i=$((i + 1))
done
in_flight() { [ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state='open' AND generation_id IS NOT NULL")" -ge 50 ]; }
check "50 requests admitted and named by the upstream" wait_until 60 in_flight
kill -9 "$ORAD_PID"
wait "$ORAD_PID" 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $ORAD_PID//")
check "the ledger holds 50 open rows after kill -9" \
	[ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state='open'")" -eq 50 ]
for c in $CLIENTS; do wait "$c"; done # the clients see their connections drop

# Let the mock finish (and bill) every generation, then restart.
mock_post /mock/resume '{}'
mock_idle() { mock_get /mock/stats "$T/stats.json" && [ "$(json "$T/stats.json" 'd["active_streams"]')" = 0 ]; }
check "the mock finished every generation it had started" wait_until 30 mock_idle
# Non-stream answers are not streams: wait until all 50 are on record.
all_billed() { mock_get '/mock/generations?summary=1' "$T/gens.json" && [ "$(json "$T/gens.json" 'd["count"]')" -ge 50 ]; }
check "  ... and has all 50 on record" wait_until 30 all_billed
start_orad
settled() { [ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state IN ('open','unsettled')")" -eq 0 ]; }
check "after restart every row is reconciled (through /generation's 404 window)" wait_until 30 settled
check "reconciliation was logged" grep -q 'reconciled ledger row' "$T/orad.log"
check "every generation the mock billed is in the ledger once, at its exact cost" mock_vs_ledger
check "no row was settled as an estimate: every cost came from the upstream" \
	[ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE estimated = 1")" -eq 0 ]
mock_get /mock/generations "$T/gens.json"
check "the mock billed all 50" [ "$(json "$T/gens.json" 'd["count"]')" -eq 50 ]

# The budget counts what was really spent: /usage agrees with the ledger.
s=$(req GET /api/v1/usage)
check "usage answers after the restart" [ "$s" = 200 ]
spent=$(json "$T/out" '[b for b in d["budgets"] if b["scope"]=="user"][0]["spent_pico"]')
reserved=$(json "$T/out" '[b for b in d["budgets"] if b["scope"]=="user"][0]["reserved_pico"]')
check "the user's budget shows exactly the billed spend" \
	[ "$spent" = "$(ledger_sql "SELECT SUM(cost_pico) FROM requests")" ]
check "  ... and nothing reserved any more" [ "$reserved" = 0 ]
finish
