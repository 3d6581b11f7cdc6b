#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# tcp_vs_socket.sh: what serving a caller over loopback TCP (daemon.listen,
# the caller named by the kernel through inet_diag at accept) costs beside
# the Unix socket (SO_PEERCRED), run by `make bench`. One orad serves both;
# ora-load drives the same load along each path, the paths taking turns
# round by round so that whatever else the machine does falls on both.
# Not a test: a missed target is reported, never a failure.
#
#   top_builddir=BUILD [top_srcdir=SRC] sh tests/bench/tcp_vs_socket.sh
#
# Measured, each with connections kept alive (as SDKs do) and with a new
# connection for every request (as curl in a loop does, so that the
# identity look-up is paid every time):
#   throughput, closed loop at BENCH_CONCURRENCY (32) in flight;
#   latency p50/p99, open loop at BENCH_RATE (500) requests per second, and
#   what orad adds to the mock's own (the direct path, TCP to the mock).
# Target (issue 12): TCP within 10% of the socket: throughput at least 90%
# of the socket's, added latency at most 110% of the socket's.
# Knobs: BENCH_CONCURRENCY, BENCH_RATE, BENCH_TCP_ROUNDS (3),
# BENCH_TCP_ROUND_S (2).
set -u

top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_builddir top_srcdir

CONCURRENCY=${BENCH_CONCURRENCY:-32}
RATE=${BENCH_RATE:-500}
ROUNDS=${BENCH_TCP_ROUNDS:-3}
ROUND_S=${BENCH_TCP_ROUND_S:-2}
WARMUP_S=0.5
TARGET_PCT=10

LOAD=$top_builddir/tests/bench/ora-load
for b in "$top_builddir/orad" "$top_builddir/oractl" "$top_builddir/tests/mock/ora-mock" "$LOAD"; do
	[ -x "$b" ] || { echo "bench: $b is not built; run 'make bench'" >&2; exit 1; }
done
. "$top_srcdir/tests/integration/lib.sh"

die() {
	echo "bench: $*" >&2
	FAILED=1
	exit 1
}

PORT=$("$PY3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_mock
make_daemon_user
write_conf '  { everyone = true; role = "bench"; cost_centre = "dev"; }' '
  bench = {
    models = [ "openai/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 0;
    requests_per_minute = 0;
    concurrent_requests = 0;
  };' "listen = [ \"127.0.0.1:$PORT\" ]; max_connections_per_uid = 4096;"
seal_keys || die "cannot seal the upstream keys"
start_orad
grep -q "serving loopback TCP on 127.0.0.1:$PORT" "$T/orad.log" || die "orad does not serve TCP"
echo "bench: TCP beside the socket: orad pid $ORAD_PID, $SOCK and 127.0.0.1:$PORT;" \
	"$ROUNDS rounds of $ROUND_S s per path and mode"

# cpu_ticks: orad's user + system time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$ORAD_PID/stat"; }
HZ=$(getconf CLK_TCK)

# run PATH NAME ARGS...: one ora-load run along PATH (direct, socket, tcp);
# orad's CPU time during it goes to $T/NAME.cpu (ticks; warm-up included).
run() {
	path=$1
	name=$2
	shift 2
	case $path in
	direct) set -- --url "$MOCK_URL/api/v1/chat/completions" --bearer-file "$T/mock.keys" "$@" ;;
	socket) set -- --url http://localhost/api/v1/chat/completions --unix-socket "$SOCK" "$@" ;;
	tcp) set -- --url "http://127.0.0.1:$PORT/api/v1/chat/completions" \
		--header 'Authorization: Bearer any-key' "$@" ;;
	esac
	before=$(cpu_ticks)
	"$LOAD" "$@" --warmup "$WARMUP_S" --duration "$ROUND_S" >"$T/$name.out" 2>"$T/$name.err" ||
		{ cat "$T/$name.err" >&2; die "ora-load failed in run '$name'"; }
	echo $(($(cpu_ticks) - before)) >"$T/$name.cpu"
	[ -s "$T/$name.err" ] && sed "s/^/bench: $name: /" "$T/$name.err" >&2
	mock_post /mock/reset '{}'
}

