"""limits_cases.py - the cases of tests/e2e/limits.sh.

  limits_cases.py write POLICY GPORT DPORT READ_PER_MINUTE
      writes the policy: agents alpha and beta on plan "team" (read calls
      READ_PER_MINUTE a minute), run_query limited to 1 a second per agent.
  limits_cases.py run POLICY GPORT DPORT SLUICECTL
      runs the cases against sluiced on GPORT (reloading through SLUICECTL).
Prints one PASS/FAIL line per case; exits 1 on any failure.
"""
import hashlib
import http.client
import json
import re
import subprocess
import sys
import time

ALPHA = "sk-test-limits-alpha-4d1c"
BETA = "sk-test-limits-beta-77e0"
SDK = "sk-test-limits-sdk-90ab"
SPENDER = "sk-test-limits-spender-5e2f"
REPORTER = "sk-test-limits-reporter-c3d8"
failed = False


def write_policy(path, gport, dport, per_minute, answer="http"):
    digest = lambda k: hashlib.sha256(k.encode()).hexdigest()
    p = {
        "version": 1,
        "listen": f"127.0.0.1:{gport}",
        "backends": {"main": {"url": f"http://127.0.0.1:{dport}/mcp"}},
        "plans": {"team": {"limits": {"read": {"per_minute": per_minute}}}},
        "agents": {
            "alpha": {"keys_sha256": [digest(ALPHA)], "plan": "team"},
            "beta": {"keys_sha256": [digest(BETA)], "plan": "team"},
            "sdk": {"keys_sha256": [digest(SDK)], "plan": "team"},
            "spender": {"keys_sha256": [digest(SPENDER)], "customer": "acme",
                        "budget": {"per_day": 3}},
            "reporter": {"keys_sha256": [digest(REPORTER)],
                         "budget": {"per_day": 1, "action": "report"}},
        },
        "customers": {"acme": {"budget": {"per_month": 100}}},
        "limited_answer": answer,
        "tools": {
            "get_pricing": {"class": "read", "cost": 1},
            "run_query": {"class": "read", "limits": {"per_second": 1}},
        },
    }
    with open(path, "w") as f:
        json.dump(p, f, indent=1)


def case(name, ok, why=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: limits: {name}{'' if ok else ': ' + str(why)[:400]}")
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


def initialize(port, key):
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "limits", "version": "1"}}}
    st, hd, _ = post(port, body, key)
    return hd.get("mcp-session-id") if st == 200 else None


def pricing(port, key, rid, sid=None):
    return post(port, call(rid, "get_pricing", {"plan": "pro"}), key, sid)


