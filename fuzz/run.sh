#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# run.sh: fuzz each target (or the ones named) for FUZZ_SECONDS seconds with
# libFuzzer, starting from its seed corpus. Prints one TAP line per target
# with its executions and rate; fails on any crash, leak, timeout or
# sanitizer report, leaving the input that caused it in fuzz/findings/NAME/
# of the build tree (add it to fuzz/corpus/NAME/ once the bug is fixed).
# New inputs that reach new code are kept in fuzz/work/NAME/ between runs.
#
# make fuzz [FUZZ_SECONDS=N] [FUZZ_RUN='usage conf'] calls this.
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
FUZZ_SECONDS=${FUZZ_SECONDS:-300}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10} # seconds for one input before it counts as a hang
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
# A LeakSanitizer report is a fault, except for leaks inside libraries that
# fuzz/lsan.supp names.
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top_srcdir/fuzz/lsan.supp:print_suppressions=0}
export LSAN_OPTIONS

if [ "${enable_fuzzing:-yes}" != yes ]; then
	echo "run.sh: this build has no libFuzzer: CC=clang ./configure --enable-fuzzing" >&2
	exit 1
fi
names=$*
if [ -z "$names" ]; then
	for dir in "$top_srcdir"/fuzz/corpus/*/; do
		names="$names $(basename "$dir")"
	done
fi

n=0
status=0
for name in $names; do
	n=$((n + 1))
	bin=$top_builddir/fuzz/$name-fuzzer
	work=$top_builddir/fuzz/work/$name
	findings=$top_builddir/fuzz/findings/$name
	log=$top_builddir/fuzz/run-$name.log
	mkdir -p "$work" "$findings"
	if [ ! -x "$bin" ]; then
		echo "not ok $n - fuzz $name: $bin was not built"
		status=1
		continue
	fi
	# fuzz/NAME.options: extra libFuzzer flags for one target (why: a
	# comment in the file).
	extra=$(grep -v '^#' "$top_srcdir/fuzz/$name.options" 2>/dev/null)
	# -use_value_profile: the checksums and magic numbers the parsers
	# compare against are found faster.
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" \
		-rss_limit_mb="$FUZZ_RSS_MB" -print_final_stats=1 -use_value_profile=1 -close_fd_mask=2 \
		$extra -artifact_prefix="$findings/" "$work" "$top_srcdir/fuzz/corpus/$name" \
		>"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - fuzz $name: ${execs:-?} executions in ${FUZZ_SECONDS} s (${rate:-?}/s, coverage ${cov:-?}), no fault"
	else
		echo "not ok $n - fuzz $name: a fault after ${execs:-?} executions; inputs in $findings:"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written|timeout' "$log" | head -n 20
		status=1
	fi
done
exit $status
