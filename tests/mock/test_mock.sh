#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_mock.sh: ora-mock speaks OpenRouter's wire format (shapes, exact
# cost, streaming order, errors, faults) and records what it billed.
# Builds nothing; runs the built mock on a free loopback port. Prints one
# line per check and exits 0 (pass), 1 (fail) or 77 (skip).
set -eu
: "${top_builddir:?run through make check}"

MOCK=$top_builddir/tests/mock/ora-mock
[ -x "$MOCK" ] || { echo "SKIP: $MOCK is not built"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl missing"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }

T=$(mktemp -d /tmp/ora-mock-test.XXXXXX)
MPID=""
FAILED=0
cleanup() {
	rc=$?
	if [ -n "$MPID" ]; then
		kill "$MPID" 2>/dev/null || true
		wait "$MPID" 2>/dev/null || true
	fi
	if { [ "$FAILED" -ne 0 ] || [ "$rc" -ne 0 ]; } && [ -f "$T/mock.log" ]; then
		echo "--- mock log, last 40 lines"
		tail -n 40 "$T/mock.log"
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILED=$((FAILED + 1)); }
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# py FILE EXPR: evaluate a Python expression over d (the JSON in FILE,
# numbers as exact Decimals); succeeds when it is true.
py() {
	python3 -c 'import json,sys
from decimal import Decimal as D
d = json.load(open(sys.argv[1]), parse_float=D)
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
# sse FILE EXPR: the same over an SSE capture: ev is the list of events,
# each ("comment", text) or ("data", parsed JSON or "[DONE]").
sse() {
	python3 -c 'import json,sys
from decimal import Decimal as D
ev = []
for block in open(sys.argv[1]).read().split("\n\n"):
    if not block:
        continue
    if block.startswith(":"):
        ev.append(("comment", block[1:].strip()))
    elif block.startswith("data: "):
        p = block[6:]
        ev.append(("data", p if p == "[DONE]" else json.loads(p, parse_float=D)))
    else:
        ev.append(("junk", block))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

KEY=sk-or-v1-$(printf '0123456789abcdef%.0s' 1 2 3 4)
KEY2=sk-or-v1-$(printf 'fedcba9876543210%.0s' 1 2 3 4)
printf '# test keys\n%s\n%s\n' "$KEY" "$KEY2" >"$T/keys"
MKEY=sk-or-v1-$(printf 'aaaabbbbccccdddd%.0s' 1 2 3 4)
printf '%s\n' "$MKEY" >"$T/mkeys"
"$MOCK" --port-file "$T/port" --keys "$T/keys" --management-keys "$T/mkeys" --generation-delay-ms 10000 \
	2>"$T/mock.log" &
MPID=$!
i=0
while [ ! -s "$T/port" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "mock did not start"; cat "$T/mock.log"; exit 1; }
	sleep 0.05
done
URL=http://127.0.0.1:$(cat "$T/port")
API=$URL/api/v1
AUTH="Authorization: Bearer $KEY"

# chat JSON [curl args...]: POST a chat request; body in $T/out, headers in
# $T/hdr, status printed.
chat() {
	body=$1
	shift
	curl -sS -o "$T/out" -D "$T/hdr" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "$body" "$@" "$API/chat/completions"
}
fault() { curl -sS -o /dev/null -d "$1" "$URL/mock/faults"; }
header() { tr -d '\r' <"$T/hdr" | sed -n "s/^$1: //Ip"; }

# --- catalog ---------------------------------------------------------------
curl -sS -o "$T/models" "$API/models"
check "/models lists the built-in catalog without auth" \
	py "$T/models" 'd["total_count"] == len(d["data"]) >= 9 and d["links"]["next"] is None'
check "/models prices are decimal strings" py "$T/models" \
	'[m["pricing"] for m in d["data"] if m["id"] == "openai/gpt-4o-mini"][0] == {"prompt": "0.00000015", "completion": "0.0000006", "request": "0", "image": "0"}'

# --- non-streaming answer --------------------------------------------------
s=$(chat '{"model":"openai/gpt-4o-mini","user":"alice","messages":[{"role":"user","content":"Say hello to the world please"}]}' \
	-H "$AUTH" -H 'HTTP-Referer: https://ora.test/' -H 'X-OpenRouter-Title: ora test')
check "non-stream answers 200" [ "$s" = 200 ]
check "  ... with OpenRouter's shape" py "$T/out" \
	'd["id"].startswith("gen-") and d["provider"] == "MockAI" and d["object"] == "chat.completion" and d["model"] == "openai/gpt-4o-mini" and d["system_fingerprint"] is None and isinstance(d["created"], int)'
check "  ... deterministic content" py "$T/out" \
	'd["choices"][0]["message"] == {"role": "assistant", "content": "Mock answer to: Say hello to the world please. The quick brown fox jumps over the lazy dog.", "refusal": None, "reasoning": None}'
check "  ... finish_reason stop" py "$T/out" \
	'd["choices"][0]["finish_reason"] == "stop" == d["choices"][0]["native_finish_reason"]'
# 29 bytes -> ceil(29/4)+4 = 12 prompt tokens; 18 words; 12*0.15e-6 + 18*0.6e-6
check "  ... usage and exact cost" py "$T/out" \
	'd["usage"] == {"prompt_tokens": 12, "completion_tokens": 18, "total_tokens": 30, "cost": D("0.0000126"), "is_byok": False, "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}, "cost_details": {"upstream_inference_cost": None}}'
check "  ... cost printed as a plain decimal" grep -q '"cost":0.0000126,' "$T/out"
GEN1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/out")
check "X-Generation-Id header carries the id" [ "$(header X-Generation-Id)" = "$GEN1" ]

# The spec's example: 82 prompt tokens (a 312-byte message) and 17
# completion tokens of gpt-4o-mini cost exactly 0.0000225.
LONG=$(printf 'x%.0s' $(seq 312))
fault '{"completion_tokens":17}'
s=$(chat "{\"model\":\"openai/gpt-4o-mini\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"$LONG\"}]}" -H "$AUTH")
check "spec example costs 0.0000225" py "$T/out" \
	'd["usage"]["prompt_tokens"] == 82 and d["usage"]["completion_tokens"] == 17 and d["usage"]["cost"] == D("0.0000225")'
s=$(chat '{"model":"openai/gpt-4o","max_tokens":3,"messages":[{"role":"user","content":"hi"}]}' -H "$AUTH")
check "max_tokens cuts with finish_reason length" py "$T/out" \
	'd["choices"][0]["finish_reason"] == "length" and d["choices"][0]["message"]["content"] == "Mock answer to: " and d["usage"]["completion_tokens"] == 3'
s=$(chat '{"model":"meta-llama/llama-3.1-8b-instruct:free","messages":[{"role":"user","content":"hi"}]}' -H "$AUTH")
check "free model costs 0" py "$T/out" 'd["usage"]["cost"] == 0'

# --- refusals --------------------------------------------------------------
s=$(chat '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}')
check "no key: 401" [ "$s" = 401 ]
check "  ... Missing Authentication header" py "$T/out" \
	'd == {"error": {"code": 401, "message": "Missing Authentication header"}, "user_id": "user_mock"}'
s=$(chat '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' \
	-H "Authorization: Bearer sk-or-v1-notinthekeysfile")
check "unknown key: 401 User not found." py "$T/out" "$s == 401 and d['error']['message'] == 'User not found.'"
s=$(chat '{"model":"nope/nope","messages":[{"role":"user","content":"hi"}]}' -H "$AUTH")
check "unknown model: 400 not a valid model ID" \
	py "$T/out" "$s == 400 and d['error']['message'] == 'nope/nope is not a valid model ID'"
s=$(chat '{"model":"openai/gpt-4o-mini","messages":[]}' -H "$AUTH")
check "empty messages: 400" [ "$s" = 400 ]
s=$(chat '{"model":"openai/gpt-4o-mini",' -H "$AUTH")
check "broken JSON: 400" [ "$s" = 400 ]

# --- faults: HTTP errors ---------------------------------------------------
fault '{"status":429,"retry_after":7,"rate_limit_headers":true,"metadata":{"provider_name":"X"}}'
s=$(chat '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' -H "$AUTH")
check "429 fault answers 429" [ "$s" = 429 ]
check "  ... with Retry-After" [ "$(header Retry-After)" = 7 ]
check "  ... with X-RateLimit headers" [ "$(header X-RateLimit-Remaining)" = 0 ]
check "  ... repeated in error.metadata.headers" py "$T/out" \
	'd["error"]["code"] == 429 and d["error"]["metadata"]["headers"]["X-RateLimit-Remaining"] == "0" and d["error"]["metadata"]["provider_name"] == "X" and d["user_id"] == "user_mock"'
s=$(chat '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' -H "$AUTH")
check "a fault applies once by default" [ "$s" = 200 ]
fault '{"fail_models":["openai/gpt-4o"]}'
s=$(chat '{"model":"openai/gpt-4o","models":["nope/x","anthropic/claude-3.5-haiku"],"messages":[{"role":"user","content":"hi"}]}' -H "$AUTH")
check "fail_models: the first working fallback serves" py "$T/out" \
	'd["model"] == "anthropic/claude-3.5-haiku"'

# --- streaming -------------------------------------------------------------
curl -sS -N -o "$T/sse" -D "$T/hdr" -H "$AUTH" \
	-d '{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello"}]}' \
	"$API/chat/completions"
check "stream Content-Type is text/event-stream" [ "$(header Content-Type)" = text/event-stream ]
check "stream starts with the processing comment" sse "$T/sse" 'ev[0] == ("comment", "OPENROUTER PROCESSING")'
check "  ... then one chunk per word, first with role" sse "$T/sse" \
	'[e[1]["choices"][0]["delta"] for e in ev[1:4]] == [{"role": "assistant", "content": "Mock "}, {"content": "answer "}, {"content": "to: "}]'
check "  ... content concatenates to the answer" sse "$T/sse" \
	'"".join(e[1]["choices"][0]["delta"].get("content", "") for e in ev[1:-2]) == "Mock answer to: Say hello. The quick brown fox jumps over the lazy dog."'
check "  ... every chunk has one id and object chunk" sse "$T/sse" \
	'len({e[1]["id"] for e in ev[1:-1]}) == 1 and all(e[1]["object"] == "chat.completion.chunk" for e in ev[1:-1])'
check "  ... finish chunk: empty delta, stop" sse "$T/sse" \
	'ev[-3][1]["choices"][0]["delta"] == {} and ev[-3][1]["choices"][0]["finish_reason"] == "stop"'
check "  ... usage chunk with empty choices" sse "$T/sse" \
	'ev[-2][1]["choices"] == [] and ev[-2][1]["usage"]["completion_tokens"] == 14 and ev[-2][1]["usage"]["prompt_tokens"] == 7 and ev[-2][1]["usage"]["cost"] == D("0.00000945")'
check "  ... ends with [DONE]" sse "$T/sse" 'ev[-1] == ("data", "[DONE]") and len(ev) == 1 + 14 + 3'

fault '{"error_after_events":2,"processing_comments":0}'
curl -sS -N -o "$T/sse" -H "$AUTH" \
	-d '{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello"}]}' \
	"$API/chat/completions"
check "mid-stream error: 2 words, error chunk, [DONE]" sse "$T/sse" \
	'len(ev) == 4 and ev[1][1]["choices"][0]["delta"] == {"content": "answer "} and ev[3] == ("data", "[DONE]")'
check "  ... error chunk carries error, finish error and usage" sse "$T/sse" \
	'ev[2][1]["error"]["message"] == "Provider returned error" and ev[2][1]["choices"][0]["finish_reason"] == "error" and ev[2][1]["usage"]["completion_tokens"] == 2'

# --- /generation and /key --------------------------------------------------
s=$(chat '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' -H "$AUTH")
GEN2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/out")
s=$(curl -sS -o "$T/gen" -w '%{http_code}' -H "$AUTH" "$API/generation?id=$GEN2")
check "/generation is 404 right after the answer (generation delay)" \
	py "$T/gen" "$s == 404 and d['error'] == {'code': 404, 'message': 'Generation not found'}"
i=0
until s=$(curl -sS -o "$T/gen" -w '%{http_code}' -H "$AUTH" "$API/generation?id=$GEN2") && [ "$s" = 200 ] ||
	[ $i -ge 600 ]; do
	i=$((i + 1))
	sleep 0.05
done
check "  ... and 200 once the delay has passed" [ "$s" = 200 ]
s=$(curl -sS -o "$T/gen" -w '%{http_code}' -H "$AUTH" "$API/generation?id=$GEN1")
check "/generation of an older generation is 200" [ "$s" = 200 ]
check "  ... with total_cost, tokens and attribution" py "$T/gen" \
	'd["data"]["id"] == "'"$GEN1"'" and d["data"]["total_cost"] == D("0.0000126") and d["data"]["tokens_prompt"] == 12 and d["data"]["tokens_completion"] == 18 and d["data"]["external_user"] == "alice" and d["data"]["http_referer"] == "https://ora.test/" and d["data"]["app_title"] == "ora test" and d["data"]["streamed"] is False and d["data"]["cancelled"] is False and d["data"]["provider_name"] == "MockAI"'
s=$(curl -sS -o "$T/gen" -w '%{http_code}' -H "Authorization: Bearer $KEY2" "$API/generation?id=$GEN1")
check "/generation of another key's generation is 404" [ "$s" = 404 ]

# --- records ---------------------------------------------------------------
curl -sS -o "$T/gens" "$URL/mock/generations"
check "/mock/generations total_cost is the exact sum" py "$T/gens" \
	'D(d["total_cost"]) == sum(r["cost"] for r in d["data"]) and d["count"] == len(d["data"]) == 9'
check "  ... first record as billed" py "$T/gens" \
	'd["data"][0]["id"] == "'"$GEN1"'" and d["data"][0]["key"] == "'"$KEY"'" and d["data"][0]["user"] == "alice" and d["data"][0]["status"] == "complete" and d["data"][0]["cost"] == D("0.0000126")'
check "  ... mid-stream error recorded as error with 2 tokens" py "$T/gens" \
	'd["data"][-2]["status"] == "error" and d["data"][-2]["completion_tokens"] == 2 and d["data"][-2]["finish_reason"] == "error"'
curl -sS -o "$T/key" -H "$AUTH" "$API/key"
check "/key usage is the key's billed sum" python3 -c 'import json,sys
from decimal import Decimal as D
k = json.load(open(sys.argv[1]), parse_float=D)["data"]
g = json.load(open(sys.argv[2]), parse_float=D)["data"]
sys.exit(0 if k["usage"] == sum(r["cost"] for r in g if r["key"] == sys.argv[3]) and k["label"] == "sk-or-v1-012...def" and k["limit"] is None else 1)' \
	"$T/key" "$T/gens" "$KEY"
curl -sS -o "$T/reqs" "$URL/mock/requests"
check "/mock/requests keeps what upstream received" py "$T/reqs" \
	'd["data"][0]["authorization_key"] == "'"$KEY"'" and d["data"][0]["user"] == "alice" and d["data"][0]["title"] == "ora test" and d["data"][0]["referer"] == "https://ora.test/" and d["data"][0]["body"]["model"] == "openai/gpt-4o-mini"'

# --- client abort, pause, cut ----------------------------------------------
# A client that reads three words, then hangs up.
fault '{"delay_events_ms":200}'
python3 -c 'import socket,sys
body = b"{\"model\":\"openai/gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + sys.argv[2].encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
got = b""
while got.count(b"data: {") < 3:
    got += s.recv(65536)
s.close()' "$(cat "$T/port")" "$KEY"
# The mock notices the hang-up at its next event write (200 ms apart):
# poll for it rather than guess how long a loaded machine takes.
i=0
until curl -sS -o "$T/stats" "$URL/mock/stats" && py "$T/stats" 'd["client_aborts"] == 1 and d["active_streams"] == 0' 2>/dev/null ||
	[ $i -ge 600 ]; do
	i=$((i + 1))
	sleep 0.05
done
check "client abort counted" py "$T/stats" 'd["client_aborts"] == 1 and d["active_streams"] == 0'
curl -sS -o "$T/gens" "$URL/mock/generations"
check "  ... recorded cancelled with the words written" py "$T/gens" \
	'd["data"][-1]["status"] == "cancelled" and 3 <= d["data"][-1]["completion_tokens"] <= 4'

fault '{"pause_after_events":2}'
curl -sS -N -o "$T/sse" -H "$AUTH" \
	-d '{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello"}]}' \
	"$API/chat/completions" &
CPID=$!
i=0
until sse "$T/sse" 'len(ev) >= 3' 2>/dev/null || [ $i -ge 600 ]; do
	i=$((i + 1))
	sleep 0.05
done
sleep 0.3
check "pause: the first events arrive, then nothing" sse "$T/sse" 'len(ev) == 3'
curl -sS -o /dev/null -X POST "$URL/mock/resume"
wait $CPID || true
check "  ... resume completes the stream" sse "$T/sse" 'ev[-1] == ("data", "[DONE]") and len(ev) == 18'

fault '{"cut_after_events":3}'
s=0
curl -sS -N -o "$T/sse" -H "$AUTH" \
	-d '{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello"}]}' \
	"$API/chat/completions" 2>/dev/null || s=$?
check "cut_after_events drops the connection mid-stream" sse "$T/sse" "$s != 0 and len(ev) == 4"
fault '{"cut_before_headers":true}'
s=0
curl -sS -o "$T/out" -H "$AUTH" -d '{"messages":[{"role":"user","content":"x"}]}' \
	"$API/chat/completions" 2>/dev/null || s=$?
check "cut_before_headers: empty reply" [ "$s" = 52 ]

fault '{"whitespace_prefix":true,"delay_events_ms":50,"times":2}'
s=$(chat '{"messages":[{"role":"user","content":"x"}]}' -H "$AUTH")
check "whitespace_prefix: body starts with keep-alive whitespace" python3 -c 'import json,sys
b = open(sys.argv[1]).read()
sys.exit(0 if b.startswith("\n \n\n  \n{") and json.loads(b)["object"] == "chat.completion" else 1)' "$T/out"

curl -sS -o /dev/null -X POST "$URL/mock/reset"
curl -sS -o "$T/stats" "$URL/mock/stats"
curl -sS -o "$T/gens" "$URL/mock/generations"
check "reset clears records and counters" py "$T/gens" 'd["count"] == 0 and d["total_cost"] == "0"'
check "  ... and the fault queue" sh -c "curl -sS '$URL/mock/faults' | grep -q '\"queued\":0'"

# --- Anthropic messages and OpenAI responses (same billing) -----------------
# nsse FILE EXPR: named SSE events; ev is the list of (event, parsed data),
# comments left out.
nsse() {
	python3 -c 'import json,sys
from decimal import Decimal as D
ev = []
for block in open(sys.argv[1]).read().split("\n\n"):
    lines = [l for l in block.split("\n") if l and not l.startswith(":")]
    if not lines:
        continue
    name = [l[7:] for l in lines if l.startswith("event: ")]
    data = [l[6:] for l in lines if l.startswith("data: ")]
    ev.append((name[0] if name else None, json.loads(data[0], parse_float=D) if data else None))
types = [e[0] for e in ev]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
# post PATH JSON [curl args...]: like chat, for another endpoint.
post() {
	path=$1
	body=$2
	shift 2
	curl -sS -N -o "$T/out" -D "$T/hdr" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "$body" "$@" "$API/$path"
}
ANSWER='Mock answer to: Say hello. The quick brown fox jumps over the lazy dog.'
MSG='{"model":"anthropic/claude-3.5-haiku","max_tokens":100,"system":"Be brief","metadata":{"user_id":"bob"},"messages":[{"role":"user","content":[{"type":"text","text":"Say hello"}]}]'

# system 8 bytes (6 tokens) + "Say hello" (7) = 13; 14 words of haiku:
# 13 * 0.0000008 + 14 * 0.000004 = 0.0000664
s=$(post messages "$MSG}" -H "$AUTH" -H 'anthropic-version: 2023-06-01')
check "messages: non-stream answers 200 in Anthropic's shape" py "$T/out" \
	"$s == 200 and d['type'] == 'message' and d['role'] == 'assistant' and d['id'].startswith('msg_') and d['model'] == 'anthropic/claude-3.5-haiku' and d['content'] == [{'type': 'text', 'text': '$ANSWER'}] and d['stop_reason'] == 'end_turn' and d['stop_sequence'] is None"
check "  ... usage in tokens, with the exact cost" py "$T/out" \
	'd["usage"]["input_tokens"] == 13 and d["usage"]["output_tokens"] == 14 and d["usage"]["cost"] == D("0.0000664")'
check "  ... X-Generation-Id names the generation" sh -c "tr -d '\r' <'$T/hdr' | grep -q '^X-Generation-Id: gen-'"
MGEN=$(header X-Generation-Id)
s=$(post messages '{"model":"anthropic/claude-3.5-haiku","max_tokens":3,"messages":[{"role":"user","content":"Say hello"}]}' -H "$AUTH")
check "messages: max_tokens cuts with stop_reason max_tokens" py "$T/out" \
	'd["stop_reason"] == "max_tokens" and d["content"][0]["text"] == "Mock answer to: " and d["usage"]["output_tokens"] == 3'
s=$(post messages "$MSG,\"stream\":true}" -H "$AUTH")
check "messages stream: text/event-stream" [ "$(header Content-Type)" = text/event-stream ]
check "  ... events in Anthropic's order" nsse "$T/out" \
	'types == ["message_start", "content_block_start", "ping"] + ["content_block_delta"] * 14 + ["content_block_stop", "message_delta", "message_stop"] and all(e[1]["type"] == e[0] for e in ev)'
check "  ... message_start announces an empty message" nsse "$T/out" \
	'ev[0][1]["message"]["content"] == [] and ev[0][1]["message"]["stop_reason"] is None and ev[0][1]["message"]["usage"]["input_tokens"] == 13 and "cost" not in ev[0][1]["message"]["usage"]'
check "  ... text_delta events concatenate to the answer" nsse "$T/out" \
	"''.join(e[1]['delta']['text'] for e in ev if e[0] == 'content_block_delta') == '$ANSWER' and all(e[1]['delta']['type'] == 'text_delta' for e in ev if e[0] == 'content_block_delta')"
check "  ... message_delta: stop_reason and usage with cost" nsse "$T/out" \
	'ev[-2][1]["delta"]["stop_reason"] == "end_turn" and ev[-2][1]["usage"]["output_tokens"] == 14 and ev[-2][1]["usage"]["cost"] == D("0.0000664")'
s=$(post messages '{"model":"anthropic/claude-3.5-haiku","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}')
check "messages: no key is 401 in Anthropic's error shape" py "$T/out" \
	"$s == 401 and d == {'type': 'error', 'error': {'type': 'authentication_error', 'message': 'Missing Authentication header'}}"
s=$(post messages '{"model":"nope/nope","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}' -H "$AUTH")
check "messages: unknown model is 400 invalid_request_error" py "$T/out" \
	"$s == 400 and d['error'] == {'type': 'invalid_request_error', 'message': 'nope/nope is not a valid model ID'}"
s=$(post messages '{"model":"anthropic/claude-3.5-haiku","max_tokens":5,"messages":[]}' -H "$AUTH")
check "messages: empty messages is 400" [ "$s" = 400 ]
fault '{"status":429,"retry_after":3}'
s=$(post messages "$MSG}" -H "$AUTH")
check "messages: a 429 fault is rate_limit_error with Retry-After" py "$T/out" \
	"$s == 429 and d['type'] == 'error' and d['error']['type'] == 'rate_limit_error' and '$(header Retry-After)' == '3'"
fault '{"status":529}'
s=$(post messages "$MSG}" -H "$AUTH")
check "messages: a 529 fault is overloaded_error" py "$T/out" "$s == 529 and d['error']['type'] == 'overloaded_error'"
fault '{"error_after_events":2,"processing_comments":0}'
s=$(post messages "$MSG,\"stream\":true}" -H "$AUTH")
check "messages stream: an error after 2 words ends with an error event" nsse "$T/out" \
	'types == ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "error"] and ev[-1][1] == {"type": "error", "error": {"type": "api_error", "message": "Provider returned error"}}'
fault '{"error_after_events":2}'
s=$(post messages "$MSG}" -H "$AUTH")
check "messages: a non-stream error after 2 words is a 502 api_error" py "$T/out" \
	"$s == 502 and d['error']['type'] == 'api_error'"
MERR=$(header X-Generation-Id)
fault '{"fail_models":["anthropic/claude-3.5-haiku"]}'
s=$(post messages '{"model":"anthropic/claude-3.5-haiku","fallbacks":[{"model":"openai/gpt-4o-mini"}],"max_tokens":50,"messages":[{"role":"user","content":"hi"}]}' -H "$AUTH")
check "messages: OpenRouter's fallbacks serve when the model fails" py "$T/out" "$s == 200 and d['model'] == 'openai/gpt-4o-mini'"
s=$(post messages '{"model":"anthropic/claude-3.5-haiku","fallbacks":[{"model":"openai/gpt-4o-mini"}],"models":["openai/gpt-4o"],"max_tokens":5,"messages":[{"role":"user","content":"hi"}]}' -H "$AUTH")
check "messages: fallbacks with models is 400" [ "$s" = 400 ]
fault '{"cut_after_events":3,"processing_comments":0}'
s=0
curl -sS -N -o "$T/out" -H "$AUTH" -d "$MSG,\"stream\":true}" "$API/messages" 2>/dev/null || s=$?
check "messages stream: cut_after_events drops the connection after 3 words" nsse "$T/out" \
	"$s != 0 and types == ['message_start', 'content_block_start', 'ping'] + ['content_block_delta'] * 3"

# "Say hello" (7 tokens), 14 words of gpt-4o-mini: 0.00000945
RESP='{"model":"openai/gpt-4o-mini","input":"Say hello","user":"carol"'
s=$(post responses "$RESP}" -H "$AUTH")
check "responses: non-stream answers 200 in the Responses shape" py "$T/out" \
	"$s == 200 and d['object'] == 'response' and d['id'].startswith('resp_') and d['status'] == 'completed' and d['error'] is None and d['output'][0]['type'] == 'message' and d['output'][0]['role'] == 'assistant' and d['output'][0]['content'][0] == {'type': 'output_text', 'text': '$ANSWER', 'annotations': []}"
check "  ... usage with total_tokens and the exact cost" py "$T/out" \
	'd["usage"]["input_tokens"] == 7 and d["usage"]["output_tokens"] == 14 and d["usage"]["total_tokens"] == 21 and d["usage"]["cost"] == D("0.00000945")'
check "  ... X-Generation-Id names the generation" sh -c "tr -d '\r' <'$T/hdr' | grep -q '^X-Generation-Id: gen-'"
s=$(post responses '{"model":"openai/gpt-4o-mini","instructions":"Be brief","max_output_tokens":2,"input":[{"role":"user","content":[{"type":"input_text","text":"Say hello"}]}]}' -H "$AUTH")
check "responses: instructions and input items count; max_output_tokens makes it incomplete" py "$T/out" \
	'd["status"] == "incomplete" and d["incomplete_details"] == {"reason": "max_output_tokens"} and d["usage"]["input_tokens"] == 13 and d["usage"]["output_tokens"] == 2'
s=$(post responses "$RESP,\"stream\":true}" -H "$AUTH")
check "responses stream: events in order, numbered" nsse "$T/out" \
	'types == ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"] + ["response.output_text.delta"] * 14 + ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"] and [e[1]["sequence_number"] for e in ev] == list(range(len(ev))) and all(e[1]["type"] == e[0] for e in ev)'
check "  ... deltas concatenate to the answer" nsse "$T/out" \
	"''.join(e[1]['delta'] for e in ev if e[0] == 'response.output_text.delta') == '$ANSWER'"
check "  ... response.completed carries usage and cost" nsse "$T/out" \
	'ev[-1][1]["response"]["status"] == "completed" and ev[-1][1]["response"]["usage"]["output_tokens"] == 14 and ev[-1][1]["response"]["usage"]["cost"] == D("0.00000945") and ev[0][1]["response"]["usage"] is None'
s=$(post responses "$RESP}")
check "responses: no key is 401 in OpenRouter's error shape" py "$T/out" \
	"$s == 401 and d['error'] == {'code': 401, 'message': 'Missing Authentication header'}"
s=$(post responses '{"model":"openai/gpt-4o-mini","input":[]}' -H "$AUTH")
check "responses: empty input is 400" [ "$s" = 400 ]
fault '{"status":402}'
s=$(post responses "$RESP}" -H "$AUTH")
check "responses: a 402 fault is 402" py "$T/out" "$s == 402 and d['error']['code'] == 402"
fault '{"error_after_events":2,"processing_comments":0}'
s=$(post responses "$RESP,\"stream\":true}" -H "$AUTH")
check "responses stream: an error after 2 words is response.failed with usage" nsse "$T/out" \
	'types[-3:] == ["response.output_text.delta", "response.output_text.delta", "response.failed"] and ev[-1][1]["response"]["status"] == "failed" and ev[-1][1]["response"]["error"]["code"] == "server_error" and ev[-1][1]["response"]["usage"]["output_tokens"] == 2'
fault '{"error_after_events":2}'
s=$(post responses "$RESP}" -H "$AUTH")
check "responses: a non-stream error after 2 words is 200 status failed" py "$T/out" \
	"$s == 200 and d['status'] == 'failed' and d['output'][0]['content'][0]['text'] == 'Mock answer ' and d['usage']['output_tokens'] == 2"

curl -sS -o "$T/gens" "$URL/mock/generations"
check "records: every endpoint billed, total the exact sum" py "$T/gens" \
	'D(d["total_cost"]) == sum(r["cost"] for r in d["data"]) and [r["endpoint"] for r in d["data"]].count("messages") == 7 and [r["endpoint"] for r in d["data"]].count("responses") == 5'
check "  ... messages: metadata.user_id is the user, cost as answered" py "$T/gens" \
	'[r for r in d["data"] if r["id"] == "'"$MGEN"'"][0]["user"] == "bob" and [r for r in d["data"] if r["id"] == "'"$MGEN"'"][0]["cost"] == D("0.0000664")'
check "  ... a non-stream messages error bills its 2 words" py "$T/gens" \
	'[(r["status"], r["completion_tokens"], r["charged"]) for r in d["data"] if r["id"] == "'"$MERR"'"] == [("error", 2, True)]'
check "  ... fallbacks recorded as the models list" py "$T/gens" \
	'[r["models"] for r in d["data"] if r["model"] == "openai/gpt-4o-mini" and r["endpoint"] == "messages"] == [["openai/gpt-4o-mini"]]'
i=0
until s=$(curl -sS -o "$T/gen" -w '%{http_code}' -H "$AUTH" "$API/generation?id=$MGEN") && [ "$s" = 200 ] ||
	[ $i -ge 600 ]; do
	i=$((i + 1))
	sleep 0.05
done
check "/generation knows a messages generation" py "$T/gen" \
	"$s == 200 and d['data']['total_cost'] == D('0.0000664') and d['data']['tokens_completion'] == 14 and d['data']['external_user'] == 'bob'"
curl -sS -o "$T/stats" "$URL/mock/stats"
check "stats count messages and responses requests" py "$T/stats" \
	'd["requests"]["messages"] == 13 and d["requests"]["responses"] == 8'

# Faults on the two shapes, before and after the first event (after the
# counts above, which they would change).
fault '{"status":429,"retry_after":1}'
s=$(post messages "$MSG,\"stream\":true}" -H "$AUTH")
check "messages stream: a fault before the first event is an HTTP 429 in Anthropic's shape" py "$T/out" \
	"$s == 429 and d['type'] == 'error' and d['error']['type'] == 'rate_limit_error' and '$(header Retry-After)' == '1'"
fault '{"status":402}'
s=$(post messages "$MSG}" -H "$AUTH")
check "messages: a 402 fault is billing_error" py "$T/out" "$s == 402 and d['error']['type'] == 'billing_error'"
fault '{"error_after_events":0,"processing_comments":0}'
s=$(post messages "$MSG,\"stream\":true}" -H "$AUTH")
check "messages stream: an error before any word follows the opening events" nsse "$T/out" \
	'types == ["message_start", "content_block_start", "ping", "error"] and ev[-1][1]["error"]["type"] == "api_error"'
fault '{"drip_bytes":7,"processing_comments":0}'
s=$(post messages "$MSG,\"stream\":true}" -H "$AUTH")
check "messages stream: dripped in 7-byte pieces, the same events" nsse "$T/out" \
	'types == ["message_start", "content_block_start", "ping"] + ["content_block_delta"] * 14 + ["content_block_stop", "message_delta", "message_stop"] and ev[-2][1]["usage"]["cost"] == D("0.0000664")'
fault '{"cut_after_events":2}'
s=0
curl -sS -o "$T/out" -H "$AUTH" -d "$MSG}" "$API/messages" 2>/dev/null || s=$?
check "messages: cut_after_events on a non-stream answer truncates the body" sh -c "[ $s -ne 0 ] && ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$T/out' 2>/dev/null"
fault '{"status":503}'
s=$(post responses "$RESP,\"stream\":true}" -H "$AUTH")
check "responses stream: a fault before the first event is an HTTP 503" py "$T/out" \
	"$s == 503 and d['error']['code'] == 503"
fault '{"error_after_events":0,"processing_comments":0}'
s=$(post responses "$RESP,\"stream\":true}" -H "$AUTH")
check "responses stream: an error before any word is response.failed with no output tokens" nsse "$T/out" \
	'types == ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.failed"] and ev[-1][1]["response"]["usage"]["output_tokens"] == 0 and ev[-1][1]["response"]["error"]["code"] == "server_error"'
fault '{"cut_after_events":2,"processing_comments":0}'
s=0
curl -sS -N -o "$T/out" -H "$AUTH" -d "$RESP,\"stream\":true}" "$API/responses" 2>/dev/null || s=$?
check "responses stream: cut_after_events drops the connection after 2 words" nsse "$T/out" \
	"$s != 0 and types == ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added'] + ['response.output_text.delta'] * 2"
fault '{"drip_bytes":5,"processing_comments":0}'
s=$(post responses "$RESP,\"stream\":true}" -H "$AUTH")
check "responses stream: dripped in 5-byte pieces, the same events" nsse "$T/out" \
	'types[-1] == "response.completed" and len(types) == 22 and ev[-1][1]["response"]["usage"]["cost"] == D("0.00000945")'
# --- key management (management keys, created keys, per-key limits) -------
MAUTH="Authorization: Bearer $MKEY"
keys() { # keys METHOD PATH [JSON] [curl args]: the management API, body in $T/k
	m=$1 p=$2
	shift 2
	if [ $# -gt 0 ] && [ "${1#\{}" != "$1" ]; then
		b=$1
		shift
		curl -sS -o "$T/k" -w '%{http_code}' -X "$m" -H 'Content-Type: application/json' -d "$b" "$@" "$API$p"
	else
		curl -sS -o "$T/k" -w '%{http_code}' -X "$m" "$@" "$API$p"
	fi
}
s=$(keys POST /keys '{"name":"t"}' -H "$AUTH")
check "POST /keys with a regular key: 403" py "$T/k" \
	"$s == 403 and d['error']['message'] == 'Only management keys can perform this operation'"
s=$(keys POST /keys '{"name":"t"}' -H "Authorization: Bearer sk-or-v1-nobody")
check "POST /keys with an unknown key: 401" [ "$s" = 401 ]
s=$(keys POST /keys '{"limit":1}' -H "$MAUTH")
check "POST /keys without a name: 400" [ "$s" = 400 ]
s=$(keys POST /keys '{"name":"t","limit":0.00002,"limit_reset":"daily"}' -H "$MAUTH")
check "POST /keys creates a key: 201 with the plaintext key once" py "$T/k" \
	"$s == 201 and len(d['key']) == 73 and d['key'].startswith('sk-or-v1-') and len(d['data']['hash']) == 64 and d['data']['label'] != d['key']"
check "  ... KeyObj: name, limit, limit_remaining, limit_reset, usage, disabled" py "$T/k" \
	"(d['data']['name'], d['data']['limit'], d['data']['limit_remaining'], d['data']['limit_reset'], d['data']['usage'], d['data']['disabled']) == ('t', D('0.00002'), D('0.00002'), 'daily', 0, False)"
NEWKEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$T/k")
HASH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["hash"])' "$T/k")
s=$(keys GET /keys -H "$MAUTH")
check "GET /keys lists it (without the key)" py "$T/k" \
	"$s == 200 and [k['hash'] for k in d['data']] == ['$HASH'] and 'key' not in d['data'][0]"
s=$(keys GET "/keys/$HASH" -H "$MAUTH")
check "GET /keys/{hash} describes it" py "$T/k" "$s == 200 and d['data']['hash'] == '$HASH'"
s=$(keys GET /keys/0000 -H "$MAUTH")
check "GET /keys/{unknown}: 404" [ "$s" = 404 ]
NAUTH="Authorization: Bearer $NEWKEY"
M='{"messages":[{"role":"user","content":"Say hello to the world please"}]}'
s=$(chat "$M" -H "$NAUTH")
check "a created key serves completions (not in --keys)" [ "$s" = 200 ]
s=$(keys GET /key -H "$NAUTH")
check "GET /key with it: limit, usage, limit_remaining" py "$T/k" \
	"$s == 200 and d['data']['limit'] == D('0.00002') and d['data']['usage'] == D('0.0000126') and d['data']['limit_remaining'] == D('0.0000074') and d['data']['limit_reset'] == 'daily' and d['data']['is_management_key'] is False"
s=$(chat "$M" -H "$NAUTH")
check "under its limit it is served (usage crosses the limit)" [ "$s" = 200 ]
s=$(chat "$M" -H "$NAUTH")
check "over its limit: 402 with OpenRouter's error body" py "$T/out" \
	"$s == 402 and d['error']['code'] == 402 and d['error']['message'].startswith('Key limit exceeded (daily limit)')"
s=$(keys GET /key -H "$NAUTH")
check "  ... limit_remaining is 0, never negative" py "$T/k" "d['data']['limit_remaining'] == 0"
s=$(keys PATCH "/keys/$HASH" '{"limit":1}' -H "$MAUTH")
check "PATCH raises the limit" py "$T/k" "$s == 200 and d['data']['limit'] == 1 and d['data']['updated_at'] is not None"
s=$(chat "$M" -H "$NAUTH")
check "  ... and the key is served again" [ "$s" = 200 ]
s=$(keys PATCH "/keys/$HASH" '{"disabled":true}' -H "$MAUTH")
check "PATCH disables the key" py "$T/k" "$s == 200 and d['data']['disabled'] is True"
s=$(chat "$M" -H "$NAUTH")
check "  ... a disabled key: 401 User not found." py "$T/out" "$s == 401 and d['error']['message'] == 'User not found.'"
s=$(keys GET /keys -H "$MAUTH")
check "GET /keys leaves disabled keys out" py "$T/k" "d['data'] == []"
s=$(keys GET '/keys?include_disabled=true' -H "$MAUTH")
check "  ... unless include_disabled=true" py "$T/k" "[k['hash'] for k in d['data']] == ['$HASH']"
s=$(chat "$M" -H "$MAUTH")
check "a management key cannot serve completions (403)" [ "$s" = 403 ]
s=$(keys GET /key -H "$MAUTH")
check "GET /key with a management key says so" py "$T/k" \
	"$s == 200 and d['data']['is_management_key'] is True and d['data']['limit'] is None"
s=$(keys POST /keys '{"name":"second"}' -H "$MAUTH")
s=$(keys GET '/keys?offset=1&include_disabled=true' -H "$MAUTH")
check "GET /keys?offset=1 skips the first key" py "$T/k" "[k['name'] for k in d['data']] == ['second']"
s=$(keys DELETE "/keys/$HASH" -H "$MAUTH")
check "DELETE /keys/{hash}" py "$T/k" "$s == 200 and d == {'deleted': True}"
s=$(keys GET "/keys/$HASH" -H "$MAUTH")
check "  ... then it is gone (404)" [ "$s" = 404 ]
curl -sS -o "$T/k" "$URL/mock/keys"
check "/mock/keys: the key, its state and counters" py "$T/k" \
	"d['data'][0]['key'] == '$NEWKEY' and d['data'][0]['deleted'] is True and d['counts']['created'] == 2 and d['counts']['refused_limit'] == 1 and d['counts']['deleted'] == 1"

kill "$MPID"
s=0
wait "$MPID" || s=$?
MPID=""
check "SIGTERM: exit status 0" [ "$s" = 0 ]
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T/mock.log"; then
	not_ok "no sanitizer report"
else
	ok "no sanitizer report"
fi

if [ "$FAILED" -ne 0 ]; then
	echo "test_mock: $FAILED check(s) failed"
	exit 1
fi
exit 0
