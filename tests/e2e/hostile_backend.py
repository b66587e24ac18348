#!/usr/bin/env python3
"""hostile_backend.py - an MCP backend that misbehaves on request, for the
hardening tests of sluiced (tests/e2e/hostile.sh, tests/e2e/resources.sh).

Usage: hostile_backend.py --listen 127.0.0.1:PORT [--lifetime SECONDS]

It answers `initialize` (a new Mcp-Session-Id each time), `tools/list` and
notifications like a well-behaved Streamable HTTP server, and accepts any
session id (it never answers 404: a 404 the tests see comes from sluiced).
What it does with a request is chosen by the tool name of a `tools/call`
(POST), or by the X-Hostile header of a GET (forwarded by sluiced):

  tools/call echo               a normal JSON answer
  tools/call big {size}         a normal answer whose text is `size` bytes
  tools/call stray_crlf         a normal answer followed by "\\r\\n" in the same write
  tools/call wrong_id           an answer whose JSON-RPC id is 999
  tools/call unsolicited_after  a normal answer, then 100 ms later an
                                unsolicited response (id 999) on the idle connection
  tools/call arm_unsolicited    a normal answer; the next request on this
                                connection is first answered with id 999
  tools/call transfer_money     the request is read and the connection closed, no answer
  tools/call status_101         "101 Switching Protocols", then silence
  tools/call status_999         a JSON answer with status 999
  tools/call sse_retry_huge     an SSE answer whose first event has retry: 99999999999999999999
  tools/call sse_nul            an SSE answer whose first event's data holds a NUL byte
      (both SSE cases then stay silent for 5 s before the final event)
  tools/call sse_priming        an SSE answer that begins with a priming event
                                (an id: and an empty data:, as 2025-11-25 servers send)
  tools/call sse_text           an SSE answer whose first event's data is not JSON
  server/discover               a JSON answer naming the revisions it speaks (2026-07-28)
  subscriptions/listen          an SSE answer that stays open: a priming event, then
                                notifications/resources/list_changed, then silence
  tools/call ask_sampling       an SSE answer that first sends the client a
                                sampling/createMessage request, waits up to 2 s for
                                the answer to it (POSTed back), then ends with a
                                result saying what came
  tools/call ask_sampling_json  a JSON answer (no SSE): an array holding a
                                sampling/createMessage request, then the result
  GET /mcp                      an SSE stream that stays open and silent;
                                X-Hostile: sampling sends a sampling/createMessage
                                request on it first
  GET <sse path>                legacy HTTP+SSE: an endpoint event
                                (/messages?sessionId=...), then silence;
                                X-Hostile: endpoint_lf puts an LF inside the sessionId;
                                X-Hostile: sampling sends a sampling/createMessage
                                request after the endpoint event
  POST a JSON-RPC response      (to /mcp or /messages) the answer to one of its own
                                requests: recorded in "answers" (with the path and the
                                headers), 202 Accepted
  POST /messages?sessionId=     202 Accepted, the answer goes on no stream
  POST a batch                  one answer per request, in reverse order (the
                                gateway must put them back in request order);
                                202 when it holds no request.  X-Hostile:
                                sse answers as an SSE stream (an event each),
                                null_id adds an error with a null id,
                                forge_N adds a result for id N (never sent),
                                status_503 answers 503 with an HTML page
  DELETE /mcp                   200

What it saw is served, as JSON, at GET /_stats on the same port (not
through sluiced); POST /_reset clears it.  Every connection is closed after
60 s of silence and the process exits after --lifetime seconds (default 300).
Binds loopback only.
"""
import argparse
import asyncio
import itertools
import json
import sys
import uuid

IDLE_S = 60
SSE_HOLD_S = 5
MAX_LOG = 20000

stats = {}


def reset_stats():
    stats.clear()
    stats.update(conns_opened=0, conns_closed=0, streams_opened=0,
                 streams_closed=0, legacy_opened=0, legacy_closed=0,
                 tools={}, requests=[], answers=[])


reset_stats()
conn_ids = itertools.count(1)


