#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Streaming as a user sees it: events reach the client while the upstream is
# still generating, comments and both shapes of the usage chunk pass through,
# a client that hangs up stops the upstream transfer (and so the spend) at
# once, many streams run side by side, and events split into tiny pieces
# still arrive whole. Every wait polls with a limit; nothing asserts a time.
. "$top_srcdir/tests/integration/lib.sh"
# Every curl here (req, mock_get, mock_post) gives up after 60 s.
printf 'max-time = 60\n' >"$T/.curlrc"
CURL_HOME=$T
export CURL_HOME

ME=$(id -un)
# Room for 50 streams at once from one user.
ROLES='
  basic = {
    models = [ "openai/gpt-4o-mini", "meta-llama/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 6000;
    concurrent_requests = 100;
  };'
standard_setup "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }" "$ROLES" \
	"max_connections_per_uid = 200;"

SSE_CLIENT=$top_srcdir/tests/integration/sse_client.py

# The mock's deterministic answer to a message (README: first 8 words).
answer() {
	"$PY3" -c 'import sys; w = sys.argv[1].split()[:8]
print("Mock answer to: %s. The quick brown fox jumps over the lazy dog." % " ".join(w))' "$1"
}
stream_body() { printf '{"stream":true,"messages":[{"role":"user","content":"%s"}]}' "$1"; }
# sse PREFIX BODY [CLOSE_AFTER]: run the client in the foreground.
sse() {
	p=$1
	shift
	"$PY3" "$SSE_CLIENT" "$SOCK" "$1" "$T/$p" ${2:-} 2>>"$T/sse.log"
}
# mock_stat NAME: a counter from the mock's /mock/stats.
mock_stat() {
	mock_get /mock/stats "$T/stats.json" && json "$T/stats.json" "d[\"$1\"]"
}
# gen_field ID FIELD: a field of the mock's billing record for generation ID.
gen_field() {
	mock_get /mock/generations "$T/gens.json" &&
		json "$T/gens.json" "[g[\"$2\"] for g in d[\"data\"] if g[\"id\"] == \"$1\"][0]" 2>/dev/null
}
gen_is() { [ "$(gen_field "$1" status)" = "$2" ]; }
data_lines() { n=$(grep -c '^data: {' "$1" 2>/dev/null); echo "${n:-0}"; }
has_data_lines() { [ "$(data_lines "$1")" -ge "$2" ]; }
# Blank-separated words, as the mock counts them, whatever the locale.
words() { printf '%s\n' "$1" | awk '{ n += NF } END { print n }'; }
ok_count() { grep -c 'outcome=ok ' "$T/orad.log"; }

# --- events arrive while the upstream is paused mid-stream ------------------
MSG="tell me a story about streams"
EXPECT=$(answer "$MSG")
mock_post /mock/reset '{}'
mock_post /mock/faults '{"pause_after_events":3}'
"$PY3" "$SSE_CLIENT" "$SOCK" "$(stream_body "$MSG")" "$T/pause" 2>>"$T/sse.log" &
CLIENT=$!
PIDS="$PIDS $CLIENT"
if poll 100 has_data_lines "$T/pause.raw" 3; then
	ok "the first 3 events reached the client while the upstream is paused"
	check "  ... after the SSE headers (200, text/event-stream)" \
		grep -q '^header: content-type: text/event-stream' "$T/pause.raw"
	check "  ... status 200 already sent" grep -q '^status: 200$' "$T/pause.raw"
	check "  ... the processing comment came first" grep -q '^: OPENROUTER PROCESSING' "$T/pause.raw"
	check "  ... exactly 3, nothing past the pause" [ "$(data_lines "$T/pause.raw")" -eq 3 ]
	check "  ... the upstream stream is still open (mock active_streams 1)" \
		[ "$(mock_stat active_streams)" = 1 ]
	mock_get /mock/generations "$T/gens.json"
	check "  ... and the generation has not ended upstream" [ "$(json "$T/gens.json" 'd["count"]')" = 0 ]
	check "  ... the client is still reading" kill -0 "$CLIENT"
	check "  ... X-Generation-Id passed through with the headers" \
		grep -q "^header: x-generation-id: gen-" "$T/pause.raw"
	check "  ... no [DONE] yet" sh -c "! grep -q 'DONE' '$T/pause.raw'"
else
	not_ok "the first 3 events reached the client while the upstream is paused"
	sed 's/^/#   /' "$T/pause.raw" 2>/dev/null | head -20
fi
mock_post /mock/resume '{}'
wait "$CLIENT"
check "after /mock/resume the stream completes with [DONE]" [ "$(json "$T/pause.json" 'd["done"]')" = True ]
check "  ... [DONE] is the last event" [ "$(json "$T/pause.json" 'd["after_done"]')" = 0 ]
check "  ... the chunked body ends cleanly" [ "$(json "$T/pause.json" 'd["clean_end"]')" = True ]
check "  ... the whole answer arrived, in order" [ "$(json "$T/pause.json" 'd["content"]')" = "$EXPECT" ]
check "  ... with the usage chunk and its cost" \
	[ "$(json "$T/pause.json" 'd["usage"]["usage"]["cost"] > 0')" = True ]
check "  ... usage counts every word" \
	[ "$(json "$T/pause.json" 'd["usage"]["usage"]["completion_tokens"]')" = "$(words "$EXPECT")" ]

# --- comments and the usage chunk's two shapes ------------------------------
mock_post /mock/faults '{"processing_comments":4}'
sse comments "$(stream_body "comments please")"
check "4 processing comments pass through" \
	[ "$(json "$T/comments.json" 'd["comments"].count(": OPENROUTER PROCESSING")')" = 4 ]
check "  ... before the first data event" \
	[ "$(grep -m1 -n '^data:' "$T/comments.raw" | cut -d: -f1)" -gt \
	  "$(grep -n '^: OPENROUTER' "$T/comments.raw" | tail -n 1 | cut -d: -f1)" ]
check "  ... and the stream is complete" [ "$(json "$T/comments.json" 'd["done"]')" = True ]
check "  ... with the full answer" \
	[ "$(json "$T/comments.json" 'd["content"]')" = "$(answer "comments please")" ]

mock_post /mock/faults '{"processing_comments":0}'
sse nocomment "$(stream_body "no comments")"
check "no comment when the upstream sends none" [ "$(json "$T/nocomment.json" 'len(d["comments"])')" = 0 ]
check "  ... usage chunk with empty choices passes through" \
	[ "$(json "$T/nocomment.json" 'd["usage"]["choices"]')" = "[]" ]

mock_post /mock/faults '{"usage_repeats_choice":true}'
sse repeat "$(stream_body "repeat the choice")"
check "usage chunk that repeats the finish choice passes through" \
	[ "$(json "$T/repeat.json" 'd["usage"]["choices"][0]["finish_reason"]')" = stop ]
W=$(words "$(answer "repeat the choice")")
check "  ... with its usage" [ "$(json "$T/repeat.json" 'd["usage"]["usage"]["completion_tokens"]')" = "$W" ]
check "  ... then [DONE]" [ "$(json "$T/repeat.json" 'd["done"] and d["after_done"] == 0')" = True ]
GEN=$(json "$T/repeat.json" 'd["ids"][0]')
check "  ... and orad logged its tokens and cost" \
	grep -q "outcome=ok prompt_tokens=[0-9]* completion_tokens=$W cost=0\.[0-9]* generation=$GEN " "$T/orad.log"

# --- a client that hangs up mid-stream aborts the upstream at once ----------
# 40 words 500 ms apart: the whole stream would take over 20 s.
mock_post /mock/reset '{}'
mock_post /mock/faults '{"delay_events_ms":500,"completion_tokens":40}'
aborts0=$(mock_stat client_aborts)
sse hangup "$(stream_body "a long slow answer")" 1
check "the client got its first event and hung up" [ "$(json "$T/hangup.json" 'd["hung_up"]')" = True ]
GEN=$(json "$T/hangup.json" 'd["ids"][0]')
check "  ... the upstream transfer was aborted (record cancelled, polled 30 s)" poll 300 gen_is "$GEN" cancelled
check "  ... the mock counted a client abort" [ "$(mock_stat client_aborts)" -eq $((aborts0 + 1)) ]
tok=$(gen_field "$GEN" completion_tokens)
check "  ... billed for fewer tokens than the full answer ($tok < 40)" [ "${tok:-40}" -lt 40 ]
check "  ... no upstream stream left open" [ "$(mock_stat active_streams)" = 0 ]
check "  ... orad logged outcome=client_gone for it" \
	grep -q "outcome=client_gone .*generation=$GEN " "$T/orad.log"
s=$(req POST /api/v1/chat/completions "$CHAT")
check "  ... and orad keeps serving (200)" [ "$s" = 200 ]

# The same while the upstream is silent (paused): orad has nothing to write
# to the client, so no failed write can tell it; it must notice the hang-up
# itself, or the paused stream would stay open upstream for minutes.
mock_post /mock/faults '{"pause_after_events":2}'
sse hangpause "$(stream_body "pause then hang up")" 2
check "hang-up while the upstream is paused: the client read 2 events and left" \
	[ "$(json "$T/hangpause.json" 'd["hung_up"]')" = True ]
GEN=$(json "$T/hangpause.json" 'd["ids"][0]')
check "  ... the upstream transfer was aborted (record cancelled, polled 30 s)" poll 300 gen_is "$GEN" cancelled
check "  ... billed for the 2 words sent" [ "$(gen_field "$GEN" completion_tokens)" = 2 ]
check "  ... orad logged outcome=client_gone for it" \
	grep -q "outcome=client_gone .*generation=$GEN " "$T/orad.log"
curl -sS -X POST "$MOCK_URL/mock/resume" -o "$T/resume.json"
check "  ... no paused stream was left behind at the mock" [ "$(json "$T/resume.json" 'd["resumed"]')" = 0 ]

# --- a client that hangs up while orad waits for the upstream's headers -----
# The mock is not reading while it sits in delay_headers_ms, so its side of
# the connection orad closed stays in CLOSE-WAIT until it writes; then it
# records the generation as cancelled (README). Without the abort the mock
# would stream the answer to orad and record it complete.
close_wait() {
	"$PY3" -c 'import sys
port = "%04X" % int(sys.argv[1])
n = 0
for line in open("/proc/net/tcp").readlines()[1:]:
    f = line.split()
    if f[1].endswith(":" + port) and f[3] == "08":
        n += 1
print(n)' "$MOCK_PORT"
}
more_close_wait() { [ "$(close_wait)" -gt "$1" ]; }
attempts_are() { [ "$(mock_stat attempts)" = "$1" ]; }
client_gone_before_headers() {
	grep -q "pid=$1 .*status=0 outcome=client_gone " "$T/orad.log"
}
mock_post /mock/reset '{}'
# The headers wait 20 s: the hang-up and orad's reaction must fall inside
# that window, however slowly a loaded machine runs the polls below.
mock_post /mock/faults '{"delay_headers_ms":20000,"delay_events_ms":300}'
cw0=$(close_wait)
aborts0=$(mock_stat client_aborts)
"$PY3" "$SSE_CLIENT" "$SOCK" "$(stream_body "wait for it")" "$T/early" 2>>"$T/sse.log" &
CLIENT=$!
PIDS="$PIDS $CLIENT"
if poll 150 attempts_are 1; then
	kill "$CLIENT"
	wait "$CLIENT" 2>/dev/null
	check "hang-up before the headers: orad ends the exchange without waiting (client_gone, status=0)" \
		poll 150 client_gone_before_headers "$CLIENT"
	check "  ... and closes its upstream connection (CLOSE-WAIT on the mock's side)" \
		poll 150 more_close_wait "$cw0"
	mock_get /mock/requests "$T/reqs.json"
	GEN=$(json "$T/reqs.json" 'd["data"][-1]["generation_id"]')
	check "  ... the mock records the generation as cancelled once it writes (after the 20 s)" \
		poll 450 gen_is "$GEN" cancelled
	check "  ... with a client abort counted" [ "$(mock_stat client_aborts)" -eq $((aborts0 + 1)) ]
	tok=$(gen_field "$GEN" completion_tokens)
	check "  ... and not the whole answer ($tok tokens)" [ "${tok:-99}" -lt 14 ]
else
	not_ok "hang-up before the headers: the request reached the mock"
	kill "$CLIENT" 2>/dev/null
fi
s=$(req POST /api/v1/chat/completions "$CHAT")
check "  ... orad keeps serving (200)" [ "$s" = 200 ]

# --- 50 concurrent streams ----------------------------------------------------
# Each stream pauses upstream after its first word; once all 50 are open at
# the mock at the same time they are resumed and must all complete, each with
# its own answer.
cat >"$T/many.py" <<'PY'
import json, subprocess, sys, threading
py, helper, sock, prefix, n = sys.argv[1:6]
n = int(n)
def one(i):
    msg = "concurrent stream number %d" % i
    body = json.dumps({"stream": True, "messages": [{"role": "user", "content": msg}]})
    subprocess.run([py, helper, sock, body, "%s.%d" % (prefix, i)], timeout=90)
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
bad = 0
ids = set()
for i in range(n):
    try:
        d = json.load(open("%s.%d.json" % (prefix, i)))
    except Exception as e:
        print("stream %d: no result (%s)" % (i, e)); bad += 1; continue
    want = "Mock answer to: concurrent stream number %d. The quick brown fox jumps over the lazy dog." % i
    why = []
    if d["status"] != 200: why.append("status %s" % d["status"])
    if d["content"] != want: why.append("content %r" % d["content"])
    if not d["done"] or d["after_done"]: why.append("no clean [DONE]")
    if not d["clean_end"]: why.append("body not ended cleanly")
    if not d["usage"] or d["usage"]["usage"]["completion_tokens"] != len(want.split()): why.append("usage")
    if d["unparsable"]: why.append("unparsable events")
    if d["exception"]: why.append(d["exception"])
    if len(d["ids"]) != 1: why.append("ids %s" % d["ids"])
    else: ids.add(d["ids"][0])
    if why:
        bad += 1
        print("stream %d: %s" % (i, "; ".join(why)))
print("complete %d of %d, distinct generations %d" % (n - bad, n, len(ids)))
PY
N=50
mock_post /mock/reset '{}'
mock_post /mock/faults "{\"pause_after_events\":1,\"times\":$N}"
ok0=$(ok_count)
"$PY3" "$T/many.py" "$PY3" "$SSE_CLIENT" "$SOCK" "$T/many" "$N" >"$T/many.out" 2>&1 &
MANY=$!
PIDS="$PIDS $MANY"
streams_are() { [ "$(mock_stat active_streams)" = "$1" ]; }
check "$N streams open upstream at the same time through orad (polled 30 s)" poll 300 streams_are "$N"
mock_post /mock/resume '{}'
# Bounded: each client gives up after 60 s, many.py after 90 s each.
wait "$MANY"
check "all $N concurrent streams complete with their own answer, usage and [DONE]" \
	grep -q "^complete $N of $N, distinct generations $N\$" "$T/many.out"
grep -v '^complete' "$T/many.out" | head -5 | sed 's/^/#   /'
mock_get /mock/generations "$T/gens.json"
check "  ... the mock recorded $N complete generations" \
	[ "$(json "$T/gens.json" 'sum(1 for g in d["data"] if g["status"] == "complete")')" = "$N" ]
check "  ... orad logged $N outcome=ok" [ "$(ok_count)" -eq $((ok0 + N)) ]

# --- drip: events split into tiny pieces ---------------------------------------
mock_post /mock/reset '{}'
mock_post /mock/faults '{"drip_bytes":7,"delay_events_ms":1}'
sse drip "$(stream_body "drip drip drip")"
check "dripped stream: every event arrives whole and parses" \
	[ "$(json "$T/drip.json" 'd["status"] == 200 and d["unparsable"] == 0 and len(d["events"]) > 10')" = True ]
check "  ... the answer is intact" [ "$(json "$T/drip.json" 'd["content"]')" = "$(answer "drip drip drip")" ]
check "  ... with usage and [DONE]" \
	[ "$(json "$T/drip.json" 'd["usage"] is not None and d["done"] and d["after_done"] == 0')" = True ]
GEN=$(json "$T/drip.json" 'd["ids"][0]')
check "  ... and orad still read the usage from the pieces (its log)" \
	grep -q "outcome=ok prompt_tokens=[0-9]* completion_tokens=$(words "$(answer "drip drip drip")") cost=0\.[0-9]* generation=$GEN " "$T/orad.log"

# One byte per HTTP chunk, through multi-byte UTF-8 characters.
UTF='Grüße aus 東京 — naïve café ☕ ok'
mock_post /mock/faults "{\"drip_bytes\":1,\"content\":\"$UTF\"}"
sse drip1 "$(stream_body "one byte at a time")"
check "one byte per chunk: every event arrives whole and parses" \
	[ "$(json "$T/drip1.json" 'd["status"] == 200 and d["unparsable"] == 0 and d["done"] and d["after_done"] == 0')" = True ]
check "  ... multi-byte UTF-8 content intact" [ "$(json "$T/drip1.json" 'd["content"]')" = "$UTF" ]
GEN=$(json "$T/drip1.json" 'd["ids"][0]')
check "  ... and orad still read the usage (its log)" \
	grep -q "outcome=ok prompt_tokens=[0-9]* completion_tokens=$(words "$UTF") cost=0\.[0-9]* generation=$GEN " "$T/orad.log"

mock_post /mock/faults '{"drip_bytes":5,"delay_events_ms":1}'
s=$(req POST /api/v1/chat/completions "$CHAT")
check "dripped non-stream answer: 200" [ "$s" = 200 ]
check "  ... valid JSON with the whole answer" \
	[ "$(json "$T/out" 'd["choices"][0]["message"]["content"]')" = "$(answer "Say hello to the integration test")" ]

check "daemon still alive" kill -0 "$ORAD_PID"
s=$(req POST /api/v1/chat/completions "$(stream_body "last one")")
check "and still streaming" [ "$s" = 200 ] && check "  ... to the end" grep -q '^data: \[DONE\]' "$T/out"
finish
