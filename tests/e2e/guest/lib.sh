# Shared by the guests' /init scripts (busybox sh). Everything the host asserts on is a line starting with "E2E:"
# on the serial console; one record per line, so kernel messages interleaving between lines do no harm.

export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu

mark() { echo "E2E:$*"; }

# The value of kernel parameter $1 (empty when absent).
cmdline_arg() {
  for w in $(cat /proc/cmdline); do
    case "$w" in "$1="*) echo "${w#*=}"; return 0 ;; esac
  done
  return 0
}

# Milliseconds since boot (uptime), for elapsed-time figures measured inside the guest.
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

mount_basics() {
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev 2>/dev/null
  mkdir -p /run /tmp
  mount -t tmpfs -o mode=0755 tmpfs /run
  # Keep the console for our markers: kernel messages below "error" stay in the ring buffer.
  dmesg -n 3
}

# One line per function: E2E:CFG <phase> <address> <first 256 bytes of config space, hex>.
dump_cfg() {
  for d in /sys/bus/pci/devices/*; do
    echo "E2E:CFG $1 ${d##*/} $(hexdump -v -n 256 -e '1/1 "%02x"' "$d/config")"
  done
}

# E2E:DRV <phase> <address> <driver or -> for every function.
dump_drivers() {
  for d in /sys/bus/pci/devices/*; do
    drv=-
    [ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
    echo "E2E:DRV $1 ${d##*/} $drv"
  done
}

# Functions the test dirties and asserts on: endpoints (header type 0) of the network and storage classes.
targets() {
  for d in /sys/bus/pci/devices/*; do
    c=$(cat "$d/class")
    case "$c" in 0x01*|0x02*) echo "${d##*/}" ;; esac
  done
}

# "The kernel ran": leave the state a running kernel leaves behind (Bus Master on, Interrupt Line and Cache Line
# Size changed, PCI Express DevCtl error-reporting enables flipped, MSI enabled), with setpci as a driver would.
dirty() {
  for a in $(targets); do
    setpci -s "$a" COMMAND=0x0004:0x0004
    il=$(setpci -s "$a" INTERRUPT_LINE); [ "$il" = 0e ] && il=0d || il=0e
    setpci -s "$a" INTERRUPT_LINE=$il
    setpci -s "$a" CACHE_LINE_SIZE=0x10
    # DevCtl error-reporting enables, and DevCtl2 bit 15 (End-End TLP Prefix Blocking): QEMU 7.2 makes an
    # endpoint's DevCtl read-only but lets NVMe's DevCtl2 bit 15 be written, so both are tried.
    if dc=$(setpci -s "$a" CAP_EXP+8.w 2>/dev/null) && [ -n "$dc" ]; then
      setpci -s "$a" CAP_EXP+8.w=$(printf '%04x' $(( 0x$dc ^ 0x000f )))
      dc2=$(setpci -s "$a" CAP_EXP+0x28.w)
      setpci -s "$a" CAP_EXP+0x28.w=$(printf '%04x' $(( 0x$dc2 ^ 0x8000 )))
    fi
    setpci -s "$a" CAP_MSI+2.w=0x0001:0x0001 2>/dev/null
  done
}

# The PCI address of the network interface $1.
iface_addr() { basename "$(readlink "/sys/class/net/$1/device")"; }

# The interface bound to PCI function $1 (empty when none).
addr_iface() { ls "/sys/bus/pci/devices/$1/net" 2>/dev/null | head -n 1; }

# Waits up to $2 seconds for interface $1 to count received frames; prints the count.
wait_rx() {
  n=0
  while [ "$n" -lt "$(( $2 * 5 ))" ]; do
    rx=$(cat "/sys/class/net/$1/statistics/rx_packets" 2>/dev/null || echo 0)
    [ "$rx" -gt 0 ] && break
    sleep 0.2; n=$((n + 1))
  done
  cat "/sys/class/net/$1/statistics/rx_packets" 2>/dev/null || echo 0
}

finish() {
  mark DONE "$@"
  sync
  poweroff -f
}
