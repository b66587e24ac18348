#!/bin/bash
# tests/layout.sh - the shape of user/: layers, one-way dependencies, no circles.
#
#   tests/layout.sh                check this tree (BUILD=build for the objects)
#   tests/layout.sh --check DIR    check DIR (a copy of user/) only; exit 1 on a violation
#
# The rules (user/README.md says why):
#  1. a file includes only headers of its own layer and of the layers it may
#     use (the table below); "headers/" (the kernel ABI) is open to all, the
#     BPF skeletons to kern/ only;
#  2. every quoted include resolves to a file that exists;
#  3. no circle of includes between modules (module = X.c + X.h);
#  4. no circle of calls between objects: object A uses object B when A
#     needs a symbol B defines (nm), and that graph has no cycle.
# Rule 4 sees what includes alone cannot: two files that call each other
# through one shared header.
#
# Without --check it also proves it can fail: it plants an upward include
# and a circle in scratch copies and expects each to be caught.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}

check() {
	python3 - "$1" "${2:-}" <<'PY'
import collections, glob, os, re, subprocess, sys

root, objdir = sys.argv[1], sys.argv[2]
# What each layer may include besides itself, lowest layer first.
MAY_USE = {
    'base': [],
    'proto': ['base'],
    'policy': ['base', 'proto'],
    'kern': ['base', 'proto', 'policy'],
    'sluiced': ['base', 'proto', 'policy', 'kern'],
    'sluicectl': ['base', 'proto', 'policy', 'kern'],
    'demo': ['base', 'proto'],
}
SKELETON_USERS = {'kern'}
SYSTEM_DIRS = ['headers']
errors = []

def module_of(path):
    rel = os.path.relpath(path, root)
    return os.path.splitext(rel)[0]

files = sorted(glob.glob(os.path.join(root, '*', '*.[ch]')))
layers = {os.path.relpath(f, root).split(os.sep)[0] for f in files}
for l in sorted(layers - set(MAY_USE)):
    errors.append(f'{l}/: a folder tests/layout.sh does not know; give it a place in MAY_USE')

uses = collections.defaultdict(set)
inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
for f in files:
    rel = os.path.relpath(f, root)
    layer = rel.split(os.sep)[0]
    text = open(f, encoding='utf-8', errors='replace').read()
    for m in inc_re.finditer(text):
        h = m.group(1)
        line = text.count('\n', 0, m.start()) + 1
        where = f'{rel}:{line}'
        if h.endswith('.skel.h'):
            if layer not in SKELETON_USERS:
                errors.append(f'{where}: includes the BPF skeleton {h}; only kern/ may')
            continue
        if '/' in h:
            target_layer = h.split('/')[0]
            target = os.path.join(root, h)
        else:
            target_layer = layer
            target = os.path.join(os.path.dirname(f), h)
            if not os.path.exists(target):
                if any(os.path.exists(os.path.join(d, h)) for d in SYSTEM_DIRS):
                    continue
        if not os.path.exists(target):
            errors.append(f'{where}: includes "{h}", which does not exist')
            continue
        if target_layer != layer and target_layer not in MAY_USE.get(layer, []):
            errors.append(f'{where}: {layer}/ includes "{h}" from {target_layer}/, '
                          f'which it may not use (it may use: '
                          f'{", ".join(MAY_USE.get(layer, [])) or "nothing below it"})')
        a, b = module_of(f), module_of(target)
        if a != b:
            uses[a].add(b)

def cycles(graph, nodes):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(100000)
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found

for c in cycles(uses, {module_of(f) for f in files}):
    errors.append('modules include each other in a circle: ' + ' <-> '.join(c))

if objdir:
    defined, needed = {}, {}
    objs = sorted(glob.glob(os.path.join(objdir, '*', '*.o')))
    for o in objs:
        out = subprocess.run(['nm', '-P', o], capture_output=True, text=True,
                             check=True).stdout
        need = set()
        for line in out.splitlines():
            p = line.split()
            if len(p) < 2:
                continue
            if p[1] == 'U':
                need.add(p[0])
            elif p[1] in 'TDBRCVWG':
                defined.setdefault(p[0], o)
        needed[o] = need
    calls = collections.defaultdict(set)
    for o, need in needed.items():
        for sym in need:
            if sym in defined and defined[sym] != o:
                calls[o].add(defined[sym])
    for c in cycles(calls, objs):
        names = [os.path.relpath(o, objdir)[:-2] for o in c]
        errors.append('objects call each other in a circle: ' + ' <-> '.join(names))
    if not objs:
        errors.append(f'no objects under {objdir}: build first')

for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY
}