round=1
while [ $round -le $ROUNDS ]; do
	for reuse in yes no; do
		for path in socket tcp; do
			run $path "tp-$reuse-$path-$round" --reuse $reuse --concurrency "$CONCURRENCY"
		done
		for path in direct socket tcp; do
			run $path "lat-$reuse-$path-$round" --reuse $reuse --rate "$RATE" \
				--samples "$T/lat-$reuse-$path-$round.samples"
			cat "$T/lat-$reuse-$path-$round.samples" >>"$T/lat-$reuse-$path.samples"
		done
	done
	round=$((round + 1))
done
kill -0 "$ORAD_PID" 2>/dev/null || die "orad died during the benchmark"

# rps KIND: requests per second pooled over KIND's rounds; errors in $T/KIND.errors.
rps() {
	cat "$T/$1"-[0-9]*.out | awk -v ef="$T/$1.errors" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		n += f["requests"]; e += f["errors"]
		if (f["rps"] > 0) s += f["requests"] / f["rps"]
	} END { printf "%.0f\n", (s > 0 ? n / s : 0); print e > ef }'
}
# pct FILE P: the P-th percentile (nearest rank) of pooled samples, us.
pct() {
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
		r = int(p / 100 * NR + 0.999999); if (r < 1) r = 1; print (NR ? v[r] : 0) }'
}
# cpu_per_req KIND: orad's CPU time per request over KIND's rounds, us. The
# warm-up's requests are not counted, so this overstates both paths alike.
cpu_per_req() {
	t=$(cat "$T/$1"-[0-9]*.cpu | awk '{ s += $1 } END { print s }')
	n=$(cat "$T/$1"-[0-9]*.out | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=")
		if (kv[1] == "requests") n += kv[2] } } END { print n }')
	awk -v t="$t" -v n="$n" -v hz="$HZ" 'BEGIN { printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# verdict KIND RATIO: "min": RATIO >= 1 - target; "max": RATIO <= 1 + target.
verdict() {
	awk -v k="$1" -v r="$2" -v t="$TARGET_PCT" 'BEGIN {
		if (r == "-") { print "-"; exit }
		lim = k == "min" ? 1 - t / 100 : 1 + t / 100
		if ((k == "min" && r >= lim) || (k == "max" && r <= lim)) print "MET"
		else printf "MISSED (%s, limit %.2f)\n", r, lim }'
}
row() { printf '%-40s %9s %9s %7s  %-8s %s\n' "$@"; }

echo
echo "TCP beside the Unix socket, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
row "measure" "socket" "tcp" "ratio" "target" "verdict"
errors=0
for reuse in yes no; do
	case $reuse in yes) how="kept alive" ;; no) how="new per request" ;; esac
	s=$(rps "tp-$reuse-socket")
	t=$(rps "tp-$reuse-tcp")
	errors=$((errors + $(cat "$T/tp-$reuse-socket.errors") + $(cat "$T/tp-$reuse-tcp.errors")))
	r=$(ratio "$t" "$s")
	row "throughput, $how, $CONCURRENCY in flight, rps" "$s" "$t" "$r" ">= 0.90" "$(verdict min "$r")"
	s=$(cpu_per_req "tp-$reuse-socket")
	t=$(cpu_per_req "tp-$reuse-tcp")
	row "  ... orad CPU per request, us" "$s" "$t" "$(ratio "$t" "$s")" "" ""
	for p in 50 99; do
		d=$(pct "$T/lat-$reuse-direct.samples" $p)
		s=$(pct "$T/lat-$reuse-socket.samples" $p)
		t=$(pct "$T/lat-$reuse-tcp.samples" $p)
		row "latency p$p, $how, at $RATE rps, us" "$s" "$t" "$(ratio "$t" "$s")" "" ""
		r=$(ratio $((t - d)) $((s - d)))
		row "  ... added by orad (minus direct $d us)" "$((s - d))" "$((t - d))" "$r" \
			"<= 1.10" "$(verdict max "$r")"
	done
	for k in socket tcp direct; do
		rps "lat-$reuse-$k" >/dev/null
		errors=$((errors + $(cat "$T/lat-$reuse-$k.errors")))
	done
done
echo
echo "One orad serves both paths; ora-load sends the same short chat request; the paths take"
echo "turns in $ROUNDS rounds of $ROUND_S s each, samples pooled. 'new per request': every"
echo "request opens a connection (a TCP one costs one inet_diag look-up at accept)."
echo "orad CPU per request: its user and system time over the throughput runs (warm-up"
echo "included) divided by the requests measured; it varies less than the rates with"
echo "what else the machine runs."
[ "$errors" -eq 0 ] || echo "note: $errors requests failed; the figures are suspect (see above)"
stop_all
exit 0
