#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Sustained load: the ledger's WAL stays under its bound however long the
# load lasts (its checkpointer restarts the log while the broker keeps
# writing), and every request the upstream billed is in the ledger at the
# upstream's price. ORA_SUSTAINED_S sets the length (default 60 s; e.g. 600
# for the 10-minute run), ORA_SUSTAINED_CONCURRENCY the requests in flight.
. "$top_srcdir/tests/integration/lib.sh"

LOAD=$top_builddir/tests/bench/ora-load
need_binaries "$ORAD" "$ORACTL" "$MOCK" "$LOAD"
DURATION=${ORA_SUSTAINED_S:-60}
CONCURRENCY=${ORA_SUSTAINED_CONCURRENCY:-32}
# The ledger's stated bound (LEDGER_WAL_MAX_BYTES in src/ledger/ledger.c).
WAL_MAX=$((64 << 20))

start_mock
make_daemon_user
CONF_CENTRES='  dev = { key = "dev"; };'
write_conf '  { everyone = true; role = "load"; cost_centre = "dev"; }' '
  load = {
    models = [ "openai/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 0;
    requests_per_minute = 0;
    concurrent_requests = 0;
  };' "max_connections_per_uid = $((CONCURRENCY + 64));"
seal_keys || exit 1
start_orad

# The WAL's size, sampled every 0.2 s while the load runs: "seconds bytes".
WAL=$STATE/ledger.db-wal
(
	start=$(date +%s)
	while [ ! -e "$T/load.done" ]; do
		echo "$(($(date +%s) - start)) $(stat -c %s "$WAL" 2>/dev/null || echo 0)"
		sleep 0.2
	done
) >"$T/wal.samples" &
SAMPLER=$!
"$LOAD" --url http://localhost/api/v1/chat/completions --unix-socket "$SOCK" \
	--concurrency "$CONCURRENCY" --duration "$DURATION" --warmup 0 --timeout 30 \
	--timeline "$T/load.timeline" >"$T/load.out" 2>"$T/load.err"
LOAD_RC=$?
touch "$T/load.done"
wait $SAMPLER
check "the load ran ($(cat "$T/load.out"))" [ "$LOAD_RC" = 0 ]
# The bench's timeline (due time, latency) holds every measured request,
# its slowest that of the summary.
load_field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$T/load.out"; }
check "  ... its timeline has a line for each of its $(load_field requests) requests" \
	[ "$(awk 'NF == 2 && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/' "$T/load.timeline" | wc -l)" = \
	"$(load_field requests)" ]
check "  ... and its slowest is the summary's max_us" \
	[ "$(sort -n -k2 "$T/load.timeline" | tail -n 1 | cut -d' ' -f2)" = "$(load_field max_us)" ]

max=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$T/wal.samples")
n=$(wc -l <"$T/wal.samples")
# One line a ten seconds for the record: seconds, then the WAL's largest size.
awk '{ b = int($1 / 10); if ($2 > m[b]) m[b] = $2; if (b > last) last = b }
	END { for (i = 0; i <= last; i++) printf "%s%d:%.1fMiB", i ? " " : "# wal by 10 s: ", i * 10, m[i] / 1048576; print "" }' \
	"$T/wal.samples"
check "the WAL stayed under $((WAL_MAX >> 20)) MiB for ${DURATION} s ($n samples, largest $max bytes)" \
	[ "$max" -lt "$WAL_MAX" ]

mock_get '/mock/generations?summary=1' "$T/gen.json"
up_n=$(json "$T/gen.json" 'd["count"]')
up_pico=$(json "$T/gen.json" 'd["total_cost_picodollars"]')
# Settlements ride on the next fold: wait for every row to be settled.
all_settled() { [ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state <> 'settled'")" = 0 ]; }
poll 100 all_settled || true
led=$(ledger_sql "SELECT COUNT(*), COALESCE(SUM(cost_pico), 0) FROM requests WHERE state = 'settled'")
check "the ledger has a settled row for each of the $up_n generations the upstream billed" \
	[ "${led%%|*}" = "$up_n" ]
check "  ... and the same total, $up_pico picodollars" [ "${led#*|}" = "$up_pico" ]
check "  ... and no row left open or refused" \
	[ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state <> 'settled'")" = 0 ]
check "  ... having served more than one request a second" [ "$up_n" -gt "$DURATION" ]
finish
