#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# The Anthropic Messages and OpenAI Responses endpoints (issue 12): one
# admission and one relay for every wire shape. Answers and stream events
# reach the client as the upstream sent them, each request has one ledger
# row exact to the picodollar against the mock's billing, and the attacks
# are judged by what reached the mock (its record of request bodies).
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
ME=$(id -un)
start_mock
make_daemon_user
# An upstream error reaches the client at once, not after retries; a
# stream that stalls is cut after 2 s.
CONF_UPSTREAM_EXTRA="retries = 0; idle_timeout = 2;"
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }"
seal_keys || exit 1
start_orad

MSG='{"model":"openai/gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"Say hello to the shapes test"}]'
RESP='{"model":"openai/gpt-4o-mini","input":"Say hello to the shapes test"'
ANSWER='Mock answer to: Say hello to the shapes test. The quick brown fox jumps over the lazy dog.'

# How many requests the mock has received (refused ones too).
mock_requests() { mock_get /mock/requests "$T/reqs.json"; json "$T/reqs.json" 'len(d["data"])'; }
# A field of the body the mock received last, as JSON.
mock_last_body() {
	mock_get /mock/requests "$T/reqs.json"
	json "$T/reqs.json" "json.dumps(d['data'][-1]['body']$1)"
}
# The events of a stream in $T/out: "name data-type" per event, in order.
events() {
	"$PY3" - "$T/out" <<'PY'
import json, sys
name = None
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if line.startswith("event:"):
        name = line[6:].strip()
    elif line.startswith("data:"):
        d = json.loads(line[5:])
        print(name, d.get("type"))
    elif line == "":
        name = None
PY
}
# Poll (at most 30 s) until the ledger equals the mock's billing. Not with
# wait_until: mock_vs_ledger uses it too, and its counters are global.
settles_to_mock() {
	tries=0
	until mock_vs_ledger >/dev/null; do
		tries=$((tries + 1))
		[ "$tries" -lt 300 ] || return 1
		sleep 0.1
	done
}
rows() { ledger_flushed; ledger_sql "SELECT COUNT(*) FROM requests WHERE http_status = 200"; }

# ---- Messages, not streamed ----
s=$(req POST /api/v1/messages "$MSG}")
check "messages: an answer" [ "$s" = 200 ]
check "  ... in Anthropic's shape, relayed as the mock wrote it" \
	[ "$(json "$T/out" 'd["type"] + "|" + d["content"][0]["text"]')" = "message|$ANSWER" ]
check "  ... went to the upstream's /messages" \
	[ "$(mock_get /mock/requests "$T/reqs.json"; json "$T/reqs.json" 'd["data"][-1]["endpoint"]')" = messages ]
check "  ... its ledger row has the mock's cost to the picodollar" mock_vs_ledger
s=$(req POST /v1/messages "$MSG}")
check "messages at /v1/messages too (ANTHROPIC_BASE_URL without /api)" [ "$s" = 200 ]

