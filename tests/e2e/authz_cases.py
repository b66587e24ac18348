"""authz_cases.py - the cases of tests/e2e/authz.sh: authentication, the
decision, list filtering and sessions, through two sluiced in front of
policies/example.json's agents (demo keys: policies/README.md).

  argv: G1 G2 HOSTILE
  G1: analytics -> sluice-demo-backend, billing -> hostile_backend.py
  G2: both backends -> hostile_backend.py (which logs what it receives),
      context_headers X-Caller, x-tenant, X-Tier, and its tool ask_sampling
Prints one PASS/FAIL line per case; exits 1 on any failure.
"""
import http.client
import json
import sys

G1, G2, HOSTILE = (int(a) for a in sys.argv[1:4])
CLAUDE = "sk-demo-claude-assistant-2f9c41"
GPT = "sk-demo-gpt-analyst-8b17d3"
OPS = "sk-demo-ops-bot-c5e19a"
PRM = f"http://127.0.0.1:{G1}/.well-known/oauth-protected-resource/mcp"
failed = False


def case(name, ok, why=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: authz: {name}{'' if ok else ': ' + str(why)[:300]}")
    failed |= not ok


def req(port, method, path, body=None, key=None, headers=None, source=None):
    h = {"Host": f"127.0.0.1:{port}", "Accept": "application/json, text/event-stream"}
    if body is not None:
        h["Content-Type"] = "application/json"
    if key:
        h["Authorization"] = "Bearer " + key
    h.update(headers or {})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                   source_address=(source, 0) if source else None)
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
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


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "authz", "version": "1"}}}


def stats():
    return req(HOSTILE, "GET", "/_stats")[2]


def reset():
    req(HOSTILE, "POST", "/_reset", body={})


def err(js):
    return (js or {}).get("error") or {}


# --- authentication ----------------------------------------------------------------------
st, hd, js = req(G1, "POST", "/mcp", call(7, "get_dashboard", {"dashboard_id": "d1"}))
www = hd.get("www-authenticate", "")
case("no key: 401, WWW-Authenticate names the resource metadata, id echoed",
     st == 401 and www == f'Bearer resource_metadata="{PRM}"' and js.get("id") == 7 and
     err(js).get("code") == -32011, (st, www, js))

st, hd, js = req(G1, "POST", "/mcp", call(8, "get_dashboard", {"dashboard_id": "d1"}),
                 key="sk-demo-nobody-000000")
www = hd.get("www-authenticate", "")
case("wrong key: 401 invalid_token",
     st == 401 and www.startswith(f'Bearer resource_metadata="{PRM}", error="invalid_token", '
                                  'error_description="') and js.get("id") == 8, (st, www, js))

st, hd, js = req(G1, "GET", "/mcp")
case("GET without a key: 401", st == 401 and "resource_metadata" in
     hd.get("www-authenticate", ""), (st, hd))
st, hd, js = req(G1, "GET", "/sse")
case("legacy /sse without a key: 401", st == 401, (st, js))

for path in ("/.well-known/oauth-protected-resource",
             "/.well-known/oauth-protected-resource/mcp"):
    st, hd, js = req(G1, "GET", path)
    case(f"PRM served at {path}",
         st == 200 and js == {"resource": f"http://127.0.0.1:{G1}/mcp",
                              "authorization_servers": [],
                              "bearer_methods_supported": ["header"]}, (st, js))

# gpt-analyst's sources hold 127.0.0.3: without a credential, it is gpt-analyst.
st, hd, js = req(G1, "POST", "/mcp", call(14, "update_account",
                                           {"account_id": "acct_12345678", "changes": {}}),
                 source="127.0.0.3")
case("no key from an agent's source address: that agent (its rules apply)",
     st == 200 and err(js).get("code") == -32010 and "gpt-analyst" in
     err(js).get("message", ""), (st, js))
