#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_orad_shapes_sdk.sh: the official openai and @anthropic-ai/sdk npm
# packages, configured only by base URL and a dummy key, against orad's
# chat completions, Responses and Messages endpoints (stream and not):
# answers arrive, and orad's own refusals (403 model not allowed, 402
# budget) arrive as the SDKs' typed errors. The SDKs speak TCP; this test
# reaches orad's socket through a loopback forwarder run by the test's own
# user, so it checks the wire shapes, not identity (loopback TCP with
# kernel-attested identity is tested where orad listens on TCP itself).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sdk/sdk.sh"

need_binaries "$ORAD" "$ORACTL" "$MOCK"
sdk_setup
ME=$(id -un)
start_mock
make_daemon_user
CONF_UPSTREAM_EXTRA="retries = 0;"
write_conf "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }" '
  basic = {
    models = [ "openai/gpt-4o-mini", "anthropic/claude-3.5-haiku" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 600;
    concurrent_requests = 16;
    budget = { usd = 0.002; period = "daily"; };
  };'
seal_keys || exit 1
start_orad

# A byte forwarder from a loopback port to orad's socket.
"$PY3" - "$SOCK" "$T/fwd.port" <<'PY' 2>"$T/fwd.log" &
import asyncio, os, sys
sock, port_file = sys.argv[1], sys.argv[2]
async def pipe(r, w):
    try:
        while (b := await r.read(65536)):
            w.write(b)
            await w.drain()
    except Exception:
        pass
    finally:
        w.close()
async def serve(cr, cw):
    ur, uw = await asyncio.open_unix_connection(sock)
    await asyncio.gather(pipe(cr, uw), pipe(ur, cw))
async def main():
    srv = await asyncio.start_server(serve, "127.0.0.1", 0)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.sockets[0].getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    await srv.serve_forever()
asyncio.run(main())
PY
PIDS="$PIDS $!"
wait_for_file "$T/fwd.port" || { not_ok "the forwarder started"; finish; }
BASE=http://127.0.0.1:$(cat "$T/fwd.port")

export OPENAI_BASE_URL="$BASE/api/v1" OPENAI_API_KEY="any-value"
export ANTHROPIC_BASE_URL="$BASE/api" ANTHROPIC_AUTH_TOKEN="any-value"
unset ANTHROPIC_API_KEY SDK_MAX_TOKENS
export SDK_MODEL=anthropic/claude-3.5-haiku SDK_PROMPT="Say hello"
ANSWER="Mock answer to: Say hello. The quick brown fox jumps over the lazy dog."

for api in chat responses messages; do
	for mode in "" --stream; do
		sdk_run $api $mode
		check "$api${mode:+ $mode}: the SDK gets orad's answer" [ "$(sdk_answer)" = "$ANSWER" ]
	done
done
sdk_run messages --stream
check "messages --stream: the SDK's final message has the output tokens" \
	grep -q '"output_tokens":14' "$T/sdk.out"
check "every answer is in the ledger at the mock's cost" mock_vs_ledger

SDK_MODEL=openai/gpt-4o sdk_run messages
check "messages: a model the role forbids is Anthropic's PermissionDeniedError" \
	[ "$(sdk_error)" = "PermissionDeniedError 403 permission_error" ]
SDK_MODEL=openai/gpt-4o sdk_run messages --stream
check "messages --stream: the same refusal before the first event" \
	[ "$(sdk_error)" = "PermissionDeniedError 403 permission_error" ]
SDK_MODEL=openai/gpt-4o sdk_run responses
check "responses: a model the role forbids is openai's PermissionDeniedError" \
	[ "$(sdk_error)" = "PermissionDeniedError 403 model_not_allowed" ]
SDK_MODEL=openai/gpt-4o sdk_run chat
check "chat: the same" [ "$(sdk_error)" = "PermissionDeniedError 403 model_not_allowed" ]

# The daily budget (0.002 USD) holds a reservation for 100 tokens but not 1000
# of claude-3.5-haiku (0.004 USD): 402.
SDK_MAX_TOKENS=1000 sdk_run messages
check "messages: a request the budget cannot hold is Anthropic's billing_error" \
	[ "$(sdk_error)" = "PaymentRequiredError 402 billing_error" ]
SDK_MAX_TOKENS=1000 sdk_run responses
check "responses: the same is openai's APIError 402 budget_exhausted" \
	[ "$(sdk_error)" = "APIError 402 budget_exhausted" ]
mock_get /mock/requests "$T/reqs"
check "no refused request reached the upstream" [ "$(json "$T/reqs" 'len(d["data"])')" = 7 ]
finish
