#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# vs_nginx.sh: orad's own cost against a fast upstream, beside nginx as a
# plain reverse proxy in the same run (issue 17). Run by `make bench` after
# run.sh. Not a test: a missed target is reported, never a failure; without
# nginx it prints "SKIP: reason" and exits 0.
#
# The mock upstream serves about 22k requests/s here, so along the mock
# paths of run.sh it is half the cost of every request and orad looks close
# to direct. Here the upstream is nginx (nginx-upstream.conf.in) answering
# the mock's own answer and catalog, captured from a mock at start-up, with
# a fresh generation id per answer. Three paths, taking turns:
#   direct  ora-load -> the fast upstream over TCP: the baseline;
#   nginx   ora-load -> nginx's Unix socket -> the fast upstream
#           (nginx-proxy.conf.in, one worker): the reference;
#   orad    ora-load -> orad's Unix socket -> the fast upstream, with a
#           group rule, a role budget per user and a global budget, the
#           ledger on, as deployed.
# Every row prints orad beside nginx and the ratio. CPU is the scheduler's
# count for every thread (nginx: master and workers) read around each run and divided by the answers of that run (warm-up runs are
# separate and unmeasured). Finally the ledger is checked against what was
# sent: one settled row per answer, and the total exactly the answers times
# the canned cost, and orad's RSS at the three moments is shown by part
# (rss_parts below).
#
#   top_builddir=BUILD [top_srcdir=SRC] sh tests/bench/vs_nginx.sh
#
# Knobs (environment), with their defaults: BENCH_CONCURRENCY=32,
# BENCH_THROUGHPUT_S=6, BENCH_RATE=1000, BENCH_LATENCY_S=10,
# BENCH_LOW_RATE=200, BENCH_LOW_S=10, BENCH_QUIET_S=60,
# BENCH_NGINX=nginx (the binary), BENCH_NGINX_WORKERS=auto (the upstream's
# workers), BENCH_SHORT=1 (a smoke run of about 30 s: short windows, 3 s
# of quiet). BENCH_COUNTS=1: instead of the table, counts per request
# (syscalls of orad and nginx; at BENCH_LOW_RATE orad's wake-ups and
# calls, and one stretch of them in order, by perf trace; orad's
# instructions in the closed loop, at BENCH_COUNTS_VG_LOW_RATE and at
# BENCH_LOW_RATE, and its allocations; see below), with BENCH_COUNTS_S=3
# (strace, perf trace), BENCH_COUNTS_VG_S=10 (valgrind),
# BENCH_COUNTS_VG_LOW_RATE=20, BENCH_COUNTS_TOOLS="strace callgrind dhat",
# BENCH_COUNTS_KEEP=DIR (keep valgrind's output files there).
# BENCH_TIMELINE=DIR: keep each open-loop round's timeline there
# (lat-PATH-ROUND.timeline: ora-load --timeline, each request's due time
# and latency in microseconds), to see when the slow ones came.
set -u

top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_builddir top_srcdir

CONCURRENCY=${BENCH_CONCURRENCY:-32}
THROUGHPUT_S=${BENCH_THROUGHPUT_S:-6}
RATE=${BENCH_RATE:-1000}
LATENCY_S=${BENCH_LATENCY_S:-10}
LOW_RATE=${BENCH_LOW_RATE:-200}
LOW_S=${BENCH_LOW_S:-10}
QUIET_S=${BENCH_QUIET_S:-60}
NGINX_WORKERS=${BENCH_NGINX_WORKERS:-auto}
if [ "${BENCH_SHORT:-0}" = 1 ]; then
	THROUGHPUT_S=2 LATENCY_S=2 LOW_S=2 QUIET_S=3
fi
TP_ROUNDS=2
LAT_ROUNDS=3
TP_ROUND_S=$(awk -v t="$THROUGHPUT_S" -v r=$TP_ROUNDS 'BEGIN { print t / r }')
LAT_ROUND_S=$(awk -v t="$LATENCY_S" -v r=$LAT_ROUNDS 'BEGIN { print t / r }')
WARMUP_S=0.5
PATHS="direct nginx orad"

# Issue 17's targets, as multiples of nginx's figures in the same run.
TARGET_CPU_X=2
TARGET_TP_DIRECT=0.35
TARGET_P50_X=2
TARGET_P99_X=3
TARGET_LOW_CPU_X=1.5 # orad at LOW_RATE, as a multiple of orad at saturation
TARGET_RSS_GROWTH_KB=8192

NGINX=${BENCH_NGINX:-nginx}
if ! command -v "$NGINX" >/dev/null 2>&1; then
	if [ -x /usr/sbin/nginx ]; then
		NGINX=/usr/sbin/nginx
	else
		echo "SKIP: vs_nginx: nginx is not installed (apt-get install nginx-light)"
		exit 0
	fi
