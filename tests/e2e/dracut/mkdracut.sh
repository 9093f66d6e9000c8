#!/usr/bin/env bash
# Builds the dracut scenario's images from the e2e cache, dist/ and packaging/:
#   CACHE/dracut/kdump-<key>.img : the kdump initramfs, made by the real dracut 059 inside a Debian build root
#                                  (below) with kdump-utils' mkdumprd arguments, our 90preconfig module installed
#                                  by packaging/install.sh --initramfs dracut, its kdump-post.d hook, the kdumpbase
#                                  stand-in and the test's probes (modules.d/); cached, keyed by all of these
#   WORK/first-dracut.gz         : first.gz + that image as /dracut-kdump.img (what the first kernel hands to kexec -p)
#   WORK/dracut-disk.img         : the capture kernel's root file system (ext4, empty /var/crash): the dump target
# Usage: mkdracut.sh CACHE WORK. Prints "E2E-SIZE dracut_..." figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=$1; work=$2
kver=$(cat "$cache/kernel/version")
"$repo/scripts/install-deps.sh" mmdebstrap e2fsprogs >&2

# The build root: Debian 12 with the real dracut 059 (apt package dracut) and what a kdump-utils kdump initramfs
# carries (udev, kmod, makedumpfile as the core collector; busybox for the test's probes), made once by mmdebstrap and
# cached, keyed by the package list. dracut runs in it (chroot), never on this machine: it conflicts with
# initramfs-tools.
packages=dracut,udev,kmod,makedumpfile,busybox,e2fsprogs
base="$cache/dracut/rootfs-$(echo "bookworm $packages" | sha256sum | cut -c1-16).tar"
if [ ! -s "$base" ]; then
  mkdir -p "$cache/dracut"
  echo "mkdracut: mmdebstrap bookworm ($packages) -> $base" >&2
  mmdebstrap --variant=minbase --format=tar --include="$packages" bookworm "$base.new" >&2
  mv "$base.new" "$base"
fi
key=$( { basename "$base"; echo "$kver"; cat "$repo/dist/initramfs/preconfig" "$repo/dist/preconfig" "$repo"/packaging/dracut/*/* \
         "$repo"/packaging/lib/* "$repo/packaging/install.sh" "$repo/tests/e2e/guest/lib.sh" "$0" "$here/zz-e2e.post" \
         "$here"/modules.d/*/*; } | sha256sum | cut -c1-16)
img="$cache/dracut/kdump-$key.img"

# kdump-utils' mkdumprd (rhkdump/kdump-utils, mkdumprd): its fixed dracut arguments, then what it adds for the default
# target. Substituted here: the root file system is named on the capture kernel's command line (root=/dev/vda, see
# first-init) where mkdumprd adds `--mount` for the host's root device, and its drivers are named (--add-drivers)
# where mkdumprd finds them from that device (this build root has none of its own).
mkdumprd_args=(--quiet --hostonly --hostonly-cmdline --hostonly-i18n --hostonly-mode strict --hostonly-nics ''
               --aggressive-strip --no-hostonly-default-device
               --add kdumpbase --omit "rdma plymouth resume ifcfg earlykdump")
test_args=(--add e2eprobe --add-drivers "virtio_blk ext4")

if [ ! -s "$img" ]; then
  t0=$(date +%s)
  tmp="$cache/dracut/.build-$key.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/root"
  trap 'rm -rf "$tmp"' EXIT
  root="$tmp/root"
  tar -xf "$base" -C "$root"
  sh "$repo/packaging/install.sh" --destdir "$root" --initramfs dracut > "$tmp/install.log"
  cp -r "$here"/modules.d/* "$root/usr/lib/dracut/modules.d/"
  install -D -m 0644 "$repo/tests/e2e/guest/lib.sh" "$root/e2e/lib.sh"
  install -m 0755 "$here/zz-e2e.post" "$root/etc/kdump/post.d/zz-e2e"
  # kdump-utils' default /etc/kdump.conf (path, core_collector), with the final action the test needs.
  printf 'path /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\nfinal_action poweroff\n' > "$root/etc/kdump.conf"
  mkdir -p "$root/lib/modules"
  cp -a "$cache/kernel/lib/modules/$kver" "$root/lib/modules/$kver"
  # In a private mount namespace with its own /proc, /sys and /dev (nothing leaks onto the host's mounts).
  unshare --mount --propagation private sh -c '
    set -e
    r=$1; shift
    mount -t proc proc "$r/proc"
    mount -t sysfs sysfs "$r/sys"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs tmpfs "$r/run"
    chroot "$r" env PATH=/usr/sbin:/usr/bin:/sbin:/bin IN_KDUMP=1 sh -c "depmod \$0 && dracut \"\$@\"" "$@"
  ' sh "$root" "$kver" "${mkdumprd_args[@]}" "${test_args[@]}" --kver "$kver" -f /tmp/kdump.img \
    > "$tmp/dracut.log" 2>&1 || { cat "$tmp/dracut.log" >&2; echo "mkdracut: dracut failed" >&2; exit 1; }
  chroot "$root" lsinitrd -f usr/lib/dracut/modules.txt /tmp/kdump.img > "$tmp/modules.txt" 2>/dev/null || true
  cp "$tmp/modules.txt" "$cache/dracut/kdump-$key.modules"
  mv "$root/tmp/kdump.img" "$img"
  echo "mkdracut: dracut built the kdump initramfs in $(( $(date +%s) - t0 )) s ($(tr '\n' ' ' < "$tmp/modules.txt"))" >&2
  find "$cache/dracut" -maxdepth 1 \( -name 'kdump-*' ! -name "kdump-$key.*" -o -name 'rootfs-*' ! -path "$base" \) -delete
fi

extra="$work/dracut-extra"
rm -rf "$extra"; mkdir -p "$extra"
cp "$img" "$extra/dracut-kdump.img"
(cd "$extra" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$work/dracut-extra.cpio.gz"
cat "$work/first.gz" "$work/dracut-extra.cpio.gz" > "$work/first-dracut.gz"
cp "$cache/dracut/kdump-$key.modules" "$work/dracut-modules.txt"

# proc, sys and dev make it a root dracut accepts (dracut-lib.sh, usable_root) before pre-pivot, where kdump dumps.
rm -rf "$work/dracut-disk"; mkdir -p "$work/dracut-disk/var/crash" "$work/dracut-disk/proc" "$work/dracut-disk/sys" "$work/dracut-disk/dev"
rm -f "$work/dracut-disk.img"
mke2fs -q -t ext4 -d "$work/dracut-disk" "$work/dracut-disk.img" 256M
echo "E2E-SIZE dracut_kdump_img_bytes=$(stat -c %s "$img")"
