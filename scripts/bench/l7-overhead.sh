#!/usr/bin/env bash
# l7-overhead.sh - what sluiced costs on the request path, next to nginx as a
# plain keep-alive reverse proxy and the backend called directly, in one run.
#
#   1. MCP tools/call (get_dashboard {"dashboard_id":"revenue","range":"7d"})
#      with wrk + scripts/bench/l7-mcp.lua: req/s, p50, p99, and CPU
#      microseconds per request of the proxy process (and of the backend)
#      from /proc/PID/task/*/schedstat (ns on CPU, all threads/processes
#      summed) divided by the requests wrk completed.  Four targets: the
#      backend directly, nginx, sluiced with a minimal policy (one backend, no
#      agents) and "sluiced+policy": sluiced with policies/example.json
#      (backends, listen and admin moved to the bench's ports; every rate
#      limit and budget raised out of reach but kept, so every call of the
#      run is judged by them and allowed; its first agent's key replaced by
#      one made here, which wrk sends in X-API-Key): each call is
#      authenticated, authorized, its arguments validated (a pattern, an
#      enum), counted against its rate limits and budgets, its answer
#      redacted, an audit record written (audit.jsonl) and its usage added
#      to the ledger (usage.db), both in the bench's temp dir;
#   2. SSE relay: tools/call export_report with a progressToken (5 events per
#      call, backend --sse-delay-ms 0) with wrk: events relayed per second and
#      proxy CPU per event;
#   3. time to first SSE event: export_report against a second backend with
#      --sse-delay-ms $SSE_DELAY_MS (the stream lasts 4 delays, the first event
#      comes at once), N calls one after another, scripts/bench/sse-ttfe.py.
#
# Every target gets RUNS runs of DUR seconds (interleaved: direct, nginx,
# sluiced, sluiced+policy, direct, ...) after a 1 s warm-up; the table shows
# medians.  SSE and TTFE run without sluiced+policy.  Hosts differ, so the
# ratios to nginx are given for CPU per request as well as req/s; the last
# two lines are "sluiced+policy/nginx req/s ratio: X.XX" and
# "sluiced+policy/nginx CPU/request ratio: X.XX" (tools/call; the target is
# >= 1.00 and <= 1.00).
#
# Pinning (2 cores): the servers - backend and the proxy under test - run on
# SERVER_CPU (default 0), the load generator (wrk, 1 thread; the TTFE client)
# on CLIENT_CPU (default 1).  Direct: backend alone on CPU 0.  Proxied: proxy
# and backend share CPU 0, so req/s shows the proxy's cost on the serving
# core while wrk never competes with it.  Same worker count everywhere:
# WORKERS (default 1) backend workers = nginx worker_processes = sluiced
# --workers.  Set BACKEND_CPU to give the backend its own core on bigger hosts.
#
# Environment: DUR=5 RUNS=3 CONNS=32 WORKERS=1 SSE_DUR=3 TTFE_N=9
#   SSE_DELAY_MS=200 POOL=64 (idle upstream connections kept per worker, both
#   proxies) SERVER_CPU=0 CLIENT_CPU=1 BACKEND_CPU=$SERVER_CPU BUILD=build
#   KEEP=1 (keep the temp dir with configs and every wrk log)
#   QUIET_WAIT=N (on a shared host: wait up to N s for it to be <= 5% busy).
# Needs wrk, nginx (nginx-light), python3, curl, taskset (scripts/deps.sh).
# Only 127.0.0.1, free ports, bounded time (defaults: about 100 s).  Every
# process it starts is stopped by PID on exit.  Prints numbers; never fails
# on one (it fails only when something does not start or answer).  A server
# that dies is reported in a WARNING line (exit status, signal); sluiced is
# then started again so the remaining measurements still run.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
DUR=${DUR:-5}
RUNS=${RUNS:-3}
CONNS=${CONNS:-32}
WORKERS=${WORKERS:-1}
SSE_DUR=${SSE_DUR:-3}
TTFE_N=${TTFE_N:-9}
SSE_DELAY_MS=${SSE_DELAY_MS:-200}
POOL=${POOL:-64}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BACKEND_CPU=${BACKEND_CPU:-$SERVER_CPU}
KEEP=${KEEP:-0}
QUIET_WAIT=${QUIET_WAIT:-0}
LUA=$ROOT/scripts/bench/l7-mcp.lua
TTFE=$ROOT/scripts/bench/sse-ttfe.py
PROTO=2025-06-18
TARGETS="direct nginx sluiced"		# SSE and time to first event
CALL_TARGETS="$TARGETS sluiced+policy"	# tools/call