# ---- Messages, streamed ----
s=$(req POST /api/v1/messages "$MSG,\"stream\":true}")
check "messages stream: 200" [ "$s" = 200 ]
events >"$T/ev"
expect_messages() {
	"$PY3" - "$T/ev" <<'PY'
import sys
ev = [l.split() for l in open(sys.argv[1])]
names = [e[0] for e in ev]
assert all(e[0] == e[1] for e in ev), "event name and data type differ"
head = ["message_start", "content_block_start", "ping"]
tail = ["content_block_stop", "message_delta", "message_stop"]
assert names[:3] == head and names[-3:] == tail, names
assert set(names[3:-3]) == {"content_block_delta"} and len(names) - 6 == 18, names
PY
}
check "  ... every event relayed, in the upstream's order" expect_messages
text=$("$PY3" -c 'import json, sys
t = ""
for l in open(sys.argv[1]):
    if l.startswith("data:"):
        d = json.loads(l[5:])
        if d["type"] == "content_block_delta": t += d["delta"]["text"]
print(t)' "$T/out")
check "  ... the text deltas make the answer" [ "$text" = "$ANSWER" ]
check "  ... ledger exact (cost read from the raw message_delta event)" mock_vs_ledger
ledger_flushed
check "  ... with the tokens the stream reported" \
	[ "$(ledger_sql "SELECT prompt_tokens, completion_tokens, outcome FROM requests ORDER BY id DESC LIMIT 1")" = "11|18|ok" ]

# ---- Responses, not streamed and streamed ----
s=$(req POST /api/v1/responses "$RESP}")
check "responses: an answer" [ "$s" = 200 ]
check "  ... in the Responses shape" \
	[ "$(json "$T/out" 'd["object"] + "|" + d["output"][0]["content"][0]["text"]')" = "response|$ANSWER" ]
check "  ... ledger exact" mock_vs_ledger
s=$(req POST /v1/responses "$RESP,\"stream\":true}")
check "responses stream: 200 (at /v1/responses)" [ "$s" = 200 ]
events >"$T/ev"
expect_responses() {
	"$PY3" - "$T/ev" "$T/out" <<'PY'
import json, sys
names = [l.split()[0] for l in open(sys.argv[1])]
assert names[0] == "response.created" and names[1] == "response.in_progress", names
assert names[-1] == "response.completed", names
assert names.count("response.output_text.delta") == 18, names
seq = [json.loads(l[5:])["sequence_number"] for l in open(sys.argv[2]) if l.startswith("data:")]
assert seq == list(range(len(seq))), seq
PY
}
check "  ... every event relayed, in order (sequence numbers 0, 1, 2, ...)" expect_responses
check "  ... ledger exact" mock_vs_ledger
ledger_flushed
check "  ... with the tokens of response.completed" \
	[ "$(ledger_sql "SELECT completion_tokens, outcome FROM requests ORDER BY id DESC LIMIT 1")" = "18|ok" ]
check "one ledger row per answered request (5)" [ "$(rows)" = 5 ]

# ---- Attacks, judged by what reached the mock ----
n=$(mock_requests)
s=$(req POST /api/v1/messages '{"model":"anthropic/claude-3.5-sonnet","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}')
check "messages: a forbidden model is refused with 403" [ "$s" = 403 ]
check "  ... in Anthropic's error shape" \
	[ "$(json "$T/out" 'd["type"] + "|" + d["error"]["type"]')" = "error|permission_error" ]
check "  ... with a sentence that names the model" grep -q 'anthropic/claude-3.5-sonnet' "$T/out"
check "  ... and nothing reached the upstream" [ "$(mock_requests)" = "$n" ]
s=$(req POST /api/v1/messages '{"model":"openai/gpt-4o-mini","max_tokens":10,"fallbacks":[{"model":"anthropic/claude-3.5-sonnet"}],"messages":[{"role":"user","content":"hi"}]}')
check "messages: a forbidden fallback model is refused" [ "$s" = 403 ]
check "  ... and nothing reached the upstream" [ "$(mock_requests)" = "$n" ]
s=$(req POST /api/v1/messages '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}')
check "messages: max_tokens missing is a 400 in Anthropic's shape" \
	[ "$s|$(json "$T/out" 'd["error"]["type"]')" = "400|invalid_request_error" ]
s=$(req POST /api/v1/responses '{"model":"anthropic/claude-3.5-sonnet","input":"hi"}')
check "responses: a forbidden model is refused with 403 in OpenRouter's shape" \
	[ "$s|$(json "$T/out" 'd["error"]["type"]')" = "403|model_not_allowed" ]
check "  ... and nothing reached the upstream" [ "$(mock_requests)" = "$n" ]
s=$(req POST /api/v1/responses '{"model":"openai/gpt-4o-mini","models":["openai/gpt-4o-mini","anthropic/claude-3.5-sonnet"],"input":"hi"}')
check "responses: a forbidden model in the fallback list is refused" [ "$s" = 403 ]
s=$(req POST /api/v1/messages '{"model":"openai/gpt-4o-mini","max_tokens":10,"plugins":[{"id":"fusion","models":["anthropic/claude-3.5-sonnet"]}],"messages":[{"role":"user","content":"hi"}]}')
check "messages: a routing plugin naming a forbidden model is refused with 403" [ "$s" = 403 ]
check "  ... in Anthropic's error shape" [ "$(json "$T/out" 'd["type"]')" = error ]
check "  ... and nothing reached the upstream" [ "$(mock_requests)" = "$n" ]

s=$(req POST /api/v1/messages '{"model":"openai/gpt-4o-mini","max_tokens":50000,"metadata":{"user_id":"someone-else"},"messages":[{"role":"user","content":"hi"}]}')
check "messages: max_tokens above the role's cap is admitted" [ "$s" = 200 ]
check "  ... and reaches the upstream capped at the role's 1000" [ "$(mock_last_body '["max_tokens"]')" = 1000 ]
check "  ... with orad's identity in metadata.user_id, not the client's" \
	[ "$(mock_last_body '["metadata"]["user_id"]')" = "\"test:$ME\"" ]
s=$(req POST /api/v1/responses '{"model":"openai/gpt-4o-mini","max_output_tokens":50000,"user":"someone-else","input":"hi"}')
check "responses: max_output_tokens above the cap is admitted" [ "$s" = 200 ]
check "  ... and reaches the upstream capped at 1000" [ "$(mock_last_body '["max_output_tokens"]')" = 1000 ]
check "  ... with orad's identity in user, not the client's" \
	[ "$(mock_last_body '["user"]')" = "\"test:$ME\"" ]
check "the ledger still equals the mock's billing" mock_vs_ledger

# ---- Upstream errors in each shape ----
mock_post /mock/faults '{"error_after_events":3}'
s=$(req POST /api/v1/messages "$MSG,\"stream\":true}")
check "messages: an error event mid-stream reaches the client" grep -q '^event: error' "$T/out"
# The error event carries no usage: the cost comes from /generation.
check "  ... and is billed as the mock billed it (reconciled by generation id)" \
	settles_to_mock
# A non-stream answer that failed mid-generation: 502 in Anthropic's shape,
# but the words generated were billed, and the upstream named the
# generation: orad reconciles it instead of settling at 0.
mock_post /mock/faults '{"error_after_events":3}'
s=$(req POST /api/v1/messages "$MSG}")
check "messages: a generation that failed is relayed as a 502 api_error" \
	[ "$s|$(json "$T/out" 'd["error"]["type"]')" = "502|api_error" ]
check "  ... and billed as the mock billed it (reconciled by generation id)" \
	settles_to_mock
mock_post /mock/faults '{"status":429,"message":"injected 429"}'
s=$(req POST /api/v1/messages "$MSG}")
check "messages: an upstream 429 is relayed in Anthropic's shape" \
	[ "$s|$(json "$T/out" 'd["error"]["type"]')" = "429|rate_limit_error" ]
# ---- orad's own errors after a stream began, in each shape ----
# The last event of $T/out: "name|json" .
last_event() {
	"$PY3" - "$T/out" <<'PY'
import json, sys
name, last = "", None
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if line.startswith("event:"):
        name = line[6:].strip()
    elif line.startswith("data:"):
        last = (name, json.loads(line[5:]))
print(last[0], json.dumps(last[1]))
PY
}
mock_post /mock/faults '{"pause_after_events":2}'
s=$(req POST /api/v1/messages "$MSG,\"stream\":true}")
mock_post /mock/resume '{}'
last_event >"$T/last"
check "messages: a stalled stream ends with Anthropic's error event" \
	grep -q '^error {"type": "error", "error": {"type": "timeout_error"' "$T/last"
check "  ... naming upstream.idle_timeout" grep -q 'upstream.idle_timeout' "$T/last"
check "  ... after the deltas that did arrive" grep -q '^event: content_block_delta' "$T/out"
mock_post /mock/faults '{"pause_after_events":2}'
s=$(req POST /api/v1/responses "$RESP,\"stream\":true}")
mock_post /mock/resume '{}'
last_event >"$T/last"
check "responses: a stalled stream ends with the Responses error event" \
	grep -q '^error {"type": "error", "code": "upstream_timeout"' "$T/last"
settled_all() { [ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state NOT IN ('settled','refused')")" = 0 ]; }
check "every row settled, the stalled streams reconciled" wait_until 10 settled_all
check "  ... and the ledger equals the mock's billing" mock_vs_ledger
# ---- refusals at the door, before any handler, in the path's shape ----
# door PATH HEADER: send a request head with one more header line (and no
# body) straight to orad's socket; the status line and the body of its
# answer go to $T/door.
door() {
	"$PY3" - "$SOCK" "$1" "$2" >"$T/door" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s\r\n\r\n"
           % (sys.argv[2], sys.argv[3])).encode())
