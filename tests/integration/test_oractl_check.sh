#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_oractl_check.sh: `oractl check` validates a configuration like
# `visudo -c`: every loader error with file:line and exit 1, warnings with
# exit 0, keys that are not stored, and model patterns that match nothing
# in the upstream's catalog (the mock's). No orad runs in this test.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORACTL" "$MOCK"
start_mock
make_daemon_user

# A configuration without any warning: every role and cost centre used,
# every pattern matches a model of the mock's catalog, keys stored.
write_conf '  { user = "root"; role = "power"; cost_centre = "dev"; },
  { everyone = true; role = "basic"; cost_centres = [ "dev", "prod" ]; }'
seal_keys || exit 1

# run_check STATUS ARGS...: oractl check, output in $T/check.out.
run_check() {
	want=$1
	shift
	"$ORACTL" "$@" >"$T/check.out" 2>&1
	got=$?
	# Into a .log too, where finish looks for sanitizer reports.
	cat "$T/check.out" >>"$T/oractl-runs.log"
	if [ "$got" != "$want" ]; then
		echo "# oractl $*: exit $got, expected $want"
		sed 's/^/#   /' "$T/check.out"
		return 1
	fi
}
has() {
	grep -qF -- "$1" "$T/check.out" && return 0
	echo "# not in the output: $1"
	sed 's/^/#   /' "$T/check.out"
	return 1
}
hasnt() {
	grep -qF -- "$1" "$T/check.out" || return 0
	echo "# in the output: $1"
	sed 's/^/#   /' "$T/check.out"
	return 1
}
last_line_is() {
	[ "$(tail -n 1 "$T/check.out")" = "$1" ] && return 0
	echo "# last line is '$(tail -n 1 "$T/check.out")', expected '$1'"
	sed 's/^/#   /' "$T/check.out"
	return 1
}

check "no orad is running" test ! -e "$SOCK"
check "a good configuration: exit 0" run_check 0 check -c "$CONF"
check "a good configuration ends with 'configuration OK'" last_line_is "configuration OK"
check "a good configuration has no warning" hasnt "warning:"
check "the catalog was checked" has "checked against 9 models at $MOCK_URL/api/v1/models"
check "the global -c works too" run_check 0 -c "$CONF" check
check "ORA_CONF works too" env ORA_CONF="$CONF" sh -c "'$ORACTL' check >/dev/null"

# Broken configurations, each with its error at a known line.
base() { # $1: the role's models line (line 4), $2: the rule (line 8)
	cat <<EOF
daemon = { socket = "$T/other.sock"; state_dir = "$STATE"; master_key = "$T/master.key"; $daemon_user };
upstream = { base_url = "$MOCK_URL/api/v1"; };
roles = {
$1
};
cost_centres = { dev = { key = "dev"; }; };
rules = (
$2
);
EOF
}
GOOD_ROLE='  basic = { models = [ "openai/gpt-4o-mini" ]; default_model = "openai/gpt-4o-mini"; };'
GOOD_RULE='  { everyone = true; role = "basic"; cost_centre = "dev"; }'

base "$GOOD_ROLE" '  { everyone = true; role = basic; cost_centre = "dev"; }' >"$T/syntax.conf"
check "a syntax error: exit 1" run_check 1 check -c "$T/syntax.conf"
check "the syntax error has file:line" has "error: $T/syntax.conf:8:"
check "it ends with the count of errors" last_line_is "1 error"
check "no 'configuration OK' after an error" hasnt "configuration OK"

base "$GOOD_ROLE" '  { everyone = true; role = "bsaic"; cost_centre = "dev"; }' >"$T/role.conf"
check "an undefined role: exit 1" run_check 1 check -c "$T/role.conf"
check "the undefined role has file:line and its name" \
	has "error: $T/role.conf:8: rule at line 8 names role 'bsaic', which is not defined"

base '  basic = { models = [ "openai/gpt-4o-mini" ]; defualt_model = "openai/gpt-4o-mini"; };' \
	"$GOOD_RULE" >"$T/typo.conf"
check "a mistyped setting: exit 1" run_check 1 check -c "$T/typo.conf"
check "the mistyped setting has file:line and the fix" \
	has "error: $T/typo.conf:4: unknown setting 'defualt_model' in role 'basic'; did you mean 'default_model'?"

base '  basic = { models = [ "openai/gpt-4o-mini" ]; defualt_model = "openai/gpt-4o-mini"; };' \
	'  { everyone = true; role = "bsaic"; cost_centre = "dev"; }' >"$T/two.conf"
check "two errors: exit 1" run_check 1 check -c "$T/two.conf"
check "both errors are listed" sh -c "grep -c '^error: $T/two.conf:[48]:' '$T/check.out' | grep -qx 2"
check "it counts them" last_line_is "2 errors"

check "a missing file: exit 1" run_check 1 check -c "$T/none.conf"
check "a missing file is named" has "$T/none.conf"

# Warnings: exit 0, each named.
base '  basic = { models = [ "openai/gpt-4o-mini", "opnai/*" ]; default_model = "openai/gpt-4o-mini"; };' \
	"$GOOD_RULE" >"$T/pattern.conf"
check "a pattern that matches no model: exit 0" run_check 0 check -c "$T/pattern.conf"
check "the pattern is named, with its role" \
	has "role 'basic': model pattern 'opnai/*' matches no model in the upstream's catalog"
check "it is only a warning" last_line_is "configuration OK (1 warning)"
check "the pattern that matches is not named" hasnt "pattern 'openai/gpt-4o-mini'"

cat >"$T/centre.conf" <<EOF
daemon = { socket = "$T/other.sock"; state_dir = "$STATE"; master_key = "$T/master.key"; $daemon_user };
upstream = { base_url = "$MOCK_URL/api/v1"; };
roles = { basic = { models = [ "openai/*", "anthropic/*" ]; default_model = "openai/gpt-4o-mini"; }; };
cost_centres = {
  dev = { key = "dev"; };
  research = { key = "research"; models = [ "openai/*", "anthropic/claude-9*" ]; };
};
rules = ( { everyone = true; role = "basic"; cost_centres = [ "dev", "research" ]; } );
EOF
# A key that is not stored stops orad at start: an error, as orad -t says.
check "a centre's pattern and a missing key: exit 1" run_check 1 check -c "$T/centre.conf"
check "the cost centre's pattern is named" \
	has "cost centre 'research': model pattern 'anthropic/claude-9*' matches no model"
check "the key that is not stored is named, with the command to add it" \
	has "cost centre research names key 'research', which is not stored"
check "the error says what to run" has "oractl key add research"
check "a stored key is not named" hasnt "key 'dev', which is not stored"
check "one error, one warning" last_line_is "1 error, 1 warning"

# Loader warnings are printed with file:line too: a shadowed rule.
base "$GOOD_ROLE" "$GOOD_RULE,
  { user = \"root\"; role = \"basic\"; cost_centre = \"dev\"; }" >"$T/shadow.conf"
check "a shadowed rule: exit 0" run_check 0 check -c "$T/shadow.conf"
check "the shadowed rule is a warning with file:line" \
	has "warning: $T/shadow.conf:9: the rule for user 'root' can never match"

# An unreachable catalog is said, and the rest is still checked.
sed "s|$MOCK_URL|http://127.0.0.1:1|" "$T/pattern.conf" >"$T/offline.conf"
check "an unreachable upstream: exit 0" run_check 0 check -c "$T/offline.conf"
check "it says the catalog was not checked" has "catalog not checked:"
check "the configuration is still OK" last_line_is "configuration OK"

check "still no orad" test ! -e "$SOCK"
finish
