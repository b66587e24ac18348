#!/bin/bash
# scripts/mutants.sh - mutation check of the security checks: would the
# tests notice if one of them broke?
#
#   scripts/mutants.sh            every mutant
#   scripts/mutants.sh fold       only mutants whose name holds "fold"
#
# Each row of the table below is one mutant: a file, a fragment of one line
# that occurs exactly once in it, what replaces the fragment, and the
# narrowest test binary that should notice.  The tree as it is now
# (committed or not) is copied into a scratch directory; for each mutant
# the file is changed there, the test is built against user/proto and
# user/base only (no BPF, no make), and run.  A test that fails kills the
# mutant; one that passes lets it survive.  Prints "killed: NAME" or
# "survived: NAME" per mutant and "mutants: K killed, S survived of N";
# exits non-zero when any survived or a row is broken (fragment not found
# exactly once, mutant that does not build, baseline failing).
#
# Not part of `make test`: it builds and runs one test per mutant (a few
# minutes).  Run it after changing a parser or a check; every mutant must
# be killed.  A new check gets a row here along with its test.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

CC=${CC:-cc}
# No -Werror: a mutant may leave a variable unused, and must still build.
CFLAGS=(-std=gnu11 -O1 -g -D_GNU_SOURCE
	-Iuser -Iheaders -Itests/lib)
LIBS=(-lhttp_parser -lcjson -lcrypto -lpthread -lm)
FILTER=${1:-}

