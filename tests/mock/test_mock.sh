#!/bin/sh
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
"$MOCK" --port-file "$T/port" --keys "$T/keys" --generation-delay-ms 1500 2>"$T/mock.log" &
MPID=$!
i=0
while [ ! -s "$T/port" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "mock did not start"; cat "$T/mock.log"; exit 1; }
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
sleep 1.6
s=$(curl -sS -o "$T/gen" -w '%{http_code}' -H "$AUTH" "$API/generation?id=$GEN2")
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
sleep 0.3
curl -sS -o "$T/stats" "$URL/mock/stats"
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
until sse "$T/sse" 'len(ev) >= 3' 2>/dev/null || [ $i -ge 100 ]; do
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
