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
    # The handoff key only into the kdump initramfs (mkdumprd adds kdumpbase), never the production one. dracut
    # writes its images readable by root only.
    if [ -f /etc/preconfig/handoff.key ] && dracut_module_included "kdumpbase"; then
        inst_simple /etc/preconfig/handoff.key
    fi
    # kdump-utils runs /etc/kdump/post.d/* after the dump (it installs them); ours calls this to save preinit's
    # report into the dump directory. With the tools it runs: kdump-utils' kdumpbase installs tail, cut, sed and stat
    # but not find or sort (tests/e2e/kdump.sh dracut: without them no dump directory is ever found), nor mktemp, which
    # the record script creates its temp file with (without it: "cannot create a file in /sysroot/var/crash/...").
    if dracut_module_included "kdumpbase"; then
        inst_script /usr/lib/preconfig/preconfig-kdump-record
        inst_multiple find sort tail cut stat sed cp mv chmod sync mktemp date head cat rm ls
    fi
    inst_hook pre-udev 00 "$moddir/preconfig-pre-udev.sh"
}
