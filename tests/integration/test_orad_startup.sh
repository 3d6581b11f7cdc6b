#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# orad refuses to start, naming the key and the reason, when a key is
# missing, too open, or does not decrypt; and refuses to clobber what is not
# its own socket.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
ME=$(id -un)
start_mock
make_daemon_user
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\", \"prod\" ]; }"
seal_keys || exit 1

# refuses CASE PATTERN: orad must exit non-zero with PATTERN in its output.
refuses() {
	desc=$1
	pattern=$2
	if timeout 30 "$ORAD" -f -c "$CONF" >"$T/start.log" 2>&1; then
		not_ok "$desc: orad started"
		return
	fi
	check "$desc: refused, saying so" grep -q -E "$pattern" "$T/start.log"
	check "$desc: no socket left behind" [ ! -e "$SOCK" ]
}

# A cost centre whose key was never added.
cp "$CONF" "$T/good.conf"
sed -i 's/prod = { key = "prod";/prod = { key = "qa";/' "$CONF"
refuses "missing key" "qa.*oractl key add qa"
cp "$T/good.conf" "$CONF"

# A key file readable by others.
chmod 644 "$STATE/keys/dev.key"
refuses "key file mode 0644" "dev.key.*chmod 600"
chmod 600 "$STATE/keys/dev.key"

# A key file renamed from another key: the name is bound to the ciphertext.
cp -p "$STATE/keys/dev.key" "$T/dev.key.saved"
cp -p "$STATE/keys/prod.key" "$STATE/keys/dev.key"
refuses "prod's key file renamed to dev" "dev.*(decrypt|renamed)"
cp -p "$T/dev.key.saved" "$STATE/keys/dev.key"

# A different master key: nothing decrypts.
cp -p "$T/master.key" "$T/master.saved"
"$ORACTL" -c "$CONF" init --force >/dev/null 2>&1
refuses "another master key" "(dev|prod).*decrypt"
cp -p "$T/master.saved" "$T/master.key"

# The master key from a systemd credential instead of daemon.master_key.
mkdir -m 700 "$T/creds"
cp -p "$T/master.key" "$T/creds/ora-master-key"
mv "$T/master.key" "$T/master.away"
CREDENTIALS_DIRECTORY=$T/creds "$ORAD" -f -c "$CONF" 2>"$T/cred.log" &
CRED_PID=$!
cred_up() { [ -S "$SOCK" ] && curl -s --unix-socket "$SOCK" -o /dev/null http://localhost/api/v1/me; }
check "orad takes the master key from \$CREDENTIALS_DIRECTORY/ora-master-key" wait_until 30 cred_up
kill "$CRED_PID"
wait "$CRED_PID" 2>/dev/null
rm -f "$SOCK"
if "$ORAD" -f -c "$CONF" >"$T/start.log" 2>&1; then
	not_ok "without the credential or the file, orad refuses"
else
	ok "without the credential or the file, orad refuses"
fi
mv "$T/master.away" "$T/master.key"
rm -f "$SOCK"

# A file that is not a socket where the socket should go is never removed.
echo "precious" >"$SOCK"
if timeout 30 "$ORAD" -f -c "$CONF" >"$T/start.log" 2>&1; then
	not_ok "orad started over a regular file at the socket path"
else
	check "a regular file at the socket path is refused" grep -q "not a socket" "$T/start.log"
fi
check "  ... and left untouched" [ "$(cat "$SOCK")" = precious ]
rm -f "$SOCK"

# A live broker's socket is not stolen by a second one.
start_orad
if timeout 30 "$ORAD" -f -c "$CONF" >"$T/second.log" 2>&1; then
	not_ok "a second orad started on a live socket"
else
	check "a second orad refuses a live socket" grep -q "already serving" "$T/second.log"
fi
s=$(req GET /api/v1/me)
check "  ... and the first keeps serving" [ "$s" = 200 ]

# Nor is its ledger shared by a second one on another socket: two writers
# of one intent log would each overwrite the other's records.
sed "s|socket = \"$SOCK\";|socket = \"$T/other.sock\";|" "$CONF" >"$T/other.conf"
if timeout 30 "$ORAD" -f -c "$T/other.conf" >"$T/other.log" 2>&1; then
	not_ok "a second orad started on the same state_dir"
else
	check "a second orad on the same state_dir is refused, naming the cause" \
		grep -q "ledger.db-log is in use by another process: every orad needs a state_dir of its own" \
		"$T/other.log"
fi
check "  ... and leaves no socket" [ ! -e "$T/other.sock" ]
s=$(req POST /api/v1/chat/completions "$CHAT")
check "  ... and the first keeps serving and recording" [ "$s" = 200 ]
check "  ... every request" mock_vs_ledger

# A stale socket from a killed broker is cleaned up.
kill -9 "$ORAD_PID"
wait "$ORAD_PID" 2>/dev/null
PIDS=$(echo "$PIDS" | sed "s/ $ORAD_PID//")
check "a killed broker leaves its socket" [ -S "$SOCK" ]
start_orad
s=$(req GET /api/v1/me)
check "a new broker replaces the stale socket and serves" [ "$s" = 200 ]
finish
