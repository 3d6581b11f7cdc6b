#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# run.sh: ora's benchmark, run by `make bench`. Not a test: a missed target
# is reported, never a failure; the exit status is non-zero only when the
# benchmark itself could not run.
#
# In one go, with the mock upstream (tests/mock/ora-mock) and one orad set up
# the way the integration tests do it (tests/integration/lib.sh: a temporary
# directory, mock keys sealed with oractl, as root a throw-away daemon user),
# it measures along each path in the same run and prints them side by side
# with ora's targets:
#   direct  ora-load -> mock over TCP, with the mock's key: the baseline;
#   orad    ora-load -> orad's Unix socket -> mock;
#   relay   ora-load -> socat -> mock, a byte relay from a Unix socket that
#           does no HTTP work: the least any broker in a separate process
#           adds on this machine (only when socat is installed).
# The figures: orad's resident memory idle and with 1,000 streams held open;
# closed-loop throughput at one concurrency; open-loop latency at a fixed
# rate, and what orad adds to it. Nothing is built here: run `make` first.
#
#   top_builddir=BUILD [top_srcdir=SRC] sh tests/bench/run.sh
#
# Knobs (environment), with their defaults: BENCH_CONCURRENCY=32,
# BENCH_THROUGHPUT_S=6, BENCH_RATE=1000, BENCH_LATENCY_S=10,
# BENCH_STREAMS=1000, BENCH_RELAY=1 (0: skip the socat column),
# BENCH_PROFILE=0 (1: afterwards, profile orad under closed-loop load with
# perf and print where its time goes; needs perf and a few seconds more).
set -u

top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_builddir top_srcdir

CONCURRENCY=${BENCH_CONCURRENCY:-32}
THROUGHPUT_S=${BENCH_THROUGHPUT_S:-6}
RATE=${BENCH_RATE:-1000}
LATENCY_S=${BENCH_LATENCY_S:-10}
STREAMS=${BENCH_STREAMS:-1000}
RELAY=${BENCH_RELAY:-1}
PROFILE=${BENCH_PROFILE:-0}
PROFILE_S=4
# Measurements are split into rounds that take turns between the paths (see
# below); each run first warms up, unmeasured, for WARMUP_S.
TP_ROUNDS=2
LAT_ROUNDS=5
LEDGER_ROUNDS=5
WARMUP_S=0.5
TP_ROUND_S=$(awk -v t="$THROUGHPUT_S" -v r=$TP_ROUNDS 'BEGIN { print t / r }')
LAT_ROUND_S=$(awk -v t="$LATENCY_S" -v r=$LAT_ROUNDS 'BEGIN { print t / r }')
# Held streams: the mock sends an event every STREAM_EVENT_MS, so a stream
# lasts far longer than the benchmark holds it.
STREAM_EVENT_MS=2000
STREAM_TOKENS=1000
HOLD_SETTLE_S=3

# ora's targets: what orad may add, and what it may cost.
TARGET_ADDED_P50_US=50
TARGET_ADDED_P99_US=250
TARGET_IDLE_RSS_KB=8192
TARGET_STREAMS_RSS_KB=65536

LOAD=$top_builddir/tests/bench/ora-load
for b in "$top_builddir/orad" "$top_builddir/oractl" "$top_builddir/tests/mock/ora-mock" \
	"$LOAD"; do
	if [ ! -x "$b" ]; then
		echo "bench: $b is not built; run 'make && make tests/mock/ora-mock" \
			"tests/bench/ora-load' in $top_builddir first (or 'make bench')" >&2
		exit 1
	fi
done
if [ ! -f "$top_srcdir/tests/integration/lib.sh" ]; then
	echo "bench: cannot find tests/integration/lib.sh under top_srcdir=$top_srcdir" >&2
	exit 1
fi
PATHS="direct orad"
if [ "$RELAY" = 1 ] && command -v socat >/dev/null 2>&1; then
	PATHS="direct relay orad"
