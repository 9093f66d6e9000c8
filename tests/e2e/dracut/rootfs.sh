#!/usr/bin/env bash
# The dracut scenario's build root: Debian 12 with the real dracut 059 (apt package dracut) and what a kdump-utils
# kdump initramfs carries (udev, kmod, makedumpfile as the core collector, busybox for the test's probes), built once
# with mmdebstrap and cached as a tarball keyed by everything that shapes it:
#   CACHE/dracut/rootfs-<key>.tar
# dracut runs inside it (chroot), never on this machine: the dracut package conflicts with initramfs-tools.
# Usage: rootfs.sh CACHE   (prints the tarball's path on stdout, last line)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=$1
suite=bookworm
packages=dracut,udev,kmod,makedumpfile,busybox,e2fsprogs
key=$( { echo "$suite $packages"; cat "$0"; } | sha256sum | cut -c1-16)
out="$cache/dracut/rootfs-$key.tar"
if [ -s "$out" ]; then echo "$out"; exit 0; fi

"$repo/scripts/install-deps.sh" mmdebstrap >&2
mkdir -p "$cache/dracut"
echo "dracut rootfs: mmdebstrap $suite ($packages) -> $out" >&2
t0=$(date +%s)
mmdebstrap --variant=minbase --format=tar --include="$packages" "$suite" "$out.new.tar" >&2
mv "$out.new.tar" "$out"
echo "dracut rootfs: built in $(( $(date +%s) - t0 )) s" >&2
find "$cache/dracut" -maxdepth 1 -name 'rootfs-*.tar' ! -name "rootfs-$key.tar" -delete
echo "$out"
