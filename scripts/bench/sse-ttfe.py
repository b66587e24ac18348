#!/usr/bin/env python3
"""sse-ttfe.py - time to first SSE event, for scripts/bench/l7-overhead.sh.

usage: sse-ttfe.py HOST PORT SESSION_ID N

Sends N tools/call export_report requests (with a progressToken, so the
answer is an SSE stream of progress notifications, then the result) one
after another on one keep-alive connection, and for each measures the time
from the request's last byte sent to the end of the first complete event
received ("\\n\\n" after the response head), then reads the stream to its
end (the terminating chunk).  Prints one line:

  TTFE n=N events=E min_us=.. p50_us=.. max_us=.. total_ms=..

where E is the events seen in the last stream.  Bounded: every socket
operation times out after 10 s.  Only talks to the address it is given
(l7-overhead.sh passes 127.0.0.1).
"""
import socket
import sys
import time


def request(host, port, sid, i):
    body = ('{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"export_report",'
            '"arguments":{"report_id":"r%d"},"_meta":{"progressToken":"t%d"}}}' % (i, i, i))
    head = ("POST /mcp HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
            "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-06-18\r\n"
            "Mcp-Session-Id: %s\r\nContent-Length: %d\r\n\r\n" % (host, port, sid, len(body)))
    return (head + body).encode()


def one(sock, req):
    """Returns (ttfe_ns, events) for one streamed answer."""
    buf = b""
    sock.sendall(req)
    t0 = time.perf_counter_ns()
    ttfe = None
    head_end = -1
    while True:
        data = sock.recv(65536)
        if not data:
            raise RuntimeError("connection closed mid-stream")
        buf += data
        if head_end < 0:
            head_end = buf.find(b"\r\n\r\n")
            if head_end >= 0:
                head = buf[:head_end].decode("latin-1")
                if " 200 " not in head.split("\r\n", 1)[0] or \
                        "text/event-stream" not in head.lower():
                    raise RuntimeError("not an SSE answer: " + head.split("\r\n", 1)[0])
        if ttfe is None and head_end >= 0 and buf.find(b"\n\n", head_end + 4) >= 0:
            ttfe = time.perf_counter_ns() - t0
        # The stream ends with the terminating chunk.
        if head_end >= 0 and buf.endswith(b"\r\n0\r\n\r\n"):
            break
    return ttfe, sum(1 for line in buf[head_end + 4:].split(b"\n") if line.startswith(b"data:"))


def main():
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    host, port, sid, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    sock = socket.create_connection((host, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = time.perf_counter_ns()
    samples, events = [], 0
    for i in range(n):
        ttfe, events = one(sock, request(host, port, sid, i + 1))
        samples.append(ttfe)
    sock.close()
    total_ms = (time.perf_counter_ns() - start) / 1e6
    samples.sort()
    print("TTFE n=%d events=%d min_us=%d p50_us=%d max_us=%d total_ms=%d" % (
        n, events, samples[0] // 1000, samples[len(samples) // 2] // 1000,
        samples[-1] // 1000, total_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
