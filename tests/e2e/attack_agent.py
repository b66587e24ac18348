#!/usr/bin/env python3
"""attack_agent.py - the MCP agents of tests/e2e/attack.sh (tools/call of
run_query over Streamable HTTP, authenticated by API key, to sluiced).

  attack_agent.py steady URL KEY RATE SECONDS [STOP_FILE]
      one keep-alive connection, RATE calls a second for SECONDS seconds
      (or until STOP_FILE exists); the first call, which opens the connection
      and the MCP session, is left out of the latencies;
      each call has 3 s to succeed (HTTP 200, a JSON-RPC result, isError
      false); a failed call is counted and the next one reconnects.  Prints
      {"calls", "ok", "failed", "p50_ms", "p99_ms", "max_ms", "errors",
       "worst": the 8 slowest calls as [seconds since start, ms],
       "samples": every measured call as [wall-clock start in us, ms]}.
  attack_agent.py hammer URL KEY SECONDS [SOURCE]
      calls as fast as it can on one connection until it is banned (403 with
      JSON-RPC error -32016), or SECONDS pass, at most 5000 calls.  Prints
      {"calls", "ok", "limited", "banned", "ban_code", "retry_after",
       "banned_after_s", "banned_at_us" (wall clock), "other"}.
  attack_agent.py probe URL KEY TIMEOUT [SOURCE]
      one call on a new connection; prints what happened: ok, limited,
      banned, timeout (nothing came back: the SYN was dropped), reset, or
      "http NNN".
SOURCE: the local address to connect from (the agent's policy source).
Every loop is bounded in time and count.
"""
import http.client
import json
import os
import socket
import sys
import time
import urllib.parse

MAX_CALLS = 5000
CALL_TIMEOUT_S = 3.0
BANNED = -32016


class Agent:
    def __init__(self, url, key, timeout=CALL_TIMEOUT_S, source=None):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path or "/mcp"
        self.key, self.timeout, self.conn, self.rid = key, timeout, None, 0
        self.session = None
        self.source = (source, 0) if source else None

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def post(self, method, params):
        """One JSON-RPC request: (HTTP status, parsed body or None, response)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout,
                                                   source_address=self.source)
        self.rid += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.rid, "method": method, "params": params})
        headers = {"Authorization": f"Bearer {self.key}",
                   "Content-Type": "application/json",
                   "Accept": "application/json, text/event-stream"}
        if self.session:
            headers["Mcp-Session-Id"] = self.session
        self.conn.request("POST", self.path, body, headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        return resp.status, doc, resp

    def call(self):
        """A tools/call of run_query, in the session (opened by the first call)."""
        if self.session is None:
            status, doc, resp = self.post("initialize", {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "attack-test", "version": "1"}})
            if status != 200 or not resp.getheader("Mcp-Session-Id"):
                return status, doc, resp
            self.session = resp.getheader("Mcp-Session-Id")
        return self.post("tools/call", {"name": "run_query",
                                         "arguments": {"sql": "select 1", "limit": 1}})


def succeeded(status, doc):
    return (status == 200 and isinstance(doc, dict) and "result" in doc
            and not doc["result"].get("isError", False))


def error_code(doc):
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        return doc["error"].get("code")
    return None


def percentile(sorted_ms, q):
    if not sorted_ms:
        return None
    i = min(len(sorted_ms) - 1, max(0, int(q * len(sorted_ms) + 0.999999) - 1))
    return round(sorted_ms[i], 3)


def steady(url, key, rate, seconds, stop_file=None):
    agent, lat, errors, calls, when, ok = Agent(url, key), [], [], 0, [], 0
    start = time.monotonic()
    end = start + seconds
    while calls < MAX_CALLS:
        due = start + calls / rate
        if due >= end or (stop_file and os.path.exists(stop_file)):
            break
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        calls += 1
        t0 = time.monotonic()
        try:
            status, doc, _ = agent.call()
            if succeeded(status, doc):
                ok += 1
                if calls > 1:	# the first opens the connection and the session
                    lat.append((time.monotonic() - t0) * 1000)
                    when.append((round(t0 - start, 2), round(lat[-1], 2),
                                 int((time.time() - (time.monotonic() - t0)) * 1e6)))
                continue
            errors.append(f"HTTP {status} {json.dumps(doc)[:160]}")
        except (OSError, http.client.HTTPException) as e:
            errors.append(f"{type(e).__name__}: {e}")
        agent.close()
    agent.close()
    lat.sort()
    print(json.dumps({"calls": calls, "ok": ok, "failed": calls - ok,
                      "p50_ms": percentile(lat, 0.5), "p99_ms": percentile(lat, 0.99),
                      "max_ms": round(lat[-1], 3) if lat else None, "errors": errors[:5],
                      "worst": [w[:2] for w in sorted(when, key=lambda w: -w[1])[:8]],
                      "samples": [[w[2], w[1]] for w in when]}))


def hammer(url, key, seconds, source=None):
    agent = Agent(url, key, source=source)
    out = {"calls": 0, "ok": 0, "limited": 0, "banned": False, "ban_code": None,
           "retry_after": None, "banned_after_s": None, "other": []}
    start = time.monotonic()
    while out["calls"] < MAX_CALLS and time.monotonic() - start < seconds:
        out["calls"] += 1
        try:
            status, doc, resp = agent.call()
        except (OSError, http.client.HTTPException) as e:
            out["other"].append(f"{type(e).__name__}: {e}"[:120])
            agent.close()
            time.sleep(0.05)
            continue
        if succeeded(status, doc):
            out["ok"] += 1
        elif status == 429:
            out["limited"] += 1
        elif status == 403 and error_code(doc) == BANNED:
            out.update(banned=True, ban_code=BANNED, retry_after=resp.getheader("Retry-After"),
                       banned_after_s=round(time.monotonic() - start, 3),
                       banned_at_us=int(time.time() * 1e6))
            break
        else:
            out["other"].append(f"HTTP {status} {json.dumps(doc)[:120]}")
    agent.close()
    out["other"] = out["other"][:5]
    print(json.dumps(out))


def probe(url, key, timeout, source=None):
    agent = Agent(url, key, timeout, source)
    try:
        status, doc, _ = agent.call()
    except socket.timeout:
        print("timeout")
        return
    except ConnectionResetError:
        print("reset")
        return
    except (OSError, http.client.HTTPException) as e:
        print(f"error {type(e).__name__}")
        return
    finally:
        agent.close()
    if succeeded(status, doc):
        print("ok")
    elif status == 429:
        print("limited")
    elif status == 403 and error_code(doc) == BANNED:
        print("banned")
    else:
        print(f"http {status} {json.dumps(doc)[:200]}")


def main():
    a = sys.argv[1:]
    if len(a) in (5, 6) and a[0] == "steady":
        steady(a[1], a[2], float(a[3]), min(float(a[4]), 120.0), a[5] if len(a) == 6 else None)
    elif len(a) in (4, 5) and a[0] == "hammer":
        hammer(a[1], a[2], min(float(a[3]), 60.0), a[4] if len(a) == 5 else None)
    elif len(a) in (4, 5) and a[0] == "probe":
        probe(a[1], a[2], min(float(a[3]), 10.0), a[4] if len(a) == 5 else None)
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