fi
LOAD=$top_builddir/tests/bench/ora-load
for b in "$top_builddir/orad" "$top_builddir/oractl" "$top_builddir/tests/mock/ora-mock" \
	"$LOAD"; do
	if [ ! -x "$b" ]; then
		echo "bench: $b is not built; run 'make bench' in $top_builddir" >&2
		exit 1
	fi
done

. "$top_srcdir/tests/integration/lib.sh"

die() {
	echo "bench: $*" >&2
	FAILED=1 # lib.sh's cleanup then shows the logs
	exit 1
}

NG=$T/nginx
mkdir -p "$NG/tmp"
chmod 755 "$NG"

# ---- the fast upstream -----------------------------------------------------

# The mock's answer to ora-load's default request, and its catalog.
start_mock
curl -sS -H "Authorization: Bearer $KEY_DEV" -H 'Content-Type: application/json' \
	-d '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Say hello to the benchmark"}]}' \
	-o "$NG/chat.json" "$MOCK_URL/api/v1/chat/completions" || die "the mock did not answer"
mock_get /api/v1/models "$NG/models.json" || die "the mock gave no catalog"
kill "$MOCK_PID" 2>/dev/null
wait "$MOCK_PID" 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $MOCK_PID//")
COST_PICO=$("$PY3" - "$NG/chat.json" <<'PY'
import decimal, json, sys
d = json.load(open(sys.argv[1]), parse_float=decimal.Decimal)
print(int(d["usage"]["cost"] * 10**12))
PY
) || die "cannot read the canned answer's cost"

