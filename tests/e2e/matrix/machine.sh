# The device matrix's QEMU machine, sourced by tests/e2e/kdump.sh. matrix_devices WORK PORT SCENARIO sets the array `devs`
# (QEMU -device/-drive/-netdev arguments; SCENARIO ending in -iommu: without the lsi53c895a) and creates the disk images the drivers must read in both kernels.
# q35 (pcie.0) with, besides the chipset (00:00.0 MCH, 00:1f.0 LPC, 00:1f.2 AHCI, 00:1f.3 SMBus) and the default VGA:
#   00:02.0 e1000e (user net)        00:03.0 virtio-net (modern)     00:04.0 nvme
#   00:05.0 pcie-root-port rp1 -> 01:00.0 e1000e on the host's frame sender (leftover DMA)
#   00:06.0 pcie-root-port rp2 -> x3130-upstream -> xio3130-downstream -> virtio-blk (modern)
#   00:07.0 pcie-pci-bridge -> lsi53c895a (scsi-hd), megasas (scsi-hd), pci-bridge -> AC97
#   00:08.0 intel-hda (hda-duplex)   00:09.0 qemu-xhci (usb-kbd)     AHCI: ide-hd
# Under the IOMMU (intremap=on), a function behind the nested pci-bridge that uses MSI loses its interrupts (QEMU
# 7.2: "vtd_irte_get: invalid SVT_BUS": the requester id it presents is not in the bus range Linux programs for the
# bridge), so only the AC97, which uses INTx, sits there.
matrix_disk() {
  # A small raw image whose first bytes the guest checks ("PRECONFIG-E2E-DISK"): the disk reads through its driver.
  local img=$1
  rm -f "$img"; truncate -s 8M "$img"
  printf 'PRECONFIG-E2E-DISK %s\n' "${img##*/}" | dd of="$img" conv=notrunc status=none
}

matrix_devices() {
  local w=$1 port=$2 scenario=$3 d lsi
  for d in ahci nvme vblk lsi megasas; do matrix_disk "$w/mx-$d.img"; done
  # The lsi53c895a cannot work behind QEMU 7.2's VT-d: its SCRIPTS processor fetches instructions from the chip's own
  # RAM BAR by bus-master reads, which the IOMMU translates and refuses ("DMAR: ... PTE Read access is not set"),
  # and the driver hangs in error recovery. The IOMMU machine leaves it out (docs/e2e-matrix.md).
  lsi=(-device lsi53c895a,id=lsi,bus=ppb,addr=01.0
       -drive if=none,id=ls0,file="$w/mx-lsi.img",format=raw -device scsi-hd,drive=ls0,bus=lsi.0)
  case "$scenario" in *-iommu) lsi=() ;; esac
  devs=(
    -audiodev none,id=snd0
    -netdev user,id=n0,restrict=on -device e1000e,netdev=n0,addr=02.0
    -netdev user,id=n1,restrict=on -device virtio-net-pci,netdev=n1,disable-legacy=on,addr=03.0
    -drive if=none,id=nv0,file="$w/mx-nvme.img",format=raw -device nvme,drive=nv0,serial=mx,addr=04.0
    -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,addr=05.0
    -netdev socket,id=n2,udp=127.0.0.1:$((port + 1)),localaddr=127.0.0.1:$port -device e1000e,netdev=n2,bus=rp1
    -device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2,addr=06.0
    -device x3130-upstream,id=up1,bus=rp2
    -device xio3130-downstream,id=dn1,bus=up1,chassis=3,slot=3
    -drive if=none,id=vb0,file="$w/mx-vblk.img",format=raw -device virtio-blk-pci,drive=vb0,bus=dn1,disable-legacy=on
    -device pcie-pci-bridge,id=ppb,bus=pcie.0,addr=07.0
    "${lsi[@]}"
    -device pci-bridge,id=pb,bus=ppb,chassis_nr=4,addr=02.0
    -device AC97,audiodev=snd0,bus=pb,addr=01.0
    -device megasas,id=mr,bus=ppb,addr=03.0
    -drive if=none,id=mr0,file="$w/mx-megasas.img",format=raw -device scsi-hd,drive=mr0,bus=mr.0
    -device intel-hda,id=hda,addr=08.0 -device hda-duplex,audiodev=snd0
    -device qemu-xhci,id=xhci,addr=09.0 -device usb-kbd,bus=xhci.0
    -drive if=none,id=ad0,file="$w/mx-ahci.img",format=raw -device ide-hd,drive=ad0,bus=ide.0
  )
}

# The scsi-irq scenarios' machine: an lsi53c895a (sym53c8xx) alone behind a pcie-pci-bridge, with a 64 MiB disk.
scsi_devices() {
  local w=$1
  matrix_disk "$w/mx-lsi.img"
  truncate -s 64M "$w/mx-lsi.img"
  devs=(
    -device pcie-pci-bridge,id=ppb,bus=pcie.0,addr=07.0
    -device lsi53c895a,id=lsi,bus=ppb,addr=01.0
    -drive if=none,id=ls0,file="$w/mx-lsi.img",format=raw -device scsi-hd,drive=ls0,bus=lsi.0
  )
}