fi

# Every held stream is a descriptor in ora-load, two in orad and one in the
# mock; orad and the mock inherit this limit.
want_fds=$((STREAMS * 2 + 1024))
cur_fds=$(ulimit -n)
if [ "$cur_fds" != unlimited ] && [ "$cur_fds" -lt "$want_fds" ]; then
	ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi

. "$top_srcdir/tests/integration/lib.sh"

die() {
	echo "bench: $*" >&2
	FAILED=1 # lib.sh's cleanup then shows the daemon logs
	exit 1
}

# status_kb KEY: a line of orad's /proc status, in kB (VmRSS, RssAnon).
status_kb() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$ORAD_PID/status"
}

# load NAME ARGS...: one ora-load run; its result line goes to $T/NAME.out.
load() {
	name=$1
	shift
	if ! "$LOAD" "$@" >"$T/$name.out" 2>"$T/$name.err"; then
		cat "$T/$name.err" >&2
		die "ora-load failed in run '$name'"
	fi
	[ -s "$T/$name.err" ] && sed "s/^/bench: $name: /" "$T/$name.err" >&2
	return 0
}

# run PATH NAME ARGS...: one ora-load run along PATH, then a clean mock.
run() {
	path=$1
	name=$2
	shift 2
	case $path in
	direct)
		load "$name" --url "$MOCK_URL/api/v1/chat/completions" \
			--bearer-file "$T/mock.keys" "$@" ;;
	relay)
		load "$name" --url http://localhost/api/v1/chat/completions \
			--unix-socket "$T/relay.sock" --bearer-file "$T/mock.keys" "$@" ;;
	orad)
		load "$name" --url http://localhost/api/v1/chat/completions \
			--unix-socket "$SOCK" "$@" ;;
	esac
	# The mock keeps a record of every generation; keep it small.
	mock_post /mock/reset '{}'
}

# ---- set-up --------------------------------------------------------------

bench_conf() {
	daemon_user=""
	if is_root; then
		daemon_user="user = \"${PFX}d\";"
	fi
	# One unlimited role for everyone: the benchmark measures the broker's
	# overhead, not its rate limits. The caller's connection cap must admit
	# every held stream. Logging stays at info, as deployed.
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
  max_connections_per_uid = $((STREAMS + 1024));
};
upstream = {
  base_url = "$MOCK_URL/api/v1";
  connect_timeout = 2;
  title = "ora bench";
};
roles = {
  bench = {
    models = [ "openai/*", "anthropic/*", "meta-llama/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 0;
    requests_per_minute = 0;
    concurrent_requests = 0;
  };
};
cost_centres = { dev = { key = "dev"; }; };
rules = ( { everyone = true; role = "bench"; cost_centre = "dev"; } );
CONF
}

start_mock
make_daemon_user
bench_conf
seal_keys || die "cannot seal the upstream keys"
start_orad
case $PATHS in
*relay*)
	socat "UNIX-LISTEN:$T/relay.sock,fork,backlog=1024,mode=600" \
		"TCP:127.0.0.1:$MOCK_PORT,nodelay" 2>"$T/relay.log" &
	PIDS="$PIDS $!"
	wait_for_file "$T/relay.sock" || die "socat did not start"
	;;
esac
echo "bench: mock on $MOCK_URL, orad pid $ORAD_PID on $SOCK; $(nproc) cores;" \
	"paths: $PATHS; about a minute"

# ---- idle memory ---------------------------------------------------------

run orad warm --concurrency 1 --duration 0.5 --warmup 0
sleep 1
IDLE_KB=$(status_kb VmRSS)
IDLE_ANON_KB=$(status_kb RssAnon)

# ---- held streams --------------------------------------------------------

mock_post /mock/faults \
	"{\"times\":0,\"delay_events_ms\":$STREAM_EVENT_MS,\"completion_tokens\":$STREAM_TOKENS}"
