"""learn_cases.py - the cases of tests/e2e/learn.sh (kernel.learn_sources).

  learn_cases.py write POLICY GPORT DPORT
      agents kagent and kother (API keys only, ban_action "rst") and
      declared (a key and the policy source 127.0.0.7); learn_sources true,
      learn_idle_s 2.
  learn_cases.py run GPORT SLUICECTL CONTROL
Prints one PASS/FAIL line per case; exits 1 on any failure.
"""
import hashlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from escalation_cases import Conn, init_body, connect_result, wait_until  # noqa: E402

KEYS = {"kagent": "sk-test-learn-kagent-5e1a", "kother": "sk-test-learn-kother-c2b7",
        "declared": "sk-test-learn-declared-90d3"}
IDLE_S = 2
failed = False


def write_policy(path, gport, dport):
    digest = lambda k: hashlib.sha256(k.encode()).hexdigest()
    agents = {n: {"keys_sha256": [digest(k)], "ban_action": "rst"} for n, k in KEYS.items()}
    agents["declared"]["sources"] = ["127.0.0.7/32"]
    p = {
        "version": 1,
        "listen": f"127.0.0.1:{gport}",
        "backends": {"main": {"url": f"http://127.0.0.1:{dport}/mcp"}},
        "kernel": {"protected_ports": [gport], "learn_sources": True, "learn_idle_s": IDLE_S},
        "agents": agents,
    }
    with open(path, "w") as f:
        json.dump(p, f, indent=1)


def case(name, ok, why=""):
    global failed
    print(f"{'PASS' if ok else 'FAIL'}: learn: {name}{'' if ok else ': ' + str(why)[:400]}")
    failed |= not ok


def ctl(sluicectl, *args):
    p = subprocess.run(sluicectl.split() + list(args), capture_output=True, text=True,
                       timeout=20)
    return p.returncode, p.stdout + p.stderr


def ids(sluicectl):
    _, out = ctl(sluicectl, "stats", "--json")
    return {a["name"]: a["id"] for a in json.loads(out).get("agents", [])}


def source(sluicectl, addr):
    """The source table's entry of @addr (exact), or None."""
    _, out = ctl(sluicectl, "sources", "--json")
    for e in json.loads(out or "[]"):
        if e["prefix"] in (addr, addr + "/32"):
            return e
    return None


def bound_to(sluicectl, addr, agent_id):
    e = source(sluicectl, addr)
    return bool(e) and e["identity"] and e["agent_id"] == agent_id


def authed(port, src, agent):
    c = Conn(port, src)
    st, _, _ = c.request(init_body(), KEYS[agent])
    return c, st


def run(port, sluicectl, control):
    aid = ids(sluicectl)
    c, st = authed(port, "127.0.0.20", "kagent")
    case("kagent authenticates by key from 127.0.0.20", st == 200, st)
    case("its source is learned: an identity entry for kagent in the kernel",
         wait_until(lambda: bound_to(sluicectl, "127.0.0.20", aid["kagent"]), 2),
         source(sluicectl, "127.0.0.20"))

    rc, out = ctl(sluicectl, "--control", control, "ban", "kagent", "--for", "60s")
    case("sluicectl ban kagent", rc == 0, out)
    how, took = connect_result(port, "127.0.0.20")
    case("a new connection from the learned source is reset by XDP (the SYN is the agent's)",
         how == "reset" and took < 0.5, (how, took))
    how, _ = connect_result(port, "127.0.0.21")
    case("one from a source it never used still reaches sluiced (which refuses its requests)",
         how == "ok", how)
    ctl(sluicectl, "--control", control, "unban", "kagent")
    c.close()
    case(f"no connection from it for learn_idle_s ({IDLE_S} s): the learned source goes",
         wait_until(lambda: source(sluicectl, "127.0.0.20") is None, IDLE_S + 3),
         source(sluicectl, "127.0.0.20"))

    # --- two agents from one source: learned for neither, no flip-flop ---
    a, st1 = authed(port, "127.0.0.30", "kagent")
    learned = wait_until(lambda: bound_to(sluicectl, "127.0.0.30", aid["kagent"]), 2)
    b, st2 = authed(port, "127.0.0.30", "kother")
    case("kagent then kother from 127.0.0.30", st1 == 200 and st2 == 200 and learned,
         (st1, st2, learned))
    case("the source is then learned for neither",
         wait_until(lambda: source(sluicectl, "127.0.0.30") is None, 2),
         source(sluicectl, "127.0.0.30"))
    a2, st = authed(port, "127.0.0.30", "kagent")
    time.sleep(0.5)
    case("another connection of kagent does not learn it back (no flip-flop)",
         st == 200 and source(sluicectl, "127.0.0.30") is None, source(sluicectl, "127.0.0.30"))
    for x in (a, b, a2):
        x.close()
    time.sleep(IDLE_S + 1.5)
    b, st = authed(port, "127.0.0.30", "kother")
    case("after learn_idle_s without a connection, one agent alone learns it again",
         wait_until(lambda: bound_to(sluicectl, "127.0.0.30", aid["kother"]), 2),
         source(sluicectl, "127.0.0.30"))
    b.close()

    # --- never over the policy ---
    d, st = authed(port, "127.0.0.7", "kother")
    time.sleep(0.5)
    case("a key from a policy-declared source does not override it",
         st == 200 and bound_to(sluicectl, "127.0.0.7", aid["declared"]),
         source(sluicectl, "127.0.0.7"))
    d.close()

    # --- a reload keeps what was learned ---
    h, st = authed(port, "127.0.0.40", "kagent")
    ok = wait_until(lambda: bound_to(sluicectl, "127.0.0.40", aid["kagent"]), 2)
    rc, out = ctl(sluicectl, "--control", control, "reload")
    case("a reload writes the learned sources again", rc == 0 and ok and
         wait_until(lambda: bound_to(sluicectl, "127.0.0.40", aid["kagent"]), 2),
         (rc, out, source(sluicectl, "127.0.0.40")))
    h.close()


def main():
    if sys.argv[1] == "write":
        write_policy(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    run(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
