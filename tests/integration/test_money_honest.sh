#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Honest charges: an exchange counts as sent only once the upstream has the
# whole request. A client that hangs up (half-closes) before that, against
# an upstream slow to take it, is charged nothing, its reservation is
# released, and nothing is billed upstream; a request the upstream does get
# is charged what the upstream billed.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
ME=$(id -un)
start_mock

# A relay in front of the mock that, for a chat request (POST), notes the
# connection in $T/slow.accepted and then reads nothing from it for HOLD
# seconds, or, while $T/slow.hold exists, until the test removes that file
# (a small receive buffer, so a large request stays mostly unsent), then
# passes on what it got; other requests (the catalog) pass at once. One
# request per connection (the relay closes it after the answer), and one
# line in $T/slow.done per request passed on: "complete" or "incomplete".
# The hold file, not a clock, keeps the upstream from taking a request
# until orad has given up on it, however slow the machine.
HOLD=1
cat >"$T/slow.py" <<'PY'
import os, socket, sys, threading, time
port_file, up_port, hold, done = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
accepted, hold_file = sys.argv[5], sys.argv[6]
lock = threading.Lock()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
open(port_file + ".tmp", "w").write(str(ls.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
def read_request(c):
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            d = c.recv(65536)
            if not d:
                return data, False
            data += d
        head, body = data.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(body) < length:
            d = c.recv(65536)
            if not d:
                return data, False
            body += d
        return head + b"\r\nConnection: close\r\n\r\n" + body, True
    except OSError:
        return data, False
def serve(c):
    if c.recv(5, socket.MSG_PEEK) == b"POST ":
        with lock, open(accepted, "a") as f:
            f.write("post\n")
        if os.path.exists(hold_file):
            limit = time.monotonic() + 300
            while os.path.exists(hold_file) and time.monotonic() < limit:
                time.sleep(0.05)
        else:
            time.sleep(hold)
    req, complete = read_request(c)
    u = socket.create_connection(("127.0.0.1", up_port))
    u.sendall(req)
    if complete:
        while True:
            d = u.recv(65536)
            if not d:
                break
            try:
                c.sendall(d)
            except OSError:
                break
    u.close()
    c.close()
    if req.startswith(b"POST "):
        with open(done, "a") as f:
            f.write("complete\n" if complete else "incomplete\n")
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
"$PY3" "$T/slow.py" "$T/slow.port" "$MOCK_PORT" "$HOLD" "$T/slow.done" "$T/slow.accepted" \
	"$T/slow.hold" 2>"$T/slow.log" &
PIDS="$PIDS $!"
wait_for_file "$T/slow.port" || { echo "the slow relay did not start"; exit 1; }
MOCK_URL_SAVED=$MOCK_URL
MOCK_URL="http://127.0.0.1:$(cat "$T/slow.port")"

make_daemon_user
CONF_UPSTREAM_EXTRA="retries = 0;"
CONF_CENTRES='  dev = { key = "dev"; budget = { usd = 20.0; period = "daily"; }; };'
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centre = \"dev\"; }" '
  basic = {
    models = [ "openai/gpt-4o-mini" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 10000;
    concurrent_requests = 16;
  };' "max_body_bytes = 8388608;"
seal_keys || exit 1
start_orad
MOCK_URL=$MOCK_URL_SAVED
catalog_loaded() { grep -q 'catalog: [0-9]* models' "$T/orad.log"; }
poll 300 catalog_loaded

finished() { [ "$(wc -l <"$T/slow.done" 2>/dev/null || echo 0)" -ge "$1" ]; }
billed() { mock_get '/mock/generations?summary=1' "$T/gen.json"; json "$T/gen.json" 'd["count"]'; }
settled_rows() { ledger_sql "SELECT COUNT(*) FROM requests WHERE state = 'settled'"; }

# 1. A request the upstream takes, late: served, and charged what it billed.
s=$(req POST /api/v1/chat/completions "$CHAT")
check "through the slow upstream, a request is served" [ "$s" = 200 ]
check "  ... billed once upstream" [ "$(billed)" = 1 ]
ledger_flushed
check "  ... and charged what the upstream billed" [ "$(ledger_sql "SELECT cost_pico > 0 AND \
cost_pico = (SELECT SUM(cost_pico) FROM requests) FROM requests WHERE id = (SELECT MAX(id) FROM requests)")" = 1 ]
poll 300 finished 1

# 2. A large request, and the client half-closes: at once (orad may not
# have connected yet), then once the upstream has the connection (orad is
# connected, the upstream has taken a few kilobytes of the request and
# reads no more until the test lets it, after orad has given up).
cat >"$T/halfclose.py" <<'PY'
import json, os, socket, sys, time
body = json.dumps({"model": "openai/gpt-4o-mini",
                   "messages": [{"role": "user", "content": "x" * (3 << 20)}]}).encode()
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
          b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
# Wait until the relay has accepted WANT chat connections (0: not at all).
want, limit = int(sys.argv[3]), time.monotonic() + 60
def accepted():
    try:
        return len(open(sys.argv[2]).readlines())
    except OSError:
        return 0
while accepted() < want and time.monotonic() < limit:
    time.sleep(0.02)
s.shutdown(socket.SHUT_WR)
print(repr(s.recv(4096)[:40]))
s.close()
PY
rows=1
for when in "at once" "with the upstream connected"; do
	rows=$((rows + 1))
	want=0
	[ "$when" = "at once" ] || want=$(($(wc -l <"$T/slow.accepted") + 1))
	: >"$T/slow.hold"
	"$PY3" "$T/halfclose.py" "$SOCK" "$T/slow.accepted" "$want" >"$T/halfclose.out" 2>&1
	row_settled() { [ "$(settled_rows)" = "$rows" ]; }
	poll 300 row_settled
	rm -f "$T/slow.hold"
	check "half-closed $when: the request is settled" [ "$(settled_rows)" = "$rows" ]
	row=$(ledger_sql "SELECT outcome, cost_pico, estimated, reserved_pico > 0 FROM requests WHERE id = (SELECT MAX(id) FROM requests)")
	check "  ... as client_gone, charged \$0, not estimated, though it had reserved money ($row)" \
		[ "$row" = "client_gone|0|0|1" ]
	req GET /api/v1/usage >/dev/null
	check "  ... and its reservation is released" \
		[ "$(json "$T/out" 'sum(b["reserved_pico"] for b in d["budgets"])')" = 0 ]
done
poll 300 finished 2
check "the slow upstream got the last one's connection, after orad had given up on it" finished 2
check "  ... with the request incomplete" [ "$(tail -n 1 "$T/slow.done")" = incomplete ]
check "  ... and billed nothing for either" [ "$(billed)" = 1 ]
spent=$(ledger_sql "SELECT SUM(cost_pico) FROM requests")
mock_get '/mock/generations?summary=1' "$T/gen.json"
check "the ledger's total is the upstream's ($spent)" \
	[ "$spent" = "$(json "$T/gen.json" 'd["total_cost_picodollars"]')" ]
finish