# free_port: a loopback port nobody listens on now.
free_port() {
	"$PY3" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
UP_PORT=$(free_port)
# fill TEMPLATE OUT: the template with the set-up's values.
fill() {
	"$PY3" - "$1" "$2" "$NG" "$UP_PORT" "$NGINX_WORKERS" "$NG/chat.json" <<'PY'
import json, re, sys
src, out, d, port, workers, chat = sys.argv[1:]
body = json.load(open(chat))
body["id"] = "gen-nginx-$request_id"
text = json.dumps(body, separators=(",", ":"))
if "'" in text or "\\" in text or text.count("$") != 1:
    sys.exit("the canned answer cannot go into nginx's return")
t = open(src).read()
for k, v in (("@DIR@", d), ("@PORT@", port), ("@WORKERS@", workers), ("@CHAT@", text)):
    t = t.replace(k, v)
open(out, "w").write(t)
PY
}
fill "$top_srcdir/tests/bench/nginx-upstream.conf.in" "$NG/upstream.conf" ||
	die "cannot write the upstream's configuration"
fill "$top_srcdir/tests/bench/nginx-proxy.conf.in" "$NG/proxy.conf" ||
	die "cannot write the proxy's configuration"
# start_nginx NAME: nginx in the foreground (its master is our child), up
# once it answers. Sets NAME_PID.
start_nginx() {
	"$NGINX" -p "$NG" -e "$NG/$1.err" -c "$NG/$1.conf" -g 'daemon off;' 2>>"$NG/$1.err" &
	eval "$1_PID=$!"
	PIDS="$PIDS $!"
}
start_nginx upstream
UP_URL=http://127.0.0.1:$UP_PORT
wait_until 10 curl -sf -o /dev/null "$UP_URL/api/v1/models" ||
	die "nginx did not start: $(tail -n 3 "$NG/upstream.err")"
start_nginx proxy
wait_until 10 curl -sf -o /dev/null --unix-socket "$NG/proxy.sock" \
	http://localhost/api/v1/models || die "the nginx proxy did not start: $(tail -n 3 "$NG/proxy.err")"

# ---- orad, its upstream the fast one ---------------------------------------

make_daemon_user
if is_root; then
	BENCH_GROUP=root
else
	BENCH_GROUP=$(id -gn)
fi
daemon_user=""
is_root && daemon_user="user = \"${PFX}d\";"
cat >"$CONF" <<CONF
contact = "ora-bench";
daemon = {
  socket = "$SOCK";
  socket_mode = "0666";
  state_dir = "$STATE";
  master_key = "$T/master.key";
  $daemon_user
  log_level = "info";
  request_timeout = 120;
  max_connections_per_uid = 4096;
};
upstream = {
  base_url = "$UP_URL/api/v1";
  connect_timeout = 2;
  title = "ora bench";
};
roles = {
  bench = {
    models = [ "openai/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 0;
    requests_per_minute = 0;
    concurrent_requests = 0;
    budget = { usd = 1000000.0; period = "monthly"; };
  };
};
cost_centres = { dev = { key = "dev"; }; };
rules = ( { group = "$BENCH_GROUP"; role = "bench"; cost_centre = "dev"; } );
budgets = { global = { usd = 5000000.0; period = "monthly"; }; };
CONF
seal_keys || die "cannot seal the upstream keys"
# Requests are refused until orad has the upstream's catalog.
models_ready() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
		http://localhost/api/v1/models)" = 200 ]
}
start_orad
wait_until 10 models_ready || die "orad did not get the catalog"
echo "bench: fast upstream nginx $("$NGINX" -v 2>&1 | sed 's|.*/||') on $UP_URL ($NGINX_WORKERS" \
	"workers), nginx proxy pid $proxy_PID, orad pid $ORAD_PID; $(nproc) cores; load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- measuring ---------------------------------------------------------------

# pids_of PATH: the processes whose CPU and memory count for PATH.
pids_of() {
	case $1 in
	nginx) echo "$proxy_PID $(ps -o pid= --ppid "$proxy_PID")" ;;
	orad) echo "$ORAD_PID" ;;
	direct) echo "$upstream_PID $(ps -o pid= --ppid "$upstream_PID")" ;;
	esac
}
# cpu_ns PATH: nanoseconds on a CPU so far, every thread (the scheduler's
# count, /proc/PID/task/TID/schedstat: precise where /proc/PID/stat counts
# 10 ms ticks, which at 200 requests/s would need minutes).
cpu_ns() {
	for p in $(pids_of "$1"); do
		cat "/proc/$p/task"/*/schedstat
	done | awk '{ t += $1 } END { printf "%.0f\n", t }'
}
# rss_kb PATH: resident memory, summed over the processes.
rss_kb() {
	for p in $(pids_of "$1"); do
		awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status"
	done | awk '{ t += $1 } END { print t + 0 }'
}
# rss_parts: where orad's resident memory is, in kB: the malloc heap
# ([heap]: the main thread's arena, SQLite's page cache among it), other
# anonymous memory (the threads' arenas and stacks, what libraries map for
# themselves), the ledger's mappings (its database, WAL index and intent
# log), and orad's binary and its libraries (code, and their data once
# written).
rss_parts() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { n = NF >= 6 ? $6 : ""; next }
		$1 == "Rss:" {
			if (n == "[heap]") h += $2
			else if (n == "" || n ~ /^\[/) a += $2
			else if (n ~ /\/ledger\.db/) l += $2
			else f += $2
		}
		END { printf "heap %d, other anonymous %d, ledger files %d, binary and libraries %d\n", h, a, l, f }' \
		"/proc/$ORAD_PID/smaps"
}
ORAD_ANSWERED=0
# run PATH NAME ARGS...: one ora-load run along PATH; its line in
# $T/NAME.out, the CPU nanoseconds it cost PATH in $T/NAME.cpu.
run() {
	path=$1
	name=$2
	shift 2
	case $path in
	direct) set -- --url "$UP_URL/api/v1/chat/completions" "$@" ;;
	nginx) set -- --url http://localhost/api/v1/chat/completions --unix-socket "$NG/proxy.sock" "$@" ;;
	orad) set -- --url http://localhost/api/v1/chat/completions --unix-socket "$SOCK" "$@" ;;
	esac
	before=$(cpu_ns "$path")
	if ! "$LOAD" "$@" >"$T/$name.out" 2>"$T/$name.err"; then
		cat "$T/$name.err" >&2
		die "ora-load failed in run '$name'"
	fi
	echo $(($(cpu_ns "$path") - before)) >"$T/$name.cpu"
	[ -s "$T/$name.err" ] && sed "s/^/bench: $name: /" "$T/$name.err" >&2
	if [ "$path" = orad ]; then
		ORAD_ANSWERED=$((ORAD_ANSWERED + $(field answered "$T/$name.out")))
	fi
	return 0
}
# field KEY FILE: a value from an ora-load line.
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$2"; }
# pooled KIND PATH: "requests errors rps answered cpu_us_per_answer" over
# KIND's rounds along PATH.
pooled() {
	for f in "$T/$1-$2"-[0-9]*.out; do
		echo "$(cat "$f") cpu=$(cat "${f%.out}.cpu")"
	done | awk '{
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			f[kv[1]] = kv[2]
		}
		n += f["requests"]
		e += f["errors"]
		a += f["answered"]
		c += f["cpu"]
		if (f["rps"] > 0)
			s += f["requests"] / f["rps"]
	} END { printf "%d %d %.0f %d %.1f\n", n, e, (s > 0 ? n / s : 0), a,
		(a > 0 ? c / 1e3 / a : 0) }'
}
# percentiles FILE: "p50 p99" of the pooled samples, nearest rank.
percentiles() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		split("50 99", p, " ")
		for (i = 1; i <= 2; i++) {
			r = int(p[i] / 100 * NR + 0.999999)
			printf "%s%d", (i > 1 ? " " : ""), (NR > 0 && r > 0 ? v[r] : 0)
		}
		print ""
	}'
}
# ratio A B: A / B to two places, or - when B is not positive.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# verdict KIND VALUE LIMIT: MET, or MISSED. KIND "max": VALUE must not
# exceed LIMIT; "min": VALUE must reach LIMIT.
verdict() {
	awk -v kind="$1" -v v="$2" -v lim="$3" 'BEGIN {
		if (v == "-")
			print "-"
		else if ((kind == "max" && v + 0 <= lim + 0) || (kind == "min" && v + 0 >= lim + 0))
			print "MET"
		else
			print "MISSED"
	}'
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
row() { printf '%-34s %9s %9s %9s %11s  %-16s %s\n' "$@"; }

# ---- BENCH_COUNTS=1: counts per request instead of timings ----------------
#
# Counts that a shared machine does not disturb: system calls per request
# (strace -c -f attached to orad and to nginx's worker over one closed-loop
# run), and for orad, instructions per request and where they go
# (callgrind) and heap allocations per request (dhat), each the
# difference between a short run and a long one. Valgrind runs orad without the sandbox (seccomp would refuse
# valgrind's own calls); the sandbox adds no call of its own.
COUNTS_S=${BENCH_COUNTS_S:-3}
COUNTS_VG_S=${BENCH_COUNTS_VG_S:-10}
COUNTS_VG_LOW_RATE=${BENCH_COUNTS_VG_LOW_RATE:-20}
COUNTS_TOOLS=${BENCH_COUNTS_TOOLS:-strace callgrind dhat}
# strace_per_request PATH PID [LOAD ARGS]: the syscalls PID made per answer
# along PATH, by default with CONCURRENCY in flight.
strace_per_request() {
	path=$1
	pid=$2
	shift 2
	[ $# -gt 0 ] || set -- --concurrency "$CONCURRENCY"
	strace -c -f -q -p "$pid" -o "$T/strace-$path.txt" 2>/dev/null &
	st=$!
	sleep 0.5
	run "$path" "strace-$path" "$@" --duration "$COUNTS_S" --warmup 0
	kill -INT $st
	wait $st 2>/dev/null
	n=$(field answered "$T/strace-$path.out")
	echo
	echo "$path: system calls per request, strace -c -f over $n answers ($*):"
	awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" {
		name = $NF; calls = $4
		if (n > 0 && calls / n >= 0.01) printf "  %-18s %7.2f\n", name, calls / n
	} $NF == "total" { printf "  %-18s %7.2f\n", "total", $4 / n }' "$T/strace-$path.txt"
}
# wakeups_per_request: at LOW_RATE, per answer: orad's wake-ups (its
# voluntary context switches: each is a blocking epoll_wait that slept),
# the loop's turns (epoll_wait calls, of which those that found nothing),
# each call by kind, and the calls of a few requests in order. By `perf
# trace` (kernel tracepoints: a fraction of strace's cost, which at this
# rate would batch requests that otherwise come one at a time); strace -f
# where perf is missing.
wakeups_per_request() {
	tracer="perf trace -p $ORAD_PID -o $T/trace-low.txt"
	command -v perf >/dev/null 2>&1 && perf trace -o /dev/null -- true >/dev/null 2>&1 ||
		tracer="strace -f -q -p $ORAD_PID -o $T/trace-low.txt"
	csw0=$(awk '$1 == "voluntary_ctxt_switches:" { print $2 }' "/proc/$ORAD_PID/status")
	$tracer 2>/dev/null &
	st=$!
	sleep 0.5
	run orad trace-low --rate "$LOW_RATE" --duration "$COUNTS_S" --warmup 0
	kill -INT $st
	wait $st 2>/dev/null
	csw1=$(awk '$1 == "voluntary_ctxt_switches:" { print $2 }' "/proc/$ORAD_PID/status")
	n=$(field answered "$T/trace-low.out")
	echo
	echo "orad at $LOW_RATE requests/s over $n answers (${tracer%% *}), per answer:"
	awk -v n="$n" -v csw=$((csw1 - csw0)) '
		# perf: "T ( D ms): orad/PID call(args) = R"; strace: "PID call(args) = R"
		{ line = $0; sub(/^ *[0-9.]+ \( *[0-9.]* ms\): [^ ]+ /, "", line); sub(/^[0-9]+ +/, "", line) }
		line !~ /^[a-z_0-9]+\(/ { next }
		{ c = line; sub(/\(.*/, "", c); k[c]++ }
		# (perf leaves out arguments that are 0)
		c == "epoll_wait" && line ~ /maxevents: [0-9]+\) +=|, 0\) +=/ { now++ }
		c == "epoll_wait" && line ~ /= 0$/ { none++ }
		END {
			printf "  %-24s %7.2f\n", "wake-ups (slept)", csw / n
			printf "  %-24s %7.2f\n", "epoll_wait, all", k["epoll_wait"] / n
			printf "  %-24s %7.2f\n", "  of them with timeout 0", now / n
			printf "  %-24s %7.2f\n", "  of them found nothing", none / n
			for (c in k) { t += k[c]; if (k[c] / n >= 0.01) printf "  %-24s %7.2f\n", c, k[c] / n }
			printf "  %-24s %7.2f\n", "total", t / n
		}' "$T/trace-low.txt"
	echo "  calls in order, one stretch from the middle of the trace:"
	lines=$(wc -l <"$T/trace-low.txt")
	sed -n "$((lines / 2)),$((lines / 2 + 60))p" "$T/trace-low.txt" | cut -c1-160 | sed 's/^/    /'
}
# restart_orad WRAP: orad again, without the sandbox, under WRAP, with an
# empty ledger: each run then starts alike (a budget's first look sums the
# ledger's rows, and would otherwise cost more in each run than in the last).
restart_orad() {
	kill -TERM "$ORAD_PID" 2>/dev/null
	wait "$ORAD_PID" 2>/dev/null
	PIDS=$(echo "$PIDS" | sed "s/ $ORAD_PID//")
	rm -f "$STATE"/ledger.db "$STATE"/ledger.db-*
	grep -q 'sandbox = false' "$CONF" || sed -i 's|^daemon = {|daemon = {\n  sandbox = false;|' "$CONF"
	ORAD_WRAP=$1
	start_orad
	wait_until 60 models_ready || die "orad did not get the catalog"
}
counts() {
	for path in nginx orad; do
		run $path "warm-$path" --concurrency 4 --duration 0.5 --warmup 0
	done
	case $COUNTS_TOOLS in
	*strace*)
		strace_per_request nginx "$(ps -o pid= --ppid "$proxy_PID" | head -n 1 | tr -d ' ')"
		strace_per_request orad "$ORAD_PID"
		# At LOW_RATE: the commits (pwrite64) of each quiet moment.
		# strace slows orad down, so more connections are opened
		# than without it.
		strace_per_request orad "$ORAD_PID" --rate "$LOW_RATE"
		wakeups_per_request
		;;
	esac
	case $COUNTS_TOOLS in *callgrind* | *dhat*) ;; *) return 0 ;; esac
	command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind is not installed"; return 0; }
	vg=$T/vg
	mkdir -p "$vg"
	chmod 777 "$vg"
	# Each tool twice: a short run and a long one; per request is the
	# difference over the difference in answers, so that start-up and
	# shutdown cancel out. (orad is not dumpable, so callgrind_control
	# cannot switch instrumentation on and off from outside.)
	for tool in $COUNTS_TOOLS; do
		[ $tool = strace ] && continue
		for k in a b c d; do
			[ $tool = dhat ] && { [ $k = c ] || [ $k = d ]; } && continue
			# Made here, writable by all: valgrind opens them again
			# once orad has dropped its privileges.
			out=$vg/cg-$k.out
			[ $tool = dhat ] && out=$vg/dhat-$k.json
			: >"$out"
			chmod 666 "$out"
			if [ $tool = callgrind ]; then
				restart_orad "valgrind --vgdb=no --tool=callgrind --callgrind-out-file=$vg/cg-$k.out"
			else
				restart_orad "valgrind --vgdb=no --tool=dhat --dhat-out-file=$vg/dhat-$k.json"
			fi
			case $k in
			a) run orad "$tool-$k" --concurrency 4 --duration 1 --warmup 0 ;;
			b) run orad "$tool-$k" --concurrency "$CONCURRENCY" --duration "$COUNTS_VG_S" --warmup 0 ;;
			# At a low rate, where orad is idle between requests
			# even under valgrind: what the quiet moments cost.
			c) run orad "$tool-$k" --rate "$COUNTS_VG_LOW_RATE" --duration "$COUNTS_VG_S" --warmup 0 ;;
			# At LOW_RATE, which valgrind's slowness may batch.
			d) run orad "$tool-$k" --rate "$LOW_RATE" --duration "$COUNTS_VG_S" --warmup 0 ;;
			esac
			: >"$T/orad.log"
			kill -TERM "$ORAD_PID"
			wait "$ORAD_PID" 2>/dev/null
			PIDS=$(echo "$PIDS" | sed "s/ $ORAD_PID//")
			[ $tool = dhat ] && grep -h 'Total:' "$T/orad.log" | tail -n 1 | tr -d , >"$vg/dhat-$k.total"
		done
		eval "n_$tool=\$((\$(field answered \"\$T/$tool-b.out\") - \$(field answered \"\$T/$tool-a.out\")))"
	done
	echo
	# Instructions of run k: startup and shutdown S, plus n_k requests.
	# Closed loop: (I_b - I_a) / (n_b - n_a). At a low rate, what run a's
	# requests cost at that price is taken out of I_a, leaving S:
	# (I_k - (I_a - n_a x_closed)) / n_k. (Over n_k - n_a, the cheap first
	# requests of run a would inflate the figure whenever n_a is not small.)
	for k in a b c d; do
		echo "$(field answered "$T/callgrind-$k.out") $(callgrind_annotate --auto=no "$vg/cg-$k.out" 2>/dev/null |
			awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')"
	done >"$vg/cg-totals"
	cp "$T"/callgrind-?.out "$vg/" 2>/dev/null
	awk -v low="$COUNTS_VG_LOW_RATE" -v mid="$LOW_RATE" '
		{ n[NR] = $1; t[NR] = $2 }
		END {
			x = (t[2] - t[1]) / (n[2] - n[1]); s = t[1] - n[1] * x
			printf "orad: instructions per request, callgrind, closed loop: %.0f (%d answers more)\n", x, n[2] - n[1]
			printf "orad: the same at %s requests/s: %.0f (%d answers)\n", low, (t[3] - s) / n[3], n[3]
			printf "orad: the same at %s requests/s: %.0f (%d answers)\n", mid, (t[4] - s) / n[4], n[4]
		}' "$vg/cg-totals"
	for mode in yes no; do
		[ $mode = yes ] && echo "inclusive (a function and what it calls), per request, the 40 largest:"
		[ $mode = no ] && echo "exclusive (in the function itself), per request, the 30 largest:"
		for k in a b; do
			callgrind_annotate --inclusive=$mode --auto=no --threshold=100 "$vg/cg-$k.out" \
				2>/dev/null >"$vg/cg-$k-$mode.txt"
		done
		awk -v n="$n_callgrind" '
			/^ *[0-9,]+ .*:/ && !/=>/ {
				v = $1; gsub(",", "", v); f = $0; sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", f)
				sub(/ \[[^]]*\]$/, "", f); sub(/^.*\.\.\/src\//, "src/", f)
				if (FILENAME ~ /cg-a/) a[f] = v; else b[f] = v
			}
			END { for (f in b) printf "%.0f\t%s\n", (b[f] - a[f]) / n, f }' \
			"$vg/cg-a-$mode.txt" "$vg/cg-b-$mode.txt" | sort -rn |
			head -n $([ $mode = yes ] && echo 40 || echo 30) |
			awk -F '\t' '{ printf "  %9d  %s\n", $1, $2 }'
	done
	case $COUNTS_TOOLS in *dhat*) ;; *) return 0 ;; esac
	echo
	echo "orad: heap allocations per request, dhat, the difference of two runs over" \
		"$n_dhat answers more:"
	paste "$vg/dhat-a.total" "$vg/dhat-b.total" | awk -v n="$n_dhat" '{
		# "==PID== Total: B bytes in K blocks" twice
		for (i = 1; i <= NF; i++) if ($i == "Total:") { bb[++m] = $(i + 1); kk[m] = $(i + 4) }
		printf "  %.1f blocks, %.0f bytes\n", (kk[2] - kk[1]) / n, (bb[2] - bb[1]) / n }'
	echo "the allocation sites with the most blocks per request, by the innermost frame in orad:"
	nm "$top_builddir/orad" | awk '$2 ~ /^[tT]$/ { print $3 }' | grep -v '^ora_x' >"$vg/ours"
	"$PY3" - "$vg/dhat-a.json" "$vg/dhat-b.json" "$n_dhat" "$vg/ours" <<'PY'
