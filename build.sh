#!/usr/bin/env bash
# Publishes the Native AOT preconfig binaries (libc only):
#   dist/preconfig            every verb (the command operators and the daemon use)
#   dist/initramfs/preconfig  the initramfs edition: capture, preinit and verify only, for the production and kdump
#                             initramfs (no Spectre.Console, Hosting or Serilog linked in: smaller and faster to start)
# ./build.sh --deb also builds the Debian package dist/preconfig_<version>_amd64.deb (packaging/deb/build-deb.sh).
# ./build.sh --rpm also builds the rpm dist/preconfig-<version>-1.x86_64.rpm (packaging/rpm/build-rpm.sh).
# ./build.sh --arch arm64 cross-compiles both to dist/linux-arm64/ (and --deb: preconfig_<version>_arm64.deb) on an
# x86-64 host: Debian's aarch64 cross binutils and libc with clang as compiler and linker (installed when missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deb=no; rpm=no; arch=x64
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=yes ;;
    --rpm) rpm=yes ;;
    --arch) arch=${2:-}; shift ;;
    --arch=*) arch=${1#--arch=} ;;
    *) echo "build.sh: unknown argument $1 (only --deb, --rpm, --arch x64|arm64)" >&2; exit 2 ;;
  esac
  shift
done
case "$arch" in
  x64|amd64|x86_64) rid=linux-x64; dist="$here/dist"; cross=() ;;
  arm64|aarch64)
    rid=linux-arm64; dist="$here/dist/linux-arm64"
    "$here/scripts/install-deps.sh" gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross >&2
    # The ILCompiler's targets call clang with --target=aarch64-linux-gnu when cross-compiling; Debian's clang finds
    # the cross libc and crt files under /usr/aarch64-linux-gnu. The strip step needs the aarch64 objcopy.
    cc=$(command -v clang || command -v clang-14 || true)
    [ -n "$cc" ] || { "$here/scripts/install-deps.sh" clang >&2; cc=clang; }
    cross=(-p:CppCompilerAndLinker="$(basename "$cc")" -p:ObjCopyName=aarch64-linux-gnu-objcopy) ;;
  *) echo "build.sh: unknown architecture $arch (x64 or arm64)" >&2; exit 2 ;;
esac
# Warnings are shown: a trim or AOT warning (IL2xxx/IL3xxx) means code that may break in the binary, and there is none.
# Two projects, one executable name: src/FullEdition references every library, src/InitramfsEdition only the verbs
# both editions share (src/Cli) and through them ConfigSpace, Handoff, Capture and Preinit.
publish() {
  dotnet publish "$here/src/$1/Preconfig.$1.csproj" -c Release -r "$rid" --nologo -v q -clp:NoSummary ${cross[@]+"${cross[@]}"} -o "$2"
}
publish FullEdition "$dist"
publish InitramfsEdition "$dist/initramfs"
rm -f "$dist/"*.dbg "$dist/"*.pdb "$dist/initramfs/"*.dbg "$dist/initramfs/"*.pdb
echo "built $dist/preconfig ($(du -k "$dist/preconfig" | cut -f1) KiB)"
echo "built $dist/initramfs/preconfig ($(du -k "$dist/initramfs/preconfig" | cut -f1) KiB)"
[ "$deb" = yes ] && "$here/packaging/deb/build-deb.sh" --arch "$arch"
if [ "$rpm" = yes ]; then
  [ "$arch" = x64 ] || { echo "build.sh: --rpm builds the x86-64 package only" >&2; exit 2; }
  "$here/packaging/rpm/build-rpm.sh"
fi
exit 0