data = b""
while (b := s.recv(65536)):
    data += b
head, _, body = data.decode().partition("\r\n\r\n")
print(head.split("\r\n")[0])
print(body)
PY
}
door_body() { sed 1d "$T/door" | "$PY3" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
n=$(mock_requests)
door /api/v1/messages 'Content-Length: 999999999'
check "messages: a body over daemon.max_body_bytes is 413 at the door" grep -q '^HTTP/1.1 413' "$T/door"
check "  ... in Anthropic's error shape" \
	[ "$(door_body 'd["type"], d["error"]["type"]')" = "error request_too_large" ]
door '/v1/messages?beta=true' 'Content-Length: 999999999'
check "  ... also at /v1/messages with a query" \
	[ "$(door_body 'd["type"], d["error"]["type"]')" = "error request_too_large" ]
door /api/v1/responses 'Content-Length: 999999999'
check "responses: the same 413 in the Responses shape (OpenRouter's error object)" \
	[ "$(door_body 'd["error"]["type"]')" = too_large ]
door /api/v1/messages "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)"
check "messages: a head over daemon.max_header_bytes is 431" grep -q '^HTTP/1.1 431' "$T/door"
check "  ... in Anthropic's error shape" \
	[ "$(door_body 'd["type"], d["error"]["type"]')" = "error request_too_large" ]
door /api/v1/messages 'Content-Length: lots'
check "messages: a head the parser refuses is 400" grep -q '^HTTP/1.1 400' "$T/door"
check "  ... in Anthropic's error shape" \
	[ "$(door_body 'd["type"], d["error"]["type"]')" = "error invalid_request_error" ]
door /api/v1/chat/completions 'Content-Length: 999999999'
check "chat completions keeps its own shape for the same 413" \
	[ "$(door_body 'd["error"]["type"]')" = too_large ]
check "  ... and none of these reached the upstream" [ "$(mock_requests)" = "$n" ]
finish
