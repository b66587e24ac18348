#!/bin/bash
# netns_pins.sh - attach records know an interface by its network namespace
# and index, not by its name alone.
#
# Two namespaces, A and B, each with an interface called eth0 (the two ends
# of one veth pair, renamed), and in A a second veth end, pa1, for the rename
# case.  sluicectl runs inside each namespace with nsenter --net (pins shared
# in one private directory, as on a host where containers share bpffs):
# attaching or detaching eth0 in one namespace never touches the other's,
# `attach --list` tells them apart, and a renamed interface keeps being
# found (and detached) under its new name.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

require_root
[ -x "$SLUICECTL" ] || die "$SLUICECTL not built"

TAG=$$
A=slpa$TAG
B=slpb$TAG
PIN=/sys/fs/bpf/sluice-e2e-pins-$TAG
on_exit "rm -rf '$PIN'"
on_exit "nsenter --net=/run/netns/$A '$SLUICECTL' --pin-dir '$PIN' detach eth0 pa9"
on_exit "nsenter --net=/run/netns/$B '$SLUICECTL' --pin-dir '$PIN' detach eth0"
export SLUICE_PIN_DIR=$PIN

ctl_a() { in_ns "$A" "$SLUICECTL" "$@"; }
ctl_b() { in_ns "$B" "$SLUICECTL" "$@"; }

netns_add "$A"
netns_add "$B"
ip link add slx$TAG netns "$A" type veth peer name sly$TAG netns "$B" || die "veth pair"
in_ns "$A" ip link set slx$TAG name eth0 || die "rename in A"
in_ns "$B" ip link set sly$TAG name eth0 || die "rename in B"
ip link add pa1 netns "$A" type veth peer name pb1 netns "$B" || die "second veth pair"
for ns in "$A" "$B"; do in_ns "$ns" ip link set eth0 up; done
in_ns "$A" ip link set pa1 up
in_ns "$B" ip link set pb1 up

# xdp_mode NS DEV: driver, generic or none.
xdp_mode() {
	in_ns "$1" bpftool net show dev "$2" -j | jq -r '.[0].xdp[0].mode // "none"'
}
xdp_prog() { in_ns "$1" bpftool net show dev "$2" -j | jq -r '.[0].xdp[0].id // 0'; }
tc_filters() { in_ns "$1" tc filter show dev "$2" "$3" 2>/dev/null | grep -c 'handle 0x51'; }
has_clsact() { in_ns "$1" tc qdisc show dev "$2" | grep -q clsact; }
# list NS: `attach --list --json` run there.
list() { in_ns "$1" "$SLUICECTL" attach --list --json; }

# --- the same name in two namespaces ------------------------------------------
check "attach native XDP to eth0 in A" ctl_a attach eth0 --mode native
check "A's eth0 runs XDP in driver mode" test "$(xdp_mode "$A" eth0)" = driver
prog_a=$(xdp_prog "$A" eth0)
check "B's eth0 has nothing yet" test "$(xdp_mode "$B" eth0)" = none
check "attach generic XDP to eth0 in B" ctl_b attach eth0 --mode generic
check "B's eth0 runs XDP in generic mode" test "$(xdp_mode "$B" eth0)" = generic
check "A's eth0 keeps its program" test "$(xdp_prog "$A" eth0)" = "$prog_a"
check "B's TC ingress in B leaves A's XDP alone" ctl_b attach eth0 --mode tc
check "B's eth0 moved to TC ingress" sh -c "
	test \"\$(nsenter --net=/run/netns/$B bpftool net show dev eth0 -j |
		jq -r '.[0].xdp[0].mode // \"none\"')\" = none &&
	nsenter --net=/run/netns/$B tc filter show dev eth0 ingress | grep -q 'handle 0x51'"
check "A's eth0 still runs XDP in driver mode" test "$(xdp_mode "$A" eth0)" = driver
check "A's eth0 has no TC ingress of B's" test "$(tc_filters "$A" eth0 ingress)" = 0

