#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Refusals cost the refused, not the disk: a flood of refused requests (huge
# model names, a loop with no rule) grows the state directory and the log
# by a bounded amount; text a user sends cannot forge a log line; with
# little free space left, refusals are only counted and an alert is logged
# once (and once more when space is back).
. "$top_srcdir/tests/integration/lib.sh"

is_root || skip_all "needs root to create users and to mount a small filesystem"
need_binaries "$ORAD" "$ORACTL" "$MOCK"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"

# The ledger's constants (src/ledger/ledger.h, src/common/log.h).
TEXT_MAX=256
PER_MINUTE=10
MIN_FREE_MB=256

# The state directory on a filesystem of its own, a little larger than the
# free-space threshold, so that the test can take it below.
mkdir -p "$STATE"
mount -t tmpfs -o size=$((MIN_FREE_MB + 48))m,mode=0700 tmpfs "$STATE" 2>/dev/null ||
	skip_all "cannot mount a tmpfs for the state directory"
trap 'stop_all; umount "$STATE" 2>/dev/null; cleanup' EXIT

add_user alice eng
add_user mallory eng
add_user nobody_here
start_mock
make_daemon_user
write_conf "  { group = \"${PFX}eng\"; role = \"power\"; cost_centre = \"dev\"; }"
seal_keys || exit 1
# As oractl init leaves a state directory it creates: the daemon's own.
chown -R "${PFX}d" "$STATE"
start_orad

# flood USER N MODEL: N chat requests on one kept-alive connection; prints
# how many got each status.
cat >"$T/flood.py" <<'PY'
import collections, http.client, json, socket, sys
class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)
path, n, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if model.startswith("@"):
    model = model[1:] * 1
if model.startswith("big:"):
    model = model[4:] + "x" * (1 << 20)
body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]})
c = UnixConn(path)
seen = collections.Counter()
for i in range(n):
    c.request("POST", "/api/v1/chat/completions", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    seen[r.status] += 1
    if r.getheader("Connection", "").lower() == "close":
        c.close()
        c = UnixConn(path)
print(" ".join("%d:%d" % kv for kv in sorted(seen.items())))
PY
chmod 644 "$T/flood.py"
flood() { as "$1" "$PY3" "$T/flood.py" "$SOCK" "$2" "$3"; }
state_bytes() { ledger_current; du -sb "$STATE" | cut -f1; }
log_bytes() { stat -c %s "$T/orad.log"; }
MAL_UID=$(id -u "${PFX}mallory")

# 1. Forty refusals carrying a 1 MB model name.
before=$(state_bytes)
out=$(flood mallory 40 "big:nope/")
# Such a name is no model id: refused as a bad request before any policy.
check "40 requests with a 1 MB model name are refused ($out)" [ "$out" = "400:40" ]
after=$(state_bytes)
check "  ... and grow the state directory by less than 1 MiB ($before -> $after bytes)" \
	[ $((after - before)) -lt $((1 << 20)) ]
check "  ... the ledger keeps at most $TEXT_MAX bytes of the model name" \
	[ "$(ledger_sql "SELECT COALESCE(MAX(length(model_requested)), 0) FROM requests WHERE uid = $MAL_UID")" -le "$TEXT_MAX" ]
check "  ... and of the reason" \
	[ "$(ledger_sql "SELECT MAX(length(reason)) FROM requests WHERE uid = $MAL_UID")" -le "$TEXT_MAX" ]

# 2. A loop of 2,000 refusals: a few rows, one counting the rest.
before_log=$(log_bytes)
out=$(flood mallory 2000 "nope/model")
# Refusals count against the rate limit, which is checked first: past the
# role's requests_per_minute the loop is refused as rate_limited (429).
case " $out " in
*" 200:"*) ok=no ;;
*) ok=yes ;;
esac
check "2,000 refused requests, none served ($out)" [ "$ok" = yes ]
ledger_current
rows=$(ledger_sql "SELECT COUNT(*) FROM requests WHERE uid = $MAL_UID")
total=$(ledger_sql "SELECT SUM(count) FROM requests WHERE uid = $MAL_UID")
# Three reasons (bad_request, model_not_allowed, rate_limited); two minutes
# at most were crossed: (PER_MINUTE + 1) rows a minute and reason.
check "  ... take at most $((3 * 3 * (PER_MINUTE + 1))) ledger rows ($rows)" \
	[ "$rows" -le $((3 * 3 * (PER_MINUTE + 1))) ]
