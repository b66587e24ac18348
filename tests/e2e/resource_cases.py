#!/usr/bin/env python3
"""resource_cases.py - the client side of tests/e2e/resources.sh: what one
client can make sluiced hold (memory, descriptors, sessions, the main
thread).  Usage: resource_cases.py SCENARIO GPORT BPORT PID [ARG...]

A scenario runs once and judges several things; it prints one line per
judgement in the format of tests/e2e/lib.sh ("PASS: resources: ..." /
"FAIL: resources: ...: why") and exits 1 when any failed.  With VERBOSE=1
in the environment, PASS lines are followed by what was measured.
"""
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time

from mcp_client import (INIT, Reader, call, connect, cpu_seconds, fd_count, holds_peer,
                        initialize, post, proc_status, request, requests_with, backend_reset,
                        backend_stats)

MIB_KB = 1024           # VmRSS is in kB
# Under ASan (BUILD=build-san) every freed block waits in the allocator's
# quarantine (256 MiB by default) before its memory is used again, so RSS
# grows with what sluiced allocates and frees, not only with what it holds:
# the bound is doubled there.  The normal build keeps 16 MiB.
RSS_GROWTH_KB = (32 if os.environ.get("BUILD") == "build-san" else 16) * MIB_KB
WRITE_TIMEOUT_S = 1.0   # limits.write_timeout_ms in the policy of resources.sh
CLOSE_SLACK_S = 2.0

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


class Verdicts:
    def __init__(self):
        self.failed = 0

    def judge(self, what, ok, why=""):
        if ok:
            print(f"PASS: resources: {what}", flush=True)
            if os.environ.get("VERBOSE"):
                print(f"    ({why})", flush=True)
        else:
            print(f"FAIL: resources: {what}: {why}", flush=True)
            self.failed = 1


class Prober(threading.Thread):
    """Another client, served throughout: a fresh connection every 250 ms,
    each call answered 200 within 1 s.  Also samples sluiced's RSS."""

    def __init__(self, gport, pid):
        super().__init__(daemon=True)
        self.gport, self.pid = gport, pid
        self.stop = threading.Event()
        self.bad = []
        self.n = 0
        self.rss0 = self.rss_peak = proc_status(pid, "VmRSS")

    def sample(self):
        try:
            self.rss_peak = max(self.rss_peak, proc_status(self.pid, "VmRSS"))
        except OSError:
            pass

    def run(self):
        next_probe = 0.0
        while not self.stop.is_set():
            self.sample()
            now = time.monotonic()
            if now >= next_probe:
                next_probe = now + 0.25
                self.n += 1
                t0 = time.monotonic()
                try:
                    r = post(self.gport, call(self.n, "echo"), timeout=1.0)
                    ok = r.status == 200 and r.complete
                except OSError as e:
                    r, ok = e, False
                if not ok:
                    self.bad.append(f"probe {self.n} after {time.monotonic() - t0:.2f} s: {r}")
            time.sleep(0.05)

    def finish(self):
        """Stops probing; returns the RSS growth seen (kB)."""
        self.stop.set()
        self.join()
        self.sample()
        return self.rss_peak - self.rss0


def send_for(sock, data_fn, seconds, limit, gap=0.0):
    """Sends what the peer takes, without blocking, for @seconds or until
    @limit bytes; each piece data_fn() gives is its own send, @gap seconds
    after the last one ended.  Returns the bytes sent."""
    sock.setblocking(False)
    sent, end, data = 0, time.monotonic() + seconds, b""
    while sent < limit and time.monotonic() < end:
        if not data:
            if gap:
                time.sleep(gap)
            data = data_fn()
            if not data:
                break
        try:
            n = sock.send(data)
        except BlockingIOError:
            select.select([], [sock], [], 0.05)
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += n
        data = data[n:]
    return sent


# A 60000-byte text: the answer, headers included, fits in one 64 KiB read
# of the backend, so each exchange ends within one read (nothing pauses it).
ANSWER_BYTES = 60000


