#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_install.sh: what `make install` lays out for a system, in a DESTDIR:
# programs, libora-client with its soname and symlinks and no libtool
# archive, the header, the .pc, man pages (one date and version, mandoc
# lint clean), bash completion, the example configuration where orad reads
# it, the systemd units (verified, and their security exposure printed and
# held to 2.0 at most), and the sysusers.d and tmpfiles.d files, applied to
# a scratch root to see the users, groups, owners and modes they make.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL"
# mkvar NAME: a variable of the build's Makefile, as make expands it.
mkvar() {
	printf 'ora-print-var:\n\t@echo $(%s)\n' "$1" |
		(cd "$top_builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
			make -s --no-print-directory -f Makefile -f - ora-print-var) | grep -v '^make'
}
prefix=$(mkvar prefix)
unitdir=$(mkvar systemdsystemunitdir)
sysusersdir=$(mkvar sysusersdir)
tmpfilesdir=$(mkvar tmpfilesdir)
sysconfdir=$(mkvar sysconfdir)
VERSION=$(mkvar VERSION)
DATE=$(mkvar ORA_RELEASE_DATE)
R=$T/root
P=$R$prefix

make -s -C "$top_builddir" install DESTDIR="$R" >"$T/install.log" 2>&1
check "make install DESTDIR=...: exit 0" [ $? = 0 ]

for f in bin/orask sbin/orad sbin/oractl; do
	check "$f installed, executable" test -x "$P/$f"
done
check "libora-client.so.0 is the soname" \
	sh -c "objdump -p '$P/lib/libora-client.so.0.1.0' | grep -q 'SONAME *libora-client.so.0\$'"
check "  ... libora-client.so.0 -> the library" [ "$(readlink "$P/lib/libora-client.so.0")" = libora-client.so.0.1.0 ]
check "  ... libora-client.so -> it too (for -lora-client)" [ "$(readlink "$P/lib/libora-client.so")" = libora-client.so.0.1.0 ]
check "  ... and no libtool archive (.la)" test ! -e "$P/lib/libora-client.la"
check "  ... no static library" test ! -e "$P/lib/libora-client.a"
check "the header" test -f "$P/include/ora/client.h"
check "the pkg-config file, with this version" grep -qx "Version: $VERSION" "$P/lib/pkgconfig/ora-client.pc"
check "bash completion" test -f "$P/share/bash-completion/completions/orask"
check "the example configuration at sysconfdir/ora/ora.conf" cmp -s "$top_srcdir/etc/ora.conf" "$R$sysconfdir/ora/ora.conf"
check "  ... and a copy in the documentation" test -f "$P/share/doc/ora/ora.conf.example"
check "  ... never at sysconfdir/ora.conf" test ! -e "$R$sysconfdir/ora.conf"

# A second install keeps the administrator's edited configuration.
echo "# edited" >>"$R$sysconfdir/ora/ora.conf"
make -s -C "$top_builddir" install DESTDIR="$R" >"$T/install2.log" 2>&1
check "a second install keeps an edited ora.conf" grep -q '^# edited$' "$R$sysconfdir/ora/ora.conf"

# --- man pages: one date and source, lint clean ----------------------------------
for m in man1/orask.1 man3/libora-client.3 man5/ora.conf.5 man8/orad.8 man8/oractl.8; do
	check "$m: .TH carries $DATE and 'ora $VERSION'" \
		grep -q "^\.TH [^ ]* [0-9] $DATE \"ora $VERSION\" " "$P/share/man/$m"
	if command -v mandoc >/dev/null; then
		check "  ... mandoc -T lint is silent" sh -c "[ -z \"\$(mandoc -T lint '$P/share/man/$m' 2>&1)\" ]"
	else
		echo "SKIP: mandoc is not installed (apt-get install mandoc): $m not linted"
	fi
done

# --- systemd units -----------------------------------------------------------------
check "orad.service in the system unit directory ($unitdir)" test -f "$R$unitdir/orad.service"
check "orad.socket too" test -f "$R$unitdir/orad.socket"
check "  ... ExecStart is this build's orad" grep -qx "ExecStart=$prefix/sbin/orad" "$R$unitdir/orad.service"
check "  ... ExecStartPre checks first (orad -t)" grep -qx "ExecStartPre=$prefix/sbin/orad -t" "$R$unitdir/orad.service"
check "  ... Restart=on-failure" grep -qx "Restart=on-failure" "$R$unitdir/orad.service"
check "  ... the socket's directory survives a stop" grep -qx "RuntimeDirectoryPreserve=yes" "$R$unitdir/orad.service"
check "  ... socket mode 0660, group ora-users" \
	sh -c "grep -qx 'SocketMode=0660' '$R$unitdir/orad.socket' && grep -qx 'SocketGroup=ora-users' '$R$unitdir/orad.socket'"
