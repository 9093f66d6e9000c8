#!/usr/bin/env bash
# Builds the device matrix's additions to the e2e images, as cpio archives appended to the base images that
# tests/e2e/mkimages.sh made (the kernel unpacks concatenated archives in order), so the other scenarios' images
# stay as small as they are:
#   WORK/capture-matrix.gz : capture-base.gz + the matrix scripts, cfgprobe and the driver modules
#   WORK/first-matrix.gz   : first.gz + the same + capture-matrix.gz (what the first kernel hands to kexec -p)
# Modules: every driver devices.txt names, with what each depends on (read from the modules' own depends= fields),
# in load order per driver. Usage: mkmatrix.sh CACHE WORK. Prints "E2E-SIZE matrix_..." figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=$1; work=$2
kver=$(cat "$cache/kernel/version")
kmod="$cache/kernel/lib/modules/$kver/kernel"
[ -s "$work/capture-base.gz" ] && [ -s "$work/first.gz" ] || { echo "mkmatrix: run mkimages.sh first" >&2; exit 2; }

cc -O2 -Wall -o "$work/cfgprobe" "$here/cfgprobe.c"

extra="$work/matrix-extra"
rm -rf "$extra"; mkdir -p "$extra/e2e/matrix/load" "$extra/usr/lib/modules/matrix" "$extra/usr/bin"
cp "$here/devices.txt" "$here/lib.sh" "$here/first.sh" "$here/capture.sh" "$here/lsi-first.sh" "$here/lsi-capture.sh" "$extra/e2e/matrix/"
cp "$here"/*.policy "$extra/e2e/matrix/"
cp "$work/cfgprobe" "$extra/usr/bin/cfgprobe"
# The fidelity scenarios (tests/e2e/fidelity) boot these images too: their scripts and the pvpanic-pci driver.
mkdir -p "$extra/e2e/fidelity" "$extra/usr/lib/modules/fidelity"
cp "$here/../fidelity/first.sh" "$here/../fidelity/capture.sh" "$extra/e2e/fidelity/"
cp "$kmod/drivers/misc/pvpanic/pvpanic.ko" "$kmod/drivers/misc/pvpanic/pvpanic-pci.ko" "$extra/usr/lib/modules/fidelity/"

# For each driver module: itself and its dependencies, dependencies first; the .ko files under one flat folder.
/usr/bin/python3 - "$kmod" "$here/devices.txt" "$extra" <<'PY'
import os, shutil, sys
kmod, table, out = sys.argv[1:4]
index = {}
for root, _, files in os.walk(kmod):
    for f in files:
        if f.endswith(".ko"):
            index[f[:-3].replace("-", "_")] = os.path.join(root, f)

def depends(mod):
    data = open(index[mod], "rb").read()
    i = data.find(b"\0depends=")
    if i < 0:
        return []
    value = data[i + 9:data.index(b"\0", i + 1)].decode()
    return [d.replace("-", "_") for d in value.split(",") if d]

def order(mod, seen, acc):
    if mod in seen:
        return
    seen.add(mod)
    if mod not in index:
        sys.exit(f"mkmatrix: module {mod} not in {kmod} (built in, or renamed?)")
    for d in depends(mod):
        order(d, seen, acc)
    acc.append(mod)

copied = set()
for line in open(table):
    words = line.split()
    if not words or line.startswith("#") or words[2] == "-":
        continue
    for top in words[2].split(","):
        acc = []
        order(top, set(), acc)
        with open(os.path.join(out, "e2e/matrix/load", top), "w") as f:
            f.write("\n".join(acc) + "\n")
        for m in acc:
            if m not in copied:
                shutil.copy(index[m], os.path.join(out, "usr/lib/modules/matrix", m + ".ko"))
                copied.add(m)
PY

pack() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6) > "$2"; }
pack "$extra" "$work/matrix-capture.cpio.gz"
cat "$work/capture-base.gz" "$work/matrix-capture.cpio.gz" > "$work/capture-matrix.gz"
rm -rf "$work/matrix-first"; mkdir -p "$work/matrix-first"
cp "$work/capture-matrix.gz" "$work/matrix-first/capture-matrix.gz"
pack "$work/matrix-first" "$work/matrix-first.cpio.gz"
cat "$work/first.gz" "$work/matrix-capture.cpio.gz" "$work/matrix-first.cpio.gz" > "$work/first-matrix.gz"
modules_bytes=$(find "$extra/usr/lib/modules/matrix" -name '*.ko' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
echo "E2E-SIZE matrix_modules=$(find "$extra/usr/lib/modules/matrix" -name '*.ko' | wc -l) matrix_modules_bytes=$modules_bytes matrix_extra_gz_bytes=$(stat -c %s "$work/matrix-capture.cpio.gz") capture_matrix_gz_bytes=$(stat -c %s "$work/capture-matrix.gz")"
