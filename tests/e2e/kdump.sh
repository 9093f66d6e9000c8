#!/usr/bin/env bash
# End-to-end test: real crashes of a Debian kernel under QEMU (TCG, q35), preconfig capturing in the first kernel
# and restoring in the kdump capture kernel through the real packaging hook. Asserts from the serial log.
#
# Usage: tests/e2e/kdump.sh [SCENARIO...]   (default: all)
#   full        capture -> initrd: appendix -> dirty -> kexec -p -> panic -> preinit --boot -> restored, driver binds
#   corrupt     damaged handoff: preinit logs it, restores nothing, quiesces every unbound endpoint; the dump boot goes on
#   normal      a normal boot: the hook takes the early snapshot, preinit --boot does nothing
#   devmem      the devmem: store in a memmap= reserved range instead of the initrd appendix
#   dma-none    leftover DMA, nothing done: /proc/vmcore changes between two reads (the problem is real)
#   dma-preinit leftover DMA, preinit --boot (quiesce + restore): /proc/vmcore stable
#   dma-reset   leftover DMA, preinit with a reset policy on the NIC behind a pcie-root-port: stable, driver receives
#   dma-none-iommu, dma-preinit-iommu  the same two with -device intel-iommu and intel_iommu=on in both kernels
#   dma-{none,preinit}-{amd,scalable,virtio}-iommu  the same pair under AMD-Vi, VT-d scalable mode, virtio-iommu
#               (tests/e2e/iommu/; with preconfig the NIC is reset as in dma-reset and its driver must receive;
#               the AMD pair asserts QEMU 7.2's limit instead and runs only when named)
#   matrix, matrix-iommu  the device matrix (docs/e2e-matrix.md): 19 QEMU device types, every writable config bit
#               probed by the guest and dirtied, crash, every register compared after preinit, every driver must work
#   scsi-irq-none  an lsi53c895a left with its INTx asserted, no preconfig: its driver's IRQ storms ("nobody cared")
#   scsi-irq-intx-down  the same with preinit resetting it through its bridge: asserts the reset verified and the
#               function's INTx down; the storm still comes (QEMU's IO-APIC keeps the crashed kernel's interrupt
#               latched, an emulator limit): verdict LIMIT, never counted as passed
#   dracut      the kdump initramfs built by the real dracut 059 as kdump-utils' mkdumprd builds it (tests/e2e/dracut):
#               preinit in dracut's pre-udev hook before udevd and any module, restored, dump and report on the disk
#   rpm         (no QEMU) ./build.sh --rpm's package: rpmlint clean, installed with rpm --root: files, key, scriptlets
#   fidelity-none, fidelity  dump fidelity from the moment of the crash (fidelity/run.sh): pvpanic reports the crash,
#               QMP pauses the crashing guest and saves its memory, the capture kernel writes the dump to a disk, and
#               the dump is compared with the saved memory page by page; without and with preconfig; prints
#               E2E-FIDELITY figures; with preconfig no frame sent after the boot hook was done may be in the dump
#   packaging   (no QEMU) packaging/install.sh into a temp root for both initramfs flavours; unit files verified
#   distro      the .deb on a real Debian 12 (systemd, kdump-tools' own dump flow): tests/e2e/distro/run.sh
#   distro-faults  the same Debian with preconfig broken three ways, then purged: kdump-tools still loads and dumps
#               (by name only: it takes 50-67 minutes under TCG here: qemu 2,897 s and 3,778 s in two runs)
#   arm64-full, arm64-dma-none, arm64-dma-preinit, arm64-smmu  the same on qemu-system-aarch64 (virt, GICv3; the
#               last with SMMUv3 on in both kernels) with Debian's arm64 kernel and user space: tests/e2e/arm64/run.sh
#               (all four pass and are in the default run: about 3 minutes together, cross-build excluded)
# Environment: PRECONFIG_E2E_CACHE (download cache), PRECONFIG_E2E_NO_BUILD=1 (use dist/preconfig as is),
#   PRECONFIG_E2E_KEEP=1 (keep tests/e2e/work/*.log), PRECONFIG_E2E_QEMU_ARGS (extra QEMU arguments, e.g. -trace).
#   First line "e2e: scenarios: ..."; last line "e2e: N passed, M failed[, L limit: ...]"; exit 1 if any failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work="$here/work"
all=(packaging rpm full corrupt normal devmem dma-none dma-preinit dma-reset distro dma-none-iommu dma-preinit-iommu
     dma-none-scalable-iommu dma-preinit-scalable-iommu dma-none-virtio-iommu dma-preinit-virtio-iommu dracut
     matrix matrix-iommu scsi-irq-none scsi-irq-intx-down fidelity-none fidelity arm64-full arm64-dma-none
     arm64-dma-preinit arm64-smmu)
