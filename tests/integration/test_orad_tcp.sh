#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_orad_tcp.sh: daemon.listen, loopback TCP with the caller named by the
# kernel. Real users over TCP with curl and the openai SDK land as
# themselves in the ledger and upstream, whatever key they send; a user
# with no rule is refused; a user in a user namespace is their real uid; a
# socket made by A and used by B is A's; a non-loopback address stops orad.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sdk/sdk.sh"

is_root || skip_all "needs root to create users and groups (CI runs it as root)"
need_binaries "$ORAD" "$ORACTL" "$MOCK" "$top_builddir/tests/integration/tcp_pass_fd"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"

# A free port, the same on both families when IPv6 loopback is there.
PORT=$("$PY3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
HAVE_V6=0
"$PY3" -c 'import socket,sys
s = socket.socket(socket.AF_INET6); s.bind(("::1", int(sys.argv[1])))' "$PORT" 2>/dev/null && HAVE_V6=1
if [ $HAVE_V6 = 1 ]; then
	LISTEN="listen = [ \"127.0.0.1:$PORT\", \"[::1]:$PORT\" ];"
else
	LISTEN="listen = [ \"127.0.0.1:$PORT\" ];"
fi

add_user alice eng
add_user bob staff
add_user carol
add_user dave staff
# dave may use the basic role, but his budget is spent.
CONF_EXTRA="budgets = {
  users = { spent = { user = \"${PFX}dave\"; usd = 0; period = \"daily\"; }; };
};"
RULES="  { group = \"${PFX}eng\"; role = \"power\"; cost_centre = \"dev\"; },
  { group = \"${PFX}staff\"; role = \"basic\"; cost_centre = \"dev\"; }"

# ---- a non-loopback address is refused, naming the setting --------------
start_mock
make_daemon_user
write_conf "$RULES"
seal_keys || exit 1
for bad in "0.0.0.0:$PORT" "192.0.2.1:$PORT" "[::]:$PORT" "[::ffff:127.0.0.1]:$PORT"; do
	write_conf "$RULES" "" "listen = [ \"$bad\" ];"
	"$ORAD" -t -c "$CONF" >"$T/t.out" 2>&1
	check "orad -t refuses daemon.listen = $bad" [ $? -ne 0 ]
	check "  ... naming the setting and saying it is not loopback" \
		grep -q "daemon.listen: \"$(printf '%s' "$bad" | sed 's/[][]/\\&/g')\" is not a loopback address" "$T/t.out"
done
"$ORACTL" -c "$CONF" check >"$T/check.out" 2>&1
check "oractl check refuses it too" [ $? -ne 0 ]
check "  ... with the same sentence" grep -q 'daemon.listen: .* is not a loopback address' "$T/check.out"
write_conf "$RULES" "" "listen = [ \"localhost:$PORT\" ];"
"$ORAD" -t -c "$CONF" >"$T/t.out" 2>&1
check "a host name is refused (numeric addresses only)" grep -q 'host names are not accepted' "$T/t.out"
write_conf "$RULES" "" "listen = [ \"127.0.0.1:$PORT\", \"127.0.0.1:$PORT\" ];"
"$ORAD" -t -c "$CONF" >"$T/t.out" 2>&1
check "an address listed twice is refused" grep -q 'is listed twice' "$T/t.out"
write_conf "$RULES" "" "listen = [ \"0.0.0.0:$PORT\" ];"
"$ORAD" -f -c "$CONF" >"$T/refused.out" 2>&1
check "orad refuses to start with a non-loopback address" [ $? -ne 0 ]
check "  ... naming daemon.listen" grep -q 'daemon.listen: "0.0.0.0:[0-9]*" is not a loopback' "$T/refused.out"
check "  ... and bound nothing" [ ! -S "$SOCK" ]

# ---- real users over TCP --------------------------------------------------
write_conf "$RULES" "" "$LISTEN"
start_orad
check "orad logs the TCP address it serves" grep -q "serving loopback TCP on 127.0.0.1:$PORT" "$T/orad.log"
check "  ... and runs sandboxed (seccomp) all the same" grep -q "sandbox: seccomp:" "$T/orad.log"

MINI='{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi over tcp"}]}'
# tcp_req USER HOST: POST MINI as ${PFX}USER to http://HOST:PORT with a
# made-up key, as a tool would; body in $T/out, status printed.
tcp_req() {
	as "$1" curl -sS -o - -w '\n%{http_code}' "http://$2:$PORT/api/v1/chat/completions" \
		-H 'Authorization: Bearer anything' -H 'x-api-key: sk-whatever' \
		-H 'Content-Type: application/json' --data-binary "$MINI" >"$T/as.raw" 2>"$T/curl.err"
	sed '$d' "$T/as.raw" >"$T/out"
	tail -n 1 "$T/as.raw"
}
# upstream_user: the `user` orad set on the last request the mock saw.
upstream_user() {
	mock_get /mock/requests "$T/up.json"
	json "$T/up.json" 'd["data"][-1]["user"]'
}
upstream_count() {
	mock_get /mock/requests "$T/up.json"
	json "$T/up.json" 'len(d["data"])'
}
# billed_as USER N: the mock has seen N requests, the last one USER's.
billed_as() { [ "$(upstream_user)" = "test:${PFX}$1" ] && [ "$(upstream_count)" = "$2" ]; }
# last_row: uid|user|outcome|client_pid|client_exe of the newest ledger row.
last_row() {
	ledger_flushed
	ledger_sql "SELECT uid, user, outcome, client_pid, client_exe FROM requests ORDER BY id DESC LIMIT 1"
}

s=$(tcp_req alice 127.0.0.1)
check "alice over 127.0.0.1 with a made-up key gets an answer" [ "$s" = 200 ]
check "  ... billed upstream as alice" [ "$(upstream_user)" = "test:${PFX}alice" ]
check "  ... with the cost centre's key, not hers" \
	[ "$(json "$T/up.json" 'd["data"][-1]["authorization_key"]')" = "$KEY_DEV" ]
row=$(last_row)
check "  ... and in the ledger as alice, pid unknown (0), client 'tcp 127.0.0.1:PORT'" \
	sh -c "echo '$row' | grep -qx '$(id -u "${PFX}alice")|${PFX}alice|ok|0|tcp 127.0.0.1:[0-9]*'"
s=$(as alice curl -sS -o - "http://127.0.0.1:$PORT/api/v1/me")
check "GET /api/v1/me over TCP names alice" \
	[ "$(printf '%s' "$s" | "$PY3" -c 'import json,sys; print(json.load(sys.stdin)["user"])')" = "${PFX}alice" ]

if [ $HAVE_V6 = 1 ]; then
	s=$(tcp_req bob "[::1]")
	check "bob over [::1] gets an answer" [ "$s" = 200 ]
	check "  ... billed upstream as bob" [ "$(upstream_user)" = "test:${PFX}bob" ]
	check "  ... and in the ledger as bob" \
		sh -c "echo '$(last_row)' | grep -qx '$(id -u "${PFX}bob")|${PFX}bob|ok|0|tcp \[::1\]:[0-9]*'"
else
	echo "SKIP: IPv6 loopback is not available here: bob uses 127.0.0.1"
	s=$(tcp_req bob 127.0.0.1)
	check "bob over 127.0.0.1 gets an answer" [ "$s" = 200 ]
	check "  ... billed upstream as bob" [ "$(upstream_user)" = "test:${PFX}bob" ]
fi

n=$(upstream_count)
s=$(tcp_req carol 127.0.0.1)
check "carol (no rule) is refused over TCP" [ "$s" = 403 ]
check "  ... as not_permitted" [ "$(json "$T/out" 'd["error"]["type"]')" = not_permitted ]
check "  ... naming her" grep -q "user ${PFX}carol" "$T/out"
check "  ... and nothing reached the upstream" [ "$(upstream_count)" = "$n" ]

# ---- fail closed ----------------------------------------------------------
# While orad is stopped it accepts nothing; a client connects and resets its
# end, so the connection orad accepts afterwards has no client socket left
# for the kernel to name. It must be refused, not guessed at.
n=$(upstream_count)
kill -STOP "$ORAD_PID"
"$PY3" -c 'import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()' "$PORT"
kill -CONT "$ORAD_PID"
check "a connection whose client end is gone before orad accepts it is refused and logged" \
	wait_until 10 grep -q "refused a TCP connection from .* on 127.0.0.1:$PORT: " "$T/orad.log"
check "  ... and nothing reached the upstream" [ "$(upstream_count)" = "$n" ]

s=$(tcp_req alice 127.0.0.2)
check "127.0.0.2 is not served (orad listens on 127.0.0.1 only)" [ "$s" != 200 ]
# This machine's own non-loopback address (where it has one) reaches nothing.
EXT=$("$PY3" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("192.0.2.1", 9))
a = s.getsockname()[0]; print("" if a.startswith("127.") else a)' 2>/dev/null)
if [ -n "$EXT" ]; then
	s=$(tcp_req alice "$EXT")
	check "the machine's address $EXT is not served" [ "$s" = 000 ]
else
	echo "SKIP: this machine has no non-loopback IPv4 address to try"
fi

# ---- a user namespace is no disguise --------------------------------------
if as alice unshare -Ur true 2>/dev/null; then
	n=$(upstream_count)
	as alice unshare -Ur sh -c "id -u; curl -sS -o /dev/null -w '%{http_code}\n' \
		-H 'Authorization: Bearer anything' -H 'Content-Type: application/json' \
		--data-binary '$MINI' http://127.0.0.1:$PORT/api/v1/chat/completions" >"$T/ns.out" 2>&1
	check "inside unshare -Ur alice is uid 0" [ "$(sed -n 1p "$T/ns.out")" = 0 ]
	check "  ... and still gets an answer" [ "$(sed -n 2p "$T/ns.out")" = 200 ]
	check "  ... billed as alice, never root" \
		billed_as alice $((n + 1))
	check "  ... in the ledger as alice's real uid" \
		sh -c "echo '$(last_row)' | grep -q '^$(id -u "${PFX}alice")|${PFX}alice|ok|'"
else
	echo "SKIP: user namespaces are not available to ordinary users here (chroot, or kernel.unprivileged_userns_clone=0)"
fi

# ---- a socket made by alice and used by carol is alice's ------------------
mkdir -p "$T/bin" && cp "$top_builddir/tests/integration/tcp_pass_fd" "$T/bin/" && chmod -R a+rx "$T/bin"
mkdir -m 1777 "$T/pass"
printf 'POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nAuthorization: Bearer carol\r\nContent-Length: %d\r\n\r\n%s' \
	"${#MINI}" "$MINI" >"$T/pass/request"
chmod 644 "$T/pass/request"
n=$(upstream_count)
as carol "$T/bin/tcp_pass_fd" recv "$T/pass/sock" "$T/pass/request" >"$T/pass.out" 2>"$T/pass.err" &
RECV=$!
wait_for_file "$T/pass/sock"
as alice "$T/bin/tcp_pass_fd" send "$T/pass/sock" 127.0.0.1 "$PORT" 2>>"$T/pass.err"
wait "$RECV"
check "carol, with a socket alice made and passed her, gets an answer" \
	grep -q '^HTTP/1.1 200' "$T/pass.out"
check "  ... billed upstream as alice, who made the socket" \
	billed_as alice $((n + 1))
check "  ... and in the ledger as alice" \
	sh -c "echo '$(last_row)' | grep -q '^$(id -u "${PFX}alice")|${PFX}alice|ok|'"

# ---- the openai SDK, base URL and a dummy key only ------------------------
(
	FAILED=0
	sdk_setup
	export OPENAI_BASE_URL="http://127.0.0.1:$PORT/api/v1" OPENAI_API_KEY=dummy
	export SDK_MODEL=openai/gpt-4o-mini SDK_PROMPT="Say hello"
	unset SDK_MAX_TOKENS
	ANSWER="Mock answer to: Say hello. The quick brown fox jumps over the lazy dog."
	for mode in "" --stream; do
		as bob node "$T/sdk/chat.mjs" $mode >"$T/sdk.out" 2>"$T/sdk.err" || true
		check "openai SDK chat${mode:+ $mode} as bob over TCP gets the answer" \
			[ "$(sdk_answer)" = "$ANSWER" ]
		check "  ... billed as bob" [ "$(upstream_user)" = "test:${PFX}bob" ]
	done
	SDK_MODEL=anthropic/claude-3.5-sonnet
	as bob node "$T/sdk/chat.mjs" >"$T/sdk.out" 2>"$T/sdk.err" || true
	check "a model bob's role does not allow is the SDK's PermissionDeniedError" \
		[ "$(sdk_error)" = "PermissionDeniedError 403 model_not_allowed" ]
	SDK_MODEL=openai/gpt-4o-mini
	n=$(upstream_count)
	as dave node "$T/sdk/chat.mjs" >"$T/sdk.out" 2>"$T/sdk.err" || true
	check "dave's spent budget is the SDK's APIError 402 budget_exhausted" \
		[ "$(sdk_error)" = "APIError 402 budget_exhausted" ]
	check "  ... and nothing reached the upstream" [ "$(upstream_count)" = "$n" ]
	exit "$FAILED"
) >"$T/sdk.tap"
sdk_status=$?
cat "$T/sdk.tap"
[ "$sdk_status" = 77 ] || FAILED=$((FAILED + sdk_status))

# ---- reload: the addresses need a restart ---------------------------------
write_conf "$RULES" "" "listen = [ \"127.0.0.1:$((PORT == 65535 ? PORT - 1 : PORT + 1))\" ];"
kill -HUP "$ORAD_PID"
check "a changed daemon.listen on SIGHUP is logged as needing a restart" \
	wait_until 10 grep -q 'daemon.listen changed: the new addresses take effect after a restart' "$T/orad.log"
s=$(tcp_req alice 127.0.0.1)
check "  ... and the bound address keeps serving" [ "$s" = 200 ]

finish
