#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# The door under attack by ordinary local users: every resource a user can
# make orad hold (memory, descriptors, time, the loop) stays bounded, and
# other users (and the administrator) are still served. One section per
# attack; bounds on RSS and descriptors are asserted, times only printed
# (with a generous sanity bound).
. "$top_srcdir/tests/integration/lib.sh"

is_root || skip_all "needs root to create users (CI runs it as root)"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
need_binaries "$ORAD" "$ORACTL" "$MOCK"

add_user alice
add_user bob
add_user mallory
add_user eve
ROLES='
  bulk = {
    models = [ "openai/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 100000;
    requests_per_minute = 100000;
    concurrent_requests = 64;
  };'
MAXCONN=100
# Under AddressSanitizer freed memory sits in quarantine (256 MiB) and RSS
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:allocator_release_to_os_interval_ms=200"
export ASAN_OPTIONS
standard_setup "  { user = \"${PFX}alice\"; role = \"bulk\"; cost_centre = \"dev\"; },
  { user = \"${PFX}bob\"; role = \"bulk\"; cost_centre = \"dev\"; }" "$ROLES" \
	"max_connections = $MAXCONN;"

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$ORAD_PID/status"; }
fds() { ls "/proc/$ORAD_PID/fd" | wc -l; }
MIB=1024


# The attackers: one Python program, one mode per attack, run as the
# attacking user. It prints one line "key=value ..." on stdout.
cat >"$T/attack.py" <<'PY'
import os, socket, sys, time, threading

mode, sock = sys.argv[1], sys.argv[2]
args = sys.argv[3:]

def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    return s

def status_of(data):
    try:
        return int(data.split(b" ", 2)[1])
    except Exception:
        return 0

def read_answer(s, timeout):
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except Exception:
        pass
    return data

HEAD = (b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n")
# The same, for one request per connection.
HEAD_CLOSE = HEAD.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n")

if mode == "large_slow":
    # n connections each send a body just under the limit, then trickle.
    n, size, stop = int(args[0]), int(args[1]), args[2]
    statuses = {}
    lock = threading.Lock()
    def one():
        st = 0
        try:
            s = conn()
            s.sendall(HEAD % size)
            chunk = b"x" * 65536
            sent = 0
            s.settimeout(5)
            while sent < size - 1:
                k = min(len(chunk), size - 1 - sent)
                s.sendall(chunk[:k])
                sent += k
            while not os.path.exists(stop):
                s.sendall(b" ")
                time.sleep(0.5)
        except Exception:
            pass
        try:
            st = status_of(read_answer(s, 2))
            s.close()
        except Exception:
            pass
        with lock:
            statuses[st] = statuses.get(st, 0) + 1
    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts: t.start()
    for t in ts: t.join()
    print(" ".join("s%d=%d" % kv for kv in sorted(statuses.items())))

elif mode == "trickle_conns":
    # n connections, each trickling a head one byte a second, until stop.
    n, ready, stop = int(args[0]), args[1], args[2]
    held, refused, statuses = [], 0, {}
    for _ in range(n):
        try:
            s = conn()
        except Exception:
            refused += 1
            continue
        s.setblocking(False)
        held.append(s)
    time.sleep(0.3)
    alive = []
    for s in held:
        try:
            d = s.recv(4096)
            st = status_of(d)
            statuses[st] = statuses.get(st, 0) + 1
            s.close()
        except BlockingIOError:
            alive.append(s)
        except Exception:
            refused += 1
    open(ready, "w").write("%d\n" % len(alive))
    head = b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
    i = 0
    while not os.path.exists(stop) and i < 200:
        for s in alive:
            try:
                s.send(head[i % len(head):i % len(head) + 1])
            except Exception:
                pass
        time.sleep(0.1)
        i += 1
    print("alive=%d" % len(alive), "refused=%d" % refused,
          " ".join("s%d=%d" % kv for kv in sorted(statuses.items())))

elif mode == "slowloris":
    # The head (or, after a complete head, the body) one byte every 0.5 s:
    # far inside any inactivity timeout.
    import select
    part = args[0]
    s = conn()
    t0 = time.time()
    head = HEAD % 100
    if part == "body":
        s.sendall(head)
        data = b"{" + b" " * 99
    else:
        data = head
    got = b""
    for i in range(len(data)):
        try:
            s.send(data[i:i + 1])
        except Exception:
            pass
        r, _, _ = select.select([s], [], [], 0.5)
        if r:
            got = read_answer(s, 2)
            break
    print("status=%d" % status_of(got), "elapsed=%.1f" % (time.time() - t0))

elif mode == "oversized":
    # Declare a body far over the limit; wait for the answer before sending
    # any of it, then try to send it anyway.
    size = int(args[0])
    s = conn()
    s.sendall(HEAD % size)
    s.settimeout(10)
    first = s.recv(4096)
    sent = 0
    s.settimeout(2)
    try:
        chunk = b"x" * 65536
        while sent < 8 * 1024 * 1024:
            sent += s.send(chunk)
    except Exception:
        pass
    print("status=%d" % status_of(first), "accepted_after=%d" % sent)

elif mode == "unread_streams":
    # n streaming requests whose answers are never read, held until stop.
    n, ready, stop = int(args[0]), args[1], args[2]
    body = b'{"stream":true,"messages":[{"role":"user","content":"go"}]}'
    held = []
    for _ in range(n):
        s = conn()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(HEAD % len(body) + body)
        held.append(s)
    open(ready, "w").write("%d\n" % len(held))
    while not os.path.exists(stop):
        time.sleep(0.1)
    for s in held:
        s.close()
    print("streams=%d" % len(held))

elif mode == "protocol":
    # What the door does with ordinary and ambiguous framing, over the
    # real socket. Prints one word per case.
    def exchange(raw, timeout=5):
        s = conn()
        s.sendall(raw)
        data = read_answer(s, timeout)
        s.close()
        return data
    me = b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n\r\n"
    out = []
    # Two requests pipelined on one connection, then close.
    d = exchange(me + b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    out.append("pipelined=%d" % d.count(b"HTTP/1.1 200 OK"))
    # HTTP/1.0: answered, then closed by the server.
    d = exchange(b"GET /api/v1/me HTTP/1.0\r\n\r\n")
    out.append("http10=%d" % status_of(d))
    # Smuggling-style framing: refused, JSON, closed.
    d = exchange(b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    out.append("cl_te=%d%s" % (status_of(d), "_json" if b'"type":"bad_request"' in d else ""))
    # Expect: 100-continue is answered before the body is sent.
    s = conn()
    body = b'{"messages":[{"role":"user","content":"hi"}]}'
    s.sendall(HEAD.replace(b"Host: x\r\n", b"Host: x\r\nExpect: 100-continue\r\n"
                                             b"Connection: close\r\n") % len(body))
    s.settimeout(5)
    first = s.recv(100)
    s.sendall(body)
    rest = read_answer(s, 10)
    out.append("continue=%d,%d" % (status_of(first), status_of(rest)))
    print(" ".join(out))

elif mode == "refused_bodies":
    # Bodies of size bytes, each refused, count times over k connections.
    count, size = int(args[0]), int(args[1])
    body = b'{"model":"anthropic/claude-3.5-sonnet","messages":[{"role":"user","content":"' + \
        b"a" * (size - 100) + b'"}]}'
    chunked = len(args) > 2 and args[2] == "chunked"
    if chunked:
        # In 4 KiB chunks, as streaming HTTP clients send them.
        framed = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 4096]), body[i:i + 4096])
                          for i in range(0, len(body), 4096)) + b"0\r\n\r\n"
        request = HEAD_CLOSE.replace(b"Content-Length: %d", b"Transfer-Encoding: chunked") + framed
    else:
        request = HEAD_CLOSE % len(body) + body
    statuses = {}
    t0 = time.time()
    for _ in range(count):
        s = conn()
        try:
            s.sendall(request)
        except Exception:
            pass
        st = status_of(read_answer(s, 10))
        statuses[st] = statuses.get(st, 0) + 1
        s.close()
    print(" ".join("s%d=%d" % kv for kv in sorted(statuses.items())),
          "per_body_ms=%.0f" % ((time.time() - t0) * 1000 / count))
PY
chmod 644 "$T/attack.py"
# Where the attackers write their "ready" files.
RUN=$T/run
mkdir "$RUN" && chmod 1777 "$RUN"
# attack USER MODE ARGS...: run the attacker as ${PFX}USER.
attack() {
	u=$1
	m=$2
	shift 2
	as "$u" "$PY3" "$T/attack.py" "$m" "$SOCK" "$@"
}

# sample_peak FILE STOPFILE: orad's peak RSS (kB) while STOPFILE is absent.
sample_peak() {
	peak=0
	while [ ! -e "$2" ]; do
		r=$(rss_kb)
		[ "${r:-0}" -gt "$peak" ] && peak=$r
		echo "$peak" >"$1"
		sleep 0.05
	done
}

# timed_req USER: a normal request by another user; prints status and time.
timed_req() {
	t0=$(date +%s.%N)
	s=$(as_req "$1" POST /api/v1/chat/completions "$CHAT" --max-time 20)
	t1=$(date +%s.%N)
	echo "$s $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
}

# HOSTILE_SECTIONS=35 runs only attacks 3 and 5 (while working on them).
section() { case "${HOSTILE_SECTIONS:-1234567}" in *$1*) return 0 ;; esac; return 1; }