for k in SystemCallFilter ProtectClock ProtectKernelLogs ProtectHostname RestrictSUIDSGID RestrictRealtime UMask; do
	check "  ... sets $k" grep -q "^$k=" "$R$unitdir/orad.service"
done
if command -v systemd-analyze >/dev/null && systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	# verify looks for the programs where the unit says: point it at the
	# installed tree.
	mkdir -p "$T/units"
	sed "s|$prefix/sbin/|$P/sbin/|g" "$R$unitdir/orad.service" >"$T/units/orad.service"
	cp "$R$unitdir/orad.socket" "$T/units/"
	systemd-analyze verify --man=no "$T/units/orad.service" "$T/units/orad.socket" >"$T/verify.out" 2>&1
	rc=$?
	# Outside a booted systemd, verify also complains about the host's
	# manager; only what it says about our units counts.
	grep -E "orad\.(service|socket)" "$T/verify.out" >"$T/verify.ours"
	check "systemd-analyze verify: nothing to say about orad's units" [ ! -s "$T/verify.ours" ]
	[ -s "$T/verify.ours" ] && sed 's/^/#   /' "$T/verify.out"
	[ "$rc" = 0 ] || echo "# systemd-analyze verify exit $rc (host notes: $(grep -cv orad "$T/verify.out") lines)"
	score=$(systemd-analyze security --offline=true --no-pager "$T/units/orad.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for orad.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security --offline=true orad.service: exposure $score"
	check "orad.service exposure $score <= 2.0" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'
else
	echo "SKIP: systemd-analyze with --offline is not installed (apt-get install systemd): units not verified, no security score"
fi

# --- sysusers.d and tmpfiles.d, applied to a scratch root ---------------------------
check "sysusers.d/ora.conf installed" test -f "$R$sysusersdir/ora.conf"
check "tmpfiles.d/ora.conf installed" test -f "$R$tmpfilesdir/ora.conf"
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	S=$T/sysroot
	mkdir -p "$S/etc"
	systemd-sysusers --root="$S" "$R$sysusersdir/ora.conf" >"$T/sysusers.out" 2>&1
	check "systemd-sysusers accepts it" [ $? = 0 ]
	check "  ... user ora, no login" grep -q '^ora:x:[0-9]*:[0-9]*:[^:]*:[^:]*:/usr/sbin/nologin$' "$S/etc/passwd"
	check "  ... group ora-users" grep -q '^ora-users:' "$S/etc/group"
	check "  ... group ora-admins" grep -q '^ora-admins:' "$S/etc/group"
	ora_uid=$(sed -n 's/^ora:x:\([0-9]*\):.*/\1/p' "$S/etc/passwd")
	systemd-tmpfiles --create --root="$S" "$R$tmpfilesdir/ora.conf" >"$T/tmpfiles.out" 2>&1
	check "systemd-tmpfiles accepts it" [ $? = 0 ]
	lsd=$(mkvar localstatedir)
	rsd=$(mkvar runstatedir)
	check "  ... the state directory: ora's, 0700" \
		[ "$(stat -c '%u %a' "$S$lsd/lib/ora")" = "$ora_uid 700" ]
	check "  ... the socket's directory: root's, 0755" [ "$(stat -c '%u %a' "$S$rsd/ora")" = "0 755" ]
else
	echo "SKIP: systemd-sysusers/systemd-tmpfiles are not installed: sysusers.d and tmpfiles.d not applied"
fi

# --- uninstall leaves nothing but what the administrator edited ------------------------
make -s -C "$top_builddir" uninstall DESTDIR="$R" >"$T/uninstall.log" 2>&1
check "make uninstall: exit 0" [ $? = 0 ]
left=$(find "$R" -type f ! -path "*/etc/ora/ora.conf" | sed "s|^$R||")
check "  ... removes every installed file but the edited ora.conf" [ -z "$left" ]
[ -z "$left" ] || echo "# left: $left"

finish
