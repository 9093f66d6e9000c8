#!/usr/bin/env bash
# Installs the Debian packages the tests use, only when missing. Usage: scripts/install-deps.sh [extra packages...]
set -euo pipefail
# clang-14 and libc6-dev-arm64-cross: tests/Preconfig.Tests/Native/LinuxAbiTests.cs checks every number the native
# boundary passes to libc against the x86-64 and the arm64 C headers. strace: DurableRenameTests reads what the
# built CLI asked the kernel for (the directory fsync after a rename).
wanted=(pciutils python3-msgpack python3-prometheus-client cpio clang-14 libc6-dev-arm64-cross strace "$@")
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Several sessions share the machine: wait for another apt-get's lock rather than fail on it.
lock=(-o DPkg::Lock::Timeout=600)
$SUDO apt-get "${lock[@]}" update -qq >/dev/null
$SUDO apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
