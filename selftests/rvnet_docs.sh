#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The documentation's commands still run. Documentation/tools/life-of-a-packet
# (what `make docs` runs to write Documentation/life-of-a-packet.rst) runs
# every command the walk-through shows and fails if one fails; its output
# must show the ARP exchange and the connection's packets with their
# decisions on both sides. Documentation/tools/doc-commands runs every
# command shown in the other documents (one case per document, listed by
# `doc-commands --list`), checks the output they show, and prints what it
# did with each command (run here, run on the host by selftests/check, or
# skipped and why).
. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)

t_life_of_a_packet() {
	[ -x "$here/../out/rvnetctl" ] || skip "rvnetctl not built: tools/rvnetctl/build"
	local out=/tmp/rvnet-life.$$.rst
	"$here/../Documentation/tools/life-of-a-packet" >"$out" || fail "the walk-through script failed"
	grep -q '^  rv-client tx q[0-9]* #[0-9]* arp who-has 10.0.0.2 tell 10.0.0.1' "$out" ||
		fail "no ARP request in the client's monitor"
	grep -E -q '^  rv-client tx q[0-9]+ #[0-9]+ 10.0.0.1:[0-9]+ > 10.0.0.2:8080 tcp \[S\] .*\| route unicast table main 10.0.0.0/24 direct dev rv-client \| neigh 10.0.0.2 REACHABLE' "$out" ||
		fail "no SYN with its route and neighbour in the client's monitor"
	grep -E -q '^  rv-server rx q[0-9]+ #[0-9]+ 10.0.0.1:[0-9]+ > 10.0.0.2:8080 tcp \[S\] .*\| input local' "$out" ||
		fail "no SYN with the input decision in the server's monitor"
	# Valid reStructuredText, warnings as errors.
	python3 -m docutils --halt=warning "$out" /dev/null || fail "not valid rst"
	rm -f "$out"
}

# t_doc_commands FILE LOG: doc-commands on one document, its report in LOG.
t_doc_commands() {
	[ -x "$here/../out/rvnetctl" ] || skip "rvnetctl not built: tools/rvnetctl/build"
	if ! "$here/../Documentation/tools/doc-commands" --guest "$1" >"$2" 2>&1; then
		# The failing command and its output first, next to the verdict
		# (a CI record may keep only the lines around "not ok"); the whole
		# report follows the case.
		grep -B1 -A20 -E '^ *FAIL' "$2" | head -22 || true
		fail "a command of $1 failed (above; the whole report follows)"
	fi
}

docs=$("$here/../Documentation/tools/doc-commands" --list)
rvnet_load
ktap_print_header
ktap_set_plan $((1 + $(echo "$docs" | wc -l)))
run_case "docs_life_of_a_packet_commands_run" t_life_of_a_packet
while read -r file case; do
	log=/tmp/rvnet-doc-commands.$$.log
	: >"$log"
	run_case "$case" t_doc_commands "$file" "$log"
	# The report of every document, also when it passes.
	sed 's/^/# /' "$log"
	rm -f "$log"
done <<<"$docs"
cleanup_all
rvnet_unload
ktap_finished
