#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# OpenRouter-side limits: `oractl key provision` makes a key with a limit
# through the management API (the mock's), seals it, and orad serves with
# it; past the limit the upstream itself refuses (the backstop); `key list`
# shows OpenRouter's side beside the ledger and flags a disagreement;
# `key rotate --provision` moves orad to a new key and disables the old one
# upstream. The keys never show outside the keystore. Judged by the mock's
# own state (GET /mock/keys, its billing records).
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
ME=$(id -un)
MGMT="sk-or-v1-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
BADM="sk-or-v1-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$MGMT" >"$T/mgmt.keys"
start_mock --management-keys "$T/mgmt.keys"
make_daemon_user
CONF_CENTRES='  dev = { key = "dev"; };
  prod = { key = "prod"; };
  team = { key = "team"; };'
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"team\", \"dev\" ]; }"
seal_keys || exit 1

# ctl ARGS: oractl with our configuration (CTL_CONF: another), output in
# ctl.out and collected in all.out, status in ctl.rc. ctl_in TEXT ARGS: the
# same with TEXT on standard input, as an admin pastes a key.
ctl() {
	"$ORACTL" -c "${CTL_CONF:-$CONF}" "$@" >"$T/ctl.out" 2>&1
	echo $? >"$T/ctl.rc"
	cat "$T/ctl.out" >>"$T/all.out"
}
ctl_in() {
	text=$1
	shift
	printf '%s\n' "$text" | ctl "$@"
}
rc() { [ "$(cat "$T/ctl.rc")" = "$1" ]; }
has() { grep -qF -- "$1" "$T/ctl.out"; }
keys_json() { mock_get /mock/keys "$T/keys.json"; }
# mock KEY: what the mock knows, as Python over d = /mock/keys.
mk() { keys_json; json "$T/keys.json" "$1"; }

# Refusals before anything is made upstream.
ctl key provision team --limit 1
check "provision without a management key fails" rc 1
check "... and says how to add one" has "oractl key add --management NAME"
ctl key provision team --limit -2
check "a negative limit is refused" has "expected an amount in USD greater than 0"
ctl key provision team --limit 1 --reset hourly
check "an unknown reset window is refused" has "expected daily, weekly or monthly"

ctl_in "$BADM" key add --management badm
check "key add --management stores a management key" has "management key 'badm' stored"
check "it is sealed as badm.management, 0600" [ "$(stat -c %a "$STATE/keys/badm.management")" = 600 ]
ctl_in "$KEY_DEV" key add --management dev
check "a name cannot be both an upstream and a management key" has "already an upstream key"
ctl_in "$KEY_DEV" key add --management regular
ctl key provision team --limit 1
check "two management keys and none chosen: asks to choose" has "choose one with --management NAME"
ctl key provision team --limit 1 --management badm
check "a management key OpenRouter does not know fails (exit 1)" rc 1
check "... saying the management key is not accepted (401)" has "does not accept the management key 'badm' (401"
ctl key provision team --limit 1 --management regular
check "a regular key as management key fails, 403 explained" has "refused the management key 'regular' (403: Only management keys"
check "nothing was created upstream" [ "$(mk 'len(d["data"])')" = 0 ]
check "nothing was stored" [ ! -e "$STATE/keys/team.key" ]

sed "s|$MOCK_URL/api/v1|http://127.0.0.1:9/api/v1|" "$CONF" >"$T/down.conf"
ctl_in "$MGMT" key add --management mgmt
CTL_CONF=$T/down.conf ctl key provision team --limit 1 --management mgmt
check "unreachable OpenRouter: provision fails (exit 1)" rc 1
check "... saying it cannot reach OpenRouter" has "cannot reach OpenRouter to create the key"

# Provision.
ctl key provision team --limit 0.00003 --reset monthly --label "team backstop" --management mgmt
check "key provision succeeds" rc 0
check "it reports the hash and the limit" has "limit 0.00003 USD, reset monthly"
check "the mock holds one key" [ "$(mk 'len(d["data"])')" = 1 ]
TEAM1=$(mk 'd["data"][0]["key"]')
HASH1=$(mk 'd["data"][0]["hash"]')
check "upstream limit is 0.00003 USD" [ "$(mk 'str(d["data"][0]["limit"])')" = "3e-05" ]
check "upstream limit_reset is monthly" [ "$(mk 'd["data"][0]["limit_reset"]')" = monthly ]
check "upstream name is the label" [ "$(mk 'd["data"][0]["name"]')" = "team backstop" ]
check "the hash is remembered in team.meta" [ "$(json "$STATE/keys/team.meta" 'd["hash"]')" = "$HASH1" ]
check "the key is sealed as team.key, 0600" [ "$(stat -c %a "$STATE/keys/team.key")" = 600 ]
fp=$(printf %s "$TEAM1" | b2sum -l 256 | cut -c1-8)
check "the sealed key is the one OpenRouter made (fingerprint)" has "fingerprint $fp"

