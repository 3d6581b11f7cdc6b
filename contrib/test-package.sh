#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test-package.sh: build the Debian packages and try them as a sysadmin
# would, on a fresh Debian (also `make check-package`). Too slow for the
# default suite: it builds the packages, runs lintian, and installs them in
# a new `debootstrap --variant=minbase bookworm` chroot with
# `apt-get install ./...deb`; there it runs `oractl init`, adds a key,
# starts orad by hand (systemd does not run in a chroot), asks a question
# with orask as a member of ora-users against the bundled mock upstream,
# then removes the package (state kept) and purges it (state gone).
#
#   contrib/test-package.sh [--no-chroot]
#
# Needs root, dpkg-dev, debhelper, lintian and debootstrap, and a reachable
# Debian mirror ($DEBIAN_MIRROR, default http://deb.debian.org/debian).
# The base chroot is cached as a tarball in /var/cache/ora-test/, so reruns
# skip debootstrap. Prints "ok"/"not ok" lines and ends with
# "N passed, N failed"; exit 0 when nothing failed.
set -u
cd "$(dirname "$0")/.."
SRC=$(pwd)
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=/var/cache/ora-test
BASE=$CACHE/bookworm-minbase.tar.gz
CHROOT_TEST=1
[ "${1:-}" = --no-chroot ] && CHROOT_TEST=0

passed=0 failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

[ "$(id -u)" -eq 0 ] || { echo "SKIP: test-package.sh needs root (debootstrap, chroot)"; exit 77; }
for t in dpkg-buildpackage dh lintian debootstrap; do
	command -v "$t" >/dev/null || {
		echo "SKIP: $t is not installed (apt-get install dpkg-dev debhelper lintian debootstrap)"
		exit 77
	}
done

