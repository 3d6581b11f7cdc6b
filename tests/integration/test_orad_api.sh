#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# The broker's API as one caller sees it: answers, streaming, refusals with
# clear errors for every kind of bad input, and a daemon that keeps serving.
. "$top_srcdir/tests/integration/lib.sh"

# Whoever runs the test is the caller: match them by user name.
ME=$(id -un)
CONF_EXTRA='aliases = { fast = "openai/gpt-4o-mini"; smart = "anthropic/claude-3.5-sonnet"; };'
standard_setup "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\", \"prod\" ]; }"

# --- answers ---------------------------------------------------------------
s=$(req POST /api/v1/chat/completions "$CHAT")
check "non-stream chat answers 200" [ "$s" = 200 ]
check "answer has the mock's content" grep -q 'Mock answer to' "$T/out"
check "usage carries the upstream's cost" [ "$(json "$T/out" 'd["usage"]["cost"] > 0')" = True ]
check "default model applied" [ "$(json "$T/out" 'd["model"]')" = openai/gpt-4o-mini ]

s=$(req POST /v1/chat/completions "$CHAT")
check "/v1 alias answers" [ "$s" = 200 ]

mock_get /mock/requests "$T/up.json"
check "client Authorization replaced by the cost centre key" \
	[ "$(json "$T/up.json" 'd["data"][-1]["authorization_key"]')" = "$KEY_DEV" ]
check "user field set from the kernel's identity" \
	[ "$(json "$T/up.json" 'd["data"][-1]["user"]')" = "test:$ME" ]
check "attribution title sent" [ "$(json "$T/up.json" 'd["data"][-1]["title"]')" = "ora test" ]
check "max_tokens cap applied when absent" \
	[ "$(json "$T/up.json" 'd["data"][-1]["body"]["max_tokens"]')" = 1000 ]

s=$(req POST /api/v1/chat/completions \
	'{"model":"openai/gpt-4o-mini","max_tokens":999999,"user":"someone-else","messages":[{"role":"user","content":"hi"}]}' \
	-H "Authorization: Bearer sk-or-v1-clientsuppliedkey")
mock_get /mock/requests "$T/up.json"
check "max_tokens above the cap lowered to the cap" \
	[ "$(json "$T/up.json" 'd["data"][-1]["body"]["max_tokens"]')" = 1000 ]
check "a user field in the body cannot impersonate" \
	[ "$(json "$T/up.json" 'd["data"][-1]["user"]')" = "test:$ME" ]
check "a client Authorization header never reaches upstream" \
	[ "$(json "$T/up.json" 'd["data"][-1]["authorization_key"]')" = "$KEY_DEV" ]

# --- cost centres ----------------------------------------------------------
s=$(req POST /api/v1/chat/completions "$CHAT" -H 'X-Ora-Cost-Centre: prod')
mock_get /mock/requests "$T/up.json"
check "X-Ora-Cost-Centre: prod uses the prod key" [ "$s" = 200 ] &&
	check "prod key used upstream" [ "$(json "$T/up.json" 'd["data"][-1]["authorization_key"]')" = "$KEY_PROD" ]
check "prod cost centre's own title" [ "$(json "$T/up.json" 'd["data"][-1]["title"]')" = "ora prod" ]
s=$(req POST /api/v1/chat/completions "$CHAT" -H 'x-ora-cost-centre: prod')
check "header name is case-insensitive (HTTP)" [ "$s" = 200 ]
s=$(req POST /api/v1/chat/completions "$CHAT" -H 'X-Ora-Cost-Centre: Prod')
check "cost centre value is exact: Prod refused" [ "$s" = 403 ]
check "refusal names the granted centres" grep -q 'you may use: dev, prod' "$T/out"
s=$(req POST /api/v1/chat/completions "$CHAT" -H 'X-Ora-Cost-Center: prod')
check "a look-alike header is refused, not ignored" [ "$s" = 400 ]
s=$(req POST /api/v1/chat/completions \
	'{"model":"meta-llama/llama-3.1-8b-instruct","messages":[{"role":"user","content":"hi"}]}' \
	-H 'X-Ora-Cost-Centre: prod')
