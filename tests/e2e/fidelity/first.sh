# The fidelity scenarios in the FIRST kernel, sourced by guest/first-init once the NIC behind the root port receives
# the host's frames: the nvme disk reading in a loop (DMA in flight at the crash), the pvpanic-pci driver loaded so
# that the panic (crash_kexec_post_notifiers: notifiers before kexec) reports "crash loaded" to QEMU, where
# tests/e2e/fidelity/qmp.py pauses the guest, saves its memory and lets kexec go on.
for m in $(cat /e2e/matrix/load/nvme); do [ -d "/sys/module/$m" ] || insmod "/lib/modules/matrix/$m.ko"; done
insmod /lib/modules/fidelity/pvpanic.ko; insmod /lib/modules/fidelity/pvpanic-pci.ko
n=0; while [ ! -b /dev/nvme0n1 ] && [ $n -lt 40 ]; do sleep 0.25; n=$((n + 1)); done
# The disk's blocks from 448 MiB on carry PRECONFIG-E2E-IO (tests/e2e/fidelity/run.sh): what they land in is theirs.
( while :; do dd if=/dev/nvme0n1 of=/dev/null bs=64k skip=7168 count=256 iflag=direct 2>/dev/null; done ) &
mark FIDELITY first pvpanic=$(ls /sys/bus/pci/drivers/pvpanic-pci 2>/dev/null | grep -c :) disk=$([ -b /dev/nvme0n1 ] && echo nvme0n1 || echo none) io_pid=$!
# Where the crashing kernel itself writes between the pause and kexec (crash_save_cpu's notes per CPU, the
# VMCOREINFO note crash_save_vmcoreinfo updates), as the kernel publishes them: compare.py names those pages.
notes=; for c in /sys/devices/system/cpu/cpu[0-9]*; do
  [ -r "$c/crash_notes" ] && notes="$notes${notes:+,}$(cat "$c/crash_notes")+$(cat "$c/crash_notes_size")"
done
read -r vi_addr vi_size < /sys/kernel/vmcoreinfo
# And the kernel image's own ranges (/proc/iomem, root sees the addresses): its data and bss hold jiffies-stamped
# state and the printk ring the panic path keeps writing.
kimage=$(awk -F' : ' '/: Kernel (code|rodata|data|bss)$/ { gsub(/ /, "", $1); printf "%s%s", sep, $1; sep = "," }' /proc/iomem)
mark FIDELITY layout crash_notes=${notes:-none} vmcoreinfo=${vi_addr:-none}+${vi_size:-0} kernel_image=${kimage:-none}
kdump_base=/capture-matrix.gz
[ "$mode" = fidelity-none ] && append="$append preconfig=off"