def big_calls(gport, n):
    """A data_fn for send_for: @n calls with ANSWER_BYTES answers, one by one."""
    calls = iter([request(gport, body=call(i, "big", {"size": ANSWER_BYTES}))
                  for i in range(1, n + 1)])
    return lambda: next(calls, b"")


def wait_dropped(pid, gport, cport, until):
    """Polls until sluiced no longer holds the connection from @cport."""
    while time.monotonic() < until:
        if not holds_peer(pid, gport, cport):
            return True
        time.sleep(0.05)
    return not holds_peer(pid, gport, cport)


def judge_unread(v, label, prober, pid, gport, cport, t_stalled, sent_note):
    dropped = wait_dropped(pid, gport, cport, t_stalled + WRITE_TIMEOUT_S + CLOSE_SLACK_S)
    took = time.monotonic() - t_stalled
    growth = prober.finish()
    v.judge(f"{label}: sluiced's RSS grows by less than {RSS_GROWTH_KB // MIB_KB} MiB",
            growth < RSS_GROWTH_KB,
            f"grew by {growth / MIB_KB:.1f} MiB ({sent_note})")
    v.judge(f"{label}: closed within write_timeout_ms + 2 s", dropped,
            f"still open {took:.1f} s after the client stopped reading")
    v.judge(f"{label}: another client is served within 1 s throughout", not prober.bad,
            "; ".join(prober.bad[:3]) + f" ({len(prober.bad)} of {prober.n} probes failed)")


@scenario
def flood_after_answers(gport, bport, pid):
    """6a: a client that never reads sends 80 calls with ~60 KiB answers
    (more than the kernel buffers take: answers stay queued in sluiced),
    then junk as fast as it can.  sluiced stops reading above
    limits.client_buffer_bytes, closes the client after
    limits.write_timeout_ms without progress, and serves others meanwhile."""
    v = Verdicts()
    prober = Prober(gport, pid)
    prober.start()
    s = connect(gport, rcvbuf=4096)
    cport = s.getsockname()[1]
    send_for(s, big_calls(gport, 80), 2.0, 1 << 30, gap=0.002)
    t0 = time.monotonic()
    junk = b"X" * 65536
    sent = send_for(s, lambda: junk, 2.0, 64 << 20)
    judge_unread(v, "a non-reading client that floods", prober, pid, gport, cport, t0,
                 f"the client pushed {sent / (1 << 20):.1f} MiB of junk in 2 s")
    s.close()
    return v.failed


@scenario
def pipelined_unread(gport, bport, pid):
    """6b: 1,500 pipelined calls with ~60 KiB answers, each its own send, on
    a client that never reads.  sluiced stops parsing while a client's
    queue is above limits.client_buffer_bytes (it does not buffer 90 MiB of
    answers), closes it after limits.write_timeout_ms, and serves others
    meanwhile."""
    v = Verdicts()
    backend_reset(bport)
    prober = Prober(gport, pid)
    prober.start()
    s = connect(gport, rcvbuf=4096)
    cport = s.getsockname()[1]
    sent = send_for(s, big_calls(gport, 1500), 5.0, 1 << 30, gap=0.002)
    t_sent = time.monotonic()
    judge_unread(v, "1,500 pipelined 60 KiB answers unread", prober, pid, gport, cport,
                 t_sent, f"{sent} request bytes taken; the backend answered "
                 f"{backend_stats(bport)['tools'].get('big', 0)} calls")
    s.close()
    return v.failed


