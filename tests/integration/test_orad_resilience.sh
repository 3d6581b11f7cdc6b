#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Upstream resilience: retries with backoff that honour Retry-After, only
# while the client has seen nothing and never for an answer the upstream may
# be generating anyway; fallback models; a timeout per phase, each with its
# own message; a circuit breaker that fails fast while the upstream is down
# and lets a probe through when it may be back. orad keeps serving.
. "$top_srcdir/tests/integration/lib.sh"

ME=$(id -un)
ROLES='
  basic = {
    models = [ "openai/gpt-4o-mini", "anthropic/claude-3.5-haiku" ];
    default_model = "openai/gpt-4o-mini";
    fallbacks = [ "anthropic/claude-3.5-haiku" ];
    max_tokens = 500;
    requests_per_minute = 10000;
    concurrent_requests = 32;
  };'
CONF_UPSTREAM_EXTRA="retries = 2; retry_deadline = 6; first_byte_timeout = 2; idle_timeout = 2;
  circuit_failures = 6; circuit_cooldown = 2; max_in_flight = 3;"
standard_setup "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }" "$ROLES"
NOFB='{"models":["openai/gpt-4o-mini"],"messages":[{"role":"user","content":"resilience"}]}'
STREAM='{"stream":true,"models":["openai/gpt-4o-mini"],"messages":[{"role":"user","content":"resilience"}]}'

attempts() { mock_get /mock/stats "$T/stats.json"; json "$T/stats.json" 'd["attempts"]'; }
reset() { mock_post /mock/reset '{}'; }

# --- retried statuses ---------------------------------------------------------
for status in 429 502 503 524 529; do
	reset
	mock_post /mock/faults "{\"status\":$status,\"message\":\"injected $status\"}"
	s=$(req POST /api/v1/chat/completions "$NOFB")
	check "a single $status is retried and the client gets the answer" [ "$s" = 200 ]
	check "  ... in 2 attempts" [ "$(attempts)" = 2 ]
done

reset
mock_post /mock/faults '{"status":429,"message":"slow down","retry_after":1}'
s=$(req POST /api/v1/chat/completions "$NOFB")
check "429 with Retry-After: 1 is retried after waiting" [ "$s" = 200 ]
check "  ... and the wait was logged as the retry delay" \
	sh -c "grep 'retrying uid=' '$T/orad.log' | tail -n 1 | grep -Eq 'in (1[0-9]{3}|[2-9][0-9]{3}) ms'"

reset
mock_post /mock/faults '{"times":3,"status":503,"message":"no provider"}'
s=$(req POST /api/v1/chat/completions "$NOFB")
check "retries are bounded: 3 attempts (retries = 2), then the 503 passes through" [ "$s" = 503 ]
check "  ... with OpenRouter's message" grep -q 'no provider' "$T/out"
check "  ... after exactly 3 attempts" [ "$(attempts)" = 3 ]

reset
mock_post /mock/faults '{"times":3,"status":429,"message":"come back later","retry_after":30}'
s=$(req POST /api/v1/chat/completions "$NOFB" -D "$T/headers")
check "a Retry-After beyond the retry deadline is not waited for" [ "$s" = 429 ]
check "  ... one attempt" [ "$(attempts)" = 1 ]
check "  ... and the client is told when to come back" grep -qi '^Retry-After: 30' "$T/headers"

for status in 400 500; do
	reset
	mock_post /mock/faults "{\"times\":3,\"status\":$status,\"message\":\"injected $status\"}"
	s=$(req POST /api/v1/chat/completions "$NOFB")
	check "$status is not retried" [ "$s" = "$status" ] && check "  ... one attempt" [ "$(attempts)" = 1 ]
done

# --- resets before headers ----------------------------------------------------
reset
mock_post /mock/faults '{"times":1,"cut_before_headers":true}'
s=$(req POST /api/v1/chat/completions "$STREAM")
check "a stream reset before its headers is retried" [ "$s" = 200 ] &&
	check "  ... and completes" grep -q '^data: \[DONE\]' "$T/out"

# --- per-phase timeouts -------------------------------------------------------
reset
mock_post /mock/faults '{"times":5,"delay_headers_ms":4000}'
s=$(req POST /api/v1/chat/completions "$NOFB")
check "a slow first byte is 504" [ "$s" = 504 ]
check "  ... typed upstream_timeout" [ "$(json "$T/out" 'd["error"]["type"]')" = upstream_timeout ]
check "  ... naming first_byte_timeout" grep -q 'upstream.first_byte_timeout' "$T/out"
check "  ... not retried: a non-stream answer may be generated anyway" [ "$(attempts)" = 1 ]

reset
mock_post /mock/faults '{"times":1,"pause_after_events":2}'
s=$(req POST /api/v1/chat/completions "$STREAM")
mock_post /mock/resume '{}'
check "an idle stream ends with an error event" grep -q '"type":"upstream_timeout"' "$T/out"
check "  ... naming idle_timeout" grep -q 'upstream.idle_timeout' "$T/out"
check "  ... after the events that did arrive" grep -q '"content"' "$T/out"
check "  ... logged as upstream_timeout" sh -c "grep ' request ' '$T/orad.log' | tail -n 1 | grep -q outcome=upstream_timeout"

settled_all() { [ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state NOT IN ('settled','refused')")" = 0 ]; }
check "every request so far has one ledger row, settled (the idle stream reconciled)" wait_until 30 settled_all