st, hd, js = req(G1, "POST", "/mcp", call(15, "get_dashboard", {"dashboard_id": "d1"}),
                 key="sk-demo-nobody-000000", source="127.0.0.3")
case("a wrong key from an agent's source address: still 401 invalid_token",
     st == 401 and 'error="invalid_token"' in hd.get("www-authenticate", ""), (st, hd))

# --- the decision -------------------------------------------------------------------------
st, hd, js = req(G1, "POST", "/mcp", call(9, "update_account",
                                           {"account_id": "acct_12345678", "changes": {}}),
                 key=GPT)
e = err(js)
case("gpt-analyst calling update_account: 200, -32010, names the rule",
     st == 200 and e.get("code") == -32010 and js.get("id") == 9 and
     "agents.gpt-analyst.tools.allow" in e.get("message", ""), (st, js))

reset()
st, hd, js = req(G2, "POST", "/mcp", call(10, "run_query", {"sql": "SELECT pg_sleep(10)"}),
                 key=CLAUDE)
e = err(js)
s = stats()
case("run_query with pg_sleep: -32602, the backend never saw it",
     st == 200 and e.get("code") == -32602 and "tools.run_query.arguments.sql" in
     e.get("message", "") and not s["requests"], (st, js, s["requests"]))

st, hd, js = req(G2, "POST", "/mcp", [call(11, "get_pricing", {}),
                                      call(12, "update_account", {"account_id": "x"})], key=GPT)
s = stats()
case("a batch with a refused element is refused whole, naming it",
     st == 200 and "batch element 1 refused" in err(js).get("message", "") and
     not s["requests"], (st, js, s["requests"]))

# --- what reaches the backend ---------------------------------------------------------------
reset()
st, hd, js = req(G1, "POST", "/mcp", call(13, "get_pricing", {}), key=GPT,
                 headers={"X-Sluice-Agent": "ops-bot", "X-Sluice-Spoof": "1", "X-API-Key": GPT})
s = stats()
r = s["requests"][0]["hdr"] if s["requests"] else {}
case("get_pricing goes to its tool's backend (billing)", len(s["requests"]) == 1,
     (st, js, s))
case("Authorization and X-API-Key never reach the backend",
     "authorization" not in r and "x-api-key" not in r, r)
case("X-Sluice-Agent/-Customer/-Plan reach it, the client's own dropped",
     r.get("x-sluice-agent") == "gpt-analyst" and r.get("x-sluice-customer") == "globex" and
     r.get("x-sluice-plan") == "free" and "x-sluice-spoof" not in r, r)

reset()
st, hd, js = req(G1, "POST", "/mcp", call(14, "get_pricing", {}), key=GPT,
                 headers={"X_Sluice_Agent": "ops-bot", "X-Sluice_Plan": "enterprise",
                          "X_API_Key": "leak"})
s = stats()
r = s["requests"][0]["hdr"] if s["requests"] else {}
case("no header with an underscore reaches it (CGI/WSGI read X_Sluice_Agent as X-Sluice-Agent)",
     st == 200 and len(s["requests"]) == 1 and not [k for k in r if "_" in k] and
     r.get("x-sluice-agent") == "gpt-analyst", (st, r))

reset()
st, hd, js = req(G2, "POST", "/mcp", call(15, "get_pricing", {}), key=GPT,
                 headers={"x-caller": "ops-bot", "X-TENANT": "initech", "X-Sluice-Agent": "ops-bot",
                          "x-sluice-plan": "enterprise"})
s = stats()
r = s["requests"][0]["hdr"] if s["requests"] else {}
case("custom context_headers reach it, the client's copies (any case) and X-Sluice-* dropped",
     st == 200 and r.get("x-caller") == "gpt-analyst" and r.get("x-tenant") == "globex" and
     r.get("x-tier") == "free" and not [k for k in r if k.startswith("x-sluice-")], (st, r))

