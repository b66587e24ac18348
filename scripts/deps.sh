#!/bin/sh
# Installs everything sluice needs to build, run and test on Debian 12.
# Idempotent: quiet when all is already there.  Run as root.
set -eu

PKGS="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
      libcjson-dev libcjose-dev libjsmn-dev libpg-query-dev libprotobuf-c-dev iproute2
      linux-libc-dev libc6-dev-i386 jq socat util-linux libhttp-parser-dev libssl-dev
      libpcre2-dev libsqlite3-dev libsystemd-dev systemd libclang-rt-14-dev python3 curl
      nginx-light wrk nftables ethtool procps
      chromium tmux"
# node and npm run the third-party MCP peers; Debian's only when none is here.
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The third-party MCP peers for tests/mcp (SDK client, server-everything,
# conformance suite), pinned in tests/mcp/package-lock.json; npm ci again
# whenever the lock file is newer than the last install.
mcp=$(cd "$(dirname "$0")/.." && pwd)/tests/mcp
if [ ! -f "$mcp/node_modules/.package-lock.json" ] ||
	[ "$mcp/package-lock.json" -nt "$mcp/node_modules/.package-lock.json" ]; then
	echo "deps: npm ci in tests/mcp"
	(cd "$mcp" && npm ci --loglevel=error >/dev/null)
fi
