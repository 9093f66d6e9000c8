# The fidelity scenarios in the CAPTURE kernel, sourced by guest/capture-init after the boot hook: the dump written
# whole to the nvme disk (the host compares it with the memory QEMU saved at the crash: tests/e2e/fidelity/compare.py).
fidelity_after_hook() {
  for m in $(cat /e2e/matrix/load/nvme); do [ -d "/sys/module/$m" ] || insmod "/lib/modules/matrix/$m.ko"; done
  n=0; while [ ! -b /dev/nvme0n1 ] && [ $n -lt 80 ]; do sleep 0.25; n=$((n + 1)); done
  t0=$(now_ms)
  dd if=/proc/vmcore of=/dev/nvme0n1 bs=1M conv=fsync 2>/dev/null; rc=$?
  mark FIDELITY saved rc=$rc bytes=$(stat -c %s /proc/vmcore) ms=$(( $(now_ms) - t0 )) uptime_ms=$(now_ms)
}
