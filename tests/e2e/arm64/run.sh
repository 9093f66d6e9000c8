#!/usr/bin/env bash
# One arm64 end-to-end scenario (tests/e2e/kdump.sh runs it as arm64-*): the x86 machinery (guest/ scripts,
# mkimages.sh, check.py, fetch.sh) with Debian's arm64 kernel and user space on qemu-system-aarch64 (TCG):
# `-machine virt,gic-version=3` (GICv3 with its ITS: MSIs are ITS LPIs), direct kernel boot (no UEFI: the device tree
# QEMU writes; the first kernel assigns the BARs), the same PCIe devices at the same addresses as x86's q35 runs
# (e1000e 00:02.0, virtio-net 00:03.0, nvme 00:04.0, a pcie-root-port 00:05.0 with the frame-receiving e1000e at
# 01:00.0), so guest/ and check.py apply unchanged. Scenarios (the guest's e2e.mode in brackets):
#   arm64-full         [full]        capture, dirty, crash, preinit restores, e1000e binds
#   arm64-dma-none     [dma-none]    leftover DMA changes /proc/vmcore without preconfig
#   arm64-dma-preinit  [dma-preinit] the same with preinit: stable
#   arm64-smmu         [dma-smmu]    -machine iommu=smmuv3 (Debian's kernel has ARM_SMMU_V3=y, DMA domains by
#                                    default): what the capture kernel does with the crashed kernel's SMMU (from its
#                                    log: it resets it), /proc/vmcore before and after preinit in one capture boot, and
#                                    the DMA QEMU's SMMU refused (its own log)
# All four pass (in kdump.sh's default run). kexec-tools 2.0.25 needs _text in /proc/kallsyms, which Debian's arm64
# kernel lacks: guest/first-init (kallsyms_text) supplies it, or /proc/vmcore would be unreadable.
# Usage: run.sh SCENARIO CACHE WORK. Prints "e2e: PASS|FAIL SCENARIO (...)"; exit 0 on pass.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
e2e=$(cd "$here/.." && pwd)
repo=$(cd "$e2e/../.." && pwd)
s=$1; cache=$2; work=$3/arm64
dist="$repo/dist/linux-arm64"
mkdir -p "$work"
fail() { echo "e2e: FAIL $s: $*"; exit 1; }

"$e2e/fetch.sh" --arch arm64 > "$work/fetch.log" 2>&1 || fail "fetching the arm64 packages (fetch.sh --arch arm64): $(tail -n 1 "$work/fetch.log")"
# The cross-compiled binaries, rebuilt when a source is newer (as kdump.sh does for x86).
if [ "${PRECONFIG_E2E_NO_BUILD:-0}" != 1 ]; then
  if [ ! -x "$dist/preconfig" ] || [ ! -x "$dist/initramfs/preconfig" ] || [ -n "$(find "$repo/src" "$repo/Directory.Build.props" "$repo/Directory.Packages.props" \( -name obj -o -name bin \) -prune -o -newer "$dist/initramfs/preconfig" -type f -print 2>/dev/null | head -n 1)" ]; then
    "$repo/build.sh" --arch arm64 > "$work/build.log" 2>&1 || fail "./build.sh --arch arm64: $(tail -n 3 "$work/build.log" | tr '\n' ' ')"
  fi
fi
# The images, rebuilt when the binary, a guest script, the packaging or the image script is newer; one run at a time
# (two runs rebuilding them at once leave an image without its /init).
exec 9> "$work/.images.lock"; flock 9
if [ ! -s "$work/first.gz" ] || [ -n "$(find "$dist/initramfs/preconfig" "$e2e/guest" "$e2e/mkimages.sh" "$repo/packaging" -newer "$work/first.gz" -type f -print 2>/dev/null | head -n 1)" ]; then
  "$e2e/mkimages.sh" "$cache" "$work" --arch arm64 > "$work/sizes.txt" 2> "$work/mkimages.log" \
    || fail "tests/e2e/mkimages.sh --arch arm64: $(tail -n 2 "$work/mkimages.log" | tr '\n' ' ')"
fi
flock -u 9
# Each scenario its own NVMe backing file: QEMU locks it, and scenarios may run side by side.
[ -f "$work/$1.nvme.img" ] || truncate -s 16M "$work/$1.nvme.img"

case "$s" in
  arm64-full) mode=full ;;
  arm64-dma-none) mode=dma-none ;;
  arm64-dma-preinit) mode=dma-preinit ;;
  arm64-smmu) mode=dma-smmu ;;
  *) fail "unknown arm64 scenario" ;;
esac
machine=virt,gic-version=3
# arm64-smmu: QEMU itself says what its SMMUv3 did with each DMA it refused (hw/arm/smmuv3.c, smmuv3_translate: a
# translation error is logged under -d guest_errors, an abort traced as smmuv3_translate_abort): the oracle for
# "leftover DMA was attempted and stopped" that the capture kernel cannot give (its event queue is off under kdump).
qemu_log="$work/$s.qemu-log"; rm -f "$qemu_log"; extra=()
[ "$s" = arm64-smmu ] && { machine="$machine,iommu=smmuv3"; extra=(-d guest_errors -trace smmuv3_translate_abort -D "$qemu_log"); }
# The frame sender's port pair (P: QEMU listens; P+1: QEMU sends, nobody listens), as kdump.sh picks it.
port=$(/usr/bin/python3 "$e2e/freeport.py")
# TCG aarch64 is slower than x86 on x86: one CPU, small memory; the limits leave room for a loaded machine.
limit=600
log="$work/$s.log"
sender_pid=
case "$mode" in
  dma-*) /usr/bin/python3 "$e2e/sender.py" "$port" --rate 3 --seconds "$limit" --count $((limit * 3)) 2>/dev/null &
         sender_pid=$! ;;
esac
t0=$(date +%s.%N)
timeout "$limit" qemu-system-aarch64 -accel tcg -machine "$machine" -cpu cortex-a57 -m 512 -smp 1 \
  -display none -monitor none -serial "file:$log" -no-reboot \
  -kernel "$work/vmlinuz" -initrd "$work/first.gz" \
  -append "console=ttyAMA0 earlycon=pl011,0x9000000 panic=1 crashkernel=160M e2e.mode=$mode e2e.kexec=no-checks" \
  -netdev user,id=n0,restrict=on -device e1000e,netdev=n0,addr=02.0 \
  -netdev user,id=n1,restrict=on -device virtio-net-pci,netdev=n1,addr=03.0 \
  -drive if=none,id=nv0,file="$work/$s.nvme.img",format=raw -device nvme,drive=nv0,serial=e2e,addr=04.0 \
  -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,addr=05.0 \
  -netdev socket,id=n2,udp=127.0.0.1:$((port + 1)),localaddr=127.0.0.1:$port -device e1000e,netdev=n2,bus=rp1 \
  "${extra[@]}" ${PRECONFIG_E2E_QEMU_ARGS:-} > "$work/$s.qemu.out" 2>&1 < /dev/null
rc=$?
t1=$(date +%s.%N)
[ -n "$sender_pid" ] && { kill "$sender_pid" 2>/dev/null; wait "$sender_pid" 2>/dev/null; }
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
/usr/bin/python3 "$e2e/check.py" "$s" "$log" --wall "$wall" --qemu-rc "$rc" --qemu-out "$work/$s.qemu.out" \
  --sizes "$work/sizes.txt" --qemu-log "$qemu_log"
