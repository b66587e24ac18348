#!/bin/bash
# tests/fuzz/build.sh - build the libFuzzer targets: every tests/fuzz/fuzz_<name>.c
# becomes build/fuzz/fuzz_<name>, linked with the user sources it tests.
#
#   tests/fuzz/build.sh             every target
#   tests/fuzz/build.sh http sse    only these
#   CLANG=clang-14 OUT=/tmp/fz tests/fuzz/build.sh
#
# Needs clang with compiler-rt (Debian: clang-14, libclang-rt-14-dev).  The
# targets are built apart from `make`: -fsanitize=fuzzer needs clang, and
# each one links only its own module, not libsluice.a with libbpf behind it.
set -euo pipefail
cd "$(dirname "$0")/../.."

CLANG=${CLANG:-clang}
OUT=${OUT:-build/fuzz}
CFLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror
	-Wno-missing-field-initializers -Iuser -Iheaders)

# The user sources and libraries each target links; a new target adds a line.
deps() {
	case $1 in
	mcp)	echo "user/proto/mcp*.c user/base/utf8.c -lcjson -lcrypto" ;;
	http)	echo "user/proto/http.c user/base/buf.c -lhttp_parser" ;;
	sse)	echo "user/proto/sse.c user/base/buf.c" ;;
	policy)	echo "user/policy/*.c user/proto/mcp*.c user/proto/http.c user/base/buf.c user/base/utf8.c" \
		     "user/base/jpos.c user/base/prefix.c user/base/nearest.c" \
		     "-lcjose -lpg_query -lcjson -lcrypto -lpcre2-8 -lhttp_parser" ;;
	sql)	echo "user/policy/sql_rule.c user/policy/sql_name.c -lpg_query -lcjson" ;;
	jwt)	echo "user/policy/*.c user/proto/mcp*.c user/proto/http.c user/base/buf.c user/base/utf8.c" \
		     "user/base/jpos.c user/base/prefix.c user/base/nearest.c" \
		     "-lcjose -lpg_query -lcjson -lcrypto -lpcre2-8 -lhttp_parser" ;;
	decide)	echo "user/policy/*.c user/proto/mcp*.c user/proto/http.c user/base/buf.c user/base/utf8.c" \
		     "user/base/jpos.c user/base/prefix.c user/base/nearest.c" \
		     "-lcjose -lpg_query -lcjson -lcrypto -lpcre2-8 -lhttp_parser" ;;
	*)	return 1 ;;
	esac
}

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for src in tests/fuzz/fuzz_*.c; do
		name=${src#tests/fuzz/fuzz_}
		names+=("${name%.c}")
	done
fi

mkdir -p "$OUT"
status=0
for name in "${names[@]}"; do
	if ! d=$(deps "$name"); then
		echo "build.sh: no sources listed for fuzz_$name: add it to deps()" >&2
		status=1
		continue
	fi
	printf '  %-8s %s\n' FUZZ "$OUT/fuzz_$name"
	# shellcheck disable=SC2086 # $d is a list of words on purpose
	if ! "$CLANG" "${CFLAGS[@]}" "tests/fuzz/fuzz_$name.c" $d -o "$OUT/fuzz_$name"; then
		status=1
	fi
done
exit $status
