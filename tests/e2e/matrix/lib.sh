# The device matrix's guest helpers (busy box sh), sourced after /e2e/lib.sh. Records: E2E:LOAD, E2E:WORKS.
MX=/e2e/matrix
MX_DMANIC=0000:01:00.0     # the e1000e behind pcie-root-port rp1, on the host's frame sender

# Loads every driver module devices.txt names, in its order, each after what it depends on (mkmatrix.sh's lists).
mx_load_drivers() {
  for top in $(awk '!/^#/ && NF >= 4 && $3 != "-" { print $3 }' $MX/devices.txt | tr ',' '\n'); do
    t0=$(now_ms)
    for m in $(cat "$MX/load/$top"); do
      [ -d "/sys/module/$m" ] || insmod "/lib/modules/matrix/$m.ko" 2>/dev/null
    done
    [ -d "/sys/module/$top" ] && r=ok || r=fail
    mark LOAD "$1" "$top" "$r" ms=$(( $(now_ms) - t0 ))
  done
}

mx_id() { v=$(cat "$1/vendor"); d=$(cat "$1/device"); echo "${v#0x}:${d#0x}"; }

# The block devices (not partitions) of PCI function $1.
mx_disks() {
  for b in /sys/class/block/*; do
    [ -e "$b/partition" ] && continue
    case "$(readlink -f "$b")" in */$1/*) echo "${b##*/}" ;; esac
  done
}

mx_has_disk() { [ -n "$(mx_disks "$1")" ]; }

# Network interfaces of PCI function $1; USB devices (not interfaces) below controller dir $1.
mx_below() { for x in "$2"/*; do case "$(readlink -f "$x")" in */$1/*) echo "${x##*/}" ;; esac; done; }
mx_ifaces() { mx_below "$1" /sys/class/net; }
mx_has_iface() { [ -n "$(mx_ifaces "$1")" ]; }
mx_usb() { for x in "$1"/usb*/*-*; do case "${x##*/}" in *:*) ;; *) [ -e "$x/idVendor" ] && echo "$x" ;; esac; done; }
mx_has_usb() { [ -n "$(mx_usb "$1")" ]; }

# The kernel's last lines about $1 (a driver), for a check that failed.
mx_dmesg() { dmesg | grep -i -- "${1:-none}" | tail -n 6 | sed 's/^/E2E:DMESG /'; }

# Polls command $2... every 0.25 s for up to $1 seconds until it succeeds.
mx_until() {
  n=$(( $1 * 4 )); shift
  while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.25; n=$((n - 1)); done
  "$@"
}

mx_rx() { cat "/sys/class/net/$1/statistics/rx_packets" 2>/dev/null || echo 0; }
mx_has_rx() { [ "$(mx_rx "$1")" -gt 0 ]; }
mx_arp() { arping -q -c 1 -w 1 -I "$1" -s 10.0.2.15 10.0.2.2 >/dev/null 2>&1; mx_has_rx "$1"; }
mx_some() { for p in "$@"; do [ -e "$p" ] && return 0; done; return 1; }

# One function's check after its driver loaded: E2E:WORKS <phase> <addr> <kind> ok|fail|n/a <detail>.
mx_check() {
  phase=$1 d=$2 kind=$3 a=${2##*/}
  drv=-; [ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
  case "$kind" in
    net)
      mx_until 10 mx_has_iface "$a" || { mark WORKS "$phase" "$a" net fail driver=$drv no-interface; mx_dmesg "$drv"; return; }
      ifc=$(mx_ifaces "$a" | head -n 1)
      ip link set "$ifc" up
      if [ "$a" = "$MX_DMANIC" ]; then
        mx_until 20 mx_has_rx "$ifc"
      else
        ip addr add 10.0.2.15/24 dev "$ifc" 2>/dev/null
        mx_until 15 mx_arp "$ifc"
      fi
      rx=$(mx_rx "$ifc")
      [ "$rx" -gt 0 ] && r=ok || r=fail
      mark WORKS "$phase" "$a" net $r driver=$drv iface=$ifc rx_packets=$rx ;;
    disk)
      mx_until 20 mx_has_disk "$a"
      disk=$(mx_disks "$a" | head -n 1)
      [ -n "$disk" ] || { mark WORKS "$phase" "$a" disk fail driver=$drv no-disk; mx_dmesg "$drv"; return; }
      t0=$(now_ms)
      sig=$(dd if="/dev/$disk" bs=4096 count=1 2>/dev/null | head -c 18)
      ms=$(( $(now_ms) - t0 ))
      [ "$sig" = PRECONFIG-E2E-DISK ] && r=ok || r=fail
      mark WORKS "$phase" "$a" disk $r driver=$drv disk=$disk read_ms=$ms ;;
    usb)
      # A device behind a root port of the controller (1-1, not the root hub's interface 1-0:1.0).
      mx_until 15 mx_has_usb "$d" && r=ok || r=fail
      dev=$(mx_usb "$d" | head -n 1)
      mark WORKS "$phase" "$a" usb $r driver=$drv device=${dev##*/}:$(cat "$dev/idVendor" 2>/dev/null):$(cat "$dev/idProduct" 2>/dev/null) ;;
    sound)
      mx_until 15 mx_some "$d"/sound/card* && r=ok || r=fail
      mark WORKS "$phase" "$a" sound $r driver=$drv
      [ $r = ok ] || mx_dmesg "$drv" ;;
    drm)
      mx_until 10 mx_some "$d"/drm/card* && r=ok || r=fail
      mark WORKS "$phase" "$a" drm $r driver=$drv ;;
    i2c)
      mx_until 5 mx_some "$d"/i2c-* && r=ok || r=fail
      mark WORKS "$phase" "$a" i2c $r driver=$drv ;;
    bound)
      [ "$drv" != - ] && r=ok || r=fail
      mark WORKS "$phase" "$a" bound $r driver=$drv ;;
    *)
      mark WORKS "$phase" "$a" "$kind" n/a driver=$drv ;;
  esac
}

# Every function's check (devices.txt's check column), after mx_load_drivers.
mx_works() {
  for d in /sys/bus/pci/devices/*; do
    kind=$(awk -v id="$(mx_id "$d")" '$1 == id { print $4 }' $MX/devices.txt)
    mx_check "$1" "$d" "${kind:-unknown}"
  done
}

# /proc/vmcore read twice 2 s apart (guest/vmcmp.c), its records renamed for phase $1.
mx_vmcore() {
  /usr/bin/vmcmp /proc/vmcore 2 | sed -e "s/^E2E:VMCORE-AT /E2E:MXVMCOREAT $1 /" -e "s/^E2E:VMCORE /E2E:MXVMCORE $1 /"
}

# Interrupt counts as the kernel saw them (the lines for IO-APIC / PCI interrupts), for the record.
mx_interrupts() { grep -E 'IO-APIC|PCI-MSI|DMAR' /proc/interrupts | sed "s/^/E2E:IRQ $1 /" | tr -s ' '; }
