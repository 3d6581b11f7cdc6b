#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# corpus.sh: run every fuzz target over its seed corpus, fuzz/corpus/NAME/
# (make check). A libFuzzer build runs each input once (-runs=0); a plain
# build's replay main() does the same. A crash or a sanitizer report fails
# the target; so does a corpus without its target.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
# Leaks inside libraries that fuzz/lsan.supp names are not ours to fix.
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top_srcdir/fuzz/lsan.supp:print_suppressions=0}
export LSAN_OPTIONS
n=0
status=0
for dir in "$top_srcdir"/fuzz/corpus/*/; do
	name=$(basename "$dir")
	bin=$top_builddir/fuzz/$name-fuzzer
	n=$((n + 1))
	count=$(find "$dir" -type f | wc -l)
	if [ ! -x "$bin" ]; then
		echo "not ok $n - fuzz target $name: $bin was not built"
		status=1
		continue
	fi
	if "$bin" -runs=0 "$dir" >"$top_builddir/fuzz/corpus-$name.out" 2>&1; then
		echo "ok $n - fuzz target $name runs its $count seeds without a fault"
	else
		echo "not ok $n - fuzz target $name faults on a seed:"
		tail -n 40 "$top_builddir/fuzz/corpus-$name.out"
		status=1
	fi
done
exit $status
