#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# An https upstream, as production's is: orad verifies the upstream's
# certificate, against the system's store or the authorities that
# upstream.ca_file names instead, and the name the base URL gives. A
# certificate it cannot verify (an unknown authority, another name, or no
# ca_file for a private authority) ends the exchange at the handshake: a
# clear 502, and nothing reaches the upstream, which the mock's record
# shows. The upstream here is the mock behind a TLS relay
# (tls_relay.py), with certificates made for the test by openssl(1).
. "$top_srcdir/tests/integration/lib.sh"

command -v openssl >/dev/null 2>&1 || skip_all "no openssl(1) to make the test's certificates"
ME=$(id -un)
RELAY=$top_srcdir/tests/integration/tls_relay.py

# ca NAME: a certificate authority of the test's own.
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=ora test $1" -keyout "$T/$1.key" -out "$T/$1.pem" 2>>"$T/openssl.log"
}
# server NAME CA SAN: a server certificate for SAN, signed by CA.
server() {
	printf 'subjectAltName=%s\n' "$3" >"$T/$1.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
		-keyout "$T/$1.key" -out "$T/$1.csr" 2>>"$T/openssl.log" &&
		openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" -CAcreateserial \
			-days 2 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>>"$T/openssl.log"
}
# relay NAME: the mock behind TLS with NAME's certificate; its port in $RELAY_PORT.
relay() {
	"$PY3" "$RELAY" "$T/$1.pem" "$T/$1.key" "$MOCK_PORT" "$T/$1.port" 2>"$T/$1.relay.log" &
	PIDS="$PIDS $!"
	wait_for_file "$T/$1.port" || { echo "relay $1 did not start"; cat "$T/$1.relay.log"; exit 1; }
	RELAY_PORT=$(cat "$T/$1.port")
}
chats() { mock_get /mock/stats "$T/stats.json" && json "$T/stats.json" 'd["requests"]["chat"]'; }
# use_upstream URL [CA_FILE]: point orad at URL, trusting CA_FILE or the system.
use_upstream() {
	sed -e "s|^  base_url = .*|  base_url = \"$1\";|" -e '/^  ca_file = /d' "$CONF" >"$CONF.new"
	[ -z "${2:-}" ] || sed -i "s|^  base_url = .*|&\n  ca_file = \"$2\";|" "$CONF.new"
	mv "$CONF.new" "$CONF"
}

ca good && ca other || { cat "$T/openssl.log"; exit 1; }
server right good "IP:127.0.0.1" && server wrongname good "DNS:upstream.ora-test.invalid" &&
	server stranger other "IP:127.0.0.1" || { cat "$T/openssl.log"; exit 1; }
check "openssl made the test's authorities and certificates" [ -s "$T/stranger.pem" ]

need_binaries "$ORAD" "$ORACTL" "$MOCK"
start_mock
relay right
RIGHT=$RELAY_PORT
relay wrongname
WRONGNAME=$RELAY_PORT
relay stranger
STRANGER=$RELAY_PORT
CONF_UPSTREAM_EXTRA="retries = 0; circuit_failures = 0;"
make_daemon_user
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }"
use_upstream "https://127.0.0.1:$RIGHT/api/v1" "$T/good.pem"
seal_keys || exit 1