"$LOAD" --url http://localhost/api/v1/chat/completions --unix-socket "$SOCK" \
	--hold-streams "$STREAMS" --hold-seconds 60 --timeout 30 \
	>"$T/hold.out" 2>"$T/hold.err" &
HOLD_PID=$!
PIDS="$PIDS $HOLD_PID"
i=0
until grep -q '^streams open:' "$T/hold.out" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -ge 800 ] || ! kill -0 "$HOLD_PID" 2>/dev/null; then
		cat "$T/hold.err" >&2
		die "the held streams did not open"
	fi
	sleep 0.05
done
STREAMS_OPEN=$(sed -n 's/^streams open: //p' "$T/hold.out")
sleep "$HOLD_SETTLE_S"
STREAMS_KB=0
for s in 1 2 3 4 5; do
	r=$(status_kb VmRSS)
	[ "$r" -gt "$STREAMS_KB" ] && STREAMS_KB=$r
	sleep 0.2
done
mock_get /mock/stats "$T/stats.json"
MOCK_STREAMS=$(json "$T/stats.json" 'd.get("active_streams", "?")' 2>/dev/null || echo "?")
kill -TERM "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
HOLD_LINE=$(tail -n 1 "$T/hold.out")
[ -s "$T/hold.err" ] && sed 's/^/bench: hold: /' "$T/hold.err" >&2
mock_post /mock/reset '{}'
sleep 1

# ---- throughput and latency, the paths taking turns ----------------------
#
# Each measurement is split into rounds, and every round runs each path in
# turn, so that whatever else the machine does meanwhile falls on all paths
# alike. Latency samples are pooled over the rounds before percentiles are
# taken.

round=1
while [ $round -le $TP_ROUNDS ]; do
	for path in $PATHS; do
		run $path "tp-$path-$round" --concurrency "$CONCURRENCY" \
			--duration "$TP_ROUND_S" --warmup "$WARMUP_S"
	done
	round=$((round + 1))
done
round=1
while [ $round -le $LAT_ROUNDS ]; do
	for path in $PATHS; do
		run $path "lat-$path-$round" --rate "$RATE" --duration "$LAT_ROUND_S" \
			--warmup "$WARMUP_S" --samples "$T/lat-$path-$round.samples"
		cat "$T/lat-$path-$round.samples" >>"$T/lat-$path.samples"
	done
	round=$((round + 1))
done
BUSY_KB=$(status_kb VmRSS)
kill -0 "$ORAD_PID" 2>/dev/null || die "orad died during the benchmark"

# ---- the table -----------------------------------------------------------

# pooled KIND PATH: requests, errors and rps over KIND's rounds along PATH.
pooled() {
	cat "$T/$1-$2"-[0-9]*.out | awk '{
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			f[kv[1]] = kv[2]
		}
		n += f["requests"]
		e += f["errors"]
		if (f["rps"] > 0)
			s += f["requests"] / f["rps"]
	} END { printf "%d %d %.0f\n", n, e, (s > 0 ? n / s : 0) }'
}
# percentiles FILE: "p50 p90 p99 max" of the pooled samples, nearest rank.
percentiles() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		split("50 90 99 100", p, " ")
		for (i = 1; i <= 4; i++) {
			r = int(p[i] / 100 * NR + 0.999999)
			if (r < 1)
				r = 1
			printf "%s%d", (i > 1 ? " " : ""), (NR > 0 ? v[r] : 0)
		}
		print ""
	}'
}
# verdict KIND VALUE LIMIT UNIT: MET, or MISSED and by how much. KIND "max":
# VALUE must not exceed LIMIT; "min": VALUE must reach LIMIT.
verdict() {
	awk -v kind="$1" -v v="$2" -v lim="$3" -v unit="$4" 'BEGIN {
		if ((kind == "max" && v <= lim) || (kind == "min" && v >= lim)) {
			print "MET"
			exit
		}
		d = kind == "max" ? v - lim : lim - v
		printf "MISSED by %s %s (%.0f%%)\n", d, unit, 100 * d / lim
	}'
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
row() { printf '%-30s %9s %9s %9s %10s  %-17s %s\n' "$@"; }

