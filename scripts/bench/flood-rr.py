#!/usr/bin/env python3
"""flood-rr.py - the legitimate client of scripts/bench/flood.sh.

  flood-rr.py serve ADDR PORT LIFETIME_S
      answers each 64-byte request with the same 64 bytes, one thread per
      connection; exits after LIFETIME_S seconds whatever happens.
  flood-rr.py client ADDR PORT BIND_ADDR RATE DURATION_S
      one TCP connection, one 64-byte request every 1/RATE s for DURATION_S
      seconds, each answer awaited for at most 1 s (a late or lost answer is
      a failed request, and the client reconnects); prints one JSON line:
      {"requests", "ok", "failed", "p50_ms", "p99_ms", "max_ms"}.
"""
import json
import socket
import sys
import threading
import time

MSG = 64
ANSWER_TIMEOUT_S = 1.0


def serve(addr, port, lifetime):
    srv = socket.create_server((addr, port), reuse_port=False)
    srv.settimeout(0.2)
    end = time.monotonic() + lifetime

    def echo(conn):
        conn.settimeout(max(0.1, end - time.monotonic()))
        with conn:
            try:
                while True:
                    data = conn.recv(MSG)
                    if not data:
                        return
                    conn.sendall(data)
            except OSError:
                return

    while time.monotonic() < end:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def connect(addr, port, bind):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((bind, 0))
    s.settimeout(ANSWER_TIMEOUT_S)
    s.connect((addr, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def one_request(s):
    s.sendall(b"r" * MSG)
    got = 0
    while got < MSG:
        data = s.recv(MSG - got)
        if not data:
            raise OSError("closed")
        got += len(data)


def percentile(sorted_ms, q):
    if not sorted_ms:
        return None
    i = min(len(sorted_ms) - 1, max(0, int(round(q * len(sorted_ms) + 0.5)) - 1))
    return round(sorted_ms[i], 3)


def client(addr, port, bind, rate, duration):
    lat, failed, requests = [], 0, 0
    start = time.monotonic()
    end = start + duration
    s = None
    while True:
        due = start + requests / rate
        now = time.monotonic()
        if due >= end:
            break
        if due > now:
            time.sleep(due - now)
        requests += 1
        t0 = time.monotonic()
        try:
            if s is None:
                s = connect(addr, port, bind)
            one_request(s)
            lat.append((time.monotonic() - t0) * 1000)
        except OSError:
            failed += 1
            if s is not None:
                s.close()
            s = None
    if s is not None:
        s.close()
    lat.sort()
    print(json.dumps({"requests": requests, "ok": len(lat), "failed": failed,
                      "p50_ms": percentile(lat, 0.50), "p99_ms": percentile(lat, 0.99),
                      "max_ms": round(lat[-1], 3) if lat else None}))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif len(sys.argv) == 7 and sys.argv[1] == "client":
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]),
               min(float(sys.argv[6]), 300.0))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
