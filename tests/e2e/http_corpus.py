#!/usr/bin/env python3
"""Bad-input corpus for sluiced: each case is raw bytes sent on a fresh
connection, and the exact answer expected (HTTP status, JSON-RPC error code,
whether the connection is closed after).  Usage: http_corpus.py HOST PORT.
Prints one PASS/FAIL line per case; exits 1 on any failure."""
import base64
import json
import socket
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
NAME = "http_corpus"
AUTH = f"{HOST}:{PORT}"
failed = 0


def post(body, extra="", path="/mcp", host=AUTH, ctype="application/json"):
    if isinstance(body, str):
        body = body.encode()
    ctype_line = f"Content-Type: {ctype}\r\n" if ctype is not None else ""
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            f"{ctype_line}"
            "Accept: application/json, text/event-stream\r\n"
            f"{extra}Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def call(name, args, rid=1):
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                       "params": {"name": name, "arguments": args}})


def read_response(sock, timeout=5.0, data=b""):
    """One HTTP response: (status, headers, body, closed_after, bytes after it);
    @data: bytes of it already read (what the previous call left over)."""
    sock.settimeout(timeout)
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a response")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    body, leftover = rest[:length], rest[length:]
    closed = False
    if headers.get("connection", "").lower() == "close":
        try:
            sock.settimeout(1.0)
            closed = sock.recv(1) == b""
        except OSError:
            closed = True
    return status, headers, body, closed, leftover


def rpc_code(body):
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def report(case, ok, why=""):
    global failed
    if ok:
        print(f"PASS: {NAME}: {case}", flush=True)
    else:
        failed += 1
        print(f"FAIL: {NAME}: {case}: {why}", flush=True)


def expect(case, raw, status, code=None, closed=None, timeout=5.0):
    try:
        with socket.create_connection((HOST, PORT), timeout=timeout) as s:
            s.sendall(raw)
            st, hd, body, cl, _ = read_response(s, timeout)
    except (OSError, ValueError, IndexError) as e:
        report(case, False, f"no answer: {e}")
        return None
    why = []
    if st != status:
        why.append(f"status {st}, want {status}")
    if code is not None and rpc_code(body) != code:
        why.append(f"JSON-RPC code {rpc_code(body)}, want {code} ({body[:120]!r})")
    if closed is not None and cl != closed:
        why.append(f"connection {'closed' if cl else 'kept'}, want "
                   f"{'closed' if closed else 'kept'}")
    report(case, not why, "; ".join(why))
    return st, hd, body


def b64(s):
    return "=?base64?" + base64.b64encode(s.encode()).decode() + "?="


INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "corpus", "version": "1.0"}}})

# --- JSON-RPC ---------------------------------------------------------------
expect("invalid JSON is -32700", post('{"jsonrpc":"2.0",'), 400, -32700, False)
expect("trailing bytes are -32700", post('{"jsonrpc":"2.0","id":1,"method":"ping"} x'),
       400, -32700)
expect("not JSON-RPC 2.0 is -32600", post('{"jsonrpc":"1.0","id":1,"method":"ping"}'),
       400, -32600)
expect("a bare number is -32600", post('42'), 400, -32600)
expect("an empty batch is -32600", post('[]'), 400, -32600)
expect("duplicate keys are refused",
       post('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
            '{"name":"run_query","name":"update_account","arguments":{}}}'), 400, -32600)
expect("duplicate keys deep inside arguments are refused",
       post('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
            '{"name":"run_query","arguments":{"a":{"b":1,"b":2}}}}'), 400, -32600)
expect("NUL in a method name is refused",
       post('{"jsonrpc":"2.0","id":1,"method":"tools/call\\u0000x"}'), 400, -32600)
expect("NUL in a tool name is refused",
       post('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
            '{"name":"run_query\\u0000update","arguments":{}}}'), 400, -32600)
expect("a batch with an invalid element is refused",
       post('[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2}]'),
       400, -32600)
