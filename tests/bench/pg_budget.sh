#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# pg_budget.sh: what budgets held in a shared PostgreSQL ledger add to a
# request's latency beside the local SQLite ledger, run by `make bench`.
# Two brokers with the same policy and a budget on the cost centre: one
# keeps its budgets in its own SQLite ledger, the other also reserves them
# in PostgreSQL (a server on this machine, started here as in the tests)
# before each request goes upstream. ora-load sends the same short chat
# request to each at BENCH_RATE (200) requests per second, open loop, the
# two taking turns round by round; then as many as they take with
# BENCH_PG_CONCURRENCY (32) always in flight, closed loop: the throughput
# of admissions with a budget, which a broker sending one reservation at a
# time would cap near one per database round trip. Not a test: prints
# figures only.
#
#   top_builddir=BUILD [top_srcdir=SRC] sh tests/bench/pg_budget.sh
#
# Knobs: BENCH_RATE, BENCH_PG_ROUNDS (3), BENCH_PG_ROUND_S (3),
# BENCH_PG_CONCURRENCY (32; 0: no closed loop).
set -u

top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_builddir top_srcdir

RATE=${BENCH_RATE:-200}
ROUNDS=${BENCH_PG_ROUNDS:-3}
ROUND_S=${BENCH_PG_ROUND_S:-3}
WARMUP_S=0.5
CONC=${BENCH_PG_CONCURRENCY:-32}

LOAD=$top_builddir/tests/bench/ora-load
for b in "$top_builddir/orad" "$top_builddir/oractl" "$top_builddir/tests/mock/ora-mock" "$LOAD"; do
	[ -x "$b" ] || { echo "bench: $b is not built; run 'make bench'" >&2; exit 1; }
done
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_pg.sh"

skip() { echo "SKIP: shared budgets (PostgreSQL) beside SQLite: $*"; exit 0; }
grep -q '^#define HAVE_LIBPQ 1' "$top_builddir/config.h" || skip "built without libpq"
pg_find || skip "no PostgreSQL server programs (Debian's postgresql package)"
command -v psql >/dev/null 2>&1 || skip "no psql (Debian's postgresql-client package)"
is_root || skip "needs root to run PostgreSQL as a user of its own"

die() {
	echo "bench: $*" >&2
	FAILED=1
	exit 1
}

pg_start
# pg_remote.sh sources this script with bench_pg_network defined: it puts
# the database behind TCP (and a delay), setting BENCH_PG_CONNINFO and
# BENCH_PG_PATH.
if command -v bench_pg_network >/dev/null 2>&1; then
	bench_pg_network || die "cannot reach PostgreSQL as pg_remote.sh asks"
