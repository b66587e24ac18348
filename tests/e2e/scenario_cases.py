"""scenario_cases.py - the cases of tests/e2e/scenario.sh.

  scenario_cases.py run TMP GPORT HPORT         the three agents, then checks
  scenario_cases.py after-stop TMP GPORT HPORT  the records after SIGTERM
Prints one PASS/FAIL line per case; exits 1 on any failure.
"""
import http.client
import json
import sys
import threading
import time

CLAUDE = "sk-demo-claude-assistant-2f9c41"
GPT = "sk-demo-gpt-analyst-8b17d3"
OPS = "sk-demo-ops-bot-c5e19a"
HAMMER = 40          # run_query calls of gpt-analyst, ~20 a second: 10x its 2 a second
INJECTIONS = [
    "SELECT region FROM sales; DROP TABLE sales",
    "SELECT pg_sleep(10)",
    "SELECT name FROM users WHERE id = 1 UNION SELECT password FROM credentials",
    "SELECT region FROM sales -- ' OR 1=1",
    "WITH x AS (DELETE FROM sales RETURNING *) SELECT * FROM x",
]
failed = False
out = {}


def case(name, ok, why=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: scenario: {name}{'' if ok else ': ' + str(why)[:400]}")
    failed |= not ok


def post(port, body, key, sid=None):
    h = {"Host": f"127.0.0.1:{port}", "Accept": "application/json, text/event-stream",
         "Content-Type": "application/json", "Authorization": "Bearer " + key}
    if sid:
        h["Mcp-Session-Id"] = sid
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/mcp", body=json.dumps(body), headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        js = json.loads(data) if data else None
    except ValueError:
        js = None
    return r.status, {k.lower(): v for k, v in r.getheaders()}, js


def call(rid, tool, args):
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}


def session(port, key, name):
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": name, "version": "1"}}}
    return post(port, init, key)[1].get("mcp-session-id")


def analyst(port):
    sid = session(port, GPT, "analyst")
    res = []
    for i in range(HAMMER):
        res.append(post(port, call(100 + i, "run_query",
                                   {"sql": "SELECT region, sum(total) FROM sales GROUP BY region"}),
                        GPT, sid))
        time.sleep(0.05)
    out["analyst"] = res


def injector(port):
    sid = session(port, OPS, "ops")
    out["injector"] = [post(port, call(200 + i, "run_query", {"sql": q}), OPS, sid)
                       for i, q in enumerate(INJECTIONS)]


def premium(port):
    sid = session(port, CLAUDE, "assistant")
    out["premium"] = [post(port, call(300 + i, "get_dashboard",
                                      {"dashboard_id": "revenue", "filters": {"region": "emea"}}),
                           CLAUDE, sid) for i in range(3)]


def stats(hport):
    c = http.client.HTTPConnection("127.0.0.1", hport, timeout=10)
    c.request("GET", "/_stats")
    s = json.loads(c.getresponse().read())
    c.close()
    return s


def records(tmp):
    try:
        with open(f"{tmp}/audit.jsonl") as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def run(tmp, port, hport):
    threads = [threading.Thread(target=f, args=(port,)) for f in (analyst, injector, premium)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    seen = stats(hport)["tools"]

    a = out.get("analyst", [])
    ok = [r for r in a if r[0] == 200 and r[2] and "result" in r[2]]
    limited = [r for r in a if r[0] == 429]
    out["analyst_ok"] = len(ok)
    with open(f"{tmp}/allowed", "w") as f:
        f.write(str(len(ok)))
    case("run_query at 10x the plan: every call is answered or throttled",
         len(ok) + len(limited) == HAMMER and 2 <= len(ok) < HAMMER / 2,
         (len(ok), len(limited), [r[0] for r in a]))
    helpful = all(r[1].get("retry-after", "").isdigit() and r[2] and
                  r[2]["error"]["code"] in (-32014, -32015) and
                  "retry_after_ms" in (r[2]["error"].get("data") or {}) and
                  "gpt-analyst" in r[2]["error"]["message"] for r in limited)
    case("every throttled call gets a 429 an agent can act on (Retry-After, the limit, "
         "retry_after_ms)", limited and helpful, limited[:1])
    case("the backend ran exactly the allowed run_query calls", seen.get("run_query") == len(ok),
         (seen, len(ok)))

    inj = out.get("injector", [])
    case("every SQL injection is refused with the SQL rule's reason",
         len(inj) == len(INJECTIONS) and all(r[0] == 200 and r[2] and
                                             r[2]["error"]["code"] == -32602 and
                                             "sql" in r[2]["error"]["message"] for r in inj),
         [(r[0], (r[2] or {}).get("error", {}).get("message")) for r in inj])

    pre = out.get("premium", [])
    case("premium filters on a plan without them: let through, recorded for upsell",
         len(pre) == 3 and all(r[0] == 200 and r[2] and "result" in r[2] for r in pre) and
         seen.get("get_dashboard") == 3, ([r[0] for r in pre], seen))


def after_stop(tmp, port, hport):
    recs = records(tmp)
    by = {}
    for r in recs:
        by.setdefault(r.get("agent"), []).append(r)
    an = by.get("gpt-analyst", [])
    allowed = [r for r in an if r.get("decision") != "deny"]
    limited = [r for r in an if r.get("reason") in ("limited", "budget")]
    case("audit: one record per analyst call, the throttled ones with their reason",
         len(an) == HAMMER and len(limited) == HAMMER - len(allowed) and
         all(r.get("rule") for r in limited), (len(an), len(allowed), len(limited)))
    ops = by.get("ops-bot", [])
    case("audit: the injections are recorded as refused arguments, never sent to a backend",
         len(ops) == len(INJECTIONS) and all(r.get("decision") == "deny" and
                                             r.get("reason") == "argument" and
                                             "backend" not in r for r in ops), ops[:1])
    cl = by.get("claude-assistant", [])
    case("audit: the premium filters are recorded as upsell events",
         len(cl) == 3 and all(r.get("upsell") == "filters" and r.get("decision") != "deny"
                              for r in cl), cl[:1])
    ledger(tmp)


def ledger(tmp):
    with open(f"{tmp}/usage.json") as f:
        use = json.load(f)
    with open(f"{tmp}/upsell.json") as f:
        ups = json.load(f)
    rows = {r["agent"]: r for r in use.get("rows", [])}
    an = rows.get("gpt-analyst", {})
    throttled = HAMMER - out_ok(tmp)
    case("ledger: every analyst call counted, the throttled ones as limited or refused",
         an.get("calls") == HAMMER and
         an.get("limited", 0) + an.get("denied", 0) == throttled and
         use.get("lost_records") == 0, (an, throttled))
    ops = rows.get("ops-bot", {})
    case("ledger: the injections are refused calls, by reason argument",
         ops.get("calls") == len(INJECTIONS) and ops.get("denied") == len(INJECTIONS) and
         (ops.get("denied_by_reason") or {}).get("argument") == len(INJECTIONS), ops)
    up = {r["agent"]: r for r in ups.get("rows", [])}.get("claude-assistant", {})
    case("ledger: the premium filters are upsell events (sluicectl usage --upsell)",
         up.get("upsell") == 3, ups)


def out_ok(tmp):
    with open(f"{tmp}/allowed") as f:
        return int(f.read())


if __name__ == "__main__":
    cmd, tmp, port, hport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    (run if cmd == "run" else after_stop)(tmp, port, hport)
    sys.exit(1 if failed else 0)
