#!/usr/bin/env bash
# The distro scenario's disk image: the cached Debian 12 root file system (rootfs.sh) with our .deb installed the way
# an operator installs it (apt-get install ./preconfig_*.deb, in a chroot) and nothing else (no other package's
# configuration edited), and the test's own driver unit. Cached, keyed by the root file system, the
# .deb and the files of this folder:
#   CACHE/distro/image-<key>/{disk.img,vmlinuz,initrd.img,build.log,facts}
# kdump-tools' kdump initramfs is built here (by our postinst, through kdump-tools' own kernel hook), not on the
# guest's first boot, which under TCG costs over a minute.
# Usage: image.sh CACHE ROOTFS_TAR DEB   (prints the image folder, last line)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=$1; base=$2; deb=$3
key=$( { basename "$base"; md5sum < "$deb"; cat "$0" "$here"/guest/*; } | sha256sum | cut -c1-16)
out="$cache/distro/image-$key"
if [ -s "$out/disk.img" ] && [ -s "$out/facts" ]; then echo "$out"; exit 0; fi

t0=$(date +%s)
tmp="$cache/distro/.build-$key.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
mkdir -p "$root"
tar -xf "$base" -C "$root"
cp "$deb" "$root/tmp/"
debname=$(basename "$deb")

# The system's own set-up (fstab). Nothing of preconfig's is configured by hand: /etc/default/kdump-tools stays as
# kdump-tools shipped it (installing is enough, issue 22).
echo "/dev/vda / ext4 defaults 0 1" > "$root/etc/fstab"
md5_defaults=$(md5sum < "$root/etc/default/kdump-tools")
# node_exporter's textfile directory, as prometheus-node-exporter makes it: the daemon keeps preconfig.prom there.
mkdir -p "$root/var/lib/prometheus/node-exporter"
# The test's driver (not part of the product).
install -m 0755 "$here/guest/e2e-distro" "$root/usr/local/sbin/e2e-distro"
install -m 0755 "$here/guest/e2e-distro-faults" "$root/usr/local/sbin/e2e-distro-faults"
install -m 0644 "$here/guest/e2e-distro.service" "$root/etc/systemd/system/e2e-distro.service"
ln -sf /etc/systemd/system/e2e-distro.service "$root/etc/systemd/system/multi-user.target.wants/e2e-distro.service"
# No getty on the serial console: the test's lines stay readable.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"

# apt-get install ./preconfig_*.deb inside the root, with its own /proc, /sys and /dev, in a private mount namespace
# (nothing leaks onto the host's mounts, even if this script dies).
unshare --mount --propagation private sh -c '
  set -e
  r=$1; d=$2
  mount -t proc proc "$r/proc"
  mount -t sysfs sysfs "$r/sys"
  mount --rbind /dev "$r/dev"
  mount -t tmpfs tmpfs "$r/run"
  chroot "$r" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get install -y "/tmp/$d"
' sh "$root" "$debname" > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; echo "image: apt-get install ./$debname failed" >&2; exit 1; }
rm -f "$root/tmp/$debname"

kver=$(ls "$root/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n 1)
# kdump-config load deletes and rebuilds its kdump initramfs when /etc/kdump/sysctl.conf differs from the copy it
# keeps (none yet on a fresh system): record the copy as its first load would, so the image our postinst built is
# the one the guest uses (and the first boot does not spend a minute or more of TCG rebuilding it).
cp "$root/etc/kdump/sysctl.conf" "$root/var/lib/kdump/latest_sysctls-$kver"
# Facts the check asserts on: what apt and the postinst did, the key and the images.
{
  echo "installed=$(chroot "$root" dpkg-query -W -f='${Status} ${Version}' preconfig)"
  echo "key_mode=$(stat -c %a "$root/etc/preconfig/handoff.key") key_bytes=$(stat -c %s "$root/etc/preconfig/handoff.key")"
  echo "kdump_initrd_mode=$(stat -c %a "$root/var/lib/kdump/initrd.img-$kver")"
  echo "production_initrd_mode=$(stat -c %a "$root/boot/initrd.img-$kver")"
  echo "units_enabled=$(ls "$root/etc/systemd/system/multi-user.target.wants" "$root/etc/systemd/system/kdump-tools-dump.service.wants" 2>/dev/null | grep -c '^preconfig')"
  echo "kdump_defaults_untouched=$([ "$(md5sum < "$root/etc/default/kdump-tools")" = "$md5_defaults" ] && echo yes || echo no) $(grep -m1 '^KDUMP_INITRD=' "$root/etc/default/kdump-tools")"
  echo "build_s=$(( $(date +%s) - t0 ))"
} > "$tmp/facts"
cp "$root/boot/vmlinuz-$kver" "$tmp/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$tmp/initrd.img"
mkfs.ext4 -q -F -L root -d "$root" "$tmp/disk.img" 3G
rm -rf "$root"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
echo "image: built in $(( $(date +%s) - t0 )) s" >&2
# Older images of this cache are of no use any more.
find "$cache/distro" -maxdepth 1 -name 'image-*' ! -name "image-$key" -exec rm -rf {} +
echo "$out"
