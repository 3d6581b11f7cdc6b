#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_oractl_report.sh: `oractl report` against a ledger filled through the
# real ledger API (tests/unit/ledger_fill) with known rows: exact totals that
# equal the ledger's own SUM, CSV and JSON that parse back to the same
# numbers, grouping by every dimension, local days and months in
# Europe/Zurich (rows a millisecond either side of midnight at a month end,
# and a DST day), refused and unsettled rows, and a read-only ledger that
# keeps working while another connection holds a write transaction.
#
# A Python model computes every expected figure from the rows themselves
# (zoneinfo for the calendar), independently of SQLite and of oractl.
. "$top_srcdir/tests/integration/lib.sh"

FILL=$top_builddir/tests/unit/ledger_fill
need_binaries "$ORACTL" "$FILL"
export MOCK_URL=http://127.0.0.1:9 # read by write_conf; never contacted
make_daemon_user
write_conf '  { everyone = true; role = "basic"; cost_centres = [ "dev", "prod" ]; }' \
	'  basic = { models = [ "openai/*" ]; default_model = "openai/gpt-4o-mini"; };'
printf 'budgets = { timezone = "Europe/Zurich"; };\n' >>"$CONF"
mkdir -p "$STATE"
DB=$STATE/ledger.db
MODEL=$T/model.py

cat >"$MODEL" <<'PY'
import csv, io, json, random, sqlite3, sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Zurich")
FIELDS = ("state started user rule role centre key req served prompt completion reasoning "
          "cost reserved estimated").split()
DIMS = {
    "cost_centre": lambda r: r["centre"] or "-",
    "user": lambda r: r["user"],
    "group": lambda r: r["rule"][6:] if (r["rule"] or "").startswith("group ") else "-",
    "model": lambda r: r["served"] or r["req"] or "-",
    "key": lambda r: r["key"] or "-",
    "role": lambda r: r["role"] or "-",
    "day": lambda r: local(r["started"]).strftime("%Y-%m-%d"),
    "month": lambda r: local(r["started"]).strftime("%Y-%m"),
}
COUNTS = ("requests refused prompt_tokens completion_tokens reasoning_tokens estimated "
          "unsettled").split()

