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
# the canned cost.
#
#   top_builddir=BUILD [top_srcdir=SRC] sh tests/bench/vs_nginx.sh
#
# Knobs (environment), with their defaults: BENCH_CONCURRENCY=32,
# BENCH_THROUGHPUT_S=6, BENCH_RATE=1000, BENCH_LATENCY_S=10,
# BENCH_LOW_RATE=200, BENCH_LOW_S=10, BENCH_QUIET_S=60,
# BENCH_NGINX=nginx (the binary), BENCH_NGINX_WORKERS=auto (the upstream's
# workers), BENCH_SHORT=1 (a smoke run of about 20 s: short windows, 3 s
# of quiet).
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
start_orad
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

# Warm every path (connections, the catalog, caches); unmeasured.
for path in $PATHS; do
	run $path "warm-$path" --concurrency 4 --duration 0.5 --warmup 0
done
sleep 1
IDLE_orad=$(rss_kb orad)
IDLE_nginx=$(rss_kb nginx)

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

# Open loop at RATE: latency, pooled over the rounds.
round=1
while [ $round -le $LAT_ROUNDS ]; do
	for path in $PATHS; do
		run $path "lat-$path-$round" --rate "$RATE" --duration "$LAT_ROUND_S" \
			--warmup "$WARMUP_S" --samples "$T/lat-$path-$round.samples"
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
echo "direct: ora-load to the fast upstream over TCP (in parentheses: its own latency)."
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
