#!/usr/bin/env bash
# Whole-process capture with the AOT binary vs lspci, same tree, same run, interleaved; medians and ratios.
#   bench/scripts/capture-vs-lspci.sh [RUNS] [COPIES]
# 1. a sysfs-shaped tree of >= 1,000 functions: COPIES copies of several real dumps (fixtures/real-dumps),
#    each dump of each copy in its own PCI domains (n-th dump placed: domain n*16 + the dump's own), so bus numbers
#    inside bridges stay true;
#    `preconfig sim new` + `preconfig sim sysfs` write it as the kernel would;
# 2. `preconfig capture --source sysfs:TREE --out file:BLOB` vs `lspci -A linux-sysfs -O sysfs.path=TREE -xxxx`
#    (also with -n, which skips the pci.ids name lookups), RUNS times each, interleaved;
# 3. checks the capture holds the same bytes as lspci prints, for every function;
# 4. the same comparison, read-only, on this machine's real /sys/bus/pci.
# Reads only under the temp dir and /sys; never writes /sys.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-15}
copies=${2:-8}
dumps="$here/fixtures/real-dumps"
bin="$here/dist/preconfig"
if [ ! -x "$bin" ] || [ -n "$(find "$here/src" -name '*.cs' -newer "$bin" -print -quit)" ]; then "$here/build.sh" >&2; fi
command -v lspci >/dev/null || { echo "lspci not found (apt-get install pciutils)" >&2; exit 2; }

work=$(mktemp -d /tmp/preconfig-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

# --- 1. the machine ---
sources=(pciutils-tests/tree-asus-p6t6 pciutils-tests/tree-fujitsu-p8010 pciutils-tests/PCI-X-bridges-and-domains
         openpower-talos2/lspci.log pciutils-tests/tree-fsl-p2020 pciutils-tests/cap-vc-and-rcl)
for ((k = 0; k < copies; k++)); do
  for j in "${!sources[@]}"; do
    s=${sources[$j]}
    awk -v k="$((k * ${#sources[@]} + j))" '
      function hex(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
      match($0, /^([0-9a-f]+:)?[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] /) {
        addr = substr($0, 1, RLENGTH - 1); rest = substr($0, RLENGTH)
        n = split(addr, p, ":"); dom = (n == 3) ? hex(p[1]) : 0
        printf "%04x:%s:%s%s\n", k * 16 + dom, p[n - 1], p[n], rest; next }
      { print }
      END { print "" }' "$dumps/$s"
  done
done > "$work/machine.lspci"
"$bin" sim new --from "lspci:$work/machine.lspci" --out "$work/machine.json"
"$bin" sim sysfs "$work/machine.json" "$work/tree"
functions=$(ls "$work/tree/devices" | wc -l)

# --- timing helpers (bash's $EPOCHREALTIME: no fork to read the clock) ---
us() { local s=$EPOCHREALTIME; "$@" >/dev/null 2>"$work/stderr" || { echo "failed: $*" >&2; cat "$work/stderr" >&2; exit 1; }
       local e=$EPOCHREALTIME; echo $(( (${e/./} - ${s/./}) )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.2f ms", u / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a / b}'; }

compare() { # NAME ROOT LSPCI-ARGS...
  local name=$1 root=$2; shift 2
  local ours=() peer=() peern=()
  "$bin" capture --source "sysfs:$root" --out "file:$work/warm.pcfg" >/dev/null 2>&1 || true  # page cache warm-up
  lspci "$@" -xxxx >/dev/null
  for ((i = 0; i < runs; i++)); do
    ours+=("$(us "$bin" capture --source "sysfs:$root" --out "file:$work/$name.pcfg")")
    peer+=("$(us lspci "$@" -xxxx)")
    peern+=("$(us lspci "$@" -n -xxxx)")
  done
  local mo mp mn; mo=$(median "${ours[@]}"); mp=$(median "${peer[@]}"); mn=$(median "${peern[@]}")
  echo "$name: preconfig capture $(ms "$mo")  |  lspci -xxxx $(ms "$mp") ($(ratio "$mp" "$mo") slower)  |  lspci -n -xxxx $(ms "$mn") ($(ratio "$mn" "$mo") slower)   [median of $runs]"
  lspci "$@" -xxxx > "$work/$name.lspci"
  dotnet run -c Release --project "$here/bench/Preconfig.Bench" -- capture-check "$work/$name.pcfg" "$work/$name.lspci"
}

echo "machine: $functions functions ($copies copies of ${#sources[@]} real dumps), $(du -sh "$work/tree" | cut -f1) tree"
compare tree "$work/tree" -A linux-sysfs -O "sysfs.path=$work/tree"
if [ -d /sys/bus/pci/devices ]; then
  echo "real /sys/bus/pci: $(ls /sys/bus/pci/devices | wc -l) functions (read-only)"
  compare real /sys/bus/pci -A linux-sysfs
fi
