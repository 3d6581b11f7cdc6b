#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Other clients on the socket, without a key: curl --unix-socket and Python's
# httpx over a Unix-socket transport (Debian's python3-httpx), whole answers
# and streams, the way the README shows them. The README's own examples are
# run too, so they cannot drift from what works.
. "$top_srcdir/tests/integration/lib.sh"

ME=$(id -un)
standard_setup "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\", \"prod\" ]; }"
URL=http://localhost/api/v1/chat/completions
ANSWER="Mock answer to: Say hello to the integration test. The quick brown fox jumps over the lazy dog."
last_request() { mock_get /mock/requests "$T/up.json" && json "$T/up.json" "d[\"data\"][-1]$1"; }

# --- curl ---------------------------------------------------------------------
code=$(curl -sS --max-time 20 --unix-socket "$SOCK" -H 'Content-Type: application/json' \
	-d "$CHAT" -o "$T/out" -w '%{http_code}' "$URL")
check "curl: an answer without a key (200)" [ "$code" = 200 ]
check "  ... the model's text" [ "$(json "$T/out" 'd["choices"][0]["message"]["content"]')" = "$ANSWER" ]
check "  ... usage and cost in OpenRouter's shape" \
	[ "$(json "$T/out" 'd["usage"]["total_tokens"] > 0 and d["usage"]["cost"] > 0')" = True ]
check "  ... the broker put its own key upstream" [ "$(last_request '["authorization_key"]')" = "$KEY_DEV" ]

code=$(curl -sS --max-time 20 --unix-socket "$SOCK" -H 'Content-Type: application/json' \
	-H 'Authorization: Bearer sk-or-v1-made-up' -d "$CHAT" -o "$T/out" -w '%{http_code}' "$URL")
check "curl with a key of its own: answered (200)" [ "$code" = 200 ]
check "  ... and that key never went upstream" [ "$(last_request '["authorization_key"]')" = "$KEY_DEV" ]

curl -sS -N --max-time 20 --unix-socket "$SOCK" -H 'Content-Type: application/json' \
	-d '{"stream":true,"messages":[{"role":"user","content":"Say hello to the integration test"}]}' \
	-D "$T/headers" -o "$T/stream" "$URL"
check "curl -N: a stream (exit 0)" [ $? = 0 ]
check "  ... of server-sent events" grep -qi '^content-type: text/event-stream' "$T/headers"
check "  ... one event per word" [ "$(grep -c '^data: {' "$T/stream")" -gt 10 ]
check "  ... then [DONE]" [ "$(grep '^data: ' "$T/stream" | tail -n 1)" = "data: [DONE]" ]
check "  ... that add up to the answer" [ "$("$PY3" -c 'import json, sys
text = ""
for line in open(sys.argv[1]):
    if line.startswith("data: {"):
        for c in json.loads(line[6:]).get("choices", []):
            text += c.get("delta", {}).get("content") or ""
print(text)' "$T/stream")" = "$ANSWER" ]
check "  ... and the usage with its cost" grep -q '"usage":{.*"cost":0\.0' "$T/stream"

code=$(curl -sS --max-time 20 --unix-socket "$SOCK" -o "$T/out" -w '%{http_code}' \
	http://localhost/api/v1/models)
check "curl: the model list (200)" [ "$code" = 200 ]
check "  ... only what the role allows" \
	[ "$(json "$T/out" 'sorted(m["id"] for m in d["data"])[0]')" = meta-llama/llama-3.1-8b-instruct ]

# --- httpx -----------------------------------------------------------------------
if ! "$PY3" -c 'import httpx' 2>/dev/null; then
	not_ok "httpx: python3-httpx is not installed (apt-get install python3-httpx)"
else
	cat >"$T/httpx_test.py" <<'PY'
import json, sys
import httpx

sock, want = sys.argv[1], sys.argv[2]
client = httpx.Client(transport=httpx.HTTPTransport(uds=sock),
                      base_url="http://localhost/api/v1", timeout=20)
question = {"messages": [{"role": "user", "content": "Say hello to the integration test"}]}

r = client.post("/chat/completions", json=question)
print("post", r.status_code, r.json()["choices"][0]["message"]["content"] == want)

events, text, usage = 0, "", None
with client.stream("POST", "/chat/completions", json=dict(question, stream=True)) as r:
    kind = r.headers["content-type"].split(";")[0]
    for line in r.iter_lines():
        line = line.rstrip("\r\n")  # Debian 12's httpx keeps line ends
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        events += 1
        for c in chunk.get("choices", []):
            text += c.get("delta", {}).get("content") or ""
        usage = chunk.get("usage") or usage
print("stream", r.status_code, kind, events > 10, text == want, usage["cost"] > 0)

r = client.post("/chat/completions", json=dict(question, model="anthropic/claude-3.5-sonnet"))
print("refused", r.status_code, r.json()["error"]["type"])
print("me", client.get("/me").json()["role"])
PY
	"$PY3" "$T/httpx_test.py" "$SOCK" "$ANSWER" >"$T/httpx.out" 2>"$T/httpx.err"
	check "httpx over the socket: runs (exit 0)" [ $? = 0 ]
	check "  ... a whole answer" grep -qx 'post 200 True' "$T/httpx.out"
	check "  ... a stream read line by line, with its cost" \
		grep -qx 'stream 200 text/event-stream True True True' "$T/httpx.out"
	check "  ... the broker's refusal in OpenRouter's shape" grep -qx 'refused 403 model_not_allowed' "$T/httpx.out"
	check "  ... and /me" grep -qx 'me basic' "$T/httpx.out"
	[ -s "$T/httpx.err" ] && sed 's/^/httpx: /' "$T/httpx.err"
fi

# --- the README's examples, as written ---------------------------------------------
# The code blocks of its "Use it" section that use the socket, with the
# socket path of this test.
"$PY3" - "$top_srcdir/README.md" "$T" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("\n## Use it\n", 1)[1].split("\n## ", 1)[0]
n = 0
for lang, body in re.findall(r"```(\w+)\n(.*?)```", section, re.S):
    if "/run/ora/ora.sock" not in body:
        continue
    if lang == "sh":
        for cmd in re.sub(r"\\\n\s*", "", body).splitlines():
            if cmd.startswith("curl "):
                n += 1
                open("%s/readme-%d.sh" % (sys.argv[2], n), "w").write(cmd + "\n")
    elif lang == "python":
        n += 1
        open("%s/readme-%d.py" % (sys.argv[2], n), "w").write(body)
PY
count=0
for f in "$T"/readme-*; do
	[ -f "$f" ] || continue
	count=$((count + 1))
	sed -i "s#/run/ora/ora.sock#$SOCK#g" "$f"
	case $f in
	*.sh) timeout 20 sh "$f" >"$f.out" 2>&1 ;;
	*.py) timeout 20 "$PY3" "$f" >"$f.out" 2>&1 ;;
	esac
	rc=$?
	check "README example $(basename "$f"): exit 0" [ $rc = 0 ]
	if grep -q '"stream": *true\|stream=True\|client.stream' "$f"; then
		check "  ... streams the answer" sh -c "grep -q 'Mock' '$f.out' && grep -q 'dog' '$f.out'"
	else
		check "  ... prints the answer" grep -q 'Mock answer' "$f.out"
	fi
done
check "the README has curl and httpx examples, whole and streamed (4 at least)" [ "$count" -ge 4 ]

finish
