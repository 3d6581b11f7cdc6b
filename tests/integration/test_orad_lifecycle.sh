#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Reload, rate limits and shutdown: SIGHUP applies a good configuration and
# refuses a broken one, in-flight requests finish under the policy they
# started with, limits answer 429 with Retry-After, SIGTERM drains.
. "$top_srcdir/tests/integration/lib.sh"

ME=$(id -un)
ROLES='
  basic = {
    models = [ "openai/gpt-4o-mini" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 600;
    concurrent_requests = 1;
  };
  power = {
    models = [ "openai/*", "anthropic/*" ];
    default_model = "openai/gpt-4o";
    max_tokens = 1000;
    requests_per_minute = 3;
    concurrent_requests = 4;
  };'
standard_setup "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }" "$ROLES" \
	"max_connections_per_uid = 3;"
SONNET='{"model":"anthropic/claude-3.5-sonnet","messages":[{"role":"user","content":"hi"}]}'
SLOW_STREAM='{"stream":true,"messages":[{"role":"user","content":"a slow one"}]}'

# --- concurrency limit: basic allows 1 at once ------------------------------
# The mock holds the stream after 2 words until /mock/resume: it is in
# flight for as long as the test needs, however slow the machine.
mock_post /mock/faults '{"times":1,"pause_after_events":2}'
curl -sS -N --unix-socket "$SOCK" -H 'Content-Type: application/json' -d "$SLOW_STREAM" \
	http://localhost/api/v1/chat/completions >"$T/slow1.out" 2>&1 &
SLOW=$!
check "a stream is in flight" wait_until 30 mock_streams 1
s=$(req POST /api/v1/chat/completions "$CHAT" -D "$T/headers")
check "a second concurrent request over the role's limit is 429" [ "$s" = 429 ]
check "  ... with Retry-After" grep -qi '^Retry-After: ' "$T/headers"
check "  ... typed rate_limited" [ "$(json "$T/out" 'd["error"]["type"]')" = rate_limited ]

# --- reload while that stream is in flight ----------------------------------
cp "$CONF" "$T/basic.conf"
sed -i 's/role = "basic"/role = "power"/' "$CONF"
orad_reload
s=$(req POST /api/v1/chat/completions "$SONNET")
check "after SIGHUP the new role applies (sonnet allowed)" [ "$s" = 200 ]
mock_post /mock/resume '{}'
wait $SLOW
check "the stream in flight during the reload finished" grep -q '^data: \[DONE\]' "$T/slow1.out"
check "the reload was logged" grep -q 'configuration reloaded' "$T/orad.log"
audit_ok() { [ "$(ledger_sql "SELECT user, action, detail LIKE 'accepted%' FROM audit ORDER BY id DESC LIMIT 1")" = "(SIGHUP)|reload|1" ]; }
check "  ... and is in the ledger's audit trail" wait_until 30 audit_ok

# A broken configuration is refused and the old one stays.
cp "$CONF" "$T/power.conf"
echo 'rules = ( { user = "x"; role = "nope"; cost_centre = "dev"; } ); this is not libconfig' >>"$CONF"
orad_reload
check "a broken configuration is refused with a log line" grep -q 'reload refused' "$T/orad.log"
s=$(req POST /api/v1/chat/completions "$SONNET")
check "  ... and the previous policy stays in force" [ "$s" = 200 ]
cp "$T/power.conf" "$CONF"

# --- requests per minute: power allows 3, two were used above --------------
s1=$(req POST /api/v1/chat/completions "$CHAT")
s2=$(req POST /api/v1/chat/completions "$CHAT" -D "$T/headers")
check "requests over the per-minute limit get 429" [ "$s1" = 200 ] && [ "$s2" = 429 ]
check "  ... with a Retry-After in seconds" grep -qiE '^Retry-After: [0-9]+' "$T/headers"
check "  ... and a message naming the limit" grep -q '3 requests per minute' "$T/out"

# --- connections per uid ----------------------------------------------------
cat >"$T/conns.py" <<'PY'
import socket, sys, json
held = []
for i in range(3):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.sendall(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(65536)
    held.append(s)
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n\r\n")
print(s.recv(65536).decode(errors="replace").split("\r\n")[0])
PY
python3 "$T/conns.py" "$SOCK" >"$T/conns.out" 2>&1
check "a fourth connection from one uid (limit 3) is refused with 429" grep -q ' 429 ' "$T/conns.out"
s=$(req GET /api/v1/me)
check "  ... and released connections are counted back" [ "$s" = 200 ]

# Back to the basic role (600 requests per minute) for the drain.
cp "$T/basic.conf" "$CONF"
orad_reload
s=$(req GET /api/v1/me)
check "a second reload applies too" [ "$(json "$T/out" 'd["role"]')" = basic ]

# --- SIGTERM drains ----------------------------------------------------------
# The stream is held at the mock until the test has seen the drain refuse
# a new connection; the grace is long enough for a loaded machine.
sed -i 's/shutdown_grace = 5;/shutdown_grace = 60;/' "$CONF"
orad_reload
mock_post /mock/faults '{"times":1,"pause_after_events":2}'
curl -sS -N --unix-socket "$SOCK" -H 'Content-Type: application/json' -d "$SLOW_STREAM" \
	http://localhost/api/v1/chat/completions >"$T/slow2.out" 2>&1 &
SLOW=$!
wait_until 30 mock_streams 1
kill -TERM "$ORAD_PID"
refused() { ! curl -s --unix-socket "$SOCK" -o /dev/null http://localhost/api/v1/me; }
check "no new connection is accepted while draining" wait_until 30 refused
mock_post /mock/resume '{}'
wait $SLOW
check "the request in flight at SIGTERM finished" grep -q '^data: \[DONE\]' "$T/slow2.out"
wait "$ORAD_PID"
rc=$?
PIDS=$(echo "$PIDS" | sed "s/ $ORAD_PID//")
check "orad exits 0 after draining" [ "$rc" -eq 0 ]
# As root, orad has dropped to an account that cannot write the socket's
# directory; the next start removes the stale socket (test_orad_startup).
if ! is_root; then
	check "orad removed its socket" [ ! -e "$SOCK" ]
fi
finish