BASE_RSS=$(rss_kb)
BASE_FDS=$(fds)
echo "# baseline: rss ${BASE_RSS} kB, ${BASE_FDS} descriptors"

if section 1; then
# --- 1. many connections sending large bodies slowly ------------------------
# 40 connections by each of two users, each body one byte short of
# max_body_bytes (4 MiB), then trickled. What unfinished requests hold is
# capped per uid (4 x max_body_bytes) and in total (64 MiB).
rm -f "$RUN/stop1"
sample_peak "$T/peak1" "$RUN/stop1" &
SAMPLER=$!
attack alice large_slow 40 4194304 "$RUN/stop1" >"$T/a1.out" &
A1=$!
attack bob large_slow 40 4194304 "$RUN/stop1" >"$T/b1.out" &
B1=$!
sleep 1.5 # let the bodies arrive; nothing to poll: the attack is the load
r=$(timed_req alice)
echo "# during attack 1: a normal request: $r"
touch "$RUN/stop1"
wait $A1 $B1 $SAMPLER
PEAK1=$(cat "$T/peak1")
echo "# attack 1: alice $(cat "$T/a1.out"), bob $(cat "$T/b1.out"); peak rss ${PEAK1} kB"
check "1: large slow bodies: refused over the per-uid cap (429)" grep -q 's429=' "$T/a1.out"
check "1: peak RSS growth under 64 MiB + 24 MiB" [ $((PEAK1 - BASE_RSS)) -lt $(((64 + 24) * MIB)) ]
if true; then
	back() { [ "$(rss_kb)" -lt $((BASE_RSS + 16 * MIB)) ]; }
	check "1: RSS returns within 16 MiB of baseline after they close" wait_until 25 back
	nothing_pending() {
		curl -sS --max-time 5 --unix-socket "$SOCK" -o "$T/st.json" http://localhost/api/v1/admin/status &&
			[ "$(json "$T/st.json" 'd["pending_request_bytes"]')" -eq 0 ]
	}
	check "1: no bytes are counted as pending once they have all closed" wait_until 30 nothing_pending
	echo "# pending after attack 1: $(json "$T/st.json" 'd["pending_request_bytes"]')"
	echo "# after attack 1: rss $(rss_kb) kB"