fi
start_mock
make_daemon_user
CONF_CENTRES='  dev = { key = "dev"; budget = { usd = 1000000.0; period = "monthly"; }; };'
write_conf '  { everyone = true; role = "bench"; cost_centre = "dev"; }' '
  bench = {
    models = [ "openai/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 100;
    requests_per_minute = 0;
    concurrent_requests = 0;
  };' "max_connections_per_uid = 4096;"
seal_keys || die "cannot seal the upstream keys"
# The PostgreSQL broker: a copy of the state (keys), its own socket and
# ledger, and the ledger section.
cp -a "$STATE" "$T/state-pg"
CONF_PG=$T/ora-pg.conf
sed -e "s|$SOCK|$T/pg.sock|" -e "s|state_dir = \"$STATE\"|state_dir = \"$T/state-pg\"|" \
	"$CONF" >"$CONF_PG"
printf 'ledger = { backend = "postgresql"; conninfo = "%s"; host_name = "bench"; password_key = "ledger-db"; };\n' \
	"${BENCH_PG_CONNINFO:-$(pg_conninfo)}" >>"$CONF_PG"
# init also says the master key exists (seal_keys made it): only the
# ledger's lines matter here.
printf '%s\n' "$PG_PASSWORD" | "$ORACTL" -c "$CONF_PG" init --ledger-password >"$T/init.out" 2>&1
grep -q "PostgreSQL ledger: schema version" "$T/init.out" || { cat "$T/init.out"; die "oractl init failed"; }
start_orad
"$ORAD" -f -c "$CONF_PG" 2>>"$T/orad-pg.log" &
PG_ORAD=$!
PIDS="$PIDS $PG_ORAD"
wait_until 30 sh -c "[ -S '$T/pg.sock' ] && curl -s --unix-socket '$T/pg.sock' -o /dev/null http://localhost/api/v1/me" ||
	die "the PostgreSQL broker did not start: $(cat "$T/orad-pg.log")"
echo "bench: shared budgets: orad (SQLite) $SOCK, orad (PostgreSQL) $T/pg.sock;" \
	"$ROUNDS rounds of $ROUND_S s each at $RATE rps"

run() { # run SOCKET NAME [MODE...]: open loop at RATE unless told otherwise
	sock=$1
	name=$2
	shift 2
	[ $# -gt 0 ] || set -- --rate "$RATE"
	"$LOAD" --url http://localhost/api/v1/chat/completions --unix-socket "$sock" "$@" \
		--warmup "$WARMUP_S" --duration "$ROUND_S" --samples "$T/$name.samples.$round" \
		>"$T/$name.out.$round" 2>"$T/$name.err.$round" ||
		{ cat "$T/$name.err.$round" >&2; die "ora-load failed in run '$name'"; }
	cat "$T/$name.samples.$round" >>"$T/$name.samples"
	mock_post /mock/reset '{}'
}
round=1
while [ $round -le $ROUNDS ]; do
	run "$SOCK" sqlite
	run "$T/pg.sock" pg
	if [ "$CONC" -gt 0 ]; then
		run "$SOCK" sqlite-closed --concurrency "$CONC"
		run "$T/pg.sock" pg-closed --concurrency "$CONC"
	fi
	round=$((round + 1))
done
pct() {
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
		r = int(p / 100 * NR + 0.999999); if (r < 1) r = 1; print (NR ? v[r] : 0) }'
}
errors() { cat "$T/$1".out.* | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=")
	if (kv[1] == "errors") e += kv[2] } } END { print e + 0 }'; }
held=$(pg_sql "SELECT count(*) FROM budget_holds")
echo
echo "Shared budgets (PostgreSQL) beside SQLite, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %9s %12s %9s\n' "latency at $RATE rps, us" "sqlite" "postgresql" "added"
for p in 50 90 99; do
	s=$(pct "$T/sqlite.samples" $p)
	g=$(pct "$T/pg.samples" $p)
	printf '%-34s %9s %12s %9s\n' "  p$p" "$s" "$g" "$((g - s))"
done
if [ "$CONC" -gt 0 ]; then
	rps() { cat "$T/$1".out.* | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=")
		if (kv[1] == "rps") printf "%s%.0f", (n++ ? "/" : ""), kv[2] } } END { print "" }'; }
	echo
	printf '%-34s %9s %12s\n' "closed loop of $CONC, rps per round" "sqlite" "postgresql"
	printf '%-34s %9s %12s\n' "" "$(rps sqlite-closed)" "$(rps pg-closed)"
	printf '%-34s %9s %12s\n' "  p50 latency, us" "$(pct "$T/sqlite-closed.samples" 50)" \
		"$(pct "$T/pg-closed.samples" 50)"
fi
echo
echo "Both brokers reserve on the cost centre's budget; the PostgreSQL one also waits for"
echo "its reservation in the shared ledger (one ora_budget_reserve call on a connection of"
echo "its own; ${BENCH_PG_PATH:-the server on this machine, over its Unix socket}) before going upstream."
echo "Reservations made there: $held; failed requests: sqlite $(errors sqlite), postgresql $(errors pg)."
[ "$CONC" -gt 0 ] && echo "Closed loop, failed requests: sqlite $(errors sqlite-closed), postgresql $(errors pg-closed)."
stop_all
exit 0
