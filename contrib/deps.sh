#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# deps.sh: install what ora needs to build and test, from Debian's packages.
# Does nothing when everything is already there.
set -eu
PACKAGES="build-essential autoconf automake libtool pkg-config \
libevent-dev libssl-dev libcurl4-openssl-dev libjson-c-dev libsodium-dev libconfig-dev \
libsqlite3-dev libpq-dev postgresql libseccomp-dev check python3 python3-httpx curl ca-certificates valgrind \
util-linux passwd procps tzdata mandoc systemd \
libedit-dev libcmark-dev tmux zsh fish clang libclang-rt-14-dev hyperfine"
# The SDK client tests (tests/integration/sdk) need node 20+ with npm. A
# node already installed (e.g. NodeSource's, which bundles npm) is kept:
# Debian's npm would conflict with it.
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"

missing=""
for m in libevent libcurl json-c libsodium libconfig sqlite3 libpq libseccomp check libedit libcmark; do
	pkg-config --exists "$m" 2>/dev/null || missing="$missing $m"
done
# hyperfine: make bench times orask beside curl with it (a shell loop
# timed with date(1) would add two process starts to every sample).
for t in autoreconf libtoolize make cc curl python3 valgrind setpriv useradd mandoc systemd-analyze tmux clang hyperfine; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
# libFuzzer, for the fuzz targets (--enable-fuzzing).
clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null | grep -q / ||
	missing="$missing libFuzzer"
# The PostgreSQL server, for the tests of the PostgreSQL ledger.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
python3 -c 'import httpx' 2>/dev/null || missing="$missing httpx"
command -v node >/dev/null 2>&1 || missing="$missing node"
[ -n "$missing" ] || exit 0

echo "deps.sh: installing packages (missing:$missing)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $PACKAGES
