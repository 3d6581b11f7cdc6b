#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_oractl_backup.sh: the ledger's upkeep. A ledger made by the previous
# schema (tests/integration/data/ledger-v1.db) is upgraded in place by a
# newer orad, every row kept; a ledger from a newer ora is refused;
# `oractl backup` copies the ledger consistently while orad is answering
# requests; `oractl prune` removes old settled rows, refuses while one of
# them is unsettled or when budgets may still count them, keeps a summary
# and is audited.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
V1=$top_srcdir/tests/integration/data/ledger-v1.db
[ -f "$V1" ] || skip_all "no $V1"

# sql DB SQL: one row per line, columns separated by '|'.
sql() {
	"$PY3" - "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
}
# run OUT CMD...: stdout and stderr to $T/OUT; prints the exit status.
run() {
	o=$1
	shift
	"$@" >"$T/$o" 2>&1
	echo $?
}
owner() { [ -z "$daemon_user" ] || chown -R "${PFX}d" "$1"; }

start_mock
make_daemon_user
write_conf '  { everyone = true; role = "basic"; cost_centre = "dev"; }'
seal_keys || exit 1

# --- a version 1 ledger, upgraded by orad in place ---------------------------------
# Read a copy: opening the file where it is would leave SQLite's -shm
# beside it in the source tree (read-only under make distcheck).
cp "$V1" "$T/v1.db"
check "the test ledger is schema version 1" \
	[ "$(sql "$T/v1.db" 'PRAGMA user_version') $(sql "$T/v1.db" "SELECT value FROM meta WHERE key = 'schema_version'")" = "0 1" ]
cp "$V1" "$STATE/ledger.db"
chmod 600 "$STATE/ledger.db"
owner "$STATE"
before=$(sql "$STATE/ledger.db" "SELECT id, started_ms, user, cost_pico, reserved_pico FROM requests WHERE id != 3 ORDER BY id")
start_orad
check "orad starts on a version 1 ledger" kill -0 "$ORAD_PID"
check "  ... and upgrades it: PRAGMA user_version is 4" [ "$(ledger_sql 'PRAGMA user_version')" = 4 ]
check "  ... meta says 4 as well" [ "$(ledger_sql "SELECT value FROM meta WHERE key = 'schema_version'")" = 4 ]
check "  ... with the new table" [ "$(ledger_sql "SELECT COUNT(*) FROM sqlite_master WHERE name = 'pruned'")" = 1 ]
check "  ... every row kept" [ "$(ledger_sql 'SELECT COUNT(*) FROM requests')" = 5 ]
check "  ... settled and refused rows unchanged (row 3, unsettled, is orad's to reconcile)" \
	[ "$(ledger_sql "SELECT id, started_ms, user, cost_pico, reserved_pico FROM requests WHERE id != 3 ORDER BY id")" = "$before" ]

# --- a consistent backup while orad answers ----------------------------------------
CHAT='{"messages":[{"role":"user","content":"hello"}]}'
for i in 1 2 3 4 5; do req POST /api/v1/chat/completions "$CHAT" >/dev/null; done
ledger_flushed
rows_before=$(ledger_sql 'SELECT COUNT(*) FROM requests')
( for i in $(seq 1 40); do req POST /api/v1/chat/completions "$CHAT" >/dev/null; done ) &
LOAD=$!
rc=$(run b.out "$ORACTL" -c "$CONF" backup "$T/backup.db")
wait $LOAD
check "oractl backup while orad answers: exit 0" [ "$rc" = 0 ]
check "  ... says how many rows" grep -q "^backed up $STATE/ledger.db to $T/backup.db: [0-9]* request rows" "$T/b.out"
check "  ... the copy is 0600" [ "$(stat -c %a "$T/backup.db")" = 600 ]
mode=$(sql "$T/backup.db" 'PRAGMA journal_mode')
[ -e "$T/backup.db-wal" ] && mode="$mode, with a WAL"
check "  ... one file, no WAL beside it ($mode)" [ "$mode" = delete ]
check "  ... passes SQLite's integrity check" [ "$(sql "$T/backup.db" 'PRAGMA integrity_check')" = ok ]
n=$(sql "$T/backup.db" 'SELECT COUNT(*) FROM requests')
check "  ... holds at least every row folded before it ($n >= $rows_before)" [ "$n" -ge "$rows_before" ]
check "  ... and the count it printed" grep -q ": $n request rows" "$T/b.out"
check "  ... carries the schema version" [ "$(sql "$T/backup.db" 'PRAGMA user_version')" = 4 ]
check "  ... whose rows are a prefix of the ledger's (a snapshot, no gaps)" \
	[ "$(sql "$T/backup.db" 'SELECT MAX(id) - MIN(id) + 1 = COUNT(*) OR COUNT(*) = 0 FROM requests WHERE id > 5')" = 1 ]
