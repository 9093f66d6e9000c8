#!/usr/bin/env bash
# After the dracut scenario's run: what the capture kernel left on the dump disk, read with debugfs (nothing mounted),
# as "E2E:DISK" records for check.py: every file under /var/crash/<ip>-<date>/ with its size, and preinit's report
# as preconfig-kdump-record saved it there. Usage: disk.sh DISK
set -uo pipefail
disk=$1
for d in $(debugfs -R "ls -p /var/crash" "$disk" 2>/dev/null | awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $6 }'); do
  debugfs -R "ls -p /var/crash/$d" "$disk" 2>/dev/null | awk -F/ -v d="$d" '$6 != "." && $6 != ".." && $6 != "" { print "E2E:DISK file " d "/" $6 " size=" $7 }'
  json=$(debugfs -R "cat /var/crash/$d/preconfig-preinit.json" "$disk" 2>/dev/null | tr -d '\n')
  [ -n "$json" ] && echo "E2E:DISK report $d $json"
done
exit 0
