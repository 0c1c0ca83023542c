# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the qemu/ scripts: cache layout and kernel variant keys.
# shellcheck shell=bash

RVNET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RVNET_CACHE=${RVNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvnet}
LLVM_SUFFIX=-19
KSRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
export PATH="$HOME/.cargo/bin:$PATH"

log() { echo "rvnet: $*" >&2; }
die() { echo "rvnet: error: $*" >&2; exit 1; }

# Version of the Debian source package, e.g. 6.12.117-1.
ksrc_pkg_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12
}

# py_precompile DIR...: byte-compile the Python under each existing DIR
# (on the host, where it is writable). The guest sees the host's root
# read-only, so it cannot write __pycache__ there and compiled the kernel's
# YNL library (tools/net/ynl/lib, 1,400 lines) on every import: measured on
# the debug kernel under TCG beside another guest, `import lib` took 8.8 s
# against 4.6 s for a bare python3. Up-to-date files are only stat()ed.
py_precompile() {
	local d dirs=()
	for d in "$@"; do [ ! -d "$d" ] || dirs+=("$d"); done
	[ ${#dirs[@]} = 0 ] || python3 -m compileall -q "${dirs[@]}" >/dev/null 2>&1 ||
		log "could not byte-compile ${dirs[*]}"
	return 0
}

# guest_venv: print the bin directory of a venv (made once, in the cache)
# over the Python the guest runs (/usr/bin/python3), or nothing if it
# cannot be made. The guest imports site-packages without their .pth hooks:
# this host's dist-packages carry one that imports certifi at every start
# (a sandbox CA hook) and setuptools' distutils shim; with them a bare
# python3 took 2.8 s on the debug kernel under TCG, in the venv 2.2 s
# (warm). The venv lists the system's site-packages directories as plain
# .pth lines: appended after the standard library (stdlib imports do not
# search them first, as with PYTHONPATH) and their own .pth files unread.
guest_venv() {
	local py=/usr/bin/python3 v="$RVNET_CACHE/guest-venv"
	[ -x $py ] || return 0
	if [ ! -f "$v/.rvnet-ready" ]; then
		rm -rf "$v"
		$py -m venv --without-pip "$v" >/dev/null 2>&1 || { log "no guest venv: $py -m venv failed"; return 0; }
		$py - "$v" <<-'PY' || { log "no guest venv: site-packages"; rm -rf "$v"; return 0; }
		import glob, site, sys
		d = glob.glob(sys.argv[1] + '/lib/python3*/site-packages')[0]
		with open(d + '/system-site-packages.pth', 'w') as f:
		    f.write(''.join(p + '\n' for p in site.getsitepackages()))
		PY
		touch "$v/.rvnet-ready"
	fi
	echo "$v/bin"
}

# Extracted, pristine kernel source for the installed package version.
ksrc_dir() {
	local v d
	v=$(ksrc_pkg_version)
	d="$RVNET_CACHE/src/linux-source-$v"
	if [ ! -f "$d/.rvnet-extracted" ]; then
		log "extracting $KSRC_TARBALL ($v)"
		rm -rf "$d" "$d.tmp"
		mkdir -p "$d.tmp"
		tar -C "$d.tmp" -xf "$KSRC_TARBALL" --strip-components=1
		touch "$d.tmp/.rvnet-extracted"
		mv "$d.tmp" "$d"
	fi
	echo "$d"
}

# Config fragments of a variant, in merge order.
variant_fragments() {
	echo "$RVNET_ROOT/.config.fragment" "$RVNET_ROOT/selftests/config"
	[ "$1" = debug ] && echo "$RVNET_ROOT/qemu/debug.config"
	return 0
}

# Cache key: source version + fragments + toolchain versions.
variant_key() {
	local variant=$1
	{
		echo "variant=$variant"
		ksrc_pkg_version
		# shellcheck disable=SC2046
		cat $(variant_fragments "$variant")
		clang$LLVM_SUFFIX --version | head -1
		ld.lld$LLVM_SUFFIX --version | head -1
		rustc --version
		bindgen --version
	} | sha256sum | cut -c1-16
}

kbuild_dir() {
	echo "$RVNET_CACHE/kernel/$1-$(variant_key "$1")"
}
