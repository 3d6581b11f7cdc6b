#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# test_sdk_mock.sh: the official openai and @anthropic-ai/sdk npm packages,
# configured only by base URL and key as tools are, talk DIRECTLY to the
# mock over TCP: chat completions, responses and messages, stream and not,
# and the SDKs' typed errors. This proves the mock speaks what the SDKs
# expect, so that the same clients can later be pointed at orad.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sdk/sdk.sh"

need_binaries "$MOCK"
sdk_setup
start_mock

export OPENAI_BASE_URL="$MOCK_URL/api/v1" OPENAI_API_KEY="$KEY_DEV"
export ANTHROPIC_BASE_URL="$MOCK_URL/api" ANTHROPIC_AUTH_TOKEN="$KEY_DEV"
unset ANTHROPIC_API_KEY SDK_MAX_TOKENS
export SDK_MODEL=anthropic/claude-3.5-haiku SDK_PROMPT="Say hello"
ANSWER="Mock answer to: Say hello. The quick brown fox jumps over the lazy dog."

for api in chat responses messages; do
	for mode in "" --stream; do
		sdk_run $api $mode
		check "$api${mode:+ $mode}: the SDK gets the answer" [ "$(sdk_answer)" = "$ANSWER" ]
	done
done
sdk_run responses
check "responses: usage as the SDK types it" python3 -c 'import json,sys
u = json.loads(open(sys.argv[1]).read().split("USAGE ", 1)[1])
sys.exit(0 if (u["input_tokens"], u["output_tokens"], u["total_tokens"]) == (7, 14, 21) else 1)' "$T/sdk.out"
sdk_run messages --stream
check "messages --stream: the SDK's final message has the output tokens" \
	grep -q '"output_tokens":14' "$T/sdk.out"
SDK_MAX_TOKENS=3 sdk_run messages
check "messages: max_tokens cuts the answer" [ "$(sdk_answer)" = "Mock answer to: " ]

mock_get /mock/requests "$T/reqs"
check "the Anthropic SDK sent a Bearer token and anthropic-version to /api/v1/messages" python3 -c 'import json,sys
r = [e for e in json.load(open(sys.argv[1]))["data"] if e["endpoint"] == "messages"]
h = {k.lower(): v for k, v in r[0]["headers"].items()}
sys.exit(0 if r and r[0]["authorization_key"] == sys.argv[2] and "anthropic-version" in h else 1)' \
	"$T/reqs" "$KEY_DEV"

# Refusals arrive as each SDK's typed error.
mock_post /mock/faults '{"status":403,"message":"Model not allowed for you"}'
sdk_run chat
check "chat: a 403 is openai's PermissionDeniedError" [ "$(sdk_error)" = "PermissionDeniedError 403 -" ]
mock_post /mock/faults '{"status":402}'
sdk_run responses
check "responses: a 402 is openai's APIError with status 402" [ "$(sdk_error)" = "APIError 402 -" ]
mock_post /mock/faults '{"status":403}'
sdk_run messages
check "messages: a 403 is Anthropic's PermissionDeniedError permission_error" \
	[ "$(sdk_error)" = "PermissionDeniedError 403 permission_error" ]
mock_post /mock/faults '{"status":402}'
sdk_run messages --stream
check "messages --stream: a 402 before the first event is PaymentRequiredError billing_error" \
	[ "$(sdk_error)" = "PaymentRequiredError 402 billing_error" ]
mock_post /mock/faults '{"status":429}'
sdk_run messages
check "messages: a 429 is RateLimitError rate_limit_error" \
	[ "$(sdk_error)" = "RateLimitError 429 rate_limit_error" ]

# Events split across reads (7-byte HTTP chunks) are reassembled.
for api in chat responses messages; do
	mock_post /mock/faults '{"drip_bytes":7}'
	sdk_run $api --stream
	check "$api --stream: events cut into 7-byte pieces still give the answer" \
		[ "$(sdk_answer)" = "$ANSWER" ]
done

# Errors after the first event.
mock_post /mock/faults '{"error_after_events":2}'
sdk_run messages --stream
check "messages --stream: an error event mid-stream is an APIError api_error" \
	[ "$(sdk_error)" = "APIError - api_error" ]
mock_post /mock/faults '{"error_after_events":2}'
sdk_run responses --stream
check "responses --stream: response.failed reaches the client" \
	[ "$(sdk_error)" = "Error stream server_error" ]
mock_post /mock/faults '{"error_after_events":2}'
sdk_run chat --stream
check "chat --stream: an error chunk mid-stream is an APIError" grep -q '^ERROR APIError ' "$T/sdk.out"

mock_get /mock/generations "$T/gens"
check "the mock billed every generation the SDKs started" python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))["data"]
done = [r["endpoint"] for r in d if r["status"] == "complete"]
err = [r["endpoint"] for r in d if r["status"] == "error"]
sys.exit(0 if (done.count("chat"), done.count("responses"), done.count("messages"), sorted(err)) == (3, 4, 5, ["chat", "messages", "responses"]) else 1)' "$T/gens"

finish
