#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# orask's commands and conversations, end to end through real orad and the
# mock upstream: command words never become paid questions (usage errors,
# "did you mean" at a terminal), `orask log -q/--cid`, `show` and `rm` on
# the SQLite history, no silent caps, interrupted and broken exchanges
# kept, an older orask's history files imported, and the rough edges
# (invalid UTF-8 refused locally, fractional --timeout, a note when the
# broker lowers max_tokens, no history note never before a refusal).
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORASK"
command -v script >/dev/null || skip_all "script(1) is not installed"
ME=$(id -un)
ROLES='
  basic = {
    models = [ "openai/gpt-4o-mini", "meta-llama/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 600;
    concurrent_requests = 16;
  };'
# Everyone else too: one other user asks the broker about $ME's generation.
standard_setup "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; },
  { everyone = true; role = \"basic\"; cost_centres = [ \"dev\" ]; }" "$ROLES"
export ORA_SOCKET="$SOCK"
unset NO_COLOR
export XDG_STATE_HOME="$T/xdg"
HIST=$XDG_STATE_HOME/ora

ask() {
	"$ORASK" "$@" >"$T/o" 2>"$T/e" </dev/null
	echo $?
}
# at_terminal CMD: run a shell command line with a terminal as stdin,
# stdout and stderr (script(1)); its output in $T/o, exit code printed.
at_terminal() {
	script -qec "$1" /dev/null >"$T/o" 2>&1 </dev/null
	echo $?
}
request_count() { mock_get /mock/requests "$T/up.json" && json "$T/up.json" 'len(d["data"])'; }
last_request() { mock_get /mock/requests "$T/up.json" && json "$T/up.json" "d[\"data\"][-1]$1"; }

# --- commands that cannot be mistaken for questions --------------------------
n=$(request_count)
rc=$(ask log rfc)
check "orask log rfc: a usage error (exit 2)" [ "$rc" = 2 ]
check "  ... says how to ask it as a question" grep -q "write: orask -- log rfc$" "$T/e"
rc=$(ask log 2 extra)
check "orask log 2 extra: exit 2" [ "$rc" = 2 ]
rc=$(ask show)
check "orask show without an id: exit 2" [ "$rc" = 2 ]
rc=$(ask models please)
check "orask models please: exit 2" [ "$rc" = 2 ]
check "  ... names the command's form" grep -q "'models' is a command: orask models;" "$T/e"
rc=$(at_terminal "\"$ORASK\" model")
check "orask model at a terminal: exit 2" [ "$rc" = 2 ]
check "  ... did you mean 'orask models'?" grep -q "did you mean 'orask models'? To ask it as a question, write: orask -- model" "$T/o"
rc=$(at_terminal "\"$ORASK\" logs 3")
check "orask logs 3 at a terminal: exit 2, did you mean log" \
	sh -c "[ '$rc' = 2 ] && grep -q \"did you mean 'orask log'\" '$T/o'"
check "  ... none of these was sent" [ "$(request_count)" = "$n" ]
rc=$(ask -q rfc "a question")
check "-q with a question: exit 2" [ "$rc" = 2 ]
rc=$(ask -c show 227cf540)
check "-c with show: exit 2" [ "$rc" = 2 ]

rc=$(ask logs)
check "orask logs from a script (stdin not a terminal): asked (exit 0)" [ "$rc" = 0 ]
check "  ... the word as written" [ "$(last_request '["body"]["messages"][-1]["content"]')" = logs ]
rc=$(at_terminal "\"$ORASK\" -- model")
check "orask -- model at a terminal: asked (exit 0)" [ "$rc" = 0 ]
check "  ... the word" [ "$(last_request '["body"]["messages"][-1]["content"]')" = model ]
rc=$(ask -- log rfc)
check "orask -- log rfc: asked" [ "$(last_request '["body"]["messages"][-1]["content"]')" = "log rfc" ]

# --- conversations: log, search, show, rm ---------------------------------
rc=$(ask --cid rfc-talk "What does RFC 5322 say about headers")
rc=$(ask "A recipe for pasta")
rc=$(ask --cid rfc-talk -s "Be terse." "and rfc-822")
rc=$(ask log -q rfc)
check "orask log -q rfc: exit 0" [ "$rc" = 0 ]
check "  ... the two exchanges that mention it, not the pasta" \
	sh -c "[ \$(grep -c ' rfc-talk ' '$T/o') = 2 ] && ! grep -q pasta '$T/o'"
rc=$(ask log -q "quick brown")
check "  ... answers are searched too" [ "$(grep -c 'Mock answer\|rfc-talk\|pasta' "$T/o")" -ge 3 ]
rc=$(ask log --cid rfc-talk)
check "orask log --cid: that conversation only" \
	sh -c "[ \$(sed 1d '$T/o' | wc -l) = 2 ] && ! grep -q pasta '$T/o'"
rc=$(ask log -q zebra)
check "orask log -q with no match: exit 0, says so" \
	sh -c "[ '$rc' = 0 ] && grep -q 'no exchange matches' '$T/e' && [ ! -s '$T/o' ]"
rc=$(ask show rfc-talk)
check "orask show ID: exit 0" [ "$rc" = 0 ]
check "  ... the system prompt" grep -q '^conversation rfc-talk, model (the role.s default), system prompt: Be terse\.$' "$T/o"
check "  ... every question" sh -c "grep -q '^What does RFC 5322 say about headers$' '$T/o' && grep -q '^and rfc-822$' '$T/o'"
check "  ... and every answer, whole" grep -q '^Mock answer to: and rfc-822\. The quick brown fox' "$T/o"
rc=$(ask --json show rfc-talk)
check "orask --json show: the exchanges, with answers and costs" \
	[ "$(json "$T/o" '[len(d["exchanges"]), d["system"], d["exchanges"][1]["outcome"], d["exchanges"][1]["cost"] > 0, d["exchanges"][0]["answer"].startswith("Mock answer")]')" = '[2, "Be terse.", "complete", true, true]' ]
rc=$(ask rm rfc-talk)
check "orask rm ID: exit 0" [ "$rc" = 0 ]
check "  ... says what went" grep -q '^orask: removed conversation rfc-talk (2 exchanges)$' "$T/e"
rc=$(ask show rfc-talk)
check "  ... then show: exit 1" [ "$rc" = 1 ]
check "  ... no such conversation" grep -q 'no conversation rfc-talk' "$T/e"
rc=$(ask log -q rfc)
check "  ... and search no longer finds it" sh -c "! grep -q rfc-talk '$T/o'"
rc=$(ask rm rfc-talk)
check "orask rm of no conversation: exit 1" [ "$rc" = 1 ]

# No silent caps: the old store kept 20 exchanges of a conversation.
i=0
while [ $i -lt 23 ]; do
	"$ORASK" --no-stream --cid long "question $i" >/dev/null 2>&1 </dev/null
	i=$((i + 1))
done
check "a conversation of 23 exchanges: all 45 earlier messages and the question went upstream" \
	[ "$(last_request '["body"]["messages"].__len__()')" = 45 ]
check "  ... and all 23 are in the log" [ "$("$ORASK" --json log --cid long 1000 </dev/null | wc -l)" = 23 ]

# --- the rough edges ---------------------------------------------------------
n=$(request_count)
printf 'caf\351 au lait' | "$ORASK" "translate" >"$T/o" 2>"$T/e"
check "Latin-1 on stdin: refused locally (exit 2)" [ $? = 2 ]
check "  ... naming the byte offset" grep -q '^orask: standard input is not valid UTF-8 at byte 3; nothing was sent' "$T/e"
rc=$(ask "$(printf 'na\357ve')")
check "invalid UTF-8 in the arguments: exit 2" [ "$rc" = 2 ]
check "  ... naming the word and byte" grep -q 'word 1 of the question is not valid UTF-8 at byte 2' "$T/e"
check "  ... nothing was sent" [ "$(request_count)" = "$n" ]

# Fractional, and long enough for a whole answer on a loaded machine.
rc=$(ask --timeout 29.5 "a fractional timeout")
check "--timeout 29.5: accepted (exit 0)" [ "$rc" = 0 ]
rc=$(ask --timeout soon "x")
check "--timeout soon: exit 2" [ "$rc" = 2 ]
# The mock holds the answer after 2 words until /mock/resume, so the
# timeout always ends it mid-answer; it is long enough for those 2 words to
# arrive first on a loaded machine (0.5 s was not).
mock_post /mock/faults '{"times":1,"pause_after_events":2}'
rc=$(ask --timeout 8 "one two three four five six seven")
check "--timeout 8 with a stalled answer: gives up (exit 1)" [ "$rc" = 1 ]
check "  ... the partial answer stays" grep -q '^Mock answer' "$T/o"
curl -sS -X POST "$MOCK_URL/mock/resume" >/dev/null
rc=$(ask log 1)
check "  ... and is in the log, marked broken off" grep -q '(broken off) one two three' "$T/o"

# --- interrupted exchanges: kept with what was received, and their cost ------
# last_json EXPR: EXPR of the newest exchange in `orask --json log 1` (d).
last_json() {
	"$ORASK" --json log 1 >"$T/lj.json" 2>"$T/lj.err" </dev/null && json "$T/lj.json" "$1"
}
# ledger_of GEN: "state|cost_pico" of the broker's row for generation GEN.
ledger_of() { ledger_sql "SELECT state, cost_pico FROM requests WHERE generation_id = '$1'"; }
settled() { [ "$(ledger_of "$1" | cut -d'|' -f1)" = settled ]; }
cost_filled() { [ "$(last_json 'd["cost"]')" != None ]; }
# same_cost GEN: the newest exchange's cost in orask's log is the ledger's.
same_cost() {
	"$PY3" -c 'import sys; a, b = float(sys.argv[1]), int(sys.argv[2]) / 1e12
sys.exit(0 if abs(a - b) <= 1e-12 * max(1.0, b) else 1)' \
		"$(last_json 'd["cost"]')" "$(ledger_of "$1" | cut -d'|' -f2)"
}

mock_post /mock/faults '{"times":1,"pause_after_events":3}'
"$ORASK" "please count alpha beta gamma delta epsilon zeta eta theta" >"$T/int.out" \
	2>"$T/int.err" </dev/null &
pid=$!
# The 3 words before the pause are out; Ctrl-C then.
wait_until 30 grep -q "^Mock answer to:" "$T/int.out"
kill -INT "$pid"
wait "$pid"
rc=$?
check "Ctrl-C in the middle of an answer: exit 130" [ "$rc" = 130 ]
"$ORASK" -S "$T/no-broker.sock" log 1 >"$T/o" 2>"$T/e" </dev/null
check "  ... orask log without a broker: its cost pending" \
	grep -q ' pending  *(interrupted) please count alpha' "$T/o"
check "  ... quietly" [ ! -s "$T/e" ]
gen=$(last_json 'd["generation"]')
check "  ... the exchange is logged as interrupted" [ "$(last_json 'd["outcome"]')" = interrupted ]
check "  ... with the generation id the broker named" \
	sh -c "echo '$gen' | grep -q '^gen-'"
# Pending only while the broker has not settled it: its row, read after
# orask log has looked, says it was not settled then either.
"$ORASK" log 1 >"$T/o" 2>"$T/e" </dev/null
if ! settled "$gen"; then
	check "  ... its cost pending while the broker learns it" \
		grep -q ' pending  *(interrupted) please count alpha' "$T/o"
else
	echo "ok - SKIP: the broker settled the cost before orask log could show it pending"
fi
cid=$(last_json 'd["conversation"]')
"$ORASK" --json show "$cid" >"$T/show.json" 2>"$T/e" </dev/null
check "  ... with the text received, as printed" \
	[ "$(json "$T/show.json" 'd["exchanges"][-1]["answer"]')" = "$(cat "$T/int.out")" ]
wait_until 30 settled "$gen"
curl -sS -X POST "$MOCK_URL/mock/resume" >/dev/null
wait_until 30 cost_filled
check "  ... its cost filled in by orask log once the ledger settled it" cost_filled
check "  ... equal to the ledger's row for that generation" same_cost "$gen"
check "  ... and not zero: the words generated were billed" \
	[ "$(ledger_of "$gen" | cut -d'|' -f2)" -gt 0 ]
"$ORASK" log 1 >"$T/o" 2>"$T/e" </dev/null
check "  ... orask log shows it, interrupted, with a dollar cost" \
	grep -q ' \$0\.[0-9]*  *(interrupted) please count alpha' "$T/o"
"$ORASK" show "$cid" >"$T/o" 2>"$T/e" </dev/null
check "  ... and so does orask show" grep -q 'cost \$0\.[0-9]*, interrupted\]:$' "$T/o"

# The broker's side: GET /api/v1/generation?id=, the caller's own rows only.
code=$(req GET "/api/v1/generation?id=$gen")
check "GET /api/v1/generation?id=GEN: 200 for its owner" [ "$code" = 200 ]
check "  ... OpenRouter's shape, the ledger's cost" [ "$(json "$T/out" \
	'"%s|%s|%s" % (d["data"]["id"], d["data"]["cancelled"], d["data"]["total_cost"] > 0)')" = \
	"$gen|True|True" ]
if is_root; then
	add_user other
	as_req other GET "/api/v1/generation?id=$gen" >/dev/null
	check "  ... 404 for another user, as if it did not exist" \
		grep -q '^404$' "$T/as.raw"
	check "  ... telling nothing of it" sh -c "! grep -q total_cost '$T/as.raw'"
else
	echo "ok - SKIP: not root, so no other user to ask as"
fi
code=$(req GET "/api/v1/generation?id=gen-none-such")
check "  ... 404 for an unknown id" [ "$code" = 404 ]
code=$(req GET "/api/v1/generation")
check "  ... 400 without an id" [ "$code" = 400 ]

mock_post /mock/faults '{"times":1,"pause_after_events":2}'
rc=$(ask --timeout 8 "time out after iota kappa lambda mu nu xi")
check "--timeout in the middle of an answer: exit 1" [ "$rc" = 1 ]
gen=$(last_json 'd["generation"]')
check "  ... logged as broken off, with its generation" \
	[ "$(last_json 'd["outcome"]')|${gen%%-*}" = "broken off|gen" ]
wait_until 30 settled "$gen"
curl -sS -X POST "$MOCK_URL/mock/resume" >/dev/null
wait_until 30 cost_filled
check "  ... its cost, once known, the ledger's" same_cost "$gen"

rc=$(ask --max-tokens 100000 "long answer please")
check "--max-tokens above the role's limit: answered" [ "$rc" = 0 ]
check "  ... with a note that the broker lowered it" \
	grep -q '^orask: note: the broker lowered max_tokens from 100000 to 1000, your role.s limit$' "$T/e"
rc=$(ask --max-tokens 50 "short answer please")
check "  ... no note when it was within the limit" [ ! -s "$T/e" ]

# No history (nowhere to keep it): never a note before a refusal.
mkdir -p "$T/run" && chmod 700 "$T/run"
XDG_RUNTIME_DIR=$T/run XDG_STATE_HOME=/proc/orask-more "$ORASK" -m anthropic/claude-3.5-sonnet "refused" \
	>"$T/o" 2>"$T/e" </dev/null
check "no history and a refusal: exit 4" [ $? = 4 ]
check "  ... one line, the refusal alone" [ "$(wc -l <"$T/e")" = 1 ]

# --- Markdown on a terminal; the exact text everywhere else -------------------
MD='# Plan\n\nFirst *step*, then **run**:\n\n```sh\nmake check\n```\n\n- one\n- two\n\nSee [docs](https://example.org/d).'
ESC=$(printf '\033')
mock_post /mock/faults "{\"times\":1,\"content\":\"$MD\"}"
# The terminal script(1) makes is an xterm, whatever TERM the suite runs
# under: TERM=dumb rightly turns styling off (test_client_orask.sh checks that).
TERM=xterm script -qec "\"$ORASK\" 'markdown please'" /dev/null >"$T/tty.out" 2>&1 </dev/null
check "on a terminal, Markdown is rendered: the heading styled" grep -q "${ESC}\[1;35m${ESC}\[4mPlan" "$T/tty.out"
check "  ... emphasis and strong" grep -q "First ${ESC}\[3mstep${ESC}\[23m, then ${ESC}\[1mrun${ESC}\[22m:" "$T/tty.out"
check "  ... the code block with its language" grep -q "── sh ──" "$T/tty.out"
check "  ... its code" grep -q "${ESC}\[36mmake check" "$T/tty.out"
check "  ... list bullets" sh -c "grep -q '^• one' '$T/tty.out' && grep -q '^• two' '$T/tty.out'"
check "  ... the link's address shown" grep -q "docs${ESC}\[24m${ESC}\[2m <https://example.org/d>" "$T/tty.out"
no_md_syntax() { ! grep -qF '**run**' "$1" && ! grep -q '^# Plan' "$1" && ! grep -qF '```' "$1"; }
check "  ... and no Markdown syntax left" no_md_syntax "$T/tty.out"
printf "$MD" >"$T/md.expected"
mock_post /mock/faults "{\"times\":1,\"content\":\"$MD\"}"
TERM=xterm script -qec "\"$ORASK\" --raw 'markdown please'" /dev/null >"$T/tty.out" 2>&1 </dev/null
tr -d '\r' <"$T/tty.out" | head -c "$(wc -c <"$T/md.expected")" >"$T/tty.raw"
check "--raw on a terminal: the text exactly as received" cmp -s "$T/tty.raw" "$T/md.expected"
mock_post /mock/faults "{\"times\":1,\"content\":\"$MD\"}"
TERM=xterm NO_COLOR=1 script -qec "\"$ORASK\" 'markdown please'" /dev/null >"$T/tty.out" 2>&1 </dev/null
tr -d '\r' <"$T/tty.out" | head -c "$(wc -c <"$T/md.expected")" >"$T/tty.raw"
check "NO_COLOR on a terminal: the text exactly as received" cmp -s "$T/tty.raw" "$T/md.expected"
mock_post /mock/faults "{\"times\":1,\"content\":\"$MD\"}"
"$ORASK" 'markdown please' </dev/null | head -c "$(wc -c <"$T/md.expected")" >"$T/pipe.out"
check "to a pipe: the text exactly as received" cmp -s "$T/pipe.out" "$T/md.expected"

# --- files: -f ---------------------------------------------------------------
printf 'first note\n' >"$T/notes.txt"
printf 'second "note"' >"$T/b.md"
rc=$(ask -f "$T/notes.txt" "summarise")
check "-f FILE: answered (exit 0)" [ "$rc" = 0 ]
check "  ... the file as a labelled part after the instruction" \
	[ "$(last_request '["body"]["messages"][-1]["content"]')" = "summarise

<file name=\"$T/notes.txt\">
first note
</file>" ]
printf 'piped material' | "$ORASK" -f "$T/notes.txt" -f "$T/b.md" "compare" >"$T/o" 2>"$T/e"
check "two files and standard input: instruction, material, then each file in order" \
	[ "$(last_request '["body"]["messages"][-1]["content"]')" = "compare

piped material

<file name=\"$T/notes.txt\">
first note
</file>

<file name=\"$T/b.md\">
second \"note\"
</file>" ]
printf 'from a pipe\n' | "$ORASK" -f - "what is this" >"$T/o" 2>"$T/e"
check "-f - is standard input, labelled" \
	[ "$(last_request '["body"]["messages"][-1]["content"]')" = "what is this

<file name=\"standard input\">
from a pipe
</file>" ]
n=$(request_count)
printf 'ELF\000\001\002' >"$T/prog.bin"
rc=$(ask -f "$T/prog.bin" "what does it do")
check "-f of a binary file: refused (exit 2)" [ "$rc" = 2 ]
check "  ... saying why" grep -q "^orask: $T/prog.bin is binary (a NUL byte at offset 3); orask sends text only" "$T/e"
head -c 4194305 /dev/zero | tr '\0' a >"$T/huge.txt"
rc=$(ask -f "$T/huge.txt" "too much")
check "-f of more than 4 MiB: exit 8" [ "$rc" = 8 ]
head -c 3000000 /dev/zero | tr '\0' a >"$T/big1.txt"
rc=$(ask -f "$T/big1.txt" -f "$T/big1.txt" "two halves too much")
check "  ... in all, across files: exit 8" [ "$rc" = 8 ]
rc=$(ask -f "$T/no-such-file" "x")
check "-f of a missing file: exit 2" [ "$rc" = 2 ]
rc=$(ask -f "$T/notes.txt" models)
check "-f with a command: exit 2" [ "$rc" = 2 ]
check "  ... none of these was sent" [ "$(request_count)" = "$n" ]

# --- orask.conf: defaults and templates; the command line wins --------------
export XDG_CONFIG_HOME="$T/config"
mkdir -p "$XDG_CONFIG_HOME/ora"
cat >"$XDG_CONFIG_HOME/ora/orask.conf" <<'CONF'
# orask's own settings
model = "meta-llama/llama-3.1-8b-instruct";
system = "Answer briefly.";
templates = {
  review = { system = "You review code."; model = "openai/gpt-4o-mini"; temperature = 0.2; max_tokens = 300; };
  plain = { };
};
CONF
chmod 644 "$XDG_CONFIG_HOME/ora/orask.conf"
rc=$(ask "with my defaults")
check "orask.conf: its model and system prompt are used" \
	[ "$(last_request '["body"]["model"] + "|" + d["data"][-1]["body"]["messages"][0]["content"]')" = "meta-llama/llama-3.1-8b-instruct|Answer briefly." ]
rc=$(ask -m openai/gpt-4o-mini -s "Be loud." "command line wins")
check "  ... the command line wins" \
	[ "$(last_request '["body"]["model"] + "|" + d["data"][-1]["body"]["messages"][0]["content"]')" = "openai/gpt-4o-mini|Be loud." ]
rc=$(ask -T review "diff here")
check "-T review: the template's system prompt, model and options" \
	[ "$(mock_get /mock/requests "$T/up.json" && json "$T/up.json" '[d["data"][-1]["body"][k] for k in ("model", "temperature", "max_tokens")] + [d["data"][-1]["body"]["messages"][0]["content"]]')" = '["openai/gpt-4o-mini", 0.2, 300, "You review code."]' ]
rc=$(ask -T review -t 0.9 "diff again")
check "  ... with -t still winning" [ "$(last_request '["body"]["temperature"]')" = 0.9 ]
rc=$(ask -T nosuch "x")
check "-T of no such template: exit 2, naming those there are" \
	sh -c "[ '$rc' = 2 ] && grep -q \"no template 'nosuch'; there are: review, plain\" '$T/e'"
rc=$(ask templates)
check "orask templates: exit 0" [ "$rc" = 0 ]
check "  ... a table of them" [ "$(sed 's/  */ /g' "$T/o")" = "TEMPLATE MODEL SYSTEM PROMPT
review openai/gpt-4o-mini You review code.
plain - -" ]
chmod 664 "$XDG_CONFIG_HOME/ora/orask.conf"
n=$(request_count)
rc=$(ask "a group-writable orask.conf")
check "orask.conf others may change: refused (exit 2)" [ "$rc" = 2 ]
check "  ... with the chmod that fixes it" grep -q "run chmod go-w '$XDG_CONFIG_HOME/ora/orask.conf'" "$T/e"
check "  ... before anything was sent" [ "$(request_count)" = "$n" ]
chmod 600 "$XDG_CONFIG_HOME/ora/orask.conf"
printf 'modle = "x";\n' >>"$XDG_CONFIG_HOME/ora/orask.conf"
rc=$(ask "a typo in orask.conf")
check "an unknown setting: exit 2, file and line" \
	sh -c "[ '$rc' = 2 ] && grep -q \"orask.conf:8: unknown setting 'modle'\" '$T/e'"
printf 'model = ;\n' >"$XDG_CONFIG_HOME/ora/orask.conf"
rc=$(ask "a syntax error")
check "a syntax error: exit 2, with the line" grep -q 'orask.conf:1: syntax error' "$T/e"
unset XDG_CONFIG_HOME

# --- completions: bash, zsh, fish; orask and oractl -------------------------
mkdir -p "$T/bin" "$T/cfg-c/ora"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$ORASK" >"$T/bin/orask"
printf '#!/bin/sh\nexec "%s" -c "%s" "$@"\n' "$ORACTL" "$CONF" >"$T/bin/oractl"
chmod +x "$T/bin/orask" "$T/bin/oractl"
printf 'templates = { review = { system = "Review."; }; summary = { system = "Sum up."; }; };\n' \
	>"$T/cfg-c/ora/orask.conf"
export XDG_CONFIG_HOME="$T/cfg-c"
CDIR=$top_srcdir/contrib
out=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(orask -T ""); COMP_CWORD=2
	_orask; printf "%s\n" "${COMPREPLY[@]}"' sh "$CDIR/bash-completion/orask")
check "bash: -T completes template names" [ "$(echo $out)" = "review summary" ]
out=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(orask show lo); COMP_CWORD=2
	_orask; printf "%s\n" "${COMPREPLY[@]}"' sh "$CDIR/bash-completion/orask")
check "bash: show completes conversation ids" [ "$out" = long ]
out=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(oractl key r); COMP_CWORD=2
	_oractl; printf "%s\n" "${COMPREPLY[@]}"' sh "$CDIR/bash-completion/oractl")
check "bash: oractl key subcommands" [ "$(echo $out)" = "rotate rm" ]
out=$(PATH="$T/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(oractl key rm ""); COMP_CWORD=3
	_oractl; printf "%s\n" "${COMPREPLY[@]}"' sh "$CDIR/bash-completion/oractl")
check "bash: oractl key rm completes key names" [ "$(echo $out)" = "dev prod" ]
if command -v zsh >/dev/null; then
	check "zsh: _orask and _oractl parse" zsh -n "$CDIR/zsh-completion/_orask" "$CDIR/zsh-completion/_oractl"
else
	echo "ok - SKIP: zsh is not installed"
fi
if command -v fish >/dev/null; then
	fc() { PATH="$T/bin:$PATH" HOME="$T" fish --no-config -c "source $CDIR/fish-completion/$1.fish; complete -C '$2'" 2>&1 | cut -f1; }
	check "fish: orask commands" [ "$(fc orask 'orask t' | tr '\n' ' ')" = "templates " ]
	check "fish: --cid completes conversation ids" [ "$(fc orask 'orask --cid lo' | tr '\n' ' ')" = "long " ]
	check "fish: -T completes templates" [ "$(fc orask 'orask -T s' | tr '\n' ' ')" = "summary " ]
	check "fish: -m completes models" [ "$(fc orask 'orask -m openai/' | tr '\n' ' ')" = "openai/gpt-4o-mini " ]
	check "fish: oractl report --period" [ "$(fc oractl 'oractl report --period this-' | tr '\n' ' ')" = "this-month this-week this-year " ]
	check "fish: oractl key rm completes key names" [ "$(fc oractl 'oractl key rm ' | tr '\n' ' ')" = "dev prod " ]
else
	echo "ok - SKIP: fish is not installed"
fi
unset XDG_CONFIG_HOME

# --- an older orask's history is imported ------------------------------------
OLD=$T/xdg-old/ora
mkdir -p "$OLD/conversations"
chmod 700 "$T/xdg-old" "$OLD" "$OLD/conversations"
cat >"$OLD/conversations/old-1.json" <<'JSON'
{"id":"old-1","model":"meta-llama/llama-3.1-8b-instruct","system":"Be kind.","updated":1700000100,"messages":[{"role":"user","content":"My name is Ann"},{"role":"assistant","content":"Hello Ann"}]}
JSON
cat >"$OLD/log.jsonl" <<'JSON'
{"time":1700000100,"cid":"old-1","model":"meta-llama/llama-3.1-8b-instruct","prompt_tokens":9,"completion_tokens":3,"cost":0.0001,"question":"My name is Ann"}
JSON
chmod 600 "$OLD/conversations/old-1.json" "$OLD/log.jsonl"
XDG_STATE_HOME=$T/xdg-old "$ORASK" log >"$T/o" 2>"$T/e" </dev/null
check "old history: orask log lists it (exit 0)" [ $? = 0 ]
check "  ... with its tokens and cost" grep -q ' old-1  *meta-llama/llama-3.1-8b-instruct  *12  *\$0\.0001  *My name is Ann$' "$T/o"
XDG_STATE_HOME=$T/xdg-old "$ORASK" --cid old-1 "What is my name" >"$T/o" 2>"$T/e" </dev/null
check "  ... and the conversation goes on" [ "$(last_request '["body"]["messages"][1]["content"]')" = "My name is Ann" ]
check "  ... with its model and system prompt" \
	[ "$(last_request '["body"]["model"] + "|" + d["data"][-1]["body"]["messages"][0]["content"]')" = "meta-llama/llama-3.1-8b-instruct|Be kind." ]
check "  ... the old files are left alone" [ -f "$OLD/log.jsonl" ] && [ -f "$OLD/conversations/old-1.json" ]

finish
