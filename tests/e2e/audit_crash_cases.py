"""audit_crash_cases.py - the cases of tests/e2e/audit_crash.sh.

  write DIR GPORT DPORT JSONL USAGE_DB            DIR/policy.json (+ DIR/names.json)
  calls-then-kill TMP GPORT GW_PID ROUND N [HOLD]  N answered calls, then SIGKILL at once
                                                  (once HOLD says the writer stopped)
  none-written TMP ROUND                          no record of ROUND in the JSONL file yet
  exactly-once TMP ROUND...                       each answered call's record once, file and journald
  full-disk DIR GPORT LOG                         calls answered on a full disk, losses reported
Prints one PASS/FAIL line per case; exits 1 on any failure.
"""
import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time

KEY = "sk-test-crash-agent-70c2"
failed = False


def case(name, ok, why=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: audit_crash: {name}{'' if ok else ': ' + str(why)[:600]}")
    sys.stdout.flush()
    failed |= not ok


def names(d):
    with open(f"{d}/names.json") as f:
        return json.load(f)


def write(d, gport, dport, jsonl, usage_db):
    os.makedirs(d, exist_ok=True)
    n = {"agent": f"crash-{os.urandom(4).hex()}", "since": int(time.time()) - 1}
    with open(f"{d}/names.json", "w") as f:
        json.dump(n, f)
    p = {
        "version": 1,
        "listen": f"127.0.0.1:{gport}",
        "backends": {"main": {"url": f"http://127.0.0.1:{dport}/mcp"}},
        "agents": {n["agent"]: {"keys_sha256": [hashlib.sha256(KEY.encode()).hexdigest()]}},
        "tools": {"search_docs": {"class": "read"}},
        "audit": {"journald": True, "jsonl": jsonl, "spool": f"{d}/audit.spool"},
        "usage": {"path": usage_db},
    }
    with open(f"{d}/policy.json", "w") as f:
        json.dump(p, f, indent=1)


class Conn:
    """One keep-alive connection: a burst of calls without a connect each."""

    def __init__(self, port):
        self.port = port
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        self.sid = None
        init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "crash-test", "version": "1"}}}
        self.post(init)
        self.sid = self.headers.get("mcp-session-id")

    def post(self, body):
        h = {"Host": f"127.0.0.1:{self.port}", "Content-Type": "application/json",
             "Accept": "application/json, text/event-stream", "Authorization": "Bearer " + KEY}
        if self.sid:
            h["Mcp-Session-Id"] = self.sid
        self.c.request("POST", "/mcp", body=json.dumps(body), headers=h)
        r = self.c.getresponse()
        data = r.read()
        self.headers = {k.lower(): v for k, v in r.getheaders()}
        return r.status, data

    def call(self, rid, marker):
        body = {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                "params": {"name": "search_docs", "arguments": {"query": marker}}}
        return self.post(body)


def wait_stopped(path, seconds=15):
    end = time.time() + seconds
    while time.time() < end:
        try:
            with open(path) as f:
                if "stopped" in f.read():
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return False


def calls_then_kill(tmp, port, gw, rnd, count, hold_out=None):
    c = Conn(int(port))
    answered = []
    for i in range(int(count)):
        marker = f"{rnd}-{i}-{os.urandom(3).hex()}"
        try:
            st, data = c.call(i + 1, marker)
        except OSError as e:
            case(f"{rnd}: call {i} answered", False, e)
            break
        if st == 200 and b'"result"' in data:
            answered.append(marker)
    if hold_out:	# the writer, stopped in its syscall, is the one that waits
        case(f"{rnd}: the writer stopped at its system call", wait_stopped(hold_out),
             open(hold_out).read()[-300:] if os.path.exists(hold_out) else "no output")
    os.kill(int(gw), signal.SIGKILL)	# at once: no time for the writer
    with open(f"{tmp}/answered-{rnd}.json", "w") as f:
        json.dump(answered, f)
    case(f"{rnd}: {count} calls answered, then SIGKILL", len(answered) == int(count),
         f"{len(answered)} answered")


