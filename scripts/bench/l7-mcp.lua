-- l7-mcp.lua - wrk script for scripts/bench/l7-overhead.sh.
--
-- Every request is the same MCP Streamable HTTP POST on one session:
--   L7_SESSION   Mcp-Session-Id from an initialize on the same target (required)
--   L7_BODY      the JSON-RPC body (default: tools/call get_pricing {"plan":"pro"})
--   L7_API_KEY   sent as X-API-Key when set (the target's policy authenticates)
-- done() prints one machine-readable line that l7-overhead.sh parses:
--   L7STAT requests=N duration_us=N bytes=N err_connect=N err_read=N err_write=N
--          err_status=N err_timeout=N p50_us=N p90_us=N p99_us=N max_us=N
--          proxy_cpu_ns=N backend_cpu_ns=N host_busy_ticks=N wrk_ticks=N
--   L7_PROXY_PIDS, L7_BACKEND_PIDS   PIDs whose CPU time done() reads (optional)
-- (wrk's --latency table, printed above it, shows the same distribution.)

local session = os.getenv("L7_SESSION") or ""
local body = os.getenv("L7_BODY") or
	'{"jsonrpc":"2.0","id":1,"method":"tools/call",' ..
	'"params":{"name":"get_pricing","arguments":{"plan":"pro"}}}'

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
if session ~= "" then
	wrk.headers["Mcp-Session-Id"] = session
end
local key = os.getenv("L7_API_KEY") or ""
if key ~= "" then
	wrk.headers["X-API-Key"] = key
end

-- No request() function: wrk then builds the request once (after adding
-- Host) and sends the same bytes every time, with no Lua per request.

-- ns on CPU of every thread of the PIDs in an environment variable, read in
-- done(): after the run, before wrk closes its connections (closing streams
-- mid-answer makes the proxies work too, and that is not load to count).
local function cpu_ns(var)
	local pids, total = os.getenv(var) or "", 0
	for pid in pids:gmatch("%d+") do
		local f = io.popen("cat /proc/" .. pid .. "/task/*/schedstat 2>/dev/null")
		for line in f:lines() do
			total = total + (tonumber(line:match("^(%d+)")) or 0)
		end
		f:close()
	end
	return total
end

-- CPU ticks (USER_HZ) of all CPUs busy since boot, and of wrk itself (all
-- its threads, live or gone): l7-overhead.sh subtracts what it knows was its
-- own to estimate the load of other processes during the run.
local function host_busy_ticks()
	local f = io.open("/proc/stat")
	local line = f:read("*l")
	f:close()
	local v = {}
	for n in line:gmatch("%d+") do v[#v + 1] = tonumber(n) end
	-- user nice system idle iowait irq softirq steal
	return v[1] + v[2] + v[3] + v[6] + v[7] + (v[8] or 0)
end

local function self_ticks()
	local f = io.open("/proc/self/stat")
	local line = f:read("*l")
	f:close()
	local rest = line:match("%) (.*)$")
	local v = {}
	for n in rest:gmatch("%S+") do v[#v + 1] = n end
	-- after "pid (comm) ": state is field 1, utime 12, stime 13
	return tonumber(v[12]) + tonumber(v[13])
end

function done(summary, latency, requests)
	local e = summary.errors
	local proxy_ns, backend_ns = cpu_ns("L7_PROXY_PIDS"), cpu_ns("L7_BACKEND_PIDS")
	io.write(string.format(
		"L7STAT requests=%d duration_us=%d bytes=%d err_connect=%d err_read=%d " ..
		"err_write=%d err_status=%d err_timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
		"proxy_cpu_ns=%.0f backend_cpu_ns=%.0f host_busy_ticks=%d wrk_ticks=%d\n",
		summary.requests, summary.duration, summary.bytes, e.connect, e.read,
		e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max, proxy_ns, backend_ns, host_busy_ticks(),
		self_ticks()))
end
