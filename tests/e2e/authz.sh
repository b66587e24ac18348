#!/bin/bash
# authz.sh - who may call what, end to end: sluiced with policies/example.json's
# agents (their demo keys) in front of sluice-demo-backend and
# tests/e2e/hostile_backend.py, which logs the headers it receives; a third
# sluiced also takes JWT bearer tokens (HS256, a secret made per run).
# tests/e2e/authz_cases.py holds the cases.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

SLUICED=$PWD/$BUILD/sluiced
DEMO=$PWD/$BUILD/sluice-demo-backend
[ -x "$SLUICED" ] && [ -x "$DEMO" ] || die "build first: $SLUICED, $DEMO"
TMP=$(mktemp -d /tmp/sluice-authz.XXXXXX)
on_exit "rm -rf '$TMP'"
export PYTHONDONTWRITEBYTECODE=1

DPORT=$(free_port)
HPORT=$(free_port)
G1=$(free_port)
G2=$(free_port)
G3=$(free_port)

"$DEMO" --listen "127.0.0.1:$DPORT" 2>"$TMP/demo.log" &
E2E_PIDS+=($!)
python3 tests/e2e/hostile_backend.py --listen "127.0.0.1:$HPORT" --lifetime 120 \
	>"$TMP/hostile.log" 2>&1 &
E2E_PIDS+=($!)
wait_for "the demo backend" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$DPORT" ||
	die "demo backend did not start"
wait_for "the hostile backend" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$HPORT" ||
	die "hostile backend did not start"

# policy FILE PORT ANALYTICS_PORT BILLING_PORT: example.json on loopback ports.
policy() {
	python3 - "$@" <<'PY'
import json, sys
out, port, analytics, billing = sys.argv[1:5]
p = json.load(open("policies/example.json"))
if out.endswith("g2.json"):     # g2 names its context headers itself
    p["context_headers"] = {"agent": "X-Caller", "customer": "x-tenant", "plan": "X-Tier"}
    # the hostile backend's tool that asks the agent to sample (server_requests)
    p["tools"]["ask_sampling"] = {"class": "read"}
    p["tools"]["ask_sampling_json"] = {"class": "read"}
p["listen"] = f"127.0.0.1:{port}"
p.pop("admin", None)
p["backends"]["analytics"]["url"] = f"http://127.0.0.1:{analytics}/mcp"
p["backends"]["billing"]["url"] = f"http://127.0.0.1:{billing}/mcp"
# Rate limits and budgets have their own test (limits.sh): here they would
# only refuse the many calls of the authorization cases.
for section in ("plans", "agents", "tools"):
    for item in p.get(section, {}).values():
        item.pop("limits", None)
        item.pop("budget", None)
json.dump(p, open(out, "w"), indent=1)
PY
}
policy "$TMP/g1.json" "$G1" "$DPORT" "$HPORT" || die "policy g1"
policy "$TMP/g2.json" "$G2" "$HPORT" "$HPORT" || die "policy g2"
# g3: both backends on the hostile one, and JWT bearer tokens from one HS256
# issuer whose secret is made here; update_account needs two token scopes.
JWT_SECRET=$(openssl rand -hex 32) || die "openssl rand"
policy "$TMP/g3.json" "$G3" "$HPORT" "$HPORT" || die "policy g3"
python3 - "$TMP/g3.json" "$G3" "$JWT_SECRET" <<'PY' || die "policy g3 (auth)"
import base64, json, sys
out, port, secret = sys.argv[1:4]
p = json.load(open(out))
k = base64.urlsafe_b64encode(secret.encode()).rstrip(b"=").decode()
p["auth"] = {"resource": f"http://127.0.0.1:{port}/mcp",
             "jwt": {"issuers": {"test": {
                 "issuer": "https://issuer.sluice.test", "algorithms": ["HS256"],
                 "keys": [{"kty": "oct", "kid": "k1", "k": k}], "plan_claim": "plan"}}}}
p["tools"]["update_account"]["scopes"] = ["accounts:write", "admin"]
json.dump(p, open(out, "w"), indent=1)
PY

GW_PIDS=()
# g2 logs at debug level: a refused batch notification is dropped, and only
# its log says so.
for g in g1 g2 g3; do
	"$SLUICED" --policy "$TMP/$g.json" --workers 2 --control "$TMP/$g.sock" \
		--pin-dir "$TMP/no-kernel" $([ $g = g2 ] && echo -v) >"$TMP/$g.log" 2>&1 &
	E2E_PIDS+=($!)
	GW_PIDS+=($!)
done
wait_for "sluiced g1" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$G1" || die "$(tail -3 "$TMP/g1.log")"
wait_for "sluiced g2" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$G2" || die "$(tail -3 "$TMP/g2.log")"
wait_for "sluiced g3" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$G3" || die "$(tail -3 "$TMP/g3.log")"

check "a policy with agents is no open gateway (no warning)" \
	bash -c "! grep -q 'OPEN GATEWAY' '$TMP/g1.log'"
python3 tests/e2e/authz_cases.py "$G1" "$G2" "$HPORT" "$G3" "$JWT_SECRET" || E2E_FAILED=1
check "a refused batch notification is dropped, and the debug log says so" \
	grep -q 'batch element 1 refused (agents.gpt-analyst.tools.allow), dropped unanswered (a notification)' "$TMP/g2.log"
check "a refused batch request is answered by the gateway, and the debug log says so" \
	grep -q 'batch element 1 refused (agents.gpt-analyst.tools.allow), answered by the gateway' "$TMP/g2.log"

# The open gateway warns, at start and in policy check.
python3 - "$TMP/open.json" <<'PY'
import json, sys
p = json.load(open("policies/example.json")); p.pop("agents"); p.pop("admin", None)
p["listen"] = "127.0.0.1:1"
json.dump(p, open(sys.argv[1], "w"))
PY
check "policy check warns about an open gateway" \
	bash -c "'$SLUICECTL' policy check '$TMP/open.json' 2>&1 | grep -q 'no agents: OPEN GATEWAY'"
# Under SAN=1: no memory error or undefined behaviour in either daemon.
for i in 0 1 2; do
	kill -TERM "${GW_PIDS[$i]}" && wait "${GW_PIDS[$i]}"
	RC[$i]=$?
done
check "every sluiced exits 0 after SIGTERM" test "${RC[0]}${RC[1]}${RC[2]}" = 000
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP'/g?.log"
exit $E2E_FAILED
