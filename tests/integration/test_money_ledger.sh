#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# The ledger's database cannot be written for a while (another process holds
# its write lock): orad keeps serving, every write waits in its intent log,
# and once the database is free again everything is in it, exactly. Then
# the same with orad killed (kill -9) while its writes exist only in the
# intent log: the next start replays them, once.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
ME=$(id -un)
start_mock
make_daemon_user
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }" '
  basic = {
    models = [ "openai/gpt-4o-mini" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 200;
    requests_per_minute = 10000;
    concurrent_requests = 16;
    budget = { usd = 10.0; period = "monthly"; };
  };'
seal_keys || exit 1
start_orad

# lock_ledger: hold SQLite's write lock on ledger.db (BEGIN IMMEDIATE)
# until $T/unlock appears; $T/locked says it is held.
lock_ledger() {
	rm -f "$T/locked" "$T/unlock"
	"$PY3" - "$STATE/ledger.db" "$T" <<'PY' &
import os, sqlite3, sys, time
db, t = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db, isolation_level=None, timeout=60)
c.execute("BEGIN IMMEDIATE")
open(t + "/locked", "w").close()
while not os.path.exists(t + "/unlock"):
    time.sleep(0.02)
c.execute("COMMIT")
PY
	LOCKER=$!
	wait_for_file "$T/locked" || { echo "could not lock the ledger"; exit 1; }
}
unlock_ledger() {
	touch "$T/unlock"
	wait "$LOCKER"
}
# Straight from the file, not through ledger_sql (which asks orad to fold).
rows_on_disk() {
	"$PY3" -c 'import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
print(db.execute("SELECT COUNT(*) FROM requests").fetchone()[0])' "$STATE/ledger.db"
}
pending_writes() {
	req GET /api/v1/admin/status >/dev/null
	json "$T/out" 'd["ledger"]["pending_writes"]'
}

s=$(req POST /api/v1/chat/completions "$CHAT")
check "a first answer" [ "$s" = 200 ]
# Before anything reads through orad (which folds first): the journal's
# own timer brings the row to ledger.db, for a direct reader, in a second.
one_on_disk() { [ "$(rows_on_disk)" -eq 1 ]; }
check "  ... reaches ledger.db with no reader asking" wait_until 30 one_on_disk
check "  ... is in the ledger" mock_vs_ledger

lock_ledger
ok_answers=0
i=0
while [ $i -lt 20 ]; do
	if [ $((i % 2)) -eq 0 ]; then
		s=$(req POST /api/v1/chat/completions "$CHAT")
	else
		s=$(req POST /api/v1/chat/completions '{"stream":true,"messages":[{"role":"user","content":"hi"}]}')
	fi
	[ "$s" = 200 ] && ok_answers=$((ok_answers + 1))
	i=$((i + 1))
done
check "with the database locked, orad still answers every request" [ "$ok_answers" -eq 20 ]
check "  ... their writes wait in the intent log (status shows them)" [ "$(pending_writes)" -gt 0 ]
check "  ... and none of them is in the database yet" [ "$(rows_on_disk)" -eq 1 ]
# (The journal folds within JOURNAL_FOLD_MS, 1 s, of the first write.)
said_why() { grep -q 'database is locked; retrying' "$T/orad.log"; }
check "  ... orad says why" wait_until 30 said_why
check "  ... once" [ "$(grep -c 'database is locked; retrying' "$T/orad.log")" -eq 1 ]
"$ORACTL" -c "$CONF" status >"$T/status.out" 2>&1
check "  ... and oractl status says so" grep -q "writes not yet in the database" "$T/status.out"
unlock_ledger
drained() { [ "$(pending_writes)" = 0 ]; }
check "once the lock is gone, the writes reach the database" wait_until 30 drained
said_again() { grep -q "writes reach the database again" "$T/orad.log"; }
check "  ... orad says so" wait_until 30 said_again
check "  ... every request is there once, at the cost the upstream billed" mock_vs_ledger
check "  ... all 21 rows, settled" \
	[ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state = 'settled'")" -eq 21 ]

# Killed while its writes are only in the intent log.
lock_ledger
i=0
while [ $i -lt 10 ]; do
	req POST /api/v1/chat/completions "$CHAT" >/dev/null
	i=$((i + 1))
done
check "10 more answers wait in the log" [ "$(pending_writes)" -gt 0 ]
kill -9 "$ORAD_PID"
wait "$ORAD_PID" 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $ORAD_PID//")
unlock_ledger
check "after kill -9 the database holds only the earlier 21 rows" [ "$(rows_on_disk)" -eq 21 ]
"$ORACTL" -c "$CONF" report >"$T/report.out" 2>"$T/report.err"
check "a report meanwhile says what it lacks, and how to get it" \
	grep -q "ledger writes of a broker that stopped are not in $STATE/ledger.db yet, so this report lacks them: start orad" \
	"$T/report.err"
check "  ... and still reports the 21 rows" grep -q "21" "$T/report.out"
start_orad
check "the restart replays what the log held" grep -q "replaying [0-9]* writes" "$T/orad.log"
check "  ... every request is in the ledger once, at its exact cost" mock_vs_ledger
check "  ... 31 rows, all settled, none estimated" \
	[ "$(ledger_sql "SELECT COUNT(*), SUM(state = 'settled'), SUM(estimated) FROM requests")" = "31|31|0" ]
check "  ... with ids that never repeat" \
	[ "$(ledger_sql "SELECT COUNT(DISTINCT id) FROM requests")" -eq 31 ]
s=$(req POST /api/v1/chat/completions "$CHAT")
check "the restarted broker serves and records" [ "$s" = 200 ]
check "  ... its row follows the replayed ones" \
	[ "$(ledger_sql "SELECT COUNT(*), MAX(id) = 32 FROM requests")" = "32|1" ]
# A running broker folds its writes itself: a report does not warn of
# them, even while some wait in the log.
lock_ledger
req POST /api/v1/chat/completions "$CHAT" >/dev/null
"$ORACTL" -c "$CONF" report >"$T/report.out" 2>"$T/report.err"
check "with writes waiting in a running broker's log" [ "$(pending_writes)" -gt 0 ]
unlock_ledger
check "  ... a report has nothing to say of them" \
	sh -c "! grep -q 'writes of a broker that stopped' '$T/report.err'"
finish