check "  ... which count every one of the 2,040 refusals ($total)" [ "$total" = 2040 ]
"$ORACTL" -c "$CONF" report --by user >"$T/report.out" 2>&1
check "  ... and oractl report shows 2,040 refused for mallory" \
	grep -Eq "${PFX}mallory .*2,?040" "$T/report.out"
grown=$(($(log_bytes) - before_log))
check "  ... and add less than 16 KiB to the log ($grown bytes)" [ "$grown" -lt 16384 ]

# 3. A user with no rule at all, 2,000 times.
before_log=$(log_bytes)
out=$(flood nobody_here 2000 "openai/gpt-4o-mini")
check "2,000 requests of a user with no rule are refused ($out)" [ "$out" = "403:2000" ]
grown=$(($(log_bytes) - before_log))
check "  ... and add less than 16 KiB to the log ($grown bytes)" [ "$grown" -lt 16384 ]

# 4. Another user is served meanwhile, and nothing refused went upstream.
s=$(as_req alice POST /api/v1/chat/completions \
	'{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}')
check "alice is served after the floods" [ "$s" = 200 ]
mock_get /mock/requests "$T/up.json"
check "  ... and hers is the only request that reached the upstream" \
	[ "$(json "$T/up.json" 'len(d["data"])')" = 1 ]

# 5. A newline in a model name cannot forge a log line.
FORGED='openai/gpt-4o-mini\nrequest uid=0 user=root pid=1 rule=1 role=admin'
s=$(as_req alice POST /api/v1/chat/completions \
	"{\"model\":\"$FORGED\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
echo "# the forged model name got $s: $(cat "$T/out")"
mallory_forged="nope/x\\nrefused uid=0 user=root status=200 type=none"
flood mallory 1 "$mallory_forged" >/dev/null
check "no log line starts with a forged 'request uid=0 user=root'" \
	sh -c "! grep -Eq '^(request|refused) uid=0' '$T/orad.log'"
escaped_or_absent() {
	grep -q 'gpt-4o-mini\\x0arequest uid=0' "$T/orad.log" ||
		! grep -q 'user=root pid=1 rule=1' "$T/orad.log"
}
check "  ... the name is logged with its newline as \\\\x0a, or not at all" escaped_or_absent
check "  ... every log line starts with a timestamp" \
	sh -c "! grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' '$T/orad.log'"

# 6. Little free space left: refusals only counted, one alert.
avail_mb=$(($(stat -f -c '%a * %S' "$STATE" | sed 's/ //g') / 1048576))
fill_mb=$((avail_mb - MIN_FREE_MB + 8))
fallocate -l "${fill_mb}M" "$STATE/fill" 2>/dev/null || dd if=/dev/zero of="$STATE/fill" bs=1M count="$fill_mb" 2>/dev/null
add_user trudy eng
TRUDY_UID=$(id -u "${PFX}trudy")
# orad looks at the free space at most once a second, at a refusal.
alerted() {
	flood mallory 1 "nope/space" >/dev/null
	grep -q 'ledger: ALERT: only .* MiB free' "$T/orad.log"
}
poll 300 alerted
out=$(flood trudy 50 "nope/low-space")
check "with under $MIN_FREE_MB MiB free, 50 refusals ($out)" [ "$out" = "403:50" ]
ledger_current
check "  ... are not recorded one by one (at most 2 rows)" \
	[ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE uid = $TRUDY_UID")" -le 2 ]
check "  ... but all counted" \
	[ "$(ledger_sql "SELECT SUM(count) FROM requests WHERE uid = $TRUDY_UID")" = 50 ]
flood trudy 50 "nope/low-space-again" >/dev/null
check "  ... and an admin alert is logged once" \
	[ "$(grep -c 'ledger: ALERT: only .* MiB free' "$T/orad.log")" = 1 ]
rm -f "$STATE/fill"
space_back() {
	flood trudy 1 "nope/space" >/dev/null
	grep -q 'free for .* again' "$T/orad.log"
}
poll 300 space_back
check "when space is back, that is logged once too" \
	[ "$(grep -c 'free for .* again' "$T/orad.log")" = 1 ]
finish
