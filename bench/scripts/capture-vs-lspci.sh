#!/usr/bin/env bash
# Whole-process capture vs lspci and vs a C floor, same tree, same run, interleaved; medians and ratios.
#   bench/scripts/capture-vs-lspci.sh [RUNS] [COPIES]      (defaults 15, 2)
# 1. a sysfs-shaped tree: COPIES copies of every dump in fixtures/real-dumps, each dump of each copy in its own PCI
#    domains (n-th dump placed: domain n*16 + the dump's own), so bus numbers inside bridges stay true;
#    `preconfig sim new` + `preconfig sim sysfs` write it as the kernel would;
# 2. RUNS times each, interleaved:
#    - `preconfig capture --source sysfs:TREE --out file:BLOB` (dist/preconfig, and the initramfs edition);
#    - `lspci -A linux-sysfs -O sysfs.path=TREE -xxxx` (also with -n, which skips the pci.ids name lookups);
#    - the floors: a C loop doing open/pread/close of every function's config, nothing else, and the same loop also
#      reading the driver link and, where a BAR or ROM is set, resource (what the snapshot keeps); compiled here with cc;
# 3. syscalls per function of each (when strace is installed) and instructions of one run (when valgrind is);
# 4. the blob's size (whole file, header included) per function and over the functions of 4 KiB; checks the
#    capture holds the same bytes as lspci prints, for every function;
# 5. the same comparison, read-only, on this machine's real /sys/bus/pci.
# Reads only under the temp dir and /sys; never writes /sys.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-15}
copies=${2:-2}
dumps="$here/fixtures/real-dumps"
bin="$here/dist/preconfig"
small="$here/dist/initramfs/preconfig"
if [ ! -x "$bin" ] || [ ! -x "$small" ] || [ -n "$(find "$here/src" -name '*.cs' -newer "$bin" -print -quit)" ]; then "$here/build.sh" >&2; fi
command -v lspci >/dev/null || { echo "lspci not found (apt-get install pciutils)" >&2; exit 2; }
command -v cc >/dev/null || { echo "cc not found: the C floor is compiled here (apt-get install gcc)" >&2; exit 2; }

work=$(mktemp -d /tmp/preconfig-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

# --- 1. the machine: every lspci-format dump (not the raw .bin config files), COPIES times ---
mapfile -t sources < <(cd "$dumps" && find . -type f ! -name '*.bin' ! -name '*.md' | sed 's#^\./##' | sort)
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
"$bin" sim new --from "lspci:$work/machine.lspci" --out "$work/machine.json" 2>"$work/sim.log" || { cat "$work/sim.log" >&2; exit 1; }
"$bin" sim sysfs "$work/machine.json" "$work/tree"
functions=$(ls "$work/tree/devices" | wc -l)

# The floors. "config": what any capture of this tree must at least do (open/pread/close of every config).
# "attributes": the same C loop also reading what the snapshot keeps besides the bytes (driver: one readlink;
# resource: open/pread/close, where a BAR or the ROM register is non-zero, as PciAccessSource.Kept says).
cat > "$work/floor.c" <<'C'
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static unsigned char buf[4096];
static int attribute(const char *root, const char *fn, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/devices/%s/%s", root, fn, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int n = pread(fd, buf, sizeof buf, 0);
  close(fd);
  return n;
}
static uint32_t dword(int at) { return buf[at] | buf[at + 1] << 8 | buf[at + 2] << 16 | (uint32_t)buf[at + 3] << 24; }
/* Any BAR or the ROM register non-zero (the capture reads resource only then: it adds sizes, nothing else). */
static int has_bar_or_rom(int n) {
  if (n <= 0x0e) return 1;
  int kind = buf[0x0e] & 0x7f, bars = kind == 0 ? 6 : kind == 1 ? 2 : kind == 2 ? 1 : -1, rom = kind == 0 ? 0x30 : kind == 1 ? 0x38 : -1;
  if (bars < 0) return 1;
  for (int i = 0; i < bars; i++) if (0x10 + 4 * i + 4 <= n && dword(0x10 + 4 * i)) return 1;
  return rom > 0 && rom + 4 <= n && dword(rom);
}
int main(int argc, char **argv) {
  char path[4096];
  int all = argc > 2 && strcmp(argv[2], "attributes") == 0;
  snprintf(path, sizeof path, "%s/devices", argv[1]);
  DIR *d = opendir(path);
  if (!d) { perror(path); return 2; }
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    int n = attribute(argv[1], e->d_name, "config");
    if (!all) continue;
    if (has_bar_or_rom(n)) attribute(argv[1], e->d_name, "resource");
    snprintf(path, sizeof path, "%s/devices/%s/driver", argv[1], e->d_name);
    readlink(path, (char *)buf, sizeof buf);
  }
  closedir(d);
  return 0;
}
C
cc -O2 -o "$work/floor" "$work/floor.c"

