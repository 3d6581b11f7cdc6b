#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Settlement of every way a request can end: a normal answer, a hang-up
# mid-stream (reconciled from /generation, while it still answers 404),
# upstream errors before and during a stream. Reservations are released,
# costs are what the upstream billed, refusals are recorded with a reason.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
ME=$(id -un)
# /generation answers 404 for 5 s after a generation ends (wide enough for a
# loaded machine to see the row unsettled meanwhile), and orad gives up
# on a cost 30 s after the request started (the test holds the stream for
# a while first, and then the 5 s must pass).
start_mock --generation-delay-ms 5000
make_daemon_user
CONF_UPSTREAM_EXTRA="retries = 0; reconcile_give_up = 30;"
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }" '
  basic = {
    models = [ "openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 200;
    requests_per_minute = 10000;
    concurrent_requests = 16;
    budget = { usd = 10.0; period = "daily"; warn = 0.5; };
  };'
seal_keys || exit 1
start_orad

pending() { ledger_sql "SELECT COUNT(*) FROM requests WHERE state IN ('open','unsettled')"; }
nothing_pending() { [ "$(pending)" -eq 0 ]; }
reserved_now() {
	req GET /api/v1/usage >/dev/null
	json "$T/out" '[b for b in d["budgets"] if b["scope"]=="user"][0]["reserved_pico"]'
}

s=$(req POST /api/v1/chat/completions "$CHAT")
check "a normal answer" [ "$s" = 200 ]
# Read the file alone, as a report would, without asking orad anything: the
# broker folds its intent log into ledger.db by itself, within moments.
settled_on_disk() {
	[ "$("$PY3" -c 'import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT COUNT(*) FROM requests WHERE state = \x27settled\x27").fetchone()[0])' \
		"$STATE/ledger.db")" = 1 ]
}
check "  ... and reaches ledger.db on its own, settled" wait_until 30 settled_on_disk
check "  ... is settled in the ledger with the upstream's cost" mock_vs_ledger
ledger_flushed
row=$(ledger_sql "SELECT state, outcome, http_status, model_served, prompt_tokens > 0, completion_tokens > 0, user, cost_centre, key_name, role FROM requests ORDER BY id DESC LIMIT 1")
check "  ... with who, what and how it ended" [ "$row" = "settled|ok|200|openai/gpt-4o-mini|1|1|$ME|dev|dev|basic" ]
check "  ... and the client's program and rule" \
	[ "$(ledger_sql "SELECT client_exe, rule_match, client_pid > 0 FROM requests ORDER BY id DESC LIMIT 1")" = "curl|user $ME|1" ]

# A client that hangs up mid-stream: the cost arrives through /generation.
# The mock holds the stream after 3 words, so the hang-up is mid-stream
# however slow the machine; it bills the words sent once it sees it.
mock_post /mock/faults '{"pause_after_events":3}'
curl -sS -N --unix-socket "$SOCK" -H 'Content-Type: application/json' \
	-d '{"stream":true,"messages":[{"role":"user","content":"hang up on me"}]}' \
	http://localhost/api/v1/chat/completions >/dev/null 2>&1 &
HANGUP=$!
wait_until 30 mock_streams 1
kill "$HANGUP"
wait "$HANGUP" 2>/dev/null
gone_row() { ledger_sql "SELECT state FROM requests WHERE outcome='client_gone' ORDER BY id DESC LIMIT 1"; }
is_unsettled() { [ "$(gone_row)" = unsettled ]; }
is_settled() { [ "$(gone_row)" = settled ]; }
check "a hang-up leaves the row unsettled while /generation answers 404" wait_until 30 is_unsettled
check "  ... then it is reconciled" wait_until 60 is_settled
check "  ... at the cost the mock billed for the words it sent" mock_vs_ledger
mock_get /mock/generations "$T/gens.json"
check "  ... which the mock recorded as cancelled" \
	[ "$(json "$T/gens.json" 'd["data"][-1]["status"]')" = cancelled ]

# Upstream refusals are not billed, and release their reservation.
for status in 402 429 500; do
	mock_post /mock/faults "{\"status\":$status,\"message\":\"injected $status\"}"
	s=$(req POST /api/v1/chat/completions "$CHAT")
	check "upstream $status reaches the client" [ "$s" = "$status" ]
	ledger_flushed
	last=$(ledger_sql "SELECT state, cost_pico, http_status FROM requests ORDER BY id DESC LIMIT 1")
	check "  ... settled at 0 with status $status" [ "$last" = "settled|0|$status" ]
done
check "no reservation is left behind" [ "$(reserved_now)" = 0 ]