# --- list filtering --------------------------------------------------------------------------
TL = {"jsonrpc": "2.0", "id": 20, "method": "tools/list"}
st, hd, js = req(G1, "POST", "/mcp", INIT, key=GPT)
sid = hd.get("mcp-session-id")
st, hd, js = req(G1, "POST", "/mcp", TL, key=GPT, headers={"Mcp-Session-Id": sid} if sid else {})
names = sorted(t["name"] for t in ((js or {}).get("result") or {}).get("tools", []))
case("tools/list through gpt-analyst's key shows only its tools",
     st == 200 and names == sorted(["run_query", "get_dashboard", "export_report",
                                    "get_pricing", "search_docs"]), (st, names, js))
st, hd, js = req(G1, "POST", "/mcp", INIT, key=CLAUDE)
sid = hd.get("mcp-session-id")
st, hd, js = req(G1, "POST", "/mcp", TL, key=CLAUDE,
                 headers={"Mcp-Session-Id": sid} if sid else {})
names = sorted(t["name"] for t in ((js or {}).get("result") or {}).get("tools", []))
case("tools/list through claude-assistant's key hides create_account",
     st == 200 and "create_account" not in names and "update_account" in names, (st, names))

def legacy_open(key, timeout):
    """Opens /sse with @key; the socket, the /message path its endpoint
    event names, and what the stream sent so far."""
    import socket
    sk = socket.create_connection(("127.0.0.1", G1), timeout=timeout)
    sk.sendall(f"GET /sse HTTP/1.1\r\nHost: 127.0.0.1:{G1}\r\nAccept: text/event-stream\r\n"
               f"Authorization: Bearer {key}\r\n\r\n".encode())
    buf = b""
    while b"sessionId=" not in buf or b"\n\n" not in buf.split(b"sessionId=", 1)[1]:
        buf += sk.recv(65536)
    path = buf.split(b"data: ", 1)[1].split(b"\n", 1)[0].strip().decode()
    return sk, path, buf


def legacy_tools(key):
    """tools/list over the legacy transport: the answer comes on /sse."""
    sk, path, buf = legacy_open(key, 10)
    st, _, _ = req(G1, "POST", path, {"jsonrpc": "2.0", "id": "L1", "method": "tools/list"},
                   key=key)
    while b'"L1"' not in buf or not buf.rstrip().endswith(b"\r\n0") and b"}}\n" not in buf:
        data = sk.recv(65536)
        if not data:
            break
        buf += data
        if b'"L1"' in buf and b"\n\n" in buf.split(b'"L1"', 1)[1]:
            break
    sk.close()
    line = [x for x in buf.split(b"\n") if b'"L1"' in x][0]
    js = json.loads(line.split(b"data: ", 1)[1])
    return st, sorted(t["name"] for t in js["result"]["tools"])


try:
    st, names = legacy_tools(GPT)
    case("legacy /sse: tools/list answered on the stream shows only the agent's tools",
         st == 202 and names == sorted(["run_query", "get_dashboard", "export_report",
                                        "get_pricing", "search_docs"]), (st, names))
except (OSError, ValueError, KeyError, IndexError) as e:
    case("legacy /sse: tools/list answered on the stream shows only the agent's tools",
         False, repr(e))


def legacy_seen_tools(key, body, want_events=2, secs=5):
    """Every tool name any event on /sse shows after @body is POSTed to /message."""
    import socket
    import time
    sk, path, buf = legacy_open(key, 2)
    mark = len(buf)
    st, _, _ = req(G1, "POST", path, body, key=key)
    end = time.time() + secs
    while time.time() < end and buf[mark:].count(b"data: ") < want_events:
        try:
            data = sk.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        buf += data
    sk.close()
    names = set()
    for line in buf[mark:].split(b"\n"):
        if not line.startswith(b"data: "):
            continue
        js = json.loads(line[6:])
        for m in js if isinstance(js, list) else [js]:
            for t in (m.get("result") or {}).get("tools", []):
                names.add(t.get("name"))
    return st, names