import collections, json, re, sys
mine = set(open(sys.argv[4]).read().split())
def sites(path):
    d = json.load(open(path))
    ftbl = d["ftbl"]
    out = collections.defaultdict(lambda: [0, 0])
    for pp in d["pps"]:
        frames = [ftbl[i] for i in pp["fs"]]
        # The innermost frame in orad's own code (not its x-allocators).
        ours = [f for f in frames
                if re.sub(r"^0x[0-9A-Fa-f]+: ", "", f).split(" ")[0].split(".")[0] in mine]
        key = re.sub(r"^0x[0-9A-F]+: ", "", ours[0] if ours else frames[-1])
        key = re.sub(r"\(in [^)]*\)", "", re.sub(r"\([^()]*\.\./src/", "(src/", key))
        out[key][0] += pp["tbk"]
        out[key][1] += pp["tb"]
    return out
a, b, n = sites(sys.argv[1]), sites(sys.argv[2]), int(sys.argv[3])
rows = [(k, (b[k][0] - a.get(k, [0, 0])[0]) / n, (b[k][1] - a.get(k, [0, 0])[1]) / n) for k in b]
print("  blocks   bytes")
for k, blocks, size in sorted(rows, key=lambda r: -r[1])[:20]:
    print("  %6.1f %7.0f  %s" % (blocks, size, k))
