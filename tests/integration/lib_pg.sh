# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# lib_pg.sh: a real PostgreSQL server for a test, sourced after lib.sh.
#
# pg_start makes a cluster with initdb in $T/pg, owned by a test user (as
# root: initdb and postgres refuse to run as root), and starts it with
# pg_ctl, listening on a Unix socket in $T/pgsock and on no TCP port. The
# superuser is "ora", with a random password that the socket requires
# (scram-sha-256), so that ora's sealed password is really used. The
# server is stopped and its files removed when the test exits. Without the
# server's programs (Debian's postgresql package) the test is skipped,
# saying so.

PG_BINDIR=""
PGDATA=$T/pg
PGSOCK=$T/pgsock
PG_USER=ora
PG_PASSWORD="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PG_RUNNING=0

pg_find() {
	for d in /usr/lib/postgresql/*/bin "$(pg_config --bindir 2>/dev/null)" \
		"$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
			PG_BINDIR=$d
			return 0
		fi
	done
	return 1
}

# pg_as CMD...: run a server program as the cluster's owner.
pg_as() {
	if is_root; then
		(cd "$T" && as pg "$@")
	else
		(cd "$T" && "$@")
	fi
}

pg_stop() {
	[ "$PG_RUNNING" -eq 1 ] || return 0
	pg_as "$PG_BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
	PG_RUNNING=0
}

# pg_pause / pg_resume: stop the server (fast: connections are cut) and
# start it again on the same data, for tests of a database that goes away.
pg_pause() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
	PG_RUNNING=0
}
pg_resume() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PGDATA" -l "$T/postgres.txt" -w -t 60 \
		-o "-k $PGSOCK -c listen_addresses= -c fsync=off" start >"$T/pg_ctl.out" 2>&1 ||
		{ cat "$T/pg_ctl.out" "$T/postgres.txt"; exit 1; }
	PG_RUNNING=1
}

# pg_start: initdb, start, and create the database "ora".
pg_start() {
	grep -q '^#define HAVE_LIBPQ 1' "$top_builddir/config.h" ||
		skip_all "ora is built without PostgreSQL support (configure found no libpq)"
	pg_find || skip_all "no PostgreSQL server programs (initdb, pg_ctl, postgres: Debian's postgresql package)"
	command -v psql >/dev/null 2>&1 || skip_all "no psql (Debian's postgresql-client package)"
	if is_root; then
		add_user pg || skip_all "cannot create the user that runs PostgreSQL"
	fi
	mkdir -p "$PGDATA" "$PGSOCK"
	printf '%s\n' "$PG_PASSWORD" >"$T/pg.pw"
	: >"$T/postgres.txt"
	if is_root; then
		chown "${PFX}pg" "$PGDATA" "$PGSOCK" "$T/pg.pw" "$T/postgres.txt"
	fi
	chmod 700 "$PGDATA"
	chmod 755 "$PGSOCK"
	pg_as "$PG_BINDIR/initdb" -D "$PGDATA" -U "$PG_USER" --pwfile="$T/pg.pw" \
		--auth-local=scram-sha-256 --auth-host=reject -N -E UTF8 --locale=C \
		>"$T/initdb.out" 2>&1 || { cat "$T/initdb.out"; exit 1; }
	rm -f "$T/pg.pw"
	pg_resume
	pg_sql_db postgres "CREATE DATABASE ora" >/dev/null || exit 1
}

# pg_sql SQL: run SQL in the database "ora", printing rows as a|b.
pg_sql() { pg_sql_db ora "$1"; }
pg_sql_db() {
	PGPASSWORD=$PG_PASSWORD psql -X -A -t -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -U "$PG_USER" \
		-d "$1" -c "$2"
}

# pg_conninfo [DB]: what ledger.conninfo says to reach the test's server.
pg_conninfo() { echo "host=$PGSOCK dbname=${1:-ora} user=$PG_USER"; }

# The server stops before lib.sh's cleanup removes its directory.
trap 'pg_stop; cleanup' EXIT

# pg_shared_vs_mock: every generation the mock billed is in the shared
# ledger once, at the mock's cost, and the totals agree exactly; prints
# what differs. Needs lib.sh's mock_get and $T.
pg_shared_vs_mock() {
	mock_get /mock/generations "$T/gens.json"
	pg_sql "SELECT generation_id || ' ' || cost_pico || ' ' || count(*) OVER (PARTITION BY generation_id) FROM requests WHERE generation_id IS NOT NULL" >"$T/shared.txt"
	"$PY3" - "$T/gens.json" "$T/shared.txt" <<'PY'
import json, sys
gens = json.load(open(sys.argv[1]))
rows, bad = {}, 0
for line in open(sys.argv[2]):
    gid, cost, n = line.split()
    if n != "1":
        print("generation %s is in the shared ledger %s times" % (gid, n)); bad += 1
    rows[gid] = int(cost)
for g in gens["data"]:
    if rows.get(g["id"]) != g["cost_picodollars"]:
        print("generation %s: shared ledger %s, mock %d" % (g["id"], rows.get(g["id"]), g["cost_picodollars"])); bad += 1
total = sum(rows.get(g["id"], 0) for g in gens["data"])
if total != gens["total_cost_picodollars"] or len(rows) != len(gens["data"]):
    print("totals differ: shared %d in %d rows, mock %d in %d" % (total, len(rows), gens["total_cost_picodollars"], len(gens["data"]))); bad += 1
sys.exit(1 if bad else 0)
PY
}

# pg_shared_caught_up: pg_shared_vs_mock once the hosts have caught up.
# Each host ships its rows on its own, after an outage at its next try, so
# a row can still be on its way when every row already shipped is
# settled. A duplicate or a wrong cost never goes away: the wait (60 s)
# only delays such a failure, and the last comparison prints it.
pg_shared_caught_up() {
	wait_until 60 pg_shared_agrees
	pg_shared_vs_mock
}
pg_shared_agrees() { pg_shared_vs_mock >/dev/null 2>&1; }
