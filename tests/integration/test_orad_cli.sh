#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_orad_cli.sh: what an administrator meets first. Every program
# answers --help and --version; `oractl init` run twice refuses (exit 3);
# `orad -t` and `oractl check` say no whenever orad would not start (the
# master key missing or unusable, a key a cost centre names not stored, a
# socket directory that does not exist, a state directory orad's user does
# not own) and name the file they checked when all is well; `orad -d`
# keeps debug logging after start-up and after a reload.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$ORASK" "$MOCK"
VERSION=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")

# run OUT-PREFIX CMD...: stdout to $T/OUT.o, stderr to $T/OUT.e; prints the exit status.
run() {
	p=$1
	shift
	"$@" >"$T/$p.o" 2>"$T/$p.e"
	echo $?
}

# --- --help and --version, exit 0 ---------------------------------------------
for prog in orad oractl orask; do
	eval bin=\$$(echo "$prog" | tr a-z A-Z)
	rc=$(run h "$bin" --help)
	check "$prog --help: exit 0" [ "$rc" = 0 ]
	check "  ... usage on standard output" grep -qi "^usage: $prog" "$T/h.o"
	rc=$(run v "$bin" --version)
	check "$prog --version: exit 0" [ "$rc" = 0 ]
	check "  ... '$prog (ora) $VERSION'" [ "$(cat "$T/v.o")" = "$prog (ora) $VERSION" ]
done
rc=$(run h "$ORACTL" help)
check "oractl help: exit 0, lists the commands" sh -c "[ $rc = 0 ] && grep -q '^Commands:' '$T/h.o'"
rc=$(run h "$ORACTL" help init)
check "oractl help init: exit 0, the synopsis of init" \
	sh -c "[ $rc = 0 ] && grep -q 'oractl \[-c FILE\] init \[--force\]' '$T/h.o' && ! grep -q ' key add' '$T/h.o'"
rc=$(run h "$ORACTL" help backup)
check "oractl help backup: exit 0" [ "$rc" = 0 ]
rc=$(run h "$ORACTL" help frobnicate)
check "oractl help of no such command: usage error, exit 2" [ "$rc" = 2 ]
rc=$(run h "$ORAD" --frobnicate)
check "orad with an unknown option: exit 2" [ "$rc" = 2 ]

# --- oractl init, twice ---------------------------------------------------------
start_mock
make_daemon_user
write_conf '  { everyone = true; role = "basic"; cost_centre = "dev"; }'
rc=$(run i "$ORACTL" -c "$CONF" init)
check "oractl init: exit 0" [ "$rc" = 0 ]
cp "$T/master.key" "$T/master.before"
rc=$(run i "$ORACTL" -c "$CONF" init)
check "oractl init again: refused, exit 3" [ "$rc" = 3 ]
check "  ... saying why and what would override it" grep -q "refusing to replace it.*--force" "$T/i.o"
check "  ... the master key is untouched" cmp -s "$T/master.key" "$T/master.before"

# --- orad -t and oractl check: would orad start? ---------------------------------
# expect_no NAME CONF TEXT: both refuse, exit 1, with TEXT on stderr/stdout.
expect_no() {
	name=$1 conf=$2 text=$3
	rc=$(run t "$ORAD" -t -c "$conf")
	check "orad -t, $name: exit 1" [ "$rc" = 1 ]
	check "  ... says why: $text" grep -q -- "$text" "$T/t.e"
	check "  ... and that orad would not start" grep -q "test failed: orad would not start" "$T/t.e"
	check "  ... never 'configuration OK'" sh -c "! grep -q 'configuration OK' '$T/t.o'"
	rc=$(run c "$ORACTL" check -c "$conf")
	check "oractl check, $name: exit 1" [ "$rc" = 1 ]
	check "  ... says why: $text" grep -q -- "$text" "$T/c.o"
}

# The master key is there but no upstream key is stored yet.
expect_no "a key a cost centre names is not stored" "$CONF" \
	"cost centre dev names key 'dev', which is not stored"
printf '%s\n' "$KEY_DEV" | "$ORACTL" -c "$CONF" key add dev >"$T/k.out" 2>&1 &&
	printf '%s\n' "$KEY_PROD" | "$ORACTL" -c "$CONF" key add prod >>"$T/k.out" 2>&1 ||
	{ cat "$T/k.out"; exit 1; }

rc=$(run t "$ORAD" -t -c "$CONF")
check "orad -t, all there: exit 0" [ "$rc" = 0 ]
check "  ... 'configuration OK'" [ "$(cat "$T/t.o")" = "configuration OK" ]
check "  ... naming the file, as nginx -t does" \
	grep -qx "orad: configuration file $CONF test is successful" "$T/t.e"
rc=$(run c "$ORACTL" check -c "$CONF")
check "oractl check, all there: exit 0" [ "$rc" = 0 ]
check "  ... naming the file" grep -qx "oractl: configuration file $CONF test is successful" "$T/c.e"

sed "s|master_key = \"$T/master.key\"|master_key = \"$T/none.key\"|" "$CONF" >"$T/nomaster.conf"
expect_no "the master key does not exist" "$T/nomaster.conf" "master key: .*none.key"

cp "$T/master.key" "$T/open.key"
chmod 644 "$T/open.key"
sed "s|master_key = \"$T/master.key\"|master_key = \"$T/open.key\"|" "$CONF" >"$T/openmaster.conf"
expect_no "the master key is readable by others" "$T/openmaster.conf" "master key: "

sed "s|socket = \"$SOCK\"|socket = \"$T/no/such/dir/ora.sock\"|" "$CONF" >"$T/nosockdir.conf"
expect_no "the socket's directory does not exist" "$T/nosockdir.conf" \
	"daemon.socket: the directory of $T/no/such/dir/ora.sock, $T/no/such/dir, does not exist"

sed "s|state_dir = \"$STATE\"|state_dir = \"$T/nostate\"|" "$CONF" >"$T/nostate.conf"
expect_no "the state directory does not exist" "$T/nostate.conf" "state directory $T/nostate: No such file"

if is_root; then
	chown root "$STATE"
	expect_no "the state directory is not the daemon user's" "$CONF" \
		"state directory $STATE is owned by uid 0, but orad will run as ${PFX}d"
	chown "${PFX}d" "$STATE"
else
	echo "SKIP: state directory ownership (needs root to give it away)"
fi
rc=$(run t "$ORAD" -t -c "$CONF")
check "orad -t, all back in place: exit 0" [ "$rc" = 0 ]

# --- orad -d: debug logging through start-up and reloads ------------------------
grep -q 'log_level = "info"' "$CONF" || echo "not ok - the test configuration sets log_level = info"
start_orad -d
check "orad -d: debug lines after start-up, though log_level is info" \
	grep -q '\[debug\]: debug logging (-d) stays on' "$T/orad.log"
kill -HUP "$ORAD_PID"
check "  ... a reload happens" wait_until 30 grep -q 'configuration reloaded' "$T/orad.log"
check "  ... and debug logging is still on after it" \
	sh -c "[ \$(grep -c '\[debug\]: debug logging (-d) stays on' '$T/orad.log') -ge 2 ]"

finish