# name @@ file @@ test @@ original fragment @@ replacement
MUTANTS=$(cat <<'EOF'
dup-neighbours-only @@ user/proto/mcp.c @@ test_mcp @@ for (b = a->next; b; b = b->next) @@ for (b = a->next; b && b == a->next; b = b->next)
dup-big-object-unchecked @@ user/proto/mcp.c @@ test_mcp @@ return repeated_in_sorted(obj, n, nomem); @@ return NULL;
dup-sorted-compare @@ user/proto/mcp.c @@ test_mcp @@ if (!strcmp(keys[i - 1], keys[i])) @@ if (0 && !strcmp(keys[i - 1], keys[i]))
nul-flag-assigned @@ user/proto/mcp_scan.c @@ test_mcp @@ *nul |= unit == 0; @@ *nul = unit == 0;
nul-not-recorded @@ user/proto/mcp_scan.c @@ test_mcp @@ ret = note_nul(s, ordinal); @@ ret = 0;
mcp-name-prefix @@ user/proto/mcp_hdr.c @@ test_mcp @@ if (strlen(body) != len || memcmp(text, body, len)) @@ if (memcmp(text, body, len < strlen(body) ? len : strlen(body)))
mcp-method-prefix @@ user/proto/mcp_hdr.c @@ test_mcp @@ if (!strcmp(value, body)) @@ if (!strncmp(value, body, strlen(value)))
mcp-param-prefix @@ user/proto/mcp_hdr.c @@ test_mcp @@ return strlen(body->valuestring) == len && !memcmp(body->valuestring, text, len); @@ return !memcmp(body->valuestring, text, len);
mcp-param-bool-prefix @@ user/proto/mcp_hdr.c @@ test_mcp @@ return len == 4 && !memcmp(text, "true", 4); @@ return !memcmp(text, "true", len);
fold-dup-unchecked @@ user/proto/mcp.c @@ test_mcp @@ else if (folded_pair(item, &a, &b, &w->nomem)) @@ else if (0 && folded_pair(item, &a, &b, &w->nomem))
fold-ascii-case @@ user/proto/mcp_fold.c @@ test_mcp @@ if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || @@ if (x != y && (1 || (x | 0x20) < 'a' ||
fold-unicode @@ user/proto/mcp_fold.c @@ test_mcp @@ return (uint32_t)towupper_l(towlower_l((wint_t)wc, loc), loc); @@ return (uint32_t)wc;
fold-copy-ascii @@ user/proto/mcp_fold.c @@ test_mcp @@ *out++ = *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s; @@ *out++ = *s;
fold-member-spelling @@ user/proto/mcp.c @@ test_mcp @@ if (strcmp(c->string, *k) && mcp_fold_equal(c->string, *k)) @@ if (0 && mcp_fold_equal(c->string, *k))
json-leading-zero @@ user/proto/mcp_scan.c @@ test_mcp @@ if (!n || (n > 1 && s[i] == '0')) @@ if (!n)
json-raw-control @@ user/proto/mcp_scan.c @@ test_mcp @@ else if (c < 0x20) @@ else if (c < 0x09)
json-lone-surrogate @@ user/proto/mcp_scan.c @@ test_mcp @@ if (low < 0xdc00 || low > 0xdfff) @@ if (low < -1)
json-overlong-utf8 @@ user/proto/mcp_scan.c @@ test_mcp @@ if (!more || cp < min[more] || @@ if (!more ||
charset-any @@ user/proto/inspect.c @@ test_inspect @@ return !strcasecmp(v, "utf-8") || !strcasecmp(v, "\"utf-8\""); @@ return true;
charset-name-unchecked @@ user/proto/inspect.c @@ test_inspect @@ if (strncasecmp(v, "charset=", 8)) @@ if (0)
content-type-twice @@ user/proto/inspect.c @@ test_inspect @@ if (n_type > 1) @@ if (n_type > 2)
content-encoding-gzip @@ user/proto/inspect.c @@ test_inspect @@ if (n_enc && strcasecmp(cenc, "identity")) @@ if (n_enc && strcasecmp(cenc, "identity") && strcasecmp(cenc, "gzip"))
obs-fold-space-only @@ user/proto/http.c @@ test_http @@ } else if (!s->line_len && (c == ' ' || c == '\t')) { @@ } else if (!s->line_len && c == ' ') {
obs-fold-unchecked @@ user/proto/http.c @@ test_http @@ return fail(r, 400, "obs-fold (a header line starting with a blank)"); @@ (void)0;
bare-lf-taken @@ user/proto/http.c @@ test_http @@ if (c == '\n') { @@ if (c == '\n' && 0) {
cr-without-lf @@ user/proto/http.c @@ test_http @@ if (c != '\n') { @@ if (0) {
http-version-1.2 @@ user/proto/http.c @@ test_http @@ const char *v10 = req ? " HTTP/1.0" : "HTTP/1.0 " @@ const char *v10 = req ? " HTTP/1.2" : "HTTP/1.2 "
http-version-unchecked @@ user/proto/http.c @@ test_http @@ if (s->line_len < sizeof(s->version) || @@ if (0 &&
double-host @@ user/proto/http.c @@ test_http @@ if (r->kind == HTTP_KIND_REQUEST && s->n_host > 1) @@ if (r->kind == HTTP_KIND_REQUEST && s->n_host > 2)
cl-te @@ user/proto/http.c @@ test_http @@ if (s->n_cl && s->n_te) @@ if (0)
two-content-lengths @@ user/proto/http.c @@ test_http @@ if (s->n_cl > 1) @@ if (s->n_cl > 2)
chunk-end-crlf @@ user/proto/http.c @@ test_http @@ if (d[i] != (s->chunk == CHUNK_CR ? '\n' : '\r')) { @@ if (0) {
chunk-ext-control @@ user/proto/http.c @@ test_http @@ if ((c < 0x20 && c != '\t') || c == 0x7f) @@ if (c == 0x7f)
chunk-blank-no-ext @@ user/proto/http.c @@ test_http @@ if (kind == LINE_CR && s->chunk != CHUNK_DIGITS && s->chunk != CHUNK_EXT) { @@ if (kind == LINE_CR && s->chunk == CHUNK_START) {
EOF
)

SCRATCH=$(mktemp -d /tmp/sluice-mutants.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

# The working tree, uncommitted changes included (tracked and untracked
# files that git does not ignore).
git ls-files -z -c -o --exclude-standard -- user headers tests/unit tests/lib |
	while IFS= read -r -d '' f; do
		[ -f "$f" ] && cp --parents "$f" "$SCRATCH/"
	done
cd "$SCRATCH" || exit 1
mkdir -p obj bin pristine

# user/base is never mutated: one archive for every build.
for src in user/base/*.c; do
	"$CC" "${CFLAGS[@]}" -c "$src" -o "obj/$(basename "$src" .c).o" || exit 1
done
ar rcs libbase.a obj/*.o

build() {	# TEST
	"$CC" "${CFLAGS[@]}" "tests/unit/$1.c" user/proto/*.c libbase.a "${LIBS[@]}" -o "bin/$1" \
		>"bin/$1.build.log" 2>&1
}

# apply FILE ORIGINAL REPLACEMENT: the fragment must occur exactly once.
apply() {
	python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
n = text.count(old)
if n != 1:
    sys.exit(f"fragment found {n} times in {path}: {old}")
open(path, "w").write(text.replace(old, new))
PY
}

broken=0
# The baseline: every test named in the table builds and passes unmutated.
for t in $(echo "$MUTANTS" | awk -F' @@ ' '{ print $3 }' | sort -u); do
	if ! build "$t" || ! timeout 120 "bin/$t" >"bin/$t.log" 2>&1; then
		echo "baseline: $t fails unmutated; see a copy of its output below"
		tail -5 "bin/$t.build.log" "bin/$t.log"
		exit 1
	fi
done

killed=0 survived=0 total=0
while IFS= read -r row; do
	[ -n "$row" ] || continue
	name=${row%% @@ *}; rest=${row#* @@ }
	file=${rest%% @@ *}; rest=${rest#* @@ }
	test=${rest%% @@ *}; rest=${rest#* @@ }
	orig=${rest%% @@ *}; repl=${rest#* @@ }
	case $name in *"$FILTER"*) ;; *) continue ;; esac
	total=$((total + 1))
	mkdir -p "pristine/$(dirname "$file")"
	[ -f "pristine/$file" ] || cp "$file" "pristine/$file"
	if ! apply "$file" "$orig" "$repl"; then
		echo "broken: $name (the fragment must occur exactly once)"
		broken=1
	elif ! build "$test"; then
		echo "broken: $name (the mutant does not build: $(grep -m1 error "bin/$test.build.log"))"
		broken=1
	elif timeout 120 "bin/$test" >"bin/$test.log" 2>&1; then
		echo "survived: $name ($file, $test)"
		survived=$((survived + 1))
	else
		echo "killed: $name ($(grep -m1 '^FAIL' "bin/$test.log" | cut -c1-100 ||
				      echo "exit $?"))"
		killed=$((killed + 1))
	fi
	cp "pristine/$file" "$file"
done <<<"$MUTANTS"

echo "mutants: $killed killed, $survived survived of $total"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
