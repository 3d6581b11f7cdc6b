# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# lib.sh: shared set-up for ora's integration tests, sourced by each test.
#
# Each test runs hermetically: its own temporary directory, its own mock
# upstream on a free loopback port, its own orad on its own socket, and (as
# root) its own Unix users and groups, all removed on exit. Tests print one
# line per check ("ok - ..." / "not ok - ...") and exit 0, 1, or 77 (skip).

set -u
: "${top_builddir:?run through make check}" "${top_srcdir:?run through make check}"

ORAD=$top_builddir/orad
ORACTL=$top_builddir/oractl
ORASK=$top_builddir/orask
MOCK=$top_builddir/tests/mock/ora-mock
TEST_NAME=$(basename "$0" .sh)
# The system interpreter, which other users can run too (a per-user
# installation under /root is not reachable once a test switches users).
PY3=/usr/bin/python3
[ -x "$PY3" ] || PY3=$(command -v python3)

T=$(mktemp -d /tmp/ora-it.XXXXXX)
chmod 755 "$T"
SOCK=$T/ora.sock
CONF=$T/ora.conf
STATE=$T/state
FAILED=0
PIDS=""
CREATED_USERS=""
CREATED_GROUPS=""
# Short unique prefix for users and groups, so tests can run in parallel.
PFX="ot$(printf '%05d' $(($$ % 100000)))"

# Two upstream keys in OpenRouter's shape; only the mock knows them.
KEY_DEV="sk-or-v1-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
KEY_PROD="sk-or-v1-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	for u in $CREATED_USERS; do userdel "$u" >/dev/null 2>&1 || true; done
	for g in $CREATED_GROUPS; do groupdel "$g" >/dev/null 2>&1 || true; done
	if [ "$FAILED" -ne 0 ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $f, last 60 lines"
			tail -n 60 "$f"
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILED=$((FAILED + 1)); }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
skip_all() { echo "SKIP: $TEST_NAME: $*"; exit 77; }
# stop_all: SIGTERM every process we started and wait, so that sanitizer
# reports (written at exit) are in the logs before we look.
stop_all() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	PIDS=""
}
# sanitizer_clean: no AddressSanitizer/UBSan/LeakSanitizer report in any log.
sanitizer_clean() {
	! grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|Sanitizer has encountered a fatal error' "$T"/*.log 2>/dev/null
}
finish() {
	stop_all
	check "no sanitizer report in any daemon log" sanitizer_clean
	if [ "$FAILED" -ne 0 ]; then
		echo "$TEST_NAME: $FAILED check(s) failed"
		exit 1
	fi
	exit 0
}
is_root() { [ "$(id -u)" -eq 0 ]; }

# need_binaries NAME...: skip the test when a program is not built.
need_binaries() {
	for b in "$@"; do
		[ -x "$b" ] || skip_all "$b is not built"
	done
}

# json FILE EXPR: print a value from a JSON file, EXPR in Python syntax over
# `d`, e.g. json out.json 'd["error"]["type"]'.
json() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1" "$2"
}

# wait_for_file FILE: poll (30 s and more: a loaded machine) until FILE exists.
wait_for_file() {
	i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || return 1
		sleep 0.05
	done
}

start_mock() {
	printf '%s\n%s\n' "$KEY_DEV" "$KEY_PROD" >"$T/mock.keys"
	"$MOCK" --listen 127.0.0.1:0 --port-file "$T/mock.port" --keys "$T/mock.keys" --quiet "$@" \
		2>"$T/mock.log" &
	MOCK_PID=$!
	PIDS="$PIDS $MOCK_PID"
	wait_for_file "$T/mock.port" || { echo "mock did not start"; cat "$T/mock.log"; exit 1; }
	MOCK_PORT=$(cat "$T/mock.port")
	MOCK_URL="http://127.0.0.1:$MOCK_PORT"
}

