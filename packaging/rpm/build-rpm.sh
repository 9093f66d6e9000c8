#!/usr/bin/env bash
# Builds dist/preconfig-<version>-1.x86_64.rpm from dist/ (./build.sh first) and packaging/: the files laid out by
# packaging/install.sh --initramfs dracut (the dracut module, the kdump-utils post.d hook), moved to Fedora's paths
# (units under /usr/lib/systemd/system), packed by rpmbuild with packaging/rpm/preconfig.spec.
# Usage: packaging/rpm/build-rpm.sh   (./build.sh --rpm runs it). Needs rpmbuild (Debian: apt package rpm).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
me=build-rpm
. "$repo/packaging/version.sh"
command -v rpmbuild >/dev/null || { echo "build-rpm: rpmbuild missing (scripts/install-deps.sh rpm)" >&2; exit 2; }
# The units the package enables: what packaging/install.sh --activate enables on a dracut host.
units="preconfig.service preconfig-kdump-reload.path"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
src="$stage/src"; root="$src/root"
sh "$repo/packaging/install.sh" --destdir "$root" --initramfs dracut >/dev/null
# Fedora and RHEL ship units under /usr/lib (their /lib is a symlink the filesystem package owns).
mkdir -p "$root/usr/lib/systemd"
mv "$root/lib/systemd/system" "$root/usr/lib/systemd/system"
rmdir "$root/lib/systemd" "$root/lib"
mkdir -p "$root/usr/share/man/man1"
sed "s/@VERSION@/$version/" "$repo/packaging/deb/preconfig.1" | gzip -9n > "$root/usr/share/man/man1/preconfig.1.gz"
cp "$repo/LICENSE" "$src/LICENSE"
chmod -R go-w "$root"
find "$root" -type f -exec chmod a+r {} +

# The file list: our own directories, every file (those under /etc as configuration the administrator may edit).
{
  for d in /etc/preconfig /usr/lib/preconfig /usr/lib/dracut/modules.d/90preconfig /usr/share/preconfig; do
    [ -d "$root$d" ] && echo "%dir $d"
  done
  (cd "$root" && find . -type f | sed 's:^\.::' | LC_ALL=C sort) | while read -r f; do
    case "$f" in
      /etc/kdump/post.d/*) echo "$f" ;;   # a hook kdump-utils runs, not a setting
      /etc/*) echo "%config(noreplace) $f" ;;
      /usr/share/doc/preconfig/install.md) ;;   # %doc in the spec
      *) echo "$f" ;;
    esac
  done
} > "$stage/files"

top="$stage/rpmbuild"
mkdir -p "$top/SOURCES" "$top/SPECS"
tar -C "$src" -cf "$top/SOURCES/preconfig-root.tar" --owner=0 --group=0 root LICENSE
awk -v files="$stage/files" '
  /^@FILES@$/ { while ((getline l < files) > 0) print l; next }
  { print }' "$here/preconfig.spec" | sed -e "s/@VERSION@/$version/g" -e "s/@UNITS@/$units/g" > "$top/SPECS/preconfig.spec"
rpmbuild -bb --quiet --target x86_64 --define "_topdir $top" "$top/SPECS/preconfig.spec" >&2
out="$repo/dist/preconfig-$version-1.x86_64.rpm"
cp "$top/RPMS/x86_64/preconfig-$version-1.x86_64.rpm" "$out"
echo "built $out ($(du -k "$out" | cut -f1) KiB)"
