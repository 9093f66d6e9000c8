# The 2006 proposal's failure case 2 in the FIRST kernel (scenarios scsi-irq*), sourced by guest/first-init after
# the handoff capture: an lsi53c895a (sym53c8xx) whose INTx line is high, with the IO-APIC pin still level-triggered,
# when the kernel dies. A crash during I/O leaves it so by chance (a command completing after the kernel stopped
# taking interrupts: about 6 of 9 runs). To make every run do, after the driver has read the disk:
#   INTx Disable on (Command bit 10), the chip's general-purpose timer interrupt raised through its own registers
#   (SIEN1 GEN, STIME1: QEMU expires it at once), so the interrupt is pending (Status bit 3) but not yet signalled;
#   the chip soft-reset through ISTAT SRST, as drivers do: QEMU's model clears the chip's interrupt registers and
#   leaves its INTx pin where it was (lsi_soft_reset never recomputes it);
#   INTx Disable off: the line goes high and the handler finds nothing to claim (ISTAT reads 0), 100,000 times,
#   until the kernel says "nobody cared" and disables the line (masked, still level-triggered, still high).
# The panic then leaves the line as a crash during I/O leaves it.
. /e2e/matrix/lib.sh
LSI=$(for d in /sys/bus/pci/devices/*; do [ "$(mx_id "$d")" = 1000:0012 ] && echo "${d##*/}"; done | head -n 1)
mark LSI first addr=$LSI
for m in $(cat $MX/load/sym53c8xx) $(cat $MX/load/sd_mod); do [ -d "/sys/module/$m" ] || insmod "/lib/modules/matrix/$m.ko" 2>/dev/null; done
mx_until 20 mx_has_disk "$LSI"
disk=$(mx_disks "$LSI" | head -n 1)
sig=$(dd if="/dev/$disk" bs=4096 count=1 iflag=direct 2>/dev/null | head -c 18)
mark WORKS first "$LSI" disk $([ "$sig" = PRECONFIG-E2E-DISK ] && echo ok || echo fail) disk=$disk
# The chip's registers through its I/O BAR and /dev/port (the driver holds the memory BAR, so the kernel refuses a mapping of it).
io=$(( 0x$(setpci -s "$LSI" BASE_ADDRESS_0) & ~0x3 ))
reg_w() { printf "\\$(printf '%03o' "$2")" | dd of=/dev/port bs=1 seek=$((io + $1)) conv=notrunc 2>/dev/null; }
reg_r() { dd if=/dev/port bs=1 skip=$((io + $1)) count=1 2>/dev/null | od -An -tu1 | tr -d ' '; }
setpci -s "$LSI" COMMAND=0x0400:0x0400
reg_w 0x41 $(( $(reg_r 0x41) | 0x02 ))    # SIEN1 |= GEN
reg_w 0x49 1                             # STIME1: the timer expires, SIST1 GEN, interrupt pending
reg_w 0x14 64; reg_w 0x14 0              # ISTAT SRST, then release
setpci -s "$LSI" COMMAND=0x0000:0x0400
mx_until 10 sh -c 'dmesg | grep -q "nobody cared"'
mark LSI pending status=0x$(setpci -s "$LSI" STATUS) command=0x$(setpci -s "$LSI" COMMAND) \
  first_kernel_nobody_cared=$(dmesg | grep -q "nobody cared" && echo yes || echo no)
mx_interrupts first
case "$mode" in
  scsi-irq-none) append="$append preconfig=off" ;;
  scsi-irq-quiesce) ;;                                     # preinit's default policy: quiesce and restore, no reset
  *) append="$append preconfig.policy=/e2e/matrix/reset-lsi.policy" ;;
esac
kdump_base=/capture-matrix.gz
