#!/usr/bin/env bash
# preinit cold start to done on 128 dirtied functions in a sysfs-shaped temp tree (the AOT binary, dist/preconfig),
# against the same writes done by setpci with one process per device. Prints medians, the ratio, max RSS, binary size
# and ldd. Everything is written under a temp directory; nothing touches /sys.
#   bench/scripts/preinit-bench.sh [RUNS]        (default 21 runs each)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-21}
# The binary the kdump initramfs carries (build.sh: the initramfs edition); PRECONFIG_BIN overrides.
bin="${PRECONFIG_BIN:-$here/dist/initramfs/preconfig}"
full="$here/dist/preconfig"   # sets the scene (sim verbs are not in the initramfs edition)
{ [ -x "$bin" ] && [ -x "$full" ]; } || "$here/build.sh" >/dev/null
command -v setpci >/dev/null || { echo "setpci (pciutils) is needed" >&2; exit 2; }
work=$(mktemp -d /tmp/preinit-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The scene: 128 functions, their firmware snapshot as a blob, the crashed state as a sysfs tree (preinit-scene.sh).
. "$here/bench/scripts/preinit-scene.sh"
n=$(ls "$work/dirty/devices" | wc -l)

# The peer: the dry-run's commands, one setpci process per device (all of a device's writes in one invocation).
"$full" preinit --from "$work/handoff.pcfg" --target "sysfs:$work/dirty" --dry-run > "$work/plan.sh"
/usr/bin/python3 - "$work/plan.sh" "$work/per-device.sh" <<'PY'
import sys, collections
ops = collections.OrderedDict()
prefix = None
for line in open(sys.argv[1]):
    line = line.split("  #")[0].strip()
    if not line.startswith("setpci "): continue
    words = line.split()
    s = words.index("-s")
    prefix = " ".join(words[:s])
    ops.setdefault(words[s + 1], []).append(words[s + 2])
with open(sys.argv[2], "w") as out:
    for addr, regs in ops.items():
        out.write(f"{prefix} -s {addr} {' '.join(regs)}\n")
PY
writes=$(grep -c '^setpci' "$work/plan.sh")
procs=$(wc -l < "$work/per-device.sh")

now() { date +%s%N; }
declare -a tp ts
for ((i = 0; i < runs; i++)); do
  rm -rf "$work/t"; cp -r "$work/dirty" "$work/t"
  sed "s#$work/dirty#$work/t#g" "$work/per-device.sh" > "$work/peer.sh"
  a=$(now); "$bin" preinit --from "$work/handoff.pcfg" --target "sysfs:$work/t" --policy "$work/policy.json" --kmsg /dev/null >/dev/null 2>&1; b=$(now)
  tp+=($(( (b - a) / 1000 )))
  rm -rf "$work/t"; cp -r "$work/dirty" "$work/t"
  a=$(now); sh "$work/peer.sh"; b=$(now)
  ts+=($(( (b - a) / 1000 )))
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
mp=$(median "${tp[@]}"); ms=$(median "${ts[@]}")

rm -rf "$work/t"; cp -r "$work/dirty" "$work/t"
rss=$(/usr/bin/time -v "$bin" preinit --from "$work/handoff.pcfg" --target "sysfs:$work/t" --policy "$work/policy.json" --kmsg /dev/null 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}')
size=$(stat -c %s "$bin")

echo "functions:                         $n (plan: $writes setpci writes)"
echo "preinit (AOT) cold start to done:  median $(awk "BEGIN{printf \"%.1f\", $mp/1000}") ms over $runs runs"
echo "setpci, one process per device:    median $(awk "BEGIN{printf \"%.1f\", $ms/1000}") ms ($procs processes)"
echo "ratio setpci / preinit:            $(awk "BEGIN{printf \"%.1f\", $ms/$mp}")x"
echo "preinit max RSS:                   $((rss / 1024)) MB ($rss KB)"
echo "binary size:                       $(awk "BEGIN{printf \"%.2f\", $size/1048576}") MB"
echo "ldd:"; ldd "$bin" | sed 's/^/  /'
