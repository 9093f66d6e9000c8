#!/usr/bin/env bash
# Builds dist/preconfig_<version>_amd64.deb from dist/ (./build.sh first) and packaging/: the files laid out by
# packaging/install.sh --package, the maintainer scripts, conffiles and md5sums of packaging/deb/.
# Usage: packaging/deb/build-deb.sh [--arch arm64]  (./build.sh --deb runs it). Needs dpkg-deb; no debhelper.
# --arch arm64: dist/linux-arm64/preconfig_<version>_arm64.deb from the cross-compiled dist/linux-arm64/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
me=build-deb
debarch=amd64; dist="$repo/dist"; objdump=objdump
case "${1:-} ${2:-}" in
  "--arch arm64"|"--arch aarch64") debarch=arm64; dist="$repo/dist/linux-arm64"; objdump=aarch64-linux-gnu-objdump ;;
  "--arch "*) case "$2" in x64|amd64|x86_64) ;; *) echo "build-deb: unknown architecture $2" >&2; exit 2 ;; esac ;;
esac
. "$repo/packaging/version.sh"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
PRECONFIG_DIST="$dist" sh "$repo/packaging/install.sh" --destdir "$root" --initramfs initramfs-tools --package >/dev/null
# dracut hosts: the module too (the hook script picks its role at boot; mkdumprd adds kdumpbase).
install -D -m 0755 "$repo/packaging/dracut/90preconfig/module-setup.sh" "$root/usr/lib/dracut/modules.d/90preconfig/module-setup.sh"
install -D -m 0755 "$repo/packaging/dracut/90preconfig/preconfig-pre-udev.sh" "$root/usr/lib/dracut/modules.d/90preconfig/preconfig-pre-udev.sh"
doc="$root/usr/share/doc/preconfig"
install -D -m 0644 "$here/copyright" "$doc/copyright"
sed "s/@VERSION@/$version/" "$here/changelog" | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
gzip -9n "$doc/install.md"
install -D -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/preconfig"
mkdir -p "$root/usr/share/man/man1"
sed "s/@VERSION@/$version/" "$here/preconfig.1" | gzip -9n > "$root/usr/share/man/man1/preconfig.1.gz"
chmod 0644 "$root/usr/share/man/man1/preconfig.1.gz"
chmod -R go-w "$root"

# The newest glibc symbol version the binaries use is the libc6 they need.
libc=$( { "$objdump" -T "$dist/preconfig" "$dist/initramfs/preconfig" 2>/dev/null || true; } \
        | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
libc=${libc:-2.34}

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$size/" -e "s/@LIBC@/$libc/" -e "s/^Architecture: amd64$/Architecture: $debarch/" "$here/control.in" > "$root/DEBIAN/control"
for f in postinst prerm postrm; do install -m 0755 "$here/$f" "$root/DEBIAN/$f"; done
install -m 0644 "$here/triggers" "$root/DEBIAN/triggers"
(cd "$root" && find etc -type f | sed 's:^:/:' | LC_ALL=C sort) > "$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's:^\./::' | LC_ALL=C sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

out="$dist/preconfig_${version}_${debarch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "built $out ($(du -k "$out" | cut -f1) KiB)"
