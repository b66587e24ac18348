"""authz_cases.py - the cases of tests/e2e/authz.sh: authentication, the
decision, list filtering and sessions, through two sluiced in front of
policies/example.json's agents (demo keys: policies/README.md).

  argv: G1 G2 HOSTILE G3 JWT_SECRET
  G1: analytics -> sluice-demo-backend, billing -> hostile_backend.py
  G2: both backends -> hostile_backend.py (which logs what it receives),
      context_headers X-Caller, x-tenant, X-Tier, and its tool ask_sampling
  G3: as G2, plus JWT bearer tokens (HS256 with JWT_SECRET, issuer
      https://issuer.sluice.test, plan_claim "plan"); update_account needs
      the token scopes "accounts:write" and "admin".
Prints one PASS/FAIL line per case; exits 1 on any failure.
"""
import base64
import hashlib
import hmac
import http.client
import json
import sys
import time

G1, G2, HOSTILE, G3 = (int(a) for a in sys.argv[1:5])
JWT_SECRET = sys.argv[5].encode()
CLAUDE = "sk-demo-claude-assistant-2f9c41"
GPT = "sk-demo-gpt-analyst-8b17d3"
OPS = "sk-demo-ops-bot-c5e19a"
PRM = f"http://127.0.0.1:{G1}/.well-known/oauth-protected-resource/mcp"
failed = False


