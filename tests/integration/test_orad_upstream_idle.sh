#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# An upstream that closes kept-alive connections while they idle in
# libcurl's pool (nginx's keepalive_timeout) costs orad nothing and loses
# nothing: orad keeps a pooled connection's socket watched between
# transfers (issue 17: no epoll_ctl pair per request), so the close wakes
# it once, and it must neither spin on the closed socket nor take the next
# connection, which may get the same descriptor number, for the old one.
# A relay between orad and the mock counts the connections it carries and
# closes every one of them on SIGUSR1, as an upstream's idle timeout does.
. "$top_srcdir/tests/integration/lib.sh"

ME=$(id -un)
CONF_UPSTREAM_EXTRA="retries = 0; circuit_failures = 0;"
need_binaries "$ORAD" "$ORACTL" "$MOCK"
start_mock
make_daemon_user

cat >"$T/relay.py" <<'PY'
import os, signal, socket, sys, threading
target = (sys.argv[1], int(sys.argv[2]))
state = sys.argv[4]
lock = threading.Lock()
conns, accepted, closed = [], [0], [0]
def report():
    with open(state + ".new", "w") as f:
        f.write("%d %d\n" % (accepted[0], closed[0]))
    os.rename(state + ".new", state)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def close_all(signum, frame):
    with lock:
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        closed[0] += len(conns)
        del conns[:]
        report()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
with lock:
    report()
signal.signal(signal.SIGUSR1, close_all)
with open(sys.argv[3] + ".new", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(sys.argv[3] + ".new", sys.argv[3])
while True:
    c, _ = ls.accept()
    u = socket.create_connection(target)
    with lock:
        conns.append(c)
        accepted[0] += 1
        report()
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
PY
"$PY3" "$T/relay.py" 127.0.0.1 "$MOCK_PORT" "$T/relay.port" "$T/relay.state" 2>"$T/relay.log" &
RELAY_PID=$!
PIDS="$PIDS $RELAY_PID"
wait_for_file "$T/relay.port" || { echo "relay did not start"; cat "$T/relay.log"; exit 1; }
RELAY_URL="http://127.0.0.1:$(cat "$T/relay.port")"

write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }"
sed "s|base_url = \"$MOCK_URL/api/v1\";|base_url = \"$RELAY_URL/api/v1\";|" "$CONF" >"$CONF.new" &&
	mv "$CONF.new" "$CONF"
check "the base URL is the relay's" grep -q "$RELAY_URL/api/v1" "$CONF"
seal_keys || exit 1
start_orad
chats() { mock_get /mock/stats "$T/stats.json" && json "$T/stats.json" 'd["requests"]["chat"]'; }
relay() { cut -d' ' -f"$1" "$T/relay.state"; } # 1: accepted, 2: closed
# orad's CPU time so far, in clock ticks (utime + stime of every thread).
ticks() { awk '{ print $14 + $15 }' "/proc/$ORAD_PID/stat"; }

n0=$(chats)
s=$(req POST /api/v1/chat/completions "$CHAT")
check "a first request through the relay (200, got $s)" [ "$s" = 200 ]
s=$(req POST /api/v1/chat/completions "$CHAT")
check "a second (200, got $s)" [ "$s" = 200 ]
a=$(relay 1)
check "both on kept-alive connections (the catalog's and the chats': at most 2, got $a)" \
	[ "$a" -le 2 ]

for round in 1 2 3; do
	a0=$(relay 1)
	c0=$(relay 2)
	kill -USR1 "$RELAY_PID"
	poll 100 sh -c "[ \$(cut -d' ' -f2 '$T/relay.state') -gt $c0 ]"
	check "round $round: the upstream closed the idle connections ($(relay 2) closed)" \
		[ "$(relay 2)" -gt "$c0" ]
	# A spinning loop on the closed socket would take most of a core: some
	# tens of ticks a second even on a loaded machine.
	t0=$(ticks)
	sleep 1
	t1=$(ticks)
	check "round $round: orad idles after the close ($((t1 - t0)) ticks in a second)" \
		[ $((t1 - t0)) -le 10 ]
	s=$(req POST /api/v1/chat/completions "$CHAT")
	check "round $round: the next request is answered (200, got $s)" [ "$s" = 200 ]
	check "round $round: ... on a new connection" [ "$(relay 1)" -gt "$a0" ]
	s=$(req POST /api/v1/chat/completions "$CHAT")
	check "round $round: and the one after, on it (200, got $s)" [ "$s" = 200 ]
done
check "every request reached the upstream once ($(chats) - $n0)" [ "$(chats)" = $((n0 + 8)) ]
check "orad never failed to watch a socket" sh -c "! grep -q 'cannot watch socket' '$T'/*.log"
finish