expect("Mcp-Method that disagrees with the body is -32020",
       post(call("run_query", {"sql": "select 1"}), "Mcp-Method: tools/list\r\n"), 400, -32020)
expect("Mcp-Name that disagrees with the body is -32020",
       post(call("run_query", {"sql": "select 1"}),
            "Mcp-Method: tools/call\r\nMcp-Name: update_account\r\n"), 400, -32020)
expect("Mcp-Name in base64 that disagrees after decoding is -32020",
       post(call("run_query", {"sql": "select 1"}),
            f"Mcp-Method: tools/call\r\nMcp-Name: {b64('submit_order')}\r\n"), 400, -32020)
expect("Mcp-Name with invalid base64 is -32020",
       post(call("run_query", {"sql": "select 1"}),
            "Mcp-Method: tools/call\r\nMcp-Name: =?base64?!!!?=\r\n"), 400, -32020)

# --- HTTP framing and limits -------------------------------------------------------
body = INIT.encode()
expect("Content-Length with Transfer-Encoding is 400 and closes",
       (f"POST /mcp HTTP/1.1\r\nHost: {AUTH}\r\nContent-Length: {len(body)}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n").encode() + body, 400, None, True)
expect("two different Content-Lengths are 400 and close",
       (f"POST /mcp HTTP/1.1\r\nHost: {AUTH}\r\nContent-Length: {len(body)}\r\n"
        f"Content-Length: {len(body) + 1}\r\n\r\n").encode() + body, 400, None, True)
expect("an obfuscated Transfer-Encoding is 400 and closes",
       (f"POST /mcp HTTP/1.1\r\nHost: {AUTH}\r\nTransfer-Encoding: xchunked\r\n\r\n"
        "5\r\nhello\r\n0\r\n\r\n").encode(), 400, None, True)
expect("Transfer-Encoding: chunked, identity is 400 and closes",
       (f"POST /mcp HTTP/1.1\r\nHost: {AUTH}\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
        "5\r\nhello\r\n0\r\n\r\n").encode(), 400, None, True)
expect("header bytes over the limit are 431",
       post(INIT, "X-Big: " + "a" * 40000 + "\r\n"), 431, None, True)
