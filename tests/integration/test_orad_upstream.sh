#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Upstream faults as a caller sees them: every OpenRouter error status passes
# through unchanged with its rate-limit headers, a 200 that is a failure and
# an error chunk mid-stream reach the client as sent, a connection cut mid-
# stream ends the stream with an error event and [DONE], a cut before the
# headers, a dead upstream and a slow one get clear 502/504 JSON errors, and
# after each of them the daemon keeps serving.
. "$top_srcdir/tests/integration/lib.sh"
# Every curl here (req, mock_get, mock_post) gives up after 60 s.
printf 'max-time = 60\n' >"$T/.curlrc"
CURL_HOME=$T
export CURL_HOME

ME=$(id -un)
# Pass-through is what this test is about: no retries here (test_orad_resilience
# covers them).
CONF_UPSTREAM_EXTRA="retries = 0; circuit_failures = 0;"
standard_setup "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }"

SSE_CLIENT=$top_srcdir/tests/integration/sse_client.py

answer() {
	"$PY3" -c 'import sys; w = sys.argv[1].split()[:8]
print("Mock answer to: %s. The quick brown fox jumps over the lazy dog." % " ".join(w))' "$1"
}
words() { echo "$1" | wc -w; }
stream_body() { printf '{"stream":true,"messages":[{"role":"user","content":"%s"}]}' "$1"; }
sse() {
	"$PY3" "$SSE_CLIENT" "$SOCK" "$2" "$T/$1" 2>>"$T/sse.log"
}
# direct OUT HEADERS: the same chat request straight to the mock, with the key.
direct() {
	curl -sS -H "Authorization: Bearer $KEY_DEV" -H 'Content-Type: application/json' \
		-d "$CHAT" -D "$2" -o "$1" -w '%{http_code}' "$MOCK_URL/api/v1/chat/completions"
}
# same_json A B: equal JSON documents, ignoring the rate-limit reset time
# (epoch ms, different for two requests) and the account's user_id, which
# orad removes (issue 11): A, the relayed one, must not hold it at all.
same_json() {
	"$PY3" -c 'import json, sys
def norm(p):
    d = json.load(open(p))
    try:
        del d["error"]["metadata"]["headers"]["X-RateLimit-Reset"]
    except (KeyError, TypeError):
        pass
    return d
a, b = norm(sys.argv[1]), norm(sys.argv[2])
b.pop("user_id", None)
sys.exit(0 if a == b and "user_id" not in a else 1)' "$1" "$2"
}
# header FILE NAME: a header's value from a curl -D dump.
header() { tr -d '\r' <"$1" | grep -i "^$2: " | head -n 1 | cut -d' ' -f2-; }
no_header() { ! grep -qi "^$2:" "$1"; }
reloads() { grep -c 'configuration reloaded' "$T/orad.log"; }
reloaded_past() { [ "$(reloads)" -gt "$1" ]; }
# reload: SIGHUP and wait (30 s at most) for the log to say it applied.
reload() {
	r0=$(reloads)
	kill -HUP "$ORAD_PID"
	poll 300 reloaded_past "$r0"
}
logged() { grep -q "$1" "$T/orad.log"; }
in_range() { [ "$3" -ge "$1" ] && [ "$3" -le "$2" ]; }
mock_stat() { mock_get /mock/stats "$T/stats.json" && json "$T/stats.json" "d[\"$1\"]"; }
# json_like FILE EXPR REGEX: the value matches an extended regex, ignoring case.
json_like() { json "$1" "$2" | grep -qiE "$3"; }

# --- HTTP error statuses pass through unchanged --------------------------------
for code in 400 401 402 403 404 408 413 422 429 500 502 503 524 529; do
	extra=""
	case $code in
	429) extra=',"retry_after":7,"rate_limit_headers":true' ;;
	503) extra=',"retry_after":11' ;;
	esac
	mock_post /mock/faults "{\"status\":$code,\"times\":2$extra}"
	ds=$(direct "$T/direct.json" "$T/direct.h")
	s=$(req POST /api/v1/chat/completions "$CHAT" -D "$T/h")
	if [ "$ds" != "$code" ]; then
		not_ok "upstream $code: the mock answered $ds directly (test set-up)"
		continue
	fi
	check "upstream $code reaches the client as $code" [ "$s" = "$code" ]
	check "  ... with OpenRouter's JSON body unchanged but the account's user_id" same_json "$T/out" "$T/direct.json"
	check "  ... and its message" \
		[ "$(json "$T/out" 'd["error"]["message"]')" = "$(json "$T/direct.json" 'd["error"]["message"]')" ]
	check "  ... as application/json" [ "$(header "$T/h" Content-Type)" = application/json ]
	case $code in
	429)
		check "  ... Retry-After passes through" [ "$(header "$T/h" Retry-After)" = 7 ]
		check "  ... X-RateLimit-Limit passes through" [ "$(header "$T/h" X-RateLimit-Limit)" = 20 ]
		check "  ... X-RateLimit-Remaining passes through" [ "$(header "$T/h" X-RateLimit-Remaining)" = 0 ]
		check "  ... X-RateLimit-Reset passes through, as in the body's metadata" \
			[ "$(header "$T/h" X-RateLimit-Reset)" = \
			  "$(json "$T/out" 'd["error"]["metadata"]["headers"]["X-RateLimit-Reset"]')" ]
		check "  ... OpenRouter's rate-limit message" \
			[ "$(json "$T/out" 'd["error"]["message"]')" = "Rate limit exceeded: free-models-per-min." ]
		;;
	503)
		check "  ... Retry-After passes through" [ "$(header "$T/h" Retry-After)" = 11 ]
		check "  ... no X-RateLimit headers the upstream did not send" no_header "$T/h" X-RateLimit-Limit
		;;
	*)
		check "  ... no Retry-After the upstream did not send" no_header "$T/h" Retry-After
		;;
	esac