# --- timing helpers (bash's $EPOCHREALTIME: no fork to read the clock) ---
us() { local s=$EPOCHREALTIME; "$@" >/dev/null 2>"$work/stderr" || { echo "failed: $*" >&2; cat "$work/stderr" >&2; exit 1; }
       local e=$EPOCHREALTIME; echo $(( (${e/./} - ${s/./}) )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.2f ms", u / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a / b}'; }
# Syscalls per function of one run (strace -f -c), when strace is there.
per_function() { local n=$1; shift
  command -v strace >/dev/null || { echo "-"; return; }
  strace -f -c -o "$work/strace" "$@" >/dev/null 2>&1 || true
  awk -v n="$n" '$NF == "total" {printf "%.1f", $(NF-2) / n}' "$work/strace"; }

# Instructions of one run (callgrind: the same on a busy machine), when valgrind is installed. The GC reserves
# 256 GB up front unless told otherwise, which valgrind refuses.
instructions() { command -v valgrind >/dev/null || { echo "-"; return; }
  DOTNET_GCRegionRange=40000000 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | awk '/refs:/ {print $NF}'; }

compare() { # NAME ROOT LSPCI-ARGS...
  local name=$1 root=$2; shift 2
  local n; n=$(ls "$root/devices" | wc -l)
  local ours=() initramfs=() peer=() peern=() floor=() floora=()
  "$bin" capture --source "sysfs:$root" --out "file:$work/warm.pcfg" >/dev/null 2>&1 || true  # page cache warm-up
  lspci "$@" -xxxx >/dev/null
  for ((i = 0; i < runs; i++)); do
    ours+=("$(us "$bin" capture --source "sysfs:$root" --out "file:$work/$name.pcfg")")
    initramfs+=("$(us "$small" capture --source "sysfs:$root" --out "file:$work/$name-initramfs.pcfg")")
    peer+=("$(us lspci "$@" -xxxx)")
    peern+=("$(us lspci "$@" -n -xxxx)")
    floor+=("$(us "$work/floor" "$root")")
    floora+=("$(us "$work/floor" "$root" attributes)")
  done
  local mo mi mp mn mf ma; mo=$(median "${ours[@]}"); mi=$(median "${initramfs[@]}"); mp=$(median "${peer[@]}")
  mn=$(median "${peern[@]}"); mf=$(median "${floor[@]}"); ma=$(median "${floora[@]}")
  echo "$name: $n functions, median of $runs runs, interleaved (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "  preconfig capture                $(ms "$mo")   lspci -xxxx / it: $(ratio "$mp" "$mo"), it / C floor: $(ratio "$mo" "$mf")"
  echo "  preconfig capture (initramfs)    $(ms "$mi")   lspci -xxxx / it: $(ratio "$mp" "$mi"), it / C floor: $(ratio "$mi" "$mf")"
  echo "  lspci -xxxx                      $(ms "$mp")"
  echo "  lspci -n -xxxx                   $(ms "$mn")"
  echo "  C floor, config only             $(ms "$mf")"
  echo "  C floor, config and attributes   $(ms "$ma")   preconfig capture / it: $(ratio "$mo" "$ma")"
  echo "  syscalls per function: preconfig capture $(per_function "$n" "$bin" capture --source "sysfs:$root" --out "file:$work/sc.pcfg"), lspci -xxxx $(per_function "$n" lspci "$@" -xxxx), C floors $(per_function "$n" "$work/floor" "$root") and $(per_function "$n" "$work/floor" "$root" attributes)"
  echo "  instructions (callgrind): preconfig capture $(instructions "$bin" capture --source "sysfs:$root" --out "file:$work/sc.pcfg"), initramfs edition $(instructions "$small" capture --source "sysfs:$root" --out "file:$work/sc.pcfg"), lspci -xxxx $(instructions lspci "$@" -xxxx)"
  local size n4k; size=$(stat -c %s "$work/$name.pcfg")
  n4k=$(for f in "$root"/devices/*/config; do stat -L -c %s "$f"; done | grep -c '^4096$' || true)
  echo "  blob of the capture: $size bytes, $(awk -v s="$size" -v n="$n" 'BEGIN {printf "%.1f", s / n}') per function; over the $n4k functions of 4 KiB: $(awk -v s="$size" -v n="$n4k" 'BEGIN {printf (n ? "%.1f" : "-"), (n ? s / n : 0)}') each"
  lspci "$@" -xxxx > "$work/$name.lspci"
  dotnet run -c Release --project "$here/bench/Preconfig.Bench" -- capture-check "$work/$name.pcfg" "$work/$name.lspci" 2>&1 | grep -v 'warning NU1603'
}

echo "machine: $functions functions ($copies copies of ${#sources[@]} real dumps), $(du -sh "$work/tree" | cut -f1) tree"
compare tree "$work/tree" -A linux-sysfs -O "sysfs.path=$work/tree"
if [ -d /sys/bus/pci/devices ]; then
  echo "real /sys/bus/pci (read-only):"
  compare real /sys/bus/pci -A linux-sysfs
fi