expect("a body over the limit is 413",
       post('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + "a" * 1100000 + '"}}'),
       413, None, True)
expect("a foreign Host is refused (DNS rebinding)", post(INIT, host="evil.example:8470"), 403)
expect("a foreign Origin is refused (DNS rebinding)",
       post(INIT, "Origin: http://evil.example\r\n"), 403)
expect("an unknown path is 404", post(INIT, path="/nope"), 404)
expect("PUT on the MCP endpoint is 405",
       f"PUT /mcp HTTP/1.1\r\nHost: {AUTH}\r\nContent-Length: 0\r\n\r\n".encode(), 405)
expect("a legacy POST for an unknown session is 404 at once",
       post(INIT, path="/message?sessionId=0123456789abcdef"), 404, -32600, timeout=2.0)
expect("a garbage request line is 400 and closes", b"HELLO\r\n\r\n", 400, None, True)
expect("obs-fold in Transfer-Encoding is 400 and closes",
       (f"POST /mcp HTTP/1.1\r\nHost: {AUTH}\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
        "5\r\nhello\r\n0\r\n\r\n").encode(), 400, None, True)
expect("obs-fold in Content-Length is 400 and closes",
       (f"POST /mcp HTTP/1.1\r\nHost: {AUTH}\r\nContent-Length:\r\n {len(body)}\r\n\r\n")
       .encode() + body, 400, None, True)
expect("obs-fold in any header is 400 and closes",
       post(INIT, "X-Note: a\r\n b\r\n"), 400, None, True)
expect("a bare LF in a chunk extension is 400 at once, not 408",
       (f"POST /mcp HTTP/1.1\r\nHost: {AUTH}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n5;ext\nhello\r\n0\r\n\r\n").encode(),
       400, None, True, timeout=2.0)
expect("chunk data not ended by CRLF is 400 and closes",
       (f"POST /mcp HTTP/1.1\r\nHost: {AUTH}\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhelloXY0\r\n\r\n").encode(), 400, None, True)
expect("bare LF line endings are 400 and close",
       f"GET /mcp HTTP/1.1\nHost: {AUTH}\n\n".encode(), 400, None, True)
expect("a bare LF ending the headers is 400 and closes",
       post(INIT).replace(b"\r\n\r\n", b"\r\n\n", 1), 400, None, True)
expect("HTTP/1.2 is 400 and closes", post(INIT).replace(b"HTTP/1.1", b"HTTP/1.2", 1), 400,
       None, True)
expect("HTTX/1.1 is 400 and closes", post(INIT).replace(b"HTTP/1.1", b"HTTX/1.1", 1), 400,
       None, True)
expect("two Host headers are 400 and close", post(INIT, f"Host: {AUTH}\r\n"), 400, None, True)

# --- what must work ----------------------------------------------------------------
r = expect("initialize passes and returns a session", post(INIT), 200)
sid = r[1].get("mcp-session-id") if r else None
report("the backend's Mcp-Session-Id passes through", bool(sid), "no session header")
sess = f"Mcp-Session-Id: {sid}\r\nMCP-Protocol-Version: 2025-06-18\r\n" if sid else ""
expect("Mcp-Method and Mcp-Name that match pass",
       post(call("run_query", {"sql": "select 1"}),
            sess + "Mcp-Method: tools/call\r\nMcp-Name: run_query\r\n"), 200)
expect("Mcp-Name in base64 that matches passes",
       post(call("run_query", {"sql": "select 1"}),
            sess + f"Mcp-Method: tools/call\r\nMcp-Name: {b64('run_query')}\r\n"), 200)

# Keys one name to a Go backend (encoding/json folds case, U+017F, U+212A), in
# a live session: without the gateway's refusal the backend would answer 200.
expect("name beside Name is refused (Go reads the last)",
       post('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
            '{"name":"get_pricing","Name":"update_account"}}', sess), 400, -32600)
expect("method beside Method is refused",
       post('{"jsonrpc":"2.0","id":1,"Method":"tools/call","method":"ping"}', sess), 400, -32600)
expect("an argument and its upper-case twin are refused",
       post(call("run_query", {"sql": "select 1", "Sql": "drop table t"}), sess), 400, -32600)
expect("a long s (U+017F) twin is refused",
       post(call("run_query", {"sql": "select 1", "\u017fql": "drop table t"}), sess), 400, -32600)
expect("a Kelvin sign (U+212A) twin is refused",
       post(call("get_pricing", {"plan": "pro", "\u212a": 1, "k": 2}), sess), 400, -32600)
expect("Params instead of params is refused",
       post('{"jsonrpc":"2.0","id":1,"method":"tools/list","Params":{"cursor":"x"}}',
            sess), 400, -32600)
expect("a duplicate key apart from its twin is refused",
       post('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
            '{"name":"run_query","arguments":{},"name":"drop_db"}}', sess), 400, -32600)
expect("NUL then another escape in a tool name is refused",
       post('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
            '{"name":"get\\u0000_secrets\\u0021","arguments":{}}}', sess), 400, -32600)

# --- Content-Type and Content-Encoding: the backend decodes as told ------------------
UTF7 = ('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
        '{"name":"get_pricing","+AG4AYQBtAGU-":"update_account","arguments":{}}}')
expect("a UTF-7 body is 415", post(UTF7, sess, ctype="application/json; charset=utf-7"), 415,
       -32600)
expect("a UTF-7 method is 415",
       post('{"jsonrpc":"2.0","id":1,"method":"ping","+AG0-ethod":"tools/call"}', sess,
            ctype="application/json; charset=UTF-7"), 415, -32600)
expect("charset=utf-16 is 415", post(INIT, ctype="application/json; charset=utf-16"), 415,
       -32600)
expect("two charset parameters are 415",
       post(INIT, ctype="application/json; charset=utf-8; charset=utf-7"), 415, -32600)
expect("text/plain is 415", post(INIT, ctype="text/plain"), 415, -32600)
expect("no Content-Type is 415", post(INIT, ctype=None), 415, -32600)
expect("two Content-Type headers are 415",
       post(INIT, "Content-Type: application/json; charset=utf-7\r\n"), 415, -32600)
expect("Content-Encoding: gzip is 415", post(INIT, "Content-Encoding: gzip\r\n"), 415, -32600)


def legacy_session():
    """Opens GET /sse and returns (socket, message path) from its endpoint event."""
    s = socket.create_connection((HOST, PORT), timeout=5)
    s.sendall(f"GET /sse HTTP/1.1\r\nHost: {AUTH}\r\nAccept: text/event-stream\r\n\r\n"
              .encode())
    data = b""
    while b"sessionId=" not in data or b"\n" not in data.split(b"sessionId=", 1)[1]:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("stream closed before its endpoint event")
        data += chunk
    line = data.split(b"data: ", 1)[1].split(b"\n", 1)[0].strip()
    return s, line.decode()


try:
    stream, path = legacy_session()
    with stream:
        expect("legacy POST /message in UTF-7 is 415",
               post(UTF7, path=path, ctype="application/json; charset=utf-7"), 415, -32600)
        expect("legacy POST /message in UTF-8 is accepted (202)",
               post('{"jsonrpc":"2.0","id":5,"method":"ping"}', path=path,
                    ctype="application/json; charset=utf-8"), 202)
except (OSError, ValueError, IndexError) as e:
    report("legacy POST /message in UTF-7 is 415", False, f"no legacy session: {e}")

# Pipelined: two requests in one write, answered in order.
try:
    with socket.create_connection((HOST, PORT), timeout=5) as s:
        s.sendall(post(call("get_pricing", {"plan": "pro"}, 11), sess) +
                  post(call("search_docs", {"query": "x"}, 12), sess))
        st1, _, b1, _, left = read_response(s)
        st2, _, b2, _, _ = read_response(s, data=left)
        ids = (json.loads(b1).get("id"), json.loads(b2).get("id"))
        report("pipelined requests are answered in order", ids == (11, 12) and st1 == st2 == 200,
               f"ids {ids} statuses {st1} {st2}")
except (OSError, ValueError) as e:
    report("pipelined requests are answered in order", False, str(e))

chunked = call("get_pricing", {"plan": "free"}, 21).encode()
half = len(chunked) // 2
raw = (f"POST /mcp HTTP/1.1\r\nHost: {AUTH}\r\nContent-Type: application/json\r\n"
       f"Accept: application/json, text/event-stream\r\n{sess}"
       "Transfer-Encoding: chunked\r\n\r\n").encode()
raw += b"%x\r\n" % half + chunked[:half] + b"\r\n"
raw += b"%x\r\n" % (len(chunked) - half) + chunked[half:] + b"\r\n0\r\n\r\n"
expect("a chunked request body is accepted", raw, 200)

# Header timeout: a request that never finishes its headers gets 408.
try:
    with socket.create_connection((HOST, PORT), timeout=5) as s:
        s.sendall(f"POST /mcp HTTP/1.1\r\nHost: {AUTH}\r\n".encode())
        t0 = time.monotonic()
        st, _, _, _, _ = read_response(s, timeout=5)
        took = time.monotonic() - t0
        report("headers not finished in time get 408", st == 408 and took < 3,
               f"status {st} after {took:.2f}s")
except (OSError, ValueError) as e:
    report("headers not finished in time get 408", False, str(e))

sys.exit(1 if failed else 0)