# mock_get PATH OUT / mock_post PATH JSON: the mock's control API.
mock_get() { curl -sS "$MOCK_URL$1" -o "$2"; }
mock_post() { curl -sS -X POST -H 'Content-Type: application/json' -d "$2" "$MOCK_URL$1" >/dev/null; }

DEFAULT_CENTRES='  dev = { key = "dev"; };
  prod = { key = "prod"; models = [ "openai/gpt-4o-mini" ]; title = "ora prod"; };'
# write_conf RULES [ROLES] [EXTRA_DAEMON]: a configuration for this test.
# CONF_CENTRES replaces the cost centres; CONF_EXTRA is appended (e.g. a
# budgets section); CONF_UPSTREAM_EXTRA goes into the upstream section.
# The daemon user is set when running as root (orad refuses to stay root).
write_conf() {
	rules=$1
	roles=${2:-}
	extra=${3:-}
	daemon_user=""
	if is_root; then
		daemon_user="user = \"${PFX}d\";"
	fi
	[ -n "$roles" ] || roles='
  basic = {
    models = [ "openai/gpt-4o-mini", "meta-llama/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 600;
    concurrent_requests = 16;
  };
  power = {
    models = [ "openai/*", "anthropic/*", "meta-llama/*" ];
    default_model = "openai/gpt-4o";
    max_tokens = 4000;
    requests_per_minute = 600;
    concurrent_requests = 16;
  };'
	cat >"$CONF" <<CONF
contact = "ora-test-admins";
daemon = {
  socket = "$SOCK";
  socket_mode = "0666";
  state_dir = "$STATE";
  master_key = "$T/master.key";
  $daemon_user
  log_level = "info";
  header_timeout = 3;
  body_timeout = 3;
  request_timeout = 30;
  shutdown_grace = 5;
  $extra
};
upstream = {
  base_url = "$MOCK_URL/api/v1";
  connect_timeout = 2;
  catalog_refresh = 300;
  referer = "https://ora.test/";
  title = "ora test";
  user_field = "name";
  user_prefix = "test:";
  ${CONF_UPSTREAM_EXTRA:-}
};
roles = {
$roles
};
cost_centres = {
${CONF_CENTRES:-$DEFAULT_CENTRES}
};
rules = (
$rules
);
${CONF_EXTRA:-}
CONF
}

# make_daemon_user: as root, the unprivileged account orad drops to.
make_daemon_user() {
	is_root || return 0
	useradd -M -N -r -s /usr/sbin/nologin "${PFX}d" && CREATED_USERS="$CREATED_USERS ${PFX}d"
}

# add_user NAME [GROUP...]: a real Unix user ${PFX}NAME in groups ${PFX}GROUP.
add_user() {
	name=${PFX}$1
	shift
	useradd -M -N -s /bin/sh "$name" && CREATED_USERS="$CREATED_USERS $name"
	for g in "$@"; do
		if ! getent group "${PFX}$g" >/dev/null; then
			groupadd "${PFX}$g" && CREATED_GROUPS="$CREATED_GROUPS ${PFX}$g"
		fi
		usermod -a -G "${PFX}$g" "$name"
	done
}

# as USER CMD...: run a command as ${PFX}USER.
as() {
	u=${PFX}$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"
}

# orask_for_users: the path of a copy of orask (with libora-client) that
# other users can run wherever the build tree lives: a checkout under /root
# is closed to them, and ./orask in the build tree is libtool's wrapper
# script, which they would have to read.
orask_for_users() {
	d=$T/bin-shared
	if [ ! -x "$d/orask" ]; then
		mkdir -p "$d"
		if [ -x "$top_builddir/.libs/orask" ]; then
			cp "$top_builddir/.libs/orask" "$d/orask.bin"
			cp -P "$top_builddir"/.libs/libora-client.so* "$d/" 2>/dev/null
		else
			cp "$ORASK" "$d/orask.bin"
		fi
		printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s/orask.bin "$@"\n' "$d" "$d" >"$d/orask"
		chmod -R a+rX "$d"
		chmod 755 "$d" "$d/orask" "$d/orask.bin"
	fi
	echo "$d/orask"
}

# seal_keys: master key and the two upstream keys, as an admin would.
seal_keys() {
	"$ORACTL" -c "$CONF" init >"$T/oractl.out" 2>&1 || { cat "$T/oractl.out"; return 1; }
	printf '%s\n' "$KEY_DEV" | "$ORACTL" -c "$CONF" key add dev >>"$T/oractl.out" 2>&1 &&
		printf '%s\n' "$KEY_PROD" | "$ORACTL" -c "$CONF" key add prod >>"$T/oractl.out" 2>&1 ||
		{ cat "$T/oractl.out"; return 1; }
}

# ORAD_WRAP: a command to run orad under (e.g. valgrind), word-split.
ORAD_WRAP=""
# catalog_tries: how many times orad has tried to load the model list
# (its prices), loaded or not.
catalog_tries() { grep -c 'catalog: ' "$T/orad.log" 2>/dev/null; }
catalog_tried_past() { [ "$(catalog_tries)" -gt "$1" ]; }
start_orad() {
	tries_before=$(catalog_tries)
	# shellcheck disable=SC2086
	$ORAD_WRAP "$ORAD" -f -c "$CONF" "$@" 2>>"$T/orad.log" &
	ORAD_PID=$!
	PIDS="$PIDS $ORAD_PID"
	i=0
	until [ -S "$SOCK" ] && curl -s --unix-socket "$SOCK" -o /dev/null http://localhost/api/v1/me; do
		i=$((i + 1))
		if [ $i -ge 600 ] || ! kill -0 "$ORAD_PID" 2>/dev/null; then
			echo "orad did not start:"
			cat "$T/orad.log"
			exit 1
		fi
		sleep 0.05
	done
	# orad loads the model list after it starts serving; until then a
	# request that needs a price (a budget) is refused. Tests start with
	# it loaded (or failed to load), however slowly a loaded machine
	# fetches it.
	wait_until 30 catalog_tried_past "${tries_before:-0}" || true
}

# standard_setup RULES: mock, config, keys, orad.
standard_setup() {
	need_binaries "$ORAD" "$ORACTL" "$MOCK"
	start_mock
	make_daemon_user
	write_conf "$1" "${2:-}" "${3:-}"
	seal_keys || exit 1
	start_orad
}

# req METHOD PATH [BODY] [CURL-ARGS...]: a request over the socket (BODY for
# POST only); the body
# goes to $T/out and the status is printed.
req() {
	method=$1
	path=$2
	shift 2
	if [ "$method" = POST ]; then
		body=$1
		shift
		curl -sS --unix-socket "$SOCK" -X "$method" -H 'Content-Type: application/json' \
			--data-binary "$body" -o "$T/out" -w '%{http_code}' "$@" "http://localhost$path"
	else
		curl -sS --unix-socket "$SOCK" -X "$method" -o "$T/out" -w '%{http_code}' "$@" \
			"http://localhost$path"
	fi
}

# as_req USER METHOD PATH [BODY] [CURL-ARGS...]: the same, as ${PFX}USER.
as_req() {
	u=$1
	method=$2
	path=$3
	shift 3
	rm -f "$T/out"
	if [ "$method" = POST ]; then
		body=$1
		shift
		as "$u" curl -sS --unix-socket "$SOCK" -X "$method" -H 'Content-Type: application/json' \
			--data-binary "$body" -o - -w '\n%{http_code}' "$@" "http://localhost$path" >"$T/as.raw"
	else
		as "$u" curl -sS --unix-socket "$SOCK" -X "$method" -o - -w '\n%{http_code}' "$@" \
			"http://localhost$path" >"$T/as.raw"
	fi
	sed '$d' "$T/as.raw" >"$T/out"
	tail -n 1 "$T/as.raw"
}

CHAT='{"messages":[{"role":"user","content":"Say hello to the integration test"}]}'

# ledger_sql SQL: run a query on the broker's ledger, one row per line,
# columns separated by '|'.
ledger_sql() {
	ledger_current
	"$PY3" - "$STATE/ledger.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
}

# poll TENTHS CMD...: run CMD every 0.1 s until it succeeds, at most TENTHS times.
poll() {
	n=$1
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt "$n" ] || return 1
		sleep 0.1
	done
}

