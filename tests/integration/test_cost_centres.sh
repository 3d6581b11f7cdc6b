#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# One user, several upstream keys: a rule grants cost centres (dev, prod),
# the first is the default, a request picks another with X-Ora-Cost-Centre;
# each request lands on its centre's key and budget, in the ledger and the
# reports. A user granted only dev is refused prod, by name.
. "$top_srcdir/tests/integration/lib.sh"

is_root || skip_all "needs root to create users (CI runs it as root)"
need_binaries "$ORAD" "$ORACTL" "$MOCK"
add_user ada ops
add_user dev1 devs
CONF_CENTRES='  dev = { key = "dev"; budget = { usd = 5.0; period = "monthly"; }; };
  prod = { key = "prod"; models = [ "openai/gpt-4o-mini" ]; title = "ora prod";
           budget = { usd = 7.0; period = "monthly"; }; };'
standard_setup "  { group = \"${PFX}ops\"; role = \"power\"; cost_centres = [ \"dev\", \"prod\" ]; },
  { group = \"${PFX}devs\"; role = \"power\"; cost_centre = \"dev\"; }"

MINI='{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"which key pays?"}]}'
s=$(as_req ada POST /api/v1/chat/completions "$MINI")
mock_get /mock/requests "$T/up.json"
check "ada's default cost centre is dev" [ "$s" = 200 ] &&
	check "  ... paid with the dev key" [ "$(json "$T/up.json" 'd["data"][-1]["authorization_key"]')" = "$KEY_DEV" ]
s=$(as_req ada POST /api/v1/chat/completions "$MINI" -H 'X-Ora-Cost-Centre: prod')
mock_get /mock/requests "$T/up.json"
check "ada may choose prod" [ "$s" = 200 ] &&
	check "  ... paid with the prod key" [ "$(json "$T/up.json" 'd["data"][-1]["authorization_key"]')" = "$KEY_PROD" ]
check "  ... under prod's own title" [ "$(json "$T/up.json" 'd["data"][-1]["title"]')" = "ora prod" ]
s=$(as_req ada POST /api/v1/chat/completions '{"model":"openai/gpt-4o","messages":[{"role":"user","content":"x"}]}' \
	-H 'X-Ora-Cost-Centre: prod')
check "prod allows only its approved models: gpt-4o refused there" [ "$s" = 403 ]
check "  ... naming prod's restriction" grep -q "in cost centre prod" "$T/out"
s=$(as_req ada POST /api/v1/chat/completions '{"model":"openai/gpt-4o","messages":[{"role":"user","content":"x"}]}')
check "  ... while dev allows it" [ "$s" = 200 ]

for spelling in 'X-ORA-COST-CENTRE: prod' 'x-ora-cost-centre: prod'; do
	s=$(as_req dev1 POST /api/v1/chat/completions "$MINI" -H "$spelling")
	check "dev1 (dev only) is refused prod ($spelling)" [ "$s" = 403 ]
	check "  ... told the centres granted" grep -q "cost centre 'prod' is not granted.*you may use: dev" "$T/out"
done
for spelling in 'X-Ora-Cost-Center: prod' 'X-Ora-CostCentre: prod' 'X-Cost-Centre: prod'; do
	s=$(as_req dev1 POST /api/v1/chat/completions "$MINI" -H "$spelling")
	check "another spelling ($spelling) cannot select a centre: 400" [ "$s" = 400 ]
done
s=$(as_req dev1 POST /api/v1/chat/completions "$MINI" -H 'X-Ora-Cost-Centre: dev' -H 'X-Ora-Cost-Centre: prod')
check "the header twice is refused" [ "$s" = 400 ]
s=$(as_req dev1 POST /api/v1/chat/completions "$MINI")
check "dev1 is served on dev" [ "$s" = 200 ]

# The ledger and budgets charge the right centre and key.
ledger_flushed
rows=$(ledger_sql "SELECT user, cost_centre, key_name FROM requests WHERE state = 'settled' ORDER BY id")
check "ledger rows name the centre and key of each request" [ "$rows" = "${PFX}ada|dev|dev
${PFX}ada|prod|prod
${PFX}ada|dev|dev
${PFX}dev1|dev|dev" ]
s=$(as_req ada GET /api/v1/usage)
prod_spent=$(json "$T/out" '[b for b in d["budgets"] if b["scope"]=="cost_centre" and b["name"]=="prod"][0]["spent_pico"]')
dev_spent=$(json "$T/out" '[b for b in d["budgets"] if b["scope"]=="cost_centre" and b["name"]=="dev"][0]["spent_pico"]')
check "prod's budget carries exactly ada's prod request" \
	[ "$prod_spent" = "$(ledger_sql "SELECT SUM(cost_pico) FROM requests WHERE cost_centre='prod'")" ]
check "dev's budget carries exactly the dev requests" \
	[ "$dev_spent" = "$(ledger_sql "SELECT SUM(cost_pico) FROM requests WHERE cost_centre='dev' AND state='settled'")" ]
s=$(as_req ada GET /api/v1/me)
check "me lists both centres, dev the default" \
	[ "$(json "$T/out" '[(c["name"], c["default"]) for c in d["cost_centres"]]')" = '[["dev", true], ["prod", false]]' ]
ledger_current
"$ORACTL" -c "$CONF" report --by cost_centre --format csv >"$T/report.csv" 2>&1
check "the billing report splits spend by centre" \
	sh -c "grep -q '^dev,' '$T/report.csv' && grep -q '^prod,' '$T/report.csv'"
finish
