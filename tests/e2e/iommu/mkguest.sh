#!/usr/bin/env bash
# Adds the IOMMU variety scenarios' guest part to an e2e image tree (called by tests/e2e/mkimages.sh for both images):
#   e2e/iommu/guest.sh       sourced by guest/first-init and guest/capture-init when e2e.iommu= is set
#   e2e/iommu/load           the IOMMU driver modules the kernel has as modules, dependencies first (virtio_iommu;
#                            Debian 12's 6.1 has none: CONFIG_VIRTIO_IOMMU is not set, AMD-Vi and VT-d are built in)
#   usr/lib/modules/iommu/   those .ko files
# Dependencies come from each module's own "depends=" field (modinfo's source), not from a list written here.
# Usage: mkguest.sh TREE KMOD   (KMOD: the kernel's lib/modules/<version>/kernel)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=$1; kmod=$2
mkdir -p "$tree/e2e/iommu" "$tree/usr/lib/modules/iommu"
cp "$here/guest.sh" "$tree/e2e/iommu/guest.sh"
: > "$tree/e2e/iommu/load"

add() {
  local m=$1 ko d
  grep -qx "$m" "$tree/e2e/iommu/load" && return 0
  ko=$(find "$kmod" -name "$m.ko" -o -name "${m//_/-}.ko" | head -n 1)
  [ -n "$ko" ] || return 0   # built in, or not built at all (the kernel's config says which)
  for d in $(tr '\0' '\n' < "$ko" | sed -n 's/^depends=//p' | tr ',' ' '); do add "${d//-/_}"; done
  cp "$ko" "$tree/usr/lib/modules/iommu/$m.ko"
  echo "$m" >> "$tree/e2e/iommu/load"
}
add virtio_iommu