@scenario
def streams_closed(gport, bport, pid):
    """7: 64 GET streams of one source, opened then closed by the client.
    A stream whose client has gone closes its upstream at once: within 2 s
    sluiced's descriptors are back near the baseline, the backend saw all
    64 closed, and the source is served again (not 429)."""
    v = Verdicts()
    sid = initialize(gport)
    time.sleep(0.2)
    backend_reset(bport)
    base = fd_count(pid)
    socks = []
    for _ in range(64):
        s = connect(gport, timeout=3)
        s.sendall(request(gport, "GET", "/mcp", headers={"Mcp-Session-Id": sid}))
        socks.append(s)
    heads = sum(1 for s in socks if Reader(s).head(3).status == 200)
    opened = backend_stats(bport)["streams_opened"]
    during = fd_count(pid)
    for s in socks:
        s.close()
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        fds, st = fd_count(pid), backend_stats(bport)
        if fds <= base + 4 and st["streams_closed"] >= 64:
            break
        time.sleep(0.1)
    fds, st = fd_count(pid), backend_stats(bport)
    v.judge("64 closed GET streams: descriptors back to the baseline within 2 s", fds <= base + 4,
            f"baseline {base}, {during} with the streams open, {fds} 2 s after they closed "
            f"({opened} streams reached the backend, {heads} heads)")
    v.judge("64 closed GET streams: the backend sees all 64 closed", st["streams_closed"] >= 64,
            f"{st['streams_closed']} of {st['streams_opened']} closed")
    r = post(gport, call(7, "echo"), timeout=2)
    v.judge("64 closed GET streams: the source is served again", r.status == 200,
            f"got {r.status}: {r.body[:100]!r}")
    return v.failed


@scenario
def descriptors_exhausted(gport, bport, pid):
    """8: sluiced runs with 64 descriptors (soft and hard) and the breaker's
    failure_threshold 1.  80 held client connections exhaust them: the
    accept loop does not spin (< 0.3 s CPU over 2 s); a request made
    meanwhile may fail, but a local EMFILE is not a backend failure, so
    after the release a new client is served and answered 200."""
    v = Verdicts()
    held = []
    for _ in range(80):
        try:
            held.append(connect(gport, timeout=2))
        except OSError:
            break
    time.sleep(0.5)
    c0 = cpu_seconds(pid)
    time.sleep(2.0)
    spent = cpu_seconds(pid) - c0
    v.judge("out of descriptors: the accept loop does not spin (< 0.3 s CPU in 2 s)",
            spent < 0.3, f"{spent:.2f} s of CPU in 2 s with {len(held)} connections held")
    meanwhile = "no connection"
    try:
        if held:
            held[0].sendall(request(gport, body=call(81, "echo")))
            meanwhile = Reader(held[0]).response(2).status
    except OSError as e:
        meanwhile = str(e)
    for s in held:
        s.close()
    time.sleep(0.5)
    try:
        r = post(gport, call(82, "echo"), timeout=2)
    except OSError as e:
        r = e
    served = getattr(r, "status", None) is not None
    v.judge("out of descriptors: after the release a new client is served", served, f"{r}")
    v.judge("out of descriptors: the breaker did not open (the next call is answered 200)",
            served and r.status == 200 and (r.json() or {}).get("id") == 82,
            f"got {r} (the call made while exhausted got {meanwhile})")
    return v.failed


@scenario
def session_table_full(gport, bport, pid):
    """9a: limits.max_sessions 8.  A victim holds a session with an open GET
    stream; an attacker creates sessions until refused.  The refusal is
    503 with a JSON-RPC error saying the session table is full, and the
    victim's session still works (its POST is answered 200, not 404)."""
    v = Verdicts()
    victim = initialize(gport)
    stream = connect(gport, timeout=3)
    stream.sendall(request(gport, "GET", "/mcp", headers={"Mcp-Session-Id": victim}))
    head = Reader(stream).head(2)
    refused, seen = None, []
    for _ in range(24):
        r = post(gport, INIT, timeout=2)
        seen.append(r.status)
        if r.status != 200:
            refused = r
            break
    err = ((refused.json() or {}).get("error") or {}) if refused else {}
    msg = str(err.get("message", "")).lower()
    v.judge("a full session table refuses a new session: 503, 'session table full'",
            refused is not None and refused.status == 503 and "session" in msg and "full" in msg,
            f"statuses {seen}; last {refused}")
    r = post(gport, call(92, "echo"), sid=victim, timeout=2)
    v.judge("a full session table: the victim's live session still works",
            r.status == 200 and (r.json() or {}).get("id") == 92,
            f"victim's POST got {r} (its stream head: {head.status})")
    stream.close()
    return v.failed


