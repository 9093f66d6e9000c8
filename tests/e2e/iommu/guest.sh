# The IOMMU variety scenarios in the guests (busybox sh), sourced by guest/first-init and guest/capture-init when the
# kernel parameter e2e.iommu= (amd | scalable | virtio) is set; iommu/machine.sh sets it. Uses guest/lib.sh.
IOMMU_KIND=$(cmdline_arg e2e.iommu)
IOMMU_NIC=0000:01:00.0

# The IOMMU's driver when Debian builds it as a module (virtio-iommu), with the modules it depends on, in order.
# It must be bound before the NIC's driver maps DMA, as udev would load it on a real system.
iommu_driver() {
  for m in $(cat /e2e/iommu/load 2>/dev/null); do
    [ -d "/sys/module/$m" ] || insmod "/usr/lib/modules/iommu/$m.ko"
  done
}

# First kernel, before the NIC's driver is loaded: the IOMMU is there and the NIC is in a translated group.
iommu_before_driver() {
  iommu_driver
  grp=$(readlink "/sys/bus/pci/devices/$IOMMU_NIC/iommu_group" 2>/dev/null)
  mark IOMMU first kind=$IOMMU_KIND iommus=$(ls /sys/class/iommu 2>/dev/null | wc -l) nic_group=${grp##*/}
}

# Kernel parameters for the capture kernel (guest/first-init adds them to kexec -p's command line): the kind, and for
# the pair's "with preconfig" half the reset policy of dma-reset (reset-nic.policy: the e1000e model aborts QEMU when
# its driver starts on a quiesced receive engine that is still running, so "the driver works" needs the reset).
iommu_capture_args() {
  echo "e2e.iommu=$IOMMU_KIND no_timer_check"
  case "$mode" in dma-preinit-*) echo "preconfig.policy=/e2e/reset-nic.policy" ;; esac
}

# Capture kernel, after the boot hook and the /proc/vmcore comparison: every kernel line that names an IOMMU so far
# (the console shows errors only), then, with preconfig, the IOMMU's driver (when a module), the NIC's driver and its
# first frames, and the IOMMU lines again. Without preconfig the NIC's driver is not loaded: QEMU 7.2's e1000e model
# aborts when it starts on the still-running device (e1000e_intrmgr_on_throttling_timer: Assertion
# `!msix_enabled(timer->core->owner)' failed, seen in dma-none-scalable-iommu), which would end the run.
iommu_after_hook() {
  klog() { dmesg | grep -iE 'DMAR|AMD-Vi|iommu|VIOT' | sed "s/^/E2E:KLOG $1 /"; }
  klog vmcore
  iommu_driver
  grp=$(readlink "/sys/bus/pci/devices/$IOMMU_NIC/iommu_group" 2>/dev/null)
  mark IOMMU capture kind=$IOMMU_KIND iommus=$(ls /sys/class/iommu 2>/dev/null | wc -l) nic_group=${grp##*/}
  case "$mode" in dma-none-*) return 0 ;; esac
  insmod /lib/modules/e1000e.ko; mark INSMOD rc=$?
  sleep 1
  dump_drivers driver
  ifc=$(addr_iface $IOMMU_NIC)
  if [ -n "$ifc" ]; then
    ip link set "$ifc" up
    mark NET capture $IOMMU_NIC $ifc rx_packets=$(wait_rx "$ifc" 20)
  else
    mark NET capture $IOMMU_NIC none
  fi
  klog driver
}
