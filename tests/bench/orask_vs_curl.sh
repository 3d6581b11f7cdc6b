#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# orask_vs_curl.sh: wall time of one short non-streamed question asked with
# orask, against curl --unix-socket sending the same request, both through
# orad to the mock upstream, in the same run. Not a test: a missed target is
# reported, never a failure; the exit status is non-zero only when the
# benchmark itself could not run.
#
#   top_builddir=BUILD [top_srcdir=SRC] sh tests/bench/orask_vs_curl.sh
#
# Targets (issue 4): orask's median within 1.5x of curl's, and under 3 ms.
# Knobs (environment): BENCH_RUNS (300 per command), BENCH_WARMUP (30),
# BENCH_TOOL (hyperfine when it is installed: both commands in one run,
# without a shell in between; "loop": a shell loop timed with date +%s%N).
#
# orask runs as users run it, history and all: its state directory is one
# of the benchmark's own, so the caller's history is left alone. orask is
# a plain executable (libora-client is compiled in), never a libtool
# wrapper script, which would add a shell's start-up to every run.
#
# Wall time on a shared machine depends on its load; the CPU time each
# command used (user + system, from hyperfine) does much less, and is
# printed too.
set -u

top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_builddir top_srcdir

RUNS=${BENCH_RUNS:-300}
WARMUP=${BENCH_WARMUP:-30}
TARGET_RATIO=1.5
TARGET_MEDIAN_MS=3

ORASK_BIN=$top_builddir/orask
for b in "$ORASK_BIN" "$top_builddir/orad" "$top_builddir/oractl" \
	"$top_builddir/tests/mock/ora-mock"; do
	if [ ! -x "$b" ]; then
		echo "bench: $b is not built; run 'make && make tests/mock/ora-mock' in" \
			"$top_builddir first" >&2
		exit 1
	fi
done
command -v curl >/dev/null || { echo "bench: curl is not installed" >&2; exit 1; }

. "$top_srcdir/tests/integration/lib.sh"

die() {
	echo "bench: $*" >&2
	FAILED=1 # lib.sh's cleanup then shows the daemon logs
	exit 1
}

# No rate limit: the benchmark asks several hundred questions a minute.
ROLES='
  bench = {
    models = [ "openai/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 0;
    concurrent_requests = 0;
  };'
standard_setup '  { everyone = true; role = "bench"; cost_centre = "dev"; }' "$ROLES"

export LD_LIBRARY_PATH="$top_builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export ORA_SOCKET="$SOCK" XDG_STATE_HOME="$T/xdg-state"
QUESTION="Say hi"
BODY='{"messages":[{"role":"user","content":"Say hi"}],"stream":false}'
URL=http://localhost/api/v1/chat/completions

# Both must answer before anything is timed.
"$ORASK_BIN" --no-stream "$QUESTION" >"$T/orask.out" 2>"$T/orask.err" </dev/null ||
	die "orask failed: $(cat "$T/orask.err")"
grep -q '^Mock answer' "$T/orask.out" || die "orask's answer is not the mock's"
curl -sS --fail --unix-socket "$SOCK" -H 'Content-Type: application/json' -d "$BODY" \
	-o "$T/curl.out" "$URL" || die "curl failed"
grep -q 'Mock answer' "$T/curl.out" || die "curl's answer is not the mock's"

# stats FILE: "median p90" in microseconds of the samples (one a line, in
# nanoseconds), nearest rank.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = int(0.5 * NR + 0.999999); p = int(0.9 * NR + 0.999999)
		printf "%.0f %.0f\n", v[m] / 1000, v[p] / 1000
	}'
}

if [ "${BENCH_TOOL:-hyperfine}" != loop ] && command -v hyperfine >/dev/null; then
	METHOD="hyperfine $(hyperfine --version | cut -d' ' -f2), -N (no shell), $WARMUP warm-up runs"
	hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$T/h.json" \
		-n orask "$ORASK_BIN --no-stream '$QUESTION'" \
		-n curl "curl -sS --unix-socket $SOCK -H 'Content-Type: application/json' -d '$BODY' $URL" \
		>"$T/hyperfine.out" 2>&1 || { cat "$T/hyperfine.out" >&2; die "hyperfine failed"; }
	for i in 0 1; do
		"$PY3" -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]
