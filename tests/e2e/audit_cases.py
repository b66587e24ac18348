"""audit_cases.py - the cases of tests/e2e/audit.sh.

  audit_cases.py write TMP GPORT DPORT      writes TMP/policy.json
  audit_cases.py run TMP GPORT GW_PID       calls, then checks TMP/audit.jsonl
  audit_cases.py after-stop TMP GPORT GW_PID   after SIGTERM: nothing lost
Prints one PASS/FAIL line per case; exits 1 on any failure.
"""
import hashlib
import http.client
import json
import os
import signal
import sys
import time

KEY = "sk-test-audit-alpha-61b0"
failed = False
BURST = 200


def case(name, ok, why=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: audit: {name}{'' if ok else ': ' + str(why)[:400]}")
    failed |= not ok


def write(tmp, gport, dport):
    p = {
        "version": 1,
        "listen": f"127.0.0.1:{gport}",
        "backends": {"main": {"url": f"http://127.0.0.1:{dport}/mcp"}},
        "plans": {"team": {}},
        "agents": {"alpha": {"keys_sha256": [hashlib.sha256(KEY.encode()).hexdigest()],
                             "plan": "team", "customer": "acme",
                             "tools": {"deny": ["create_account"]}}},
        "tools": {
            "get_pricing": {"class": "read", "cost": 2},
            "search_docs": {"class": "read"},
            "create_account": {"class": "write"},
        },
        "redaction": [{"name": "email",
                       "pattern": "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}",
                       "replacement": "[EMAIL]"}],
        "audit": {"jsonl": f"{tmp}/audit.jsonl"},
    }
    with open(f"{tmp}/policy.json", "w") as f:
        json.dump(p, f, indent=1)


def post(port, body, sid=None):
    h = {"Host": f"127.0.0.1:{port}", "Accept": "application/json, text/event-stream",
         "Content-Type": "application/json", "Authorization": "Bearer " + KEY}
    if sid:
        h["Mcp-Session-Id"] = sid
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/mcp", body=json.dumps(body), headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def call(rid, tool, args):
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}


def records(path, wait_for=0):
    end = time.time() + 5
    while True:
        try:
            with open(path) as f:
                lines = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            lines = []
        if len(lines) >= wait_for or time.time() > end:
            return lines
        time.sleep(0.05)


def run(tmp, port, gw):
    path = f"{tmp}/audit.jsonl"
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "audit-test", "version": "4.2"}}}
    st, hd, _ = post(port, init)
    sid = hd.get("mcp-session-id")
    case("a session with the key", st == 200 and sid, st)
    args = {"query": "mail ops@example.com about invoices"}
    st1, _, _ = post(port, call(2, "search_docs", args), sid)
    st2, _, _ = post(port, call(3, "create_account", {"email": "a@b.io"}), sid)
    st3, _, _ = post(port, call(4, "get_pricing", {"plan": "pro"}), sid)
    case("calls: allowed, refused, allowed", (st1, st2, st3) == (200, 200, 200), (st1, st2, st3))
    recs = records(path, 3)
    case("one record per tool call, none for initialize", len(recs) == 3,
         [r.get("target") for r in recs])
    by = {r.get("target"): r for r in recs}
    a, d, p = by.get("search_docs", {}), by.get("create_account", {}), by.get("get_pricing", {})
    case("who: agent, customer, plan, client and session, source address and port",
         a.get("agent") == "alpha" and a.get("customer") == "acme" and a.get("plan") == "team" and
         a.get("client_name") == "audit-test" and a.get("client_version") == "4.2" and
         a.get("session") == sid and a.get("source", "").startswith("127.0.0.1:"), a)
    raw = json.dumps(args, separators=(",", ":"))
    case("arguments redacted, and the SHA-256 of what was sent",
         a.get("arguments") == {"query": "mail [EMAIL] about invoices"} and
         a.get("arguments_sha256") == hashlib.sha256(raw.encode()).hexdigest(), a)
    case("arguments no rule matches are recorded as received",
         p.get("arguments") == {"plan": "pro"}, p)
    case("an allowed call: decision, backend, status, latency, bytes, cost",
         p.get("decision") == "allow" and p.get("backend") == "main" and p.get("status") == 200 and
         p.get("latency_ms", 0) > 0 and p.get("request_bytes", 0) > 0 and
         p.get("response_bytes", 0) > 0 and p.get("cost") == 2 and
         p.get("method") == "tools/call", p)
    case("a refused call: decision, reason, code, rule, nothing forwarded",
         d.get("decision") == "deny" and d.get("reason") == "tool_denied" and
         d.get("code") == -32010 and d.get("rule") == "agents.alpha.tools.deny[0]" and
         "backend" not in d and d.get("cost") == 0 and d.get("status") == 200, d)
    case("a refused call names its session's client and the request's bytes too",
         d.get("client_name") == "audit-test" and d.get("request_bytes", 0) > 0, d)
    case("arguments with nothing to redact are recorded as sent",
         p.get("arguments") == {"plan": "pro"}, p)
    # time is UTC with milliseconds
    case("time is ISO 8601 UTC", all(r.get("time", "").endswith("Z") and "T" in r["time"]
                                     for r in recs), [r.get("time") for r in recs])
    # arguments over 64 KiB: only their size and hash (the queue holds lines)
    big = {"query": "x" * 70000}
    post(port, call(6, "search_docs", big), sid)
    recs = records(path, 4)
    b = recs[-1] if len(recs) == 4 else {}
    case("arguments over 64 KiB are left out, their size and SHA-256 kept",
         "arguments" not in b and b.get("arguments_omitted_bytes", 0) > 70000 and
         b.get("arguments_sha256") == hashlib.sha256(
             json.dumps(big, separators=(",", ":")).encode()).hexdigest(), b)
    # logrotate: move the file, SIGUSR1, the next record goes to a new file
    os.rename(path, path + ".1")
    os.kill(gw, signal.SIGUSR1)
    time.sleep(0.3)
    post(port, call(5, "get_pricing", {"plan": "free"}), sid)
    new = records(path, 1)
    old = records(path + ".1")
    case("SIGUSR1 reopens the file: the next record starts a new one",
         len(new) == 1 and new[0].get("target") == "get_pricing" and len(old) == 4,
         (len(new), len(old)))
    # a name cut to fit its field is cut between characters: the line stays UTF-8
    post(port, call(6, "a" * 198 + "\u00e9", {}), sid)
    end = time.time() + 5
    while True:
        with open(path, "rb") as f:
            raw_lines = f.read().splitlines()
        if len(raw_lines) >= 2 or time.time() > end:
            break
        time.sleep(0.05)
    try:
        cut = json.loads(raw_lines[-1].decode("utf-8")).get("target") if len(raw_lines) == 2 else None
    except UnicodeDecodeError as e:
        cut = e
    case("a long name is cut between UTF-8 characters", cut == "a" * 198, cut)
    # a burst, then SIGTERM right away: nothing queued may be lost
    for i in range(BURST):
        post(port, call(100 + i, "get_pricing", {"plan": "pro"}), sid)


def after_stop(tmp, port, gw):
    recs = records(f"{tmp}/audit.jsonl")
    case(f"after SIGTERM every record is in the file ({BURST + 2})", len(recs) == BURST + 2 and
         not any(r.get("event") == "audit_loss" for r in recs), len(recs))


if __name__ == "__main__":
    cmd, tmp, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "write":
        write(tmp, port, int(sys.argv[4]))
        sys.exit(0)
    (run if cmd == "run" else after_stop)(tmp, port, int(sys.argv[4]))
    sys.exit(1 if failed else 0)
