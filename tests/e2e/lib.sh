# tests/e2e/lib.sh - shared by the end-to-end tests (sourced, not run).
#
# Cases print "PASS: <test>: <case>" / "FAIL: <test>: <case>: <why>".
# Hosts are network namespaces this test creates, addressed in 198.18.0.0/15;
# teardown runs on every exit and removes only what this run created.

BUILD=${BUILD:-build}
SLUICECTL=${SLUICECTL:-$PWD/$BUILD/sluicectl}
E2E_NAME=${E2E_NAME:-$(basename "$0" .sh)}
E2E_FAILED=0
E2E_NETNS=()
E2E_PIDS=()
E2E_CLEANUP=()

pass() { echo "PASS: $E2E_NAME: $1"; }
fail() { echo "FAIL: $E2E_NAME: $1: $2"; E2E_FAILED=1; }

# check "case" command...: PASS when the command succeeds.
check() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(echo "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# check_not "case" command...: PASS when the command fails.
check_not() {
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then
		fail "$name" "succeeded: $*"
	else
		pass "$name"
	fi
}

# A fatal set-up failure: the case fails, the rest of the test cannot run.
die() {
	fail "setup" "$1"
	exit 1
}

# Runs a command inside netns $1 without remounting /sys, so the bpffs pins
# stay visible (`ip netns exec` remounts /sys and hides them).
in_ns() {
	local ns=$1; shift
	nsenter --net="/run/netns/$ns" "$@"
}

netns_add() {
	ip netns add "$1" || die "ip netns add $1"
	E2E_NETNS+=("$1")
	in_ns "$1" ip link set lo up
}

# Starts a command in netns $1 in the background; nsenter execs it, so the
# recorded pid is the command's own and teardown can end it.
bg_in_ns() {
	local ns=$1; shift
	nsenter --net="/run/netns/$ns" "$@" </dev/null >/dev/null 2>&1 &
	E2E_PIDS+=($!)
}

on_exit() { E2E_CLEANUP+=("$*"); }

teardown() {
	local i
	for ((i = ${#E2E_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${E2E_CLEANUP[$i]}" >/dev/null 2>&1
	done
	for pid in "${E2E_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for ns in "${E2E_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
}
trap teardown EXIT

require_root() {
	[ "$(id -u)" = 0 ] || die "needs root (CAP_BPF, CAP_NET_ADMIN)"
	mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf ||
		die "cannot mount bpffs"
}

# A free TCP port on 127.0.0.1 (the kernel picks one; the race until the
# test binds it is harmless on a test host).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for "what" seconds command...: polls until the command succeeds.
wait_for() {
	local what=$1 secs=$2; shift 2
	local end=$((SECONDS + secs))
	while ((SECONDS < end)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "timed out waiting for $what" >&2
	return 1
}

# --- real MCP software (tests/mcp) ------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# mcp_everything PORT TRANSPORT LOG: server-everything (tests/mcp/start-everything.sh)
# on 127.0.0.1:PORT, stopped at exit.
mcp_everything() {
	local pid
	pid=$(SE_LOG="$3" "$PWD/tests/mcp/start-everything.sh" "$1" "$2") || return 1
	E2E_PIDS+=("$pid")
}

# mcp_sluiced DIR NAME PORT BACKEND_PORT [AGENTS_JSON]: sluiced on 127.0.0.1:PORT
# in front of http://127.0.0.1:BACKEND_PORT/mcp, its policy DIR/NAME.json (with
# "agents": AGENTS_JSON when given, checked by sluicectl first), its output in
# DIR/NAME.log; stopped at exit.
mcp_sluiced() {
	local dir=$1 name=$2 port=$3 backend=$4 agents=${5:-} more=""
	[ -z "$agents" ] || more=", \"agents\": $agents"
	cat >"$dir/$name.json" <<EOJ
{ "version": 1, "listen": "127.0.0.1:$port",
  "backends": { "everything": { "url": "http://127.0.0.1:$backend/mcp", "timeout_ms": 5000 } }
  $more }
EOJ
	if [ -n "$agents" ]; then
		"$SLUICECTL" policy check "$dir/$name.json" >"$dir/$name.log" 2>&1 || return 1
	fi
	"$PWD/$BUILD/sluiced" --policy "$dir/$name.json" --workers 2 --control "$dir/$name.sock" \
		--pin-dir "$dir/no-kernel" >>"$dir/$name.log" 2>&1 &
	E2E_PIDS+=($!)
	wait_for "sluiced $name" 5 port_open "$port"
}

# mcp_key AGENT: a new API key from `sluicectl key new`, printed "KEY DIGEST".
mcp_key() {
	"$SLUICECTL" key new "$1" --json | jq -r '"\(.key) \(.sha256)"'
}

# --- the kernel half on a namespace's lo ----------------------------------------------

# kernel_ns SHORT: a private namespace slSHORT$$ ($NS), pin directory ($PIN,
# exported as SLUICE_PIN_DIR) and scratch directory ($TMP), all removed at
# exit; sluiced and the demo backend run in $SLUICED and $DEMO.
kernel_ns() {
	SLUICED=$PWD/$BUILD/sluiced
	DEMO=$PWD/$BUILD/sluice-demo-backend
	[ -x "$SLUICED" ] && [ -x "$DEMO" ] && [ -x "$SLUICECTL" ] || die "build first"
	NS=sl$1$$
	PIN=/sys/fs/bpf/sluice-e2e-$1-$$
	TMP=$(mktemp -d "/tmp/sluice-$1.XXXXXX")
	on_exit "rm -rf '$TMP'"
	on_exit "rm -rf '$PIN'"
	export SLUICE_PIN_DIR=$PIN PYTHONDONTWRITEBYTECODE=1
	netns_add "$NS"
	on_exit "in_ns '$NS' '$SLUICECTL' detach lo"
}

# ns_attach_lo: generic XDP on $NS's lo, pinned in $PIN.
ns_attach_lo() {
	in_ns "$NS" "$SLUICECTL" attach lo --mode generic >"$TMP/attach.log" 2>&1 ||
		die "attach: $(cat "$TMP/attach.log")"
}

ns_port_open() { in_ns "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# ns_demo_backend PORT: the demo backend on $NS's 127.0.0.1:PORT, up.
ns_demo_backend() {
	bg_in_ns "$NS" "$DEMO" --listen "127.0.0.1:$1"
	wait_for "the demo backend" 10 ns_port_open "$1" || die "demo backend did not start"
}
