#!/usr/bin/env bash
# The distro scenario's Debian 12 root file system, built once with mmdebstrap from the package registry and
# cached as a tarball keyed by everything that shapes it (suite, package list, this script):
#   CACHE/distro/rootfs-<key>.tar
# Usage: rootfs.sh CACHE   (prints the tarball's path on stdout, last line)
#
# kdump-tools' kernel hook turns MODULES=most into dep, which cannot work in a chroot ("failed to determine device
# for /"); MODULES=list with the virtio disk, PCI and ext4 modules lets mkinitramfs run there (the essential hook
# writes it before initramfs-tools is configured).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=$1
suite=bookworm
packages=systemd,systemd-sysv,udev,kmod,kdump-tools,makedumpfile,kexec-tools,linux-image-amd64,initramfs-tools,busybox,pciutils,e2fsprogs
key=$( { echo "$suite $packages"; cat "$0"; } | sha256sum | cut -c1-16)
out="$cache/distro/rootfs-$key.tar"
if [ -s "$out" ]; then echo "$out"; exit 0; fi

"$repo/scripts/install-deps.sh" mmdebstrap >&2
mkdir -p "$cache/distro"
echo "rootfs: mmdebstrap $suite ($packages) -> $out" >&2
t0=$(date +%s)
mmdebstrap --variant=minbase --format=tar --include="$packages" \
  --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" && echo MODULES=list > "$1/etc/initramfs-tools/conf.d/modules" && printf "virtio_pci\nvirtio_blk\next4\n" >> "$1/etc/initramfs-tools/modules"' \
  --customize-hook='echo preconfig-e2e > "$1/etc/hostname"' \
  "$suite" "$out.new.tar" >&2
mv "$out.new.tar" "$out"
echo "rootfs: built in $(( $(date +%s) - t0 )) s" >&2
# Older tarballs of this cache are of no use any more.
find "$cache/distro" -maxdepth 1 -name 'rootfs-*.tar' ! -name "rootfs-$key.tar" -delete
echo "$out"
