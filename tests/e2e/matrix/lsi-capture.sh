# The 2006 proposal's failure case 2 in the CAPTURE kernel (scsi-irq*), sourced by guest/capture-init: the
# controller's state as the crash left it, the boot hook, then the driver: does its interrupt line storm ("irq N:
# nobody cared", the line disabled, I/O left to irqpoll) or does a 16 MiB read take what it takes on a clean boot?
. /e2e/matrix/lib.sh
LSI=$(for d in /sys/bus/pci/devices/*; do [ "$(mx_id "$d")" = 1000:0012 ] && echo "${d##*/}"; done | head -n 1)
lsi_state() { mark LSI "$1" addr=$LSI status=0x$(setpci -s "$LSI" STATUS) command=0x$(setpci -s "$LSI" COMMAND); }
# The chip's own interrupt registers, read through its memory BAR without side effects (DSTAT and SIST clear on
# read, so they are not read): ISTAT (0x14: DIP, SIP, INTF), DIEN (0x39), SIEN0/1 (0x40/0x41), SCNTL3 (0x03: the
# driver trusts a "BIOS" clock setting there and then skips its general-purpose-timer calibration).
lsi_regs() {
  bar=$(( $(setpci -s "$LSI" BASE_ADDRESS_1) & ~0xf ))
  r() { printf '%02x' $(( $(devmem $((bar + $1)) 8) )); }
  mark LSI "regs-$1" istat=0x$(r 0x14) dien=0x$(r 0x39) sien0=0x$(r 0x40) sien1=0x$(r 0x41) scntl3=0x$(r 0x03)
}
lsi_before_hook() { lsi_state before; lsi_regs before; }
lsi_after_hook() {
  lsi_state after
  lsi_regs after
  t0=$(now_ms)
  for m in $(cat $MX/load/sym53c8xx) $(cat $MX/load/sd_mod); do [ -d "/sys/module/$m" ] || insmod "/lib/modules/matrix/$m.ko" 2>/dev/null; done
  mark LOAD capture sym53c8xx ms=$(( $(now_ms) - t0 ))
  mx_until 30 mx_has_disk "$LSI"
  disk=$(mx_disks "$LSI" | head -n 1)
  mark LSI disk=${disk:-none} ms=$(( $(now_ms) - t0 ))
  if [ -n "$disk" ]; then
    t0=$(now_ms)
    timeout 120 dd if="/dev/$disk" of=/dev/null bs=1M count=16 iflag=direct 2>/dev/null; rc=$?
    mark LSI read bytes=16777216 rc=$rc ms=$(( $(now_ms) - t0 ))
  fi
  lsi_state driver
  dmesg | sed "s/^/E2E:DMESG /"
  mx_interrupts capture
}
