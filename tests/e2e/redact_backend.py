"""redact_backend.py - a backend for tests/e2e/redact.sh that answers tool
calls with secrets in them: as JSON (tool "json"), as an SSE stream whose
events are written in pieces with pauses between them, so a secret is split
across the gateway's reads (tool "sse"), and as an SSE event that is not
JSON (tool "plain"), and as an SSE event whose JSON cJSON refuses (a lone
surrogate) with the address behind a \\u escape (tool "lone"), and as an
answer in an event named "endpoint" (tool "typed").  Bounded by --lifetime.

  redact_backend.py --listen 127.0.0.1:PORT [--lifetime S]
"""
import argparse
import json
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler

CARD = "4111 1111 1111 1111"          # passes Luhn
NOT_CARD = "4111 1111 1111 1112"      # fails Luhn
MAIL = "ops@example.com"
KEY = "sk_live_0123456789abcdefXYZ"


def result(rid, text, extra=None):
    r = {"content": [{"type": "text", "text": text}]}
    r.update(extra or {})
    return {"jsonrpc": "2.0", "id": rid, "result": r}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        rid, method = body.get("id"), body.get("method")
        if method == "initialize":
            return self.json({"jsonrpc": "2.0", "id": rid, "result": {
                "protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                "serverInfo": {"name": "redact", "version": "1"}}})
        if rid is None:
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        tool = body.get("params", {}).get("name")
        if tool == "json":
            # The big number is beyond a double: relayed as written or not at all.
            text = json.dumps(result(rid, f"card {CARD}, order {NOT_CARD}, mail {MAIL}",
                                     {"big": 0}))
            return self.raw_json(text.replace('"big": 0', '"big": 12345678901234567890'))
        if tool == "sse":
            return self.sse(rid)
        if tool == "mislabel":      # JSON sent as text/plain
            data = json.dumps(result(rid, f"mail {MAIL}")).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if tool == "plain":
            return self.sse_plain(rid)
        if tool == "lone":
            return self.sse_lone(rid)
        if tool == "typed":
            self.sse_head()
            text = json.dumps(result(rid, "mail " + MAIL))
            self.chunk(f"event: endpoint\ndata: {text}\n\n".encode())
            return self.chunk(b"")
        self.json({"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "no"}})

    def json(self, obj):
        self.raw_json(json.dumps(obj))

    def raw_json(self, text):
        data = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def sse_head(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def sse(self, rid):
        self.sse_head()
        note = json.dumps({"jsonrpc": "2.0", "method": "notifications/message",
                           "params": {"level": "info", "data": f"contact {MAIL} now"}})
        event = f"data: {note}\n\n".encode()
        cut = event.index(b"@example") + 3          # inside the address
        self.chunk(event[:cut])
        time.sleep(0.3)
        self.chunk(event[cut:])
        final = f"data: {json.dumps(result(rid, 'paid with ' + CARD))}\n\n".encode()
        cut = final.index(b"1111 1111") + 4          # inside the card number
        self.chunk(final[:cut])
        time.sleep(0.3)
        self.chunk(final[cut:])
        self.chunk(b"")

    def sse_plain(self, rid):
        self.sse_head()
        self.chunk(f"data: key {KEY} in plain text\n\n".encode())
        self.chunk(f"data: {json.dumps(result(rid, 'done'))}\n\n".encode())
        self.chunk(b"")

    def sse_lone(self, rid):
        # JSON.parse reads this (and decodes the escape); cJSON does not.
        text = json.dumps(result(rid, "mail " + MAIL.replace("@", "\\u0040") + " \\udc00"))
        self.sse_head()
        self.chunk(f"data: {text.replace(chr(92) * 2, chr(92))}\n\n".encode())
        self.chunk(b"")


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--lifetime", type=float, default=120)
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    srv = Server((host, int(port)), Handler)
    threading.Timer(a.lifetime, srv.shutdown).start()
    srv.serve_forever()
