#!/usr/bin/env bash
# Builds the two initramfs images of the end-to-end test from the fetched cache and dist/preconfig:
#   WORK/capture-base.gz : the kdump initramfs: busybox, preconfig + its boot script installed by the REAL
#                          initramfs-tools hook (packaging/initramfs-tools/hooks/preconfig, run with the real
#                          hook-functions), setpci/lspci, e1000e.ko, vmcmp, /init = guest/capture-init
#   WORK/first.gz        : the first kernel's initramfs: the same tools, kexec, the kernel image and capture-base.gz
# Usage: mkimages.sh CACHE WORK [--arch arm64].  Prints size figures as "E2E-SIZE key=value" lines.
# With --arch arm64 the same images from Debian's arm64 packages (fetch.sh --arch arm64 unpacked them into
# CACHE/arm64/root) and dist/linux-arm64/: every binary and library is aarch64, found by its ELF NEEDED entries in
# that root (the host cannot run ldd on them), and vmcmp is cross-compiled static.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=$1; work=$2; arch=amd64
[ "${3:-}" = --arch ] && arch=$4
if [ "$arch" = amd64 ]; then
  kdir="$cache/kernel"; triplet=x86_64-linux-gnu; dist="$repo/dist"; sysroot=""
  busybox=/bin/busybox; kexec="$cache/kexec/sbin/kexec"; cc_guest=(cc)
else
  kdir="$cache/$arch/kernel"; triplet=aarch64-linux-gnu; dist="$repo/dist/linux-$arch"; sysroot="$cache/$arch/root"
  busybox="$sysroot/bin/busybox"; kexec="$sysroot/sbin/kexec"; cc_guest=(aarch64-linux-gnu-gcc -static)
fi
kver=$(cat "$kdir/version")
kmod="$kdir/lib/modules/$kver/kernel"
# What the packaging puts into an initramfs: the initramfs edition of the binary when ./build.sh made one.
bin="$dist/initramfs/preconfig"; [ -x "$bin" ] || bin="$dist/preconfig"
mkdir -p "$work"

# Merged-/usr skeleton, busybox with its applet links, /dev/console for the kernel's first open.
skeleton() {
  local d=$1
  rm -rf "$d"; mkdir -p "$d"/{usr/bin,usr/sbin,usr/lib/$triplet,usr/lib64,proc,sys,dev,run,tmp,etc,e2e,scripts/init-top}
  ln -s usr/bin "$d/bin"; ln -s usr/sbin "$d/sbin"; ln -s usr/lib "$d/lib"; ln -s usr/lib64 "$d/lib64"
  cp "$busybox" "$d/usr/bin/busybox"
  # The applet names from the host's busybox (the same Debian release as the guest's).
  for a in $(/bin/busybox --list); do [ -e "$d/usr/bin/$a" ] || ln -s busybox "$d/usr/bin/$a"; done
  mknod -m 600 "$d/dev/console" c 5 1
  mknod -m 666 "$d/dev/null" c 1 3
}

# The libraries binary $1 loads, with their paths: ldd on the host's architecture (LD_LIBRARY_PATH may point into
# the cache); otherwise the ELF NEEDED entries, resolved in the sysroot's library folders, recursively.
libs_of() {
  if [ -z "$sysroot" ]; then ldd "$1" | awk '/=>/ { print $3 } /^\t\// { print $1 }'; return; fi
  local todo=("$1") seen=" " f n p
  while [ ${#todo[@]} -gt 0 ]; do
    f=${todo[0]}; todo=("${todo[@]:1}")
    for n in $(aarch64-linux-gnu-readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      case "$seen" in *" $n "*) continue ;; esac
      seen="$seen$n "
      for p in "$sysroot/lib/$triplet/$n" "$sysroot/usr/lib/$triplet/$n"; do
        [ -e "$p" ] && { echo "$p"; todo+=("$p"); break; }
      done
      [ -e "$p" ] || { echo "mkimages: $n (needed by $f) not in $sysroot" >&2; exit 2; }
    done
  done
}

# Copies binary $2 to $1/$3 and every library it loads.
add_exec() {
  local d=$1 src=$2 dst=$3 lib libs
  mkdir -p "$d/$(dirname "$dst")"
  cp "$src" "$d/$dst"
  libs=$(libs_of "$src")
  for lib in $libs; do
    case "$lib" in
      */ld-linux-x86-64.so.2) cp -L "$lib" "$d/usr/lib64/" ;;
      */ld-linux-aarch64.so.1) cp -L "$lib" "$d/usr/lib/" ;;   # PT_INTERP /lib/ld-linux-aarch64.so.1
      *) cp -L "$lib" "$d/usr/lib/$triplet/" ;;
    esac
  done
}