# --- a bounded queue ---------------------------------------------------------
# The three slow requests must still be in flight when the fourth arrives,
# however loaded the machine: give them a first byte far beyond any
# scheduling delay (15 s), and a first_byte_timeout that waits for it.
set_first_byte_timeout() {
	sed -i "s/first_byte_timeout = [0-9]*;/first_byte_timeout = $1;/" "$CONF"
	s=$(req POST /api/v1/admin/reload '{}')
	[ "$s" = 200 ] || echo "# reload for first_byte_timeout = $1 answered $s"
}
set_first_byte_timeout 30
reset
mock_post /mock/faults '{"times":3,"delay_headers_ms":8000}'
SLOW=""
for i in 1 2 3; do
	curl -sS --unix-socket "$SOCK" -m 20 -H 'Content-Type: application/json' -d "$NOFB" \
		-o "$T/slow.$i" http://localhost/api/v1/chat/completions 2>/dev/null &
	SLOW="$SLOW $!"
done
three_out() { mock_get /mock/stats "$T/stats.json" && [ "$(json "$T/stats.json" 'd["attempts"]')" -ge 3 ]; }
wait_until 30 three_out
s=$(req POST /api/v1/chat/completions "$NOFB")
check "past upstream.max_in_flight a request fails fast with 503" [ "$s" = 503 ]
check "  ... typed upstream_busy" [ "$(json "$T/out" 'd["error"]["type"]')" = upstream_busy ]
for p in $SLOW; do wait "$p"; done
check "  ... while the three in flight are answered" sh -c "grep -l 'Mock answer' '$T'/slow.* | wc -l | grep -qx 3"
set_first_byte_timeout 2

# --- fallback models ------------------------------------------------------------
reset
mock_post /mock/faults '{"fail_models":["openai/gpt-4o-mini"]}'
s=$(req POST /api/v1/chat/completions "$CHAT")
check "the role's fallback serves when the model fails" [ "$s" = 200 ]
check "  ... the answer names the model that served" [ "$(json "$T/out" 'd["model"]')" = anthropic/claude-3.5-haiku ]
mock_get /mock/requests "$T/up.json"
check "  ... sent upstream as OpenRouter's models list" \
	[ "$(json "$T/up.json" 'd["data"][-1]["body"]["models"]')" = '["openai/gpt-4o-mini", "anthropic/claude-3.5-haiku"]' ]
ledger_flushed
check "  ... and the ledger records the model that served" \
	[ "$(ledger_sql "SELECT model_served FROM requests ORDER BY id DESC LIMIT 1")" = anthropic/claude-3.5-haiku ]

check "  ... and the ledger agrees with the mock's billing" mock_vs_ledger

# --- the upstream goes down, then comes back --------------------------------
# Refresh the model list every second from now on, to see a refresh fail;
# and keep the circuit open for 20 s once it opens, so that the checks made
# while it is open hold however slowly a loaded machine runs them.
sed -i 's/catalog_refresh = 300;/catalog_refresh = 1;/; s/circuit_cooldown = 2;/circuit_cooldown = 20;/' "$CONF"
orad_reload

kill "$MOCK_PID"
wait "$MOCK_PID" 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $MOCK_PID//")
# Each request tries 3 times (retries = 2): two requests make the 6
# failures in a row that open the circuit.
for i in 1 2; do
	s=$(req POST /api/v1/chat/completions "$NOFB")
	check "upstream down: request $i is 502" [ "$s" = 502 ]
	check "  ... typed upstream_unreachable" [ "$(json "$T/out" 'd["error"]["type"]')" = upstream_unreachable ]
done
s=$(req POST /api/v1/chat/completions "$NOFB" -D "$T/headers")
check "after 6 failures in a row the broker fails fast with 503" [ "$s" = 503 ]
check "  ... typed upstream_down" [ "$(json "$T/out" 'd["error"]["type"]')" = upstream_down ]
check "  ... saying when it will try again" grep -qiE '^Retry-After: ([1-9]|1[0-9]|20)[[:space:]]*$' "$T/headers"
if [ -x "$ORASK" ]; then
	XDG_STATE_HOME=$T/xdg "$ORASK" -S "$SOCK" --no-stream "are you there" >/dev/null 2>"$T/orask.err"
	rc=$?
	check "orask exits 7 (upstream error) while the upstream is down [got $rc]" [ "$rc" -eq 7 ]
	check "  ... with the broker's sentence" grep -q "is failing" "$T/orask.err"
fi
s=$(req GET /api/v1/me)
check "  ... while everything else keeps working" [ "$s" = 200 ]
refresh_failed() { grep -q 'catalog: refresh .* failed.*keeping the previous list' "$T/orad.log"; }
check "the model list's refresh fails while the upstream is down" wait_until 15 refresh_failed
s=$(req GET /api/v1/models)
check "  ... and the previous list is still served" [ "$s" = 200 ] &&
	check "  ... with its models" grep -q '"openai/gpt-4o-mini"' "$T/out"
s=$(req GET /api/v1/admin/status)
if [ "$s" = 200 ]; then
	check "status shows the circuit open" [ "$(json "$T/out" 'd["upstream"]["circuit"]')" = open ]
fi
"$MOCK" --listen "127.0.0.1:$MOCK_PORT" --port-file "$T/mock2.port" --keys "$T/mock.keys" --quiet \
	2>>"$T/mock.log" &
MOCK_PID=$!
PIDS="$PIDS $MOCK_PID"
wait_for_file "$T/mock2.port"
# Until the cooldown ends every request is refused at once (503); the
# first one after it is the probe, and reaches the mock that is back.
probe_ok() { [ "$(req POST /api/v1/chat/completions "$NOFB")" = 200 ]; }
check "after the cooldown a probe goes through and succeeds" wait_until 60 probe_ok
s=$(req POST /api/v1/chat/completions "$NOFB")
check "  ... and the circuit is closed again" [ "$s" = 200 ]

s=$(req POST /api/v1/chat/completions "$CHAT")
check "orad kept serving throughout" [ "$s" = 200 ]
finish
