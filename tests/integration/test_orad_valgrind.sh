#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# orad's whole lifecycle under valgrind: start, answer, stream, lose a client
# mid-stream, refuse, reload, drain on SIGTERM. Valgrind must report no
# errors and no leaks. (Sanitizer builds skip this: the two do not mix; the
# README's test command runs it in a plain build.)
. "$top_srcdir/tests/integration/lib.sh"

[ "${ora_sanitizers:-no}" != yes ] || skip_all "sanitizer build; valgrind runs in the plain build"
command -v valgrind >/dev/null || skip_all "valgrind is not installed"
need_binaries "$ORAD" "$ORACTL" "$MOCK"

ME=$(id -un)
start_mock
make_daemon_user
# valgrind cannot run a seccomp filter on its guest (orad refuses to start
# when the sandbox it was asked for cannot be applied): the sandbox has its
# own test, test_orad_sandbox.sh.
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\", \"prod\" ]; }" "" \
	"sandbox = false;"
seal_keys || exit 1

ORAD_WRAP="valgrind --quiet --vgdb=no --leak-check=full --show-leak-kinds=definite,indirect \
 --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file=$T/valgrind.log"
start_orad

s=$(req POST /api/v1/chat/completions "$CHAT")
check "answers under valgrind" [ "$s" = 200 ]
s=$(req POST /api/v1/chat/completions '{"stream":true,"messages":[{"role":"user","content":"x"}]}')
check "streams under valgrind" [ "$s" = 200 ]
s=$(req POST /api/v1/chat/completions '{"model":"anthropic/claude-3.5-sonnet","messages":[{"role":"user","content":"x"}]}')
check "refuses under valgrind" [ "$s" = 403 ]
req POST /api/v1/chat/completions '{not json' >/dev/null
req GET /api/v1/models >/dev/null
req GET /api/v1/me >/dev/null

# A client that hangs up mid-stream.
mock_post /mock/faults '{"delay_events_ms":200}'
curl -sS --unix-socket "$SOCK" -m 1 -H 'Content-Type: application/json' \
	-d '{"stream":true,"messages":[{"role":"user","content":"slow"}]}' \
	http://localhost/api/v1/chat/completions >/dev/null 2>&1 || true
mock_post /mock/reset '{}'
orad_reload
s=$(req POST /api/v1/chat/completions "$CHAT")
check "answers after reload" [ "$s" = 200 ]

kill -TERM "$ORAD_PID"
wait "$ORAD_PID"
rc=$?
PIDS=$(echo "$PIDS" | sed "s/ $ORAD_PID//")
check "orad exits 0 on SIGTERM under valgrind (99 = valgrind found errors)" [ "$rc" -eq 0 ]
if [ -s "$T/valgrind.log" ]; then
	echo "--- valgrind.log"
	cat "$T/valgrind.log"
fi
check "valgrind reports nothing" [ ! -s "$T/valgrind.log" ]
finish