def log_request(conn, method, path, headers, body, rpc):
    entry = {"conn": conn, "method": method, "path": path, "body_len": len(body),
             "sid": headers.get("mcp-session-id"),
             "ctype": headers.get("content-type"),
             "cenc": headers.get("content-encoding"),
             # what the gateway must drop or add (tests/e2e/authz.sh)
             "hdr": {k: v for k, v in headers.items()
                     if k in ("authorization", "x-api-key") or k.startswith("x-")
                     or "_" in k}}
    if isinstance(rpc, list):
        entry["batch"] = [{"id": m.get("id"), "method": m.get("method"),
                           "tool": (m.get("params") or {}).get("name"),
                           "arguments": (m.get("params") or {}).get("arguments")}
                          for m in rpc if isinstance(m, dict)]
    if isinstance(rpc, dict):
        entry["rpc_method"] = rpc.get("method")
        entry["id"] = rpc.get("id")
        params = rpc.get("params") or {}
        if rpc.get("method") == "tools/call" and isinstance(params, dict):
            entry["tool"] = params.get("name")
            stats["tools"][entry["tool"]] = stats["tools"].get(entry["tool"], 0) + 1
    if len(stats["requests"]) < MAX_LOG:
        stats["requests"].append(entry)


def http(status, reason, body=b"", ctype="application/json", extra=""):
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n")
    return head.encode() + body


def rpc_answer(rid, result, extra=""):
    body = json.dumps({"jsonrpc": "2.0", "id": rid, "result": result}).encode()
    return http(200, "OK", body, extra=extra)


def text_result(text):
    return {"content": [{"type": "text", "text": text}]}


SSE_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")


def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"


def event(data):
    return chunk(b"data: " + data + b"\n\n")


TOOLS = ["echo", "big", "stray_crlf", "wrong_id", "unsolicited_after",
         "arm_unsolicited", "transfer_money", "status_101", "status_999",
         "sse_retry_huge", "sse_nul", "sse_priming", "sse_text", "ask_sampling",
         "ask_sampling_json"]

ANSWER_WAIT_S = 2
server_ids = itertools.count(1)
answered = {}   # id of one of our requests -> asyncio.Event set when its answer came


def sampling_request():
    """A sampling/createMessage request with a fresh id, as an SSE event."""
    rid = f"srv-{next(server_ids)}"
    answered[rid] = asyncio.Event()
    req = {"jsonrpc": "2.0", "id": rid, "method": "sampling/createMessage",
           "params": {"messages": [{"role": "user",
                                    "content": {"type": "text", "text": "spend your tokens"}}],
                      "maxTokens": 100}}
    return rid, event(json.dumps(req).encode())


def record_answer(path, headers, rpc):
    stats["answers"].append({"path": path, "id": rpc.get("id"), "result": rpc.get("result"),
                             "error": rpc.get("error"), "sid": headers.get("mcp-session-id"),
                             "version": headers.get("mcp-protocol-version"),
                             "hdr": {k: v for k, v in headers.items() if k.startswith("x-")}})
    if rpc.get("id") in answered:
        answered[rpc["id"]].set()


# The event a 2025-11-25 server sends first on a stream: something to
# resume from (Last-Event-ID), and no message.
PRIMING = chunk(b"id: prime-0\ndata: \n\n")


