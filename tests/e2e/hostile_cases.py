#!/usr/bin/env python3
"""hostile_cases.py - the client side of tests/e2e/hostile.sh: sluiced in
front of tests/e2e/hostile_backend.py.  Usage: hostile_cases.py GPORT BPORT CASE...
Prints one PASS/FAIL line per case, in the format of tests/e2e/lib.sh.

Each case asserts the correct behaviour, which its docstring states.
"""
import json
import sys
import time

from mcp_client import (Reader, call, connect, expect, expect_answer, expect_protocol_error,
                        exchange, backend_reset, backend_stats, initialize, post, request,
                        requests_with, rpc, run_cases)

CASES = {}


def case(what):
    def register(fn):
        fn.what = what
        CASES[fn.__name__] = fn
        return fn
    return register


@case("a well-behaved call is answered (control)")
def well_behaved(gport, bport):
    """Control: a normal call is answered (the harness works)."""
    expect_answer(post(gport, call(1, "echo")), 1)


@case("a judged body reaches the backend as application/json, spelt one way")
def content_type_normalised(gport, bport):
    """The body was judged as UTF-8 JSON, whatever spelling of the media
    type the client used (case, quotes, charset=utf-8, Content-Encoding:
    identity): the backend is told exactly `application/json` and no
    Content-Encoding, so it cannot decode the bytes another way."""
    backend_reset(bport)
    body = call(31, "echo").encode()
    raw = (f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{gport}\r\n"
           "Accept: application/json, text/event-stream\r\n"
           'Content-Type: Application/JSON; Charset="UTF-8"\r\n'
           "Content-Encoding: identity\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    expect_answer(exchange(gport, raw), 31)
    seen = requests_with(backend_stats(bport), id=31)
    expect(len(seen) == 1, f"the backend saw request 31 {len(seen)} times")
    expect(seen[0]["ctype"] == "application/json" and seen[0]["cenc"] is None,
           f"the backend was told Content-Type {seen[0]['ctype']!r}, "
           f"Content-Encoding {seen[0]['cenc']!r}")


@case("a stray CRLF after an answer, request pipelined behind: both answered, the second once, on a fresh connection")
def stray_crlf_pipelined(gport, bport):
    """The backend ends answer 11 with a stray CRLF while the client has
    pipelined request 12 behind it.  Both get their own answers; request 12
    reaches the backend exactly once, on another connection than 11's (the
    connection that sent the stray bytes is not reused)."""
    backend_reset(bport)
    with connect(gport) as s:
        s.sendall(request(gport, body=call(11, "stray_crlf")) + request(gport, body=call(12, "echo")))
        rd = Reader(s)
        first = rd.response(3)
        second = rd.response(3)
    expect_answer(first, 11)
    expect_answer(second, 12)
    st = backend_stats(bport)
    r11, r12 = requests_with(st, id=11), requests_with(st, id=12)
    expect(len(r12) == 1, f"the backend saw request 12 {len(r12)} times: {r12}")
    expect(r11 and r12[0]["conn"] != r11[0]["conn"],
           f"request 12 went on the connection that sent the stray CRLF ({r12[0]['conn']})")


@case("an answer with another JSON-RPC id is a protocol error (502 -32052, no Retry-After)")
def wrong_id(gport, bport):
    """An answer whose JSON-RPC id (999) is not the request's (21) is a
    backend protocol error: 502, -32052, no Retry-After."""
    expect_protocol_error(post(gport, call(21, "wrong_id")), 21)


@case("an unsolicited response on an idle pooled connection: the next request gets its own answer on a fresh connection")
def unsolicited_idle(gport, bport):
    """The backend answers 201, then 100 ms later writes an unsolicited
    response (id 999) on the now idle pooled connection.  The client's next
    request (202, same client connection, 300 ms later) gets its own answer,
    on a fresh backend connection."""
    backend_reset(bport)
    with connect(gport) as s:
        rd = Reader(s)
        s.sendall(request(gport, body=call(201, "unsolicited_after")))
        expect_answer(rd.response(3), 201)
        time.sleep(0.3)
        s.sendall(request(gport, body=call(202, "echo")))
        expect_answer(rd.response(3), 202)
    st = backend_stats(bport)
    c201, c202 = requests_with(st, id=201)[0]["conn"], requests_with(st, id=202)[0]["conn"]
    expect(c201 != c202, f"202 went on connection {c202}, which sent the unsolicited response")


@case("a response with a foreign id before the answer: 502 -32052, never relayed; the next request on a fresh connection")
def unsolicited_before_answer(gport, bport):
    """On a pooled connection the backend sends a response with id 999
    before its answer to request 212.  The client of 212 never sees id 999:
    it gets the protocol error (502, -32052, no Retry-After, id 212).  The
    connection is closed: the next request (213) gets its own answer on a
    fresh backend connection."""
    backend_reset(bport)
    with connect(gport) as s:
        rd = Reader(s)
        s.sendall(request(gport, body=call(211, "arm_unsolicited")))
        expect_answer(rd.response(3), 211)
        s.sendall(request(gport, body=call(212, "echo")))
        r = rd.response(3)
    expect(b'"id": 999' not in r.body, f"request 212 got the unsolicited response: {r}")
    expect_protocol_error(r, 212)
    expect_answer(post(gport, call(213, "echo")), 213)
    st = backend_stats(bport)
    c212, c213 = requests_with(st, id=212)[0]["conn"], requests_with(st, id=213)[0]["conn"]
    expect(c212 != c213, f"213 went on connection {c213}, which misbehaved")


@case("a request the backend read and dropped is not retried (seen once), answered 502 'closed'")
def no_retry_after_send(gport, bport):
    """transfer_money is read by the backend, which closes without an
    answer.  It may have acted on it: the request is not retried (the
    backend sees it exactly once, even on a reused pooled connection), and
    the client gets 502 with a JSON-RPC error saying the backend closed the
    connection."""
    backend_reset(bport)
    with connect(gport) as s:
        rd = Reader(s)
        s.sendall(request(gport, body=call(30, "echo")))	# a pooled connection to reuse
        expect_answer(rd.response(3), 30)
        s.sendall(request(gport, body=call(31, "transfer_money", {"to": "mallory", "usd": 1000})))
        r = rd.response(5)
    time.sleep(0.5)
    n = backend_stats(bport)["tools"].get("transfer_money", 0)
    expect(n == 1, f"the backend received transfer_money {n} times; the client got {r}")
    body = r.json() or {}
    err = body.get("error") or {}
    expect(r.status == 502 and body.get("id") == 31 and "closed" in err.get("message", ""),
           f"want 502 with an error naming the closed connection, got {r}")


@case("101 Switching Protocols to a POST is a protocol error (502 -32052, no Retry-After)")
def status_101(gport, bport):
    """101 Switching Protocols to a POST: a protocol error (502 -32052)."""
    expect_protocol_error(post(gport, call(41, "status_101"), timeout=3), 41)


@case("status 999 is a protocol error (502 -32052, no Retry-After)")
def status_999(gport, bport):
    """Status 999: a protocol error (502 -32052), not relayed."""
    expect_protocol_error(post(gport, call(42, "status_999"), timeout=3), 42)


def expect_cut(r, rid, what):
    """A protocol error mid-stream: the client's head is out, so the stream
    is cut (closed without its last chunk) within 3 s, although the backend
    keeps the stream open.  A fix that checks before the head may answer
    the protocol error instead."""
    if r.status != 200:
        expect_protocol_error(r, rid)
        return
    expect(not r.complete, f"the stream ended properly after {what}: {r}")
    expect(r.closed, f"the stream with {what} was not cut within 3 s: {r}")


@case("a huge SSE retry: is a protocol error: not relayed, the stream cut")
def sse_retry_huge(gport, bport):
    """An SSE `retry: 99999999999999999999` is a protocol error: the
    stream is cut and no retry field reaches the client (today it was
    relayed saturated to LONG_MAX)."""
    r = post(gport, call(43, "sse_retry_huge"), timeout=3)
    expect(b"retry:" not in r.body, f"a retry field was relayed: {r.body[:300]!r}")
    expect_cut(r, 43, "a huge retry")


@case("a NUL in SSE data is a protocol error: not relayed, the stream cut")
def sse_nul(gport, bport):
    """A NUL byte in SSE data is a protocol error: the stream is cut and
    the NUL never reaches the client."""
    r = post(gport, call(44, "sse_nul"), timeout=3)
    expect(b"\0" not in r.body, f"a NUL byte was relayed: {r.body[:300]!r}")
    expect_cut(r, 44, "a NUL in data")


@case("an LF in a legacy endpoint sessionId is a protocol error: not relayed, the stream cut")
def legacy_endpoint_lf(gport, bport):
    """A legacy endpoint event whose sessionId holds an LF is a protocol
    error: no endpoint event reaches the client, and the stream is cut."""
    r = exchange(gport, request(gport, "GET", "/sse", headers={"X-Hostile": "endpoint_lf"}), 3)
    expect(b"endpoint" not in r.body, f"the endpoint event was relayed: {r.body[:300]!r}")
    expect_cut(r, None, "an LF in the sessionId")


@case("a legacy endpoint event is relayed, rewritten (control)")
def legacy_endpoint_ok(gport, bport):
    """Control: a well-formed endpoint event is relayed, rewritten to the
    gateway's /message path."""
    with connect(gport) as s:
        s.sendall(request(gport, "GET", "/sse"))
        rd = Reader(s)
        r = rd.response(1)
    events = r.sse_data()
    expect(r.status == 200 and events and events[0].startswith(b"/message?sessionId="),
           f"no endpoint event: {r}")


def refused_with_body(gport, bport, method, chunked):
    """@method /mcp with a body: 400, JSON-RPC -32600 saying a body is not
    allowed, and the backend never sees the request."""
    backend_reset(bport)
    raw = request(gport, method, "/mcp", b'{"jsonrpc":"2.0","id":5,"method":"ping"}',
                  {"Mcp-Session-Id": "0123456789abcdef"}, chunked=chunked)
    r = exchange(gport, raw, 2)
    time.sleep(0.2)
    seen = requests_with(backend_stats(bport), method=method)
    expect(not seen, f"the backend saw {seen}")
    body = r.json() or {}
    err = body.get("error") or {}
    msg = str(err.get("message", "")).lower()
    expect(r.status == 400 and err.get("code") == -32600 and "body" in msg and method.lower() in msg,
           f"want 400 -32600 'body not allowed on {method}', got {r}")


@case("GET with a body: 400 -32600, the backend never sees it")
def get_with_body(gport, bport):
    refused_with_body(gport, bport, "GET", False)


@case("GET with a chunked body: 400 -32600, the backend never sees it")
def get_with_chunked_body(gport, bport):
    refused_with_body(gport, bport, "GET", True)


@case("DELETE with a body: 400 -32600, the backend never sees it")
def delete_with_body(gport, bport):
    refused_with_body(gport, bport, "DELETE", False)


@case("GET with Content-Length: 0 announces no body: served (the stream opens)")
def get_with_empty_length(gport, bport):
    """Content-Length: 0 carries nothing (some clients send it on every
    request): a GET with it is served like one without."""
    sid = initialize(gport)
    with connect(gport) as s:
        s.sendall(request(gport, "GET", "/mcp", headers={"Mcp-Session-Id": sid,
                                                         "Content-Length": "0"}))
        r = Reader(s).head(2)
    expect(r.status == 200 and "text/event-stream" in r.headers.get("content-type", ""),
           f"want the stream's 200 head, got {r}")


@case("an unknown Mcp-Session-Id: 404 from sluiced on POST, GET and DELETE, never forwarded")
def unknown_session(gport, bport):
    """A session the gateway does not know (expired, deleted, never seen)
    is answered 404 by sluiced itself, so the client starts a new one;
    the backend never sees those requests."""
    backend_reset(bport)
    sid = "no-such-session-0123"
    for method in ("POST", "GET", "DELETE"):
        body = call(41, "echo") if method == "POST" else b""
        r = exchange(gport, request(gport, method, "/mcp", body, {"Mcp-Session-Id": sid}), 2)
        expect(r.status == 404 and ((r.json() or {}).get("error") or {}).get("code") == -32600,
               f"{method}: want 404 -32600, got {r}")
    seen = requests_with(backend_stats(bport), sid=sid)
    expect(not seen, f"the backend saw {seen}")


@case("a DELETEd session is forgotten: its next POST gets 404 from sluiced")
def deleted_session(gport, bport):
    """A DELETE the backend accepts ends the session in the gateway too."""
    sid = initialize(gport)
    r = exchange(gport, request(gport, "DELETE", "/mcp", headers={"Mcp-Session-Id": sid}), 2)
    expect(r.status == 200, f"DELETE: {r}")
    backend_reset(bport)
    r = post(gport, call(42, "echo"), sid=sid, timeout=2)
    seen = requests_with(backend_stats(bport), sid=sid)
    expect(r.status == 404 and not seen, f"got {r}; the backend saw {seen}")


@case("an unknown Mcp-Session-Id is 404 whatever MCP-Protocol-Version claims")
def sessionless_revision(gport, bport):
    """The protocol version is the client's word: an id the gateway does not
    know is answered 404 under every version, 2026-07-28 and garbage
    included, so no version can smuggle another agent's session id to the
    backend."""
    backend_reset(bport)
    sid = "sessionless-0123"
    for version in ("2026-07-28", "2024-11-05", "zzz"):
        # the body names the version too, as 2026-07-28 has every request do
        raw = request(gport, "POST", "/mcp",
                      rpc(43, "ping", {"_meta": {"io.modelcontextprotocol/protocolVersion":
                                                 version}}),
                      {"Mcp-Session-Id": sid, "MCP-Protocol-Version": version,
                       "Mcp-Method": "ping"})
        r = exchange(gport, raw, 2)
        expect(r.status == 404, f"version {version}: got {r}")
    seen = requests_with(backend_stats(bport), sid=sid)
    expect(not seen, f"the backend saw {seen}")


@case("a session header sent twice is refused: the backend might read the other one")
def duplicate_session_header(gport, bport):
    """Two Mcp-Session-Id headers (or MCP-Protocol-Version): sluiced would
    check one and a backend may read the other; 400, nothing forwarded."""
    backend_reset(bport)
    sid = initialize(gport)
    raw = request(gport, "POST", "/mcp", rpc(44, "ping"),
                  {"Mcp-Session-Id": sid, "mcp-session-id": "other-session"})
    r = exchange(gport, raw, 2)
    expect(r.status == 400 and "sent twice" in r.body.decode(errors="replace"),
           f"got {r}")
    expect(not requests_with(backend_stats(bport), id=44), "forwarded")


# --- MCP 2026-07-28, the stateless revision ------------------------------------------

STATELESS = "2026-07-28"


def meta(version=STATELESS):
    return {"_meta": {"io.modelcontextprotocol/protocolVersion": version}}


@case("2026-07-28: GET and DELETE on the MCP path are 405 with Allow: POST, never forwarded")
def stateless_get_delete(gport, bport):
    """The stateless revision has no server stream and no session: a GET or
    DELETE that says MCP-Protocol-Version 2026-07-28 (or a later date) gets
    405, Allow: POST and a JSON-RPC error saying why; the backend hears
    nothing.  An older revision's GET still opens the stream."""
    backend_reset(bport)
    for method, version in (("GET", STATELESS), ("DELETE", STATELESS), ("GET", "2027-01-15")):
        r = exchange(gport, request(gport, method, "/mcp", b"",
                                    {"MCP-Protocol-Version": version}), 3)
        body = r.json() or {}
        msg = (body.get("error") or {}).get("message", "")
        expect(r.status == 405 and r.headers.get("allow") == "POST" and
               f"MCP {version} has no" in msg and "POST" in msg, f"{method} {version}: {r}")
    seen = [q for q in backend_stats(bport)["requests"] if q["method"] in ("GET", "DELETE")]
    expect(not seen, f"the backend saw {seen}")
    with connect(gport) as s:
        s.sendall(request(gport, "GET", "/mcp", b"", {"MCP-Protocol-Version": "2025-11-25"}))
        head = Reader(s).head(3)
    expect(head.status == 200 and "text/event-stream" in head.headers.get("content-type", ""),
           f"2025-11-25 GET: {head}")


@case("2026-07-28: every request names its version in params._meta, as the header does")
def stateless_meta(gport, bport):
    """A 2026-07-28 request is judged by the version in its body: without
    params._meta's protocolVersion, or with one that differs from the
    header, or with _meta naming 2026-07-28 and no header, it is refused
    (400, -32020) before the backend; with both agreeing it is answered."""
    backend_reset(bport)
    ver = {"MCP-Protocol-Version": STATELESS}
    for rid, params, hdrs, want in (
            (51, None, ver, "carries its version in params._meta"),
            (52, meta("2025-11-25"), ver, "does not match params._meta protocolVersion"),
            (53, meta(), {}, "MCP-Protocol-Version header missing")):
        r = exchange(gport, request(gport, "POST", "/mcp", rpc(rid, "server/discover", params),
                                    hdrs), 3)
        err = (r.json() or {}).get("error") or {}
        expect(r.status == 400 and err.get("code") == -32020 and want in err.get("message", ""),
               f"request {rid}: {r}")
    expect(not [q for q in backend_stats(bport)["requests"] if q.get("id") in (51, 52, 53)],
           "a refused request was forwarded")
    r = exchange(gport, request(gport, "POST", "/mcp", rpc(54, "server/discover", meta()), ver), 3)
    expect_answer(r, 54)
    expect(r.json()["result"].get("supportedVersions") == [STATELESS], f"{r}")


@case("an SSE answer's priming event (id:, empty data:) is relayed")
def sse_priming(gport, bport):
    """A 2025-11-25 server begins its stream with an event that has an id
    and empty data; it reaches the client as sent, before the answer (the
    log check in hostile.sh: without a warning)."""
    r = post(gport, call(61, "sse_priming"))
    expect(r.status == 200 and r.complete and b"id: prime-0\n" in r.body, f"{r}")
    data = r.sse_data()
    expect(len(data) == 2 and data[0] == b"" and json.loads(data[1]).get("id") == 61,
           f"events {data}")


@case("an SSE event that is not JSON-RPC is relayed (hostile.sh checks the warning)")
def sse_text(gport, bport):
    r = post(gport, call(62, "sse_text"))
    data = r.sse_data()
    expect(r.status == 200 and r.complete and data[:1] == [b"hello, not JSON"] and
           json.loads(data[-1]).get("id") == 62, f"{r}")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: hostile_cases.py GPORT BPORT CASE...\ncases: " + " ".join(CASES))
    sys.exit(run_cases("hostile", CASES, sys.argv[3:], int(sys.argv[1]), int(sys.argv[2])))