# By name only: dma-{none,preinit}-amd-iommu (QEMU 7.2 cannot run a NIC behind its AMD-Vi: docs/e2e-matrix.md);
# distro-faults (50-67 minutes under TCG: four crashes and a purge on the real Debian).
[ $# -gt 0 ] && scenarios=("$@") || scenarios=("${all[@]}")
echo "e2e: scenarios: ${scenarios[*]}"
t_start=$(date +%s)
passed=0; failed=0

fail_all() {
  echo "e2e: setup failed: $*" >&2
  for s in "${scenarios[@]}"; do echo "e2e: FAIL $s: setup failed: $*"; done
  echo "e2e: 0 passed, ${#scenarios[@]} failed"
  exit 1
}

mkdir -p "$work"
cache=$("$here/fetch.sh" | tail -n 1) || fail_all "fetching qemu/kernel/kexec (tests/e2e/fetch.sh)"

# The AOT binary the initramfs carries: rebuilt when any source is newer.
if [ "${PRECONFIG_E2E_NO_BUILD:-0}" != 1 ]; then
  if [ ! -x "$repo/dist/preconfig" ] || [ ! -x "$repo/dist/initramfs/preconfig" ] || [ -n "$(find "$repo/src" "$repo/Directory.Build.props" "$repo/Directory.Packages.props" \( -name obj -o -name bin \) -prune -o -newer "$repo/dist/preconfig" -type f -print 2>/dev/null | head -n 1)" ]; then
    "$repo/build.sh" >&2 || fail_all "./build.sh (Native AOT publish)"
  fi
fi
[ -x "$repo/dist/preconfig" ] || fail_all "dist/preconfig missing"

sizes=$("$here/mkimages.sh" "$cache" "$work") || fail_all "building the initramfs images (tests/e2e/mkimages.sh)"
echo "$sizes"
"$here/matrix/mkmatrix.sh" "$cache" "$work" || fail_all "building the device matrix images (tests/e2e/matrix/mkmatrix.sh)"
. "$here/matrix/machine.sh"
truncate -s 16M "$work/nvme.img"

# A free UDP port pair on loopback for the socket netdev (P: QEMU listens; P+1: QEMU sends, nobody listens).
free_port() { /usr/bin/python3 "$here/freeport.py"; }

# The install script lays out every file where the units, hooks and docs say they are.
check_packaging() {
  local root problems="" f flavour
  for flavour in initramfs-tools dracut; do
    root=$(mktemp -d)
    sh "$repo/packaging/install.sh" --destdir "$root" --initramfs "$flavour" > "$work/packaging-$flavour.log" 2>&1 \
      || problems="$problems install.sh($flavour) failed;"
    for f in usr/bin/preconfig usr/lib/preconfig/preconfig-boot usr/lib/preconfig/preconfig-kdump-initrd \
             lib/systemd/system/preconfig.service; do
      [ -x "$root/$f" ] || [ -f "$root/$f" ] || problems="$problems $flavour: $f missing;"
    done
    case "$flavour" in
      initramfs-tools) f=usr/share/initramfs-tools/scripts/init-top/preconfig ;;
      dracut) f=usr/lib/dracut/modules.d/90preconfig/module-setup.sh ;;
    esac
    [ -x "$root/$f" ] || problems="$problems $flavour: $f missing;"
    if [ "$flavour" = initramfs-tools ] && command -v systemd-analyze >/dev/null; then
      # Only complaints about our own unit files count (the host may lack kdump units).
      # (The binaries are not installed on this host: "is not executable" is expected.)
      out=$(cd "$root/lib/systemd/system" && systemd-analyze verify \
            ./preconfig.service ./preconfig-kdump-reload.path ./preconfig-kdump-reload.service \
            ./preconfig-kdump-record.service 2>&1 \
            | grep -E 'preconfig' | grep -v 'is not executable' || true)
      [ -z "$out" ] || problems="$problems systemd-analyze: $(echo "$out" | head -n 2 | tr '\n' ' ');"
    fi
    rm -rf "$root"
  done
  if [ -n "$problems" ]; then echo "e2e: FAIL packaging:$problems"; return 1; fi
  echo "e2e: PASS packaging (install.sh for initramfs-tools and dracut; unit files verified)"
}

