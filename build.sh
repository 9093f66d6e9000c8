#!/usr/bin/env bash
# Publishes the Native AOT preconfig binaries (libc only):
#   dist/preconfig            every verb (the command operators and the daemon use)
#   dist/initramfs/preconfig  the initramfs edition: capture, preinit and verify only, for the production and kdump
#                             initramfs (no Spectre.Console, Hosting or Serilog linked in: smaller and faster to start)
# ./build.sh --deb also builds the Debian package dist/preconfig_<version>_amd64.deb (packaging/deb/build-deb.sh).
# ./build.sh --rpm also builds the rpm dist/preconfig-<version>-1.x86_64.rpm (packaging/rpm/build-rpm.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deb=no; rpm=no
for a in "$@"; do
  case "$a" in
    --deb) deb=yes ;;
    --rpm) rpm=yes ;;
    *) echo "build.sh: unknown argument $a (only --deb, --rpm)" >&2; exit 2 ;;
  esac
done
# Warnings are shown: a trim or AOT warning (IL2xxx/IL3xxx) means code that may break in the binary, and there is none.
# Two projects, one executable name: src/FullEdition references every library, src/InitramfsEdition only the verbs
# both editions share (src/Cli) and through them ConfigSpace, Handoff, Capture and Preinit.
publish() {
  dotnet publish "$here/src/$1/Preconfig.$1.csproj" -c Release -r linux-x64 --nologo -v q -clp:NoSummary -o "$2"
}
publish FullEdition "$here/dist"
publish InitramfsEdition "$here/dist/initramfs"
rm -f "$here/dist/"*.dbg "$here/dist/"*.pdb "$here/dist/initramfs/"*.dbg "$here/dist/initramfs/"*.pdb
echo "built $here/dist/preconfig ($(du -k "$here/dist/preconfig" | cut -f1) KiB)"
echo "built $here/dist/initramfs/preconfig ($(du -k "$here/dist/initramfs/preconfig" | cut -f1) KiB)"
[ "$deb" = yes ] && "$here/packaging/deb/build-deb.sh"
[ "$rpm" = yes ] && "$here/packaging/rpm/build-rpm.sh"
exit 0
