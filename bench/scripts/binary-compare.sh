#!/usr/bin/env bash
# Compares two builds of the binaries (two dist/ folders made by ./build.sh, e.g. main's and a branch's):
#  - size of each edition, raw and gzip -9 (the initramfs edition is what the kdump initramfs carries, compressed);
#  - `verify` start-up on a one-function blob: RUNS runs of each, interleaved, median wall time and max RSS;
#  - instructions (valgrind --tool=callgrind, stable on a noisy machine) of one `verify` and one `preinit` run on the
#    preinit bench's 128-function tree (preinit-scene.sh), for the initramfs edition.
# Both builds read the same blobs (made by NEW's full binary). Nothing touches /sys.
#   bench/scripts/binary-compare.sh OLD_DIST NEW_DIST [RUNS]      (default 31)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
old=$(cd "$1" && pwd); new=$(cd "$2" && pwd); runs=${3:-31}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
work=$(mktemp -d /tmp/binary-compare.XXXXXX)
trap 'rm -rf "$work"' EXIT
full="$new/preconfig"
. "$here/bench/scripts/preinit-scene.sh"
"$full" capture --source "lspci:$here/fixtures/real-dumps/pciutils-tests/cap-dev3" --out "file:$work/tiny.pcfg" >/dev/null

echo "== size (bytes: raw, gzip -9)"
for ed in preconfig initramfs/preconfig; do
  for d in "$old" "$new"; do
    printf '%-22s %-40s %10d %10d\n' "$ed" "$d" "$(stat -c %s "$d/$ed")" "$(gzip -9 -c "$d/$ed" | wc -c)"
  done
done

echo "== verify start-up, one-function blob: median of $runs interleaved runs (ms), max RSS (KB)"
/usr/bin/python3 - "$runs" "$work/tiny.pcfg" "$old/preconfig" "$new/preconfig" "$old/initramfs/preconfig" "$new/initramfs/preconfig" <<'PY'
import resource, statistics, subprocess, sys, time
runs, blob, bins = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
times = {b: [] for b in bins}
rss = {}
for _ in range(runs):
    for b in bins:
        t = time.perf_counter()
        subprocess.run([b, "verify", blob], stdout=subprocess.DEVNULL, check=True)
        times[b].append((time.perf_counter() - t) * 1000)
for b in bins:   # alone, so ru_maxrss of the children is this binary's
    r = subprocess.run([sys.executable, "-c", "import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", b, "verify", blob], capture_output=True, text=True)
    rss[b] = int(r.stdout)
for b in bins:
    print("%-60s %7.1f ms  %6d KB" % (b, statistics.median(times[b]), rss[b]))
PY

echo "== instructions (callgrind), initramfs edition"
# Instructions of one run; "failed" when the binary does not run to its end under valgrind (net9.0 NativeAOT
# binaries exit 255 at start-up under valgrind 3.19).
instructions() {
  local log="$work/callgrind.log" rc=0
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >/dev/null 2>"$log" || rc=$?
  if [ "$rc" -eq 0 ]; then awk '/Collected/ {print $4}' "$log"; else echo "failed(exit $rc)"; fi
}
for d in "$old" "$new"; do
  bin="$d/initramfs/preconfig"
  v=$(instructions "$bin" verify "$work/handoff.pcfg")
  rm -rf "$work/t"; cp -r "$work/dirty" "$work/t"
  p=$(instructions "$bin" preinit --from "$work/handoff.pcfg" --target "sysfs:$work/t" --policy "$work/policy.json" --kmsg /dev/null)
  printf '%-60s verify %14s   preinit %14s\n' "$bin" "$v" "$p"
done
