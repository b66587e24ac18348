"""escalation_cases.py - the cases of tests/e2e/escalation.sh.

  escalation_cases.py write POLICY GPORT DPORT AUDIT
      writes the policy: agents hammer (127.0.0.2), prober (127.0.0.3) and
      manual (127.0.0.4), each with an API key too, ban_action "rst"; plan
      "team" (hammer) with 5 read calls a minute and escalation
      limited 5 in 10 s -> ban 3 s; top level escalation denied 3 in 60 s ->
      ban 2 s.
  escalation_cases.py probe GPORT SRC
      prints how a new TCP connection from SRC fares: ok, reset or timeout.
  escalation_cases.py call GPORT SRC AGENT
      prints the HTTP status and JSON-RPC error code of AGENT's initialize.
  escalation_cases.py run GPORT AUDIT SLUICECTL CONTROL
      runs the cases against sluiced on 127.0.0.1:GPORT (in the test's
      network namespace, XDP on its lo); SLUICECTL is the command prefix.
Prints one PASS/FAIL line per case; exits 1 on any failure.
"""
import hashlib
import json
import socket
import subprocess
import sys
import time

KEYS = {"hammer": "sk-test-esc-hammer-81f2", "prober": "sk-test-esc-prober-2c4d",
        "manual": "sk-test-esc-manual-77aa"}
SOURCES = {"hammer": "127.0.0.2", "prober": "127.0.0.3", "manual": "127.0.0.4"}
OTHER = "127.0.0.9"     # no agent's source: only the key identifies
failed = False


def write_policy(path, gport, dport, audit):
    digest = lambda k: hashlib.sha256(k.encode()).hexdigest()
    agents = {n: {"keys_sha256": [digest(KEYS[n])], "sources": [SOURCES[n] + "/32"],
                  "ban_action": "rst"} for n in KEYS}
    agents["hammer"]["plan"] = "team"
    agents["prober"]["tools"] = {"deny": ["run_query"]}
    p = {
        "version": 1,
        "listen": f"127.0.0.1:{gport}",
        "backends": {"main": {"url": f"http://127.0.0.1:{dport}/mcp"}},
        "kernel": {"protected_ports": [gport]},
        "escalation": {"denied": {"count": 3, "within_s": 60}, "ban_s": 2},
        "plans": {"team": {"limits": {"read": {"per_minute": 5}},
                           "escalation": {"limited": {"count": 5, "within_s": 10},
                                          "ban_s": 3}}},
        "agents": agents,
        "audit": {"jsonl": audit},
        "tools": {"get_pricing": {"class": "read"}, "run_query": {"class": "read"}},
    }
    with open(path, "w") as f:
        json.dump(p, f, indent=1)


def case(name, ok, why=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: escalation: {name}{'' if ok else ': ' + str(why)[:400]}")
    failed |= not ok


class Conn:
    """One keep-alive HTTP/1.1 connection from a chosen source address."""

    def __init__(self, port, src, timeout=5):
        self.port = port
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                          source_address=(src, 0))
        self.buf = b""

    def send(self, method, body=None, key=None, sid=None, accept=None):
        data = json.dumps(body).encode() if body is not None else b""
        h = [f"{method} /mcp HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
             "Accept: " + (accept or "application/json, text/event-stream")]
        if key:
            h.append("Authorization: Bearer " + key)
        if sid:
            h.append("Mcp-Session-Id: " + sid)
        if method == "POST":
            h += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        self.s.sendall(("\r\n".join(h) + "\r\n\r\n").encode() + data)

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode().split("\r\n")
        hd = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hd[k.strip().lower()] = v.strip()
        return int(lines[0].split()[1]), hd

    def response(self):
        st, hd = self.head()
        n = int(hd.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        try:
            js = json.loads(body) if body else None
        except ValueError:
            js = None
        return st, hd, js

    def request(self, body, key, sid=None):
        self.send("POST", body, key, sid)
        return self.response()

    def eof_within(self, secs):
        """True when the peer closes (EOF or reset) within @secs; what came before."""
        self.s.settimeout(secs)
        end = time.monotonic() + secs
        try:
            while time.monotonic() < end:
                self._fill()
        except (EOFError, ConnectionResetError):
            return True
        except socket.timeout:
            return False
        return False

    def close(self):
        self.s.close()


def init_body(rid=1):
    return {"jsonrpc": "2.0", "id": rid, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "escalation", "version": "1"}}}


def call(rid, tool, args):
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}