for path in $PATHS; do
	set -- $(pooled tp $path)
	eval "TP_N_$path=$1 TP_ERR_$path=$2 TP_$path=$3"
	set -- $(pooled lat $path)
	eval "LAT_N_$path=$1 LAT_ERR_$path=$2"
	set -- $(percentiles "$T/lat-$path.samples")
	eval "P50_$path=$1 P90_$path=$2 P99_$path=$3 MAX_$path=$4"
done
if [ "$PATHS" = "direct orad" ]; then
	TP_relay=- P50_relay=- P90_relay=- P99_relay=- MAX_relay=-
fi
tp_half=$((TP_direct / 2))
add50=$((P50_orad - P50_direct))
add99=$((P99_orad - P99_direct))
streams_kb=$((STREAMS_KB - IDLE_KB))
streams_verdict=$(verdict max "$(mb "$streams_kb")" "$(mb $TARGET_STREAMS_RSS_KB)" MB)
if [ "${STREAMS_OPEN:-0}" -ne "$STREAMS" ]; then
	streams_verdict="MISSED: only $STREAMS_OPEN of $STREAMS streams opened"
fi

echo
echo "ora benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
row "measure" "direct" "relay" "via orad" "orad adds" "target" "verdict"
row "throughput, $CONCURRENCY in flight, rps" "$TP_direct" "$TP_relay" "$TP_orad" \
	"$((TP_direct > 0 ? 100 * TP_orad / TP_direct : 0))%" ">= $tp_half (1/2)" \
	"$(verdict min "$TP_orad" "$tp_half" rps)"
row "latency p50 at $RATE rps, us" "$P50_direct" "$P50_relay" "$P50_orad" "$add50" \
	"added <= $TARGET_ADDED_P50_US" "$(verdict max "$add50" $TARGET_ADDED_P50_US us)"
row "latency p99 at $RATE rps, us" "$P99_direct" "$P99_relay" "$P99_orad" "$add99" \
	"added <= $TARGET_ADDED_P99_US" "$(verdict max "$add99" $TARGET_ADDED_P99_US us)"
row "latency p90, us" "$P90_direct" "$P90_relay" "$P90_orad" "$((P90_orad - P90_direct))" \
	"" ""
row "latency max, us" "$MAX_direct" "$MAX_relay" "$MAX_orad" "" "" ""
row "orad RSS idle, MB" "" "" "$(mb "$IDLE_KB")" "" "<= $(mb $TARGET_IDLE_RSS_KB) MB" \
	"$(verdict max "$(mb "$IDLE_KB")" "$(mb $TARGET_IDLE_RSS_KB)" MB)"
row "orad RSS, $STREAMS_OPEN streams, MB" "" "" "$(mb "$STREAMS_KB")" "+$(mb "$streams_kb")" \
	"<= +$(mb $TARGET_STREAMS_RSS_KB) MB" "$streams_verdict"
echo
echo "direct: ora-load to the mock over TCP. via orad: to orad's Unix socket, on to the mock."
case $PATHS in
*relay*)
	echo "relay: socat from a Unix socket to the mock, no HTTP work: what any separate" \
		"process adds here." ;;
esac
echo "Throughput: $TP_ROUNDS rounds of $TP_ROUND_S s per path; latency: $LAT_ROUNDS rounds" \
	"of $LAT_ROUND_S s per path, open loop (latency from when each request was due)," \
	"samples pooled; the paths take turns."
echo "orad idle RSS: $(mb "$IDLE_ANON_KB") MB of it anonymous, the rest mapped library" \
	"pages. Per held stream: $((streams_kb / (STREAMS_OPEN > 0 ? STREAMS_OPEN : 1))) KB" \
	"(the mock counted $MOCK_STREAMS open); orad RSS after all runs: $(mb "$BUSY_KB") MB."
