# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# sse_client.py SOCK BODY PREFIX [CLOSE_AFTER]: one chat request over the
# socket, read as an event stream (or as JSON when the answer is not a
# stream). Everything received is appended to PREFIX.raw as it arrives
# ("status: N", "header: name: value", then the body's lines), so a test can
# look while the stream is still open; at the end PREFIX.json summarises it.
# With CLOSE_AFTER, the client hangs up right after that many data events.
import http.client, json, socket, sys, time

path, body, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
close_after = int(sys.argv[4]) if len(sys.argv) > 4 else 0
deadline = time.time() + 60


class UnixConn(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)


res = {"status": None, "headers": {}, "body": None, "comments": [], "events": [],
       "done": False, "after_done": 0, "clean_end": False, "hung_up": False,
       "exception": None}
raw = open(prefix + ".raw", "w")


def note(s):
    raw.write(s)
    raw.flush()


try:
    c = UnixConn("localhost")
    c.request("POST", "/api/v1/chat/completions", body=body,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    res["status"] = r.status
    res["headers"] = {k.lower(): v for k, v in r.getheaders()}
    note("status: %d\n" % r.status)
    for k, v in r.getheaders():
        note("header: %s: %s\n" % (k.lower(), v))
    note("\n")
    if not res["headers"].get("content-type", "").startswith("text/event-stream"):
        res["body"] = r.read().decode("utf-8", "replace")
        res["clean_end"] = True
    else:
        data, ndata = [], 0
        while time.time() < deadline:
            line = r.readline()
            if not line:
                res["clean_end"] = True
                break
            note(line.decode("utf-8", "replace"))
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if text.startswith(":"):
                res["comments"].append(text)
            elif text.startswith("data:"):
                data.append(text[5:].lstrip(" "))
            elif text == "" and data:
                payload, data = "\n".join(data), []
                if res["done"]:
                    res["after_done"] += 1
                if payload == "[DONE]":
                    res["done"] = True
                    res["events"].append("[DONE]")
                    continue
                try:
                    ev = json.loads(payload)
                except ValueError:
                    ev = {"_unparsable": payload}
                res["events"].append(ev)
                ndata += 1
                if ndata == close_after:
                    c.sock.shutdown(socket.SHUT_RDWR)
                    c.sock.close()
                    r.close()
                    res["hung_up"] = True
                    note("#hung up\n")
                    break
except Exception as e:
    res["exception"] = "%s: %s" % (type(e).__name__, e)

objs = [e for e in res["events"] if isinstance(e, dict)]
res["unparsable"] = sum(1 for e in objs if "_unparsable" in e)
res["content"] = "".join((ch.get("delta") or {}).get("content") or ""
                         for e in objs for ch in (e.get("choices") or []))
res["n_content"] = sum(1 for e in objs for ch in (e.get("choices") or [])
                       if (ch.get("delta") or {}).get("content"))
usage = [e for e in objs if "usage" in e]
res["usage"] = usage[-1] if usage else None
res["errors"] = [e["error"] for e in objs if "error" in e]
res["ids"] = sorted(set(e.get("id") for e in objs if "id" in e))
json.dump(res, open(prefix + ".json", "w"))