def jsonl_markers(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    q = (rec.get("arguments") or {}).get("query")
                    if q:
                        out.append((q, rec.get("seq")))
    except FileNotFoundError:
        pass
    return out


def none_written(tmp, rnd):
    with open(f"{tmp}/answered-{rnd}.json") as f:
        answered = set(json.load(f))
    seen = [q for q, _ in jsonl_markers(f"{tmp}/audit.jsonl") if q in answered]
    case(f"{rnd}: with the writer held, no record had reached the file before the kill",
         answered and not seen, f"{len(seen)} of {len(answered)} already written")


def journal_markers(agent, since):
    out = subprocess.run(["journalctl", "--no-pager", "-o", "json", f"--since=@{since}",
                          "SYSLOG_IDENTIFIER=sluiced", f"SLUICE_AGENT={agent}"],
                         capture_output=True, text=True, timeout=30).stdout
    qs = []
    for line in out.splitlines():
        rec = json.loads(line)
        try:
            qs.append(json.loads(rec.get("SLUICE_ARGUMENTS", "{}")).get("query"))
        except (ValueError, AttributeError):
            pass
    return qs


def exactly_once(tmp, *rounds):
    n = names(tmp)
    in_file = [q for q, _ in jsonl_markers(f"{tmp}/audit.jsonl")]
    seqs = [s for _, s in jsonl_markers(f"{tmp}/audit.jsonl")]
    end = time.time() + 6
    for rnd in rounds:
        with open(f"{tmp}/answered-{rnd}.json") as f:
            answered = json.load(f)
        missing = [m for m in answered if in_file.count(m) == 0]
        twice = [m for m in answered if in_file.count(m) > 1]
        case(f"{rnd}: every answered call's record is in the JSONL file exactly once",
             answered and not missing and not twice,
             f"{len(answered)} answered, {len(missing)} missing, {len(twice)} twice")
        while True:
            in_journal = journal_markers(n["agent"], n["since"])
            missing = [m for m in answered if in_journal.count(m) == 0]
            if not missing or time.time() > end:
                break
            time.sleep(0.3)
        twice = [m for m in answered if in_journal.count(m) > 1]
        case(f"{rnd}: every answered call's record is in journald exactly once",
             answered and not missing and not twice,
             f"{len(answered)} answered, {len(missing)} missing, {len(twice)} twice")
    case("sequence numbers are unique", len(seqs) == len(set(seqs)) and None not in seqs,
         len(seqs) - len(set(seqs)))


def full_disk(d, port, log):
    n = names(d)
    c = Conn(int(port))
    sts = []
    for i in range(100):
        try:
            sts.append(c.call(i + 1, f"full-{i}")[0])
        except OSError as e:	# a hang shows as the 20 s timeout
            sts.append(str(e))
            break
    case("on a full disk every call is still answered",
         sts.count(200) == 100, [s for s in sts if s != 200][:5])
    time.sleep(2.5)		# the writer's loss report (once a second), the ledger's commit
    with open(log) as f:
        text = f.read()
    case("the lost audit records are counted and logged",
         "audit: " in text and "records lost" in text, text[-600:])
    case("the ledger's failing commit is logged (its rows kept for the next)",
         "cannot commit to the ledger" in text, text[-600:])
    out = subprocess.run(["journalctl", "--no-pager", "-o", "json", f"--since=@{n['since']}",
                          "SYSLOG_IDENTIFIER=sluiced", "SLUICE_EVENT=audit_loss"],
                         capture_output=True, text=True, timeout=30).stdout
    recs = [json.loads(line) for line in out.splitlines() if line.strip()]
    lost = sum(int(r.get("SLUICE_LOST", "0")) for r in recs)
    case("journald has the loss at error priority (3), counting at least the 100 calls",
         recs and all(r.get("PRIORITY") == "3" for r in recs) and lost >= 100,
         [(r.get("PRIORITY"), r.get("SLUICE_LOST"), r.get("MESSAGE")) for r in recs])
    found = journal_markers(n["agent"], n["since"])
    case("the records themselves still reach journald", sum(q.startswith("full-") for q in found
                                                           if q) == 100, len(found))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"write": write, "calls-then-kill": calls_then_kill, "none-written": none_written,
     "exactly-once": exactly_once, "full-disk": full_disk}[cmd](*args)
    sys.exit(1 if failed else 0)