# wait_until SECONDS COMMAND...: poll until the command succeeds.
wait_until() {
	limit=$(($1 * 20))
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt $limit ] || return 1
		sleep 0.05
	done
}

# orad_reload: SIGHUP orad and wait (30 s and more) until its log says the
# reload was applied or refused.
orad_reloads() { grep -c 'configuration reloaded\|reload refused' "$T/orad.log"; }
orad_reloaded_past() { [ "$(orad_reloads)" -gt "$1" ]; }
orad_reload() {
	reloads_before=$(orad_reloads)
	kill -HUP "$ORAD_PID"
	wait_until 30 orad_reloaded_past "$reloads_before"
}

# mock_streams N: the mock has exactly N streams whose headers went out and
# that have not ended (e.g. held by pause_after_events).
mock_streams() {
	mock_get /mock/stats "$T/mock_stats.json" &&
		[ "$(json "$T/mock_stats.json" 'd["active_streams"]')" = "$1" ]
}

# ledger_current: orad writes the ledger through its intent log and folds
# the log into ledger.db within a second; asking for its status (as root, an
# administrator) folds it at once, so that what a test reads next holds
# every write made so far. Harmless when orad is not running.
ledger_current() {
	[ -S "$SOCK" ] && curl -s -o /dev/null --max-time 30 --unix-socket "$SOCK" \
		http://localhost/api/v1/admin/status
	return 0
}