check "attach --list in A: two eth0 ingress hooks, one here" sh -c "
	$(declare -f list in_ns); SLUICECTL='$SLUICECTL'; A='$A'
	list \$A | jq -e '[.attached[] | select(.interface == \"eth0\" and .hook != \"tc_egress\")]
		| length == 2 and (map(select(.here)) | length == 1)
		and (map(.netns) | unique | length == 2)
		and (map(select(.here))[0].hook == \"xdp\")'"
check "attach --list in B: its own eth0 is the TC one" sh -c "
	$(declare -f list in_ns); SLUICECTL='$SLUICECTL'; B='$B'
	list \$B | jq -e '[.attached[] | select(.here and .hook != \"tc_egress\")]
		| length == 1 and .[0].interface == \"eth0\" and .[0].hook == \"tc_ingress\"'"
check "attach --list text names the other namespace" sh -c "
	nsenter --net=/run/netns/$A '$SLUICECTL' attach --list |
		grep -q '^attached: eth0 tc_ingress (network namespace [0-9]*, index [0-9]*)$'"

check "detach eth0 in B" ctl_b detach eth0
check "B's eth0 has no TC filter left" test "$(tc_filters "$B" eth0 ingress)" = 0
check_not "B's eth0 has no clsact left" has_clsact "$B" eth0
check "A's eth0 still runs its XDP" test "$(xdp_prog "$A" eth0)" = "$prog_a"
check "A's eth0 keeps its egress filter" test "$(tc_filters "$A" eth0 egress)" = 1
check_not "detach eth0 in B twice fails" ctl_b detach eth0
check "A still lists its eth0" sh -c "
	$(declare -f list in_ns); SLUICECTL='$SLUICECTL'; A='$A'
	list \$A | jq -e '[.attached[] | select(.here)] | length == 2'"

# --- a renamed interface --------------------------------------------------------
check "attach TC to pa1 in A" ctl_a attach pa1 --mode tc
check "pa1 runs TC ingress" test "$(tc_filters "$A" pa1 ingress)" = 1
in_ns "$A" ip link set pa1 down && in_ns "$A" ip link set pa1 name pa9 &&
	in_ns "$A" ip link set pa9 up || die "rename pa1 to pa9"
check "attach --list shows it under its new name" sh -c "
	$(declare -f list in_ns); SLUICECTL='$SLUICECTL'; A='$A'
	list \$A | jq -e '[.attached[] | select(.here and .interface == \"pa9\")]
		| length == 2 and all(.attached_as == \"pa1\")'"
check "the text says it was renamed" sh -c "
	nsenter --net=/run/netns/$A '$SLUICECTL' attach --list |
		grep -q '^attached: pa9 tc_ingress (renamed; attached as pa1)$'"
check_not "detach by the old name is refused" ctl_a detach pa1
check "and says the new name" sh -c "
	nsenter --net=/run/netns/$A '$SLUICECTL' detach pa1 2>&1 | grep -q 'renamed to pa9'"
check "the filters still run after the refused detach" \
	test "$(tc_filters "$A" pa9 ingress)" = 1
check "detach by the new name" ctl_a detach pa9
check "no TC filter left on pa9" sh -c "
	test \"\$(nsenter --net=/run/netns/$A tc filter show dev pa9 ingress | grep -c 'handle 0x51')\" = 0 &&
	test \"\$(nsenter --net=/run/netns/$A tc filter show dev pa9 egress | grep -c 'handle 0x51')\" = 0"
check_not "no clsact left on pa9" has_clsact "$A" pa9
check "attach --list no longer shows it" sh -c "
	$(declare -f list in_ns); SLUICECTL='$SLUICECTL'; A='$A'
	list \$A | jq -e '[.attached[] | select(.interface == \"pa9\" or .attached_as == \"pa1\")]
		| length == 0'"

# --- an interface that is gone ------------------------------------------------------
check "attach TC to pa9 again" ctl_a attach pa9 --mode tc
in_ns "$A" ip link del pa9 || die "delete pa9"
check "a gone interface is listed as gone" sh -c "
	$(declare -f list in_ns); SLUICECTL='$SLUICECTL'; A='$A'
	list \$A | jq -e '[.attached[] | select(.attached_as == \"pa9\")] | length == 2 and all(.gone)'"
check "detach of the gone interface removes its records" ctl_a detach pa9

# --- a record of an older sluice, named by the interface's name alone -------------
# (the same link pin an older version made, under the name it gave it)
mv "$(ls -d "$PIN"/links/xdp_c*_eth0)" "$PIN/links/xdp_eth0" || die "make an older record"
check "attach --list shows the older record as such" sh -c "
	$(declare -f list in_ns); SLUICECTL='$SLUICECTL'; B='$B'
	list \$B | jq -e '[.attached[] | select(.legacy and .hook == \"xdp\")]
		| length == 1 and .[0].interface == \"eth0\"'"
check "B's eth0 is not taken for it: attach in B" ctl_b attach eth0 --mode generic
check "B's eth0 runs its own XDP" test "$(xdp_mode "$B" eth0)" = generic
check "A's eth0 keeps its program" test "$(xdp_prog "$A" eth0)" = "$prog_a"
check_not "attaching A's eth0 over its older record is refused" ctl_a attach eth0
check "detach eth0 in B" ctl_b detach eth0
check "the older record is left alone by B" test -e "$PIN/links/xdp_eth0"
check "A's eth0 still runs its program" test "$(xdp_prog "$A" eth0)" = "$prog_a"
check "detach eth0 in A takes its older record too" ctl_a detach eth0
check "no XDP left on A's eth0" test "$(xdp_mode "$A" eth0)" = none
check "the last detach removes the pins" test ! -e "$PIN"

exit $E2E_FAILED