done
check "an upstream status is logged as outcome=upstream_status" logged 'status=402 outcome=upstream_status '

mock_post /mock/faults '{"status":403,"message":"Your input was flagged","metadata":{"reasons":["harassment"],"flagged_input":"Say hello"}}'
s=$(req POST /api/v1/chat/completions "$CHAT")
check "a moderation 403 with metadata passes through" [ "$s" = 403 ] &&
	check "  ... message and metadata intact" \
		[ "$(json "$T/out" '[d["error"]["message"], d["error"]["metadata"]["reasons"]]')" = '["Your input was flagged", ["harassment"]]' ]

mock_post /mock/faults '{"status":429,"retry_after":3}'
sse err429 "$(stream_body "stream me")"
check "a 429 before the first token of a stream is an ordinary HTTP 429" \
	[ "$(json "$T/err429.json" 'd["status"]')" = 429 ]
check "  ... with the JSON body, not an event stream" \
	[ "$(json "$T/err429.json" '__import__("json").loads(d["body"])["error"]["code"]')" = 429 ]
check "  ... and Retry-After" [ "$(json "$T/err429.json" 'd["headers"].get("retry-after")')" = 3 ]

s=$(req POST /api/v1/chat/completions "$CHAT")
check "after the error statuses a normal request is 200" [ "$s" = 200 ]

# --- non-stream body with a whitespace keep-alive prefix ------------------------
mock_post /mock/faults '{"whitespace_prefix":true,"delay_events_ms":300}'
s=$(req POST /api/v1/chat/completions "$CHAT")
check "whitespace keep-alive before the JSON: 200" [ "$s" = 200 ]
check "  ... and valid JSON with the answer" \
	[ "$(json "$T/out" 'd["choices"][0]["message"]["content"]')" = "$(answer "Say hello to the integration test")" ]
GEN=$(json "$T/out" 'd["id"]')
check "  ... orad read its usage (log: outcome=ok with the tokens)" \
	logged "outcome=ok prompt_tokens=[0-9]* completion_tokens=$(words "$(answer "Say hello to the integration test")") cost=0\.[0-9]* generation=$GEN "

# --- a 200 that is a failure ------------------------------------------------------
mock_post /mock/faults '{"error_after_events":3}'
s=$(req POST /api/v1/chat/completions "$CHAT")
check "choices[].error in a 200 passes through as 200" [ "$s" = 200 ]
check "  ... with finish_reason error" [ "$(json "$T/out" 'd["choices"][0]["finish_reason"]')" = error ]
check "  ... and the error object" \
	[ "$(json "$T/out" 'd["choices"][0]["error"]["message"]')" = "Provider returned error" ]
check "  ... and the words before it" [ "$(json "$T/out" 'd["choices"][0]["message"]["content"]')" = "Mock answer to: " ]
GEN=$(json "$T/out" 'd["id"]')
check "  ... orad logs outcome=upstream_error" logged "status=200 outcome=upstream_error .*generation=$GEN "

# --- an error chunk mid-stream ----------------------------------------------------
mock_post /mock/faults '{"error_after_events":3}'
sse miderr "$(stream_body "error soon")"
check "mid-stream error: 3 content events reach the client" [ "$(json "$T/miderr.json" 'd["n_content"]')" = 3 ]
check "  ... then the error event" \
	[ "$(json "$T/miderr.json" '[e["message"] for e in d["errors"]]')" = '["Provider returned error"]' ]
check "  ... as the last data event, then [DONE]" \
	[ "$(json "$T/miderr.json" '"error" in d["events"][-2] and d["events"][-1] == "[DONE]"')" = True ]
