"""journal_cases.py - the cases of tests/e2e/journal.sh.

  journal_cases.py write TMP GPORT DPORT                 writes TMP/policy.json
  journal_cases.py run TMP GPORT SLUICECTL NETNS PIN     calls, a flood, the checks
Agent names and the flood's source carry this run's random tag, so records
of earlier runs in the same journal never count.  Prints one PASS/FAIL line
per case; exits 1 on any failure.
"""
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time

KEY_A = "sk-test-journal-analyst-4e1f"
KEY_B = "sk-test-journal-claude-9a07"
failed = False


def case(name, ok, why=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: journal: {name}{'' if ok else ': ' + str(why)[:600]}")
    sys.stdout.flush()
    failed |= not ok


def names(tmp):
    with open(f"{tmp}/names.json") as f:
        return json.load(f)


def write(tmp, gport, dport):
    tag = os.urandom(4).hex()
    n = {"a": f"gpt-analyst-{tag}", "b": f"claude-{tag}",
         "src": f"127.66.{int(tag[:2], 16) % 250 + 1}.{int(tag[2:4], 16) % 250 + 1}"}
    with open(f"{tmp}/names.json", "w") as f:
        json.dump(n, f)
    p = {
        "version": 1,
        "listen": f"127.0.0.1:{gport}",
        "backends": {"main": {"url": f"http://127.0.0.1:{dport}/mcp"}},
        "plans": {"team": {}},
        "agents": {
            n["a"]: {"keys_sha256": [hashlib.sha256(KEY_A.encode()).hexdigest()],
                     "plan": "team", "customer": "acme", "tools": {"deny": ["create_account"]}},
            n["b"]: {"keys_sha256": [hashlib.sha256(KEY_B.encode()).hexdigest()],
                     "plan": "team", "customer": "globex"},
        },
        "tools": {
            "search_docs": {"class": "read", "cost": 0.5},
            "run_query": {"class": "read", "limits": {"per_minute": 1}},
            "create_account": {"class": "write"},
            "get_pricing": {"class": "read"},
        },
        "redaction": [{"name": "email",
                       "pattern": "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}",
                       "replacement": "[EMAIL]"}],
        "kernel": {"protected_ports": [int(gport)], "deny": ["127.66.0.0/16"],
                   "events_per_second": 5},
        "audit": {"journald": True, "jsonl": f"{tmp}/audit.jsonl", "spool": f"{tmp}/audit.spool"},
    }
    with open(f"{tmp}/policy.json", "w") as f:
        json.dump(p, f, indent=1)


def post(port, key, body, sid=None):
    h = {"Host": f"127.0.0.1:{port}", "Accept": "application/json, text/event-stream",
         "Content-Type": "application/json", "Authorization": "Bearer " + key}
    if sid:
        h["Mcp-Session-Id"] = sid
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/mcp", body=json.dumps(body), headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def session(port, key):
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "journal-test", "version": "1.0"}}}
    _, hd, _ = post(port, key, init)
    return hd.get("mcp-session-id")


def call(rid, tool, args):
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}


def journal(since, *matches, want=0, wait=6.0):
    """journalctl -o json for sluiced's records matching @matches."""
    end = time.time() + wait
    while True:
        out = subprocess.run(["journalctl", "--no-pager", "-o", "json", f"--since=@{int(since)}",
                              "SYSLOG_IDENTIFIER=sluiced", *matches],
                             capture_output=True, text=True, timeout=30).stdout
        recs = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(recs) >= want or time.time() > end:
            return recs
        time.sleep(0.2)


def by_tool(recs, tool):
    return [r for r in recs if r.get("SLUICE_TOOL") == tool]