def run(path, port, sluicectl):
    sid = initialize(port, ALPHA)
    case("alpha opens a session", sid, sid)

    # --- allowed calls carry RateLimit, counting down ---------------------------
    seen = []
    for i in range(3):   # the initialize was no tool call: 4 read calls a minute left
        st, hd, js = pricing(port, ALPHA, 10 + i, sid)
        seen.append((st, hd.get("ratelimit-policy"), hd.get("ratelimit")))
    case("allowed calls answer 200 with RateLimit-Policy and a falling RateLimit",
         [s[0] for s in seen] == [200] * 3 and
         all(s[1] == '"read-minute";q=4;w=60' for s in seen) and
         [re.sub(r";t=\d+", "", s[2] or "") for s in seen] ==
         ['"read-minute";r=3', '"read-minute";r=2', '"read-minute";r=1'], seen)
    st, hd, js = pricing(port, ALPHA, 13, sid)
    case("the 4th call of the minute passes with r=0", st == 200 and
         hd.get("ratelimit", "").startswith('"read-minute";r=0;t='), (st, hd))

    # --- the 5th is refused: 429 and everything an agent needs to come back -----
    st, hd, js = pricing(port, ALPHA, 14, sid)
    err = (js or {}).get("error", {})
    data = err.get("data", {})
    case("the 5th call in a minute gets 429", st == 429, (st, js))
    ra = hd.get("retry-after", "")
    case("Retry-After in delay-seconds, within the minute", ra.isdigit() and 1 <= int(ra) <= 60,
         ra)
    case("RateLimit-Policy names the limit with its quota and window",
         hd.get("ratelimit-policy") == '"read-minute";q=4;w=60', hd.get("ratelimit-policy"))
    case("RateLimit says nothing remains and when it resets",
         hd.get("ratelimit") == f'"read-minute";r=0;t={ra}', (hd.get("ratelimit"), ra))
    case("the JSON-RPC error echoes the id, with code -32014", js and js.get("id") == 14 and
         err.get("code") == -32014, js)
    case("the message says which limit, for whom, and when to retry",
         err.get("message") == f'sluice: read limit 4/minute for agent "alpha" reached; '
         f'retry in {ra} s', err.get("message"))
    case("the error data names the limit, its rule, window, quota, remaining and retry time",
         data.get("limit") == "read-minute" and
         data.get("rule") == "plans.team.limits.read.per_minute" and
         data.get("window_s") == 60 and data.get("quota") == 4 and data.get("remaining") == 0 and
         0 < data.get("retry_after_ms", 0) <= int(ra) * 1000, data)

    # --- keyed by identity: a new session or connection resets nothing ---------
    sid2 = initialize(port, ALPHA)
    st, hd, js = pricing(port, ALPHA, 15, sid2)
    case("a second session of the same agent is still limited", sid2 and sid2 != sid and
         st == 429, (sid2, st))
    st, hd, js = pricing(port, ALPHA, 16)
    case("so is a call with no session", st == 429, st)
    bsid = initialize(port, BETA)
    st, hd, js = pricing(port, BETA, 17, bsid)
    case("another agent on the same plan has its own quota", st == 200 and
         hd.get("ratelimit", "").startswith('"read-minute";r=3;'), (st, hd.get("ratelimit")))

    # --- a reload keeps what did not change, resets what did --------------------
    r = subprocess.run(sluicectl.split() + ["reload"], capture_output=True, text=True)
    case("reload with the same policy", r.returncode == 0, r.stderr)
    st, hd, js = pricing(port, ALPHA, 18, sid)
    case("after a reload the same limit keeps its state", st == 429, st)
    write_policy(path, port, DPORT, 6)
    r = subprocess.run(sluicectl.split() + ["reload"], capture_output=True, text=True)
    case("reload with read raised to 6 a minute", r.returncode == 0, r.stderr)
    st, hd, js = pricing(port, ALPHA, 19, sid)
    case("a changed limit starts afresh", st == 200 and
         hd.get("ratelimit-policy") == '"read-minute";q=6;w=60', (st, hd))

    # --- a tool's own limit, and a client that waits as told --------------------
    st1, _, _ = post(port, call(20, "run_query", {"sql": "SELECT 1"}), BETA, bsid)
    st2, hd, js = post(port, call(21, "run_query", {"sql": "SELECT 1"}), BETA, bsid)
    wait_ms = ((js or {}).get("error", {}).get("data") or {}).get("retry_after_ms", 0)
    case("run_query's own limit (1 a second) refuses the second call at once",
         st1 == 200 and st2 == 429 and
         hd.get("ratelimit-policy") == '"tool-run_query-second";q=1;w=1' and
         0 < wait_ms <= 1000, (st1, st2, js))
    time.sleep(wait_ms / 1000.0)
    st, hd, js = post(port, call(22, "run_query", {"sql": "SELECT 1"}), BETA, bsid)
    case("a client that waits retry_after_ms succeeds", st == 200 and js and "result" in js,
         (st, js))

    # --- a batch: each element meets the limits on its own -----------------------
    time.sleep(1.0)
    st, hd, js = post(port, [call(23, "run_query", {"sql": "SELECT 1"}),
                             call(24, "run_query", {"sql": "SELECT 2"})], BETA, bsid)
    ans = {a.get("id"): a for a in js} if isinstance(js, list) else {}
    err = ans.get(24, {}).get("error", {})
    case("a batch: the element over the limit gets -32014 with its data, the other an answer",
         st == 200 and "result" in ans.get(23, {}) and err.get("code") == -32014 and
         (err.get("data") or {}).get("limit") == "tool-run_query-second" and
         "ratelimit" not in hd, (st, js, hd))


