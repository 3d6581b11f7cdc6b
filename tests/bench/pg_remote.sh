#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# pg_remote.sh: shared budgets with the database not on a Unix socket, run
# by `make bench`: pg_budget.sh's comparison (a SQLite broker beside one
# that also reserves each request's budget in PostgreSQL, open loop,
# taking turns) with the PostgreSQL broker reaching the server
#   tcp: over TCP on 127.0.0.1, straight to the server;
#   lan: over TCP through delay-relay, which holds every chunk for
#        BENCH_PG_DELAY_US (250) each way, a round trip of twice that, as a
#        database on another host of the LAN would be (tc's netem needs a
#        kernel module a container rarely has, and would slow the
#        benchmark's upstream too).
# Each variant is a run of pg_budget.sh of its own (same knobs:
# BENCH_RATE, BENCH_PG_ROUNDS, BENCH_PG_ROUND_S); "added" is per request,
# against SQLite. Not a test: prints figures only.
#
#   top_builddir=BUILD [top_srcdir=SRC] sh tests/bench/pg_remote.sh
#
# Knobs: BENCH_PG_DELAY_US (250), BENCH_PG_VARIANTS ("tcp lan"; "relay" is
# the relay with no delay, its own cost).
set -u

top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_builddir top_srcdir
DELAY_US=${BENCH_PG_DELAY_US:-250}
RELAY=$top_builddir/tests/bench/delay-relay
[ -x "$RELAY" ] || { echo "bench: $RELAY is not built; run 'make bench'" >&2; exit 1; }

# bench_pg_network: pg_budget.sh's hook, once the server runs on its Unix
# socket: restart it listening on 127.0.0.1 too (a free port), let the
# test's user in over TCP with its password, and for "lan" put the relay
# in front.
bench_pg_network() {
	port=$("$PY3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	pg_pause
	{ echo "host all all 127.0.0.1/32 scram-sha-256"; cat "$PGDATA/pg_hba.conf"; } >"$T/pg_hba.conf" &&
		cat "$T/pg_hba.conf" >"$PGDATA/pg_hba.conf" || return 1
	pg_as "$PG_BINDIR/pg_ctl" -D "$PGDATA" -l "$T/postgres.txt" -w -t 60 \
		-o "-k $PGSOCK -p $port -c listen_addresses=127.0.0.1 -c fsync=off" start \
		>"$T/pg_ctl.out" 2>&1 || { cat "$T/pg_ctl.out" "$T/postgres.txt"; return 1; }
	PG_RUNNING=1
	export PGPORT=$port # psql (pg_sql) finds the socket of this port
	case $VARIANT in
	tcp)
		BENCH_PG_PATH="the server on this machine, over TCP on 127.0.0.1"
		;;
	relay | lan)
		d=$DELAY_US
		[ "$VARIANT" = lan ] || d=0
		"$RELAY" "$T/relay.port" "$port" "$d" 2>"$T/relay.err" &
		PIDS="$PIDS $!"
		wait_until 10 test -s "$T/relay.port" || return 1
		port=$(cat "$T/relay.port")
		BENCH_PG_PATH="the server on this machine, over TCP through a relay adding $d us each way"
		;;
	esac
	BENCH_PG_CONNINFO="hostaddr=127.0.0.1 port=$port dbname=ora user=$PG_USER"
	echo "bench: PostgreSQL for the $VARIANT variant: $BENCH_PG_PATH"
	bench_pg_round_trip "$port"
}

# bench_pg_round_trip PORT: the path's own round trip, as pgbench (if
# installed) sees it: one client, SELECT 1, for two seconds.
bench_pg_round_trip() {
	pgb=$(command -v pgbench 2>/dev/null || echo "$PG_BINDIR/pgbench")
	[ -x "$pgb" ] || return 0
	echo 'SELECT 1;' >"$T/select1.sql"
	PGPASSWORD=$PG_PASSWORD "$pgb" -n -c 1 -T 2 -f "$T/select1.sql" -h 127.0.0.1 -p "$1" \
		-U "$PG_USER" ora >"$T/pgbench.out" 2>&1 &&
		echo "bench: the path's round trip (pgbench, one client, SELECT 1):" \
			"$(grep -o 'latency average = .*' "$T/pgbench.out")"
	return 0
}

for VARIANT in ${BENCH_PG_VARIANTS:-tcp lan}; do
	echo
	echo "== shared budgets, PostgreSQL $VARIANT =="
	(. "$top_srcdir/tests/bench/pg_budget.sh")
done
exit 0