check "prod narrows models: llama refused there" [ "$s" = 403 ]
check "  ... as model_not_allowed" [ "$(json "$T/out" 'd["error"]["type"]')" = model_not_allowed ]

# --- streaming -------------------------------------------------------------
s=$(req POST /api/v1/chat/completions \
	'{"stream":true,"messages":[{"role":"user","content":"stream please"}]}')
check "stream answers 200" [ "$s" = 200 ]
check "stream carries data events" grep -q '^data: {' "$T/out"
check "stream ends with [DONE]" grep -q '^data: \[DONE\]' "$T/out"
check "stream carries the usage chunk with cost" grep -q '"cost"' "$T/out"

# --- models and me ---------------------------------------------------------
s=$(req GET /api/v1/models)
check "models answers 200" [ "$s" = 200 ]
check "models lists an allowed model" grep -q '"openai/gpt-4o-mini"' "$T/out"
check "models hides a disallowed model" sh -c "! grep -q '\"anthropic/claude-3.5-sonnet\"' '$T/out'"
check "models carries prices" grep -q '"pricing"' "$T/out"
s=$(req GET /api/v1/me)
check "me answers 200" [ "$s" = 200 ]
check "me names the caller" [ "$(json "$T/out" 'd["user"]')" = "$ME" ]
check "me shows the uid from the kernel" [ "$(json "$T/out" 'd["uid"]')" = "$(id -u)" ]
check "me shows the role" [ "$(json "$T/out" 'd["role"]')" = basic ]

# --- aliases from the site configuration -------------------------------------
s=$(req POST /api/v1/chat/completions '{"model":"fast","messages":[{"role":"user","content":"hi"}]}')
mock_get /mock/requests "$T/up.json"
check "an alias answers" [ "$s" = 200 ]
check "  ... sent upstream as the model it stands for" \
	[ "$(json "$T/up.json" 'd["data"][-1]["body"]["model"]')" = openai/gpt-4o-mini ]
s=$(req POST /api/v1/chat/completions '{"model":"smart","messages":[{"role":"user","content":"hi"}]}')
check "an alias for a model the role does not allow is refused" [ "$s" = 403 ]
check "  ... naming the real model" grep -q "anthropic/claude-3.5-sonnet" "$T/out"
s=$(req POST /api/v1/chat/completions '{"model":"openai/gpt-4o-mini","models":["smart"],"messages":[{"role":"user","content":"hi"}]}')
check "an alias in the fallback list is checked too" [ "$s" = 403 ]
req GET /api/v1/me >/dev/null
check "me lists the aliases you may use" [ "$(json "$T/out" 'd["aliases"].get("fast")')" = openai/gpt-4o-mini ]
check "  ... and not the others" [ "$(json "$T/out" '"smart" in d["aliases"]')" = False ]

if [ -x "$ORASK" ]; then
	XDG_STATE_HOME=$T/xdg NO_COLOR=1 "$ORASK" -S "$SOCK" models >"$T/models.txt" 2>&1
	check "orask models lists the aliases you may use" grep -Eq '^fast +openai/gpt-4o-mini$' "$T/models.txt"
	check "  ... and not the others" sh -c "! grep -q '^smart ' '$T/models.txt'"
	XDG_STATE_HOME=$T/xdg "$ORASK" -S "$SOCK" -m fast --json "hi" >"$T/alias.json" 2>&1
	check "orask -m fast answers with the model it stands for" \
		[ "$(json "$T/alias.json" 'd["model"]')" = openai/gpt-4o-mini ]
fi

