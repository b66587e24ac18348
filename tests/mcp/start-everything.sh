#!/bin/bash
# tests/mcp/start-everything.sh PORT TRANSPORT
#
# Starts @modelcontextprotocol/server-everything (installed in
# tests/mcp/node_modules by scripts/deps.sh) in the background on
# 127.0.0.1:PORT, prints its pid on stdout, and returns once it accepts
# connections (at most 15 s; non-zero exit, and the server killed, if not).
#
# TRANSPORT is the server's own argv[2]: "streamableHttp" (alias
# "streamable": endpoint /mcp for POST, GET and DELETE) or "sse" (legacy
# HTTP+SSE: GET /sse, then POST /message?sessionId=...).  server-everything
# takes its port only from $PORT and binds every interface, so it runs
# under the bind-loopback.cjs preload, which moves every listen() onto
# 127.0.0.1.  Its output goes to $SE_LOG (default /dev/null).
#
# Stop it with: kill PID
set -u

here=$(cd "$(dirname "$0")" && pwd)
port=${1:?usage: start-everything.sh PORT streamableHttp|sse}
transport=${2:?usage: start-everything.sh PORT streamableHttp|sse}
case $transport in
streamable | streamableHttp) transport=streamableHttp ;;
sse) ;;
*) echo "start-everything.sh: unknown transport $transport" >&2; exit 2 ;;
esac
main=$here/node_modules/@modelcontextprotocol/server-everything/dist/index.js
if [ ! -f "$main" ]; then
	echo "start-everything.sh: $main missing: run scripts/deps.sh" >&2
	exit 2
fi

# The server's stdout must not be ours: a caller reading our stdout with
# $(...) would otherwise wait for the server to exit.
PORT=$port node -r "$here/bind-loopback.cjs" "$main" "$transport" \
	</dev/null >"${SE_LOG:-/dev/null}" 2>&1 &
pid=$!
echo "$pid"

# Wait (bounded) until it accepts connections on 127.0.0.1:PORT.
for _ in $(seq 150); do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "start-everything.sh: server exited early (see \$SE_LOG)" >&2
		exit 1
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		exit 0
	fi
	sleep 0.1
done
echo "start-everything.sh: no listener on 127.0.0.1:$port after 15 s" >&2
kill "$pid" 2>/dev/null
exit 1
