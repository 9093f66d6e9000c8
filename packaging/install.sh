#!/bin/sh
# Installs preconfig on a Debian (initramfs-tools, kdump-tools) or dracut host. Run ./build.sh first.
# Usage: packaging/install.sh [--destdir DIR] [--initramfs initramfs-tools|dracut|auto] [--activate] [--package]
#   --destdir DIR  install under DIR (packaging, tests); nothing is activated and no key is made then
#   --activate     also: systemctl daemon-reload/enable, rebuild the initramfs images, reload kdump
#   --package      the Debian package's layout (packaging/deb/build-deb.sh): vendor drop-ins under /lib/systemd
# Without --destdir it creates the handoff signing key /etc/preconfig/handoff.key (root-only) unless one exists.
# See docs/install.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
destdir=""; flavour=auto; activate=no; package=no
while [ $# -gt 0 ]; do
  case "$1" in
    --destdir) destdir=$2; shift 2 ;;
    --initramfs) flavour=$2; shift 2 ;;
    --activate) activate=yes; shift ;;
    --package) package=yes; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
# The binaries: dist/ (this machine's build), or PRECONFIG_DIST (build-deb.sh --arch arm64: dist/linux-arm64).
dist=${PRECONFIG_DIST:-$repo/dist}
[ -x "$dist/preconfig" ] || { echo "install.sh: $dist/preconfig missing: run ./build.sh first" >&2; exit 2; }
if [ "$flavour" = auto ]; then
  if [ -d /usr/share/initramfs-tools ]; then flavour=initramfs-tools
  elif [ -d /usr/lib/dracut/modules.d ]; then flavour=dracut
  else echo "install.sh: neither initramfs-tools nor dracut found; use --initramfs" >&2; exit 2; fi
fi
D=$destdir
inst() { install -D -m "$1" "$2" "$D$3"; echo "  $3"; }

echo "install.sh: installing to ${D:-/} ($flavour)"
inst 0755 "$dist/preconfig" /usr/bin/preconfig
[ -x "$dist/initramfs/preconfig" ] && inst 0755 "$dist/initramfs/preconfig" /usr/lib/preconfig/preconfig-initramfs
inst 0755 "$here/lib/preconfig-boot" /usr/lib/preconfig/preconfig-boot
inst 0755 "$here/kdump-tools/preconfig-kdump-initrd" /usr/lib/preconfig/preconfig-kdump-initrd
inst 0755 "$here/kdump-tools/preconfig-kdump-refresh" /usr/lib/preconfig/preconfig-kdump-refresh
inst 0755 "$here/lib/preconfig-kdump-record" /usr/lib/preconfig/preconfig-kdump-record
inst 0755 "$here/lib/preconfig-key" /usr/lib/preconfig/preconfig-key
inst 0644 "$here/systemd/preconfig.service" /lib/systemd/system/preconfig.service
inst 0644 "$here/systemd/preconfig-kdump-reload.path" /lib/systemd/system/preconfig-kdump-reload.path
inst 0644 "$here/systemd/preconfig-kdump-reload.service" /lib/systemd/system/preconfig-kdump-reload.service
inst 0644 "$here/systemd/preconfig-kdump-record.service" /lib/systemd/system/preconfig-kdump-record.service
inst 0644 "$repo/docs/install.md" /usr/share/doc/preconfig/install.md
if [ -e "$D/etc/preconfig/preconfig.json" ]; then
  echo "  /etc/preconfig/preconfig.json kept (the shipped example is /usr/share/preconfig/preconfig.json)"
else
  inst 0644 "$here/etc/preconfig.json" /etc/preconfig/preconfig.json
fi
inst 0644 "$here/etc/preconfig.json" /usr/share/preconfig/preconfig.json
case "$flavour" in
  initramfs-tools)
    inst 0755 "$here/initramfs-tools/hooks/preconfig" /usr/share/initramfs-tools/hooks/preconfig
    inst 0755 "$here/initramfs-tools/scripts/init-top/preconfig" /usr/share/initramfs-tools/scripts/init-top/preconfig
    inst 0644 "$here/initramfs-tools/conf-hooks.d/preconfig" /usr/share/initramfs-tools/conf-hooks.d/preconfig
    if [ -n "$D" ] || [ -e /usr/sbin/kdump-config ]; then
      # A package ships its drop-in under /lib (the administrator's /etc wins over it); a manual install uses /etc.
      dropins=/etc/systemd/system; [ "$package" = yes ] && dropins=/lib/systemd/system
      inst 0644 "$here/systemd/kdump-tools.service.d/preconfig.conf" "$dropins/kdump-tools.service.d/preconfig.conf"
    fi ;;
  dracut)
    inst 0755 "$here/dracut/90preconfig/module-setup.sh" /usr/lib/dracut/modules.d/90preconfig/module-setup.sh
    inst 0755 "$here/dracut/90preconfig/preconfig-pre-udev.sh" /usr/lib/dracut/modules.d/90preconfig/preconfig-pre-udev.sh
    # kdump-utils (mkdumprd, kdumpctl) runs /etc/kdump/post.d/* after the dump: the report goes beside the vmcore.
    inst 0755 "$here/dracut/kdump-post.d/preconfig" /etc/kdump/post.d/preconfig ;;
  *) echo "install.sh: unknown initramfs flavour $flavour" >&2; exit 2 ;;
esac

# Signed by default: the daemon signs with this key, the kdump initramfs carries it (the hooks add it there only).
[ -z "$D" ] && sh "$here/lib/preconfig-key" ensure /etc/preconfig/handoff.key

if [ "$activate" = yes ] && [ -z "$D" ]; then
  systemctl daemon-reload
  systemctl enable preconfig.service preconfig-kdump-reload.path
  [ "$flavour" = initramfs-tools ] && systemctl enable preconfig-kdump-record.service
  case "$flavour" in
    initramfs-tools)
      update-initramfs -u -k all
      # kdump-tools' own kdump initramfs (/var/lib/kdump/initrd.img-*) picks up the hook when regenerated.
      [ -x /etc/kernel/postinst.d/kdump-tools ] && /etc/kernel/postinst.d/kdump-tools "$(uname -r)"
      # This boot's handoff into the capture kernel kdump-tools loads (rebuild and reload, in the background).
      systemctl restart preconfig.service && systemctl --no-block start preconfig-kdump-reload.service ;;
    dracut)
      dracut -f
      command -v kdumpctl >/dev/null && kdumpctl rebuild ;;
  esac
  echo "install.sh: activated; kdump-tools' own kdump initramfs carries the handoff (see /var/lib/preconfig/kdump-refresh.status)"
else
  echo "install.sh: installed; see docs/install.md for the activation steps"
fi