# --- configuration errors name the file and the fix -------------------------------
printf 'not a certificate\n' >"$T/junk.pem"
mkfifo "$T/fifo.pem"
for bad in "relative.pem|a relative path" "$T/missing.pem|cannot be read" \
	"$T/junk.pem|holds no PEM certificate" "$T/fifo.pem|not a regular file"; do
	path=${bad%%|*}
	says=${bad#*|}
	sed "s|^  ca_file = .*|  ca_file = \"$path\";|" "$CONF" >"$T/bad.conf"
	"$ORAD" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
	check "ca_file \"$path\": orad -t refuses it" [ $? -ne 0 ]
	check "  ... saying: $says" grep -q "ca_file.*$says" "$T/bad.out"
done

# --- the test's authority in ca_file: answered over TLS -----------------------------
start_orad
n0=$(chats)
s=$(req POST /api/v1/chat/completions "$CHAT")
check "https upstream, its authority in ca_file: answered (200, got $s)" [ "$s" = 200 ]
check "  ... with the mock's answer" grep -q 'Mock answer to' "$T/out"
check "  ... which the mock received once" [ "$(chats)" = $((n0 + 1)) ]
check "  ... through the TLS relay" grep -q 'relaying a connection' "$T/right.relay.log"
s=$(req POST /api/v1/chat/completions \
	'{"stream":true,"messages":[{"role":"user","content":"stream over TLS"}]}' -N)
check "  ... and a stream too (200, got $s)" [ "$s" = 200 ]
check "  ... which ends with [DONE]" grep -q 'data: \[DONE\]' "$T/out"
check "the model list came over TLS as well" grep -q "catalog: [0-9]* models from https://127.0.0.1:$RIGHT" "$T/orad.log"

# refused URL [CA_FILE] WHAT WHERE SAYS: after a reload onto URL, a chat
# request is refused, the mock sees nothing, and the file WHERE (the
# relay's log or orad's) says SAYS of why.
refused() {
	use_upstream "$1" "$2"
	orad_reload
	n0=$(chats)
	s=$(req POST /api/v1/chat/completions "$CHAT")
	check "$3: refused (502, got $s)" [ "$s" = 502 ]
	check "  ... saying the certificate was not trusted" grep -qi 'certificate\|SSL' "$T/out"
	check "  ... and nothing reached the upstream" [ "$(chats)" = "$n0" ]
	check "  ... because: $5" grep -q "$5" "$4"
}
# Both fail the handshake itself (the name is checked inside it): orad's
# alert reaches the relay, and orad's log says why.
refused "https://127.0.0.1:$STRANGER/api/v1" "$T/good.pem" \
	"a certificate from an authority ca_file does not name" "$T/stranger.relay.log" \
	"handshake failed: .*unknown ca"
check "  ... and orad's log: the issuer is unknown" \
	grep -q "not trusted: unable to get local issuer certificate" "$T/orad.log"
refused "https://127.0.0.1:$WRONGNAME/api/v1" "$T/good.pem" \
	"a certificate for another name" "$T/wrongname.relay.log" "handshake failed"
check "  ... and orad's log: the certificate names another host" \
	grep -q "not trusted: IP address mismatch" "$T/orad.log"
: >"$T/right.relay.log"
refused "https://127.0.0.1:$RIGHT/api/v1" "" \
	"no ca_file, so the system's store, which does not hold the test's authority" \
	"$T/right.relay.log" "handshake failed: .*unknown ca"

# --- and back: ca_file again, on a reload ------------------------------------------
use_upstream "https://127.0.0.1:$RIGHT/api/v1" "$T/good.pem"
orad_reload
s=$(req POST /api/v1/chat/completions "$CHAT")
check "ca_file restored by a reload: answered again (200, got $s)" [ "$s" = 200 ]

# --- through an outbound proxy: a CONNECT tunnel, then TLS inside it ---------------
"$PY3" "$top_srcdir/tests/integration/connect_proxy.py" "$T/proxy.port" 2>"$T/proxy.log" &
PIDS="$PIDS $!"
wait_for_file "$T/proxy.port" || { echo "proxy did not start"; exit 1; }
PROXY_PORT=$(cat "$T/proxy.port")
kill "$ORAD_PID"
wait "$ORAD_PID" 2>/dev/null
ORAD_WRAP="env https_proxy=http://127.0.0.1:$PROXY_PORT"
start_orad
ORAD_WRAP=""
n0=$(chats)
s=$(req POST /api/v1/chat/completions "$CHAT")
check "https_proxy: answered through the proxy's tunnel (200, got $s)" [ "$s" = 200 ]
check "  ... which the proxy carried" grep -q "CONNECT 127.0.0.1:$RIGHT" "$T/proxy.log"
check "  ... to the mock, once" [ "$(chats)" = $((n0 + 1)) ]
s=$(req POST /api/v1/chat/completions \
	'{"stream":true,"messages":[{"role":"user","content":"stream through the tunnel"}]}' -N)
check "  ... and a stream through it (200, got $s)" [ "$s" = 200 ]
check "  ... which ends with [DONE]" grep -q 'data: \[DONE\]' "$T/out"
check "  ... and no credentials were sent where none were given" \
	sh -c "! grep -q 'Proxy-Authorization' '$T/proxy.log'"

# The proxy's credentials, from the URL, percent-decoded: Basic user:p@ss.
kill "$ORAD_PID"
wait "$ORAD_PID" 2>/dev/null
ORAD_WRAP="env https_proxy=http://user:p%40ss@127.0.0.1:$PROXY_PORT"
start_orad
ORAD_WRAP=""
s=$(req POST /api/v1/chat/completions "$CHAT")
check "https_proxy with user:password@: answered (200, got $s)" [ "$s" = 200 ]
check "  ... the tunnel asked for with Proxy-Authorization: Basic user:p@ss" \
	grep -q "with Proxy-Authorization: Basic dXNlcjpwQHNz$" "$T/proxy.log"
finish
