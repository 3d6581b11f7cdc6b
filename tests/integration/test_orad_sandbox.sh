#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# The sandbox: once serving, orad cannot run a program or read a file
# outside its paths (the denied calls fail and are logged) and keeps
# serving; its start-up log says what was applied; daemon.sandbox = false
# turns it off.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
ME=$(id -un)
start_mock
make_daemon_user
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centre = \"dev\"; }"
seal_keys || exit 1
# A file outside every path orad may read (not beside its configuration,
# which it may read), yet readable by its user.
ELSEWHERE=$(mktemp -d /var/tmp/ora-sandbox.XXXXXX)
trap 'stop_all; rm -rf "$ELSEWHERE"; cleanup' EXIT
echo "not for orad" >"$ELSEWHERE/secret.txt"
chmod 755 "$ELSEWHERE"
chmod 644 "$ELSEWHERE/secret.txt"
ORAD_SANDBOX_SELFTEST=$ELSEWHERE/secret.txt
export ORAD_SANDBOX_SELFTEST
start_orad
unset ORAD_SANDBOX_SELFTEST

grep 'sandbox:' "$T/orad.log" | sed 's/^/# /'
check "the start-up log says which system calls seccomp allows" \
	grep -Eq 'sandbox: seccomp: [0-9]+ system calls allowed' "$T/orad.log"
if grep -q 'Landlock: not offered' "$T/orad.log"; then
	echo "# this kernel has no Landlock: its checks are skipped"
	LANDLOCK=0
else
	LANDLOCK=1
	check "  ... and what Landlock restricts" \
		grep -Eq 'Landlock ABI [0-9]+: [0-9]+ paths; writes only under' "$T/orad.log"
fi
check "running a program fails with EPERM" \
	grep -q 'sandbox self-test: execve /bin/true: Operation not permitted' "$T/orad.log"
check "  ... and the denied call is logged" \
	grep -Eq 'sandbox: denied system call execve \([0-9]+\): failed with EPERM' "$T/orad.log"
if [ $LANDLOCK = 1 ]; then
	check "reading a file outside orad's paths fails with EACCES" \
		grep -q "sandbox self-test: open $ELSEWHERE/secret.txt: Permission denied" "$T/orad.log"
fi
s=$(req POST /api/v1/chat/completions "$CHAT")
check "orad keeps serving: a chat request is answered" [ "$s" = 200 ]
s=$(req GET /api/v1/me)
check "  ... and /me (NSS look-ups, /proc/PID/comm) works" [ "$s" = 200 ]
# A reload re-reads the configuration and the keys through the sandbox.
kill -HUP "$ORAD_PID"
reloaded() { grep -q 'reload' "$T/orad.log"; }
wait_until 30 reloaded
s=$(req POST /api/v1/chat/completions "$CHAT")
check "after a reload (SIGHUP) it still serves" [ "$s" = 200 ]
check "  ... and no call it needed was denied" \
	[ "$(grep -c 'sandbox: denied system call' "$T/orad.log")" = 1 ]
mock_get '/mock/generations?summary=1' "$T/gen.json"
check "the ledger still records what the upstream billed" \
	[ "$(ledger_sql "SELECT SUM(cost_pico) FROM requests")" = "$(json "$T/gen.json" 'd["total_cost_picodollars"]')" ]

# Off: the start-up log says so and nothing is denied.
stop_all
start_mock
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centre = \"dev\"; }" "" "sandbox = false;"
: >"$T/orad.log"
ORAD_SANDBOX_SELFTEST=$ELSEWHERE/secret.txt
export ORAD_SANDBOX_SELFTEST
start_orad
unset ORAD_SANDBOX_SELFTEST
check "with daemon.sandbox = false the log says the sandbox is off" \
	grep -q 'sandbox: off (daemon.sandbox = false)' "$T/orad.log"
s=$(req GET /api/v1/me)
check "  ... and orad serves" [ "$s" = 200 ]
finish
