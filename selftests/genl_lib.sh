# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared by rvnet_genl.sh (debug kernel), rvnet_genl_ip.sh and
# rvnet_decisions.sh (plain kernel): the rvnet family through the kernel's YNL library and CLI
# (tools/net/ynl) with Documentation/netlink/specs/rvnet.yaml, and the
# routing set-up of the route cases. Sourced after lib.sh.

here=$(cd "$(dirname "$0")" && pwd)
SPEC=$here/../Documentation/netlink/specs/rvnet.yaml
CLI=$KSFT_DIR/../../net/ynl/cli.py
HELPER=$here/rvnet_genl.py

# ynl_serve: start this case's rvnet_genl.py serve process (the kernel's
# YNL library, as cli.py uses it), before the case's first ynl call; it
# ends with the case's shell. One process per case rather than one cli.py
# per request: a python3 start costs 5-20 s on the debug kernel under TCG.
# The CLI itself still runs in t_family and t_unprivileged.
ynl_serve() {
	coproc YNL { exec python3 "$HELPER" serve 2>&1; }
}

# ynl [--ns NS] --do|--dump OP [--json JSON]: one request, printed as
# `cli.py --output-json` prints it (its error text on failure, status 1),
# through the case's serve process. Anything else (--subscribe), a case
# without ynl_serve, or a subshell that cannot reach the coprocess (bash
# closes its pipes in a pipeline's subshells) runs cli.py itself.
ynl() {
	local ns=- pre=() mode op js='{}' line
	if [ "$1" = --ns ]; then ns=$2 pre=(ip netns exec "$2"); shift 2; fi
	if [ -z "${YNL_PID:-}" ] || { [ "$1" != --do ] && [ "$1" != --dump ]; } ||
		! { true >&"${YNL[1]}"; } 2>/dev/null; then
		"${pre[@]}" python3 "$CLI" --no-schema --spec "$SPEC" --output-json "$@"
		return
	fi
	mode=${1#--} op=$2
	shift 2
	[ "${1:-}" != --json ] || js=$2
	echo "$ns $mode $op $js" >&"${YNL[1]}"
	IFS= read -r line <&"${YNL[0]}" || { echo "ynl: rvnet_genl.py serve ended"; return 1; }
	echo "${line#? }"
	[ "${line%% *}" = 0 ]
}

# ynl_raw NS CMD HEX: a request with raw attributes, "errno=E msg=M".
ynl_raw() {
	echo "$1 raw $2 $3" >&"${YNL[1]}"
	IFS= read -r line <&"${YNL[0]}" || { echo "ynl: rvnet_genl.py serve ended"; return 1; }
	echo "${line#? }"
}

# Hex of an IPv4 address, as YNL takes binary attributes.
h4() { local IFS=.; set -- $1; printf '%02x%02x%02x%02x' "$1" "$2" "$3" "$4"; }
# Hex of an IPv6 address (hex groups, at most one "::"; no dotted quad):
# in bash, as a python3 start costs seconds on the debug kernel.
h6() {
	local a=${1,,} g n i
	local -a h=() t=() all=()
	# read -a drops a trailing empty field: a lone ':' at either end is
	# refused here.
	if [[ $a == :[!:]* || $a == *[!:]: ]]; then
		echo "h6: bad address $1" >&2
		return 1
	fi
	if [[ $a == *::* ]]; then
		[ -z "${a%%::*}" ] || IFS=: read -ra h <<<"${a%%::*}"
		[ -z "${a#*::}" ] || IFS=: read -ra t <<<"${a#*::}"
		n=$((8 - ${#h[@]} - ${#t[@]}))
	else
		IFS=: read -ra h <<<"$a"
		n=0
		[ ${#h[@]} = 8 ] || n=-1
	fi
	[ $n -ge 0 ] && { [ $n -gt 0 ] || [[ $a != *::* ]]; } || { echo "h6: bad address $1" >&2; return 1; }
	all=("${h[@]}")
	for ((i = 0; i < n; i++)); do all+=(0); done
	all+=("${t[@]}")
	for g in "${all[@]}"; do
		[[ $g =~ ^[0-9a-f]{1,4}$ ]] || { echo "h6: bad address $1" >&2; return 1; }
		printf '%04x' $((16#$g))
	done
	echo
}
ifindex() { ip netns exec "$1" cat "/sys/class/net/$2/ifindex"; }

# jget JSON KEY: one field of a JSON object.
jget() { echo "$1" | jq -r ".\"$2\" // empty"; }

# expect_err OUT ERRNAME: a cli.py failure with this errno text and an
# extack message from rvnet or the netlink core.
expect_err() {
	echo "$1" | grep -q "$2" || fail "wanted '$2', got: $1"
	echo "$1" | grep -q "'msg'" || fail "no extack message: $1"
}

# The routing setup of NS1 for the route cases.
setup_routes() {
	setup_pair_netns
	local n="ip -n $NS1"
	$n addr add 10.23.0.11/24 dev rv1
	$n route add default via 10.23.0.2
	$n route add 192.0.2.0/24 via 10.23.0.2
	$n route add 192.0.2.128/25 via 10.23.0.3 metric 7
	$n rule add from 10.23.0.11 table 100
	$n route add default via 10.23.0.4 table 100
	$n rule add fwmark 7 table 101
	$n route add default via 10.23.0.5 table 101
	$n rule add ipproto tcp dport 443 table 103
	$n rule add sport 5000-5999 table 103
	$n route add default via 10.23.0.6 table 103
	$n route add blackhole 198.51.100.0/24
	$n route add unreachable 198.51.101.0/24
	$n route add prohibit 198.51.102.0/24
	$n -6 route add default via fd23::2
	$n -6 route add fd99::/64 via fd23::3
	$n -6 route add blackhole fd66::/64
	$n -6 route add fd77::/64 dev rv1 table 102
	$n -6 rule add from fd23::11 table 102
	$n addr add fd23::11/64 dev rv1 nodad
}