check "  ... and the stream ends cleanly" [ "$(json "$T/miderr.json" 'd["clean_end"] and d["after_done"] == 0')" = True ]
GEN=$(json "$T/miderr.json" 'd["ids"][0]')
check "  ... orad logs outcome=upstream_error" logged "outcome=upstream_error .*generation=$GEN "

# --- the connection cut mid-stream -------------------------------------------------
mock_post /mock/faults '{"cut_after_events":3}'
sse cut "$(stream_body "cut me off")"
check "cut mid-stream: the client still gets 200 and the 3 events sent" \
	[ "$(json "$T/cut.json" '[d["status"], d["n_content"]]')" = "[200, 3]" ]
check "  ... the content so far is intact" [ "$(json "$T/cut.json" 'd["content"]')" = "Mock answer to: " ]
check "  ... then one final error event" [ "$(json "$T/cut.json" 'len(d["errors"])')" = 1 ]
check "  ... which says the upstream connection broke off" \
	json_like "$T/cut.json" 'd["errors"][0]["message"]' 'upstream.*(lost|cut|closed|broke|dropped)|(lost|cut|closed|broke|dropped).*upstream'
check "  ... as a 502" [ "$(json "$T/cut.json" 'd["errors"][0]["code"]')" = 502 ]
check "  ... followed by [DONE], last" \
	[ "$(json "$T/cut.json" '"error" in d["events"][-2] and d["events"][-1] == "[DONE]" and d["after_done"] == 0')" = True ]
check "  ... and a cleanly ended chunked body" [ "$(json "$T/cut.json" 'd["clean_end"]')" = True ]
check "  ... no usage chunk was invented" [ "$(json "$T/cut.json" 'd["usage"]')" = None ]
GEN=$(json "$T/cut.json" 'd["ids"][0]')
check "  ... orad logs outcome=upstream_cut" logged "outcome=upstream_cut .*generation=$GEN "

mock_post /mock/faults '{"cut_after_events":3}'
s=$(req POST /api/v1/chat/completions "$CHAT")
check "cut in the middle of a non-stream body: 502" [ "$s" = 502 ]
check "  ... typed upstream_bad_reply" [ "$(json "$T/out" 'd["error"]["type"]')" = upstream_bad_reply ]
check "  ... saying it failed while answering" grep -q 'while it was answering' "$T/out"

# --- the connection cut before the headers ------------------------------------------
# libcurl retries a request once, on a fresh connection, when a kept-alive
# connection closes before any byte of the answer (it cannot tell that from
# an idle connection the server had just closed). So the cut is armed for two
# attempts, and whatever is left of it is cleared afterwards.
for kind in json stream; do
	mock_post /mock/reset '{}'
	mock_post /mock/faults '{"cut_before_headers":true,"times":2}'
	if [ $kind = json ]; then
		s=$(req POST /api/v1/chat/completions "$CHAT")
	else
		s=$(req POST /api/v1/chat/completions "$(stream_body "cut early")")
	fi
	n=$(mock_stat attempts)
	echo "# cut before the headers ($kind): $n upstream attempt(s) for one request"
	curl -sS -X DELETE "$MOCK_URL/mock/faults" -o /dev/null
	check "cut before the headers ($kind request): 502" [ "$s" = 502 ]
	check "  ... after at most one retry upstream" in_range 1 2 "$n"
	check "  ... typed upstream_unreachable or upstream_bad_reply" \
		json_like "$T/out" 'd["error"]["type"]' '^(upstream_unreachable|upstream_bad_reply)$'
	check "  ... naming the upstream" grep -qF "$MOCK_URL/api/v1" "$T/out"
	check "  ... and saying it closed without an answer" \
		json_like "$T/out" 'd["error"]["message"]' 'before it answered|empty reply|no (answer|reply)'
done
s=$(req POST /api/v1/chat/completions "$CHAT")
check "after the cuts a normal request is 200" [ "$s" = 200 ]

# --- a slow upstream beyond daemon.request_timeout ------------------------------------
sed -i 's/request_timeout = 30;/request_timeout = 2;/' "$CONF"
check "reload with request_timeout = 2" reload
mock_post /mock/faults '{"delay_headers_ms":6000,"times":2}'
s=$(req POST /api/v1/chat/completions "$CHAT")
check "no answer within request_timeout: 504" [ "$s" = 504 ]
check "  ... typed upstream_timeout" [ "$(json "$T/out" 'd["error"]["type"]')" = upstream_timeout ]
check "  ... naming the timeout (2 seconds)" grep -q '2 seconds' "$T/out"
s=$(req POST /api/v1/chat/completions "$(stream_body "too slow")")
check "a stream whose headers do not come within request_timeout: 504 too" [ "$s" = 504 ] &&
	check "  ... typed upstream_timeout" [ "$(json "$T/out" 'd["error"]["type"]')" = upstream_timeout ]