# --- refusals --------------------------------------------------------------
s=$(req POST /api/v1/chat/completions '{"messages":[{"role":"user","content":"hi"}')
check "malformed JSON is 400" [ "$s" = 400 ]
check "  ... saying it is not valid JSON" grep -q 'not valid JSON' "$T/out"
s=$(req POST /api/v1/chat/completions '{"model":"openai/gpt-4o-mini"}')
check "missing messages is 400" [ "$s" = 400 ] && check "  ... naming messages" grep -q messages "$T/out"
s=$(req POST /api/v1/chat/completions '[1,2,3]')
check "non-object body is 400" [ "$s" = 400 ]
s=$(req POST /api/v1/chat/completions '{"model":"anthropic/claude-3.5-sonnet","messages":[{"role":"user","content":"hi"}]}')
check "disallowed model is 403" [ "$s" = 403 ]
check "  ... naming the model and the allowed patterns" \
	grep -q "anthropic/claude-3.5-sonnet.*allowed: openai/gpt-4o-mini, meta-llama/\*" "$T/out"
s=$(req POST /api/v1/chat/completions '{"model":"openai/gpt-4o-mini","models":["openai/gpt-4o-mini","anthropic/claude-3.5-sonnet"],"messages":[{"role":"user","content":"hi"}]}')
check "disallowed model hidden in the fallback list is 403" [ "$s" = 403 ]
s=$(req POST /api/v1/chat/completions '{"preset":"anything","messages":[{"role":"user","content":"hi"}]}')
check "preset (could pick any model) is refused" [ "$s" = 400 ]
s=$(req POST /api/v1/chat/completions '{"model":42,"messages":[{"role":"user","content":"hi"}]}')
check "a non-string model is 400" [ "$s" = 400 ]

big=$T/big.json
python3 -c 'import json; print(json.dumps({"messages":[{"role":"user","content":"x"*(5*1024*1024)}]}))' >"$big"
s=$(curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' --data-binary @"$big" \
	-o "$T/out" -w '%{http_code}' http://localhost/api/v1/chat/completions)
check "oversized body is 413" [ "$s" = 413 ]
check "  ... with a JSON error naming the limit" [ "$(json "$T/out" 'd["error"]["type"]')" = too_large ]

s=$(req GET /api/v1/nothing-here)
check "unknown path is 404 JSON" [ "$s" = 404 ] && check "  ... typed not_found" [ "$(json "$T/out" 'd["error"]["type"]')" = not_found ]
s=$(req GET /api/v1/chat/completions)
check "wrong method is 405 JSON" [ "$s" = 405 ] && check "  ... typed method_not_allowed" [ "$(json "$T/out" 'd["error"]["type"]')" = method_not_allowed ]
s=$(req DELETE /api/v1/me)
check "DELETE is 405" [ "$s" = 405 ]

# Garbage bytes and a client that sends half a request and stalls: the
# daemon answers or closes, and keeps serving everyone else.
python3 - "$SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"\x00\xff\x13garbage\r\n\r\n\x80\x81")
s.settimeout(5)
try:
    s.recv(1000)
except Exception:
    pass
s.close()
PY
check "garbage bytes do not stop the daemon" kill -0 "$ORAD_PID"

python3 - "$SOCK" <<'PY' >"$T/stall.out" 2>&1 &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"mess")
t = time.time()
s.settimeout(20)
data = s.recv(1000)
print("closed_after=%.1f" % (time.time() - t), "bytes=%d" % len(data))
PY
STALL=$!
s=$(req POST /api/v1/chat/completions "$CHAT")
check "others are served while a client stalls" [ "$s" = 200 ]
wait $STALL
check "a stalled half request is closed after the timeout" grep -q 'closed_after=[2-9]' "$T/stall.out"

# --- configuration check ---------------------------------------------------
out=$("$ORAD" -t -c "$CONF" 2>/dev/null)
check "orad -t accepts a good configuration" [ "$out" = "configuration OK" ]
sed 's/role = "basic"/role = "nosuchrole"/' "$CONF" >"$T/bad.conf"
if "$ORAD" -t -c "$T/bad.conf" >"$T/t.out" 2>&1; then not_ok "orad -t refuses a bad configuration"; else ok "orad -t refuses a bad configuration"; fi
check "  ... naming file:line and the undefined role" grep -q "bad.conf:[0-9]*:.*nosuchrole" "$T/t.out"

check "daemon still alive after everything" kill -0 "$ORAD_PID"
s=$(req POST /api/v1/chat/completions "$CHAT")
check "and still answering" [ "$s" = 200 ]
finish
