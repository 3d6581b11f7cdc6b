#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_orad_unit.sh: orad started the way contrib/orad.service starts it,
# without systemd itself: never root, the socket bound by someone else and
# handed over (LISTEN_FDS, as orad.socket does, here by
# systemd-socket-activate), the master key as a credential
# ($CREDENTIALS_DIRECTORY/ora-master-key, as LoadCredential= gives it),
# readable by nobody but orad's user. ExecStartPre's `orad -t` passes as
# that user too, and the broker answers over the handed-over socket.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
is_root || skip_all "needs root, to run orad as an unprivileged user"
command -v systemd-socket-activate >/dev/null ||
	skip_all "systemd-socket-activate is not installed (package systemd)"

start_mock
make_daemon_user
U=${PFX}d
write_conf '  { everyone = true; role = "basic"; cost_centre = "dev"; }'
seal_keys || exit 1
# RuntimeDirectory=ora: the socket's directory belongs to orad's user.
mkdir -p "$T/run"
chown "$U" "$T/run"
sed -i "s|socket = \"$SOCK\"|socket = \"$T/run/ora.sock\"|" "$CONF"
SOCK=$T/run/ora.sock
mkdir -p "$T/bin" "$T/creds"
cp "$ORAD" "$T/bin/orad"
chmod 755 "$T/bin" "$T/bin/orad"
# What LoadCredential= does: a private copy, the service user's alone.
install -m 0400 -o "$U" "$T/master.key" "$T/creds/ora-master-key"
chown "$U" "$T/creds"
chmod 0500 "$T/creds"
# The configuration names a master key orad's user cannot read: only the
# credential lets it start.
chmod 0600 "$T/master.key"
check "the master key file itself is closed to orad's user" \
	sh -c "! setpriv --reuid='$U' --regid='$(id -g "$U")' --init-groups -- cat '$T/master.key' >/dev/null 2>&1"
unit_env() {
	setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups -- \
		env CREDENTIALS_DIRECTORY="$T/creds" "$@"
}

unit_env "$T/bin/orad" -t -c "$CONF" >"$T/t.out" 2>&1
check "ExecStartPre=orad -t as orad's user, with the credential: exit 0" [ $? = 0 ]
check "  ... configuration OK" grep -qx "configuration OK" "$T/t.out"
env -u CREDENTIALS_DIRECTORY setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups -- \
	"$T/bin/orad" -t -c "$CONF" >"$T/t2.out" 2>&1
check "  ... and without it, refused: the master key is not readable" \
	sh -c "[ $? = 1 ] && grep -q 'master key: ' '$T/t2.out'"

# orad.socket's part: bind as root, hand the socket over. The socket's
# mode and group are the socket unit's business; here the test's users
# must reach it.
rm -f "$SOCK"
systemd-socket-activate -l "$SOCK" -- setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups -- \
	env CREDENTIALS_DIRECTORY="$T/creds" "$T/bin/orad" -f -c "$CONF" 2>>"$T/orad.log" &
ORAD_PID=$!
PIDS="$PIDS $ORAD_PID"
wait_for_file "$SOCK"
chmod 666 "$SOCK"
s=$(req GET /api/v1/me)
check "orad answers on the handed-over socket (a blocking one, as systemd passes by default)" [ "$s" = 200 ]
s=$(req GET /api/v1/me)
check "  ... and keeps answering (it does not hang in accept())" [ "$s" = 200 ]
check "  ... having said it took systemd's socket" wait_until 30 grep -q 'ready on (systemd socket)' "$T/orad.log"
pid=$(pgrep -f "$T/bin/orad -f" | head -n 1)
check "  ... running as $U, never root" [ "$(stat -c %U "/proc/$pid")" = "$U" ]
s=$(req POST /api/v1/chat/completions '{"messages":[{"role":"user","content":"hello"}]}')
check "  ... and a question goes through, with the sealed key" [ "$s" = 200 ]

finish