def legacy_session(gport):
    s = connect(gport, timeout=3)
    s.sendall(request(gport, "GET", "/sse"))
    r = Reader(s).response(0.5)
    events = r.sse_data()
    m = re.match(rb"/message\?sessionId=([0-9A-Za-z_-]+)$", events[0]) if events else None
    if not m:
        raise OSError(f"no endpoint event: {r}")
    return s, m.group(1).decode()


@scenario
def legacy_session_deleted(gport, bport, pid):
    """9b: a legacy session ends with its /sse stream: after the client
    closes the stream, POST /message?sessionId=<it> gets 404 at once, and
    the backend never sees that POST."""
    v = Verdicts()
    s, sid = legacy_session(gport)
    path = f"/message?sessionId={sid}"
    r = post(gport, call(93, "echo"), path=path, timeout=2)
    live = r.status
    s.close()
    time.sleep(0.3)
    backend_reset(bport)
    r = post(gport, call(94, "echo"), path=path, timeout=2)
    time.sleep(0.1)
    fwd = [q for q in backend_stats(bport)["requests"] if q["method"] == "POST"]
    v.judge("a legacy session ends with its /sse stream (404, not forwarded)",
            r.status == 404 and not fwd,
            f"got {r.status} after the stream closed ({live} while it was open); "
            f"the backend saw {fwd}")
    return v.failed


@scenario
def session_idle(gport, bport, pid):
    """9c: limits.session_idle_ms 1000.  A Streamable HTTP session unused
    for 2.5 s with no open stream is forgotten (its POST gets 404 and is
    not forwarded); one with an open GET stream never expires."""
    v = Verdicts()
    idle, live = initialize(gport), initialize(gport)
    stream = connect(gport, timeout=3)
    stream.sendall(request(gport, "GET", "/mcp", headers={"Mcp-Session-Id": live}))
    Reader(stream).head(2)
    time.sleep(2.5)
    backend_reset(bport)
    r = post(gport, call(95, "echo"), sid=idle, timeout=2)
    fwd = requests_with(backend_stats(bport), sid=idle)
    v.judge("an idle session expires after session_idle_ms (404, not forwarded)",
            r.status == 404 and not fwd, f"got {r.status}; the backend saw {fwd}")
    r = post(gport, call(96, "echo"), sid=live, timeout=2)
    v.judge("a session with an open stream does not expire", r.status == 200,
            f"got {r}")
    stream.close()
    return v.failed