def local(ms):
    return datetime.fromtimestamp(ms // 1000, ZONE)

def zurich_ms(y, m, d, hh=0, mm=0, ss=0, ms=0):
    return int(datetime(y, m, d, hh, mm, ss, tzinfo=ZONE).timestamp()) * 1000 + ms

def usd(p):
    q, r = divmod(abs(p), 10**12)
    text = str(q) if r == 0 else ("%d.%012d" % (q, r)).rstrip("0")
    return ("-" if p < 0 else "") + text

def rows(now_ms):
    """The ledger's rows: special cases, then 400 seeded random ones."""
    S, U, O, R = "settled", "unsettled", "open", "refused"
    out = [
        # A millisecond either side of midnight, 2026-01-31 / 2026-02-01 in Zurich.
        (S, zurich_ms(2026, 1, 31, 23, 59, 59, 999), "mia", "group research", "power", "dev",
         "dev", "openai/gpt-4o", "openai/gpt-4o-2024-08-06", 1000, 2000, 300, 100000000000, 900000000000, 0),
        (S, zurich_ms(2026, 2, 1), "mia", "group research", "power", "dev", "dev",
         "openai/gpt-4o", "openai/gpt-4o-2024-08-06", 10, 20, 0, 200000000000, 900000000000, 0),
        # The DST day, 23 hours long: both on 2026-03-29.
        (S, zurich_ms(2026, 3, 29, 0, 30), "tom", "user tom", "basic", "prod", "prod",
         "openai/gpt-4o-mini", "openai/gpt-4o-mini", 5, 6, 0, 300000000000, 10**12, 0),
        (S, zurich_ms(2026, 3, 29, 23, 30), "tom", "user tom", "basic", "prod", "prod",
         "openai/gpt-4o-mini", "openai/gpt-4o-mini", 5, 6, 0, 1, 10**12, 1),
        # Refused, still in flight, being reconciled.
        (R, zurich_ms(2026, 2, 3, 9), "zoe", "everyone", "basic", "dev", "dev",
         "anthropic/claude-3.5-sonnet", None, 0, 0, 0, 0, 0, 0),
        (O, zurich_ms(2026, 2, 3, 10), "zoe", "everyone", "basic", "dev", "dev",
         "openai/gpt-4o-mini", None, 0, 0, 0, 0, 7000000000, 0),
        (U, zurich_ms(2026, 2, 3, 11), "zoe", "everyone", "basic", "dev", "dev",
         "openai/gpt-4o-mini", None, 40, 0, 0, 0, 3000000000, 0),
        # A name that needs CSV quoting, and a model with a terminal escape.
        (S, zurich_ms(2026, 2, 4, 12), 'o\'brien, "jr"', "group ops, west", "basic", "prod",
         "prod", "openai/gpt-4o-mini", "evil\x1b[31m/model", 1, 2, 0, 1234567890123, 10**12, 0),
        # Just outside 2026-01-01 .. 2026-03-31, and just inside.
        (S, zurich_ms(2025, 12, 31, 23, 59, 59, 999), "dave", "everyone", "basic", "dev", "dev",
         "openai/gpt-4o", "openai/gpt-4o", 1, 1, 0, 5 * 10**12, 10**13, 0),
        (S, zurich_ms(2026, 1, 1), "dave", "everyone", "basic", "dev", "dev",
         "openai/gpt-4o", "openai/gpt-4o", 1, 1, 0, 7, 10**13, 0),
        (S, zurich_ms(2026, 3, 31, 23, 59, 59, 999), "dave", "everyone", "basic", None, None,
         "openai/gpt-4o", "openai/gpt-4o", 1, 1, 0, 11, 10**13, 0),
        (S, zurich_ms(2026, 4, 1), "dave", "everyone", "basic", "dev", "dev",
         "openai/gpt-4o", "openai/gpt-4o", 1, 1, 0, 13, 10**13, 0),
        # Now, for --period today / this-month.
        (S, now_ms, "alice", "group research", "power", "dev", "dev", "openai/gpt-4o",
         "openai/gpt-4o", 1, 1, 0, 42, 10**12, 0),
    ]
    rnd = random.Random(20260131)
    users = [("alice", "group research", "power"), ("bob", "user bob", "basic"),
             ("carol", "everyone", "basic"), ("erin", "group research", "basic")]
    models = ["openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet",
              "meta-llama/llama-3.1-8b-instruct"]
    start, end = zurich_ms(2025, 12, 28), zurich_ms(2026, 4, 3)
    for _ in range(400):
        user, rule, role = rnd.choice(users)
        centre = rnd.choice(["dev", "prod"])
        model = rnd.choice(models)
        state = rnd.choice([S] * 12 + [R, U, O])
        t = rnd.randrange(start, end)
        reserved = rnd.randrange(10**9, 10**13)
        if state == S:
            cost = rnd.choice([rnd.randrange(0, 3 * 10**12), 10**11, 2 * 10**11, rnd.randrange(100)])
            toks = [rnd.randrange(0, 5000), rnd.randrange(0, 3000), rnd.choice([0, rnd.randrange(900)])]
            est = 1 if rnd.random() < 0.05 else 0
            if est:
                cost = reserved
        elif state == U:
            cost, toks, est = 0, [rnd.randrange(0, 5000), 0, 0], 0
        else:
            cost, toks, est = 0, [0, 0, 0], 0
        out.append((state, t, user, rule, role, centre, centre, model,
                    model + "-served" if state == S else None, *toks, cost, reserved, est))
    return [dict(zip(FIELDS, r)) for r in out]

def spec(now_ms):
    for r in rows(now_ms):
        print("|".join("-" if v is None else str(v) for v in r.values()))

def expect(now_ms, by, frm, to, user=None, centre=None):
    y, m, d = map(int, frm.split("-"))
    lo = zurich_ms(y, m, d)
    y, m, d = map(int, to.split("-"))
    hi = day_after(y, m, d)
    groups = {}
    for r in rows(now_ms):
        if not lo <= r["started"] < hi or (user and r["user"] != user) or \
                (centre and r["centre"] != centre):
            continue
        k = tuple(DIMS[b](r) for b in by)
        g = groups.setdefault(k, dict.fromkeys(COUNTS + ["spend", "reserved"], 0))
        pending = r["state"] in ("open", "unsettled")
        g["spend"] += r["cost"] if r["state"] == "settled" else 0
        g["requests"] += r["state"] != "refused"
        g["refused"] += r["state"] == "refused"
        g["prompt_tokens"] += r["prompt"]
        g["completion_tokens"] += r["completion"]
        g["reasoning_tokens"] += r["reasoning"]
        g["estimated"] += r["estimated"]
        g["unsettled"] += pending
        g["reserved"] += r["reserved"] if pending else 0
    return [(k, groups[k]) for k in sorted(groups)]

def day_after(y, m, d):
    from datetime import date, timedelta
    n = date(y, m, d) + timedelta(days=1)
    return zurich_ms(n.year, n.month, n.day)

def as_json_row(by, k, g):
    row = dict(zip(by, k))
    for name in ["spend"] + COUNTS + ["reserved"]:
        if name in ("spend", "reserved"):
            row[name + "_usd"] = usd(g[name])
            row[name + "_pico"] = g[name]
        else:
            row[name] = g[name]
    return row

def fail(msg):
    print("#", msg)
    sys.exit(1)

def check_json(path, now_ms, by, frm, to, user=None, centre=None):
    doc = json.load(open(path))
    want = [as_json_row(by, k, g) for k, g in expect(now_ms, by, frm, to, user, centre)]
    for key, val in (("from", frm), ("to", to), ("timezone", "Europe/Zurich"), ("group_by", by)):
        if doc[key] != val:
            fail("%s is %r, not %r" % (key, doc[key], val))
    # Compare in the same key order: the JSON keeps oractl's order.
    got = [dict(r) for r in doc["rows"]]
    if got != want:
        fail("rows differ:\n# got  %s\n# want %s" % (got[:3], want[:3]))
    total = {}
    for r in doc["rows"]:
        for n, v in r.items():
            if isinstance(v, int):
                total[n] = total.get(n, 0) + v
    for n, v in total.items():
        if doc["total"][n] != v:
            fail("total %s is %s, the rows add up to %s" % (n, doc["total"][n], v))
    for n in ("spend", "reserved"):
        if doc["total"][n + "_usd"] != usd(doc["total"][n + "_pico"]):
            fail("total %s_usd %s is not %s pico" % (n, doc["total"][n + "_usd"], doc["total"][n + "_pico"]))

def check_csv(path, now_ms, by, frm, to):
    raw = open(path, "rb").read()
    if not raw.endswith(b"\r\n") or raw.replace(b"\r\n", b"").find(b"\n") >= 0:
        fail("CSV records do not all end with CRLF")
    recs = list(csv.reader(io.StringIO(raw.decode(), newline="")))
    head = by + ["spend_usd"] + COUNTS + ["reserved_usd"]
    if recs[0] != head:
        fail("CSV header %s" % recs[0])
    want = []
    for k, g in expect(now_ms, by, frm, to):
        want.append(list(k) + [usd(g["spend"])] + [str(g[c]) for c in COUNTS] + [usd(g["reserved"])])
    if recs[1:] != want:
        fail("CSV rows differ:\n# got  %s\n# want %s" % (recs[1:3], want[:2]))

def ledger_sum(db, frm, to, where="1"):
    y, m, d = map(int, frm.split("-"))
    lo = zurich_ms(y, m, d)
    hi = day_after(*map(int, to.split("-")))
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    v = c.execute("SELECT COALESCE(SUM(cost_pico), 0) FROM requests WHERE started_ms >= ? AND "
                  "started_ms < ? AND " + where, (lo, hi)).fetchone()[0]
    c.close()
    return v

if __name__ == "__main__":
    cmd, now = sys.argv[1], int(sys.argv[2])
    if cmd == "spec":
        spec(now)
    elif cmd == "json":
        a = sys.argv[3:]
        check_json(a[0], now, a[1].split(","), a[2], a[3], *(x or None for x in a[4:]))
    elif cmd == "csv":
        a = sys.argv[3:]
        check_csv(a[0], now, a[1].split(","), a[2], a[3])
    elif cmd == "sum":
        print(ledger_sum(*sys.argv[3:]))
    elif cmd == "today":
        print(local(now).strftime("%Y-%m-%d"))
PY

# report ARGS...: oractl report with our configuration; output to $T/out,
# messages appended to $T/oractl.log (where sanitizer reports are looked for).
report() {
	"$ORACTL" -c "$CONF" report "$@" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/err" >>"$T/oractl.log"
	return $rc
}
NOW=$(($(date +%s) * 1000))
# model CMD ARGS: the Python model, with now as its second argument.
model() {
	cmd=$1
	shift
	"$PY3" "$MODEL" "$cmd" "$NOW" "$@"
}
# report_q1 ARGS...: the report for the first quarter of 2026.
report_q1() { report --from 2026-01-01 --to 2026-03-31 "$@"; }
no_escape() { ! grep -q "$(printf '\033')" "$1"; }

report
check "no ledger: exit 1" [ $? -eq 1 ]
check "no ledger: says so" grep -q "no ledger at $DB: orad has not recorded any request yet" "$T/err"

model spec >"$T/rows" && "$FILL" "$DB" <"$T/rows" 2>>"$T/oractl.log"
check "ledger filled through the ledger API ($(grep -c . "$T/rows") rows)" [ $? -eq 0 ]
SHA=$(sha256sum "$DB")
MTIME=$(stat -c %Y.%y "$DB")

# JSON: every grouping, checked row by row against the model.
for by in cost_centre user group model key role day month user,day cost_centre,user,model; do
	if report_q1 --by "$by" --format json && model json "$T/out" "$by" 2026-01-01 2026-03-31; then
		ok "JSON by $by: rows as the model says, total the sum of the rows"
	else
		not_ok "JSON by $by"
	fi
done
report_q1 --format json
check "JSON total equals SELECT SUM(cost_pico) on the file" \
	[ "$(json "$T/out" 'd["total"]["spend_pico"]')" = "$(model sum "$DB" 2026-01-01 2026-03-31)" ]
report --period all --format json
check "--period all: total equals SUM(cost_pico) of the whole file" \
	[ "$(json "$T/out" 'd["total"]["spend_pico"]')" = "$(model sum "$DB" 2000-01-01 2100-01-01)" ]

# Midnight at the month end in Zurich: two rows 1 ms apart, two days, two months.
report --from 2026-01-31 --to 2026-02-01 --by day,month --user mia --format json
check "midnight rows land on different days and months" [ "$(json "$T/out" \
	'[(r["day"], r["month"], r["spend_usd"]) for r in d["rows"]]')" = \
	'[["2026-01-31", "2026-01", "0.1"], ["2026-02-01", "2026-02", "0.2"]]' ]
report --from 2026-02-01 --to 2026-02-01 --user mia --format json
check "--from/--to are local days: 00:00:00.000 in, 23:59:59.999 before it out" \
	[ "$(json "$T/out" 'd["total"]["spend_pico"]')" = 200000000000 ]
report --from 2026-03-29 --to 2026-03-29 --user tom --by day --format json
check "the 23-hour DST day holds both its rows" \
	[ "$(json "$T/out" '[(r["day"], r["requests"]) for r in d["rows"]]')" = '[["2026-03-29", 2]]' ]
check "filters: --user with --from/--to" model json "$T/out" day 2026-03-29 2026-03-29 tom
report_q1 --cost-centre prod --by user --format json
check "filters: --cost-centre" model json "$T/out" user 2026-01-01 2026-03-31 "" prod

# Refused, open and unsettled rows: counted, never as spend.
report --from 2026-02-03 --to 2026-02-03 --user zoe --format json
check "refused, open and unsettled rows counted as such" [ "$(json "$T/out" \
	'[d["total"][k] for k in ("requests", "refused", "unsettled", "reserved_usd", "spend_usd")]')" = \
	'[2, 1, 2, "0.01", "0"]' ]
report --from 2026-02-03 --to 2026-02-03 --user zoe --by model --format json
check "a refused row shows the model asked for" [ "$(json "$T/out" '[r["model"] for r in d["rows"]]')" = \
	'["anthropic/claude-3.5-sonnet", "openai/gpt-4o-mini"]' ]

# CSV: RFC 4180, parses back to the model's numbers.
for by in cost_centre user group,model day; do
	if report_q1 --by "$by" --format csv && model csv "$T/out" "$by" 2026-01-01 2026-03-31; then
		ok "CSV by $by parses back to the same numbers"
	else
		not_ok "CSV by $by"
	fi
done
report_q1 --by user --format csv
check "CSV quotes a name with a comma and quotes" grep -q '^"o'"'"'brien, ""jr""",' "$T/out"

# The table: a title, a header, the rows, a TOTAL that matches the JSON.
report_q1 --format json && cp "$T/out" "$T/total.json"
report_q1
check "table: title with dates and zone" \
	grep -q '^From 2026-01-01 to 2026-03-31 (Europe/Zurich), amounts in USD$' "$T/out"
check "table: header" grep -q '^COST CENTRE  *SPEND  *REQUESTS  *REFUSED  *PROMPT' "$T/out"
check "table: TOTAL line equals the JSON total" [ "$(awk '$1 == "TOTAL" { print $2, $3, $4 }' "$T/out")" = \
	"$(json "$T/total.json" '" ".join(str(d["total"][k]) for k in ("spend_usd", "requests", "refused"))')" ]
check "table: one line per cost centre, plus title, header and total" [ "$(wc -l <"$T/out")" -eq \
	$(($(json "$T/total.json" 'len(d["rows"])') + 3)) ]
report_q1 --by model
check "table: no control character reaches the terminal" no_escape "$T/out"
check "table: ... shown as '?'" grep -q 'evil?\[31m/model' "$T/out"

# Periods, at the real now (the model's "today" is Zurich's).
report --period today --format json
if [ "$(model today)" = "$(json "$T/out" 'd["from"]')" ]; then
	check "--period today: from = to = today, the row made now included" [ "$(json "$T/out" \
		'(d["to"] == d["from"], d["total"]["spend_pico"] >= 42)')" = "(True, True)" ]
	report --format json
	check "default period: this month" [ "$(json "$T/out" 'd["from"][8:]')" = 01 ]
else
	ok "# skip --period today: midnight passed while testing"
fi

# Empty range, and mistakes.
report --from 2030-01-01 --to 2030-01-31 --format csv
check "empty range: CSV is the header alone" [ "$(wc -l <"$T/out")" -eq 1 ]
report --from 2030-01-01 --to 2030-01-31
check "empty range: table TOTAL is 0" [ "$(awk '$1 == "TOTAL" { print $2, $3 }' "$T/out")" = "0 0" ]
for args in "--by colour" "--from 2026-02-30" "--from 2026-3-01" "--from 2026-03-02 --to 2026-03-01" \
	"--period fortnight" "--period today --from 2026-01-01" "--format xml" "--by" "stray"; do
	# shellcheck disable=SC2086
	report $args
	rc=$?
	check "usage mistake exits 2 with a message: $args" [ "$rc" -eq 2 -a -s "$T/err" ]
done
report --by colour
check "unknown --by names the choices" grep -q \
	"cannot group by 'colour': use cost_centre, user, group, model, key, role, day, month or host" "$T/err"

# Read-only: the file is as it was after all of the above.
check "read-only: ledger.db unchanged (contents)" [ "$(sha256sum "$DB")" = "$SHA" ]
check "read-only: ledger.db unchanged (mtime)" [ "$(stat -c %Y.%y "$DB")" = "$MTIME" ]

# As root on orad's file, SQLite's side files (-wal, -shm) must stay orad's,
# or orad could not open its own ledger after a report.
if is_root && id "${PFX}d" >/dev/null 2>&1; then
	rm -f "$DB-wal" "$DB-shm"
	chown "${PFX}d" "$DB"
	report_q1 >/dev/null
	check "as root: the side files a report creates belong to the ledger's owner" \
		[ "$(stat -c %U "$DB"-* | sort -u)" = "${PFX}d" ]
fi

# A newer schema, and a file that is no ledger.
cp "$DB" "$T/saved.db"
"$PY3" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE meta SET value = 99 WHERE key = \"schema_version\""); c.commit()' "$DB"
report
check "a ledger from a newer orad is refused" grep -q "schema version 99, newer" "$T/err"
echo "not a database" >"$DB"
rm -f "$DB-wal" "$DB-shm"
report
check "a file that is no ledger is refused" grep -q "not an ora ledger" "$T/err"
cp "$T/saved.db" "$DB"
rm -f "$DB-wal" "$DB-shm"

