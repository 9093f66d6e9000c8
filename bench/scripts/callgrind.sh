#!/usr/bin/env bash
# Instructions of one run of the AOT binary under callgrind, with managed method names: a count that stays the same
# on a busy machine, where wall-clock medians do not. Prints the total and the costliest functions (inclusive).
#   bench/scripts/callgrind.sh [full|initramfs] ARGS...      e.g.  bench/scripts/callgrind.sh initramfs verify blob.pcfg
# Keeps the profile in callgrind.out.preconfig (callgrind_annotate it for more). Run ./build.sh first.
# Two things make callgrind work on a Native AOT binary: the GC reserves 256 GB up front, which valgrind refuses
# (DOTNET_GCRegionRange makes it reserve 1 GB), and valgrind 3.19 cannot read the DWARF 5 of preconfig.dbg, so the
# binary is pointed at a copy holding the symbol table only.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
edition=${1:?usage: callgrind.sh full|initramfs ARGS...}; shift
case "$edition" in
  full) bin="$here/src/FullEdition/bin/Release" ;;
  initramfs) bin="$here/src/InitramfsEdition/bin/Release" ;;
  *) echo "callgrind.sh: edition is full or initramfs, not '$edition'" >&2; exit 2 ;;
esac
# The newest build, whatever the target framework (bin/.../net*/linux-x64/native).
native=$(ls -dt "$bin"/net*/linux-x64/native 2>/dev/null | head -n 1)
native=${native:-$bin/linux-x64/native}
[ -f "$native/preconfig.dbg" ] || { echo "callgrind.sh: no $native/preconfig.dbg (run ./build.sh)" >&2; exit 2; }
command -v valgrind >/dev/null || "$here/scripts/install-deps.sh" valgrind
work=$(mktemp -d /tmp/preconfig-callgrind-XXXXXX)
trap 'rm -rf "$work"' EXIT
objcopy --strip-debug "$native/preconfig.dbg" "$work/preconfig.sym"
objcopy --remove-section=.gnu_debuglink "$native/preconfig" "$work/preconfig"
(cd "$work" && objcopy --add-gnu-debuglink=preconfig.sym preconfig)
DOTNET_GCRegionRange=40000000 valgrind --tool=callgrind --callgrind-out-file=callgrind.out.preconfig "$work/preconfig" "$@" \
  > /dev/null 2> "$work/valgrind.log" || true
grep -E 'I\s+refs' "$work/valgrind.log" | sed 's/^==[0-9]*== *//'
callgrind_annotate --inclusive=yes callgrind.out.preconfig 2>/dev/null | grep -E '^ *[0-9,]+ \(' \
  | grep -vE 'PROGRAM TOTALS|Rhp|WKS::|memset|memmove|below main|ld-linux|libc_start|MainMethodWrapper|Program___Main' | head -30 | cut -c1-160