for path in $PATHS; do
	eval "echo \"requests/errors along $path: throughput \$TP_N_$path/\$TP_ERR_$path," \
		"latency \$LAT_N_$path/\$LAT_ERR_$path\""
	eval "errs=\$((TP_ERR_$path + LAT_ERR_$path))"
	[ "$errs" -eq 0 ] || echo "note: errors along $path make its figures suspect" \
		"(the first error of each run is shown above)"
done
echo "held streams: $HOLD_LINE"

# ---- optional: where orad's time goes ------------------------------------

# Sampled apart from the measurements above, which it would slow down.
# Inclusive shares: a function's share counts everything it calls.
profile_orad() {
	perf record -e cpu-clock -F 999 --call-graph dwarf,16384 -p "$ORAD_PID" \
		-o "$T/orad.perf" >"$T/perf.log" 2>&1 &
	perf_pid=$!
	sleep 0.5
	kill -0 "$perf_pid" 2>/dev/null || return 1
	run orad profile --concurrency "$CONCURRENCY" --duration "$PROFILE_S" --warmup 0
	kill -INT "$perf_pid" 2>/dev/null
	wait "$perf_pid" 2>/dev/null
	[ -s "$T/orad.perf" ] || return 1
	echo
	echo "orad profile, $CONCURRENCY in flight for $PROFILE_S s ($(cat "$T/profile.out")):"
	echo "share of orad's CPU, inclusive, for orad's functions and the library calls"
	echo "that matter most:"
	nm "$top_builddir/orad" | awk '$2 ~ /^[tT]$/ { print $3 }' | sort -u >"$T/orad.syms"
	perf report -i "$T/orad.perf" --children --sort sym -g none 2>/dev/null |
		awk -v syms="$T/orad.syms" '
			BEGIN {
				while ((getline s < syms) > 0)
					ours[s] = 1
				split("sodium_malloc sodium_free getgrouplist __getpwuid_r " \
				    "json_tokener_parse_ex curl_multi_socket_action " \
				    "curl_multi_add_handle curl_easy_init curl_easy_cleanup " \
				    "__libc_send __GI___writev __GI___readv epoll_wait " \
				    "__GI_epoll_ctl malloc _int_free", lib, " ")
				for (i in lib)
					libs[lib[i]] = 1
			}
			/^ +[0-9]/ && ($4 in ours || $4 in libs) && $4 != "main" && $4 != "_start" {
				printf "  %7s  %s%s\n", $1, $4, $4 in ours ? "" : " (library)"
				if (++n == 30)
					exit
			}'
}
# ---- what the ledger costs -------------------------------------------------
#
# A second orad, identical but for daemon.ledger = false, on its own socket;
# the two take turns under the same closed-loop load. The first orad starts
# afresh too (keeping its ledger, now holding every request above), so that
# neither brings a history the other lacks. Each round pairs the two, and
# the cost is the median of the rounds' costs: a pair shares whatever else
# the machine was doing at the time.
kill -TERM "$ORAD_PID"
wait "$ORAD_PID" 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $ORAD_PID//")
start_orad
sed -e "s|socket = \"$SOCK\";|socket = \"$T/noledger.sock\";|" \
	-e 's|^daemon = {|daemon = {\n  ledger = false;|' "$CONF" >"$T/noledger.conf"