# orad serves with it.
start_orad
code=$(req POST /api/v1/chat/completions "$CHAT" -H 'X-Ora-Cost-Centre: team')
check "orad serves with the provisioned key (200)" [ "$code" = 200 ]
mock_get /mock/generations "$T/gens.json"
check "the mock billed that request to the provisioned key" \
	[ "$(json "$T/gens.json" 'd["data"][-1]["key"]')" = "$TEAM1" ]
ledger_flushed
ctl key list
check "key list succeeds" rc 0
check "key list shows OpenRouter's limit and reset for team" \
	grep -qE '^team +0\.00003 +monthly +(0\.0000[0-9]+) +0\.0000[0-9]+ +\1 +ok$' "$T/ctl.out"
check "key list names the management keys apart" has "management keys (never used for requests): "

# Spend around ora: OpenRouter sees it, the ledger does not.
curl -sS -o /dev/null -H "Authorization: Bearer $TEAM1" -H 'Content-Type: application/json' \
	-d "$CHAT" "$MOCK_URL/api/v1/chat/completions"
ctl key list
check "key list flags the disagreement" grep -qE '^team .*DIFFERS by 0\.0000[0-9]+$' "$T/ctl.out"
check "... and explains it on stderr" has "differ by more than 0.000001 USD and 1%"

# The backstop: OpenRouter stops the key at its limit, whatever ora allows.
refused=""
for i in 1 2 3 4 5; do
	code=$(req POST /api/v1/chat/completions "$CHAT" -H 'X-Ora-Cost-Centre: team')
	if [ "$code" != 200 ]; then refused=$code; break; fi
done
check "past the limit a request through orad is refused ($refused)" [ -n "$refused" ]
check "the mock refused it for the key limit" [ "$(mk 'd["counts"]["refused_limit"]')" -ge 1 ]
check "usage upstream stopped within one request of the limit" \
	[ "$(mk 'round(d["data"][0]["usage"] * 1e8) <= 3000 + 1300')" = True ]
curl -sS -o "$T/direct.json" -w '%{http_code}' -H "Authorization: Bearer $TEAM1" \
	-d "$CHAT" "$MOCK_URL/api/v1/chat/completions" >"$T/direct.code"
check "the key used directly is refused with 402 too" [ "$(cat "$T/direct.code")" = 402 ]
check "... with OpenRouter's message" grep -q "Key limit exceeded (monthly limit)" "$T/direct.json"

# Rotate: a new key with the same limit, orad moves to it, the old is disabled.
ctl key rotate --provision team
check "key rotate --provision succeeds" rc 0
check "it says the old key is disabled" has "(hash $HASH1) is disabled at OpenRouter"
check "the mock holds two keys" [ "$(mk 'len(d["data"])')" = 2 ]
check "the old key is disabled upstream" [ "$(mk 'd["data"][0]["disabled"]')" = True ]
check "the new key is enabled, same limit, reset and name" \
	[ "$(mk '(d["data"][1]["disabled"], str(d["data"][1]["limit"]), d["data"][1]["limit_reset"], d["data"][1]["name"])')" = "(False, '3e-05', 'monthly', 'team backstop')" ]
TEAM2=$(mk 'd["data"][1]["key"]')
HASH2=$(mk 'd["data"][1]["hash"]')
check "team.meta holds the new hash" [ "$(json "$STATE/keys/team.meta" 'd["hash"]')" = "$HASH2" ]
check "... and no replaced key left to disable" [ "$(json "$STATE/keys/team.meta" '"disable_pending" in d')" = False ]
code=$(req POST /api/v1/chat/completions "$CHAT" -H 'X-Ora-Cost-Centre: team')
check "orad serves on the new key (200)" [ "$code" = 200 ]
mock_get /mock/generations "$T/gens.json"
check "... billed to the new key" [ "$(json "$T/gens.json" 'd["data"][-1]["key"]')" = "$TEAM2" ]
curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TEAM1" \
	-d "$CHAT" "$MOCK_URL/api/v1/chat/completions" >"$T/direct.code"
