#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# orask chat, driven through a real terminal (tmux) against real orad and
# the mock upstream: questions at a prompt, multi-line input, /model,
# /system, /usage, Ctrl-C that stops an answer and keeps the chat, Ctrl-D
# that leaves, and the conversation saved like any other. Assertions are
# on what the screen shows and what reached the upstream.
. "$top_srcdir/tests/integration/lib.sh"

need_binaries "$ORASK"
command -v tmux >/dev/null || skip_all "tmux is not installed"
ME=$(id -un)
ROLES='
  basic = {
    models = [ "openai/gpt-4o-mini", "meta-llama/*" ];
    default_model = "openai/gpt-4o-mini";
    max_tokens = 1000;
    requests_per_minute = 600;
    concurrent_requests = 16;
  };'
standard_setup "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\" ]; }" "$ROLES"
export ORA_SOCKET="$SOCK"
unset NO_COLOR
export XDG_STATE_HOME="$T/xdg" XDG_CONFIG_HOME="$T/config"

request_count() { mock_get /mock/requests "$T/up.json" && json "$T/up.json" 'len(d["data"])'; }
last_request() { mock_get /mock/requests "$T/up.json" && json "$T/up.json" "d[\"data\"][-1]$1"; }

# A tmux server of the test's own, and one 100x40 window running CMD.
TMUX_SOCK=$T/tmux.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }
screen() { tm capture-pane -p -t chat -S -200; }
# wait_screen TEXT: poll the screen until it shows TEXT (a grep pattern),
# for 30 s and more (a loaded machine).
wait_screen() {
	i=0
	until screen | grep -q -- "$1"; do
		i=$((i + 1))
		[ $i -ge 600 ] && return 1
		sleep 0.05
	done
}
# wait_requests N: poll the mock until it has seen N requests.
wait_requests() {
	i=0
	until [ "$(request_count)" -ge "$1" ]; do
		i=$((i + 1))
		[ $i -ge 600 ] && return 1
		sleep 0.05
	done
}
# wait_screen_last PATTERN: until the last non-empty line matches.
wait_screen_last() {
	i=0
	until tm capture-pane -p -t chat | grep -v '^$' | tail -n 1 | grep -q -- "$1"; do
		i=$((i + 1))
		[ $i -ge 600 ] && return 1
		sleep 0.05
	done
}
type_line() { tm send-keys -t chat -l -- "$1" && tm send-keys -t chat Enter; }

tm new-session -d -s chat -x 100 -y 40 \
	"env ORA_SOCKET='$SOCK' XDG_STATE_HOME='$XDG_STATE_HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' TERM=xterm '$ORASK'; echo \"exit=\$?\"; sleep 30"
PIDS="$PIDS $(tm display -p -t chat '#{pane_pid}')"
check "a bare orask on a terminal is a chat" wait_screen '^orask chat: conversation [0-9a-f]\{8\}\.'
check "  ... with a prompt" wait_screen '^orask>'
cid=$(screen | sed -n 's/^orask chat: conversation \([0-9a-f]*\)\..*/\1/p')

n=$(request_count)
type_line "hello from the chat"
check "a question at the prompt is answered on the screen" wait_screen '^Mock answer to: hello from the chat\.'
check "  ... then the prompt again" sh -c "tmux -S '$TMUX_SOCK' capture-pane -p -t chat | grep -v '^\$' | tail -n 1 | grep -q '^orask>\$'"

