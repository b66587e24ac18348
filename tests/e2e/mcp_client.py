"""mcp_client.py - raw HTTP/1.1 client helpers for the hardening tests
(tests/e2e/hostile_cases.py, tests/e2e/resource_cases.py).

Raw sockets, not an HTTP library: the tests pipeline requests, stop reading,
and must tell a stream that was cut from one that ended properly.
"""
import json
import os
import socket
import subprocess
import time

HOST = "127.0.0.1"


class CaseFailed(Exception):
    """A case's assertion failed; the message says what was observed."""


def expect(cond, why):
    if not cond:
        raise CaseFailed(why)


def rpc(rid, method, params=None):
    msg = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        msg["params"] = params
    return json.dumps(msg)


def call(rid, tool, args=None):
    return rpc(rid, "tools/call", {"name": tool, "arguments": args or {}})


INIT = rpc(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "hardening-test", "version": "1"}})


def request(port, method="POST", path="/mcp", body=b"", headers=None, chunked=False):
    """The bytes of one request to the gateway on @port."""
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}",
             "Accept: application/json, text/event-stream"]
    if method == "POST":
        lines.append("Content-Type: application/json")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        payload = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n" if body else b"0\r\n\r\n"
    else:
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        payload = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def connect(port, timeout=5.0, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((HOST, port))
    return s


class Response:
    """One HTTP response as read off a socket.

    complete: the body ended as its framing says (Content-Length reached,
    or the last chunk "0\\r\\n\\r\\n" came); closed: the peer closed (EOF or
    reset) before we stopped reading; timed_out: neither happened in time.
    """

    def __init__(self):
        self.status = None
        self.headers = {}
        self.body = b""
        self.complete = self.closed = self.timed_out = False
        self.leftover = b""

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def sse_data(self):
        """The data lines of an SSE body, joined per event (raw bytes)."""
        events = []
        for block in self.body.replace(b"\r\n", b"\n").split(b"\n\n"):
            data = [ln[5:].lstrip(b" ") for ln in block.split(b"\n") if ln.startswith(b"data:")]
            if data:
                events.append(b"\n".join(data))
        return events

    def __repr__(self):
        return (f"<{self.status} complete={self.complete} closed={self.closed} "
                f"timed_out={self.timed_out} body={self.body[:200]!r}>")


class Reader:
    """Reads responses from one connection, keeping what follows a response."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    def _more(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or self.eof:
            return None
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return None
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
        return data

    def _need(self, r, deadline, cond):
        """Reads until cond() or EOF or the deadline; False if not satisfied."""
        while not cond():
            data = self._more(deadline)
            if data is None:
                r.timed_out = not self.eof
                r.closed = self.eof
                return False
            if not data:
                r.closed = True
                return False
            self.buf += data
        return True

    def head(self, timeout=5.0):
        """A response's status and headers only (a stream's head)."""
        return self.response(timeout, head_only=True)

    def response(self, timeout=5.0, head_only=False):
        r = Response()
        deadline = time.monotonic() + timeout
        if not self._need(r, deadline, lambda: b"\r\n\r\n" in self.buf):
            return r
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        r.status = int(lines[0].split()[1])
        for line in lines[1:]:
            k, v = line.split(":", 1)
            r.headers[k.strip().lower()] = v.strip()
        if r.status // 100 == 1 and r.status != 101:
            return self.response(deadline - time.monotonic(), head_only)
        if head_only:
            return r
        if r.headers.get("transfer-encoding", "").lower() == "chunked":
            self._chunked(r, deadline)
        elif "content-length" in r.headers:
            n = int(r.headers["content-length"])
            if self._need(r, deadline, lambda: len(self.buf) >= n):
                r.body, self.buf = self.buf[:n], self.buf[n:]
                r.complete = True
            else:
                r.body = self.buf
        else:   # delimited by close
            self._need(r, deadline, lambda: False)
            r.body, self.buf = self.buf, b""
        return r

    def _chunked(self, r, deadline):
        while True:
            if not self._need(r, deadline, lambda: b"\r\n" in self.buf):
                return
            line, rest = self.buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            if not self._need(r, deadline, lambda: len(self.buf) >= len(line) + 4 + size):
                return
            self.buf = rest
            r.body += self.buf[:size]
            self.buf = self.buf[size + 2:]
            if size == 0:
                r.complete = True
                return

    def closed_within(self, timeout):
        """True when the peer closes within @timeout (what it sends is kept)."""
        r = Response()
        self._need(r, time.monotonic() + timeout, lambda: False)
        return r.closed


def exchange(port, raw, timeout=5.0):
    """Sends @raw on a fresh connection and reads one response."""
    with connect(port, timeout) as s:
        s.sendall(raw)
        return Reader(s).response(timeout)


def post(port, body, sid=None, timeout=5.0, path="/mcp"):
    headers = {"Mcp-Session-Id": sid} if sid else None
    return exchange(port, request(port, "POST", path, body, headers), timeout)


def initialize(port):
    r = post(port, INIT)
    expect(r.status == 200 and "mcp-session-id" in r.headers, f"initialize: {r}")
    return r.headers["mcp-session-id"]


def backend_stats(bport):
    with connect(bport) as s:
        s.sendall(f"GET /_stats HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        return Reader(s).response().json()


def backend_reset(bport):
    with connect(bport) as s:
        s.sendall(f"POST /_reset HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n".encode())
        Reader(s).response()


def requests_with(stats, **match):
    return [q for q in stats["requests"] if all(q.get(k) == v for k, v in match.items())]


def expect_answer(r, rid, status=200):
    """A JSON-RPC answer to request @rid (a result, not an error)."""
    body = r.json()
    expect(r.status == status and r.complete and isinstance(body, dict) and
           body.get("id") == rid and "result" in body, f"request {rid}: got {r}")


PROTOCOL_CODE = -32052
PROTOCOL_PREFIX = "backend broke the protocol"


def expect_protocol_error(r, rid):
    """The answer to a backend protocol error found before the client's head
    was sent: 502, no Retry-After (retrying will not help), and a JSON-RPC
    error with the request's id, code -32052 and a message that starts with
    "backend broke the protocol"."""
    body = r.json()
    expect(r.status == 502, f"status {r.status}, want 502: {r}")
    expect("retry-after" not in r.headers, f"Retry-After: {r.headers.get('retry-after')}")
    expect(isinstance(body, dict) and isinstance(body.get("error"), dict),
           f"not a JSON-RPC error: {r.body[:200]!r}")
    err = body["error"]
    expect(body.get("id") == rid, f"id {body.get('id')!r}, want {rid}")
    expect(err.get("code") == PROTOCOL_CODE, f"code {err.get('code')}, want {PROTOCOL_CODE}")
    expect(str(err.get("message", "")).startswith(PROTOCOL_PREFIX),
           f"message {err.get('message')!r} does not start with {PROTOCOL_PREFIX!r}")


def proc_status(pid, field):
    """A /proc/PID/status field's number (VmRSS: kB)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise CaseFailed(f"no {field} for pid {pid}")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid):
    """utime + stime of @pid, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def holds_peer(pid, gport, cport):
    """Does @pid still hold its socket of the connection from port @cport?"""
    out = subprocess.run(["ss", "-tnpH", "state", "all",
                          f"( sport = :{gport} and dport = :{cport} )"],
                         capture_output=True, text=True).stdout
    return f"pid={pid}," in out


def run_cases(test, cases, names, *args):
    """Runs the named cases in order, one "PASS: test: what" or
    "FAIL: test: what: why" line each (the format of tests/e2e/lib.sh).
    Returns the exit status: 1 when any failed."""
    failed = 0
    for name in names:
        fn = cases[name]
        try:
            fn(*args)
            print(f"PASS: {test}: {fn.what}", flush=True)
        except (CaseFailed, OSError, ValueError, KeyError, TypeError, IndexError) as e:
            why = str(e) if isinstance(e, CaseFailed) else f"{type(e).__name__}: {e}"
            print(f"FAIL: {test}: {fn.what}: {why}", flush=True)
            failed = 1
    return failed
