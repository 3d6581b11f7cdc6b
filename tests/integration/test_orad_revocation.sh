#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Revocation reaches every process: a program started with a group as its
# effective gid (`sg grp -c ...`, or a setgid program) keeps that gid after
# the user is removed from the group, and must not keep the group's access.
. "$top_srcdir/tests/integration/lib.sh"

is_root || skip_all "needs root to create users and groups (CI runs it as root)"
need_binaries "$ORAD" "$ORACTL" "$MOCK"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
command -v sg >/dev/null || skip_all "sg (login/passwd) is not installed"
command -v gpasswd >/dev/null || skip_all "gpasswd is not installed"

add_user erin eng
standard_setup "  { group = \"${PFX}eng\"; role = \"power\"; cost_centre = \"dev\"; }"
ENG_GID=$(getent group "${PFX}eng" | cut -d: -f3)

# One new connection per line read on stdin; prints its egid and the answer.
cat >"$T/asker.py" <<'PY'
import http.client, json, os, socket, sys
class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)
body = json.dumps({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
for tag in sys.stdin:
    c = UnixConn(sys.argv[1])
    c.request("POST", "/api/v1/chat/completions", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    d = json.loads(r.read())
    c.close()
    print(tag.strip(), "egid=%d" % os.getegid(), r.status,
          d["error"]["type"] if "error" in d else "served", flush=True)
PY
chmod 644 "$T/asker.py"

# A long-lived process started under `sg` while erin is a member: its
# effective gid is eng, and stays so.
mkfifo "$T/go"
as erin sg "${PFX}eng" -c "$PY3 $T/asker.py $SOCK" <"$T/go" >"$T/asker.out" 2>&1 &
ASKER=$!
exec 3>"$T/go"
echo before >&3
poll 100 grep -q '^before' "$T/asker.out"
check "under sg, erin's process has eng as its effective gid" \
	grep -q "^before egid=$ENG_GID " "$T/asker.out"
check "  ... and is served while she is in eng" grep -q '^before .* 200 served' "$T/asker.out"

gpasswd -d "${PFX}erin" "${PFX}eng" >/dev/null
echo after >&3
exec 3>&-
wait $ASKER
check "removed from eng, the same sg process (egid still eng) is refused on a new connection" \
	grep -q "^after egid=$ENG_GID 403 not_permitted" "$T/asker.out"
mock_get /mock/requests "$T/up.json"
check "  ... and only the request before the removal reached the upstream" \
	[ "$(json "$T/up.json" 'len(d["data"])')" = 1 ]

# A process given the gid outright (as a setgid program would be).
echo now | setpriv --reuid="${PFX}erin" --regid="$ENG_GID" --clear-groups -- \
	"$PY3" "$T/asker.py" "$SOCK" >"$T/setgid.out" 2>&1
check "a process whose real and effective gid is eng, not a member, is refused" \
	grep -q "^now egid=$ENG_GID 403 not_permitted" "$T/setgid.out"
s=$(as_req erin GET /api/v1/me)
check "  ... and erin's ordinary login is refused too" [ "$s" = 403 ]

# /etc/group written in place (same inode, as an editor saving without a
# rename would): orad keeps who a user is for up to 2 s while the account
# files are unchanged, so each change must be noticed at the next request.
# The edit holds shadow's lock (lckpwdf), as useradd and gpasswd do: other
# tests running beside this one change /etc/group too. It prints "same"
# when the file kept its inode.
edit_group_in_place() { # add|remove
	"$PY3" - "$1" "${PFX}eng" "${PFX}erin" <<'PY'
import ctypes, os, sys
op, group, user = sys.argv[1:]
libc = ctypes.CDLL(None)
if libc.lckpwdf() != 0:
    sys.exit("cannot take the account files' lock")
try:
    with open("/etc/group", "r+") as f:
        inode = os.fstat(f.fileno()).st_ino
        lines = f.read().split("\n")
        for i, line in enumerate(lines):
            fields = line.split(":")
            if fields[0] != group:
                continue
            members = [m for m in fields[3].split(",") if m and m != user]
            if op == "add":
                members.append(user)
            fields[3] = ",".join(members)
            lines[i] = ":".join(fields)
        f.seek(0)
        f.write("\n".join(lines))
        f.truncate()
        f.flush()
        print("same" if os.stat("/etc/group").st_ino == inode else "replaced")
finally:
    libc.ulckpwdf()
PY
}
# Judged by what reaches the upstream: a chat request as erin each time.
CHAT='{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
upstream_seen() { mock_get /mock/requests "$T/up.json" && json "$T/up.json" 'len(d["data"])'; }
s=$(as_req erin GET /api/v1/me) # erin, without eng, is what orad holds now
seen=$(upstream_seen)
edited=$(edit_group_in_place add)
s=$(as_req erin POST /api/v1/chat/completions "$CHAT")
check "added to eng by writing /etc/group in place, erin is served at once" [ "$s" = 200 ]
check "  ... and her request reached the upstream" [ "$(upstream_seen)" = $((seen + 1)) ]
check "  ... the write kept /etc/group's inode" [ "$edited" = same ]
edited=$(edit_group_in_place remove)
s=$(as_req erin POST /api/v1/chat/completions "$CHAT")
check "  ... and removed in place, refused at once" [ "$s" = 403 ]
check "  ... and nothing more reached the upstream" [ "$(upstream_seen)" = $((seen + 1)) ]
check "  ... the write kept /etc/group's inode" [ "$edited" = same ]
# gpasswd replaced /etc/group by a rename: orad watched the new file from
# inside its sandbox, and kept watching.
check "orad's sandbox denied no system call" \
	[ "$(grep -c 'sandbox: denied system call' "$T/orad.log")" = 0 ]
check "  ... and the account files stayed watched" \
	[ "$(grep -c 'can no longer be watched' "$T/orad.log")" = 0 ]
finish
