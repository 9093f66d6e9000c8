#!/usr/bin/env bash
# preinit cold start to done on 128 dirtied functions in a sysfs-shaped temp tree (the AOT binary, dist/preconfig),
# against the same writes done by setpci with one process per device. Prints medians, the ratio, max RSS, binary size
# (raw and gzip -9) and ldd, the start-up alone (verify of the same blob), syscalls per function (strace) and instructions (valgrind's
# callgrind), the last two when installed.
# Everything is written under a temp directory; nothing touches /sys.
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

# Microseconds from bash's $EPOCHREALTIME (no fork to read the clock).
now() { local t=$EPOCHREALTIME; echo "${t/./}"; }
declare -a tp ts tv
for ((i = 0; i < runs; i++)); do
  rm -rf "$work/t"; cp -r "$work/dirty" "$work/t"
  sed "s#$work/dirty#$work/t#g" "$work/per-device.sh" > "$work/peer.sh"
  a=$(now); "$bin" preinit --from "$work/handoff.pcfg" --target "sysfs:$work/t" --policy "$work/policy.json" --kmsg /dev/null >/dev/null 2>&1; b=$(now)
  tp+=($((b - a)))
  rm -rf "$work/t"; cp -r "$work/dirty" "$work/t"
  a=$(now); sh "$work/peer.sh"; b=$(now)
  ts+=($((b - a)))
  # Start-up alone: the same binary verifying the same blob (no device touched).
  a=$(now); "$bin" verify "$work/handoff.pcfg" >/dev/null 2>&1; b=$(now)
  tv+=($((b - a)))
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
mp=$(median "${tp[@]}"); ms=$(median "${ts[@]}"); mv=$(median "${tv[@]}")

rm -rf "$work/t"; cp -r "$work/dirty" "$work/t"
rss=$(/usr/bin/time -v "$bin" preinit --from "$work/handoff.pcfg" --target "sysfs:$work/t" --policy "$work/policy.json" --kmsg /dev/null 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}')
size=$(stat -c %s "$bin")

# Syscalls per function of one run of each (when strace is installed).
syscalls() { command -v strace >/dev/null || { echo "-"; return; }
  rm -rf "$work/t"; cp -r "$work/dirty" "$work/t"
  strace -f -c -o "$work/strace" "$@" >/dev/null 2>&1 || true
  awk -v n="$n" '$NF == "total" {printf "%.1f", $(NF-2) / n}' "$work/strace"; }
# Instructions of one run (callgrind: the same on a busy machine), when valgrind is installed.
instructions() { command -v valgrind >/dev/null || { echo "-"; return; }
  rm -rf "$work/t"; cp -r "$work/dirty" "$work/t"
  DOTNET_GCRegionRange=40000000 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | awk '/refs:/ {print $NF}'; }
ip=$(instructions "$bin" preinit --from "$work/handoff.pcfg" --target "sysfs:$work/t" --policy "$work/policy.json" --kmsg /dev/null)
iv=$(instructions "$bin" verify "$work/handoff.pcfg")
sp=$(syscalls "$bin" preinit --from "$work/handoff.pcfg" --target "sysfs:$work/t" --policy "$work/policy.json" --kmsg /dev/null)
ss=$(syscalls sh "$work/peer.sh")

echo "functions:                         $n (plan: $writes setpci writes)"
echo "load average:                      $(cut -d' ' -f1-3 /proc/loadavg)"
echo "preinit (AOT) cold start to done:  median $(awk "BEGIN{printf \"%.1f\", $mp/1000}") ms over $runs runs"
echo "setpci, one process per device:    median $(awk "BEGIN{printf \"%.1f\", $ms/1000}") ms ($procs processes)"
echo "ratio setpci / preinit:            $(awk "BEGIN{printf \"%.1f\", $ms/$mp}")x"
echo "start-up alone (verify the blob):  median $(awk "BEGIN{printf \"%.1f\", $mv/1000}") ms"
echo "syscalls per function:             preinit $sp, setpci script $ss"
echo "instructions (callgrind):          preinit $ip, start-up alone (verify) $iv"
echo "preinit max RSS:                   $((rss / 1024)) MB ($rss KB)"
echo "binary size:                       $(awk "BEGIN{printf \"%.2f\", $size/1048576}") MB ($size B; gzip -9: $(gzip -9 -c "$bin" | wc -c) B, what the initramfs holds)"
echo "ldd:"; ldd "$bin" | sed 's/^/  /'