if [ "${1:-}" = --check ]; then
	check "$2" "${3:-}"
	exit
fi

scratch=$(mktemp -d /tmp/sluice-layout.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

if out=$(check user "$BUILD/obj" 2>&1); then
	echo "PASS: layout: user/ keeps its layers, with no circle of includes or calls"
else
	echo "FAIL: layout: user/ breaks its layers:"
	printf '%s\n' "$out" | sed 's/^/    /'
fi

# The checker must catch what it is for: each plant below is a violation.
plant() {
	local name=$1 file=$2 line=$3 expect=$4
	rm -rf "$scratch/user" && cp -r user "$scratch/user"
	printf '%s\n' "$line" >>"$scratch/user/$file"
	if out=$(check "$scratch/user" 2>&1); then
		echo "FAIL: layout: a planted $name is not caught"
	elif grep -q -- "$expect" <<<"$out"; then
		echo "PASS: layout: a planted $name is caught"
	else
		echo "FAIL: layout: a planted $name fails for another reason: $out"
	fi
}
plant "upward include (base/ -> sluiced/)" base/buf.c '#include "sluiced/proxy.h"' \
	'which it may not use'
plant "include of demo/ from the daemon" sluiced/sluiced.c '#include "demo/demo_tools.h"' \
	'which it may not use'
plant "include of sluicectl/ from sluiced/ (peers)" sluiced/sluiced.c \
	'#include "sluicectl/sluicectl.c"' 'which it may not use'
plant "skeleton outside kern/" proto/http.c '#include "sluice.skel.h"' 'only kern/ may'
plant "include of a missing header" proto/http.c '#include "nowhere.h"' 'does not exist'
# Two headers that include each other:
rm -rf "$scratch/user" && cp -r user "$scratch/user"
printf '#include "net.h"\n' >>"$scratch/user/base/ev.h"
printf '#include "ev.h"\n' >>"$scratch/user/base/net.h"
if out=$(check "$scratch/user" 2>&1) || ! grep -q 'circle' <<<"$out"; then
	echo "FAIL: layout: a planted circle of includes (ev.h <-> net.h) is not caught"
else
	echo "PASS: layout: a planted circle of includes (ev.h <-> net.h) is caught"
fi

# A circle of calls through one shared header: two objects that need each
# other's symbols.
mkdir -p "$scratch/obj/base"
printf 'int ping(int n);\nint pong(int n) { return n ? ping(n - 1) : 0; }\n' >"$scratch/a.c"
printf 'int pong(int n);\nint ping(int n) { return n ? pong(n - 1) : 1; }\n' >"$scratch/b.c"
cc -c "$scratch/a.c" -o "$scratch/obj/base/a.o" && cc -c "$scratch/b.c" -o "$scratch/obj/base/b.o"
rm -rf "$scratch/user" && cp -r user "$scratch/user"
if out=$(check "$scratch/user" "$scratch/obj" 2>&1) || ! grep -q 'objects call each other' <<<"$out"; then
	echo "FAIL: layout: a planted circle of calls (a.o <-> b.o) is not caught"
else
	echo "PASS: layout: a planted circle of calls (a.o <-> b.o) is caught"
fi