check "  ... logged as outcome=upstream_timeout" logged 'outcome=upstream_timeout '

# A stream that started in time but is still going at request_timeout: the
# status line has gone out, so the timeout arrives as the final event, and it
# must say it was the time limit, not that the connection was lost.
mock_post /mock/faults '{"delay_events_ms":400}'
sse slow "$(stream_body "slow stream")"
check "stream still going at request_timeout: 200, some events, then one error event" \
	[ "$(json "$T/slow.json" 'd["status"] == 200 and d["n_content"] > 0 and len(d["errors"]) == 1')" = True ]
check "  ... and [DONE]" [ "$(json "$T/slow.json" 'd["events"][-1] == "[DONE]"')" = True ]
check "  ... the event names the time limit (request_timeout / 2 seconds)" \
	json_like "$T/slow.json" 'd["errors"][0]["message"]' 'timeout|timed out|2 seconds|within'
check "  ... typed upstream_timeout" [ "$(json "$T/slow.json" 'd["errors"][0].get("type")')" = upstream_timeout ]
GEN=$(json "$T/slow.json" 'd["ids"][0]')
check "  ... logged as outcome=upstream_timeout" logged "outcome=upstream_timeout .*generation=$GEN "
mock_post /mock/reset '{}'

sed -i 's/request_timeout = 2;/request_timeout = 30;/' "$CONF"
check "reload with request_timeout = 30" reload
s=$(req POST /api/v1/chat/completions "$CHAT")
check "after the timeouts a normal request is 200" [ "$s" = 200 ]

# --- a dead upstream ----------------------------------------------------------------
# A port nobody listens on: bind one, note it, close it.
DEAD=$("$PY3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cp "$CONF" "$T/good.conf"
sed -i "s|base_url = \"$MOCK_URL/api/v1\";|base_url = \"http://127.0.0.1:$DEAD/api/v1\";|" "$CONF"
check "reload pointing at a closed port" reload
s=$(req POST /api/v1/chat/completions "$CHAT")
check "closed upstream port: 502" [ "$s" = 502 ]
check "  ... typed upstream_unreachable" [ "$(json "$T/out" 'd["error"]["type"]')" = upstream_unreachable ]
check "  ... naming the upstream" grep -qF "127.0.0.1:$DEAD" "$T/out"
s=$(req POST /api/v1/chat/completions "$(stream_body "anyone there")")
check "  ... a stream request too gets the 502 JSON" [ "$s" = 502 ] &&
	check "  ... typed upstream_unreachable" [ "$(json "$T/out" 'd["error"]["type"]')" = upstream_unreachable ]
s=$(req GET /api/v1/me)
check "  ... /api/v1/me still works" [ "$s" = 200 ]
check "  ... logged as outcome=upstream_unreachable" logged 'outcome=upstream_unreachable '
cp "$T/good.conf" "$CONF"
check "reload back to the mock" reload

# The mock itself dies, under orad's kept-alive connections to it.
s=$(req POST /api/v1/chat/completions "$CHAT")
check "the mock answers again before it is killed" [ "$s" = 200 ]
kill "$MOCK_PID"
wait "$MOCK_PID" 2>/dev/null
s=$(req POST /api/v1/chat/completions "$CHAT")
check "killed upstream: 502" [ "$s" = 502 ]
check "  ... typed upstream_unreachable" [ "$(json "$T/out" 'd["error"]["type"]')" = upstream_unreachable ]
check "  ... naming the upstream" grep -qF "$MOCK_URL/api/v1" "$T/out"
s=$(req GET /api/v1/me)
check "  ... /api/v1/me still works" [ "$s" = 200 ]
check "  ... the daemon is alive" kill -0 "$ORAD_PID"

# The upstream comes back on the same port.
rm -f "$T/mock.port"
"$MOCK" --listen "127.0.0.1:$MOCK_PORT" --port-file "$T/mock.port" --keys "$T/mock.keys" --quiet \
	2>>"$T/mock.log" &
MOCK_PID=$!
PIDS="$PIDS $MOCK_PID"
if wait_for_file "$T/mock.port"; then
	# --- after all of the above -------------------------------------------------
	s=$(req POST /api/v1/chat/completions "$CHAT")
	check "after everything a normal request is 200" [ "$s" = 200 ]
	check "  ... with the answer" grep -q 'Mock answer to' "$T/out"
	s=$(req POST /api/v1/chat/completions "$(stream_body "all good")")
	check "  ... and a stream completes" [ "$s" = 200 ] && check "  ... with [DONE]" grep -q '^data: \[DONE\]' "$T/out"
else
	not_ok "the mock restarted on port $MOCK_PORT"
fi
check "daemon still alive" kill -0 "$ORAD_PID"
finish