W=$(mktemp -d /tmp/ora-package.XXXXXX)
C=$W/chroot
cleanup() {
	for m in proc dev/pts dev; do
		mountpoint -q "$C/$m" 2>/dev/null && umount -l "$C/$m"
	done
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- build ---------------------------------------------------------------------------
# From the files git knows (committed or not), so that nothing of a local
# build leaks in and the .debs land in $W, not beside the checkout.
mkdir -p "$W/ora-0.1.0"
git ls-files -co --exclude-standard | grep -v '^debian/\(ora\|libora-client0\|libora-client-dev\|tmp\)/' |
	tar -cf - -T - | tar -xf - -C "$W/ora-0.1.0"
echo "# dpkg-buildpackage -us -uc -b (log: $W/build.log)"
(cd "$W/ora-0.1.0" && dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b: exit 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || { tail -n 40 "$W/build.log"; finish; }
for p in ora libora-client0 libora-client-dev; do
	check "  ... built $p" sh -c "ls '$W'/${p}_*.deb >/dev/null 2>&1"
done
dpkg-deb -c "$W"/ora_*.deb >"$W/ora.contents"
for f in ./usr/sbin/orad ./usr/sbin/oractl ./usr/bin/orask ./etc/ora/ora.conf \
	./lib/systemd/system/orad.service ./lib/systemd/system/orad.socket \
	./usr/lib/sysusers.d/ora.conf ./usr/lib/tmpfiles.d/ora.conf \
	./usr/share/man/man8/orad.8.gz ./usr/share/man/man8/oractl.8.gz \
	./usr/share/man/man1/orask.1.gz ./usr/share/man/man5/ora.conf.5.gz; do
	check "  ... ora ships $f" grep -q " $f\$" "$W/ora.contents"
done
dpkg-deb -e "$W"/ora_*.deb "$W/ora.control"
check "  ... /etc/ora/ora.conf is a conffile" grep -qx /etc/ora/ora.conf "$W/ora.control/conffiles"
check "  ... libora-client0 ships the soname" \
	sh -c "dpkg-deb -c '$W'/libora-client0_*.deb | grep -q 'libora-client.so.0 -> libora-client.so.0.1.0'"
check "  ... no libtool archive anywhere" sh -c "! dpkg-deb -c '$W'/libora-client-dev_*.deb | grep -q '\.la\$'"

# --- lintian ---------------------------------------------------------------------------
lintian -I --pedantic --tag-display-limit 0 "$W"/*.changes >"$W/lintian.out" 2>&1
echo "# lintian: $(grep -c '^E:' "$W/lintian.out") errors, $(grep -c '^W:' "$W/lintian.out") warnings, $(grep -c '^I:' "$W/lintian.out") info"
sed 's/^/#   /' "$W/lintian.out"
check "lintian: no errors" sh -c "! grep -q '^E:' '$W/lintian.out'"

[ "$CHROOT_TEST" = 1 ] || finish

# --- a fresh bookworm ---------------------------------------------------------------------
mkdir -p "$CACHE" "$C"
if [ ! -s "$BASE" ]; then
	echo "# debootstrap --variant=minbase bookworm (cached in $BASE afterwards)"
	if debootstrap --variant=minbase bookworm "$C" "$MIRROR" >"$W/debootstrap.log" 2>&1; then
		tar -C "$C" -czf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE"
	else
		tail -n 20 "$W/debootstrap.log"
		not_ok "debootstrap bookworm from $MIRROR"
		finish
	fi
else
	tar -C "$C" -xzf "$BASE"
fi
ok "a fresh minbase bookworm chroot"
cp /etc/resolv.conf "$C/etc/resolv.conf"
mount -t proc proc "$C/proc"
mount --bind /dev "$C/dev"
ch() { chroot "$C" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

# The pid of a process called NAME running inside the chroot (no procps
# there).
chroot_pid() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$C" ] || continue
		[ "$(cat "$p/comm" 2>/dev/null)" = "$1" ] && { echo "${p#/proc/}"; return 0; }
	done
	return 1
}

mkdir -p "$C/tmp/debs"
cp "$W"/*.deb "$C/tmp/debs/"
ch sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	/tmp/debs/ora_*.deb /tmp/debs/libora-client0_*.deb' >"$W/apt.log" 2>&1
check "apt-get install ./ora_*.deb ./libora-client0_*.deb in the chroot: exit 0" [ $? = 0 ]
check "  ... says the service waits for oractl init and a key" \
	grep -q "orad is installed but neither enabled nor started" "$W/apt.log"
check "  ... made user ora and groups ora-users, ora-admins" \
	ch sh -c '{ getent passwd ora && getent group ora-users && getent group ora-admins; } >/dev/null'
check "  ... /var/lib/ora is ora's, 0700" [ "$(ch stat -c '%U %a' /var/lib/ora)" = "ora 700" ]
check "  ... the units are installed, not enabled" \
	sh -c "[ -f '$C/lib/systemd/system/orad.service' ] && [ ! -e '$C/etc/systemd/system/multi-user.target.wants/orad.service' ]"
check "  ... every program answers --version" \
	ch sh -c '{ orad --version && oractl --version && orask --version; } >/dev/null'

# The mock upstream and its key; the packaged configuration pointed at it
# (the example's cost centres and rules kept, one key for all of them).
MOCK=$(find "$W/ora-0.1.0" -path '*/tests/mock/ora-mock' -type f | head -n 1)
cp "$MOCK" "$C/usr/local/bin/ora-mock"
KEY="sk-or-v1-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$KEY" >"$C/tmp/mock.keys"
ch sh -c 'ora-mock --listen 127.0.0.1:0 --port-file /tmp/mock.port --keys /tmp/mock.keys --quiet \
	>/tmp/mock.log 2>&1 &'
i=0
until [ -s "$C/tmp/mock.port" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$C/tmp/mock.port")
check "the mock upstream runs in the chroot" [ -n "$PORT" ]
cat >"$C/etc/ora/ora.conf" <<CONF
contact = "the package test";
daemon = {
  socket = "/run/ora/ora.sock";
  socket_group = "ora-users";
  socket_mode = "0660";
  state_dir = "/var/lib/ora";
  master_key = "/etc/ora/master.key";
  user = "ora";
  group = "ora";
  admin_group = "ora-admins";
};
upstream = { base_url = "http://127.0.0.1:$PORT/api/v1"; title = "ora package test"; };
roles = { staff = { models = [ "openai/*" ]; default_model = "openai/gpt-4o-mini"; max_tokens = 300; }; };
cost_centres = { dev = { key = "dev"; }; };
rules = ( { group = "ora-users"; role = "staff"; cost_centre = "dev"; } );
CONF

ch oractl init >"$W/init.out" 2>&1
check "oractl init: exit 0" [ $? = 0 ]
ch oractl init >"$W/init2.out" 2>&1
check "oractl init again: refused, exit 3" [ $? = 3 ]
ch orad -t >"$W/t1.out" 2>&1
check "orad -t before any key: refused, naming the key" \
	sh -c "[ $? = 1 ] && grep -q \"names key 'dev', which is not stored\" '$W/t1.out'"
printf '%s\n' "$KEY" | ch oractl key add dev >"$W/key.out" 2>&1
check "oractl key add dev < key: exit 0" [ $? = 0 ]
# No systemd here: what tmpfiles.d would make at boot.
ch install -d -m 0755 /run/ora
ch orad -t >"$W/t2.out" 2>&1
check "orad -t: exit 0, naming the file" \
	sh -c "[ $? = 0 ] && grep -q 'configuration file /etc/ora/ora.conf test is successful' '$W/t2.out'"
ch sh -c 'orad -f >/tmp/orad.log 2>&1 &'
i=0
until [ -S "$C/run/ora/ora.sock" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
check "orad started by hand listens on /run/ora/ora.sock" [ -S "$C/run/ora/ora.sock" ]
check "  ... the socket is 0660, group ora-users" [ "$(ch stat -c '%a %G' /run/ora/ora.sock)" = "660 ora-users" ]
ORAD_PID=$(chroot_pid orad)
check "  ... running as ora" [ "$(ch getent passwd "$(stat -c %u "/proc/$ORAD_PID")" | cut -d: -f1)" = ora ]

ch useradd -m -G ora-users alice
ch useradd -m bob
ch runuser -u alice -- orask "Why broker API keys?" >"$W/ask.out" 2>"$W/ask.err"
check "orask as alice (ora-users): exit 0" [ $? = 0 ]
check "  ... with an answer" [ -s "$W/ask.out" ]
sed 's/^/#   /' "$W/ask.out" | head -n 5
ch runuser -u bob -- orask "hello" >/dev/null 2>"$W/bob.err"
check "orask as bob (not in ora-users): refused, exit 3 (cannot reach the socket)" [ $? = 3 ]
ch oractl report --by user >"$W/report.out" 2>&1
check "oractl report shows alice's request" grep -q alice "$W/report.out"
ch oractl backup /root/ledger-backup.db >"$W/backup.out" 2>&1
check "oractl backup while orad runs: exit 0" [ $? = 0 ]

kill "$ORAD_PID"
i=0
while kill -0 "$ORAD_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
MOCK_PID=$(chroot_pid ora-mock) && kill "$MOCK_PID"

ch sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq ora' >"$W/remove.log" 2>&1
check "apt-get remove ora: exit 0" [ $? = 0 ]
check "  ... keeps the ledger and keys" [ -f "$C/var/lib/ora/ledger.db" ] && [ -f "$C/var/lib/ora/keys/dev.key" ]
check "  ... keeps the master key" [ -f "$C/etc/ora/master.key" ]
ch sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ora' >"$W/purge.log" 2>&1
check "apt-get purge ora: exit 0" [ $? = 0 ]
check "  ... removes the state directory" [ ! -e "$C/var/lib/ora" ]
check "  ... and the master key and configuration" [ ! -e "$C/etc/ora" ]
finish