def case(name, ok, why=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: authz: {name}{'' if ok else ': ' + str(why)[:300]}")
    failed |= not ok


def send(port, method, path, body=None, key=None, headers=None, source=None):
    """One request; its status, headers (lower-case names) and raw body."""
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
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def req(port, method, path, body=None, key=None, headers=None, source=None):
    st, hd, data = send(port, method, path, body, key, headers, source)
    try:
        js = json.loads(data) if data else None
    except ValueError:
        js = None
    return st, hd, js


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

def legacy_open(key, timeout, port=G1):
    """Opens /sse with @key; the socket, the /message path its endpoint
    event names, and what the stream sent so far."""
    import socket
    sk = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sk.sendall(f"GET /sse HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
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

# --- batches: every element judged, one answer --------------------------------------------
# G2's default backend is hostile_backend.py: it answers a batch's requests
# in reverse order (the merged answer must be in request order) and logs
# what it received.
def notify(tool, args):
    """A tools/call without an id: a notification, judged like a call."""
    return {"jsonrpc": "2.0", "method": "tools/call",
            "params": {"name": tool, "arguments": args}}


DENIED = ("update_account", {"account_id": "acct_12345678", "changes": {}})
NOTE = {"jsonrpc": "2.0", "method": "notifications/initialized"}
_, _, single = req(G2, "POST", "/mcp", call(42, *DENIED), key=GPT)
DENIED_MSG = err(single).get("message")


def batch_seen():
    """The batches the backend received, as [(id, method, tool, arguments)]."""
    return [[(m["id"], m["method"], m["tool"], m["arguments"]) for m in r["batch"]]
            for r in stats()["requests"] if "batch" in r]


def ids_codes(js):
    return [(m.get("id"), err(m).get("code")) for m in js] if isinstance(js, list) else js


def text_of(m):
    return (((m or {}).get("result") or {}).get("content") or [{}])[0].get("text")


MIXED = [call(41, "get_dashboard", {"dashboard_id": "d1"}), call(42, *DENIED),
         call("b43", "search_docs", {"query": "q"}),
         call(44, "run_query", {"sql": "SELECT pg_sleep(10)"}), notify(*DENIED)]
FORWARDED = [[(41, "tools/call", "get_dashboard", {"dashboard_id": "d1", "range": "7d"}),
              ("b43", "tools/call", "search_docs", {"query": "q"})]]

reset()
st, hd, js = req(G2, "POST", "/mcp", MIXED, key=GPT,
                 headers={"MCP-Protocol-Version": "2025-03-26"})
seen = batch_seen()
case("batch, JSON answer: one array in request order, the refused ones answered by the gateway",
     st == 200 and ids_codes(js) == [(41, None), (42, -32010), ("b43", None), (44, -32602)] and
     text_of(js[0]) == "get_dashboard" and text_of(js[2]) == "search_docs", (st, js))
case("batch: a refused element's error is a single refusal's (code and message)",
     isinstance(js, list) and len(js) == 4 and err(js[1]).get("message") == DENIED_MSG and
     DENIED_MSG and "data" not in err(js[1]), (js, DENIED_MSG))
case("batch: the backend received only the allowed elements, rewritten (a default added)",
     seen == FORWARDED, seen)

reset()
st, hd, data = send(G2, "POST", "/mcp", MIXED, key=GPT, headers={"X-Hostile": "sse"})
events = [json.loads(x[6:]) for x in data.split(b"\n") if x.startswith(b"data: ")]
case("batch, SSE answer: the gateway's answers come first, then the backend's events",
     st == 200 and hd.get("content-type", "").startswith("text/event-stream") and
     ids_codes(events) == [(42, -32010), (44, -32602), ("b43", None), (41, None)] and
     err(events[0]).get("message") == DENIED_MSG and batch_seen() == FORWARDED, (st, events))

reset()
st, hd, js = req(G2, "POST", "/mcp", [call(91, "get_pricing", {}), call(92, *DENIED)],
                 key=GPT, headers={"X-Hostile": "null_id"})
case("batch: a backend answer whose id matches no request (null) comes last",
     st == 200 and ids_codes(js) == [(91, None), (92, -32010), (None, -32600)], (st, js))

st, hd, js = req(G2, "POST", "/mcp", [call(93, "get_pricing", {}), call(94, *DENIED)],
                 key=GPT, headers={"X-Hostile": "forge_94"})
case("batch: a backend answer carrying a refused request's id breaks the protocol (502, "
     "-32052 for the forwarded request, the refusal kept)",
     st == 502 and ids_codes(js) == [(93, -32052), (94, -32010)] and
     "id 94" in err(js[0]).get("message", ""), (st, js))

reset()
st, hd, js = req(G2, "POST", "/mcp", [call(81, "get_pricing", {}), call(82, *DENIED)],
                 key=GPT, headers={"X-Hostile": "status_503"})
case("batch, backend 503 with an HTML page: its status, every request answered",
     st == 503 and ids_codes(js) == [(81, -32603), (82, -32010)] and
     "HTTP 503" in err(js[0]).get("message", "") and
     "<html>down</html>" in err(js[0]).get("message", ""), (st, js))

reset()
st, hd, js = req(G2, "POST", "/mcp", [call(51, *DENIED), call(52, "no_such_tool", {}),
                                      notify(*DENIED)],
                 key=GPT, headers={"MCP-Protocol-Version": "2025-06-18"})
case("batch, every element refused: 200 and the gateway's answers, the backend hears nothing",
     st == 200 and ids_codes(js) == [(51, -32010), (52, -32602)] and
     not stats()["requests"], (st, js, stats()["requests"]))

reset()
st, hd, data = send(G2, "POST", "/mcp", [notify(*DENIED)], key=GPT)
case("batch of one refused notification: 202, no body, nothing forwarded",
     st == 202 and not data and not stats()["requests"], (st, data))

reset()
st, hd, js = req(G2, "POST", "/mcp", [NOTE, call(61, *DENIED)], key=GPT)
case("batch, allowed notification + refused request: backend 202, client 200 with the error",
     st == 200 and ids_codes(js) == [(61, -32010)] and
     batch_seen() == [[(None, "notifications/initialized", None, None)]], (st, js, batch_seen()))

reset()
st, hd, js = req(G2, "POST", "/mcp", [call(71, "get_pricing", {}), notify(*DENIED)], key=GPT)
case("batch: a refused notification is dropped, not answered and not forwarded",
     st == 200 and ids_codes(js) == [(71, None)] and
     batch_seen() == [[(71, "tools/call", "get_pricing", {})]], (st, js, batch_seen()))

st, hd, js = req(G2, "POST", "/mcp", MIXED)
case("batch without a credential: 401 for the whole request",
     st == 401 and "resource_metadata" in hd.get("www-authenticate", "") and
     err(js).get("code") == -32011 and not isinstance(js, list), (st, js))

try:
    reset()
    sk, path, _ = legacy_open(GPT, 5, port=G2)
    st, hd, js = req(G2, "POST", path, [call(101, "get_pricing", {}), call(102, *DENIED)],
                     key=GPT)
    sk.close()
    case("legacy /message batch: the backend's 202 becomes 200 with the gateway's answers "
         "(the backend answers on /sse)",
         st == 200 and ids_codes(js) == [(102, -32010)] and
         batch_seen() == [[(101, "tools/call", "get_pricing", {})]], (st, js, batch_seen()))
    sk, path, _ = legacy_open(GPT, 5, port=G2)
    st, hd, js = req(G2, "POST", path, [call(103, *DENIED)], key=GPT)
    sk.close()
    case("legacy /message batch, every element refused: 400 on the POST (a legacy client "
         "reads no 2xx body), the errors in it, nothing forwarded",
         st == 400 and ids_codes(js) == [(103, -32010)] and
         batch_seen() == [[(101, "tools/call", "get_pricing", {})]], (st, js, batch_seen()))
except (OSError, ValueError, KeyError, IndexError) as e:
    case("legacy /message batch", False, repr(e))

try:
    # Legacy clients read answers from /sse only, and no body from a 2xx
    # answer to /message: a refusal there is an error status.
    sk, path, _ = legacy_open(GPT, 5)
    st1, _, js1 = req(G1, "POST", path, call(16, "update_account",
                                             {"account_id": "acct_12345678", "changes": {}}),
                      key=GPT)
    st2, _, js2 = req(G1, "POST", path, call(17, "no_such_tool", {}), key=GPT)
    sk.close()
    case("legacy /message: a refused call is 403 (an agent's rule) or 400 (unknown tool), "
         "never a 2xx whose body no client reads",
         st1 == 403 and err(js1).get("code") == -32010 and js1.get("id") == 16 and
         st2 == 400 and err(js2).get("code") == -32602 and js2.get("id") == 17,
         (st1, js1, st2, js2))
except (OSError, ValueError, KeyError, IndexError) as e:
    case("legacy /message: a refused call is 403 (an agent's rule) or 400 (unknown tool), "
         "never a 2xx whose body no client reads", False, repr(e))

# --- JWT bearer tokens (G3) ---------------------------------------------------------------
def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(claims, header=None, sign=True):
    """A compact JWT: HS256 with JWT_SECRET unless @sign is False (no signature)."""
    h = header or {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    si = b64u(json.dumps(h).encode()) + "." + b64u(json.dumps(claims).encode())
    sig = hmac.new(JWT_SECRET, si.encode(), hashlib.sha256).digest() if sign else b""
    return si + "." + b64u(sig)


def claims(**over):
    now = int(time.time())
    c = {"iss": "https://issuer.sluice.test", "sub": "claude-assistant",
         "aud": f"http://127.0.0.1:{G3}/mcp", "iat": now, "exp": now + 300,
         "scope": "accounts:write admin"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


UPDATE = {"account_id": "acct_12345678", "changes": {"tier": "pro"}}


def jwt_call(rid, token, tool="update_account", args=UPDATE):
    """POSTs a call with @token to G3; (status, headers, json, backend requests)."""
    reset()
    st, hd, js = req(G3, "POST", "/mcp", call(rid, tool, args), key=token)
    return st, hd, js, stats()["requests"]


# The control: a token with every scope passes, and the call reaches the backend.
st, hd, js, seen = jwt_call(40, jwt(claims()))
case("JWT with the scopes update_account needs: forwarded to the backend",
     st == 200 and not err(js) and len(seen) == 1 and
     seen[0]["hdr"].get("x-sluice-agent") == "claude-assistant", (st, js, seen))

st, hd, js, seen = jwt_call(41, jwt(claims(scope="accounts:write")))
www = hd.get("www-authenticate", "")
e = err(js)
case("JWT lacking a scope: 403, WWW-Authenticate insufficient_scope names every scope "
     "needed, -32012, the backend never saw it",
     st == 403 and www == 'Bearer error="insufficient_scope", scope="accounts:write admin"' and
     e.get("code") == -32012 and js.get("id") == 41 and '"admin"' in e.get("message", "") and
     "tools.update_account.scopes" in e.get("message", "") and not seen, (st, www, js, seen))

st, hd, js, seen = jwt_call(42, jwt(claims(scope=None)))
case("JWT with no scope claim at all: 403 insufficient_scope, not forwarded",
     st == 403 and 'error="insufficient_scope", scope="accounts:write admin"' in
     hd.get("www-authenticate", "") and not seen, (st, hd.get("www-authenticate"), seen))


def invalid_token(name, rid, token, words):
    """@token is refused: 401, error="invalid_token" and a description holding
    @words (any description when None), the JSON-RPC id echoed, nothing forwarded."""
    st, hd, js, seen = jwt_call(rid, token)
    www = hd.get("www-authenticate", "")
    pre = (f'Bearer resource_metadata="http://127.0.0.1:{G3}/.well-known/'
           'oauth-protected-resource/mcp", error="invalid_token", error_description="')
    desc = www[len(pre):] if www.startswith(pre) else ""
    case(f"{name}: 401 invalid_token \"{desc.rstrip(chr(34))}\", not forwarded",
         st == 401 and desc and (words is None or words in desc) and js.get("id") == rid and
         err(js).get("code") == -32011 and not seen, (st, www, js, seen))


# The control for the plan claim: a plan the policy defines is taken.
st, hd, js, seen = jwt_call(43, jwt(claims(plan="enterprise")))
case("JWT whose plan claim names a defined plan: forwarded with that plan",
     st == 200 and len(seen) == 1 and seen[0]["hdr"].get("x-sluice-plan") == "enterprise",
     (st, js, seen))
invalid_token("JWT whose plan claim names an unknown plan", 44, jwt(claims(plan="gold")),
              "plan the policy does not know")
invalid_token("expired JWT", 45, jwt(claims(exp=int(time.time()) - 3600)), "token expired")
invalid_token("JWT for another audience", 46,
              jwt(claims(aud="http://127.0.0.1:1/mcp")), "audience does not name this resource")
# RFC 7519's unsecured JWT ends in an empty part: sluice reads no JWT in it
# (ident_looks_like_jwt() wants three non-empty parts), so it is refused as
# an unknown API key; with a signature appended it is read as a JWT.
invalid_token("JWT with alg none and an empty signature", 47,
              jwt(claims(), header={"alg": "none", "typ": "JWT"}, sign=False), None)
invalid_token("JWT with alg none and a valid HS256 signature", 48,
              jwt(claims(), header={"alg": "none", "typ": "JWT", "kid": "k1"}), "alg none")
invalid_token("JWT signed with another secret", 49,
              jwt(claims())[:-8] + "AAAAAAAA", "signature does not verify")

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
st, hd, js = req(G2, "POST", "/mcp", call(52, "ask_sampling_json", {}), key=CLAUDE,
                 headers=dict(V25, **{"Mcp-Session-Id": sid or "x"}))
a = answers()
case("JSON answer: a sampling request in it is taken out for an agent without \"sampling\" "
     "(a client reads every message of a JSON answer); the backend is POSTed the -32010 error",
     st == 200 and isinstance(js, list) and len(js) == 1 and js[0].get("id") == 52 and
     "result" in js[0] and len(a) == 1 and (a[0]["error"] or {}).get("code") == -32010,
     (st, js, a))

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

# --- a batch without a session goes to one backend --------------------------------------------
# G1: get_pricing lives on billing (the hostile backend), get_dashboard on
# analytics (the demo backend): one body cannot go to both.
st, _, js = req(G1, "POST", "/mcp", [call(80, "get_pricing", {"plan": "pro"}),
                                     call(81, "get_dashboard", {"dashboard_id": "revenue"})],
                key=CLAUDE)
case("a batch without a session whose tools live on two backends is refused (400)",
     st == 400 and "different" in ((js or {}).get("error") or {}).get("message", ""), (st, js))
st, _, js = req(G1, "POST", "/mcp", [call(82, "get_pricing", {"plan": "pro"}),
                                     call(83, "get_pricing", {"plan": "free"})], key=CLAUDE)
# The hostile backend echoes the tool's name; the demo backend would quote prices.
case("a batch without a session whose tools share a backend goes there (billing)",
     st == 200 and isinstance(js, list) and len(js) == 2 and
     all(a["result"]["content"][0]["text"] == "get_pricing" for a in js), (st, js))

# --- sessions -------------------------------------------------------------------------------
st, hd, js = req(G2, "POST", "/mcp", INIT, key=OPS)
sid = hd.get("mcp-session-id")
PING = {"jsonrpc": "2.0", "id": 30, "method": "ping"}
st1, _, _ = req(G2, "POST", "/mcp", PING, key=OPS, headers={"Mcp-Session-Id": sid or "x"})
st2, _, js2 = req(G2, "POST", "/mcp", PING, key=CLAUDE, headers={"Mcp-Session-Id": sid or "x"})
case("a session opened by one key, used by another: 404",
     bool(sid) and st1 == 200 and st2 == 404 and js2.get("id") == 30, (sid, st1, st2, js2))

sys.exit(1 if failed else 0)
