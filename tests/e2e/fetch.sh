#!/usr/bin/env bash
# Fetches what the QEMU end-to-end test needs, only when missing:
#  - apt packages qemu-system-x86, busybox-static, cpio, pciutils (through scripts/install-deps.sh);
#  - the Debian kernel (linux-image-<ver>-amd64) and kexec-tools with the Xen libraries its binary links,
#    downloaded with `apt-get download` and unpacked with `dpkg-deb -x` into a cache OUTSIDE the clone
#    (never installed into this machine's /boot).
# Prints the cache folder on stdout (last line). Environment: PRECONFIG_E2E_CACHE overrides the cache folder;
# PRECONFIG_E2E_KERNEL overrides the kernel package version (e.g. 6.1.0-56-amd64).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

cc_pkgs=(); command -v cc >/dev/null || cc_pkgs=(gcc libc6-dev)   # builds the guest's vmcore comparer
"$repo/scripts/install-deps.sh" qemu-system-x86 busybox-static cpio pciutils "${cc_pkgs[@]}" >&2

pick_cache() {
  if [ -n "${PRECONFIG_E2E_CACHE:-}" ]; then echo "$PRECONFIG_E2E_CACHE"; return; fi
  if mkdir -p /var/cache/preconfig-e2e 2>/dev/null && [ -w /var/cache/preconfig-e2e ]; then
    echo /var/cache/preconfig-e2e
  else
    echo "$repo/.cache/e2e"
  fi
}
cache=$(pick_cache)
mkdir -p "$cache/debs"

# The kernel: the version linux-image-amd64 points at, unless told otherwise.
kver=${PRECONFIG_E2E_KERNEL:-}
if [ -z "$kver" ]; then
  if [ -f "$cache/kernel/version" ]; then
    kver=$(cat "$cache/kernel/version")
  else
    kver=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\).*/\1/p' | head -n 1)
    if [ -z "$kver" ]; then
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO apt-get update -qq >/dev/null
      kver=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\).*/\1/p' | head -n 1)
    fi
  fi
fi
[ -n "$kver" ] || { echo "fetch: cannot resolve the Debian kernel version (apt-cache depends linux-image-amd64)" >&2; exit 2; }

# Downloads package $1 into debs/ (once) and unpacks it into $2 (once).
fetch_deb() {
  local pkg=$1 dest=$2
  [ -f "$dest/.done-$pkg" ] && return 0
  local deb
  deb=$(ls "$cache/debs/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    echo "fetch: downloading $pkg" >&2
    (cd "$cache/debs" && apt-get download -qq "$pkg" 2>&1 | grep -v 'unsandboxed' >&2; [ "${PIPESTATUS[0]}" = 0 ]) || {
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO apt-get update -qq >/dev/null
      (cd "$cache/debs" && apt-get download -qq "$pkg" >&2)
    }
    deb=$(ls "$cache/debs/${pkg}_"*.deb | head -n 1)
  fi
  mkdir -p "$dest"
  dpkg-deb -x "$deb" "$dest"
  touch "$dest/.done-$pkg"
}

fetch_deb "linux-image-$kver" "$cache/kernel"
echo "$kver" > "$cache/kernel/version"
# The unsigned/signed package split: the image lives in boot/vmlinuz-<ver>, modules in lib/modules/<ver>.
[ -f "$cache/kernel/boot/vmlinuz-$kver" ] || { echo "fetch: no boot/vmlinuz-$kver in the kernel package" >&2; exit 2; }

# kexec-tools links libxenctrl, which pulls eight more Xen libraries.
# initramfs-tools' hook-functions (copy_exec), to run the real packaging hook when building the test images.
fetch_deb initramfs-tools-core "$cache/itools"

for p in kexec-tools libxenmisc4.17 libxentoollog1 libxencall1 libxenevtchn1 libxengnttab1 \
         libxenforeignmemory1 libxendevicemodel1 libxentoolcore1; do
  fetch_deb "$p" "$cache/kexec"
done

echo "$cache"
