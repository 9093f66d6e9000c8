#!/usr/bin/env bash
# Installs the Debian packages the tests use, only when missing. Usage: scripts/install-deps.sh [extra packages...]
set -euo pipefail
wanted=(pciutils python3-msgpack python3-prometheus-client cpio "$@")
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
# Another apt may hold the lock (a shared machine): wait for it rather than fail.
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