log() { echo "l7-overhead: $*" >&2; }
die() { log "$*"; exit 1; }

for cmd in wrk nginx python3 curl taskset; do
	command -v "$cmd" >/dev/null 2>&1 || die "needs $cmd (scripts/deps.sh installs it)"
done
make -s --no-print-directory "$BUILD/sluiced" "$BUILD/sluice-demo-backend" >&2

TMP=$(mktemp -d /tmp/sluice-l7.XXXXXX)
PIDS=()
declare -A PID	# name -> PID of what start() started

cleanup() {
	local pid i
	trap - EXIT INT TERM
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -TERM "${PIDS[i]}" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ "$KEEP" = 1 ]; then
		log "logs and configs kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers ---------------------------------------------------------------

# N distinct free ports on 127.0.0.1 (held open together while chosen).
free_ports() {
	python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	die "nothing listens on 127.0.0.1:$1 (see $TMP/*.log)"
}

# ns on CPU of every thread of every PID given.
cpu_ns() {
	local p
	for p in "$@"; do
		cat /proc/"$p"/task/*/schedstat 2>/dev/null || true
	done | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# Busy share of all CPUs over 1 s, in percent (before anything of ours runs).
busy_pct() {
	local a b
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
	echo "$a $b" | awk '{ d = $4 - $2; printf "%.0f\n", (d > 0) ? 100 * ($3 - $1) / d : 0 }'
}

median() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (!NR) print "nan"; else if (NR % 2) print a[(NR + 1) / 2];
		else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

mcp_post() {	# port session body [curl args...]
	local port=$1 sid=$2 body=$3
	shift 3
	curl -sS --max-time 10 "$@" ${API_KEY:+-H "X-API-Key: $API_KEY"} -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "MCP-Protocol-Version: $PROTO" \
		${sid:+-H "Mcp-Session-Id: $sid"} -d "$body" "http://127.0.0.1:$port/mcp"
}

# initialize + notifications/initialized on @port; prints the session id.
init_session() {
	local port=$1 sid
	sid=$(mcp_post "$port" "" '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"'$PROTO'","capabilities":{},"clientInfo":{"name":"l7-overhead","version":"1"}}}' \
		-D - -o /dev/null | tr -d '\r' | awk 'tolower($1) == "mcp-session-id:" { print $2 }')
	[ -n "$sid" ] || die "no Mcp-Session-Id from initialize on port $port"
	mcp_post "$port" "$sid" '{"jsonrpc":"2.0","method":"notifications/initialized"}' -o /dev/null
	echo "$sid"
}

CALL_BODY='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_dashboard","arguments":{"dashboard_id":"revenue","range":"7d"}}}'
SSE_BODY='{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"export_report","arguments":{"report_id":"q3"},"_meta":{"progressToken":"bench"}}}'

# --- start everything -------------------------------------------------------

BUSY=$(busy_pct)
waited=0
while [ "$BUSY" -gt 5 ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
	log "host ${BUSY}% busy; waiting for it to calm down (QUIET_WAIT=$QUIET_WAIT s)"
	sleep 4
	waited=$((waited + 5))
	BUSY=$(busy_pct)
done
[ "$BUSY" -le 5 ] || log "WARNING: the host is already ${BUSY}% busy: other load skews every number"
read -r B0 B1 N0 N0S N1 S0 S1 P0 PA <<<"$(free_ports 9)"

start() {	# name cpu cmd...
	local name=$1 cpu=$2
	shift 2
	taskset -c "$cpu" "$@" >"$TMP/$name.log" 2>&1 &
	PIDS+=($!)
	PID[$name]=$!
}

start backend0 "$BACKEND_CPU" "$BUILD/sluice-demo-backend" --listen "127.0.0.1:$B0" --workers "$WORKERS"
start backend1 "$BACKEND_CPU" "$BUILD/sluice-demo-backend" --listen "127.0.0.1:$B1" \
	--workers "$WORKERS" --sse-delay-ms "$SSE_DELAY_MS"

mkdir -p "$TMP/nginx/logs" "$TMP/nginx/tmp"
cat >"$TMP/nginx/nginx.conf" <<EOF
# l7-overhead.sh: nginx as a plain keep-alive reverse proxy.
$( [ "$(id -u)" = 0 ] && echo "user root;" )
daemon off;
master_process on;
worker_processes $WORKERS;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/tmp/body;
	proxy_temp_path $TMP/nginx/tmp/proxy;
	fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
	uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
	scgi_temp_path $TMP/nginx/tmp/scgi;
	keepalive_requests 100000000;
	keepalive_timeout 60s;
	upstream backend0 {
		server 127.0.0.1:$B0;
		keepalive $POOL;
		keepalive_requests 100000000;
	}
	upstream backend1 {
		server 127.0.0.1:$B1;
		keepalive $POOL;
		keepalive_requests 100000000;
	}
	proxy_http_version 1.1;
	proxy_set_header Connection "";
	# tools/call: nginx's defaults (response buffering on).
	server {
		listen 127.0.0.1:$N0;
		location / { proxy_pass http://backend0; }
	}
	# SSE: streamed, as any SSE proxy must be.
	server {
		listen 127.0.0.1:$N0S;
		location / { proxy_pass http://backend0; proxy_buffering off; }
	}
	server {
		listen 127.0.0.1:$N1;
		location / { proxy_pass http://backend1; proxy_buffering off; }
	}
}
EOF
start nginx "$SERVER_CPU" nginx -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log"

start_sluiced() {	# 0|1
	local i=$1 bport sport
	bport=$([ "$i" = 0 ] && echo "$B0" || echo "$B1")
	sport=$([ "$i" = 0 ] && echo "$S0" || echo "$S1")
	cat >"$TMP/sluiced$i.json" <<EOF
{
  "version": 1,
  "listen": "127.0.0.1:$sport",
  "workers": $WORKERS,
  "backends": { "main": { "url": "http://127.0.0.1:$bport/mcp", "pool_size": $POOL } }
}
EOF
	start "sluiced$i" "$SERVER_CPU" "$BUILD/sluiced" --policy "$TMP/sluiced$i.json" \
		--listen "127.0.0.1:$sport" --workers "$WORKERS" --control "$TMP/sluiced$i.sock" \
		--pin-dir "$TMP/no-pins" --usage-db "$TMP/usage$i.db"
}
start_sluiced 0
start_sluiced 1

# sluiced+policy: policies/example.json, changed only where a benchmark
# must: its ports, its backends (both on backend0), rate limits and budgets
# out of reach (kept, so they cost what they cost, but refusing nothing in a
# run), and its first agent's key made here.
API_KEY_POLICY=bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
start_sluiced_policy() {
	python3 - "$ROOT/policies/example.json" "$TMP/sluiced-policy.json" "$P0" "$PA" "$B0" \
		"$WORKERS" "$POOL" "$API_KEY_POLICY" <<'PY'
import hashlib, json, sys
src, dst, port, admin, backend, workers, pool, key = sys.argv[1:]
p = json.load(open(src))
p["listen"] = "127.0.0.1:" + port
p["admin"] = "127.0.0.1:" + admin
p["workers"] = int(workers)
for b in p["backends"].values():
    b["url"] = "http://127.0.0.1:%s/mcp" % backend
    b["pool_size"] = int(pool)
def out_of_reach(periods):
    for k in periods:
        periods[k] = 10**9
for section in ("plans", "agents", "tools", "customers"):
    for v in p.get(section, {}).values():
        lim = v.get("limits")
        if lim and section == "tools":
            out_of_reach(lim)
        elif lim:
            for periods in lim.values():
                out_of_reach(periods)
        if "budget" in v:
            v["budget"] = {"per_day": 10**12, "per_month": 10**12}
# The audit sink and the usage ledger on, in the bench's temp dir.
p["audit"] = {"jsonl": dst.rsplit("/", 1)[0] + "/audit.jsonl"}
p["usage"] = {"path": dst.rsplit("/", 1)[0] + "/usage.db"}
first = next(iter(p["agents"].values()))
first["keys_sha256"] = [hashlib.sha256(key.encode()).hexdigest()]
json.dump(p, open(dst, "w"), indent=1)
PY
	start sluiced_policy "$SERVER_CPU" "$BUILD/sluiced" --policy "$TMP/sluiced-policy.json" \
		--listen "127.0.0.1:$P0" --workers "$WORKERS" --control "$TMP/sluiced-policy.sock" \
		--pin-dir "$TMP/no-pins" --usage-db "$TMP/usage.db"
}
start_sluiced_policy

for p in $B0 $B1 $N0 $N0S $N1 $S0 $S1 $P0; do wait_port "$p"; done
# nginx: the master and its workers.
NGINX_PIDS="${PID[nginx]} $(pgrep -P "${PID[nginx]}" | tr '\n' ' ')"

port_of() {	# test target
	case "$1:$2" in
	call:direct | sse:direct) echo "$B0" ;;
	call:nginx) echo "$N0" ;;
	sse:nginx) echo "$N0S" ;;
	call:sluiced | sse:sluiced) echo "$S0" ;;
	call:sluiced+policy) echo "$P0" ;;
	ttfe:direct) echo "$B1" ;;
	ttfe:nginx) echo "$N1" ;;
	ttfe:sluiced) echo "$S1" ;;
	esac
}
proxy_pids() {
	case "$1" in
	direct) echo "" ;;
	nginx) echo "$NGINX_PIDS" ;;
	sluiced) echo "${PID[sluiced0]}" ;;
	sluiced+policy) echo "${PID[sluiced_policy]}" ;;
	esac
}
key_of() {	# target -> the API key it needs, or nothing
	[ "$1" != sluiced+policy ] || echo "$API_KEY_POLICY"
}

# Sessions (one per target and backend) and a check that each path answers.
declare -A SID
EV_PER_CALL=0
for t in $CALL_TARGETS; do
	API_KEY=$(key_of "$t")
	SID[call:$t]=$(init_session "$(port_of call "$t")")
	out=$(mcp_post "$(port_of call "$t")" "${SID[call:$t]}" "$CALL_BODY")
	case "$out" in
	*'"result"'*'MRR $38,047'*) ;;
	*) die "$t: unexpected tools/call answer: $out" ;;
	esac
	[ -n "$API_KEY" ] || continue
	# The key is what lets the call through: without it, the same call is refused.
	out=$(API_KEY= mcp_post "$(port_of call "$t")" "${SID[call:$t]}" "$CALL_BODY" -o /dev/null -w '%{http_code}')
	[ "$out" = 401 ] || die "$t: a call without the key answered HTTP $out, not 401"
done
API_KEY=
for t in $TARGETS; do
	SID[ttfe:$t]=$(init_session "$(port_of ttfe "$t")")
	n=$(mcp_post "$(port_of sse "$t")" "${SID[call:$t]}" "$SSE_BODY" -N | grep -c '^data:' || true)
	[ "$n" -ge 2 ] || die "$t: export_report did not stream ($n events)"
	[ "$EV_PER_CALL" = 0 ] || [ "$n" = "$EV_PER_CALL" ] || die "$t: $n events per call, others $EV_PER_CALL"
	EV_PER_CALL=$n
done

# --- measuring -------------------------------------------------------------------

# One wrk run; appends "rps p50_us p99_us proxy_us backend_us errors other_pct"
# to $TMP/res.TEST.TARGET.
run_wrk() {	# test target seconds body [record]
	local test=$1 t=$2 secs=$3 body=$4 record=${5:-1}
	local port pp p0 b0 h0 line out
	port=$(port_of "$test" "$t")
	pp=$(proxy_pids "$t")
	out="$TMP/wrk.$test.$t.$(date +%s%N).log"
	p0=$(cpu_ns $pp)
	b0=$(cpu_ns "${PID[backend0]}")
	h0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
	L7_SESSION=${SID[call:$t]} L7_BODY=$body L7_API_KEY=$(key_of "$t") \
		L7_PROXY_PIDS=$pp L7_BACKEND_PIDS=${PID[backend0]} \
		taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${secs}s" --timeout 5s --latency \
		-s "$LUA" "http://127.0.0.1:$port/mcp" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
	# A crash as wrk hangs up shows a moment later.
	sleep 0.2
	check_alive "$test/$t" || true
	[ "$record" = 1 ] || return 0
	line=$(grep '^L7STAT' "$out") || die "no L7STAT in $out"
	echo "$line" | awk -v p0="$p0" -v b0="$b0" -v h0="$h0" -v hz="$(getconf CLK_TCK)" -v proxied="${pp:+1}" '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		n = v["requests"]
		err = v["err_connect"] + v["err_read"] + v["err_write"] + v["err_status"] + v["err_timeout"]
		# Other load: all CPUs busy minus proxy, backend and wrk, in % of one CPU.
		secs = v["duration_us"] / 1e6
		ours = (v["proxy_cpu_ns"] - p0 + v["backend_cpu_ns"] - b0) / 1e9 + v["wrk_ticks"] / hz
		other = 100 * ((v["host_busy_ticks"] - h0) / hz - ours) / secs
		printf "%.1f %d %d %s %.2f %d %.0f\n", n / secs, v["p50_us"], v["p99_us"],
			proxied ? sprintf("%.2f", (v["proxy_cpu_ns"] - p0) / 1000 / n) : "nan",
			(v["backend_cpu_ns"] - b0) / 1000 / n, err, other < 0 ? 0 : other
	}' >>"$TMP/res.$test.$t"
}

forget_pid() {	# a reaped PID is no longer ours to signal
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# A server that died: say so (it goes into the report), and for sluiced start
# it again with a new session so the other measurements still run.  The run
# is still recorded: wrk's done() read the CPU counters before hanging up,
# and a death mid-run shows as errors.
check_alive() {	# label of the run just done
	local name st pid died=0
	for name in backend0 backend1 nginx sluiced0 sluiced1 sluiced_policy; do
		pid=${PID[$name]}
		kill -0 "$pid" 2>/dev/null && continue
		st=0
		wait "$pid" 2>/dev/null || st=$?
		forget_pid "$pid"
		echo "$name (pid $pid) died in or right after $1: exit status $st$([ "$st" -gt 128 ] && echo " = signal $((st - 128))")" \
			| tee -a "$TMP/deaths" >&2
		case $name in
		sluiced0)
			start_sluiced 0
			wait_port "$S0"
			SID[call:sluiced]=$(init_session "$S0")
			;;
		sluiced_policy)
			start_sluiced_policy
			wait_port "$P0"
			SID[call:sluiced+policy]=$(API_KEY=$API_KEY_POLICY init_session "$P0")
			;;
		*) die "cannot go on without $name" ;;
		esac
		died=1
	done
	[ "$died" = 0 ]
}

col() {	# file column -> median
	awk -v c="$2" '{ print $c }' "$1" | median
}
maxcol() {	# file column -> largest, as an integer
	awk -v c="$2" 'NR == 1 || $c > m { m = $c } END { printf "%.0f\n", m }' "$1"
}
spread() {	# file column -> "min-max"
	awk -v c="$2" 'NR == 1 || $c < lo { lo = $c } NR == 1 || $c > hi { hi = $c }
		END { printf "%.0f-%.0f\n", lo, hi }' "$1"
}

bench() {	# test seconds body targets
	local test=$1 secs=$2 body=$3 targets=$4 r t
	for t in $targets; do run_wrk "$test" "$t" 1 "$body" 0; done
	for ((r = 1; r <= RUNS; r++)); do
		for t in $targets; do
			log "$test: run $r/$RUNS: $t"
			run_wrk "$test" "$t" "$secs" "$body"
		done
	done
}

START=$(date +%s)
log "ports: backend $B0 (+$B1 delayed), nginx $N0/$N0S/$N1, sluiced $S0/$S1, sluiced+policy $P0; tmp $TMP"
bench call "$DUR" "$CALL_BODY" "$CALL_TARGETS"
bench sse "$SSE_DUR" "$SSE_BODY" "$TARGETS"
for t in $TARGETS; do
	log "ttfe: $t"
	taskset -c "$CLIENT_CPU" python3 "$TTFE" 127.0.0.1 "$(port_of ttfe "$t")" "${SID[ttfe:$t]}" \
		"$TTFE_N" >"$TMP/res.ttfe.$t" || die "ttfe client failed on $t"
	check_alive "ttfe/$t" || true
done

# --- report --------------------------------------------------------------------------

BUSY_AFTER=$(busy_pct)	# servers idle again: anything busy now is not ours

fmt() { awk -v x="$1" -v f="$2" 'BEGIN { if (x == "nan" || x == "") print "-"; else printf f, x }'; }

echo "sluice L7 overhead: $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r)"
echo "servers on CPU $SERVER_CPU (backend on $BACKEND_CPU), wrk 1 thread x $CONNS connections on CPU $CLIENT_CPU;" \
	"$WORKERS worker(s) each; upstream keep-alive pool $POOL; $RUNS runs, medians;" \
	"host ${BUSY}% busy before start, ${BUSY_AFTER}% after the runs"
echo
printf "MCP tools/call get_dashboard, %s s per run\n" "$DUR"
printf "%-14s %10s %15s %9s %9s %17s %19s %7s %8s\n" target "req/s" "(min-max)" "p50 us" "p99 us" \
	"proxy CPU us/req" "backend CPU us/req" errors "other %"
for t in $CALL_TARGETS; do
	f=$TMP/res.call.$t
	printf "%-14s %10s %15s %9s %9s %17s %19s %7s %8s\n" "$t" "$(fmt "$(col "$f" 1)" %.0f)" \
		"$(spread "$f" 1)" "$(fmt "$(col "$f" 2)" %.0f)" "$(fmt "$(col "$f" 3)" %.0f)" \
		"$(fmt "$(col "$f" 4)" %.2f)" "$(fmt "$(col "$f" 5)" %.2f)" \
		"$(awk '{ s += $6 } END { print s + 0 }' "$f")" "$(maxcol "$f" 7)"
done
echo
printf "SSE relay: export_report, %s events per call, backend --sse-delay-ms 0, %s s per run\n" \
	"$EV_PER_CALL" "$SSE_DUR"
printf "%-8s %10s %10s %9s %9s %19s %7s %8s\n" target "calls/s" "events/s" "p50 us" "p99 us" \
	"proxy CPU us/event" errors "other %"
for t in $TARGETS; do
	f=$TMP/res.sse.$t
	rps=$(col "$f" 1)
	printf "%-8s %10s %10s %9s %9s %19s %7s %8s\n" "$t" "$(fmt "$rps" %.0f)" \
		"$(fmt "$(awk -v r="$rps" -v e="$EV_PER_CALL" 'BEGIN { print r * e }')" %.0f)" \
		"$(fmt "$(col "$f" 2)" %.0f)" "$(fmt "$(col "$f" 3)" %.0f)" \
		"$(fmt "$(awk -v x="$(col "$f" 4)" -v e="$EV_PER_CALL" 'BEGIN { print (x == "nan") ? "nan" : x / e }')" %.2f)" \
		"$(awk '{ s += $6 } END { print s + 0 }' "$f")" "$(maxcol "$f" 7)"
done
echo
printf "SSE time to first event: export_report, backend --sse-delay-ms %s, %s calls on one connection\n" \
	"$SSE_DELAY_MS" "$TTFE_N"
printf "%-8s %12s %10s %10s\n" target "median us" "min us" "max us"
for t in $TARGETS; do
	awk -v t="$t" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%-8s %12s %10s %10s\n", t, v["p50_us"], v["min_us"], v["max_us"] }' "$TMP/res.ttfe.$t"
done
echo
OTHER=$(cat "$TMP"/res.call.* "$TMP"/res.sse.* | awk '$7 > m { m = $7 } END { printf "%.0f\n", m }')
[ "$BUSY" -le 5 ] && [ "$BUSY_AFTER" -le 5 ] && [ "$OTHER" -le 10 ] ||
	echo "WARNING: other load on the host (${BUSY}% busy before, ${BUSY_AFTER}% after, up to ${OTHER}% of a CPU during a run): trust CPU us/req more than req/s and p99"
[ ! -s "$TMP/deaths" ] || sed 's/^/WARNING: /' "$TMP/deaths"
errs=$(cat "$TMP"/res.call.* "$TMP"/res.sse.* | awk '{ s += $6 } END { print s + 0 }')
[ "$errs" = 0 ] || echo "WARNING: $errs non-2xx answers or socket errors: these numbers do not measure the proxies"
s_rps=$(col "$TMP/res.call.sluiced" 1)
n_rps=$(col "$TMP/res.call.nginx" 1)
s_cpu=$(col "$TMP/res.call.sluiced" 4)
n_cpu=$(col "$TMP/res.call.nginx" 4)
s_p99=$(col "$TMP/res.call.sluiced" 3)
n_p99=$(col "$TMP/res.call.nginx" 3)
p_rps=$(col "$TMP/res.call.sluiced+policy" 1)
p_cpu=$(col "$TMP/res.call.sluiced+policy" 4)
awk -v a="$s_cpu" -v b="$n_cpu" 'BEGIN { printf "sluiced/nginx CPU per request ratio: %.2f (%.2f us vs %.2f us)\n", a / b, a, b }'
awk -v a="$s_p99" -v b="$n_p99" 'BEGIN { printf "sluiced/nginx p99 ratio: %.2f (%d us vs %d us; target <= 1.00)\n", a / b, a, b }'
log "done in $(($(date +%s) - START)) s of measuring"
awk -v a="$s_rps" -v b="$n_rps" 'BEGIN { printf "sluiced/nginx req/s ratio: %.2f\n", a / b }'
awk -v a="$p_rps" -v b="$n_rps" 'BEGIN { printf "sluiced+policy/nginx req/s ratio: %.2f\n", a / b }'
awk -v a="$p_cpu" -v b="$n_cpu" 'BEGIN { printf "sluiced+policy/nginx CPU/request ratio: %.2f (%.2f us vs %.2f us)\n", a / b, a, b }'