try:
    # One id for a call and a tools/list: the call's answer must not use up
    # the list's filter, whatever order the answers come in.
    st, names = legacy_seen_tools(GPT, [call("D1", "get_pricing", {}),
                                        {"jsonrpc": "2.0", "id": "D1", "method": "tools/list"}])
    case("legacy /sse: a call and a tools/list sharing an id: the list is still filtered",
         names and names <= {"run_query", "get_dashboard", "export_report", "get_pricing",
                             "search_docs"}, (st, sorted(names)))
except (OSError, ValueError, KeyError, IndexError) as e:
    case("legacy /sse: a call and a tools/list sharing an id: the list is still filtered",
         False, repr(e))

# --- MCP 2026-07-28 (stateless) through the decision ------------------------------------------
V26 = "2026-07-28"


def stateless(rid, method):
    return {"jsonrpc": "2.0", "id": rid, "method": method,
            "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": V26}}}


reset()
hv = {"MCP-Protocol-Version": V26, "Mcp-Method": "server/discover"}
st0, _, js0 = req(G2, "POST", "/mcp", stateless(40, "server/discover"), headers=hv)
st1, _, js1 = req(G2, "POST", "/mcp", stateless(41, "server/discover"), key=GPT, headers=hv)
seen = [q.get("id") for q in stats()["requests"]]
case("server/discover: without a key 401 and never forwarded; an agent's passes, attributed",
     st0 == 401 and err(js0).get("code") == -32011 and st1 == 200 and
     (js1.get("result") or {}).get("supportedVersions") == [V26] and seen == [41] and
     stats()["requests"][0]["hdr"].get("x-caller") == "gpt-analyst", (st0, js0, st1, js1, seen))


def listen(key):
    """subscriptions/listen through G2: the head, and the stream's first
    bytes (until the notification came, or 5 s)."""
    from mcp_client import Reader, connect, request
    import time
    hdrs = {"MCP-Protocol-Version": V26, "Mcp-Method": "subscriptions/listen"}
    if key:
        hdrs["Authorization"] = "Bearer " + key
    with connect(G2) as sk:
        sk.sendall(request(G2, "POST", "/mcp", json.dumps(stateless(42, "subscriptions/listen")),
                           hdrs))
        rd = Reader(sk)
        head = rd.head(5)
        end = time.monotonic() + 5
        while head.status == 200 and b"list_changed" not in rd.buf and \
                time.monotonic() < end and not rd.eof:
            rd.buf += rd._more(end) or b""
        return head, rd.buf


reset()
head0, body0 = listen(None)
head1, body1 = listen(GPT)
case("subscriptions/listen: without a key 401; an agent's is relayed as a stream, priming "
     "event and notification, before the stream ends",
     head0.status == 401 and head1.status == 200 and
     head1.headers.get("content-type", "").startswith("text/event-stream") and
     b"id: prime-0" in body1 and b"notifications/resources/list_changed" in body1 and
     [q.get("id") for q in stats()["requests"]] == [42], (head0, head1, body0[:200], body1[:300]))

# --- the backend's requests to the agent (agents.*.server_requests) --------------------------
# ops-bot may be asked to sample; claude-assistant may not (only elicitation).


def stream(method, path, body=None, key=None, headers=None, secs=4.0, until=None):
    """A request through G2 whose answer is a stream: status, headers and the
    bytes that came within @secs (or until @until is in them, or the end)."""
    from mcp_client import Reader, connect, request
    import time
    hdrs = dict(headers or {})
    if key:
        hdrs["Authorization"] = "Bearer " + key
    with connect(G2) as sk:
        sk.sendall(request(G2, method, path, json.dumps(body) if body else b"", hdrs))
        rd = Reader(sk)
        head = rd.head(5)
        end = time.monotonic() + secs
        while head.status == 200 and not rd.eof and time.monotonic() < end and \
                not (until and until in rd.buf) and not rd.buf.endswith(b"\r\n0\r\n\r\n"):
            rd.buf += rd._more(end) or b""
        return head, rd.buf


