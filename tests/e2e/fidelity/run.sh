#!/usr/bin/env bash
# Dump fidelity from the moment of the crash (scenarios fidelity-none, fidelity), called by tests/e2e/kdump.sh.
# The first kernel (crash_kexec_post_notifiers, pvpanic-pci and its driver) has the e1000e behind a root port
# receiving the host's frames and the nvme disk reading when it panics; its "crash loaded" event (QMP
# GUEST_CRASHLOADED) is answered by qmp.py with stop, pmemsave of all guest RAM, cont; kexec goes on; the capture
# kernel runs the boot hook (fidelity-none: preconfig=off) and writes /proc/vmcore whole to the nvme disk; compare.py
# compares it page by page with the saved memory over the first kernel's RAM.
# Prints "E2E-FIDELITY scenario=S pages_compared=P pages_changed=C bytes_changed=B quiesced_at_ms=T" (T: the
# capture kernel's uptime when the boot hook, preinit's quiesce included, was done; - without preconfig) and
# "e2e: PASS|FAIL S (...)". Usage: run.sh CACHE WORK SCENARIO PORT (PORT, PORT+1: free UDP ports on loopback)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
e2e=$(cd "$here/.." && pwd)
cache=$1 work=$2 s=$3 port=$4
mem=512 log="$work/$s.log"
fail() { echo "e2e: FAIL $s: $*"; exit 1; }
# Images: the matrix ones (matrix/mkmatrix.sh: the nvme driver, pvpanic-pci and these scripts in both kernels).

# The disk: room for the dump at its start, the blocks the first kernel reads at 448 MiB: each 4 KiB block says
# "PRECONFIG-E2E-IO" and its own number, so a read that completes after the crash changes the buffer it lands in.
disk="$work/fidelity-$s.img"
rm -f "$disk"; truncate -s 480M "$disk"
python3 -c "import sys; sys.stdout.buffer.write(b''.join((b'PRECONFIG-E2E-IO %08d ' % i * 160)[:4096] for i in range(8192)))" \
  | dd of="$disk" bs=1M seek=448 conv=notrunc status=none

limit=900
sock="$work/$s.qmp"; saved="$work/$s.mem"; qjson="$work/$s.qmp.json"
rm -f "$sock" "$saved" "$qjson"
frames="$work/$s.frames"; hooked="$work/$s.hook-time"; booted="$work/$s.capture-time"
rm -f "$frames" "$hooked" "$booted" "$log"   # the watcher must not read the last run's log
python3 "$e2e/sender.py" "$port" --rate 1 --seconds "$limit" --count "$limit" --log "$frames" 2>/dev/null & sender=$!
# The host's clock when the capture kernel printed its banner (the second "Linux version" line) and when it printed
# that the boot hook (preinit's quiesce) was done: check.py puts every frame of the dump on this timeline
# (sender.py's log has each frame's send time). The serial file is polled every 0.2 s.
( while [ ! -s "$hooked" ]; do
    n=$(grep -ac 'Linux version' "$log" 2>/dev/null)
    [ -s "$booted" ] || [ "${n:-0}" -lt 2 ] || date +%s.%N > "$booted"
    grep -aq 'E2E:HOOK ' "$log" 2>/dev/null && date +%s.%N > "$hooked"
    sleep 0.2
  done ) & watcher=$!
python3 "$here/qmp.py" "$sock" $((mem << 20)) "$saved" "$qjson" & client=$!
t0=$(date +%s)
timeout "$limit" qemu-system-x86_64 -accel tcg -machine q35 -m $mem -smp 2 \
  -display none -monitor none -serial "file:$log" -no-reboot -qmp "unix:$sock,server=on,wait=off" \
  -kernel "$work/vmlinuz" -initrd "$work/first-matrix.gz" \
  -append "console=ttyS0 panic=1 crashkernel=160M crash_kexec_post_notifiers e2e.mode=$s" \
  -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,addr=05.0 \
  -netdev socket,id=n2,udp=127.0.0.1:$((port + 1)),localaddr=127.0.0.1:$port -device e1000e,netdev=n2,bus=rp1 \
  -drive if=none,id=nv0,file="$disk",format=raw -device nvme,drive=nv0,serial=fid,addr=04.0 \
  -device pvpanic-pci,addr=06.0 > "$work/$s.qemu.out" 2>&1 < /dev/null
rc=$?
wall=$(( $(date +%s) - t0 ))
kill "$sender" "$watcher" 2>/dev/null; wait "$sender" "$watcher" 2>/dev/null
wait "$client" 2>/dev/null
[ "$rc" -eq 0 ] || fail "QEMU exit $rc ($(tail -n 1 "$work/$s.qemu.out"))"
python3 "$here/check.py" "$s" "$log" "$qjson" "$disk" "$saved" "$wall" "$frames" "$hooked" "$booted"; rc=$?
[ "${PRECONFIG_E2E_KEEP:-0}" = 1 ] || rm -f "$disk" "$saved"
exit $rc
