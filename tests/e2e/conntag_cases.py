"""conntag_cases.py - the cases of tests/e2e/conntag.sh.

  conntag_cases.py write POLICY GPORT DPORT
      writes the policy: agents alpha and beta (API keys only: no source
      identifies them in the kernel), pkts (plan with a packet budget of 20
      a second), bytes (plan with a byte budget of 4000 a second), free (no
      budget); protected port GPORT.
  conntag_cases.py tags GPORT PIN SLUICECTL
      a held connection is tagged with its agent's id, re-tagged when its
      identity changes, untagged on close.
  conntag_cases.py churn GPORT PIN N SECONDS
      opens and closes N authenticated connections (4 processes, bounded in
      time), then checks that no tag is left.
  conntag_cases.py hold GPORT AGENT
      holds one authenticated connection until killed (prints "held").
  conntag_cases.py count PIN EXPECTED
      checks the number of tags.
  conntag_cases.py budgets GPORT SLUICECTL
      a tagged connection of an agent over its plan's packet or byte budget
      has its packets dropped by XDP; an agent without one has none dropped.
Prints one PASS/FAIL line per case; exits 1 on any failure.
"""
import hashlib
import json
import multiprocessing
import os
import socket
import struct
import subprocess
import sys
import time

KEYS = {"alpha": "sk-test-tag-alpha-1b9e", "beta": "sk-test-tag-beta-6d02",
        "pkts": "sk-test-tag-pkts-a4c1", "bytes": "sk-test-tag-bytes-93fe",
        "free": "sk-test-tag-free-0c57"}
failed = False


def write_policy(path, gport, dport):
    digest = lambda k: hashlib.sha256(k.encode()).hexdigest()
    agents = {n: {"keys_sha256": [digest(k)]} for n, k in KEYS.items()}
    agents["pkts"]["plan"] = "metered_pkts"
    agents["bytes"]["plan"] = "metered_bytes"
    p = {
        "version": 1,
        "listen": f"127.0.0.1:{gport}",
        "backends": {"main": {"url": f"http://127.0.0.1:{dport}/mcp"}},
        "kernel": {"protected_ports": [gport]},
        "limits": {"max_connections_per_source": 1024, "max_connections": 4096},
        "plans": {"metered_pkts": {"kernel": {"packets": {"rate": 20, "burst": 20}}},
                  "metered_bytes": {"kernel": {"bytes": {"rate": 4000, "burst": 4000}}}},
        "agents": agents,
        "tools": {"get_pricing": {"class": "read"}},
    }
    with open(path, "w") as f:
        json.dump(p, f, indent=1)