def initialize(port, src, key):
    c = Conn(port, src)
    st, hd, js = c.request(init_body(), key)
    return c, st, hd.get("mcp-session-id")


def connect_result(port, src, timeout=2):
    """'ok', 'reset' (RST: refused at once) or 'timeout' (dropped), and the seconds taken."""
    t0 = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                     source_address=(src, 0))
        s.close()
        return "ok", time.monotonic() - t0
    except (ConnectionRefusedError, ConnectionResetError):
        return "reset", time.monotonic() - t0
    except socket.timeout:
        return "timeout", time.monotonic() - t0


def wait_until(pred, secs, step=0.05):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def audit_records(path):
    try:
        with open(path) as f:
            return [json.loads(ln) for ln in f if ln.strip()]
    except (OSError, ValueError):
        return []


def find_audit(path, event, agent, reason, secs=2):
    got = []

    def seen():
        got[:] = [r for r in audit_records(path) if r.get("event") == event and
                  r.get("agent") == agent and r.get("reason") == reason]
        return bool(got)
    wait_until(seen, secs, 0.1)
    return got


def banned_error(js):
    err = (js or {}).get("error", {})
    return err.get("code") == -32016 and "is banned until" in err.get("message", "")


# --- limited: hammering past the limit ------------------------------------------------

def run_limited(port, audit):
    key, src = KEYS["hammer"], SOURCES["hammer"]
    held, st, sid = initialize(port, src, key)
    case("hammer opens a session on a keep-alive connection", st == 200 and sid, st)
    stream = Conn(port, src)
    stream.send("GET", key=key, sid=sid, accept="text/event-stream")
    sst, shd = stream.head()
    case("hammer opens the session's SSE stream", sst == 200 and
         "text/event-stream" in shd.get("content-type", ""), (sst, shd))

    c = Conn(port, src)
    seen = []
    for i in range(10):
        st, hd, js = c.request(call(100 + i, "get_pricing", {"plan": "pro"}), key, sid)
        seen.append(st)
        if st == 403:
            break
    t_ban = time.monotonic()
    case("5 calls pass, 4 are limited, the 5th limited answer bans (403)",
         seen == [200] * 5 + [429] * 4 + [403], seen)
    case("the banning answer is the ban's JSON-RPC error -32016 with its id",
         banned_error(js) and js.get("id") == 109, js)
    data = (js or {}).get("error", {}).get("data", {})
    case("its data says who is banned and until when", data.get("agent") == "hammer" and
         data.get("banned_until", "").endswith("Z") and
         0 < data.get("retry_after_ms", 0) <= 3000, data)
    case("the answer closes the connection, Retry-After is the ban's length",
         hd.get("connection") == "close" and hd.get("retry-after") == "3", hd)
    case("the banning connection is closed", c.eof_within(2))

    case("the idle keep-alive connection of the agent is closed", held.eof_within(2))
    closed = stream.eof_within(3)
    tail = stream.buf.decode(errors="replace")
    case("the agent's SSE stream ends with an event carrying the ban's error",
         closed and "-32016" in tail and "is banned until" in tail, tail[-300:])

    how, took = connect_result(port, src)
    since = time.monotonic() - t_ban
    case("a new TCP connection from the agent's source is reset by XDP at once",
         how == "reset" and took < 0.5, (how, took))
    case("within a short time of the decision", since < 5, since)

    c2 = Conn(port, OTHER)
    st, hd, js = c2.request(init_body(), key)
    case("the agent's key from another source is refused 403 -32016 (L7)",
         st == 403 and banned_error(js) and hd.get("connection") == "close", (st, js))
    c2.close()

    recs = find_audit(audit, "ban", "hammer", "limited")
    r = recs[0] if recs else {}
    case("an audit record of the ban: reason limited, the rule's count and window, ban_s",
         r.get("count") == 5 and r.get("within_s") == 10 and r.get("ban_s") == 3 and
         r.get("until", "").endswith("Z") and r.get("kernel") is True, recs)

    # --- the ban lifts on time ---
    wait_until(lambda: time.monotonic() - t_ban > 3.3, 5)
    how, _ = connect_result(port, src)
    ok = wait_until(lambda: connect_result(port, src)[0] == "ok", 2, 0.1)
    case("after ban_s a new connection from the agent's source gets through",
         ok, how)
    c3, st, _ = initialize(port, src, key)
    case("and the agent is served again", st == 200, st)
    c3.close()
    recs = find_audit(audit, "ban_lifted", "hammer", "expired")
    case("an audit record of the ban's end (expired)", len(recs) == 1, recs)
    for x in (held, stream, c):
        x.close()


