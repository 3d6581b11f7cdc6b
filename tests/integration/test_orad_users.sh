#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Real Unix users in real groups: the kernel's word decides who may do what,
# group changes apply to the next request, and nobody can act as another.
. "$top_srcdir/tests/integration/lib.sh"

is_root || skip_all "needs root to create users and groups (CI runs it as root)"
need_binaries "$ORAD" "$ORACTL" "$MOCK"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"

add_user alice eng
add_user bob staff
add_user carol
add_user dave eng staff
standard_setup "  { group = \"${PFX}eng\"; role = \"power\"; cost_centres = [ \"dev\", \"prod\" ]; },
  { group = \"${PFX}staff\"; role = \"basic\"; cost_centre = \"dev\"; }"

SONNET='{"model":"anthropic/claude-3.5-sonnet","messages":[{"role":"user","content":"hi"}]}'
MINI='{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'

s=$(as_req alice POST /api/v1/chat/completions "$SONNET")
check "alice (eng, power role) may use sonnet" [ "$s" = 200 ]
mock_get /mock/requests "$T/up.json"
check "  ... billed upstream as alice" [ "$(json "$T/up.json" 'd["data"][-1]["user"]')" = "test:${PFX}alice" ]

s=$(as_req bob POST /api/v1/chat/completions "$SONNET")
check "bob (staff, basic role) is refused sonnet" [ "$s" = 403 ]
check "  ... as model_not_allowed" [ "$(json "$T/out" 'd["error"]["type"]')" = model_not_allowed ]
check "  ... naming the role" grep -q 'role basic' "$T/out"
s=$(as_req bob POST /api/v1/chat/completions "$MINI")
check "bob may use gpt-4o-mini" [ "$s" = 200 ]

s=$(as_req carol POST /api/v1/chat/completions "$MINI")
check "carol (no group) is refused" [ "$s" = 403 ]
check "  ... as not_permitted" [ "$(json "$T/out" 'd["error"]["type"]')" = not_permitted ]
check "  ... naming her and whom to ask" grep -q "user ${PFX}carol.*ora-test-admins" "$T/out"
s=$(as_req carol GET /api/v1/me)
check "carol gets 403 on every endpoint, me included" [ "$s" = 403 ]

s=$(as_req dave GET /api/v1/me)
check "dave (eng and staff) matches the first rule" [ "$(json "$T/out" 'd["role"]')" = power ]
check "  ... via group eng" [ "$(json "$T/out" 'd["rule"]["match"]')" = "group ${PFX}eng" ]
check "  ... with his real uid" [ "$(json "$T/out" 'd["uid"]')" = "$(id -u ${PFX}dave)" ]

# Nobody can act as another: no header, body field or key makes bob alice.
s=$(as_req bob GET /api/v1/me -H "X-Ora-User: ${PFX}alice" -H "X-Forwarded-User: ${PFX}alice" \
	-H "Authorization: Bearer ${PFX}alice")
check "bob claiming to be alice in headers is still bob" [ "$(json "$T/out" 'd["user"]')" = "${PFX}bob" ]
s=$(as_req bob POST /api/v1/chat/completions \
	"{\"user\":\"${PFX}alice\",\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" \
	-H "X-Ora-User: ${PFX}alice")
mock_get /mock/requests "$T/up.json"
check "bob's request with user=alice is billed to bob" \
	[ "$(json "$T/up.json" 'd["data"][-1]["user"]')" = "test:${PFX}bob" ]
s=$(as_req bob POST /api/v1/chat/completions "$SONNET" -H 'X-Ora-Cost-Centre: prod')
check "bob cannot reach prod, granted only to eng" [ "$s" = 403 ]
check "  ... told which cost centres he has" grep -q 'you may use: dev' "$T/out"

# Admin endpoints: by who you are, never by a rule.
for ep in /api/v1/admin/status /api/v1/admin/metrics; do
	s=$(as_req bob GET "$ep")
	check "an ordinary user gets 403 from GET $ep" [ "$s" = 403 ]
done
s=$(as_req bob POST /api/v1/admin/reload '{}')
check "an ordinary user gets 403 from POST /api/v1/admin/reload" [ "$s" = 403 ]
check "  ... told who may" grep -q "for administrators: root or members of group" "$T/out"
s=$(as_req bob GET "/api/v1/usage?user=${PFX}alice")
check "an ordinary user cannot see another user's usage" [ "$s" = 403 ]
s=$(req GET /api/v1/admin/status)
check "root may read the status" [ "$s" = 200 ]
check "  ... which counts the requests so far" [ "$(json "$T/out" 'd["requests_total"] > 0')" = True ]
check "  ... and shows upstream connections kept and reused" \
	[ "$(json "$T/out" '0 < d["upstream"]["connections_opened"] < d["requests_total"]')" = True ]

# Revocation takes effect on the next request, on the same connection even,
# without restarting or reloading anything.
cat >"$T/keepalive.py" <<'PY'
import http.client, json, socket, subprocess, sys
class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)
c = UnixConn(sys.argv[1])
body = json.dumps({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
c.request("POST", "/api/v1/chat/completions", body, {"Content-Type": "application/json"})
r = c.getresponse(); r.read(); print("before", r.status)
sys.stdout.flush()
input()  # the test removes the user from the group now
c.request("POST", "/api/v1/chat/completions", body, {"Content-Type": "application/json"})
r = c.getresponse(); print("after", r.status, json.loads(r.read())["error"]["type"])
PY
mkfifo "$T/go"
as alice "$PY3" "$T/keepalive.py" "$SOCK" <"$T/go" >"$T/keepalive.out" 2>&1 &
KA=$!
exec 3>"$T/go"
i=0
until grep -q before "$T/keepalive.out" 2>/dev/null || [ $i -ge 600 ]; do sleep 0.05; i=$((i + 1)); done
gpasswd -d "${PFX}alice" "${PFX}eng" >/dev/null
echo >&3
exec 3>&-
wait $KA
check "alice was served before removal" grep -q 'before 200' "$T/keepalive.out"
check "removed from eng, her next request on the same connection is refused" \
	grep -q 'after 403 not_permitted' "$T/keepalive.out"
s=$(as_req alice POST /api/v1/chat/completions "$MINI")
check "  ... and on a new connection too" [ "$s" = 403 ]
usermod -a -G "${PFX}staff" "${PFX}alice"
s=$(as_req alice GET /api/v1/me)
check "added to staff, she gets the staff role at once" [ "$(json "$T/out" 'd["role"]')" = basic ]
finish