class Conn:
    def __init__(self, reader, writer):
        self.r, self.w = reader, writer
        self.id = next(conn_ids)
        self.armed = False      # arm_unsolicited: the next request gets id 999 first

    async def read_request(self):
        head = await asyncio.wait_for(self.r.readuntil(b"\r\n\r\n"), IDLE_S)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                k = k.strip().lower()
                # a field sent twice reads as one list, as most servers join it
                headers[k] = headers[k] + ", " + v.strip() if k in headers else v.strip()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.r.readuntil(b"\r\n")).split(b";")[0], 16)
                data = await self.r.readexactly(size + 2)
                if not size:
                    break
                body += data[:-2]
        elif "content-length" in headers:
            body = await asyncio.wait_for(
                self.r.readexactly(int(headers["content-length"])), IDLE_S)
        return method, target, headers, body

    async def send(self, data):
        self.w.write(data)
        await self.w.drain()

    async def hold(self, seconds):
        """Silence until the peer closes or @seconds pass; True when it
        closed.  A connection in a hold (a stream, or after a 101) takes no
        further request: bytes from the peer end it as a close does."""
        try:
            await asyncio.wait_for(self.r.read(65536), seconds)
            return True
        except asyncio.TimeoutError:
            return False

    async def later(self, delay, data):
        await asyncio.sleep(delay)
        try:
            await self.send(data)
        except ConnectionError:
            pass

    async def serve(self):
        """Serves requests until one ends the connection; False = close it."""
        while True:
            method, target, headers, body = await self.read_request()
            if not await self.dispatch(method, target, headers, body):
                return

    async def dispatch(self, method, target, headers, body):
        path = target.split("?", 1)[0]
        if path == "/_stats":
            await self.send(http(200, "OK", json.dumps(stats).encode()))
            return True
        if path == "/_reset":
            reset_stats()
            await self.send(http(200, "OK", b"{}"))
            return True
        try:
            rpc = json.loads(body) if body else None
        except ValueError:
            rpc = None
        log_request(self.id, method, target, headers, body, rpc)
        if method == "POST" and isinstance(rpc, dict) and "method" not in rpc and \
                ("result" in rpc or "error" in rpc):
            record_answer(target, headers, rpc)
            await self.send(http(202, "Accepted"))
            return True
        if self.armed:
            self.armed = False
            await self.send(rpc_answer(999, text_result("unsolicited")))
        if method == "GET" and path == "/mcp":
            return await self.get_stream(headers.get("x-hostile", ""))
        if method == "GET":
            return await self.legacy_stream(headers.get("x-hostile", ""))
        if method == "DELETE":
            await self.send(http(200, "OK"))
            return True
        if path != "/mcp":
            await self.send(http(202, "Accepted", b"Accepted", "text/plain"))
            return True
        if isinstance(rpc, list):
            return await self.batch(rpc, headers.get("x-hostile", ""))
        return await self.post(rpc if isinstance(rpc, dict) else {})

    async def batch(self, msgs, mode):
        answers = [{"jsonrpc": "2.0", "id": m["id"],
                    "result": text_result((m.get("params") or {}).get("name") or m["method"])}
                   for m in msgs if isinstance(m, dict) and "id" in m and "method" in m]
        answers.reverse()
        if mode == "null_id":
            answers.append({"jsonrpc": "2.0", "id": None,
                            "error": {"code": -32600, "message": "hostile: a null id"}})
        if mode.startswith("forge_"):
            answers.append({"jsonrpc": "2.0", "id": int(mode[6:]), "result": text_result("forged")})
        if mode == "status_503":
            await self.send(http(503, "Service Unavailable", b"<html>down</html>", "text/html"))
        elif not answers:
            await self.send(http(202, "Accepted"))
        elif mode == "sse":
            await self.send(SSE_HEAD + b"".join(event(json.dumps(a).encode())
                                                for a in answers) + b"0\r\n\r\n")
        else:
            await self.send(http(200, "OK", json.dumps(answers).encode()))
        return True

    async def get_stream(self, mode):
        stats["streams_opened"] += 1
        await self.send(SSE_HEAD + (sampling_request()[1] if mode == "sampling" else b""))
        await self.hold(IDLE_S)
        stats["streams_closed"] += 1
        return False

    async def legacy_stream(self, mode):
        sid = uuid.uuid4().hex
        stats["legacy_opened"] += 1
        await self.send(SSE_HEAD)
        if mode == "endpoint_lf":
            data = b"/messages?sessionId=" + sid[:8].encode() + b"\ndata: " + sid[8:].encode()
        else:
            data = b"/messages?sessionId=" + sid.encode()
        await self.send(chunk(b"event: endpoint\ndata: " + data + b"\n\n"))
        if mode == "sampling":
            await self.send(sampling_request()[1])
        await self.hold(IDLE_S)
        stats["legacy_closed"] += 1
        return False

    async def post(self, rpc):
        rid, m = rpc.get("id"), rpc.get("method")
        if m == "initialize":
            await self.send(rpc_answer(rid, {
                "protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                "serverInfo": {"name": "hostile", "version": "1"}},
                extra=f"Mcp-Session-Id: {uuid.uuid4().hex}\r\n"))
        elif rid is None:
            await self.send(http(202, "Accepted"))
        elif m == "tools/list":
            await self.send(rpc_answer(rid, {"tools": [
                {"name": t, "inputSchema": {"type": "object"}} for t in TOOLS]}))
        elif m == "tools/call":
            return await self.tool(rid, rpc.get("params") or {})
        elif m == "server/discover":
            await self.send(rpc_answer(rid, {
                "supportedVersions": ["2026-07-28"], "capabilities": {"tools": {}},
                "serverInfo": {"name": "hostile", "version": "1"}}))
        elif m == "subscriptions/listen":
            return await self.listen()
        else:
            await self.send(rpc_answer(rid, {}))
        return True

    async def tool(self, rid, params):
        name = params.get("name")
        args = params.get("arguments") or {}
        if name == "transfer_money":
            return False
        if name == "status_101":
            await self.send(b"HTTP/1.1 101 Switching Protocols\r\n"
                            b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
            await self.hold(SSE_HOLD_S)
            return False
        if name == "status_999":
            body = json.dumps({"jsonrpc": "2.0", "id": rid, "result": text_result("x")})
            await self.send(http(999, "Whatever", body.encode()))
            return True
        if name in ("sse_retry_huge", "sse_nul"):
            return await self.bad_sse(rid, name)
        if name == "ask_sampling":
            return await self.ask_sampling(rid)
        if name == "ask_sampling_json":
            req = json.loads(sampling_request()[1].split(b"data: ", 1)[1])
            body = [req, {"jsonrpc": "2.0", "id": rid, "result": text_result(name)}]
            await self.send(http(200, "OK", json.dumps(body).encode()))
            return True
        if name in ("sse_priming", "sse_text"):
            first = PRIMING if name == "sse_priming" else event(b"hello, not JSON")
            final = json.dumps({"jsonrpc": "2.0", "id": rid, "result": text_result(name)})
            await self.send(SSE_HEAD + first + event(final.encode()) + b"0\r\n\r\n")
            return True
        answer = rpc_answer(999 if name == "wrong_id" else rid,
                            text_result("x" * int(args.get("size", 0)) if name == "big"
                                        else name or ""))
        if name == "stray_crlf":
            answer += b"\r\n"
        await self.send(answer)
        if name == "unsolicited_after":
            asyncio.ensure_future(self.later(0.1, rpc_answer(999, text_result("unasked"))))
        if name == "arm_unsolicited":
            self.armed = True
        return True

    async def ask_sampling(self, rid):
        """Asks the client to sample before answering, as a server may."""
        srv_id, ev = sampling_request()
        await self.send(SSE_HEAD + ev)
        try:
            await asyncio.wait_for(answered[srv_id].wait(), ANSWER_WAIT_S)
            got = [a for a in stats["answers"] if a["id"] == srv_id]
            text = "answer: " + json.dumps(got[-1]["error"] or got[-1]["result"])
        except asyncio.TimeoutError:
            text = "no answer"
        final = json.dumps({"jsonrpc": "2.0", "id": rid, "result": text_result(text)})
        await self.send(event(final.encode()) + b"0\r\n\r\n")
        return True

    async def listen(self):
        """subscriptions/listen: the stream lives until the client leaves."""
        changed = {"jsonrpc": "2.0", "method": "notifications/resources/list_changed"}
        stats["streams_opened"] += 1
        await self.send(SSE_HEAD + PRIMING + event(json.dumps(changed).encode()))
        await self.hold(IDLE_S)
        stats["streams_closed"] += 1
        return False

    async def bad_sse(self, rid, name):
        progress = {"jsonrpc": "2.0", "method": "notifications/progress",
                    "params": {"progressToken": "t", "progress": 1, "message": "AB"}}
        data = json.dumps(progress).encode()
        if name == "sse_nul":
            first = event(data.replace(b"AB", b"A\0B"))
        else:
            first = chunk(b"retry: 99999999999999999999\ndata: " + data + b"\n\n")
        await self.send(SSE_HEAD + first)
        if await self.hold(SSE_HOLD_S):
            return False
        final = json.dumps({"jsonrpc": "2.0", "id": rid, "result": text_result("done")})
        await self.send(event(final.encode()) + b"0\r\n\r\n")
        return True


async def on_conn(reader, writer):
    stats["conns_opened"] += 1
    conn = Conn(reader, writer)
    try:
        await conn.serve()
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.LimitOverrunError,
            ConnectionError, ValueError):
        pass
    finally:
        stats["conns_closed"] += 1
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--lifetime", type=float, default=300)
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    if not host.startswith("127."):
        sys.exit("hostile_backend: loopback only")
    server = await asyncio.start_server(on_conn, host, int(port), limit=1 << 20,
                                        reuse_address=True, backlog=1024)
    async with server:
        try:
            await asyncio.wait_for(server.serve_forever(), a.lifetime)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    asyncio.run(main())
