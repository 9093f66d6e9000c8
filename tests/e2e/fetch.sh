#!/usr/bin/env bash
# Fetches what the QEMU end-to-end test needs, only when missing:
#  - apt packages qemu-system-x86, busybox-static, cpio, pciutils (through scripts/install-deps.sh);
#  - the Debian kernel (linux-image-<ver>-amd64) and kexec-tools with the Xen libraries its binary links,
#    downloaded with `apt-get download` and unpacked with `dpkg-deb -x` into a cache OUTSIDE the clone
#    (never installed into this machine's /boot).
# Usage: fetch.sh [--arch arm64]. With --arch arm64 (tests/e2e/arm64/): qemu-system-arm and the aarch64 cross
#  compiler from apt, and Debian's arm64 packages (linux-image-<ver>-arm64, kexec-tools, busybox-static, pciutils and
#  the libraries they link) downloaded through a private apt state under CACHE/arm64/apt (this machine's dpkg
#  architectures are left as they are) and unpacked into CACHE/arm64/kernel and the guest root CACHE/arm64/root.
# Prints the cache folder on stdout (last line). Environment: PRECONFIG_E2E_CACHE overrides the cache folder;
# PRECONFIG_E2E_KERNEL overrides the kernel package version (e.g. 6.1.0-56-amd64).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
arch=amd64
[ "${1:-}" = --arch ] && arch=$2

if [ "$arch" = amd64 ]; then
  cc_pkgs=(); command -v cc >/dev/null || cc_pkgs=(gcc libc6-dev)   # builds the guest's vmcore comparer
  "$repo/scripts/install-deps.sh" qemu-system-x86 busybox-static cpio pciutils "${cc_pkgs[@]}" >&2
else
  "$repo/scripts/install-deps.sh" qemu-system-arm busybox-static cpio gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
    binutils-aarch64-linux-gnu >&2
fi

pick_cache() {
  if [ -n "${PRECONFIG_E2E_CACHE:-}" ]; then echo "$PRECONFIG_E2E_CACHE"; return; fi
  if mkdir -p /var/cache/preconfig-e2e 2>/dev/null && [ -w /var/cache/preconfig-e2e ]; then
    echo /var/cache/preconfig-e2e
  else
    echo "$repo/.cache/e2e"
  fi
}
cache=$(pick_cache)
# Where this architecture's packages go, and apt's options for them.
top=$cache; apt_opts=()
if [ "$arch" != amd64 ]; then
  top=$cache/$arch
  mkdir -p "$top/apt/lists/partial" "$top/apt/cache/archives/partial"
  apt_opts=(-o APT::Architecture="$arch" -o APT::Architectures::="$arch" -o Dir::State::Lists="$top/apt/lists"
            -o Dir::Cache="$top/apt/cache" -o Dir::State::status=/dev/null)
fi
mkdir -p "$top/debs"
# apt's package lists: the system's (updated when they lack a package), or this architecture's private ones.
apt_update() {
  if [ "$arch" = amd64 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
  else
    apt-get "${apt_opts[@]}" update -qq >/dev/null
  fi
}
# (apt keeps them compressed: *_Packages.lz4; two runs updating at once would fight over the lists' lock)
[ "$arch" = amd64 ] || ls "$top/apt/lists/"*_Packages* >/dev/null 2>&1 || apt_update

# The kernel: the version linux-image-amd64 points at, unless told otherwise.
kver=${PRECONFIG_E2E_KERNEL:-}
if [ -z "$kver" ]; then
  if [ -f "$top/kernel/version" ]; then
    kver=$(cat "$top/kernel/version")
  else
    resolve() { apt-cache ${apt_opts[@]+"${apt_opts[@]}"} depends "linux-image-$arch" 2>/dev/null \
                | sed -n "s/.*Depends: linux-image-\\([0-9].*-$arch\\).*/\\1/p" | head -n 1; }
    kver=$(resolve)
    [ -n "$kver" ] || { apt_update; kver=$(resolve); }
  fi
fi
[ -n "$kver" ] || { echo "fetch: cannot resolve the Debian kernel version (apt-cache depends linux-image-$arch)" >&2; exit 2; }

# Downloads package $1 into debs/ (once) and unpacks it into $2 (once).
fetch_deb() {
  local pkg=$1 dest=$2
  [ -f "$dest/.done-$pkg" ] && return 0
  local deb
  deb=$(ls "$top/debs/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    echo "fetch: downloading $pkg" >&2
    get() { (cd "$top/debs" && apt-get ${apt_opts[@]+"${apt_opts[@]}"} download -qq "$pkg" 2>&1 | grep -v 'unsandboxed' >&2; [ "${PIPESTATUS[0]}" = 0 ]); }
    get || { apt_update; get; }
    deb=$(ls "$top/debs/${pkg}_"*.deb | head -n 1)
  fi
  mkdir -p "$dest"
  dpkg-deb -x "$deb" "$dest"
  touch "$dest/.done-$pkg"
}

fetch_deb "linux-image-$kver" "$top/kernel"
echo "$kver" > "$top/kernel/version"
# The unsigned/signed package split: the image lives in boot/vmlinuz-<ver>, modules in lib/modules/<ver>.
[ -f "$top/kernel/boot/vmlinuz-$kver" ] || { echo "fetch: no boot/vmlinuz-$kver in the kernel package" >&2; exit 2; }

if [ "$arch" != amd64 ]; then
  # The guests' user space, all of it Debian's arm64 binaries: busybox, kexec (its Xen libraries too), setpci; the
  # libraries they link (tests/e2e/arm64/mkimages.sh copies what each binary needs from this root).
  fetch_deb initramfs-tools-core "$cache/itools"
  for p in libc6 busybox-static kexec-tools zlib1g libxenmisc4.17 libxentoollog1 libxencall1 libxenevtchn1 \
           libxengnttab1 libxenforeignmemory1 libxendevicemodel1 libxentoolcore1 pciutils libpci3 libudev1 \
           libcap2; do
    fetch_deb "$p" "$top/root"
  done
  echo "$cache"
  exit 0
fi

# kexec-tools links libxenctrl, which pulls eight more Xen libraries.
# initramfs-tools' hook-functions (copy_exec), to run the real packaging hook when building the test images.
fetch_deb initramfs-tools-core "$cache/itools"

for p in kexec-tools libxenmisc4.17 libxentoollog1 libxencall1 libxenevtchn1 libxengnttab1 \
         libxenforeignmemory1 libxendevicemodel1 libxentoolcore1; do
  fetch_deb "$p" "$cache/kexec"
done

echo "$cache"