run_scenario() {
  [ "$1" = packaging ] && { check_packaging; return; }
  [ "$1" = rpm ] && { "$here/rpm/check.sh" "$work"; return; }
  case "$1" in distro|distro-faults) "$here/distro/run.sh" "$cache" "$work" "$1"; return ;; esac
  case "$1" in arm64-*) "$here/arm64/run.sh" "$1" "$cache" "$work"; return ;; esac
  case "$1" in fidelity*) "$here/fidelity/run.sh" "$cache" "$work" "$1" "$(free_port)"; return ;; esac
  # Time limits leave room for a loaded 2-core machine (a run takes 15-40 s when idle, 3x that under load).
  local s=$1 log="$work/$s.log" port limit=180 append rate=1
  rm -f "$work/matrix-$s.json" "$work/lsi-$s.json"   # the table reads only what this run found
  port=$(free_port)
  append="console=ttyS0 panic=1 crashkernel=160M e2e.mode=$s"
  # nokaslr: a fixed layout keeps the crashkernel range away from the reserved one (see README, devmem).
  [ "$s" = devmem ] && append="$append nokaslr memmap=1M\$0x10000000 e2e.devmem=0x10000000+0x100000"
  # The sender sends 1 frame/s, so the NIC's 256 receive descriptors last 4 min after the crash (at 3/s they ran out
  # before the capture kernel's first vmcore read on a loaded machine, and the leftover DMA did not show).
  case "$s" in dma-*|scsi-irq*) limit=600 ;; matrix*) limit=900 ;; esac
  # The default machine; the matrix scenarios bring their own (matrix/machine.sh).
  local machine=q35 initrd="$work/first.gz" devs=(
    -netdev user,id=n0,restrict=on -device e1000e,netdev=n0,addr=02.0
    -netdev user,id=n1,restrict=on -device virtio-net-pci,netdev=n1,addr=03.0
    -drive if=none,id=nv0,file="$work/nvme.img",format=raw -device nvme,drive=nv0,serial=e2e,addr=04.0
    -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,addr=05.0
    -netdev socket,id=n2,udp=127.0.0.1:$((port + 1)),localaddr=127.0.0.1:$port -device e1000e,netdev=n2,bus=rp1)
  case "$s" in
    matrix*) matrix_devices "$work" "$port" "$s"; initrd="$work/first-matrix.gz" ;;
    scsi-irq*) scsi_devices "$work"; initrd="$work/first-matrix.gz" ;;
    dracut) . "$here/dracut/machine.sh" || return 1 ;;
  esac
  # IOMMU: QEMU's VT-d (created before the devices it translates for), interrupt remapping, and both kernels with it.
  case "$s" in
    *amd-iommu|*scalable*|*virtio-iommu) . "$here/iommu/machine.sh" ;;
    *-iommu) machine="q35,kernel-irqchip=split"; devs=(-device intel-iommu,intremap=on "${devs[@]}")
             append="$append intel_iommu=on" ;;
  esac
  local sender_pid= t0 t1 rc attempt
  # QEMU 7.2's TCG has crashed (SIGSEGV, exit 139) early in a matrix boot once in many runs, before the guest printed
  # anything: that says nothing about preconfig, so a QEMU killed by a signal is run once more, and the retry is
  # printed. A timeout (124) or a guest failure is never retried.
  for attempt in 1 2; do
    case "$s" in
      dma-*|matrix*) /usr/bin/python3 "$here/sender.py" "$port" --rate $rate --seconds "$limit" --count $((limit * rate)) 2>/dev/null &
             sender_pid=$! ;;
    esac
    t0=$(date +%s.%N)
    timeout "$limit" qemu-system-x86_64 -accel tcg -machine "$machine" -m 512 -smp 2 \
      -display none -monitor none -serial "file:$log" -no-reboot \
      -kernel "$work/vmlinuz" -initrd "$initrd" -append "$append" "${devs[@]}" ${PRECONFIG_E2E_QEMU_ARGS:-} \
      > "$work/$s.qemu.out" 2>&1 < /dev/null
    rc=$?
    t1=$(date +%s.%N)
    [ -n "$sender_pid" ] && { kill "$sender_pid" 2>/dev/null; wait "$sender_pid" 2>/dev/null; }
    if [ "$rc" -gt 128 ] && [ "$attempt" = 1 ]; then
      echo "e2e: NOTE $s: QEMU died by signal $((rc - 128)) after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s ($(tail -n 1 "$work/$s.qemu.out" 2>/dev/null)); running it once more"
      cp "$log" "$work/$s.crashed-qemu.log" 2>/dev/null
      continue
    fi
    break
  done
  [ "$s" = dracut ] && "$here/dracut/disk.sh" "$work/dracut-disk.img" >> "$log"
  local wall
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  local checker="$here/check.py"
  case "$s" in matrix*) checker="$here/matrix/mxcheck.py" ;; scsi-irq*) checker="$here/matrix/lsicheck.py" ;; esac
  /usr/bin/python3 "$checker" "$s" "$log" --wall "$wall" --qemu-rc "$rc" --qemu-out "$work/$s.qemu.out"; rc=$?
  # QEMU's probed write masks against the specification table: every difference must be explained.
  case "$s" in
    matrix*) /usr/bin/python3 "$here/matrix/specmask.py" "$work" "$s" "$repo/dist/preconfig" \
               || { echo "e2e: FAIL $s: QEMU against the specification table: not compared, or a difference qemu-vs-spec.txt does not cover (E2E-MATRIX-SPEC)"; rc=1; } ;;
  esac
  return $rc
}

limits=()   # a limit scenario (exit 3) shows what cannot be fixed here: neither a pass nor a failure
for s in "${scenarios[@]}"; do
  run_scenario "$s"; case $? in 0) passed=$((passed + 1)) ;; 3) limits+=("$s") ;; *) failed=$((failed + 1)) ;; esac
done
# The device matrix's table and E2E-MATRIX line, from the matrix scenarios that ran (their results in work/).
case " ${scenarios[*]} " in *" matrix"*) /usr/bin/python3 "$here/matrix/table.py" "$work" "${scenarios[@]}" ;; esac
echo "e2e: total wall time $(( $(date +%s) - t_start )) s (cache $cache)"
echo "e2e: $passed passed, $failed failed${limits:+, ${#limits[@]} limit: ${limits[*]}}"
[ "$failed" -eq 0 ]
