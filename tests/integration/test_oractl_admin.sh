#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_oractl_admin.sh: oractl against a real orad and the mock upstream:
# status, metrics, reload (accepted and refused), key rotate under a slow
# stream, key rm, key check, explain, the audit trail; and, as root with
# real users and groups, that orad's admin endpoints refuse everyone but
# root and the admin group.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"

ME=$(id -un)
KEY_NEW="sk-or-v1-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
KEY_BOGUS="sk-or-v1-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# The mock accepts the two keys of lib.sh and the one dev is rotated to.
printf '%s\n%s\n%s\n' "$KEY_DEV" "$KEY_PROD" "$KEY_NEW" >"$T/mock-all.keys"
start_mock --keys "$T/mock-all.keys"
make_daemon_user
if is_root; then
	add_user alice users
	add_user bob users
	add_user carol
	add_user adm admins
fi

RULES="  { group = \"${PFX}users\"; role = \"basic\"; cost_centres = [ \"dev\", \"prod\" ]; },
  { group = \"${PFX}admins\"; role = \"power\"; cost_centre = \"dev\"; },
  { user = \"$ME\"; role = \"power\"; cost_centres = [ \"dev\", \"prod\" ]; }"
ROLES='
  basic = {
    models = [ "openai/gpt-4o-mini", "meta-llama/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    budget = { usd = 5.0; period = "daily"; };
  };
  power = {
    models = [ "openai/*", "anthropic/*", "meta-llama/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 4000;
  };'
CONF_EXTRA='budgets = { global = { usd = 100.0; period = "monthly"; }; };'
# Not as root, this test's user must be an admin: through its own group.
if is_root; then ADMIN_GROUP=${PFX}admins; else ADMIN_GROUP=$(id -gn); fi
write_conf "$RULES" "$ROLES" "admin_group = \"$ADMIN_GROUP\";"
seal_keys || exit 1
start_orad

# ctl STATUS ARGS...: oractl with this test's configuration, output (both
# streams) in $T/ctl.out.
ctl() {
	want=$1
	shift
	"$ORACTL" -c "$CONF" "$@" >"$T/ctl.out" 2>&1
	got=$?
	keep
	if [ "$got" != "$want" ]; then
		echo "# oractl $*: exit $got, expected $want"
		sed 's/^/#   /' "$T/ctl.out"
		return 1
	fi
}
# keep: oractl's output goes into a .log too, so that finish finds any
# sanitizer report in it.
keep() { cat "$T/ctl.out" >>"$T/oractl-runs.log"; }
has() {
	grep -qF -- "$1" "$T/ctl.out" && return 0
	echo "# not in the output: $1"
	sed 's/^/#   /' "$T/ctl.out"
	return 1
}
hasnt() {
	grep -qF -- "$1" "$T/ctl.out" || return 0
	echo "# in the output: $1"
	return 1
}
has_re() {
	grep -qE -- "$1" "$T/ctl.out" && return 0
	echo "# no line matches: $1"
	sed 's/^/#   /' "$T/ctl.out"
	return 1
}
# No key in clear, anywhere we print or record.
no_keys_in() {
	for k in "$KEY_DEV" "$KEY_PROD" "$KEY_NEW" "$KEY_BOGUS"; do
		if grep -qF -- "${k#sk-or-v1-}" "$@"; then
			echo "# a key is in $*"
			return 1
		fi
	done
}
chat() { req POST /api/v1/chat/completions "$CHAT"; }

# --- status and metrics --------------------------------------------------
check "status: exit 0" ctl 0 status
check "status names the version and the generation" has_re '^orad 0\.1\.0, pid [0-9]+, up '
check "status shows the configuration generation" has "configuration: $CONF, generation 1"
check "status shows connections" has_re '^connections: [0-9]+ open$'
check "status shows requests in flight" has_re '^in flight: [0-9]+'
check "status shows the catalog" has_re '^catalog: 9 models, loaded '
check "status shows the upstream" has "upstream: $MOCK_URL/api/v1: "
check "status shows the ledger" has "ledger: $STATE/ledger.db, "
check "status --json: exit 0" ctl 0 status --json
check "status --json is the JSON" \
	"$PY3" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "in_flight" in d and d["config"]["generation"] == 1' "$T/ctl.out"

for i in 1 2 3; do
	test "$(chat)" = 200 || not_ok "chat request $i"
done
check "metrics: exit 0" ctl 0 metrics
check "metrics count requests by outcome, model and cost centre" has_re '^ora_requests_total\{.*outcome=.*model=.*cost_centre=.*\} [0-9]'
check "metrics count the three requests" sh -c \
	"awk '/^ora_requests_total\\{/ { n += \$NF } END { exit !(n >= 3) }' '$T/ctl.out'"
check "metrics have spend" has_re '^ora_spend_usd_total\{cost_centre="dev"\} '
check "metrics have tokens" has_re '^ora_tokens_total\{kind="prompt",cost_centre="dev"\} '
check "metrics have the latency histogram" has_re '^ora_upstream_latency_seconds_bucket\{le='
check "metrics have requests in flight" has_re '^ora_in_flight [0-9]'
check "metrics have budget remaining" has_re '^ora_budget_remaining_usd\{scope="global"'

# --- reload --------------------------------------------------------------
check "reload: exit 0" ctl 0 reload
check "reload says the new generation" has "configuration reloaded: generation 2"
check "status has the new generation" sh -c "'$ORACTL' -c '$CONF' status | grep -qF 'generation 2'"
cp "$CONF" "$T/good.conf"
# An undefined role in the rule for $ME (the file still parses).
sed "s/{ user = \"$ME\"; role = \"power\";/{ user = \"$ME\"; role = \"nosuchrole\";/" "$T/good.conf" >"$CONF"
BAD_LINE=$(grep -n nosuchrole "$CONF" | cut -d: -f1)
check "a broken configuration: reload exits 1" ctl 1 reload
check "the refusal says the old configuration stays" has "reload refused: "
check "the refusal says the old configuration stays in force" has "previous configuration stays in force"
check "every error is shown with file:line" has "error: $CONF:$BAD_LINE:"
check "the old configuration still serves" test "$(chat)" = 200
check "status still works with the broken file" ctl 0 status
check "the generation did not change" has "generation 2"
printf 'this is not ora.conf\n' >>"$CONF"
check "a file that does not parse: reload exits 1" ctl 1 reload
check "the syntax error is shown with file:line" has "$CONF:$(wc -l <"$CONF"): syntax error"
check "it says what to do" has "oractl check"
cp "$T/good.conf" "$CONF"

# --- key rotate with a slow stream in flight --------------------------------
mock_post /mock/reset '{}'
mock_post /mock/faults '{"times":1,"delay_events_ms":200}'
curl -sS -N --unix-socket "$SOCK" -H 'Content-Type: application/json' \
	--data-binary '{"stream":true,"messages":[{"role":"user","content":"a slow stream across the rotation"}]}' \
	-o "$T/stream.out" -w '%{http_code}' http://localhost/api/v1/chat/completions >"$T/stream.status" 2>"$T/stream.err" &
STREAM_PID=$!
# Rotate once the stream is under way: its first events have arrived.
wait_until 30 sh -c "grep -q '^data: {' '$T/stream.out' 2>/dev/null" || not_ok "the slow stream started"
check "the stream is still running when the key is rotated" kill -0 "$STREAM_PID"
check "status shows the stream in flight, by user" ctl 0 status
check "... as one request of $ME" has "in flight: 1 ($ME 1)"
printf '%s\n' "$KEY_NEW" | "$ORACTL" -c "$CONF" key rotate dev >"$T/ctl.out" 2>&1
st=$?
keep
check "key rotate: exit 0" test $st = 0
check "key rotate shows old and new fingerprints" has_re "^key 'dev' rotated: fingerprint [0-9a-f]{8} -> [0-9a-f]{8}$"
check "key rotate made orad reload" has "configuration reloaded: generation 3"
check "the stream was still running after the rotation" kill -0 "$STREAM_PID"
for i in 1 2 3; do
	test "$(chat)" = 200 || not_ok "chat request $i after the rotation"
done
wait "$STREAM_PID"
check "the stream finished without error (curl exit 0)" test $? = 0
check "the stream answered 200" test "$(cat "$T/stream.status")" = 200
check "the stream ended with [DONE]" grep -q '^data: \[DONE\]' "$T/stream.out"
check "the stream carried no error event" sh -c "! grep -q '\"error\"' '$T/stream.out'"
mock_get /mock/requests "$T/requests.json"
check "the mock saw no failed request" "$PY3" -c '
import json, sys
d = json.load(open(sys.argv[1]))["data"]
bad = [r["status"] for r in d if r["status"] != 200]
sys.exit(1 if bad or len(d) != 4 else 0)' "$T/requests.json"
check "the stream used the old key" "$PY3" -c '
import json, sys
d = json.load(open(sys.argv[1]))["data"]
sys.exit(0 if d[0]["body"].get("stream") and d[0]["authorization_key"] == sys.argv[2] else 1)' \
	"$T/requests.json" "$KEY_DEV"
check "new requests use the new key" "$PY3" -c '
import json, sys
d = json.load(open(sys.argv[1]))["data"]
sys.exit(0 if [r["authorization_key"] for r in d[1:]] == [sys.argv[2]] * 3 else 1)' \
	"$T/requests.json" "$KEY_NEW"
check "key rotate of a key that is not stored: exit 1" sh -c \
	"printf '%s\n' '$KEY_NEW' | '$ORACTL' -c '$CONF' key rotate nosuch >'$T/ctl.out' 2>&1; [ \$? = 1 ]"
check "it says to add the key instead" has "oractl key add nosuch"

# --- key rm ------------------------------------------------------------------
check "key rm of a key in use: exit 1" ctl 1 key rm prod
check "the refusal names the cost centre" has "uses it in cost centre prod"
check "the key in use is still stored" test -f "$STATE/keys/prod.key"
printf '%s\n' "$KEY_BOGUS" | "$ORACTL" -c "$CONF" key add spare >/dev/null 2>&1
check "key rm of an unused key (as if through sudo): exit 0" \
	sh -c "SUDO_USER=${PFX}adm '$ORACTL' -c '$CONF' key rm spare >'$T/ctl.out' 2>&1"
check "key rm says what it removed" has_re "^key 'spare' removed \\(fingerprint [0-9a-f]{8}\\)$"
check "the unused key is gone" test ! -e "$STATE/keys/spare.key"
check "key rm of a key that is not stored: exit 1" ctl 1 key rm spare

# --- key check -------------------------------------------------------------
check "key check against the mock's /key: exit 0" ctl 0 key check dev
check "key check says the key is valid" has_re "^key 'dev' \\(fingerprint [0-9a-f]{8}\\) is valid at $MOCK_URL/api/v1$"
check "key check shows the limit" has "limit:      none"
check "key check shows what remains" has "remaining:  unlimited"
check "key check shows the reset" has "reset:      never"
check "key check shows the free tier" has "free tier:  no"
mock_get /mock/generations "$T/gens.json"
check "key check shows the usage the mock billed to the new key" "$PY3" -c '
import json, re, sys
from decimal import Decimal
gens = json.load(open(sys.argv[1]))["data"]
want = sum(g["cost_picodollars"] for g in gens if g["key"] == sys.argv[3])
m = re.search(r"usage: +([0-9.eE-]+) USD", open(sys.argv[2]).read())
sys.exit(0 if m and want > 0 and Decimal(m.group(1)) * 10**12 == want else 1)' \
	"$T/gens.json" "$T/ctl.out" "$KEY_NEW"
cp "$T/ctl.out" "$T/keycheck.out"
printf '%s\n' "$KEY_BOGUS" | "$ORACTL" -c "$CONF" key add bogus >/dev/null 2>&1
check "key check of a key the upstream refuses: exit 1" ctl 1 key check bogus
check "it says the key is not valid" has "key 'bogus' ("
check "it says why" has "is not valid: $MOCK_URL/api/v1/key answered 401"
cp "$T/ctl.out" "$T/keycheck-bad.out"
check "key check never prints a key" no_keys_in "$T/keycheck.out" "$T/keycheck-bad.out"
mock_get /mock/stats "$T/stats.json"
check "key check asked the upstream's /key twice" "$PY3" -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["requests"]["key"] == 2 else 1)' "$T/stats.json"

# --- explain -----------------------------------------------------------------
check "explain $ME: exit 0" ctl 0 explain "$ME"
check "explain names the user rule and its line" has_re "^rule: line [0-9]+ of $CONF, user $ME: names $ME$"
check "explain shows the role" has "role: power"
check "explain shows the default cost centre first" has "dev (default): pays with key 'dev'"
check "explain shows the cost centre's restriction" has "prod: pays with key 'prod'; narrows models to: openai/gpt-4o-mini"
check "explain shows live budgets" has "budgets (live from orad"
check "explain shows the global budget with what remains" has_re '^  global +- +monthly +100 +'
check "explain MODEL allowed by the role's pattern" ctl 0 explain "$ME" anthropic/claude-3.5-sonnet
check "it names the pattern" has "cost centre dev (default): allowed: role power allows it by 'anthropic/*'"
check "it says which cost centre refuses it, and why" \
	has "cost centre prod: refused: role power allows it by 'anthropic/*', but cost centre prod allows only openai/gpt-4o-mini"
check "explain a model the role refuses: exit 1" ctl 1 explain "$ME" mistralai/mistral-7b-instruct
check "it says what the role allows" has "refused: role power allows only openai/*, anthropic/*, meta-llama/*"
check "explain an unknown user: exit 1" ctl 1 explain nosuchuser-$PFX
check "it says so in words" has "there is no user 'nosuchuser-$PFX' on this system"
if is_root; then
	check "explain alice: exit 0" ctl 0 explain "${PFX}alice"
	check "explain says alice matched through her group" \
		has "group ${PFX}users: ${PFX}alice is a member of group ${PFX}users (a supplementary group)"
	check "explain shows alice's user budget" has_re "^  user +${PFX}alice +daily +5 +"
	check "explain alice with a refused model: exit 1" ctl 1 explain "${PFX}alice" anthropic/claude-3.5-sonnet
	check "it says the role refuses it" has "refused: role basic allows only openai/gpt-4o-mini, meta-llama/*"
	check "explain alice with a model one centre refuses" ctl 0 explain "${PFX}alice" meta-llama/llama-3.1-8b-instruct
	check "it is allowed in dev" has "cost centre dev (default): allowed: role basic allows it by 'meta-llama/*'; dev does not narrow models"
	check "it is refused in prod" has "cost centre prod: refused: role basic allows it by 'meta-llama/*', but cost centre prod allows only openai/gpt-4o-mini"
	check "explain carol (no rule): exit 1" ctl 1 explain "${PFX}carol"
	check "it says no rule matches" has "no rule matches ${PFX}carol, so orad refuses every request"
	check "it says how to grant access" has "usermod -a -G ${PFX}users ${PFX}carol"
	check "it lists why each rule did not match" has "(group ${PFX}admins): ${PFX}carol is not a member"
else
	echo "SKIP: explain for other users needs root (real users and groups)"
fi

# --- who may use the admin endpoints ---------------------------------------------
if is_root; then
	for who in bob carol; do
		for ep in "GET /api/v1/admin/status" "GET /api/v1/admin/metrics" "POST /api/v1/admin/reload"; do
			set -- $ep
			if [ "$1" = POST ]; then
				code=$(as_req "$who" POST "$2" '')
			else
				code=$(as_req "$who" GET "$2")
			fi
			check "$who ($([ $who = bob ] && echo 'a user' || echo 'no rule')) gets 403 from $ep" test "$code" = 403
			check "$who: the 403 is not_permitted" sh -c "grep -q '\"type\": *\"not_permitted\"' '$T/out'"
		done
	done
	as bob "$ORACTL" -c "$CONF" reload >"$T/ctl.out" 2>&1
	st=$?
	keep
	check "oractl reload as bob: exit 1" test $st = 1
	check "oractl reload as bob says who may" has "orad refused: you are not root or in group ${PFX}admins"
	as carol "$ORACTL" -c "$CONF" status >"$T/ctl.out" 2>&1
	st=$?
	keep
	check "oractl status as carol: exit 1" test $st = 1
	check "oractl status as carol says who may" has "orad refused: you are not root or in group ${PFX}admins"
	as bob "$ORACTL" -c "$CONF" metrics >"$T/ctl.out" 2>&1
	st=$?
	keep
	check "oractl metrics as bob: exit 1" test $st = 1
	check "bob got no metrics" hasnt "ora_requests_total"
	check "adm (admin group) gets 200 from status" test "$(as_req adm GET /api/v1/admin/status)" = 200
	check "adm gets 200 from metrics" test "$(as_req adm GET /api/v1/admin/metrics)" = 200
	as adm "$ORACTL" -c "$CONF" reload >"$T/ctl.out" 2>&1
	st=$?
	keep
	check "oractl reload as adm: exit 0" test $st = 0
	check "adm's reload was accepted" has "configuration reloaded: generation"
	as adm "$ORACTL" -c "$CONF" status >"$T/ctl.out" 2>&1
	st=$?
	keep
	check "oractl status as adm: exit 0" test $st = 0
	check "bob may not see alice's usage" test "$(as_req bob GET "/api/v1/usage?user=${PFX}alice")" = 403
else
	echo "SKIP: refusals for non-admins need root (real users and groups)"
fi

# --- the audit trail ---------------------------------------------------------------
wait_until 30 sh -c "[ -n \"\$(ledger_sql \"SELECT 1 FROM audit WHERE action = 'reload' AND detail LIKE 'rejected%'\" 2>/dev/null)\" ]" 2>/dev/null
ledger_sql "SELECT uid, user, action, detail FROM audit ORDER BY id" >"$T/audit.rows"
audit_has() {
	grep -qE -- "$1" "$T/audit.rows" && return 0
	echo "# no audit row matches: $1"
	sed 's/^/#   /' "$T/audit.rows"
	return 1
}
UID_ME=$(id -u)
check "init is audited, with who" audit_has "^$UID_ME\\|$ME\\|init\\|state directory $STATE; master key $T/master.key created$"
check "key add is audited with the fingerprint" audit_has "^$UID_ME\\|$ME\\|key add\\|key 'dev' stored, fingerprint [0-9a-f]{8}$"
check "key rotate is audited, with the reload" audit_has "^$UID_ME\\|$ME\\|key rotate\\|key 'dev': fingerprint [0-9a-f]{8} -> [0-9a-f]{8}; orad reloaded$"
if is_root; then
	check "key rm is audited, with the sudo user" audit_has "^0\\|root \\(sudo: ${PFX}adm\\)\\|key rm\\|key 'spare' removed, fingerprint [0-9a-f]{8}$"
	check "adm's reload is audited by orad" audit_has "^[0-9]+\\|${PFX}adm\\|reload\\|accepted"
else
	check "key rm is audited" audit_has "^$UID_ME\\|$ME\\|key rm\\|key 'spare' removed"
fi
check "an accepted reload is audited" audit_has "^$UID_ME\\|$ME\\|reload\\|accepted: generation 2$"
check "a rejected reload is audited" audit_has "^$UID_ME\\|$ME\\|reload\\|rejected: $CONF:$BAD_LINE:"
check "no key is in the audit table" no_keys_in "$T/audit.rows"
if is_root; then
	check "the ledger oractl created belongs to orad's user" test "$(stat -c %U "$STATE/ledger.db")" = "${PFX}d"
fi
check "no key is in the ledger file" no_keys_in "$STATE/ledger.db"
check "oractl audit: exit 0" ctl 0 audit
check "oractl audit lists the actions with time and who" \
	has_re "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +$UID_ME +$ME +key rotate +key 'dev': fingerprint"
check "oractl audit lists orad's reloads" has_re " reload +rejected: "
check "oractl audit prints no key" no_keys_in "$T/ctl.out"
check "oractl audit --since today lists today's" ctl 0 audit --since "$(date +%Y-%m-%d)"
check "... including init" has " init "
check "oractl audit --since tomorrow lists nothing" ctl 0 audit --since "$(date -d tomorrow +%Y-%m-%d)"
check "... and says so" has "(no entries)"
check "oractl audit --since nonsense: exit 2" ctl 2 audit --since yesterday-ish

# --- without orad ------------------------------------------------------------------
stop_all
check "status without orad: exit 1" ctl 1 status
check "it says orad is not running" has "orad is not running"
check "reload without orad: exit 1" ctl 1 reload
check "explain without orad: exit 0" ctl 0 explain "$ME"
check "explain says orad is not running" has "orad is not running"
check "explain shows the configured budgets without figures" has_re '^  global +- +monthly +100$'
printf '%s\n' "$KEY_DEV" | "$ORACTL" -c "$CONF" key rotate dev >"$T/ctl.out" 2>&1
st=$?
keep
check "key rotate without orad: exit 0" test $st = 0
check "it says orad will use the new key when it starts" has "it will use the new key when it starts"
check "nothing oractl printed in this test holds a key" no_keys_in "$T/oractl-runs.log" "$T/oractl.out"
finish
