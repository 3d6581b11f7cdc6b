#!/bin/sh
# deps.sh: install what ora needs to build and test, from Debian's packages.
# Does nothing when everything is already there.
set -eu
PACKAGES="build-essential autoconf automake libtool pkg-config \
libevent-dev libcurl4-openssl-dev libjson-c-dev libsodium-dev libconfig-dev \
libsqlite3-dev check python3 python3-httpx curl ca-certificates valgrind \
util-linux passwd procps tzdata clang libclang-rt-14-dev"

missing=""
for m in libevent libcurl json-c libsodium libconfig sqlite3 check; do
	pkg-config --exists "$m" 2>/dev/null || missing="$missing $m"
done
for t in autoreconf libtoolize make cc curl python3 valgrind setpriv useradd clang; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
# libFuzzer, for the fuzz targets (--enable-fuzzing).
clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null | grep -q / ||
	missing="$missing libFuzzer"
python3 -c 'import httpx' 2>/dev/null || missing="$missing httpx"
[ -n "$missing" ] || exit 0

echo "deps.sh: installing packages (missing:$missing)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $PACKAGES