def answers():
    return stats()["answers"]


V25 = {"MCP-Protocol-Version": "2025-11-25"}
SAMPLING = b'"method": "sampling/createMessage"'   # the request as the backend wrote it
reset()
st, hd, js = req(G2, "POST", "/mcp", INIT, key=CLAUDE)
sid = hd.get("mcp-session-id")
head, body = stream("POST", "/mcp", call(50, "ask_sampling", {}), key=CLAUDE,
                    headers=dict(V25, **{"Mcp-Session-Id": sid or "x"}))
a = answers()
case("POST stream: a sampling request to an agent without \"sampling\" is not relayed; the "
     "backend is POSTed the -32010 error on the agent's session and version",
     head.status == 200 and SAMPLING not in body and b"answer: {" in body and b"-32010" in body and len(a) == 1 and
     (a[0]["error"] or {}).get("code") == -32010 and
     "agents.claude-assistant.server_requests" in (a[0]["error"] or {}).get("message", "") and
     a[0]["path"] == "/mcp" and a[0]["sid"] == sid and a[0]["version"] == "2025-11-25" and
     a[0]["hdr"].get("x-caller") == "claude-assistant", (head, body[-300:], a))

reset()
head, body = stream("POST", "/mcp", call(51, "ask_sampling", {}), key=OPS, headers=V25)
case("POST stream: an agent with \"sampling\" gets the request; the gateway answers nothing",
     head.status == 200 and SAMPLING in body and
     b"no answer" in body and not answers(), (head, body[-400:], answers()))

reset()
head, body = stream("GET", "/mcp", key=CLAUDE, headers={"X-Hostile": "sampling"}, secs=1.5)
a = answers()
case("GET stream: the sampling request is kept from claude-assistant, the backend answered",
     head.status == 200 and SAMPLING not in body and len(a) == 1 and
     (a[0]["error"] or {}).get("code") == -32010 and a[0]["id"].startswith("srv-"),
     (head, body[:300], a))
reset()
head, body = stream("GET", "/mcp", key=OPS, headers={"X-Hostile": "sampling"},
                    until=b"sampling/createMessage")
case("GET stream: ops-bot gets the sampling request",
     head.status == 200 and SAMPLING in body and not answers(),
     (head, body[:300], answers()))

reset()
head, body = stream("GET", "/sse", key=CLAUDE, headers={"X-Hostile": "sampling",
                                                        "Accept": "text/event-stream"}, secs=1.5)
a = answers()
case("legacy /sse: the sampling request is kept from claude-assistant; the error is POSTed "
     "to the session's message path",
     head.status == 200 and b"sessionId=" in body and SAMPLING not in body and
     len(a) == 1 and (a[0]["error"] or {}).get("code") == -32010 and
     a[0]["path"].startswith("/messages?sessionId="), (head, body[:300], a))
reset()
head, body = stream("GET", "/sse", key=OPS, headers={"X-Hostile": "sampling",
                                                     "Accept": "text/event-stream"},
                    until=b"sampling/createMessage")
case("legacy /sse: ops-bot gets the sampling request",
     head.status == 200 and SAMPLING in body and not answers(),
     (head, body[:300], answers()))

# --- sessions -------------------------------------------------------------------------------
st, hd, js = req(G2, "POST", "/mcp", INIT, key=OPS)
sid = hd.get("mcp-session-id")
PING = {"jsonrpc": "2.0", "id": 30, "method": "ping"}
st1, _, _ = req(G2, "POST", "/mcp", PING, key=OPS, headers={"Mcp-Session-Id": sid or "x"})
st2, _, js2 = req(G2, "POST", "/mcp", PING, key=CLAUDE, headers={"Mcp-Session-Id": sid or "x"})
case("a session opened by one key, used by another: 404",
     bool(sid) and st1 == 200 and st2 == 404 and js2.get("id") == 30, (sid, st1, st2, js2))

sys.exit(1 if failed else 0)