"$top_builddir/orad" -f -c "$T/noledger.conf" 2>"$T/noledger.log" &
NOLEDGER_PID=$!
PIDS="$PIDS $NOLEDGER_PID"
wait_for_file "$T/noledger.sock" || die "the ledger-less orad did not start"
sleep 0.5
rps_of() { sed -n 's/.*rps=\([0-9.]*\).*/\1/p' "$T/$1.out"; }
# paired_rounds TAG SOCKET: LEDGER_ROUNDS rounds in which the first orad
# and the one on $T/SOCKET.sock take turns under the same closed-loop load;
# sets on_rps and off_rps (pooled) and cost, the median of the rounds'
# costs in % (each listed in round_costs).
paired_rounds() {
	tag=$1
	sock=$2
	round=1
	round_costs=""
	while [ $round -le $LEDGER_ROUNDS ]; do
		run orad "$tag-on-$round" --concurrency "$CONCURRENCY" --duration "$TP_ROUND_S" --warmup "$WARMUP_S"
		load "$tag-off-$round" --url http://localhost/api/v1/chat/completions \
			--unix-socket "$T/$sock.sock" --concurrency "$CONCURRENCY" \
			--duration "$TP_ROUND_S" --warmup "$WARMUP_S"
		mock_post /mock/reset '{}'
		round_costs="$round_costs $(awk -v a="$(rps_of "$tag-on-$round")" -v b="$(rps_of "$tag-off-$round")" \
			'BEGIN { printf "%.1f", (b > 0 ? 100 * (b - a) / b : 0) }')"
		round=$((round + 1))
	done
	set -- $(pooled "$tag" on)
	on_rps=$3
	set -- $(pooled "$tag" off)
	off_rps=$3
	cost=$(echo $round_costs | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END {
		printf "%.0f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
}
paired_rounds led noledger
echo
echo "ledger on vs off, $CONCURRENCY in flight, $LEDGER_ROUNDS rounds each, taking turns:"
row "" "ledger on" "off" "" "cost" "target" "verdict"
row "throughput, rps" "$on_rps" "$off_rps" "" "$cost%" "<= 10%" "$(verdict max "$cost" 10 "points")"
echo "cost: the median of the rounds' costs, in %:$round_costs"

# ---- what the sandbox costs ------------------------------------------------
#
# The same pairing, against an orad identical but for daemon.sandbox =
# false (both keep their ledgers). seccomp adds a filter run to every
# system call orad makes; Landlock only to opening files.
kill -TERM "$NOLEDGER_PID"
wait "$NOLEDGER_PID" 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $NOLEDGER_PID//")
sed -e "s|socket = \"$SOCK\";|socket = \"$T/nosandbox.sock\";|" \
	-e "s|state_dir = \"\([^\"]*\)\";|state_dir = \"\\1-nosandbox\";|" \
	-e 's|^daemon = {|daemon = {\n  sandbox = false;|' "$CONF" >"$T/nosandbox.conf"
state=$(sed -n 's|.*state_dir = "\([^"]*\)";.*|\1|p' "$CONF" | head -n 1)
cp -a "$state" "$state-nosandbox" 2>/dev/null && rm -f "$state-nosandbox"/ledger.db*
"$top_builddir/orad" -f -c "$T/nosandbox.conf" 2>"$T/nosandbox.log" &
NOSANDBOX_PID=$!
PIDS="$PIDS $NOSANDBOX_PID"
wait_for_file "$T/nosandbox.sock" || die "the orad without a sandbox did not start"
sleep 0.5
grep -q 'sandbox' "$T/orad.log" && echo "sandbox of the first orad: $(grep -m1 'sandbox' "$T/orad.log" | sed 's/.*orad\[[a-z]*\]: //')"
paired_rounds sbx nosandbox
echo
echo "sandbox on vs off, $CONCURRENCY in flight, $LEDGER_ROUNDS rounds each, taking turns:"
row "" "sandbox on" "off" "" "cost" "" ""
row "throughput, rps" "$on_rps" "$off_rps" "" "$cost%" "" ""
echo "cost: the median of the rounds' costs, in %:$round_costs"

if [ "$PROFILE" = 1 ]; then
	if command -v perf >/dev/null 2>&1; then
		profile_orad || echo "bench: perf could not profile orad (see perf record's" \
			"message: $(tail -n 1 "$T/perf.log" 2>/dev/null))"
	else
		echo "bench: BENCH_PROFILE=1 needs perf (apt-get install linux-perf)"
	fi
fi
stop_all
exit 0
