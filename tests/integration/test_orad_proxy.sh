#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# orad goes upstream through the proxy its environment names when it
# starts (http_proxy for an http base URL), and straight to the host
# no_proxy names: sites behind an outbound proxy need the first, and orad
# reads the variables once rather than libcurl on every transfer (issue 17).
# The upstream's host here does not resolve, so an answer can only have
# come through the proxy, which is the mock itself (it serves absolute-form
# targets as a proxy receives them).
. "$top_srcdir/tests/integration/lib.sh"

ME=$(id -un)
HOST=upstream.ora-test.invalid
CONF_UPSTREAM_EXTRA="retries = 0; circuit_failures = 0;"
need_binaries "$ORAD" "$ORACTL" "$MOCK"
start_mock
make_daemon_user
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }"
sed "s|base_url = \"$MOCK_URL/api/v1\";|base_url = \"http://$HOST/api/v1\";|" "$CONF" >"$CONF.new" &&
	mv "$CONF.new" "$CONF"
check "the base URL names a host that does not resolve" grep -q "http://$HOST/api/v1" "$CONF"
seal_keys || exit 1
chats() { mock_get /mock/stats "$T/stats.json" && json "$T/stats.json" 'd["requests"]["chat"]'; }

# start_with VAR=VALUE...: orad started with these in its environment only.
start_with() {
	ORAD_WRAP="env $*"
	start_orad
	ORAD_WRAP=""
}
stop_orad() {
	kill "$ORAD_PID"
	wait "$ORAD_PID" 2>/dev/null
	PIDS=$(echo "$PIDS" | sed "s/ $ORAD_PID//")
}

# --- through the proxy ---------------------------------------------------------
start_with "http_proxy=$MOCK_URL" "no_proxy=localhost,example.invalid"
n0=$(chats)
s=$(req POST /api/v1/chat/completions "$CHAT")
check "http_proxy: the request is answered (200, got $s)" [ "$s" = 200 ]
check "  ... with the upstream's answer" grep -q 'Mock answer to' "$T/out"
check "  ... which the proxy carried" [ "$(chats)" = $((n0 + 1)) ]
s=$(req POST /api/v1/chat/completions "$CHAT")
check "  ... and so is the next, on the same parsed URL (200, got $s)" [ "$s" = 200 ]
stop_orad

# --- no_proxy names the upstream's host: straight there, where nothing answers --
start_with "http_proxy=$MOCK_URL" "no_proxy=$HOST"
n0=$(chats)
s=$(req POST /api/v1/chat/completions "$CHAT")
check "no_proxy naming the host: not through the proxy (502, got $s)" [ "$s" = 502 ]
check "  ... the proxy saw no request" [ "$(chats)" = "$n0" ]
stop_orad

# --- HTTPS_PROXY does not apply to an http URL, nor HTTP_PROXY (libcurl's rule) --
start_with "HTTPS_PROXY=$MOCK_URL" "HTTP_PROXY=$MOCK_URL"
n0=$(chats)
s=$(req POST /api/v1/chat/completions "$CHAT")
check "only HTTPS_PROXY and HTTP_PROXY set: no proxy for http (502, got $s)" [ "$s" = 502 ]
check "  ... the proxy saw no request" [ "$(chats)" = "$n0" ]
stop_orad

# --- all_proxy is the fallback ---------------------------------------------------
start_with "all_proxy=$MOCK_URL"
s=$(req POST /api/v1/chat/completions "$CHAT")
check "all_proxy: through the proxy (200, got $s)" [ "$s" = 200 ]
stop_orad

# --- no proxy, and the upstream named by a name: resolved from the sandbox --------
if grep -q '^[^#]*[[:space:]]localhost\([[:space:]]\|$\)' /etc/hosts 2>/dev/null; then
	sed "s|base_url = \"http://$HOST/api/v1\";|base_url = \"http://localhost:$MOCK_PORT/api/v1\";|" \
		"$CONF" >"$CONF.new" && mv "$CONF.new" "$CONF"
	start_with
	n0=$(chats)
	s=$(req POST /api/v1/chat/completions "$CHAT")
	check "base_url naming localhost: resolved and answered (200, got $s)" [ "$s" = 200 ]
	check "  ... by the mock, directly" [ "$(chats)" = $((n0 + 1)) ]
	check "  ... with no system call refused to the resolver" \
		sh -c "! grep -q 'sandbox: denied' '$T/orad.log'"
else
	echo "SKIP: base_url naming localhost: /etc/hosts here does not name localhost"
fi
finish
