#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# The door (issue 11): every field of a request is understood, and what an
# ordinary user sends cannot take a request outside the role, the cost
# centre's provider rules or the reservation. Each case is judged by what
# reaches the upstream (the mock's record of request bodies): refused
# requests never reach it, neutralised ones reach it in their safe form.
# At the end the ledger equals the mock's billing.
. "$top_srcdir/tests/integration/lib.sh"

is_root || skip_all "needs root to create users (CI runs it as root)"
need_binaries "$ORAD" "$ORACTL" "$MOCK"
add_user una ops
add_user rita slow

CONF_CENTRES='  dev = { key = "dev"; budget = { usd = 50.0; period = "monthly"; }; };
  prod = { key = "prod"; plugins = [ "web" ];
           provider = { data_collection = "deny"; zdr = true; ignore = [ "deepinfra" ];
                        max_price = { prompt = 1.0; completion = 5.0; }; }; };'
CONF_EXTRA='policy = { pass_fields = [ "x_site_field" ]; };'
ROLES='
  basic = {
    models = [ "openai/gpt-4o-mini", "openai/gpt-4o", "meta-llama/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 600;
    concurrent_requests = 16;
    plugins = [ "auto-router", "fusion", "response-healing" ];
  };
  slow = {
    models = [ "openai/gpt-4o-mini" ];
    default_model = "openai/gpt-4o-mini";
    requests_per_minute = 2;
  };'
standard_setup "  { group = \"${PFX}ops\"; role = \"basic\"; cost_centres = [ \"dev\", \"prod\" ]; },
  { group = \"${PFX}slow\"; role = \"slow\"; cost_centre = \"dev\"; }" "$ROLES"

M='"messages":[{"role":"user","content":"admission test"}]'
PROD='X-Ora-Cost-Centre: prod'

upstream_count() {
	mock_get /mock/requests "$T/up.json"
	json "$T/up.json" 'len(d["data"])'
}
# up EXPR: EXPR over b, the body of the last request the mock received.
up() {
	mock_get /mock/requests "$T/up.json"
	json "$T/up.json" "(lambda b: $1)(d['data'][-1]['body'])"
}

# refused NAME STATUS NEEDLE BODY [CURL-ARGS...]: orad answers STATUS with a
# sentence holding NEEDLE, and nothing reaches the upstream.
refused() {
	name=$1 want=$2 needle=$3 body=$4
	shift 4
	before=$(upstream_count)
	s=$(as_req una POST /api/v1/chat/completions "$body" "$@")
	check "$name: refused with $want" [ "$s" = "$want" ]
	check "  ... saying why ($needle)" grep -qF -- "$needle" "$T/out"
	check "  ... and nothing reached the upstream" [ "$(upstream_count)" = "$before" ]
}
# admitted NAME BODY [CURL-ARGS...]: answered 200 by the upstream.
admitted() {
	name=$1 body=$2
	shift 2
	s=$(as_req una POST /api/v1/chat/completions "$body" "$@")
	check "$name: admitted" [ "$s" = 200 ] || cat "$T/out"
}

# --- fields that choose a model --------------------------------------
refused "fusion naming a model the role forbids" 403 "anthropic/claude-3.5-sonnet" \
	"{\"model\":\"openai/gpt-4o-mini\",$M,\"plugins\":[{\"id\":\"fusion\",\"models\":[\"anthropic/claude-3.5-sonnet\"]}]}"
refused "auto-router naming a forbidden model" 403 "not allowed" \
	"{$M,\"plugins\":[{\"id\":\"auto-router\",\"allowed_models\":[\"anthropic/claude-3.5-sonnet\"]}]}"
admitted "auto-router with no allowed_models" "{$M,\"plugins\":[{\"id\":\"auto-router\"}]}"
check "  ... reached the upstream with the caller's models only" \
	[ "$(up 'sorted(b["plugins"][0]["allowed_models"])')" = \
	  '["meta-llama/llama-3.1-8b-instruct", "openai/gpt-4o", "openai/gpt-4o-mini"]' ]
refused "a plugin the role does not grant" 403 "plugin 'web' is not allowed" \
	"{$M,\"plugins\":[{\"id\":\"web\"}]}"
refused "a variant suffix the pattern does not name" 403 "openai/gpt-4o:nitro" \
	"{\"model\":\"openai/gpt-4o:nitro\",$M}"
refused "a paid :online variant under meta-llama/*" 403 "not allowed" \
	"{\"model\":\"meta-llama/llama-3.1-8b-instruct:online\",$M}"
refused "a model id with a NUL" 400 "NUL" \
	"{\"model\":\"openai/gpt-4o-mini\\u0000anthropic/claude-3.5-sonnet\",$M}" -H "$PROD"
refused "a preset as the model" 400 "presets" "{\"model\":\"@preset/x\",$M}"
refused "a path through .." 400 '..' \
	"{\"model\":\"openai/../anthropic/claude-3.5-sonnet\",$M}"
refused "a model the upstream does not list" 400 "not in the upstream's model list" \
	"{\"model\":\"meta-llama/llama-9-imaginary\",$M}"
refused "n above 1" 400 'must be 1' "{$M,\"n\":3}"
refused "an unknown field" 400 "unknown field 'frobnicate'" "{$M,\"frobnicate\":true}"
admitted "a field the site passes" "{$M,\"x_site_field\":1}"
check "  ... reached the upstream" [ "$(up 'b.get("x_site_field")')" = 1 ]

# --- priced plugins and tokens ----------------------------------------
refused "web search with an unbounded result count" 400 "max_results" \
	"{$M,\"plugins\":[{\"id\":\"web\",\"max_results\":100000}]}" -H "$PROD"
admitted "web search without max_results (prod grants web)" "{$M,\"plugins\":[{\"id\":\"web\"}]}" -H "$PROD"
check "  ... reached the upstream bounded to 5 results" [ "$(up 'b["plugins"][0]["max_results"]')" = 5 ]
admitted "reasoning.max_tokens above the cap" "{$M,\"reasoning\":{\"max_tokens\":50000}}"
check "  ... reached the upstream at the role's cap" [ "$(up 'b["reasoning"]["max_tokens"]')" = 1000 ]
admitted "usage.include false" "{$M,\"usage\":{\"include\":false},\"user\":\"mallory\"}"
check "  ... reached the upstream with usage on" [ "$(up 'b["usage"]["include"]')" = True ]
check "  ... and the broker's own user" [ "$(up 'b["user"]')" = "test:${PFX}una" ]

# --- provider preferences ---------------------------------------------
admitted "provider.data_collection allow against prod's deny" \
	"{$M,\"provider\":{\"data_collection\":\"allow\",\"zdr\":false}}" -H "$PROD"
check "  ... reached the upstream as deny" [ "$(up 'b["provider"]["data_collection"]')" = deny ]
check "  ... with zdr kept on" [ "$(up 'b["provider"]["zdr"]')" = True ]
refused "provider.only naming only a provider the site ignores" 403 "leaves no provider" \
	"{$M,\"provider\":{\"only\":[\"deepinfra\"]}}" -H "$PROD"
admitted "provider.only naming an ignored provider and another" \
	"{$M,\"provider\":{\"only\":[\"deepinfra\",\"openai\"]}}" -H "$PROD"
check "  ... reached the upstream without the ignored one" [ "$(up 'b["provider"]["only"]')" = '["openai"]' ]
admitted "provider.max_price above the site's" \
	"{$M,\"provider\":{\"max_price\":{\"prompt\":100,\"completion\":100}}}" -H "$PROD"
check "  ... reached the upstream at the site's prices" \
	[ "$(up '[float(b["provider"]["max_price"]["prompt"]), float(b["provider"]["max_price"]["completion"])]')" = '[1.0, 5.0]' ]
admitted "no provider object in prod" "{$M}" -H "$PROD"
check "  ... the site's preferences are added" [ "$(up 'b["provider"]["data_collection"]')" = deny ]
s=$(as_req una GET /api/v1/me -H "$PROD")
check "/me shows the effective provider preferences" \
	sh -c "grep -q 'data_collection' '$T/out' && grep -q 'deepinfra' '$T/out'"
"$ORACTL" -c "$CONF" explain "${PFX}una" >"$T/explain" 2>&1
check "oractl explain shows prod's enforced provider preferences" \
	sh -c "grep -q 'provider preferences enforced: .*deny' '$T/explain' && grep -q deepinfra '$T/explain'"
check "  ... and the plugins granted" grep -q "plugins: auto-router, fusion, response-healing, web" "$T/explain"

# --- values that mean one thing ---------------------------------------
refused "temperature 1e999999" 400 "JSON cannot carry" "{$M,\"temperature\":1e999999}"
big=$(head -c 5000 /dev/zero | tr '\0' 7)
refused "a 5000-digit seed" 400 "5000 digits" "{$M,\"seed\":$big}"
bad=$(printf '{"messages":[{"role":"user","content":"bad \377 byte"}]}')
refused "invalid UTF-8" 400 "UTF-8" "$bad"
refused "a lone surrogate" 400 "surrogate" '{"messages":[{"role":"user","content":"\ud800"}]}'

# --- upstream errors ---------------------------------------------------
mock_post /mock/faults '{"status":402}'
s=$(as_req una POST /api/v1/chat/completions "{$M}")
check "an upstream error is relayed" [ "$s" = 402 ]
check "  ... without the account's user_id" sh -c "! grep -q user_id '$T/out'"
check "  ... with its message" grep -q "Insufficient credits" "$T/out"

# --- rate limits come before the model check ----------------------------
s1=$(as_req rita POST /api/v1/chat/completions "{\"model\":\"openai/gpt-4o\",$M}")
s2=$(as_req rita POST /api/v1/chat/completions "{\"model\":\"openai/gpt-4o\",$M}")
s3=$(as_req rita POST /api/v1/chat/completions "{$M}")
check "refused requests count against the rate limit (403, 403, then 429)" \
	[ "$s1 $s2 $s3" = "403 403 429" ]

mock_vs_ledger >"$T/diff" 2>&1
check "the ledger equals the mock's billing" [ ! -s "$T/diff" ] || cat "$T/diff"
finish