rc=$(run b2.out "$ORACTL" -c "$CONF" backup "$T/backup.db")
check "a backup never overwrites: exit 1" [ "$rc" = 1 ]
check "  ... saying so" grep -q "exists; choose a new file" "$T/b2.out"
check "the backup is audited" sh -c "'$ORACTL' -c '$CONF' audit | grep -q 'backup'"
stop_all

# --- prune ------------------------------------------------------------------------
mkdir -p "$T/state2"
cp -r "$STATE/keys" "$T/state2/"
cp "$V1" "$T/state2/ledger.db"
chmod 600 "$T/state2/ledger.db" # a copy from a read-only source tree (distcheck) is 0444
chmod 700 "$T/state2"
owner "$T/state2"
sed "s|state_dir = \"$STATE\"|state_dir = \"$T/state2\"|" "$CONF" >"$T/prune.conf"
L2=$T/state2/ledger.db

rc=$(run p.out "$ORACTL" -c "$T/prune.conf" prune --before 2026-01-05)
check "prune over an unsettled row: refused, exit 3" [ "$rc" = 3 ]
check "  ... saying why" grep -q "1 row before that date has no settled cost yet" "$T/p.out"
check "  ... nothing removed" [ "$(sql "$L2" 'SELECT COUNT(*) FROM requests')" = 5 ]
check "  ... the refusal is audited" \
	[ "$(sql "$L2" "SELECT COUNT(*) FROM audit WHERE action = 'prune refused'")" = 1 ]

rc=$(run p.out "$ORACTL" -c "$T/prune.conf" prune --before "$(date -u -d '-3 days' +%Y-%m-%d)")
check "prune of rows budgets may count: refused, exit 3" [ "$rc" = 3 ]
check "  ... saying why" grep -q "budgets still count them" "$T/p.out"

rc=$(run p.out "$ORACTL" -c "$T/prune.conf" prune --before 2026-01-03 --dry-run)
check "prune --dry-run: exit 0, says what it would do" \
	sh -c "[ $rc = 0 ] && grep -q 'would prune 2 request rows started before 2026-01-03, costing \$0.000175' '$T/p.out'"
check "  ... and does nothing" [ "$(sql "$L2" 'SELECT COUNT(*) FROM requests')" = 5 ]

rc=$(run p.out "$ORACTL" -c "$T/prune.conf" prune --before 2026-01-03)
check "prune --before 2026-01-03: exit 0" [ "$rc" = 0 ]
check "  ... removes the two settled rows before it" \
	[ "$(sql "$L2" 'SELECT COUNT(*) FROM requests WHERE started_ms < 1767398400000')" = 0 ]
check "  ... keeps the others" [ "$(sql "$L2" 'SELECT COUNT(*) FROM requests')" = 3 ]
check "  ... a summary stays: 2 rows, 175000000 picodollars" \
	[ "$(sql "$L2" 'SELECT rows, cost_pico, before_ms FROM pruned')" = "2|175000000|1767398400000" ]
check "  ... audited, with the date and the count" \
	[ "$(sql "$L2" "SELECT detail FROM audit WHERE action = 'prune'")" = 'before 2026-01-03: 2 rows, $0.000175' ]
check "  ... this ledger was upgraded by oractl too" [ "$(sql "$L2" 'PRAGMA user_version')" = 4 ]

rc=$(run p.out "$ORACTL" -c "$T/prune.conf" prune --before 2026-02-30)
check "prune of a date that does not exist: exit 1" [ "$rc" = 1 ]

# --- a ledger from a newer ora is refused ---------------------------------------------
"$PY3" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version = 99"); c.commit()' "$L2"
rc=$(run p.out "$ORACTL" -c "$T/prune.conf" prune --before 2026-01-03)
check "a ledger from a newer ora: refused, exit 1" [ "$rc" = 1 ]
check "  ... naming both versions" grep -q "schema version 99, made by a newer ora; this one knows up to version 4" "$T/p.out"

finish