type_line "line one \\"
type_line "line two"
wait_requests $((n + 2))
check "a line ending with \\ goes on to the next" [ "$(last_request '["body"]["messages"][-1]["content"]')" = "line one 
line two" ]
check "  ... and the earlier exchange went with it" [ "$(last_request '["body"]["messages"][0]["content"]')" = "hello from the chat" ]
type_line '"""'
type_line "first of a block"
type_line ""
type_line "last of a block"
type_line '"""'
wait_requests $((n + 3))
check 'a """ block is one question' [ "$(last_request '["body"]["messages"][-1]["content"]')" = "first of a block

last of a block" ]

type_line "/model meta-llama/llama-3.1-8b-instruct"
check "/model changes the model" wait_screen '^model meta-llama/llama-3.1-8b-instruct$'
type_line "/system Answer in French."
check "/system sets the system prompt" wait_screen '^system prompt Answer in French\.$'
type_line "bonjour"
wait_requests $((n + 4))
check "  ... both go with the next question" \
	[ "$(last_request '["body"]["model"] + "|" + d["data"][-1]["body"]["messages"][0]["content"]')" = "meta-llama/llama-3.1-8b-instruct|Answer in French." ]
wait_screen '^Mock answer to: bonjour'
type_line "/usage"
check "/usage: the exchanges, tokens and cost so far" \
	wait_screen "^conversation $cid: 4 exchanges, [0-9]* prompt + [0-9]* completion tokens, cost \\\$0\\.[0-9]*\$"
type_line "/nonsense"
check "an unknown /command says so" wait_screen '^unknown command /nonsense'
check "  ... and nothing is sent" [ "$(request_count)" = $((n + 4)) ]

# Ctrl-C stops the answer, not the chat.
# The mock sends 3 words ("Mock answer to: ") and holds the rest until
# /mock/resume; Ctrl-C goes once they are on the screen. (Waiting for a 4th
# word that never comes used to spend the whole wait and could outlast
# orad's request_timeout on a loaded machine: the answer then broke off
# before the Ctrl-C.)
mock_post /mock/faults '{"times":1,"pause_after_events":3}'
type_line "count to a hundred slowly please"
check "the answer starts" wait_screen '^Mock answer to:'
tm send-keys -t chat C-c
check "Ctrl-C stops the answer and the prompt comes back" \
	wait_screen_last '^orask>$'
last_cancelled() { [ "$(mock_get /mock/generations "$T/g.json" && json "$T/g.json" 'd["data"][-1]["status"]')" = cancelled ]; }
wait_until 30 last_cancelled
check "  ... the upstream generation was cancelled" [ "$(json "$T/g.json" 'd["data"][-1]["status"]')" = cancelled ]
curl -sS -X POST "$MOCK_URL/mock/resume" >/dev/null
type_line "still here?"
check "  ... and the chat goes on" wait_screen '^Mock answer to: still here?'
check "  ... without the interrupted exchange in what is sent" \
	sh -c "! curl -s '$MOCK_URL/mock/requests' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"data\"][-1][\"body\"][\"messages\"])' | grep -q 'count to a hundred'"

tm send-keys -t chat C-d
check "Ctrl-D leaves (exit 0)" wait_screen '^exit=0$'

"$ORASK" show "$cid" >"$T/o" 2>"$T/e" </dev/null
check "the chat is saved as a conversation" grep -q '^hello from the chat$' "$T/o"
check "  ... with every exchange, the interrupted one marked" \
	[ "$("$ORASK" --json log --cid "$cid" 100 </dev/null | grep -c '"outcome":"interrupted"')" = 1 ]
check "  ... 6 exchanges in all" [ "$("$ORASK" --json log --cid "$cid" 100 </dev/null | wc -l)" = 6 ]
check "typed lines kept for the next chat, privately" [ "$(stat -c %a "$XDG_STATE_HOME/ora/chat_history")" = 600 ]

# --cid continues a conversation in a chat.
# The server ends with its last session, and a new session started while
# it is ending fails ("server exited unexpectedly"): wait until it is gone.
server_pid=$(tm display-message -p '#{pid}')
tm kill-session -t chat 2>/dev/null
i=0
while kill -0 "$server_pid" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
tm new-session -d -s chat -x 100 -y 40 \
	"env ORA_SOCKET='$SOCK' XDG_STATE_HOME='$XDG_STATE_HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' TERM=xterm '$ORASK' --cid '$cid' chat; echo \"exit=\$?\"; sleep 30"
check "orask --cid ID chat continues it" wait_screen "^orask chat: conversation $cid\\."
n=$(request_count)
type_line "and one more"
wait_requests $((n + 1))
check "  ... with its exchanges sent" [ "$(last_request '["body"]["messages"][1]["content"]')" = "hello from the chat" ]
tm send-keys -t chat C-d
wait_screen '^exit=0$'

"$ORASK" chat >"$T/o" 2>"$T/e" </dev/null
check "orask chat without a terminal: exit 2" [ $? = 2 ]
tm kill-server 2>/dev/null
finish
