#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_orad_shapes_sdk.sh: the official openai and @anthropic-ai/sdk npm
# packages, run by two ordinary Unix users and configured only by a base URL
# and a dummy key, against orad's loopback TCP listener (daemon.listen):
# chat completions, Responses and Messages, stream and not, get answers;
# orad's refusals (403 model not allowed, 402 budget) arrive as the SDKs'
# typed errors; every answer is in the ledger as the user who asked (the
# kernel names them), at the mock's cost; no refused request reaches the
# upstream. Each user runs every case in one node process.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sdk/sdk.sh"

is_root || skip_all "needs root to create users and run the SDKs as them (CI runs it as root)"
need_binaries "$ORAD" "$ORACTL" "$MOCK"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
sdk_setup

PORT=$("$PY3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
add_user alice eng
add_user bob staff
start_mock
make_daemon_user
CONF_UPSTREAM_EXTRA="retries = 0;"
# The daily budget (0.002 USD) holds a reservation for 100 tokens of
# claude-3.5-haiku but not for 1000 (0.004 USD): 402.
write_conf "  { group = \"${PFX}eng\"; role = \"basic\"; cost_centre = \"dev\"; },
  { group = \"${PFX}staff\"; role = \"basic\"; cost_centre = \"dev\"; }" '
  basic = {
    models = [ "openai/gpt-4o-mini", "anthropic/claude-3.5-haiku" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 600;
    concurrent_requests = 16;
    budget = { usd = 0.002; period = "daily"; };
  };' "listen = [ \"127.0.0.1:$PORT\" ];"
seal_keys || exit 1
start_orad

BASE=http://127.0.0.1:$PORT
ANSWER="Mock answer to: Say hello. The quick brown fox jumps over the lazy dog."
CASES=""
for api in chat responses messages; do
	CASES="$CASES $api=$api $api-stream=$api,stream"
done
for api in chat responses messages; do
	CASES="$CASES $api-forbidden=$api,model=openai/gpt-4o"
done
CASES="$CASES messages-stream-forbidden=messages,stream,model=openai/gpt-4o
	messages-budget=messages,max_tokens=1000 responses-budget=responses,max_tokens=1000
	chat-budget=chat,max_tokens=1000"

# run_user USER: every case as ${PFX}USER, base URLs and dummy keys only,
# nothing else in the environment; output in $T/USER.out.
run_user() {
	as "$1" env -i PATH="$PATH" HOME=/nonexistent \
		OPENAI_BASE_URL="$BASE/api/v1" OPENAI_API_KEY="any-value" \
		ANTHROPIC_BASE_URL="$BASE/api" ANTHROPIC_AUTH_TOKEN="any-value" \
		SDK_MODEL=anthropic/claude-3.5-haiku SDK_PROMPT="Say hello" \
		node "$T/sdk/cases.mjs" $CASES >"$T/$1.out" 2>"$T/$1.err"
}
run_user alice &
ALICE=$!
run_user bob &
BOB=$!
wait "$ALICE"
wait "$BOB"

# case_answer USER CASE / case_error USER CASE: what the case printed.
case_answer() {
	sed -n "s/^$2 ANSWER //p" "$T/$1.out" | "$PY3" -c 'import json,sys
t = sys.stdin.read().strip()
print(json.loads(t) if t else "")'
}
case_error() { sed -n "s/^$2 ERROR \([^ ]*\) \([^ ]*\) \([^ ]*\) .*/\1 \2 \3/p" "$T/$1.out"; }

for u in alice bob; do
	for api in chat responses messages; do
		for mode in "" -stream; do
			check "$u, $api$mode over TCP: the SDK gets orad's answer" \
				[ "$(case_answer $u $api$mode)" = "$ANSWER" ]
		done
	done
	check "$u, messages-stream: the SDK's final message has the output tokens" \
		grep -q '^messages-stream USAGE .*"output_tokens":14' "$T/$u.out"
	check "$u, messages: a model the role forbids is Anthropic's PermissionDeniedError" \
		[ "$(case_error $u messages-forbidden)" = "PermissionDeniedError 403 permission_error" ]
	check "$u, messages-stream: the same refusal before the first event" \
		[ "$(case_error $u messages-stream-forbidden)" = "PermissionDeniedError 403 permission_error" ]
	check "$u, responses: a model the role forbids is openai's PermissionDeniedError" \
		[ "$(case_error $u responses-forbidden)" = "PermissionDeniedError 403 model_not_allowed" ]
	check "$u, chat: the same" \
		[ "$(case_error $u chat-forbidden)" = "PermissionDeniedError 403 model_not_allowed" ]
	check "$u, messages: a request the budget cannot hold is Anthropic's billing_error" \
		[ "$(case_error $u messages-budget)" = "PaymentRequiredError 402 billing_error" ]
	check "$u, responses: the same is openai's APIError 402 budget_exhausted" \
		[ "$(case_error $u responses-budget)" = "APIError 402 budget_exhausted" ]
	check "$u, chat: the same" \
		[ "$(case_error $u chat-budget)" = "APIError 402 budget_exhausted" ]
done

check "every answer is in the ledger once, at the mock's cost" mock_vs_ledger
# Each generation the mock billed is in the ledger as the user the kernel
# named for that connection (uid and name), the one orad told the upstream.
ledger_flushed
mock_get /mock/generations "$T/gens.json"
mock_get /mock/requests "$T/reqs.json"
ledger_sql "SELECT generation_id, uid, user, client_exe FROM requests WHERE generation_id IS NOT NULL" >"$T/rows"
"$PY3" - "$T/gens.json" "$T/rows" "$PFX" "$(id -u ${PFX}alice)" "$(id -u ${PFX}bob)" >"$T/identity.out" <<'PY'
import json, sys
gens = json.load(open(sys.argv[1]))["data"]
pfx = sys.argv[3]
uids = {pfx + "alice": sys.argv[4], pfx + "bob": sys.argv[5]}
rows = {}
for line in open(sys.argv[2]):
    gid, uid, user, exe = line.rstrip("\n").split("|", 3)
    rows[gid] = (uid, user, exe)
bad = 0
count = {u: 0 for u in uids}
for g in gens:
    uid, user, exe = rows.get(g["id"], ("", "", ""))
    if user not in uids or uids[user] != uid or g["user"] != "test:" + user or not exe.startswith("tcp 127.0.0.1:"):
        print("generation %s: mock user %s, ledger %s/%s/%s" % (g["id"], g["user"], uid, user, exe)); bad += 1
    else:
        count[user] += 1
print(" ".join("%s=%d" % (u[len(pfx):], n) for u, n in sorted(count.items())))
sys.exit(1 if bad else 0)
PY
check "each answer is in the ledger as the user who asked (uid, name, 'tcp 127.0.0.1:PORT')" [ $? = 0 ]
check "  ... six each" grep -qx 'alice=6 bob=6' "$T/identity.out"
check "no refused request reached the upstream (12 requests, 6 from each)" \
	[ "$(json "$T/reqs.json" 'len(d["data"]), sum(r["user"] == "test:'"${PFX}"'alice" for r in d["data"])')" = "(12, 6)" ]
finish
