# The device matrix in the FIRST kernel, sourced by guest/first-init after the handoff capture: probe every
# function's writable bits (no driver bound yet, so nothing is disturbed), then bind every driver and use each
# device; first-init then loads the capture kernel (kdump_base, append) and calls matrix_before_crash.
. /e2e/matrix/lib.sh
cfgprobe dump fw
t0=$(now_ms)
cfgprobe probe
mark STAGE probed ms=$(( $(now_ms) - t0 ))
cfgprobe dump probed
mx_load_drivers first
mx_works first
dump_drivers first
mx_interrupts first
kdump_base=/capture-matrix.gz
# The NIC receiving the host's frames gets a bus reset (as in dma-reset: QEMU's e1000e model aborts when its driver
# loads on a quiesced but still running receive engine). pcie_ports=compat: no port service driver binds in the
# capture kernel, so preinit (not pcieport) owns the ports' registers and they are checked too.
append="$append preconfig.policy=/e2e/reset-nic.policy pcie_ports=compat"
matrix_before_crash() {
  t0=$(now_ms)
  cfgprobe dirty
  mark STAGE dirtied ms=$(( $(now_ms) - t0 ))
  cfgprobe dump dirty
}