def case(name, ok, why=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: conntag: {name}{'' if ok else ': ' + str(why)[:400]}")
    failed |= not ok


def wait_until(pred, secs, step=0.05):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


# --- the maps, read with bpftool ---------------------------------------------------------

def dump(pin, name):
    out = subprocess.run(["bpftool", "map", "dump", "pinned", f"{pin}/{name}", "-j"],
                         capture_output=True, text=True, timeout=30).stdout
    return json.loads(out or "[]")


def raw(v):
    return bytes(int(b, 16) for b in v)


def tags(pin):
    """[(saddr, sport, daddr, dport, agent_id)] of the IPv4 tags."""
    res = []
    for e in dump(pin, "sl_conn_tags_v4"):
        k, v = raw(e["key"]), raw(e["value"])
        saddr, daddr, sport, dport, _ = struct.unpack("!4s4sHHI", k[:16])
        agent_id = struct.unpack("<I", v[:4])[0]
        res.append((socket.inet_ntoa(saddr), sport, socket.inet_ntoa(daddr), dport, agent_id))
    return res


def put_stale_tag(pin, agent_id):
    """A tag no connection of this daemon owns: 198.18.77.1:4242 -> 127.0.0.1:80."""
    key = struct.pack("!4s4sHHI", socket.inet_aton("198.18.77.1"), socket.inet_aton("127.0.0.1"),
                      4242, 80, 0)
    key = key[:12] + struct.pack("<I", socket.IPPROTO_TCP)
    val = struct.pack("<I", agent_id).ljust(16, b"\0")
    hexes = lambda b: [f"0x{x:02x}" for x in b]
    subprocess.run(["bpftool", "map", "update", "pinned", f"{pin}/sl_conn_tags_v4",
                    "key", *hexes(key), "value", *hexes(val)], check=True, timeout=30)


def n_tags(pin):
    return len(dump(pin, "sl_conn_tags_v4")) + len(dump(pin, "sl_conn_tags_v6"))


def agents(sluicectl):
    out = subprocess.run(sluicectl.split() + ["stats", "--json"], capture_output=True,
                         text=True, timeout=20).stdout
    return {a["name"]: a for a in json.loads(out).get("agents", [])}


# --- HTTP on a raw socket -------------------------------------------------------------------

def request(s, port, key, method="GET", body=b"", sid="no-such-session"):
    h = [f"{method} /mcp HTTP/1.1", f"Host: 127.0.0.1:{port}",
         "Accept: application/json, text/event-stream", "Authorization: Bearer " + key]
    if sid:
        h.append("Mcp-Session-Id: " + sid)
    if method == "POST":
        h += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    s.sendall(("\r\n".join(h) + "\r\n\r\n").encode() + body)


def response(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    n = 0
    for ln in head.decode().split("\r\n")[1:]:
        k, _, v = ln.partition(":")
        if k.strip().lower() == "content-length":
            n = int(v)
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError
        rest += chunk
    return int(head.split()[1])


def authed(port, key, src="127.0.0.1"):
    """A connection with one authenticated request answered (a GET naming an unknown
    session: 404 after the identity is established, no backend involved)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(src, 0))
    request(s, port, key)
    return s, response(s)


def hard_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


# --- cases --------------------------------------------------------------------------------

def run_tags(port, pin, sluicectl):
    ids = {n: a["id"] for n, a in agents(sluicectl).items()}
    case("the agents have kernel ids", all(ids.get(n) for n in KEYS), ids)
    case("no tag before any connection", n_tags(pin) == 0, tags(pin))
    s, st = authed(port, KEYS["alpha"], "127.0.0.5")
    local = s.getsockname()
    t = tags(pin)
    case("an authenticated request answered (404: no such session)", st == 404, st)
    case("the held connection is tagged: agent address:port -> gateway:port, alpha's id",
         t == [("127.0.0.5", local[1], "127.0.0.1", port, ids.get("alpha"))], (t, local))
    request(s, port, KEYS["alpha"])
    response(s)
    case("a second request of the same identity leaves the one tag", tags(pin) == t, tags(pin))
    request(s, port, KEYS["beta"])
    st = response(s)
    t2 = tags(pin)
    case("a request with another identity re-tags the connection (the last identity)",
         st == 404 and t2 == [("127.0.0.5", local[1], "127.0.0.1", port, ids.get("beta"))], t2)
    s.close()
    case("the tag goes when the connection closes", wait_until(lambda: n_tags(pin) == 0, 2),
         tags(pin))
    s, st = authed(port, "sk-not-a-key", "127.0.0.5")
    case("an unauthenticated request (401) tags nothing", st == 401 and n_tags(pin) == 0,
         (st, tags(pin)))
    s.close()


def churn_worker(args):
    port, src, n, deadline = args
    done = 0
    key = KEYS["alpha"] if src.endswith("1") or src.endswith("3") else KEYS["beta"]
    while done < n and time.monotonic() < deadline:
        try:
            s, st = authed(port, key, src)
        except OSError:
            time.sleep(0.01)
            continue
        hard_close(s)   # no TIME_WAIT: 25000 ports a source, reused
        if st == 404:
            done += 1
    return done


def run_churn(port, pin, n, secs):
    deadline = time.monotonic() + secs
    srcs = [f"127.0.1.{i}" for i in range(1, 5)]
    t0 = time.monotonic()
    with multiprocessing.Pool(4) as pool:
        done = pool.map(churn_worker, [(port, s, n // 4, deadline) for s in srcs])
    took = time.monotonic() - t0
    print(f"# {sum(done)} authenticated connections opened and closed in {took:.1f} s",
          flush=True)
    case(f"{n} authenticated connections opened and closed within {secs} s",
         sum(done) == n, done)
    case("no tag is left after them", wait_until(lambda: n_tags(pin) == 0, 3),
         n_tags(pin))


def hold(port, name, again=None):
    """Holds an authenticated connection; once the file @again exists, makes one more
    request on it, and once @again.close exists, closes it and returns."""
    s, st = authed(port, KEYS[name], "127.0.0.6")
    print("held" if st == 404 else f"status {st}", flush=True)
    while not again:
        time.sleep(60)
    while not os.path.exists(again):
        time.sleep(0.05)
    request(s, port, KEYS[name])
    print(f"again {response(s)}", flush=True)
    while not os.path.exists(again + ".close"):
        time.sleep(0.05)
    s.close()


def drops(sluicectl, name):
    return agents(sluicectl).get(name, {}).get("drops", -1)


def burst_packets(port, key, n):
    """One tagged connection, then @n tiny writes, each its own packet."""
    s, st = authed(port, key)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(0.5)
    s.send(b"GET /mcp HTTP/1.1\r\nX-Pad: ")
    for _ in range(n):      # a header value a byte a packet: the reader waits for more
        try:
            s.send(b"a")
        except OSError:
            break
        time.sleep(0.001)
    hard_close(s)
    return st


def big_body(port, key, size):
    s, st = authed(port, key)
    s.settimeout(3)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "get_pricing", "arguments": {"pad": "x" * size}}})
    try:
        request(s, port, key, "POST", body.encode(), sid=None)
        response(s)
        answered = True
    except (OSError, EOFError):
        answered = False
    hard_close(s)
    return st, answered


def run_budgets(port, sluicectl):
    before = {n: drops(sluicectl, n) for n in ("pkts", "bytes", "free")}
    st = burst_packets(port, KEYS["free"], 200)
    case("an agent without a budget: 200 packets on its tagged connection, none dropped",
         st == 404 and drops(sluicectl, "free") == before["free"],
         (st, before["free"], drops(sluicectl, "free")))
    st = burst_packets(port, KEYS["pkts"], 200)
    after = drops(sluicectl, "pkts")
    case("a key-authenticated agent over its plan's packet budget: XDP drops its "
         "tagged connection's packets", st == 404 and after - before["pkts"] >= 10,
         (st, before["pkts"], after))
    st, answered = big_body(port, KEYS["bytes"], 200000)
    after = drops(sluicectl, "bytes")
    case("a key-authenticated agent over its plan's byte budget: XDP drops its "
         "tagged connection's packets (a 200 kB body at 4000 B/s does not get through "
         "in 3 s)", st == 404 and not answered and after > before["bytes"],
         (st, answered, before["bytes"], after))
    st, answered = big_body(port, KEYS["free"], 200000)
    case("the same body from an agent without a budget is answered", answered, answered)


def main():
    cmd = sys.argv[1]
    if cmd == "write":
        write_policy(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "tags":
        run_tags(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif cmd == "churn":
        run_churn(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "hold":
        hold(int(sys.argv[2]), sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    elif cmd == "n":
        print(n_tags(sys.argv[2]))
    elif cmd == "count":
        n = n_tags(sys.argv[2])
        case(sys.argv[4], n == int(sys.argv[3]), n)
    elif cmd == "stale":
        put_stale_tag(sys.argv[2], 1)
    elif cmd == "budgets":
        run_budgets(int(sys.argv[2]), sys.argv[3])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