def check_calls(n, since, sid_a):
    a = n["a"]
    recs = journal(since, f"SLUICE_AGENT={a}", want=4)
    case("four records for the analyst's four calls", len(recs) == 4,
         [r.get("MESSAGE") for r in recs])
    ok = (by_tool(recs, "search_docs") or [{}])[0]
    case("an allowed call: tool, method, decision, customer, backend, status, session",
         ok.get("SLUICE_DECISION") == "allow" and ok.get("SLUICE_METHOD") == "tools/call" and
         ok.get("SLUICE_CUSTOMER") == "acme" and ok.get("SLUICE_BACKEND") == "main" and
         ok.get("SLUICE_STATUS") == "200" and ok.get("SLUICE_SESSION") == sid_a and
         ok.get("SLUICE_SOURCE", "").startswith("127.0.0.1:") and
         ok.get("SLUICE_EVENT") == "call" and ok.get("SLUICE_COST") == "0.5", ok)
    case("an allowed call: latency and bytes as numbers, priority info (6)",
         float(ok.get("SLUICE_LATENCY_MS", "-1")) > 0 and
         int(ok.get("SLUICE_REQUEST_BYTES", "0")) > 0 and
         int(ok.get("SLUICE_RESPONSE_BYTES", "0")) > 0 and ok.get("PRIORITY") == "6", ok)
    case("an allowed call: MESSAGE in words",
         ok.get("MESSAGE", "").startswith(f"agent {a} called search_docs: allowed, ") and
         ok.get("MESSAGE", "").endswith(f" ms, {ok.get('SLUICE_RESPONSE_BYTES')} B"),
         ok.get("MESSAGE"))
    raw = json.dumps({"query": "mail ops@example.com"}, separators=(",", ":"))
    case("arguments redacted, with the SHA-256 of what was sent",
         json.loads(ok.get("SLUICE_ARGUMENTS", "null")) == {"query": "mail [EMAIL]"} and
         ok.get("SLUICE_ARGUMENTS_SHA256") == hashlib.sha256(raw.encode()).hexdigest(), ok)
    case("the answer's redactions: per rule (SLUICE_REDACTIONS) and in all (SLUICE_REDACTED)",
         json.loads(ok.get("SLUICE_REDACTIONS", "null")) == {"email": 1} and
         ok.get("SLUICE_REDACTED") == "1", ok)
    den = (by_tool(recs, "create_account") or [{}])[0]
    case("a denied call: decision, reason, rule, priority notice (5)",
         den.get("SLUICE_DECISION") == "deny" and den.get("SLUICE_REASON") == "tool_denied" and
         den.get("SLUICE_RULE") == f"agents.{a}.tools.deny[0]" and den.get("PRIORITY") == "5" and
         "denied (tool_denied" in den.get("MESSAGE", ""), den)
    rq = by_tool(recs, "run_query")
    lim = [r for r in rq if r.get("SLUICE_REASON") == "limited"]
    okq = [r for r in rq if r.get("SLUICE_DECISION") == "allow"]
    case("a rate-limited call: reason limited, status 429, its rule, priority notice (5)",
         len(lim) == 1 and len(okq) == 1 and lim[0].get("SLUICE_STATUS") == "429" and
         lim[0].get("PRIORITY") == "5" and "limits" in lim[0].get("SLUICE_RULE", ""),
         [(r.get("SLUICE_DECISION"), r.get("SLUICE_REASON"), r.get("SLUICE_STATUS"),
           r.get("PRIORITY")) for r in rq])
    case("records carry the spool's sequence number",
         all(int(r.get("SLUICE_SEQ", "0")) > 0 for r in recs), [r.get("SLUICE_SEQ") for r in recs])


def sluicectl(ctl, *args, timeout=30):
    return subprocess.run([ctl, *args], capture_output=True, text=True, timeout=timeout)


def check_sluicectl(n, since, ctl):
    r = sluicectl(ctl, "audit", "--agent", n["a"], "--since", f"@{int(since)}", "--json")
    try:
        recs = [json.loads(line) for line in r.stdout.splitlines()]
    except ValueError:
        recs = None
    case("sluicectl audit --agent A --json: exactly A's four records",
         r.returncode == 0 and recs is not None and len(recs) == 4 and
         all(x.get("agent") == n["a"] for x in recs), (r.returncode, r.stdout[-400:], r.stderr))
    one = [x for x in recs or [] if x.get("tool") == "search_docs"]
    case("sluicectl audit --json: numbers as numbers, arguments as JSON, message, priority",
         len(one) == 1 and isinstance(one[0].get("latency_ms"), (int, float)) and
         one[0].get("arguments") == {"query": "mail [EMAIL]"} and one[0].get("priority") == 6 and
         one[0].get("message", "").startswith(f"agent {n['a']} called"), one)
    r = sluicectl(ctl, "audit", "--agent", n["b"], "--since", f"@{int(since)}")
    case("sluicectl audit --agent B: B's one record as a line",
         r.returncode == 0 and len(r.stdout.splitlines()) == 1 and
         f"agent {n['b']} called get_pricing: allowed" in r.stdout, (r.stdout, r.stderr))
    r = sluicectl(ctl, "audit", "--tool", "create_account", "--agent", n["a"], "--json")
    case("sluicectl audit --tool T --agent A: only that tool",
         r.returncode == 0 and len(r.stdout.splitlines()) == 1 and
         json.loads(r.stdout).get("decision") == "deny", (r.stdout, r.stderr))
    r = sluicectl(ctl, "audit", "--since", "yesterday-ish")
    case("sluicectl audit --since with a bad time: usage error", r.returncode == 2 and
         "--since" in r.stderr, (r.returncode, r.stderr))


def check_follow(n, port, ctl):
    p = subprocess.Popen([ctl, "audit", "--follow", "--agent", n["b"], "--json", "--count", "1",
                          "--timeout", "15"], stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)		# it seeks to the tail first: only what comes after
    post(port, KEY_B, call(9, "search_docs", {"query": "follow me"}), session(port, KEY_B))
    try:
        out, _ = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    recs = [json.loads(line) for line in out.splitlines() if line.strip()]
    case("sluicectl audit --follow sees a new record, and only the new one",
         p.returncode == 0 and len(recs) == 1 and recs[0].get("tool") == "search_docs" and
         recs[0].get("agent") == n["b"], (p.returncode, out))


