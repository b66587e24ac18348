#!/bin/bash
# tests/mcp/compare-conformance.sh DIRECT_FILE PROXIED_FILE
#
# Compares two result lists written by conformance.sh (the suite run against
# server-everything directly, and through sluiced) scenario by scenario: a
# scenario is the same when its verdict and every one of its checks are.
# Prints one line per scenario,
#   PASS: conformance: <scenario>: same (PASS|FAIL)
#   FAIL: conformance: <scenario>: direct ..., through sluiced ...
# then a summary line, and exits 1 if any scenario differs.
#
# CONFORMANCE_ALLOW_IMPROVED="scenario ..." names scenarios that may fail
# directly yet pass through sluiced (e.g. dns-rebinding-protection, if the
# gateway itself refuses foreign Host/Origin headers); never the reverse.
set -u

direct=${1:?usage: compare-conformance.sh DIRECT_FILE PROXIED_FILE}
proxied=${2:?usage: compare-conformance.sh DIRECT_FILE PROXIED_FILE}
for f in "$direct" "$proxied"; do
	[ -s "$f" ] || { echo "FAIL: conformance: no results in $f"; exit 1; }
done

# awk reads both files; a key is "<scenario>" or "<scenario>:<check-id>".
LC_ALL=C awk -v allow=" ${CONFORMANCE_ALLOW_IMPROVED:-} " '
	function sorted(arr, out,    n, k, i, j, t) {	# keys of arr into out[1..n]
		n = 0
		for (k in arr) out[++n] = k
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && out[j - 1] > out[j]; j--) {
				t = out[j]; out[j] = out[j - 1]; out[j - 1] = t
			}
		return n
	}
	FNR == 1 { side++ }
	{
		scen = $1; sub(/:.*/, "", scen)
		scens[scen] = 1; keys[$1] = 1
		if (side == 1) d[$1] = $2; else p[$1] = $2
	}
	END {
		ns = sorted(scens, order); nk = sorted(keys, klist)
		same = 0; differ = 0; both = 0; better = 0
		for (i = 1; i <= ns; i++) {
			s = order[i]; why = ""
			for (j = 1; j <= nk; j++) {
				k = klist[j]; ks = k; sub(/:.*/, "", ks)
				if (ks != s) continue
				dv = (k in d) ? d[k] : "missing"
				pv = (k in p) ? p[k] : "missing"
				if (dv != pv)
					why = why sprintf(" %s: direct %s, through sluiced %s;", k, dv, pv)
			}
			dv = (s in d) ? d[s] : "missing"
			pv = (s in p) ? p[s] : "missing"
			if (why == "") {
				printf "PASS: conformance: %s: same (%s)\n", s, dv
				same++; if (dv == "PASS") both++
			} else if (index(allow, " " s " ") && dv == "FAIL" && pv == "PASS") {
				printf "PASS: conformance: %s: fails directly, passes through sluiced (allowed)\n", s
				better++
			} else {
				sub(/;$/, "", why)
				printf "FAIL: conformance: %s:%s\n", s, why
				differ++
			}
		}
		printf "conformance: %d scenarios, %d the same (%d pass both ways), %d better through sluiced (allowed), %d differ\n",
			ns, same, both, better, differ
		exit differ ? 1 : 0
	}
' "$direct" "$proxied"