# An error in the middle of a stream: billed for what was generated.
mock_post /mock/faults '{"error_after_events":3}'
s=$(req POST /api/v1/chat/completions '{"stream":true,"messages":[{"role":"user","content":"fail midway"}]}')
check "a mid-stream error still answers 200 with the error event" grep -q '"error"' "$T/out"
check "  ... is settled at the mock's cost for the words before the error" mock_vs_ledger
ledger_flushed
check "  ... with outcome upstream_error" \
	[ "$(ledger_sql "SELECT outcome FROM requests ORDER BY id DESC LIMIT 1")" = upstream_error ]

# Refusals are recorded, never sent, with the reason.
s=$(req POST /api/v1/chat/completions '{"model":"openai/gpt-4o","messages":[{"role":"user","content":"x"}]}')
check "a refused model is 403" [ "$s" = 403 ]
check "  ... recorded as refused with its reason" \
	[ "$(ledger_sql "SELECT state, http_status, reason LIKE '%not allowed%' FROM requests ORDER BY id DESC LIMIT 1")" = "refused|403|1" ]

check "nothing is left unsettled" wait_until 30 nothing_pending
check "no reservation is left behind at the end" [ "$(reserved_now)" = 0 ]
spent=$(json "$T/out" '[b for b in d["budgets"] if b["scope"]=="user"][0]["spent_pico"]')
check "the budget's spend equals the ledger's sum" \
	[ "$spent" = "$(ledger_sql "SELECT SUM(cost_pico) FROM requests WHERE state='settled'")" ]
check "the whole ledger agrees with the mock's billing" mock_vs_ledger

# A generation the upstream never reports: after upstream.reconcile_give_up
# the row is charged at its reservation and marked estimated.
mock_post /mock/faults '{"pause_after_events":3}'
curl -sS -N --unix-socket "$SOCK" -H 'Content-Type: application/json' \
	-d '{"stream":true,"messages":[{"role":"user","content":"forget me"}]}' \
	http://localhost/api/v1/chat/completions >/dev/null 2>&1 &
HANGUP=$!
wait_until 30 mock_streams 1
kill "$HANGUP"
wait "$HANGUP" 2>/dev/null
# Once the mock has recorded it, it loses its record.
last_cancelled() { [ "$(mock_get /mock/generations "$T/g.json" && json "$T/g.json" 'd["data"][-1]["status"]')" = cancelled ]; }
wait_until 30 last_cancelled
mock_post /mock/reset '{}'
lost() { ledger_sql "SELECT state, estimated, cost_pico = reserved_pico, reason LIKE 'cost unknown%' FROM requests WHERE outcome='client_gone' ORDER BY id DESC LIMIT 1"; }
given_up() { [ "$(lost)" = "settled|1|1|1" ]; }
check "a cost never reported is charged at the reservation, marked estimated" wait_until 90 given_up

# Crossing a budget's warn threshold is logged and told to the user.
sed -i 's/usd = 10.0; period = "daily"; warn = 0.5;/usd = 0.002; period = "daily"; warn = 0.01;/' "$CONF"
orad_reload
s=$(req POST /api/v1/chat/completions "$CHAT" -D "$T/headers")
check "past the warn threshold the answer carries X-Ora-Budget-Warning" \
	grep -qi '^X-Ora-Budget-Warning: your daily budget as user' "$T/headers"
check "  ... and the log says so" grep -q 'budget warning: ' "$T/orad.log"
sed -i 's/usd = 0.002; period = "daily"; warn = 0.01;/usd = 10.0; period = "daily"; warn = 0.5;/' "$CONF"

# A budget too small for one more request: 402 naming the budget.
sed -i 's/usd = 10.0; period = "daily"; warn = 0.5;/usd = 0.00005; period = "daily";/' "$CONF"
orad_reload
s=$(req POST /api/v1/chat/completions "$CHAT")
check "over budget is 402" [ "$s" = 402 ]
check "  ... typed budget_exhausted" [ "$(json "$T/out" 'd["error"]["type"]')" = budget_exhausted ]
check "  ... naming the budget, what is left, and when it resets" \
	grep -q "your daily budget as user $ME.*left.*resets 20" "$T/out"

# A report made the moment a request ends includes it: oractl asks the
# running broker to fold its intent log first.
sed -i 's/usd = 0.00005; period = "daily";/usd = 10.0; period = "daily";/' "$CONF"
orad_reload
s=$(req POST /api/v1/chat/completions "$CHAT")
"$ORACTL" -c "$CONF" report --format json >"$T/report.json" 2>"$T/report.err"
ledger_current
check "a report right after a request counts it [$s]" \
	[ "$(json "$T/report.json" 'd["total"]["requests"]')" = \
	  "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state <> 'refused'")" ]
finish