# --- denied: refusals by the agent's rules ---------------------------------------------

def run_denied(port, audit):
    key, src = KEYS["prober"], SOURCES["prober"]
    c = Conn(port, src)
    codes = []
    for i in range(3):
        st, hd, js = c.request(call(200 + i, "run_query", {"sql": "select 1"}), key)
        codes.append((st, (js or {}).get("error", {}).get("code")))
    case("2 denied calls answer -32010, the 3rd bans: 403 -32016",
         codes == [(200, -32010), (200, -32010), (403, -32016)], codes)
    case("the prober's connection closes", c.eof_within(2))
    # The ban is written by sluiced's main thread, an event-loop turn after
    # the trip the worker answered: the reset comes within 0.5 s of it.
    t0 = time.monotonic()
    reset = wait_until(lambda: connect_result(port, src)[0] == "reset", 0.5, 0.02)
    case("a new connection from the prober's source is reset within 0.5 s", reset,
         time.monotonic() - t0)
    recs = find_audit(audit, "ban", "prober", "denied")
    r = recs[0] if recs else {}
    case("an audit record of the denied ban", r.get("count") == 3 and
         r.get("within_s") == 60 and r.get("ban_s") == 2, recs)
    c.close()


# --- by hand: sluicectl ban / unban with the daemon running ---------------------------

def ctl(cmd, *args):
    p = subprocess.run(cmd.split() + list(args), capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout + p.stderr


def run_manual(port, audit, sluicectl, control):
    key, src = KEYS["manual"], SOURCES["manual"]
    held, st, _ = initialize(port, src, key)
    case("manual opens a keep-alive connection", st == 200, st)
    rc, out = ctl(sluicectl, "--control", control, "ban", "manual", "--for", "60s")
    t0 = time.monotonic()
    case("sluicectl ban with the daemon running succeeds", rc == 0, out)
    closed = held.eof_within(2)
    case("the agent's open connection is closed at once", closed and
         time.monotonic() - t0 < 1, time.monotonic() - t0)
    how, _ = connect_result(port, src)
    case("new connections from its source are reset", how == "reset", how)
    c = Conn(port, OTHER)
    st, hd, js = c.request(init_body(), key)
    case("its key from elsewhere is refused 403 -32016", st == 403 and banned_error(js),
         (st, js))
    c.close()
    recs = find_audit(audit, "ban", "manual", "manual")
    case("an audit record of the manual ban", len(recs) == 1 and
         55 <= recs[0].get("ban_s", 0) <= 60, recs)

    rc, out = ctl(sluicectl, "--control", control, "unban", "manual")
    case("sluicectl unban succeeds", rc == 0, out)
    c, st, _ = initialize(port, OTHER, key)
    case("unban lifts the L7 refusal at once", st == 200, st)
    c.close()
    how, _ = connect_result(port, src)
    case("and the kernel's: its source connects again", how == "ok", how)
    recs = find_audit(audit, "ban_lifted", "manual", "manual")
    case("an audit record of the manual lift", len(recs) == 1, recs)

    # A ban written into the maps alone (no control socket): the daemon's
    # timer sees it for an agent with open connections.
    held, st, _ = initialize(port, src, key)
    rc, out = ctl(sluicectl, "--control", "/nonexistent/sluiced.sock", "ban", "manual",
                  "--for", "60s")
    t0 = time.monotonic()
    case("a ban written into the maps only (daemon not told)", rc == 0, out)
    closed = held.eof_within(2)
    case("is seen by the daemon, which closes the agent's connection within ~100 ms",
         closed and time.monotonic() - t0 < 0.5, time.monotonic() - t0)
    ctl(sluicectl, "--control", control, "unban", "manual")
    held.close()


def main():
    if sys.argv[1] == "write":
        write_policy(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
        return 0
    if sys.argv[1] == "probe":      # probe GPORT SRC: how a new connection fares
        print(connect_result(int(sys.argv[2]), sys.argv[3])[0])
        return 0
    if sys.argv[1] == "call":       # call GPORT SRC AGENT: an initialize's status and code
        try:
            c = Conn(int(sys.argv[2]), sys.argv[3])
            st, hd, js = c.request(init_body(), KEYS[sys.argv[4]])
            print(st, (js or {}).get("error", {}).get("code", 0))
        except OSError as e:
            print("error", e)
        return 0
    port, audit, sluicectl, control = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    run_limited(port, audit)
    run_denied(port, audit)
    run_manual(port, audit, sluicectl, control)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