PY
}
if [ "${BENCH_COUNTS:-0}" = 1 ]; then
	command -v strace >/dev/null 2>&1 || { echo "SKIP: vs_nginx counts: strace is not installed"; exit 0; }
	counts
	[ -n "${BENCH_COUNTS_KEEP:-}" ] && [ -d "$T/vg" ] && mkdir -p "$BENCH_COUNTS_KEEP" && cp -r "$T/vg" "$BENCH_COUNTS_KEEP"
	[ -n "${BENCH_COUNTS_KEEP:-}" ] && mkdir -p "$BENCH_COUNTS_KEEP" && cp "$T"/strace-*.txt "$T"/trace-*.txt "$T"/orad.log "$BENCH_COUNTS_KEEP"
	stop_all
	exit 0
fi

# Warm every path (connections, the catalog, caches); unmeasured.
for path in $PATHS; do
	run $path "warm-$path" --concurrency 4 --duration 0.5 --warmup 0
done
sleep 1
IDLE_orad=$(rss_kb orad)
IDLE_nginx=$(rss_kb nginx)
PARTS_idle=$(rss_parts)

# Closed loop: the paths take turns, so that whatever else the machine
# does falls on all alike. No warm-up inside a measured run: its CPU is
# divided by every answer it got.
round=1
while [ $round -le $TP_ROUNDS ]; do
	for path in $PATHS; do
		run $path "tp-$path-$round" --concurrency "$CONCURRENCY" \
			--duration "$TP_ROUND_S" --warmup 0
	done
	round=$((round + 1))
