#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# orask and libora-client end to end: real orad, real mock upstream, the
# real socket. Answers streamed and whole, stdin as material, conversations
# and their private history, `orask log`, colour only on a terminal, every
# exit code a script may depend on, Ctrl-C that stops the upstream
# generation, and the bash completion. Budgets (exit 5, -u, `orask usage`)
# come from a canned broker until orad has them.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORASK"
ME=$(id -un)
ROLES='
  basic = {
    models = [ "openai/gpt-4o-mini", "meta-llama/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 600;
    concurrent_requests = 16;
  };
  slow = {
    models = [ "openai/gpt-4o-mini" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 100;
    requests_per_minute = 1;
    concurrent_requests = 1;
  };'
RULES="  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\", \"prod\" ]; }"
if is_root; then
	add_user slow
	add_user stranger
	RULES="$RULES,
  { user = \"${PFX}slow\"; role = \"slow\"; cost_centres = [ \"dev\" ]; }"
fi
# A small body limit, so the broker's own 413 can be reached cheaply.
standard_setup "$RULES" "$ROLES" "max_body_bytes = 65536;"
export ORA_SOCKET="$SOCK"
unset NO_COLOR
# The history goes to the test's own directory, never the caller's.
export XDG_STATE_HOME="$T/xdg"
HIST=$XDG_STATE_HOME/ora

# ask ARGS...: run orask; stdout in $T/o, stderr in $T/e, exit code printed.
ask() {
	"$ORASK" "$@" >"$T/o" 2>"$T/e" </dev/null
	echo $?
}
last_request() { mock_get /mock/requests "$T/up.json" && json "$T/up.json" "d[\"data\"][-1]$1"; }
# The messages orad sent upstream last, one "role: content" a line.
last_messages() {
	mock_get /mock/requests "$T/up.json" &&
		json "$T/up.json" '"\n".join(m["role"] + ": " + m["content"] for m in d["data"][-1]["body"]["messages"])'
}
mode() { stat -c %a "$1"; }
log_lines() { "$ORASK" --json log 1000000 2>/dev/null </dev/null | wc -l; }
request_count() { mock_get /mock/requests "$T/up.json" && json "$T/up.json" 'len(d["data"])'; }

# --- answers ---------------------------------------------------------------
rc=$(ask "Say hello to the client test")
check "a question is answered (exit 0)" [ "$rc" = 0 ]
check "the answer is the model's" grep -q '^Mock answer to' "$T/o"
check "the answer ends with a newline" [ "$(tail -c 1 "$T/o" | od -An -c | tr -d ' ')" = '\n' ]
check "nothing on stderr" [ ! -s "$T/e" ]
check "streamed upstream by default" [ "$(last_request '["body"]["stream"]')" = True ]
check "no escape codes when stdout is not a terminal" sh -c "! grep -q \"$(printf '\033')\" '$T/o'"

printf 'the material\n' | "$ORASK" "the instruction" >"$T/o" 2>"$T/e"
check "argument and stdin: exit 0" [ $? = 0 ]
check "argument, blank line, stdin" \
	[ "$(last_request '["body"]["messages"][-1]["content"]')" = "$(printf 'the instruction\n\nthe material')" ]
printf 'only stdin' | "$ORASK" >"$T/o" 2>"$T/e"
check "stdin alone is the question" [ "$(last_request '["body"]["messages"][-1]["content"]')" = "only stdin" ]

rc=$(ask --no-stream -u -s "Be brief." -t 0.5 --max-tokens 50 "whole answer please")
check "--no-stream -u: exit 0" [ "$rc" = 0 ]
check "  ... the answer" grep -q '^Mock answer to' "$T/o"
check "  ... not streamed upstream" [ "$(last_request '["body"].get("stream", False)')" = False ]
check "  ... system prompt first" [ "$(last_request '["body"]["messages"][0]["role"]')" = system ]
check "  ... temperature sent" [ "$(last_request '["body"]["temperature"]')" = 0.5 ]
check "  ... max_tokens sent" [ "$(last_request '["body"]["max_tokens"]')" = 50 ]
check "  ... -u prints tokens and cost on stderr" grep -q 'tokens, cost \$0\.0[0-9]*, conversation [0-9a-f]\{8\}$' "$T/e"
check "  ... and no budget line (no budget is configured here)" [ "$(wc -l <"$T/e")" = 1 ]

rc=$(ask --json -m meta-llama/llama-3.1-8b-instruct "json please")
check "--json answers" [ "$rc" = 0 ]
check "  ... one object with the text" [ "$(json "$T/o" 'd["text"].startswith("Mock answer to")')" = True ]
check "  ... the served model" [ "$(json "$T/o" 'd["model"]')" = meta-llama/llama-3.1-8b-instruct ]
check "  ... usage and a cost" [ "$(json "$T/o" 'd["usage"]["total_tokens"] > 0 and d["cost"] > 0')" = True ]

rc=$(ask -e prod "charge prod")
check "-e prod answers" [ "$rc" = 0 ]
check "  ... with the prod key upstream" [ "$(last_request '["authorization_key"]')" = "$KEY_PROD" ]

# --- conversations -----------------------------------------------------------
rc=$(ask "My name is Ann")
check "a question starts a conversation (exit 0)" [ "$rc" = 0 ]
rc=$(ask -c "What is my name")
check "-c: exit 0" [ "$rc" = 0 ]
check "  ... sends the earlier exchange, then the question" [ "$(last_messages)" = "user: My name is Ann
assistant: Mock answer to: My name is Ann. The quick brown fox jumps over the lazy dog.
user: What is my name" ]
rc=$(ask "Something else")
check "without -c a question starts afresh" [ "$(last_messages)" = "user: Something else" ]
rc=$(ask -c "and more")
check "  ... and -c then continues that newer one" [ "$(last_request '["body"]["messages"][0]["content"]')" = "Something else" ]
setsid "$ORASK" -c "from another terminal" >"$T/o" 2>"$T/e" </dev/null
check "-c in another terminal (session): exit 0" [ $? = 0 ]
check "  ... starts afresh" [ "$(last_messages)" = "user: from another terminal" ]
check "  ... and says so" grep -q "no earlier conversation in this terminal" "$T/e"
rc=$(ask --cid proj-1 -s "Be terse." -m meta-llama/llama-3.1-8b-instruct "first of the project")
rc=$(ask "unrelated")
rc=$(ask --cid proj-1 --no-stream "second of the project")
check "--cid picks a conversation: exit 0" [ "$rc" = 0 ]
check "  ... with its earlier exchange" [ "$(last_request '["body"]["messages"][1]["content"]')" = "first of the project" ]
check "  ... its system prompt" [ "$(last_request '["body"]["messages"][0]["content"]')" = "Be terse." ]
check "  ... and its model" [ "$(last_request '["body"]["model"]')" = meta-llama/llama-3.1-8b-instruct ]
rc=$(ask --json --cid proj-1 "third")
check "--json names the conversation" [ "$(json "$T/o" 'd["conversation"]')" = proj-1 ]
check "  ... and has text, model, usage, cost, finish_reason" \
	[ "$(json "$T/o" 'sorted(d)')" = '["conversation", "cost", "finish_reason", "model", "text", "usage"]' ]
rc=$(ask --cid ../etc/passwd "hi")
check "--cid with a path in it: exit 2" [ "$rc" = 2 ]
rc=$(ask -c models)
check "-c with a command: exit 2" [ "$rc" = 2 ]

check "history directory is 0700" [ "$(mode "$HIST")" = 700 ]
check "  ... every file in it is 0600" \
	[ "$(find "$HIST" -type f ! -perm 600 | wc -l)" = 0 ]
check "  ... the conversations in history.db" [ "$(mode "$HIST/history.db")" = 600 ]
HOME=$T/home XDG_STATE_HOME= "$ORASK" "where does it go" >"$T/o" 2>"$T/e" </dev/null
check "without XDG_STATE_HOME: ~/.local/state/ora" [ -f "$T/home/.local/state/ora/pending.jsonl" ]
check "  ... ~/.local/state created 0700" [ "$(mode "$T/home/.local/state")" = 700 ]

n=$(request_count)
chmod 755 "$HIST"
rc=$(ask "is my history private")
check "history directory open to others: refused (exit 1)" [ "$rc" = 1 ]
check "  ... with the chmod that fixes it" grep -q "run: chmod 700 '$HIST'" "$T/e"
check "  ... before anything was sent" [ "$(request_count)" = "$n" ]
chmod 700 "$HIST"
chmod 644 "$HIST/history.db"
rc=$(ask "still private?")
check "history database open to others: refused (exit 1)" [ "$rc" = 1 ]
check "  ... with the chmod that fixes it" grep -q "run: chmod 600 '$HIST/history.db'" "$T/e"
check "  ... before anything was sent" [ "$(request_count)" = "$n" ]
chmod 600 "$HIST/history.db"
# Somewhere no one can create a directory, not even root.
mkdir -p "$T/run" && chmod 700 "$T/run"
XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=/proc/orask-test "$ORASK" "no place for history" >"$T/o" 2>"$T/e" </dev/null
check "history cannot be created: still answered (exit 0)" [ $? = 0 ]
check "  ... with a note after the answer" grep -q "^orask: cannot create /proc/orask-test/ora: .*answers are not remembered (said once a day)$" "$T/e"
XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=/proc/orask-test "$ORASK" "again no place" >"$T/o" 2>"$T/e" </dev/null
check "  ... said once a day, not every time" [ ! -s "$T/e" ]
XDG_STATE_HOME=/proc/orask-test "$ORASK" -c "continue where" >"$T/o" 2>"$T/e" </dev/null
check "  ... but -c fails (exit 1)" [ $? = 1 ]

rc=$(ask log)
check "orask log: exit 0" [ "$rc" = 0 ]
check "  ... a header" grep -q '^TIME  *CONVERSATION  *MODEL  *TOKENS  *COST  *QUESTION$' "$T/o"
check "  ... the last exchange: conversation, model, tokens, cost, question" \
	grep -q "^....-..-.. ..:..  proj-1  *meta-llama/llama-3.1-8b-instruct  *[0-9][0-9]*  \$0\.[0-9]*  *third$" "$T/o"
rc=$(ask --json log 1000)
check "  ... the first line of a question only" \
	[ "$("$PY3" -c 'import json, sys
q = [json.loads(l)["question"] for l in open(sys.argv[1])]
print("the instruction" in q and not any("material" in x for x in q))' "$T/o")" = True ]
rc=$(ask log 2)
check "orask log 2: two exchanges" [ "$(wc -l <"$T/o")" = 3 ]
rc=$(ask --json log 1)
check "orask --json log 1: one JSON line" [ "$(json "$T/o" 'd["conversation"] + " " + d["question"]')" = "proj-1 third" ]

# --- commands --------------------------------------------------------------
rc=$(ask models)
check "orask models: exit 0" [ "$rc" = 0 ]
check "  ... a header row" grep -q '^MODEL  *CONTEXT  *PROMPT \$/M  *OUTPUT \$/M  *NAME$' "$T/o"
check "  ... price per million tokens" grep -q '^openai/gpt-4o-mini  *128000  *0\.15  *0\.60 ' "$T/o"
check "  ... hides models the role may not use" sh -c "! grep -q anthropic '$T/o'"
rc=$(ask me)
check "orask me: exit 0" [ "$rc" = 0 ]
check "  ... names the caller" grep -q "^user  *$ME (uid $(id -u)," "$T/o"
check "  ... shows the role" grep -q '^role  *basic$' "$T/o"
check "  ... lists the granted cost centres" grep -q '^cost centres  *dev prod$' "$T/o"
rc=$(ask --json me)
check "orask me --json: exit 0" [ "$rc" = 0 ]
check "  ... the broker's JSON" [ "$(json "$T/o" 'd["role"]')" = basic ]
rc=$(ask -- me)
check "orask -- me: exit 0" [ "$rc" = 0 ]
check "  ... asks the word" [ "$(last_request '["body"]["messages"][-1]["content"]')" = me ]

# --- colour only on a terminal, and never with NO_COLOR ----------------------
ESC=$(printf '\033')
# A terminal that can show bold, whatever TERM the suite itself runs under
# (cron, CI runners and Emacs shells set TERM=dumb, where orask rightly
# stays plain).
TERM=xterm script -qec "\"$ORASK\" models" /dev/null >"$T/tty.out" 2>&1 </dev/null
check "on a terminal, the header is bold" grep -q "${ESC}\[1mMODEL" "$T/tty.out"
TERM=dumb script -qec "\"$ORASK\" models" /dev/null >"$T/tty.out" 2>&1 </dev/null
check "  ... but not with TERM=dumb" sh -c "grep -q '^MODEL' '$T/tty.out' && ! grep -q '$ESC' '$T/tty.out'"
TERM=xterm NO_COLOR=1 script -qec "\"$ORASK\" models" /dev/null >"$T/tty.out" 2>&1 </dev/null
check "  ... but not with NO_COLOR" sh -c "grep -q '^MODEL' '$T/tty.out' && ! grep -q '$ESC' '$T/tty.out'"
mock_post /mock/faults '{"times":1,"content":"evil \u001b]0;title\u0007 text"}'
TERM=xterm script -qec "\"$ORASK\" 'say something evil'" /dev/null >"$T/tty.out" 2>&1 </dev/null
check "on a terminal, escape sequences in the answer are defused" \
	sh -c "grep -q 'evil ?\]0;title? text' '$T/tty.out' && ! grep -q '$ESC' '$T/tty.out'"

# --- refusals and exit codes -----------------------------------------------
rc=$(ask -m anthropic/claude-3.5-sonnet "not for me")
check "model not allowed: exit 4" [ "$rc" = 4 ]
check "  ... the broker's sentence" grep -q '^orask: .*anthropic/claude-3.5-sonnet' "$T/e"
rc=$(ask -e nosuchcentre "hi")
check "cost centre not granted: exit 4" [ "$rc" = 4 ]
rc=$(ask -S "$T/no-such.sock" "hi")
check "broker unreachable: exit 3" [ "$rc" = 3 ]
check "  ... names the socket" grep -q "no-such.sock" "$T/e"
rc=$(ask -t 9 "hi")
check "bad option value: exit 2" [ "$rc" = 2 ]
rc=$(ask)
check "nothing to ask: exit 2" [ "$rc" = 2 ]

n=$(request_count)
head -c 4194305 /dev/zero | tr '\0' a >"$T/big"
"$ORASK" "summarise" <"$T/big" >"$T/o" 2>"$T/e"
check "input over 4 MiB: exit 8" [ $? = 8 ]
check "  ... says nothing was sent" grep -q 'nothing was sent' "$T/e"
head -c 100000 /dev/zero | tr '\0' a >"$T/big"
"$ORASK" "summarise" <"$T/big" >"$T/o" 2>"$T/e"
check "input over the broker's limit: exit 8" [ $? = 8 ]
check "  ... with a message" grep -q '^orask: ' "$T/e"
check "  ... nothing reached upstream" [ "$(request_count)" = "$n" ]

curl -sS -X POST -H 'Content-Type: application/json' \
	-d '{"times":10,"status":502,"message":"Provider returned error"}' "$MOCK_URL/mock/faults" >/dev/null
rc=$(ask "upstream fails")
check "upstream error: exit 7" [ "$rc" = 7 ]
check "  ... with upstream's message" grep -q '^orask: .*Provider returned error' "$T/e"
curl -sS -X DELETE "$MOCK_URL/mock/faults" >/dev/null
mock_post /mock/faults '{"times":1,"status":402}'
rc=$(ask "the organisation's credit is gone")
check "OpenRouter out of credit (its 402): an upstream error, exit 7" [ "$rc" = 7 ]
check "  ... with OpenRouter's message" grep -q '^orask: .*credits' "$T/e"

mock_post /mock/faults '{"times":1,"error_after_events":3}'
rc=$(ask "one two three four five six seven eight nine ten")
check "error in the middle of the stream: exit 7" [ "$rc" = 7 ]
check "  ... the partial answer stays on stdout" grep -q '^Mock answer' "$T/o"

if is_root; then
	# Each user's history in a state directory of their own.
	for u in stranger slow; do install -d -o "${PFX}$u" -m 700 "$T/xdg-$u"; done
	ORASK_USERS=$(orask_for_users)
	as stranger env XDG_STATE_HOME="$T/xdg-stranger" "$ORASK_USERS" "hi" >"$T/o" 2>"$T/e" </dev/null
	rc=$?
	check "no rule for the caller: exit 4" [ "$rc" = 4 ]
	check "  ... told whom to ask" grep -q '^orask: .*ora-test-admins' "$T/e"
	as slow env XDG_STATE_HOME="$T/xdg-slow" "$ORASK_USERS" "first" >"$T/o" 2>"$T/e" </dev/null
	check "another user's history is theirs" [ "$(stat -c %U "$T/xdg-slow/ora/pending.jsonl")" = "${PFX}slow" ]
	if as stranger cat "$T/xdg-slow/ora/pending.jsonl" >/dev/null 2>&1; then
		not_ok "  ... and out of other users' reach"
	else
		ok "  ... and out of other users' reach"
	fi
	as slow env XDG_STATE_HOME="$T/xdg-slow" "$ORASK_USERS" "second" >"$T/o" 2>"$T/e" </dev/null
	rc=$?
	check "rate limited: exit 6" [ "$rc" = 6 ]
	check "  ... one message, saying when to try again" \
		[ "$(wc -l <"$T/e")" = 1 ] && grep -q 'try again in' "$T/e"
fi

# --- budgets, from a canned broker -------------------------------------------
# orad has no budgets yet (the money issue): a few lines of Python on a
# socket of their own answer as orad will, so that exit 5, the budget lines
# of -u and `orask usage` are seen end to end.
cat >"$T/fake_broker.py" <<'PY'
import json, os, socketserver, sys
from http.server import BaseHTTPRequestHandler

USAGE = {"budgets": [
    {"scope": "user", "name": "ann", "period": "monthly", "limit": "10.00", "spent": "1.25",
     "reserved": "0.05", "remaining": "8.70", "resets_at": "2026-12-01T00:00:00Z"},
    {"scope": "cost_centre", "name": "dev", "period": "daily", "limit": 50, "spent": 49.5,
     "reserved": 0, "resets_at": "2026-11-29T00:00:00Z"}]}
ANSWER = {"id": "gen-1", "model": "openai/gpt-4o-mini", "choices": [{"index": 0,
    "message": {"role": "assistant", "content": "Canned answer."}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7, "cost": 0.000002}}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/api/v1/usage":
            self.answer(200, USAGE)
        else:
            self.answer(404, {"error": {"code": 404, "message": "no such path", "type": "not_found"}})
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if req.get("model") == "budget/exhausted":
            self.answer(402, {"error": {"code": 402, "type": "budget_exhausted",
                "message": "your monthly budget (user ann) is spent: $0.00 left of $10.00; it resets on 2026-12-01"}})
        else:
            self.answer(200, ANSWER)

class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

Server(sys.argv[1], Handler).serve_forever()
PY
"$PY3" "$T/fake_broker.py" "$T/fake.sock" 2>"$T/fake_broker.log" &
PIDS="$PIDS $!"
wait_for_file "$T/fake.sock" || { echo "the canned broker did not start"; exit 1; }
rc=$(ask -S "$T/fake.sock" -m budget/exhausted "hi")
check "budget exhausted: exit 5" [ "$rc" = 5 ]
check "  ... with the broker's sentence" grep -q '^orask: your monthly budget (user ann) is spent' "$T/e"
rc=$(ask -S "$T/fake.sock" -u "hi")
check "-u with budgets: exit 0" [ "$rc" = 0 ]
check "  ... tokens and cost" grep -q '^orask: openai/gpt-4o-mini: 5 prompt + 2 completion = 7 tokens, cost \$0.000002, conversation ' "$T/e"
check "  ... then what is left of each budget" [ "$(sed 1d "$T/e")" = "orask: budget user ann (monthly): \$8.70 left of \$10.00, resets 2026-12-01T00:00:00Z
orask: budget cost_centre dev (daily): \$0.50 left of \$50.00, resets 2026-11-29T00:00:00Z" ]
rc=$(ask -S "$T/fake.sock" usage)
check "orask usage: exit 0" [ "$rc" = 0 ]
check "  ... a table of the budgets" [ "$(sed 's/  */ /g' "$T/o")" = "BUDGET PERIOD LIMIT SPENT RESERVED LEFT RESETS
user ann monthly \$10.00 \$1.25 \$0.05 \$8.70 2026-12-01T00:00:00Z
cost_centre dev daily \$50.00 \$49.50 \$0.00 \$0.50 2026-11-29T00:00:00Z" ]
# orad itself: with /api/v1/usage (the money issue) or, before it, without.
rc=$(ask usage)
if [ "$(req GET /api/v1/usage)" = 404 ]; then
	check "orask usage from a broker without budgets: exit 1" [ "$rc" = 1 ]
	check "  ... says so" grep -q '^orask: this broker does not report usage yet$' "$T/e"
else
	check "orask usage from orad: exit 0" [ "$rc" = 0 ]
	check "  ... its budgets, or that none applies" \
		sh -c "grep -q '^BUDGET ' '$T/o' && ! grep -q 'no budget applies' '$T/e' ||
			grep -q '^orask: no budget applies to you$' '$T/e'"
fi

# A real refusal by orad, where it has budgets (the money issue): a second
# orad whose only difference is a spent budget for the caller.
sed -e "s#$SOCK#$T/budget.sock#; s#$STATE#$T/state-b#; s#$T/master.key#$T/master-b.key#" \
	"$CONF" >"$T/budget.conf"
cat >>"$T/budget.conf" <<CONF
budgets = {
  users = { spent = { user = "$ME"; usd = 0; period = "daily"; }; };
};
CONF
# orad -t also checks the master key and the keys, so they come first.
"$ORACTL" -c "$T/budget.conf" init >"$T/oractl-b.out" 2>&1 &&
	printf '%s\n' "$KEY_DEV" | "$ORACTL" -c "$T/budget.conf" key add dev >>"$T/oractl-b.out" 2>&1 &&
	printf '%s\n' "$KEY_PROD" | "$ORACTL" -c "$T/budget.conf" key add prod >>"$T/oractl-b.out" 2>&1
if "$ORAD" -t -c "$T/budget.conf" >"$T/budget-t.out" 2>&1; then
	"$ORAD" -f -c "$T/budget.conf" 2>>"$T/orad-budget.log" &
	PIDS="$PIDS $!"
	wait_for_file "$T/budget.sock"
	n=$(request_count)
	rc=$(ask -S "$T/budget.sock" "spend nothing")
	check "orad refuses: budget exhausted, exit 5" [ "$rc" = 5 ]
	check "  ... with orad's sentence" grep -q '^orask: .*budget' "$T/e"
	check "  ... before anything went upstream" [ "$(request_count)" = "$n" ]
	rc=$(ask -S "$T/budget.sock" usage)
	check "orask usage from orad: exit 0" [ "$rc" = 0 ]
	check "  ... the spent budget, nothing left" grep -q "^user $ME  *daily  *\$0\.00  *\$0\.00  *\$0\.00  *\$0\.00  " "$T/o"
else
	echo "ok - SKIP: this orad has no budgets yet (exit 5 from a canned broker above)"
fi

# --- Ctrl-C stops the generation upstream ------------------------------------
mock_post /mock/faults '{"times":1,"pause_after_events":3}'
logged=$(log_lines)
"$ORASK" "please count one two three four five six seven eight" >"$T/cc.out" 2>"$T/cc.err" </dev/null &
pid=$!
# The mock sends 3 words and holds the rest: Ctrl-C once they are out.
wait_until 30 grep -q '^Mock answer to:' "$T/cc.out"
kill -INT "$pid"
wait "$pid"
rc=$?
check "Ctrl-C: exit 130" [ "$rc" = 130 ]
check "  ... the partial answer stays" grep -q '^Mock answer' "$T/cc.out"
check "  ... and ends with a newline" [ "$(tail -c 1 "$T/cc.out" | od -An -c | tr -d ' ')" = '\n' ]
check "  ... and the exchange is remembered, marked interrupted" [ "$(log_lines)" = $((logged + 1)) ]
"$ORASK" log 1 >"$T/o" 2>"$T/e" </dev/null
check "  ... in orask log" grep -q '(interrupted) please count one two' "$T/o"
last_cancelled() { [ "$(mock_get /mock/generations "$T/g.json" && json "$T/g.json" 'd["data"][-1]["status"]')" = cancelled ]; }
wait_until 30 last_cancelled
check "  ... and the broker cancelled the upstream generation" \
	[ "$(json "$T/g.json" 'd["data"][-1]["status"]')" = cancelled ]
curl -sS -X POST "$MOCK_URL/mock/resume" >/dev/null

# --- the library, as an application uses it --------------------------------
if [ -x "$top_builddir/examples/ora-example" ]; then
	"$top_builddir/examples/ora-example" "hello from the example" >"$T/o" 2>"$T/e"
	check "examples/ora-example: exit 0" [ $? = 0 ]
	check "  ... streams the answer" grep -q '^Mock answer' "$T/o"
fi

# --- bash completion ---------------------------------------------------------
if command -v bash >/dev/null; then
	mkdir -p "$T/bin"
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$ORASK" >"$T/bin/orask"
	chmod +x "$T/bin/orask"
	out=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(orask -m open); COMP_CWORD=2
		_orask; printf "%s\n" "${COMPREPLY[@]}"' sh "$top_srcdir/contrib/bash-completion/orask")
	check "bash completion: -m completes from orask models" [ "$out" = openai/gpt-4o-mini ]
	out=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(orask m); COMP_CWORD=1
		_orask; printf "%s\n" "${COMPREPLY[@]}"' sh "$top_srcdir/contrib/bash-completion/orask")
	check "bash completion: commands" [ "$(echo $out)" = "models me" ]
	out=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(orask --cid proj); COMP_CWORD=2
		_orask; printf "%s\n" "${COMPREPLY[@]}"' sh "$top_srcdir/contrib/bash-completion/orask")
	check "bash completion: --cid completes conversation ids" [ "$out" = proj-1 ]
	out=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(orask l); COMP_CWORD=1
		_orask; printf "%s\n" "${COMPREPLY[@]}"' sh "$top_srcdir/contrib/bash-completion/orask")
	check "bash completion: the log command" [ "$out" = log ]
	out=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(orask -e ""); COMP_CWORD=2
		_orask; printf "%s\n" "${COMPREPLY[@]}"' sh "$top_srcdir/contrib/bash-completion/orask")
	check "bash completion: -e completes the granted cost centres" [ "$(echo $out)" = "dev prod" ]
fi

# --- no leaks or memory errors in orask --------------------------------------
# (Sanitizer builds leave this to their own checks: the two do not mix.)
if [ "${ora_sanitizers:-no}" != yes ] && command -v valgrind >/dev/null &&
	[ -x "$top_builddir/libtool" ]; then
	"$top_builddir/libtool" --mode=execute valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 "$ORASK" -u "valgrind run" >"$T/o" 2>"$T/valgrind.log" </dev/null
	check "orask under valgrind: clean" [ $? = 0 ]
fi

finish