def exited_within(pid, seconds):
    """True once @pid has exited (a zombie until its parent waits) within @seconds."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


@scenario
def sigterm_with_clients(gport, bport, pid):
    """12: SIGTERM while clients are connected: one idle, one in the middle
    of its headers, one with a Streamable HTTP GET stream and one with a
    legacy /sse stream (their heads relayed, the streams open), and one that
    does not read its queued answers.  sluiced exits within 5 s; resources.sh
    then checks its exit status is 0, which under SAN=1 means that nothing
    was leaked (clients and exchanges are freed after the loop stopped)."""
    v = Verdicts()
    sid = initialize(gport)
    held = [connect(gport, timeout=3) for _ in range(4)] + [connect(gport, 3, rcvbuf=4096)]
    idle, partial, stream, legacy, unread = held
    partial.sendall(request(gport, body=call(1, "echo"))[:40])
    stream.sendall(request(gport, "GET", "/mcp", headers={"Mcp-Session-Id": sid}))
    legacy.sendall(request(gport, "GET", "/sse"))
    heads = [Reader(s).head(3).status for s in (stream, legacy)]
    send_for(unread, big_calls(gport, 40), 1.0, 1 << 30)
    time.sleep(0.5)
    os.kill(pid, 15)
    gone = exited_within(pid, 5.0)
    for s in held:
        s.close()
    v.judge("SIGTERM with clients connected (two streams open): sluiced exits within 5 s",
            gone and heads == [200, 200], f"exited: {gone}; stream heads {heads}")
    return v.failed


def ctl_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(path)
    return s


def read_all(s, timeout):
    data, end = b"", time.monotonic() + timeout
    while time.monotonic() < end:
        s.settimeout(max(end - time.monotonic(), 0.01))
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


@scenario
def control_trickle(gport, bport, pid, ctl, sluicectl):
    """11: the control socket has a deadline.  A client that sends one byte
    every 0.9 s is disconnected within 3 s, and meanwhile
    `sluicectl daemon` is answered within 1 s (the main thread is free)."""
    v = Verdicts()
    s = ctl_connect(ctl)
    s.setblocking(False)
    gone = threading.Event()
    t0 = time.monotonic()

    def trickle():
        while time.monotonic() - t0 < 4.5 and not gone.is_set():
            try:
                s.send(b"s")
                if s.recv(4096) == b"":
                    gone.set()
            except BlockingIOError:
                pass
            except OSError:
                gone.set()
            if not gone.is_set():
                time.sleep(0.9)
        s.close()

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    time.sleep(1.0)
    c0 = time.monotonic()
    try:
        out = subprocess.run([sluicectl, "--control", ctl, "daemon"], capture_output=True,
                             text=True, timeout=2.5)
        took, answer = time.monotonic() - c0, (out.returncode, out.stdout.strip())
    except subprocess.TimeoutExpired:
        took, answer = time.monotonic() - c0, "no answer in 2.5 s"
    while not gone.is_set() and time.monotonic() - t0 < 3.0:
        time.sleep(0.05)
    gone_at = time.monotonic() - t0
    v.judge("control: a client trickling a byte every 0.9 s is disconnected within 3 s",
            gone.is_set() and gone_at <= 3.0, f"still connected after {gone_at:.1f} s")
    v.judge("control: sluicectl daemon is answered within 1 s meanwhile",
            took < 1.0 and isinstance(answer, tuple) and answer[0] == 0,
            f"took {took:.1f} s: {answer}")
    t.join()
    return v.failed


@scenario
def control_no_newline(gport, bport, pid, ctl, sluicectl):
    """11: a command without a newline is not dropped in silence: after the
    client's shutdown(SHUT_WR) it is answered; a client that keeps the
    connection open gets an answer or an explicit error line before the
    close."""
    v = Verdicts()
    s = ctl_connect(ctl)
    s.sendall(b"status")
    s.shutdown(socket.SHUT_WR)
    data, _ = read_all(s, 3)
    s.close()
    v.judge("control: a command ended by shutdown, not a newline, is answered",
            re.match(rb"(ok|error)\b", data) is not None, f"got {data!r}")
    s = ctl_connect(ctl)
    s.sendall(b"status")
    data, closed = read_all(s, 4)
    s.close()
    v.judge("control: a command without a newline gets an answer or an error line, not silence",
            re.match(rb"(ok|error)\b", data) is not None,
            f"got {data!r}, {'closed' if closed else 'still open after 4 s'}")
    return v.failed


if __name__ == "__main__":
    if len(sys.argv) < 5 or sys.argv[1] not in SCENARIOS:
        sys.exit("usage: resource_cases.py SCENARIO GPORT BPORT PID [ARG...]\nscenarios: " +
                 " ".join(SCENARIOS))
    args = [int(a) for a in sys.argv[2:5]] + sys.argv[5:]
    sys.exit(SCENARIOS[sys.argv[1]](*args))
