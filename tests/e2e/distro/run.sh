#!/usr/bin/env bash
# The distro scenario (called by tests/e2e/kdump.sh distro): preconfig as an operator meets it. A Debian 12 root file
# system (rootfs.sh, cached), our .deb installed into it with apt-get (image.sh, cached per .deb), booted under QEMU
# (TCG) with real systemd as PID 1 and crashkernel=; preconfig.service captures, kdump-tools loads its own kdump
# initramfs (our hook and key inside) with the handoff appended; the guest dirties the NIC and crashes with sysrq;
# kdump-tools' own flow dumps with makedumpfile and reboots; the guest reports `preconfig status` and powers off.
# The test then reads /var/crash/<stamp>/ from the disk image (debugfs, nothing mounted) and check.py asserts.
# distro-faults (run.sh CACHE WORK distro-faults): the same image booted with e2e.faults=1 (guest/e2e-distro-faults):
# preconfig broken three ways and then purged, one crash each, asserted by faults.py.
# Usage: run.sh CACHE WORK [distro|distro-faults]   (prints "e2e: PASS NAME (...)" or "e2e: FAIL NAME: ..."; exit 0 on pass)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=$1; work=$2; name=${3:-distro}
fail() { echo "e2e: FAIL $name: $*"; exit 1; }
t_start=$(date +%s)

"$repo/scripts/install-deps.sh" mmdebstrap lintian e2fsprogs python3-prometheus-client qemu-system-x86 >&2 \
  || fail "installing mmdebstrap, lintian, e2fsprogs, python3-prometheus-client"

# The .deb, rebuilt when the binaries or the packaging changed.
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
deb="$repo/dist/preconfig_${version}_amd64.deb"
if [ ! -f "$deb" ] || [ -n "$(find "$repo/dist/preconfig" "$repo/dist/initramfs/preconfig" "$repo/packaging" "$repo/docs/install.md" \
      -newer "$deb" -type f 2>/dev/null | head -n 1)" ]; then
  "$repo/packaging/deb/build-deb.sh" >&2 || fail "packaging/deb/build-deb.sh"
fi
lintian "$deb" > "$work/distro.lintian" 2>&1
lintian_rc=$?

t0=$(date +%s)
base=$("$here/rootfs.sh" "$cache" | tail -n 1) || fail "building the Debian root file system (rootfs.sh: mmdebstrap)"
t1=$(date +%s)
img=$("$here/image.sh" "$cache" "$base" "$deb" | tail -n 1) || fail "building the disk image (image.sh: apt-get install ./$(basename "$deb"))"
t2=$(date +%s)

# A private copy of the cached disk for this run (sparse: a few seconds).
disk="$work/$name-disk.img"
rm -f "$disk"; cp --sparse=always "$img/disk.img" "$disk"
log="$work/$name.log"
t3=$(date +%s)
# Crash, dump and two boots under TCG: about 3 minutes idle, a lot more on a loaded 2-core machine. distro-faults:
# four crashes, nine boots and four kdump initramfs rebuilds.
limit=1800; append=""
[ "$name" = distro-faults ] && { limit=5400; append=" e2e.faults=1"; }
timeout "$limit" qemu-system-x86_64 -accel tcg -machine q35 -m 1536 -smp 2 \
  -display none -monitor none -serial "file:$log" \
  -kernel "$img/vmlinuz" -initrd "$img/initrd.img" -append "console=ttyS0 root=/dev/vda rw crashkernel=256M$append" \
  -drive file="$disk",if=virtio,format=raw \
  -netdev user,id=n0,restrict=on -device e1000e,netdev=n0,addr=02.0 \
  -device virtio-rng-pci \
  > "$work/$name.qemu.out" 2>&1 < /dev/null
qemu_rc=$?
t4=$(date +%s)

out="$work/$name-out"
rm -rf "$out"; mkdir -p "$out"
debugfs -R "rdump /var/crash $out" "$disk" > "$work/$name.debugfs" 2>&1
for f in /var/tmp/e2e-status.prom /var/lib/prometheus/node-exporter/preconfig.prom; do
  debugfs -R "dump $f $out/$(basename "$f")" "$disk" >> "$work/$name.debugfs" 2>&1
done
[ "${PRECONFIG_E2E_KEEP:-0}" = 1 ] || rm -f "$disk"

if [ "$name" = distro-faults ]; then
  exec /usr/bin/python3 "$here/faults.py" --log "$log" --out "$out" --qemu-rc "$qemu_rc" --qemu-out "$work/$name.qemu.out" \
    --times "image_s=$((t2 - t1)) qemu_s=$((t4 - t3)) wall_s=$(( $(date +%s) - t_start ))"
fi
/usr/bin/python3 "$here/check.py" --log "$log" --out "$out" --facts "$img/facts" --lintian "$work/distro.lintian" \
  --lintian-rc "$lintian_rc" --qemu-rc "$qemu_rc" --qemu-out "$work/$name.qemu.out" \
  --times "rootfs_s=$((t1 - t0)) image_s=$((t2 - t1)) qemu_s=$((t4 - t3)) wall_s=$(( $(date +%s) - t_start ))"