def sdk_calls(port, n):
    """What the SDK client's caller sees: one dict per call."""
    r = subprocess.run(["node", "tests/mcp/limited-client.mjs", f"http://127.0.0.1:{port}/mcp",
                        SDK, "get_pricing", '{"plan":"pro"}', str(n)],
                       capture_output=True, text=True, timeout=60)
    out = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    print("# SDK caller saw: " + " | ".join(r.stdout.split("\n")).strip(" |") + " " +
          r.stderr.strip()[:300].replace("\n", " "))
    return out


def run_budgets(path, port, sluicectl):
    sid = initialize(port, SPENDER)
    sts = [pricing(port, SPENDER, 30 + i, sid)[0] for i in range(3)]
    case("a budget of 3 a day admits 3 calls costing 1", sts == [200] * 3, sts)
    r = subprocess.run(sluicectl.split() + ["reload"], capture_output=True, text=True)
    case("reload (what was spent is kept)", r.returncode == 0, r.stderr)
    st, hd, js = pricing(port, SPENDER, 33, sid)
    err = (js or {}).get("error", {})
    ra = hd.get("retry-after", "")
    tomorrow = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(time.time() + 86400))
    case("the 4th is refused: 429, -32015, what was spent and when it resets",
         st == 429 and err.get("code") == -32015 and ra.isdigit() and
         0 < int(ra) <= 86400 and err.get("message") ==
         'sluice: the daily budget of agent "spender" is spent: 3.00 of 3.00 cost units this '
         f'UTC day (this call costs 1.00); it resets at {tomorrow}' and
         (err.get("data") or {}).get("budget") == "agents.spender.budget.per_day",
         (st, ra, js))
    rsid = initialize(port, REPORTER)
    sts = [pricing(port, REPORTER, 40 + i, rsid)[0] for i in range(3)]
    case("a report budget lets every call through", sts == [200] * 3, sts)


def run_sdk(path, port, sluicectl):
    # The SDK agent's quota is 6 a minute (the last reload): the 7th is refused.
    seen = sdk_calls(port, 7)
    last = seen[-1] if len(seen) == 7 else {}
    case("SDK client: 6 calls pass, the 7th throws", [c["ok"] for c in seen] == [True] * 6 + [False],
         seen)
    case("SDK client, 429: a StreamableHTTPError, code 429, whose message holds the "
         "explanation and the retry time", last.get("class") == "StreamableHTTPError" and
         last.get("code") == 429 and 'read limit 6/minute for agent \\"sdk\\" reached' in
         last.get("message", "") and '"retry_after_ms":' in last.get("message", ""), last)
    write_policy(path, port, DPORT, 6, "jsonrpc")
    r = subprocess.run(sluicectl.split() + ["reload"], capture_output=True, text=True)
    case("reload with limited_answer jsonrpc", r.returncode == 0, r.stderr)
    seen = sdk_calls(port, 1)
    last = seen[0] if seen else {}
    data = last.get("data") or {}
    case("SDK client, limited_answer jsonrpc: an McpError -32014 with the message and the data",
         last.get("class") == "McpError" and last.get("code") == -32014 and
         'read limit 6/minute for agent "sdk" reached; retry in' in last.get("message", "") and
         data.get("limit") == "read-minute" and data.get("retry_after_ms", 0) > 0, last)


def restarted(port):
    # (the last policy answers limits as JSON-RPC errors inside 200: run_sdk)
    sid = initialize(port, SPENDER)
    st, hd, js = pricing(port, SPENDER, 50, sid)
    case("after a restart the spent budget is still spent (from the usage ledger)",
         st in (200, 429) and ((js or {}).get("error") or {}).get("code") == -32015, (st, js))


if __name__ == "__main__":
    if sys.argv[1] == "restarted":
        restarted(int(sys.argv[3]))
        sys.exit(1 if failed else 0)
    if sys.argv[1] == "write":
        write_policy(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        sys.exit(0)
    DPORT = int(sys.argv[4])
    run(sys.argv[2], int(sys.argv[3]), sys.argv[5])
    run_budgets(sys.argv[2], int(sys.argv[3]), sys.argv[5])
    run_sdk(sys.argv[2], int(sys.argv[3]), sys.argv[5])
    sys.exit(1 if failed else 0)
