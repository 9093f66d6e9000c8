# The IOMMU variety scenarios' machine (sourced by tests/e2e/kdump.sh for dma-{none,preinit}-{amd,scalable,virtio}-iommu):
# the dma-none/dma-preinit machine with one more IOMMU kind in front of the devices it translates for, and the
# kernel parameters both kernels need (guest/first-init passes intel_iommu= and e2e.iommu= on to the capture kernel).
#   amd-iommu     QEMU's AMD-Vi (hw/i386/amd_iommu.c). It takes no addr= and puts its own PCI function (AMDVI-PCI,
#                 1022:0010) in the first free slot, 00:02.0, so the first e1000e moves to 00:07.0. Linux turns it
#                 on whenever the firmware's IVRS table lists it: no parameter.
#   scalable      QEMU's VT-d in scalable mode (x-scalable-mode=on); Linux 6.1 uses it only with intel_iommu=sm_on.
#   virtio-iommu  virtio-iommu-pci at 00:06.0, described to the guest by QEMU's ACPI VIOT table. Debian 12's kernel
#                 6.1 is built without its driver (CONFIG_VIRTIO_IOMMU and CONFIG_ACPI_VIOT not set): the device sits
#                 there untouched and, QEMU's boot-bypass being on, lets DMA through untranslated. iommu/guest.sh
#                 loads virtio_iommu.ko first when a kernel has it as a module.
# Sets: machine, devs (prepends), append (adds), rate: the host's frames per second to the NIC, one, so its 256
# receive descriptors last over four minutes after the crash and the capture kernel still sees the DMA on a loaded
# machine (at dma-none's three a second they were used up before a slow capture kernel compared /proc/vmcore).
rate=1
# With interrupt remapping on a loaded host, TCG's first timer check sometimes misses its window and Linux panics
# ("timer doesn't work through Interrupt-remapped IO-APIC", seen once in dma-none-scalable-iommu); skip the check.
append="$append no_timer_check"
# Two kernels and two full /proc/vmcore reads: 300 s (dma-*) was not enough under a load average of 50.
limit=480
case "$s" in
  *amd-iommu)
    devs=("${devs[@]/addr=02.0/addr=07.0}")
    devs=(-device amd-iommu,intremap=off "${devs[@]}")
    append="$append e2e.iommu=amd" ;;
  *scalable*)
    machine="q35,kernel-irqchip=split"
    devs=(-device intel-iommu,intremap=on,x-scalable-mode=on "${devs[@]}")
    append="$append intel_iommu=on,sm_on e2e.iommu=scalable" ;;
  *virtio-iommu)
    devs=(-device virtio-iommu-pci,addr=06.0 "${devs[@]}")
    append="$append e2e.iommu=virtio" ;;
esac