# Runs the real initramfs-tools hook from packaging/ into $1, against the build tree.
run_hook() {
  local d=$1
  mkdir -p "$work/boot-src"
  cp "$repo/packaging/lib/preconfig-boot" "$work/boot-src/preconfig-boot"
  DESTDIR=$d verbose=n \
    PRECONFIG_HOOK_FUNCTIONS="$cache/itools/usr/share/initramfs-tools/hook-functions" \
    PRECONFIG_SRC_BIN="$bin" PRECONFIG_SRC_BOOT="$work/boot-src/preconfig-boot" \
    PRECONFIG_SRC_ETC="$work/no-etc" \
    sh "$repo/packaging/initramfs-tools/hooks/preconfig"
  cp "$repo/packaging/initramfs-tools/scripts/init-top/preconfig" "$d/scripts/init-top/preconfig"
  # dracut's pre-udev hook too, where inst_hook puts it (the normal-boot scenario sources it as dracut does).
  mkdir -p "$d/lib/dracut/hooks/pre-udev"
  cp "$repo/packaging/dracut/90preconfig/preconfig-pre-udev.sh" "$d/lib/dracut/hooks/pre-udev/00-preconfig.sh"
}

pack() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6) > "$2"; }

common() {
  local d=$1
  skeleton "$d"
  add_exec "$d" "$sysroot/usr/bin/setpci" /usr/bin/setpci
  # lspci for a person reading a guest by hand (the arm64 images leave it out: it links libkmod and OpenSSL).
  if [ -z "$sysroot" ]; then add_exec "$d" /usr/bin/lspci /usr/bin/lspci; fi
  add_exec "$d" "$work/vmcmp" /usr/bin/vmcmp
  mkdir -p "$d/usr/lib/modules"
  cp "$kmod/drivers/net/ethernet/intel/e1000e/e1000e.ko" "$d/usr/lib/modules/e1000e.ko"
  cp "$here/guest/lib.sh" "$d/e2e/lib.sh"
  "$here/iommu/mkguest.sh" "$d" "$kmod"
  run_hook "$d"
  # The hook's copy_exec runs the host's ldd, which cannot read a foreign binary: its libraries are added here.
  [ -z "$sysroot" ] || add_exec "$d" "$bin" /usr/bin/preconfig
}

"${cc_guest[@]}" -O2 -Wall -o "$work/vmcmp" "$here/guest/vmcmp.c"

# What the hook and the binary add to an initramfs, measured on their own.
rm -rf "$work/hook-only"; mkdir -p "$work/hook-only/scripts/init-top"
run_hook "$work/hook-only"
pack "$work/hook-only" "$work/hook-only.gz"
libs_bytes=$( { find "$work/hook-only/usr/lib/$triplet" -type f -printf '%s\n' 2>/dev/null || true; } | awk '{s+=$1} END {print s+0}')
rm -rf "$work/hook-only/usr/lib/$triplet"   # libc, libm, ld.so: in every real initramfs already
pack "$work/hook-only" "$work/hook-nolibs.gz"
echo "E2E-SIZE preconfig_bytes=$(stat -c %s "$bin") scripts_bytes=$(find "$work/hook-only" -type f ! -path '*/usr/bin/preconfig' -printf '%s\n' | awk '{s+=$1} END {print s+0}') added_gz_bytes=$(stat -c %s "$work/hook-nolibs.gz") libc_libm_ld_bytes=$libs_bytes added_gz_with_libs_bytes=$(stat -c %s "$work/hook-only.gz")"

common "$work/capture"
cp "$here/guest/capture-init" "$work/capture/init"
[ -f "$here/guest/reset-nic.policy" ] && cp "$here/guest/reset-nic.policy" "$work/capture/e2e/reset-nic.policy"
pack "$work/capture" "$work/capture-base.gz"

common "$work/first"
cp "$here/guest/first-init" "$work/first/init"
install -D -m 0755 "$repo/packaging/kdump-tools/preconfig-kdump-initrd" "$work/first/usr/lib/preconfig/preconfig-kdump-initrd"
LD_LIBRARY_PATH="$cache/kexec/usr/lib/x86_64-linux-gnu" add_exec "$work/first" "$kexec" /usr/sbin/kexec
cp "$kdir/boot/vmlinuz-$kver" "$work/first/vmlinuz"
cp "$work/capture-base.gz" "$work/first/capture-base.gz"
pack "$work/first" "$work/first.gz"
cp "$kdir/boot/vmlinuz-$kver" "$work/vmlinuz"
echo "E2E-SIZE capture_base_gz_bytes=$(stat -c %s "$work/capture-base.gz") first_gz_bytes=$(stat -c %s "$work/first.gz")"