def kernel_counter(ctl, pin, name):
    r = sluicectl(ctl, "--pin-dir", pin, "stats", "--json")
    try:
        return int(json.loads(r.stdout)["counters"][name])
    except (ValueError, KeyError, TypeError):
        return None


def flood(netns, src, port, count, seconds):
    """UDP from @src to 127.0.0.1:@port inside @netns, bounded in count and time."""
    code = ("import socket,sys,time\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            f"s.bind(('{src}',0))\n"
            f"end=time.time()+{seconds}\n"
            f"for i in range({count}):\n"
            "    s.sendto(b'x'*32,('127.0.0.1',%d))\n"
            "    if time.time()>end: break\n" % port)
    subprocess.run(["nsenter", f"--net=/run/netns/{netns}", "python3", "-c", code], timeout=seconds + 20, check=True)


def check_flood(n, since, port, ctl, netns, pin, gw_pid):
    before = kernel_counter(ctl, pin, "deny")
    flood(netns, n["src"], port, 20000, 5)
    after = kernel_counter(ctl, pin, "deny")
    time.sleep(2.5)		# the summary of the last period
    recs = journal(since, f"SLUICE_SOURCE={n['src']}", "SLUICE_EVENT=kernel_drop_summary",
                   want=1)
    # What the 5 events a second did not sample: this sluiced's "unsampled"
    # deny records (the flood is the only deny traffic).
    rest = journal(since, f"_PID={gw_pid}", "SLUICE_SOURCE=unsampled", "SLUICE_REASON=deny",
                   "SLUICE_EVENT=kernel_drop_summary", want=1)
    sampled = sum(int(r.get("SLUICE_COUNT", "0")) for r in recs)
    total = sampled + sum(int(r.get("SLUICE_COUNT", "0")) for r in rest)
    dropped = (after - before) if before is not None and after is not None else None
    case("the kernel dropped the flood (its deny counter grew)",
         dropped is not None and dropped > 1000, (before, after))
    case("the flood arrives as summaries whose counts add up to the kernel's counter",
         recs and rest and total == dropped,
         f"{len(recs)} summaries of {sampled} sampled, {len(rest)} unsampled, total {total}, "
         f"kernel {dropped}")
    case("never a record per packet: a few summaries for thousands of packets",
         0 < len(recs) <= 10 and 0 < len(rest) <= 10 and dropped and
         (len(recs) + len(rest)) * 100 < dropped,
         f"{len(recs)} + {len(rest)} summaries for {dropped} packets")
    u0 = rest[0] if rest else {}
    case("an unsampled summary: reason, count, priority notice, a MESSAGE that says so",
         u0.get("PRIORITY") == "5" and int(u0.get("SLUICE_COUNT", "0")) > 0 and
         "from sources no event named" in u0.get("MESSAGE", ""), u0)
    r0 = recs[0] if recs else {}
    case("a summary: source, verdict, reason, count, priority notice (5), wall-clock times",
         r0.get("SLUICE_VERDICT") == "drop" and r0.get("SLUICE_REASON") == "deny" and
         r0.get("PRIORITY") == "5" and r0.get("SLUICE_FIRST", "").endswith("Z") and
         abs(time.mktime(time.strptime(r0.get("SLUICE_FIRST", "1970-01-01T00:00:00")[:19],
                                       "%Y-%m-%dT%H:%M:%S")) - time.timezone - since) < 60 and
         f"from {n['src']} (deny)" in r0.get("MESSAGE", ""), r0)
    r = sluicectl(ctl, "audit", "--event", "kernel_drop_summary", "--since", f"@{int(since)}",
                  "--json")
    mine = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    mine = [x for x in mine if x.get("source") == n["src"]]
    case("sluicectl audit --event kernel_drop_summary: the same counts",
         sum(x.get("count", 0) for x in mine) == sampled and len(mine) == len(recs),
         (len(mine), r.stderr))


def run(tmp, port, ctl, netns, pin, gw_pid):
    port = int(port)
    n = names(tmp)
    since = time.time() - 1
    sid_a = session(port, KEY_A)
    st = [post(port, KEY_A, call(2, "search_docs", {"query": "mail ops@example.com"}), sid_a)[0],
          post(port, KEY_A, call(3, "create_account", {"name": "x"}), sid_a)[0],
          post(port, KEY_A, call(4, "run_query", {"sql": "SELECT 1"}), sid_a)[0],
          post(port, KEY_A, call(5, "run_query", {"sql": "SELECT 2"}), sid_a)[0],
          post(port, KEY_B, call(6, "get_pricing", {}), session(port, KEY_B))[0]]
    case("calls: allowed, denied, allowed, limited, allowed", st == [200, 200, 200, 429, 200], st)
    check_calls(n, since, sid_a)
    check_sluicectl(n, since, ctl)
    check_follow(n, port, ctl)
    check_flood(n, since, port, ctl, netns, pin, gw_pid)
    return 0 if not failed else 1


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(*sys.argv[2:5])
        sys.exit(0)
    sys.exit(run(*sys.argv[2:8]))
