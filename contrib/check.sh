#!/bin/bash
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# check.sh: the whole test suite from a fresh checkout: install dependencies,
# build with warnings as errors and AddressSanitizer + UBSan, run every unit
# and integration test, then run the daemon's lifecycle under valgrind in a
# plain build, then run every fuzz target for FUZZ_SECONDS (20) seconds with
# clang, libFuzzer, ASan and UBSan (fuzz/README.md). Ends with one line:
# "N passed, N failed".
#
# Integration tests that need several real Unix users run only as root (they
# create and remove their own users and groups); without root they print SKIP.
set -u
cd "$(dirname "$0")/.."
SRC=$(pwd)
JOBS=${JOBS:-2}

contrib/deps.sh || exit 1
[ -x configure ] || autoreconf -fi || exit 1
contrib/unconfigure-in-tree.sh || exit 1

run_suite() { # DIR CONFIGURE-ARGS... ; then the make check arguments in CHECK_ARGS
	dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && "$SRC/configure" --quiet "$@" >configure.out 2>&1) ||
		{ cat "$dir/configure.out"; return 1; }
	make -C "$dir" -j"$JOBS" >"$dir/build.out" 2>&1 || { tail -n 60 "$dir/build.out"; return 1; }
	make -C "$dir" -j"$JOBS" check $CHECK_ARGS
}

# Each fuzz target runs for a short fixed time; a crash, a leak, a hang or
# a sanitizer report fails it (its input is left in build-fuzz/fuzz/findings).
# One TAP line per target in build-fuzz/fuzz.tap, counted below.
fuzz_suite() {
	dir=build-fuzz
	mkdir -p "$dir"
	rm -f "$dir/fuzz.tap"
	(cd "$dir" && CC=clang "$SRC/configure" --quiet --enable-werror --enable-fuzzing \
		>configure.out 2>&1) || { cat "$dir/configure.out"; return 1; }
	make -s --no-print-directory -C "$dir" -j"$JOBS" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}" >"$dir/fuzz.tap" 2>"$dir/fuzz.err"
	r=$?
	grep -E '^(not )?ok ' "$dir/fuzz.tap"
	[ "$r" -eq 0 ] || { grep -v '^ok ' "$dir/fuzz.tap"; tail -n 40 "$dir/fuzz.err"; }
	return $r
}

status=0
CHECK_ARGS="" run_suite build-asan --enable-werror --enable-sanitizers || status=1
CHECK_ARGS="TESTS=tests/integration/test_orad_valgrind.sh" run_suite build-plain --enable-werror || status=1
fuzz_suite || status=1

# The release tarball builds, installs and passes its own suite (one check).
distcheck_pass=0 distcheck_fail=0
if make -C build-plain -j"$JOBS" distcheck >build-plain/distcheck.out 2>&1; then
	distcheck_pass=1
	echo "PASS: make distcheck"
else
	distcheck_fail=1 status=1
	echo "FAIL: make distcheck"
	# The suite's lines come in the order tests finish: name the failures
	# and show their own logs, not merely the last lines of make's output.
	grep -E '^(FAIL|ERROR|XPASS): ' build-plain/distcheck.out
	for log in $(grep -lE '^:test-result: (FAIL|ERROR)' $(find build-plain -path '*/_build/*' -name '*.trs') 2>/dev/null); do
		echo "--- ${log%.trs}.log"
		tail -n 40 "${log%.trs}.log"
	done
	tail -n 20 build-plain/distcheck.out
fi

# Totals over every individual check: Check's per-test results and the
# integration tests' "ok"/"not ok" lines; a test program that failed without
# reporting counts as one failure.
passed=0
failed=0
for log in $(find build-asan build-plain -name '*.log' ! -name 'test-suite.log' ! -name 'config.log' ! -path '*/_build/*' 2>/dev/null); do
	trs=${log%.log}.trs
	[ -f "$trs" ] || continue
	result=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
	checks=$(sed -n 's/^[0-9]*%: Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$log" | tail -n 1)
	oks=$(grep -cE '^ok( [0-9]+)? - ' "$log" || true)
	notoks=$(grep -cE '^not ok( [0-9]+)? - ' "$log" || true)
	p=0 f=0
	if [ -n "$checks" ]; then
		set -- $checks
		f=$(($2 + $3))
		p=$(($1 - f))
	fi
	p=$((p + oks))
	f=$((f + notoks))
	case $result in
	FAIL | ERROR) [ "$f" -gt 0 ] || f=1 ;;
	PASS) [ "$p" -gt 0 ] || p=1 ;;
	esac
	if [ "$result" = FAIL ] || [ "$result" = ERROR ]; then
		echo "=== $log ($result)"
		tail -n 80 "$log"
		status=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
fuzz_ok=$(grep -cE '^ok [0-9]+ - fuzz ' build-fuzz/fuzz.tap 2>/dev/null)
fuzz_failed=$(grep -cE '^not ok [0-9]+ - fuzz ' build-fuzz/fuzz.tap 2>/dev/null)
# A fuzz build that failed before any target ran is one failure.
if [ "${fuzz_ok:-0}" -eq 0 ] && [ "${fuzz_failed:-0}" -eq 0 ]; then
	fuzz_failed=1
fi
passed=$((passed + ${fuzz_ok:-0}))
failed=$((failed + ${fuzz_failed:-0}))
for s in build-asan/test-suite.log build-plain/test-suite.log; do
	[ -f "$s" ] && grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$s" | tr '\n' ' ' && echo " ($s)"
done
grep -h '^SKIP: ' build-asan/tests/*/*.log build-plain/tests/*/*.log 2>/dev/null || true
passed=$((passed + distcheck_pass))
failed=$((failed + distcheck_fail))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
