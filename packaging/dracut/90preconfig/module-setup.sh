#!/bin/bash
# dracut module: preconfig before udev, in the host initramfs (early snapshot) and in the kdump initramfs built by
# mkdumprd (preinit --boot). /usr/lib/preconfig/preconfig-boot decides at boot time which one runs.

check() {
    require_binaries /usr/bin/preconfig || return 1
    return 0
}

depends() {
    return 0
}

install() {
    # The initramfs edition (capture, preinit, verify only) when installed, else the full binary.
    if [ -x /usr/lib/preconfig/preconfig-initramfs ]; then
        inst_binary /usr/lib/preconfig/preconfig-initramfs /usr/bin/preconfig
    else
        inst_binary /usr/bin/preconfig
    fi
    inst_script /usr/lib/preconfig/preconfig-boot
    [ -f /etc/preconfig/policy.json ] && inst_simple /etc/preconfig/policy.json
    [ -f /etc/preconfig/initramfs.conf ] && inst_simple /etc/preconfig/initramfs.conf
    inst_hook pre-udev 00 "$moddir/preconfig-pre-udev.sh"
}