print("\n".join(str(int(t * 1e9)) for t in r["times"]))' "$T/h.json" "$i" >"$T/s$i"
	done
	CPU=$("$PY3" -c 'import json, sys
o, c = json.load(open(sys.argv[1]))["results"][:2]
print("CPU time (user + system, mean): orask %.0f us, curl %.0f us" %
      ((o["user"] + o["system"]) * 1e6, (c["user"] + c["system"]) * 1e6))' "$T/h.json")
	mv "$T/s0" "$T/orask.ns"
	mv "$T/s1" "$T/curl.ns"
else
	METHOD="a shell loop timed with date +%s%N, $WARMUP warm-up runs (hyperfine would be less noisy)"
	CPU="(the loop's own cost, two date(1) runs a sample, is in every figure: the /bin/true row shows it)"
	time_loop() {
		out=$1
		shift
		n=0
		while [ $n -lt "$WARMUP" ]; do "$@" >/dev/null 2>&1 </dev/null; n=$((n + 1)); done
		n=0
		: >"$out"
		while [ $n -lt "$RUNS" ]; do
			t0=$(date +%s%N)
			"$@" >/dev/null 2>&1 </dev/null
			t1=$(date +%s%N)
			echo $((t1 - t0)) >>"$out"
			n=$((n + 1))
		done
	}
	# Taking turns in rounds, so load from elsewhere falls on both alike.
	: >"$T/orask.ns"
	: >"$T/curl.ns"
	: >"$T/true.ns"
	ROUND_RUNS=$RUNS
	RUNS=$((ROUND_RUNS / 5 > 0 ? ROUND_RUNS / 5 : 1))
	for round in 1 2 3 4 5; do
		time_loop "$T/o.ns" "$ORASK_BIN" --no-stream "$QUESTION"
		time_loop "$T/c.ns" curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' \
			-d "$BODY" "$URL"
		time_loop "$T/t.ns" /bin/true
		cat "$T/o.ns" >>"$T/orask.ns"
		cat "$T/c.ns" >>"$T/curl.ns"
		cat "$T/t.ns" >>"$T/true.ns"
		WARMUP=0
	done
	RUNS=$ROUND_RUNS
fi

set -- $(stats "$T/orask.ns")
O50=$1 O90=$2
set -- $(stats "$T/curl.ns")
C50=$1 C90=$2
RATIO=$(awk -v o="$O50" -v c="$C50" 'BEGIN { printf "%.2f", (c > 0 ? o / c : 0) }')
verdict_ratio=$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print (r <= t ? "MET" : "MISSED") }')
verdict_ms=$(awk -v o="$O50" -v t="$TARGET_MEDIAN_MS" 'BEGIN { print (o <= t * 1000 ? "MET" : "MISSED") }')
kill -0 "$ORAD_PID" 2>/dev/null || die "orad died during the benchmark"

echo
echo "orask vs curl --unix-socket, one short non-streamed question through orad to the mock"
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %10s %10s\n' "wall time, us" median p90
printf '%-22s %10s %10s\n' "orask --no-stream" "$O50" "$O90"
printf '%-22s %10s %10s\n' "curl --unix-socket" "$C50" "$C90"
[ -s "$T/true.ns" ] && printf '%-22s %10s %10s\n' "/bin/true (the loop)" $(stats "$T/true.ns")
echo "$CPU"
echo "orask / curl median: ${RATIO}x (target <= ${TARGET_RATIO}x): $verdict_ratio"
echo "orask median: $(awk -v o="$O50" 'BEGIN { printf "%.2f", o / 1000 }') ms" \
	"(target < $TARGET_MEDIAN_MS ms): $verdict_ms"
echo "$RUNS runs each; $METHOD."
stop_all
exit 0