# ledger_flushed: wait (at most 15 s) until no row is still 'open': orad
# settles a row just after the answer's last byte, so a test that reads the
# ledger right after an answer, with nothing else in flight, calls this
# first.
ledger_flushed() {
	no_open() { [ "$(ledger_sql "SELECT COUNT(*) FROM requests WHERE state = 'open'")" = 0 ]; }
	wait_until 15 no_open || true
}

# mock_vs_ledger: every generation the mock billed is in the ledger once,
# with exactly the cost the mock charged, and the totals agree exactly.
# Prints the differences; succeeds when there are none.
mock_vs_ledger() {
	ledger_flushed
	mock_get /mock/generations "$T/gens.json"
	"$PY3" - "$T/gens.json" "$STATE/ledger.db" <<'PY'
import json, sqlite3, sys
gens = json.load(open(sys.argv[1]))
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[2], uri=True)
rows = {}
bad = 0
for gid, cost, n in db.execute(
        "SELECT generation_id, cost_pico, COUNT(*) FROM requests WHERE generation_id IS NOT NULL "
        "GROUP BY generation_id"):
    if n != 1:
        print("generation %s is in the ledger %d times" % (gid, n)); bad += 1
    rows[gid] = cost
for g in gens["data"]:
    if g["id"] not in rows:
        print("mock billed %s (%s) but the ledger has no row" % (g["id"], g["cost_picodollars"])); bad += 1
    elif rows[g["id"]] != g["cost_picodollars"]:
        print("generation %s: ledger %d pico, mock %d pico" % (g["id"], rows[g["id"]], g["cost_picodollars"])); bad += 1
billed_ids = set(g["id"] for g in gens["data"])
ledger_total = sum(c for gid, c in rows.items() if gid in billed_ids)
if ledger_total != gens["total_cost_picodollars"]:
    print("totals differ: ledger %d, mock %d" % (ledger_total, gens["total_cost_picodollars"])); bad += 1
sys.exit(1 if bad else 0)
PY
}
