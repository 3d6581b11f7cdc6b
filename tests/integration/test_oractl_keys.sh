#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_oractl_keys.sh: oractl init, key add and key list against a private
# configuration and state directory in a temporary directory.
#
# Run by `make check` with top_builddir and top_srcdir exported; exit 0 pass,
# 1 fail, 77 skip. Prints TAP-style lines and a closing count.

top_builddir=${top_builddir:-.}
ORACTL=$top_builddir/oractl
if [ ! -x "$ORACTL" ]; then
	echo "SKIP: $ORACTL is not built (run make oractl)" >&2
	exit 77
fi

umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_oractl_keys.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

state=$tmp/state
master=$tmp/etc/master.key
conf=$tmp/ora.conf
out=$tmp/out
# Keys that look real but are not.
KEY=sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
KEY2=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

# As root, init gives the state directory to the daemon user; nobody stands
# in for it. Otherwise no user is configured and nothing changes owner.
daemon_user=
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	daemon_user=nobody
fi

cat >"$conf" <<EOF
contact = "the test";
daemon = {
  socket = "$tmp/ora.sock";
  state_dir = "$state";
  master_key = "$master";
  ${daemon_user:+user = \"$daemon_user\";}
};
upstream = { base_url = "http://127.0.0.1:9/api/v1"; };
roles = { staff = { models = [ "openai/*" ]; default_model = "openai/gpt-4o-mini"; }; };
cost_centres = {
  dev = { key = "dev"; };
  prod = { key = "prod"; };
};
rules = ( { everyone = true; role = "staff"; cost_centres = [ "dev", "prod" ]; } );
EOF

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	if [ -s "$out" ]; then
		sed 's/^/#   /' "$out"
	fi
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# run EXPECTED_STATUS ARGS...: oractl with our config, output to $out.
run() {
	want=$1
	shift
	"$ORACTL" -c "$conf" "$@" >"$out" 2>&1
	got=$?
	if [ "$got" != "$want" ]; then
		echo "# oractl $*: exit $got, expected $want"
		return 1
	fi
	return 0
}
has() { grep -qF -- "$1" "$out"; }
mode() { stat -c %a "$1"; }

# Usage.
check "-h prints usage, exit 0" run 0 -h
check "-h mentions key add" has "key add"
check "no command is a usage error (2)" run 2
check "unknown command is a usage error (2)" run 2 frobnicate
check "unknown option is a usage error (2)" run 2 init --bogus
check "missing configuration fails (1)" sh -c "'$ORACTL' -c '$tmp/none.conf' init >'$out' 2>&1; [ \$? = 1 ]"

# init, twice.
check "init creates everything" run 0 init
check "init reports the master key" has "created master key $master"
check "state directory is 0700" test "$(mode "$state")" = 700
check "keys directory is 0700" test "$(mode "$state/keys")" = 700
check "master key is 0600" test "$(mode "$master")" = 600
check "master key is 32 bytes" test "$(stat -c %s "$master")" = 32
if [ -n "$daemon_user" ]; then
	check "state directory is given to the daemon user" \
	    test "$(stat -c %U "$state")" = "$daemon_user"
	check "master key stays root's" test "$(stat -c %U "$master")" = root
fi
cp "$master" "$tmp/master.before"
check "init again refuses, exit 3 (a refusal)" run 3 init
check "init again says the state directory exists" has "state directory $state exists"
check "init again refuses to replace the master key" has "exists; refusing to replace it"
check "init again mentions --force" has "Use --force to replace it anyway"
check "master key unchanged" cmp -s "$master" "$tmp/master.before"
check "ORA_CONF is honoured" sh -c "ORA_CONF='$conf' '$ORACTL' init >'$out' 2>&1; [ \$? = 3 ] && grep -q 'master key $master exists' '$out'"

# key add.
check "key add dev from standard input" sh -c "echo '$KEY' | '$ORACTL' -c '$conf' key add dev >'$out' 2>&1"
check "key add prints a fingerprint" has "key 'dev' stored (fingerprint "
check "key add does not echo the key" sh -c "! grep -qF -- '$KEY' '$out'"
check "key file is 0600" test "$(mode "$state/keys/dev.key")" = 600
check "no file holds the key in clear" sh -c "! grep -rqF -- '$KEY' '$state' '$tmp/etc'"
check "no file holds the key's secret part" sh -c "! grep -rqF -- '${KEY#sk-or-v1-}' '$state'"
fp=$(sed -n "s/.*fingerprint \([0-9a-f]*\)).*/\1/p" "$out")
check "fingerprint is 8 hex digits" sh -c "echo '$fp' | grep -qE '^[0-9a-f]{8}\$'"
if command -v b2sum >/dev/null 2>&1; then
	check "fingerprint is BLAKE2b-256 of the key" \
	    test "$(printf %s "$KEY" | b2sum -l 256 | cut -c1-8)" = "$fp"
fi

check "key add refuses to replace without --force" sh -c "echo '$KEY2' | '$ORACTL' -c '$conf' key add dev >'$out' 2>&1; [ \$? = 1 ]"
check "refusal points to key rotate" has "oractl key rotate dev"
check "key add refuses a key that is not sk-or-" sh -c "echo sk-ant-api03-notours | '$ORACTL' -c '$conf' key add bad >'$out' 2>&1; [ \$? = 1 ]"
check "refused key names the reason" has 'does not start with "sk-or-"'
check "refused key is not echoed" sh -c "! grep -qF notours '$out'"
check "refused key is not stored" test ! -e "$state/keys/bad.key"
check "key add refuses an empty key" sh -c "printf '' | '$ORACTL' -c '$conf' key add empty >'$out' 2>&1; [ \$? = 1 ]"
check "key add refuses a bad name (2)" sh -c "echo '$KEY' | '$ORACTL' -c '$conf' key add ../x >'$out' 2>&1; [ \$? = 2 ]"
check "key add warns about an unusual sk-or- key" sh -c "echo sk-or-v2-short | '$ORACTL' -c '$conf' key add odd >'$out' 2>&1"
check "unusual key warning" has "usual shape"
check "key add --force replaces" sh -c "echo '$KEY2' | '$ORACTL' -c '$conf' key add --force odd >'$out' 2>&1"
check "keys are given to the keys directory owner" \
    test "$(stat -c %U "$state/keys/dev.key")" = "$(stat -c %U "$state/keys")"

# key list.
check "key list succeeds" run 0 key list
check "key list shows dev with its fingerprint" sh -c "grep -qE '^dev +[0-9-]+ [0-9:]+ +$fp +dev\$' '$out'"
check "key list shows prod as missing" sh -c "grep -qE '^prod +- +missing +prod\$' '$out'"
check "key list shows an unused key" sh -c "grep -qE '^odd .* -\$' '$out'"
check "key list never shows a key" sh -c "! grep -qF -- sk-or '$out'"

# Files and directories stay private.
check "every file in the state directory is 0600" \
    sh -c "[ -z \"\$(find '$state' -type f ! -perm 600)\" ]"
check "every directory in the state directory is 0700" \
    sh -c "[ -z \"\$(find '$state' -type d ! -perm 700)\" ]"

# A key file with loose permissions is refused with the fix.
chmod 644 "$state/keys/dev.key"
check "key list fails on a 0644 key file" run 1 key list
check "0644 key file gets the chmod hint" has "run chmod 600 $state/keys/dev.key"
chmod 600 "$state/keys/dev.key"

# A new master key makes stored keys unreadable, and says so.
check "init --force replaces the master key" run 0 init --force
check "init --force warns about stored keys" has "no longer decrypt"
check "master key changed" sh -c "! cmp -s '$master' '$tmp/master.before'"
check "key list fails after the master key changed" run 1 key list
check "key list says why" has "does not decrypt with the master key"

echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