fi
fi

if section 2; then
# --- 2. a user with no rule opening connections and trickling ---------------
rm -f "$RUN/ready2" "$RUN/stop2"
attack mallory trickle_conns 200 "$RUN/ready2" "$RUN/stop2" >"$T/m2.out" &
M2=$!
wait_until 20 [ -s "$RUN/ready2" ]
FDS2=$(fds)
echo "# attack 2: mallory holds $(cat "$RUN/ready2") connections; orad has $FDS2 descriptors"
check "2: mallory capped at accept (max_connections_per_uid = 64)" [ "$(cat "$RUN/ready2")" -le 64 ]
# Refused connections linger up to 0.5 s so their clients can read why, at
# most HTTP_MAX_LINGER (64) at once: they count too.
LINGER=64
check "2: descriptors stay under baseline + 64 + 64 lingering + 8" \
	[ "$FDS2" -le $((BASE_FDS + 64 + LINGER + 8)) ]
r=$(timed_req bob)
echo "# during attack 2: bob: $r"
check "2: another user's request succeeds during the attack" [ "${r%% *}" = 200 ]
s=$(curl -sS --max-time 10 --unix-socket "$SOCK" -o "$T/st.json" -w '%{http_code}' \
	http://localhost/api/v1/admin/status)
check "2: the administrator's request succeeds during the attack" [ "$s" = 200 ]
touch "$RUN/stop2"
wait $M2
echo "# attack 2: $(cat "$T/m2.out")"
check "2: the refused were told 429" grep -q 's429=' "$T/m2.out"

# Two users with no rule together fill max_connections: the reserve still
# lets the administrator in.
rm -f "$RUN/ready2" "$RUN/ready2b" "$RUN/stop2"
attack mallory trickle_conns 64 "$RUN/ready2" "$RUN/stop2" >"$T/m2.out" &
M2=$!
attack eve trickle_conns 64 "$RUN/ready2b" "$RUN/stop2" >"$T/e2.out" &
E2=$!
wait_until 20 [ -s "$RUN/ready2" ]
wait_until 20 [ -s "$RUN/ready2b" ]
FDS2=$(fds)
HELD=$(($(cat "$RUN/ready2") + $(cat "$RUN/ready2b")))
echo "# attack 2b: mallory and eve hold $HELD connections; orad has $FDS2 descriptors"
check "2b: together they are capped at max_connections ($MAXCONN)" [ "$HELD" -le $MAXCONN ]
check "2b: descriptors stay under baseline + max_connections + 64 lingering + 8" \
	[ "$FDS2" -le $((BASE_FDS + MAXCONN + LINGER + 8)) ]
s=$(curl -sS --max-time 10 --unix-socket "$SOCK" -o "$T/st.json" -w '%{http_code}' \
	http://localhost/api/v1/admin/status)
check "2b: the administrator still gets in (the reserve above max_connections)" [ "$s" = 200 ]
touch "$RUN/stop2"
wait $M2 $E2
echo "# attack 2b: mallory $(cat "$T/m2.out"); eve $(cat "$T/e2.out")"
check "2b: the refused were told 503" grep -q 's503=' "$T/m2.out" "$T/e2.out"
fi

if section 3; then
# --- 3. slowloris: head and body trickled ------------------------------------
# One byte every 0.5 s would keep an inactivity timeout from ever firing;
# the deadlines are absolute (header_timeout = body_timeout = 3 here).
out=$(attack alice slowloris head)
echo "# attack 3 (head): $out"
check "3: a trickled head is cut with 408" [ "${out%% *}" = status=408 ]
e=$(echo "$out" | sed 's/.*elapsed=//')
check "3:   ... within 10 s (deadline 3 s)" awk -v e="$e" 'BEGIN { exit !(e < 10) }'
out=$(attack alice slowloris body)
echo "# attack 3 (body): $out"
check "3: a trickled body is cut with 408" [ "${out%% *}" = status=408 ]
e=$(echo "$out" | sed 's/.*elapsed=//')
check "3:   ... within 10 s (deadline 3 s)" awk -v e="$e" 'BEGIN { exit !(e < 10) }'
fi

if section 4; then
# --- 4. an oversized Content-Length is refused before the body is sent ------
R0=$(awk '/^rchar/ { print $2 }' "/proc/$ORAD_PID/io")
out=$(attack alice oversized 104857600)
R1=$(awk '/^rchar/ { print $2 }' "/proc/$ORAD_PID/io")
echo "# attack 4: $out; orad read $((R1 - R0)) bytes meanwhile"
check "4: a 100 MiB Content-Length is answered 413 before any body byte" [ "${out%% *}" = status=413 ]
check "4: orad read less than 1 MiB of it" [ $((R1 - R0)) -lt 1048576 ]
fi

if section 5; then
# --- 5. streams nobody reads -------------------------------------------------
# 20 streams of a 2 MiB answer each (512 events of 4 KiB), never read:
# without back-pressure orad would hold all 40 MiB.
"$PY3" -c '
import json
word = "y" * 4095 + " "
print(json.dumps({"times": 20, "content": word * 512}))' >"$T/fault.json"
curl -sS -X POST -H 'Content-Type: application/json' --data-binary @"$T/fault.json" \
	"$MOCK_URL/mock/faults" >/dev/null
BASE5=$(rss_kb)
rm -f "$RUN/ready5" "$RUN/stop5" "$RUN/stop5s"
sample_peak "$T/peak5" "$RUN/stop5s" &
SAMPLER=$!
attack alice unread_streams 20 "$RUN/ready5" "$RUN/stop5" >"$T/a5.out" &
A5=$!
wait_until 20 [ -s "$RUN/ready5" ]
streams_running() {
	curl -sS --max-time 5 --unix-socket "$SOCK" -o "$T/st.json" http://localhost/api/v1/admin/status &&
		[ "$(json "$T/st.json" 'd["in_flight"]')" -ge 20 ]
}
check "5: the 20 streams are being served" wait_until 20 streams_running
echo "# $(date +%T) streams running"
sleep 2 # the streams push against the paused transfers meanwhile
r=$(timed_req bob)
echo "# during attack 5: bob: $r"
check "5: another user's request succeeds meanwhile" [ "${r%% *}" = 200 ]
touch "$RUN/stop5s"
wait $SAMPLER
PEAK5=$(cat "$T/peak5")
echo "# attack 5: rss before ${BASE5} kB, peak ${PEAK5} kB (+$(((PEAK5 - BASE5) / MIB)) MiB)"
check "5: orad's RSS grows by less than 32 MiB" [ $((PEAK5 - BASE5)) -lt $((32 * MIB)) ]
touch "$RUN/stop5"
wait $A5
echo "# $(date +%T) streams closed"
curl -sS -X DELETE "$MOCK_URL/mock/faults" >/dev/null
fi

if section 6; then
# --- 6. refused 4 MB bodies while another user is served ---------------------
attack mallory refused_bodies 10 "${HOSTILE_BODY:-4000000}" >"$T/m6.out" &
M6=$!
attack alice refused_bodies 10 "${HOSTILE_BODY:-4000000}" >"$T/a6.out" &
A6=$!
attack alice refused_bodies 10 "${HOSTILE_BODY:-4000000}" chunked >"$T/c6.out" &
C6=$!
r=$(timed_req bob)
wait $M6 $A6 $C6
echo "# attack 6: mallory (no rule) $(cat "$T/m6.out"); alice (model refused) $(cat "$T/a6.out");" \
	"alice, chunked $(cat "$T/c6.out"); bob: $r"
check "6: bob's request succeeds while 4 MB bodies are refused" [ "${r%% *}" = 200 ]
check "6: mallory's bodies refused 403" grep -q 's403=10' "$T/m6.out"
check "6: alice's bodies refused 403 (model)" grep -q 's403=10' "$T/a6.out"
check "6: alice's chunked bodies refused 403 (model)" grep -q 's403=10' "$T/c6.out"
mock_get /mock/stats "$T/stats.json"
fi

# --- 7. ordinary and ambiguous framing over the socket -----------------------
if section 7; then
out=$(attack bob protocol)
echo "# protocol: $out"
check "7: two pipelined requests on one connection are both answered" \
	[ "$(echo "$out" | sed 's/.*pipelined=\([0-9]*\).*/\1/')" = 2 ]
check "7: an HTTP/1.0 request is answered" [ "$(echo "$out" | sed 's/.*http10=\([0-9]*\).*/\1/')" = 200 ]
check "7: Content-Length with Transfer-Encoding is refused 400 (JSON)" \
	[ "$(echo "$out" | sed 's/.*cl_te=\([0-9a-z_]*\).*/\1/')" = 400_json ]
check "7: Expect: 100-continue gets 100, then the answer" \
	[ "$(echo "$out" | sed 's/.*continue=\([0-9,]*\).*/\1/')" = 100,200 ]
fi

[ -n "${HOSTILE_KEEP_LOG:-}" ] && cp "$T/orad.log" "$HOSTILE_KEEP_LOG"
check "orad still answers after everything" [ "$(as_req bob GET /api/v1/me)" = 200 ]
finish
