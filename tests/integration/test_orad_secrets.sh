#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# The upstream keys never leave orad except in the upstream Authorization
# header: not in responses, logs, argv, the environment, files in the clear,
# or a core dump; and nobody without root can read orad's memory.
. "$top_srcdir/tests/integration/lib.sh"

ME=$(id -un)
standard_setup "  { user = \"$ME\"; role = \"basic\"; cost_centres = [ \"dev\", \"prod\" ]; }"

# Exercise every answer a client can get, with the responses kept.
: >"$T/responses"
for body in "$CHAT" '{"stream":true,"messages":[{"role":"user","content":"x"}]}' '{bad' \
	'{"model":"anthropic/claude-3.5-sonnet","messages":[{"role":"user","content":"x"}]}'; do
	curl -sS -i --unix-socket "$SOCK" -H 'Content-Type: application/json' -d "$body" \
		http://localhost/api/v1/chat/completions >>"$T/responses"
	curl -sS -i --unix-socket "$SOCK" -H 'Content-Type: application/json' -H 'X-Ora-Cost-Centre: prod' \
		-d "$body" http://localhost/api/v1/chat/completions >>"$T/responses"
done
mock_post /mock/faults '{"status":401,"message":"User not found."}'
curl -sS -i --unix-socket "$SOCK" -d "$CHAT" http://localhost/api/v1/chat/completions >>"$T/responses"
for p in /api/v1/me /api/v1/models /nothing; do
	curl -sS -i --unix-socket "$SOCK" "http://localhost$p" >>"$T/responses"
done
check "responses were collected" [ -s "$T/responses" ]

no_key_in() { ! grep -q -e "$KEY_DEV" -e "$KEY_PROD" "$@"; }
no_key_in_hex() { # a key written as hex or base64 would also be a leak
	for k in "$KEY_DEV" "$KEY_PROD"; do
		for f in "$@"; do
			if od -An -tx1 "$f" | tr -d ' \n' | grep -q "$(printf %s "$k" | od -An -tx1 | tr -d ' \n')"; then return 1; fi
		done
	done
	return 0
}
check "no key in any response (headers or body)" no_key_in "$T/responses"
check "no key in orad's log" no_key_in "$T/orad.log"
check "no key in /proc/PID/cmdline" no_key_in_hex "/proc/$ORAD_PID/cmdline"
if is_root; then
	check "no key in /proc/PID/environ" no_key_in_hex "/proc/$ORAD_PID/environ"
fi
check "no key in the clear in the state directory" sh -c "! grep -r -q -e '$KEY_DEV' -e '$KEY_PROD' '$STATE'"
check "no key in oractl's output" no_key_in "$T/oractl.out"
check "key files are 0600" [ "$(stat -c %a "$STATE/keys/dev.key")" = 600 ]

check "core dumps are disabled (RLIMIT_CORE 0)" \
	sh -c "grep -E '^Max core file size +0 +0' /proc/$ORAD_PID/limits >/dev/null"

# Try to read orad's memory and environment as an unprivileged user: the
# daemon's own account when root (same uid, still refused because orad is
# not dumpable), or this very user otherwise.
read_as() {
	if is_root; then as d "$@"; else "$@"; fi
}
if read_as cat "/proc/$ORAD_PID/environ" >/dev/null 2>&1; then
	not_ok "its environment is not readable without root"
else
	ok "its environment is not readable without root"
fi
cat >"$T/peek.py" <<'PY'
import ctypes, os, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH = 16
r = libc.ptrace(PTRACE_ATTACH, pid, None, None)
print("ptrace", "refused" if r != 0 else "allowed", os.strerror(ctypes.get_errno()))
try:
    with open("/proc/%d/mem" % pid, "rb") as f:
        f.read(1)
    print("mem allowed")
except OSError as e:
    print("mem refused", e.strerror)
PY
read_as "$PY3" "$T/peek.py" "$ORAD_PID" >"$T/peek.out" 2>&1
check "ptrace attach is refused" grep -q 'ptrace refused' "$T/peek.out"
check "/proc/PID/mem is refused" grep -q 'mem refused' "$T/peek.out"

if is_root; then
	uid=$(id -u "${PFX}d")
	check "orad dropped to its own user (real, effective, saved, fs uid)" \
		sh -c "grep -E '^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$' /proc/$ORAD_PID/status >/dev/null"
	check "orad kept no supplementary group but its own" \
		sh -c "[ \"\$(awk '/^Groups:/ {print NF-1}' /proc/$ORAD_PID/status)\" -le 1 ]"
	check "orad holds no capabilities" sh -c "grep -E '^CapEff:\s+0+$' /proc/$ORAD_PID/status >/dev/null"
fi
finish