done
BUSY_orad=$(rss_kb orad)
BUSY_nginx=$(rss_kb nginx)
PARTS_busy=$(rss_parts)

# Open loop at RATE: latency, pooled over the rounds.
[ -n "${BENCH_TIMELINE:-}" ] && mkdir -p "$BENCH_TIMELINE"
round=1
while [ $round -le $LAT_ROUNDS ]; do
	for path in $PATHS; do
		run $path "lat-$path-$round" --rate "$RATE" --duration "$LAT_ROUND_S" \
			--warmup "$WARMUP_S" --samples "$T/lat-$path-$round.samples" \
			${BENCH_TIMELINE:+--timeline "$BENCH_TIMELINE/lat-$path-$round.timeline"}
		cat "$T/lat-$path-$round.samples" >>"$T/lat-$path.samples"
	done
	round=$((round + 1))
done

# Open loop at LOW_RATE: what each quiet moment costs.
for path in $PATHS; do
	run $path "low-$path-1" --rate "$LOW_RATE" --duration "$LOW_S" --warmup 0
done

kill -0 "$ORAD_PID" 2>/dev/null || die "orad died during the benchmark"
sleep "$QUIET_S"
QUIET_orad=$(rss_kb orad)
QUIET_nginx=$(rss_kb nginx)
PARTS_quiet=$(rss_parts)