check "the old key is refused upstream (401)" [ "$(cat "$T/direct.code")" = 401 ]
ctl key rotate --provision dev
check "rotate --provision of a key ora did not provision is refused" has "was not made by \`oractl key provision\`"

# A management key can never be an upstream key of orad.
cp "$CONF" "$T/conf.good"
sed -i 's|  team = { key = "team"; };|  team = { key = "team"; };\n  admin = { key = "mgmt"; };|' "$CONF"
ctl reload
check "orad refuses a cost centre naming a management key" rc 1
check "... saying why" has "is an OpenRouter management key"
ctl check
check "oractl check refuses it too" has "which is an OpenRouter management key"

# A rotation whose reload fails leaves the old key enabled: orad still uses it.
ctl key rotate --provision team
check "rotate --provision with a refused reload fails (exit 1)" rc 1
check "... and says the old key stays enabled" has "(hash $HASH2) stays enabled at OpenRouter"
check "the old key is still enabled upstream" [ "$(mk 'd["data"][1]["disabled"]')" = False ]
code=$(req POST /api/v1/chat/completions "$CHAT" -H 'X-Ora-Cost-Centre: team')
mock_get /mock/generations "$T/gens.json"
check "orad goes on serving on the old key" \
	[ "$code:$(json "$T/gens.json" 'd["data"][-1]["key"]')" = "200:$TEAM2" ]
cp "$T/conf.good" "$CONF"
ctl reload
ledger_flushed
ctl key list
check "key list shows the replaced key still enabled" has "(the key it replaced, hash $HASH2, is still enabled upstream)"
ctl key rotate --provision team
check "the next rotate --provision succeeds" rc 0
check "... and disables the key left enabled too" has "left enabled (hash $HASH2) is disabled too"
check "three keys replaced so far are disabled, the newest serves" \
	[ "$(mk '[k["disabled"] for k in d["data"]]')" = "[true, true, true, false]" ]
TEAM2=$(mk 'd["data"][3]["key"]')
code=$(req POST /api/v1/chat/completions "$CHAT" -H 'X-Ora-Cost-Centre: team')
mock_get /mock/generations "$T/gens.json"
check "orad serves on the newest key" \
	[ "$code:$(json "$T/gens.json" 'd["data"][-1]["key"]')" = "200:$TEAM2" ]
mock_get /mock/requests "$T/requests.json"
check "the management key never reached a completion endpoint" \
	[ "$(json "$T/requests.json" "[e for e in d['data'] if e['authorization_key'] == '$MGMT']")" = "[]" ]

# Without the network, key list still shows ora's side and says why not more.
# It reads ledger.db: first let orad settle the last answer and fold its
# intent log (it does so within a second, longer on a loaded machine).
ledger_flushed
CTL_CONF=$T/down.conf ctl key list
check "key list without OpenRouter still succeeds" rc 0
check "... says OpenRouter could not be reached" has "OpenRouter could not be reached"
check "... and shows the ledger's spend for team" grep -qE '^team +\? +\? +\? +\? +0\.0000[0-9]+ +unreachable$' "$T/ctl.out"

# Secrets: never printed, never in orad's argv or logs, never in the clear.
ALLKEYS=$(mk '" ".join(k["key"] for k in d["data"])')
no_secret() {
	for k in $ALLKEYS "$MGMT" "$BADM"; do
		if grep -q -e "$k" "$@"; then return 1; fi
	done
	return 0
}
check "no key in any oractl output" no_secret "$T/all.out" "$T/ctl.out"
check "no key in orad's log" no_secret "$T/orad.log"
check "no key in orad's argv" no_secret "/proc/$ORAD_PID/cmdline"
check "no key in the clear in the state directory" sh -c "! grep -r -q -e '$TEAM1' -e '$TEAM2' -e '$MGMT' '$STATE'"
"$ORACTL" -c "$CONF" audit >"$T/audit.out" 2>&1
check "the audit trail records provision and rotations" \
	[ "$(grep -c -e 'key provision' -e 'provisioned again' "$T/audit.out")" -ge 3 ]
check "no key in the audit trail" no_secret "$T/audit.out"

# key rm of a provisioned key says it stays valid upstream.
sed -i 's|  team = { key = "team"; };||; s|\[ "team", "dev" \]|[ "dev" ]|' "$CONF"
ctl key rm team
check "key rm of a provisioned key says it stays valid upstream" has "stays valid at OpenRouter"
check "... and its description goes with it" [ ! -e "$STATE/keys/team.meta" ]
check "no sanitizer report from oractl" sh -c "! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' '$T/all.out' '$T/audit.out'"
finish