# A writer holds a write transaction with an uncommitted row: the report
# neither waits nor sees it; once committed (and the writer killed before
# any checkpoint) the row is read from the WAL.
report_q1 --format json
BEFORE=$(json "$T/out" 'd["total"]["spend_pico"]')
# 2026-02-10 10:00 in Zurich
"$PY3" - "$DB" "$T" 1770714000000 <<'PY' &
import os, sqlite3, sys, time
db, t, ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = sqlite3.connect(db, isolation_level=None, timeout=5)
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO requests (started_ms, state, uid, user, cost_centre, cost_pico) "
          "VALUES (?, 'settled', 1, 'mallory', 'dev', 999000000000000)", (ms,))
open(t + "/held", "w").close()
while not os.path.exists(t + "/commit"):
    time.sleep(0.02)
c.execute("COMMIT")
open(t + "/committed", "w").close()
os.kill(os.getpid(), 9)
PY
WRITER=$!
wait_for_file "$T/held"
start=$(date +%s)
report_q1 --format json
check "while a write transaction is held: the report runs" [ $? -eq 0 ]
check "... without waiting for it" [ $(($(date +%s) - start)) -lt 2 ]
check "... and without the uncommitted row" [ "$(json "$T/out" 'd["total"]["spend_pico"]')" = "$BEFORE" ]
touch "$T/commit"
wait_for_file "$T/committed"
wait "$WRITER" 2>/dev/null
report_q1 --format json
check "committed, writer killed: the row is read from the WAL" \
	[ "$(json "$T/out" 'd["total"]["spend_pico"]')" = $((BEFORE + 999000000000000)) ]
check "... and the total still equals the file's SUM" \
	[ "$(json "$T/out" 'd["total"]["spend_pico"]')" = "$(model sum "$DB" 2026-01-01 2026-03-31)" ]

finish