# The ledger against what was sent: one settled row per answer, the total
# exactly the answers times the canned cost.
ledger_flushed
set -- $(ledger_sql "SELECT COUNT(*), COALESCE(SUM(cost_pico), 0),
	SUM(state <> 'settled') FROM requests" | tr '|' ' ')
LEDGER_ROWS=$1 LEDGER_PICO=$2 LEDGER_UNSETTLED=${3:-0}
WANT_PICO=$((ORAD_ANSWERED * COST_PICO))

# ---- the table ---------------------------------------------------------------

for path in $PATHS; do
	for kind in tp lat low; do
		set -- $(pooled $kind $path)
		eval "${kind}_n_$path=$1 ${kind}_err_$path=$2 ${kind}_rps_$path=$3 ${kind}_cpu_$path=$5"
	done
	set -- $(percentiles "$T/lat-$path.samples")
	eval "p50_$path=$1 p99_$path=$2"
done
for path in nginx orad; do
	eval "div_$path=\$(ratio \$tp_rps_$path \$tp_rps_direct)"
	eval "add50_$path=\$((p50_$path - p50_direct)) add99_$path=\$((p99_$path - p99_direct))"
done
cpu_x=$(ratio "$tp_cpu_orad" "$tp_cpu_nginx")
p50_x=$(ratio "$add50_orad" "$add50_nginx")
p99_x=$(ratio "$add99_orad" "$add99_nginx")
low_x=$(ratio "$low_cpu_orad" "$tp_cpu_orad")
low_nx=$(ratio "$low_cpu_nginx" "$tp_cpu_nginx")

echo
echo "orad against nginx as a reverse proxy, fast upstream (nginx, canned answer)," \
	"$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
row "measure" "direct" "nginx" "orad" "orad/nginx" "target" "verdict"
row "closed loop, $CONCURRENCY in flight, rps" "$tp_rps_direct" "$tp_rps_nginx" "$tp_rps_orad" \
	"$(ratio "$tp_rps_orad" "$tp_rps_nginx")" "" ""
row "  ÷ direct" "1" "$div_nginx" "$div_orad" "" ">= $TARGET_TP_DIRECT" \
	"$(verdict min "$div_orad" $TARGET_TP_DIRECT)"
row "CPU us/request at saturation" "$tp_cpu_direct" "$tp_cpu_nginx" "$tp_cpu_orad" "$cpu_x" \
	"<= ${TARGET_CPU_X}x" "$(verdict max "$cpu_x" $TARGET_CPU_X)"
row "added p50 at $RATE rps, us" "($p50_direct)" "$add50_nginx" "$add50_orad" "$p50_x" \
	"<= ${TARGET_P50_X}x" "$(verdict max "$p50_x" $TARGET_P50_X)"
row "added p99 at $RATE rps, us" "($p99_direct)" "$add99_nginx" "$add99_orad" "$p99_x" \
	"<= ${TARGET_P99_X}x" "$(verdict max "$p99_x" $TARGET_P99_X)"
row "p99 at $RATE rps (not added), us" "$p99_direct" "$p99_nginx" "$p99_orad" \
	"$(ratio "$p99_orad" "$p99_nginx")" "" ""
row "CPU us/request at $LOW_RATE rps" "$low_cpu_direct" "$low_cpu_nginx" "$low_cpu_orad" \
	"$(ratio "$low_cpu_orad" "$low_cpu_nginx")" "" ""
row "  ÷ CPU at saturation" "" "$low_nx" "$low_x" "" "<= ${TARGET_LOW_CPU_X}x" \
	"$(verdict max "$low_x" $TARGET_LOW_CPU_X)"
row "RSS idle, MB" "" "$(mb "$IDLE_nginx")" "$(mb "$IDLE_orad")" "" "" ""
row "RSS after saturation, MB" "" "$(mb "$BUSY_nginx")" "$(mb "$BUSY_orad")" "" \
	"<= idle + $(mb $TARGET_RSS_GROWTH_KB)" \
	"$(verdict max $((BUSY_orad - IDLE_orad)) $TARGET_RSS_GROWTH_KB)"
row "RSS after ${QUIET_S} s quiet, MB" "" "$(mb "$QUIET_nginx")" "$(mb "$QUIET_orad")" "" "" ""
if [ "$LEDGER_ROWS" -eq "$ORAD_ANSWERED" ] && [ "$LEDGER_PICO" -eq "$WANT_PICO" ] &&
	[ "$LEDGER_UNSETTLED" -eq 0 ]; then
	ledger_verdict=MET
else
	ledger_verdict="MISSED: LOST"
fi
echo "ledger: $LEDGER_ROWS rows ($LEDGER_UNSETTLED not settled) for $ORAD_ANSWERED answers;" \
	"total $LEDGER_PICO pico-USD for $WANT_PICO sent: $ledger_verdict"
echo
echo "orad's RSS in kB: idle: $PARTS_idle; after saturation: $PARTS_busy;" \
	"after ${QUIET_S} s quiet: $PARTS_quiet"
echo
echo "direct: ora-load to the fast upstream over TCP (in parentheses: its own latency)."
echo "p99 (not added): each path's own; one stall of the direct path can turn the added p99s" \
	"negative."
echo "nginx: one worker proxying from a Unix socket to it; orad: group rule, role and global" \
	"budgets, ledger on. CPU: user + system per answer, every thread (nginx: master and" \
	"worker; direct: the upstream's). Closed loop: $TP_ROUNDS rounds of $TP_ROUND_S s per path;" \
	"open loop: $LAT_ROUNDS rounds of $LAT_ROUND_S s at $RATE rps, pooled; $LOW_S s at $LOW_RATE rps."
echo "The machine may be shared: compare the columns of one run, not runs."
for path in $PATHS; do
	eval "errs=\$((tp_err_$path + lat_err_$path + low_err_$path))"
	[ "$errs" -eq 0 ] || echo "note: $errs errors along $path make its figures suspect" \
		"(the first error of each run is shown above)"
done
stop_all
exit 0
