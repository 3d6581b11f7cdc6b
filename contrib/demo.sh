#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# demo.sh: build ora, start orad in a temporary directory, and ask it a
# question with orask. Against OpenRouter when OPENROUTER_API_KEY is set,
# otherwise against the bundled mock upstream (tests/mock/ora-mock).
#
#   contrib/demo.sh ["your question"]
#
# The key is read from the environment by this script only and handed to
# `oractl key add` on standard input: it never appears in argv, and orad
# and orask never see it in their environment.
set -eu
cd "$(dirname "$0")/.."
QUESTION=${1:-"In one sentence: why should a shared server broker API keys instead of handing them out?"}

contrib/deps.sh
# Out of tree, in build-demo/, so that contrib/check.sh (build-asan/,
# build-plain/) can configure its own builds before or after this one.
B=build-demo
if [ ! -x $B/orad ] || [ ! -x $B/oractl ] || [ ! -x $B/orask ] || [ ! -x $B/tests/mock/ora-mock ]; then
	echo "demo: building ora in $B/"
	[ -x configure ] || autoreconf -fi >/dev/null
	contrib/unconfigure-in-tree.sh
	mkdir -p $B
	[ -f $B/Makefile ] || (cd $B && ../configure --quiet)
	make -C $B -j2 >/dev/null
	make -C $B -j2 tests/mock/ora-mock >/dev/null
fi

D=$(mktemp -d /tmp/ora-demo.XXXXXX)
chmod 755 "$D"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$D"
}
trap cleanup EXIT INT TERM

if [ -n "${OPENROUTER_API_KEY:-}" ]; then
	BASE=https://openrouter.ai/api/v1
	MODEL=${ORA_DEMO_MODEL:-openai/gpt-4o-mini}
	echo "demo: upstream is OpenRouter ($BASE)"
else
	MOCK_KEY="sk-or-v1-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	printf '%s\n' "$MOCK_KEY" >"$D/mock.keys"
	$B/tests/mock/ora-mock --listen 127.0.0.1:0 --port-file "$D/mock.port" --keys "$D/mock.keys" \
		--quiet 2>"$D/mock.log" &
	PIDS="$PIDS $!"
	while [ ! -s "$D/mock.port" ]; do sleep 0.05; done
	BASE="http://127.0.0.1:$(cat "$D/mock.port")/api/v1"
	MODEL=openai/gpt-4o-mini
	echo "demo: OPENROUTER_API_KEY is not set; upstream is the bundled mock ($BASE)"
fi

# As root, orad drops to an unprivileged account after binding the socket.
DAEMON_USER=""
if [ "$(id -u)" -eq 0 ]; then
	DAEMON_USER='user = "nobody"; group = "nogroup";'
fi
cat >"$D/ora.conf" <<CONF
contact = "whoever runs this demo";
daemon = {
  socket = "$D/ora.sock";
  socket_mode = "0666";
  state_dir = "$D/state";
  master_key = "$D/master.key";
  $DAEMON_USER
};
upstream = { base_url = "$BASE"; title = "ora demo"; };
roles = {
  demo = {
    models = [ "openai/*", "anthropic/*", "meta-llama/*", "google/*" ];
    default_model = "$MODEL";
    max_tokens = 300;
    requests_per_minute = 30;
    concurrent_requests = 2;
  };
};
cost_centres = { demo = { key = "demo"; }; };
rules = ( { everyone = true; role = "demo"; cost_centre = "demo"; } );
CONF

$B/oractl -c "$D/ora.conf" init >/dev/null
if [ -n "${OPENROUTER_API_KEY:-}" ]; then
	printf '%s\n' "$OPENROUTER_API_KEY" | $B/oractl -c "$D/ora.conf" key add demo
else
	printf '%s\n' "$MOCK_KEY" | $B/oractl -c "$D/ora.conf" key add demo
fi
env -u OPENROUTER_API_KEY $B/orad -f -c "$D/ora.conf" 2>"$D/orad.log" &
PIDS="$PIDS $!"
i=0
until [ -S "$D/ora.sock" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$D/orad.log"; exit 1; }
	sleep 0.05
done
echo "demo: orad is listening on $D/ora.sock"
echo "demo: orask \"$QUESTION\""
echo
env -u OPENROUTER_API_KEY ORA_SOCKET="$D/ora.sock" $B/orask -u "$QUESTION"
echo
echo "demo: orad's log line for that request:"
grep ' request ' "$D/orad.log" | tail -n 1
