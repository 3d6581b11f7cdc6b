#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_orad_slow_request.sh: a request that arrives too slowly (its body
# trickled past daemon.body_timeout, its head past daemon.header_timeout) is
# cut with 408 in the shape of the endpoint it was sent to, so that the tool
# that sent it shows the sentence: Anthropic's error shape on the Messages
# endpoint ({"type":"error","error":{"type":"timeout_error",...}}), ora's
# (OpenRouter's) on chat completions and responses, typed request_timeout
# rather than bad_request; and nothing of it reaches the upstream, judged by
# the mock's record of every request it received. Over loopback TCP, as the
# tools that speak these shapes come, and over the Unix socket.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
ME=$(id -un)
PORT=$("$PY3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_mock
make_daemon_user
# write_conf sets header_timeout = body_timeout = 3 s.
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }" "" \
	"listen = [ \"127.0.0.1:$PORT\" ];"
seal_keys || exit 1
start_orad

MSG='{"model":"openai/gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"Say hello slowly"}]}'
RESP='{"model":"openai/gpt-4o-mini","input":"Say hello slowly"}'
CHAT='{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Say hello slowly"}]}'

# slow WHERE PATH PART BODY: send a POST of BODY to PATH, WHERE "tcp" or
# "socket", with PART ("body" or "head") trickled one byte every 0.5 s
# (far inside any inactivity timeout, so only an absolute deadline cuts
# it); print the answer's status, its body into $T/out.json, and the
# seconds it took.
slow() {
	"$PY3" - "$1" "$2" "$3" "$4" "$PORT" "$SOCK" "$T/out.json" <<'PY'
import select, socket, sys, time
where, path, part, body, port, sock, out = sys.argv[1:]
body = body.encode()
head = ("POST %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer any-key\r\n"
        "x-api-key: any-key\r\nanthropic-version: 2023-06-01\r\n"
        "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % (path, len(body))).encode()
if where == "tcp":
    s = socket.create_connection(("127.0.0.1", int(port)))
else:
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
t0 = time.time()
if part == "body":
    s.sendall(head)
    at_once, trickled = b"", body
else:
    # The request line whole, so that the endpoint is known; the rest of
    # the head, and the body, a byte at a time.
    line = head.index(b"\r\n") + 2
    s.sendall(head[:line])
    trickled = head[line:] + body
got = b""
for i in range(len(trickled)):
    try:
        s.send(trickled[i:i + 1])
    except OSError:
        break
    r, _, _ = select.select([s], [], [], 0.5)
    if r:
        break
s.settimeout(10)
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except OSError:
    pass
elapsed = time.time() - t0
head_b, _, payload = got.partition(b"\r\n\r\n")
status = int(head_b.split(b" ")[1]) if head_b.startswith(b"HTTP/1.") else 0
open(out, "wb").write(payload)
print(status, "%.1f" % elapsed)
PY
}
# shape_anthropic: $T/out.json is exactly Anthropic's error shape, typed
# timeout_error, its message naming SETTING ($1).
shape_anthropic() {
	"$PY3" - "$T/out.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"type", "error"} and d["type"] == "error", d
e = d["error"]
assert set(e) == {"type", "message"}, e
assert e["type"] == "timeout_error", e
assert sys.argv[2] in e["message"], e
PY
}
# shape_ora: $T/out.json is ora's error shape (OpenRouter's object plus a
# stable type), code 408, typed request_timeout, naming SETTING ($1).
shape_ora() {
	"$PY3" - "$T/out.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"error"}, d
e = d["error"]
assert e["code"] == 408 and e["type"] == "request_timeout", e
assert sys.argv[2] in e["message"], e
PY
}
# How many requests the mock has received (refused ones too), and attempts.
mock_requests() { mock_get /mock/requests "$T/reqs.json"; json "$T/reqs.json" 'len(d["data"])'; }
mock_attempts() { mock_get /mock/stats "$T/stats.json"; json "$T/stats.json" 'd["attempts"]'; }

# ---- a trickled body -------------------------------------------------------
for where in tcp socket; do
	for ep in /api/v1/messages /v1/messages /api/v1/responses /api/v1/chat/completions; do
		case $ep in
		*messages) body=$MSG ;;
		*responses) body=$RESP ;;
		*) body=$CHAT ;;
		esac
		set -- $(slow $where $ep body "$body")
		echo "# $where $ep, body trickled: status $1 after $2 s"
		check "$where $ep: a trickled body is cut with 408" [ "$1" = 408 ]
		case $ep in
		*messages) check "  ... in Anthropic's error shape, timeout_error, naming daemon.body_timeout" \
			shape_anthropic daemon.body_timeout ;;
		*) check "  ... in ora's error shape, request_timeout, naming daemon.body_timeout" \
			shape_ora daemon.body_timeout ;;
		esac
	done
done

# ---- a trickled head, the endpoint known from its request line ------------
set -- $(slow tcp /api/v1/messages head "$MSG")
echo "# tcp /api/v1/messages, head trickled: status $1 after $2 s"
check "tcp /api/v1/messages: a trickled head is cut with 408" [ "$1" = 408 ]
check "  ... in Anthropic's error shape, timeout_error, naming daemon.header_timeout" \
	shape_anthropic daemon.header_timeout
set -- $(slow tcp /api/v1/responses head "$RESP")
check "tcp /api/v1/responses: a trickled head is cut with 408" [ "$1" = 408 ]
check "  ... in ora's error shape, request_timeout, naming daemon.header_timeout" \
	shape_ora daemon.header_timeout

# ---- nothing reached the upstream -------------------------------------------
check "the mock received none of these requests" [ "$(mock_requests)" = 0 ]
check "  ... nor any attempt at one" [ "$(mock_attempts)" = 0 ]
# The same bodies sent at once do reach it: the record above could have
# shown them.
for ep in /api/v1/messages /api/v1/responses; do
	case $ep in *messages) body=$MSG ;; *) body=$RESP ;; esac
	s=$(curl -sS -o "$T/out.json" -w '%{http_code}' "http://127.0.0.1:$PORT$ep" \
		-H 'Authorization: Bearer any-key' -H 'Content-Type: application/json' \
		--data-binary "$body")
	check "$ep: the same request sent at once is answered 200" [ "$s" = 200 ]
done
check "  ... and both reached the mock" [ "$(mock_requests)" = 2 ]
check "  ... as a messages and a responses request" \
	[ "$(json "$T/reqs.json" '" ".join(r["endpoint"] for r in d["data"])')" = "messages responses" ]

finish
