#!/bin/bash
# The e2e test's probes in the dracut kdump initramfs (tests/e2e/dracut; added with --add e2eprobe, never by itself):
# config space before any hook (cmdline hook), what was running and loaded right after 90preconfig's pre-udev hook
# (pre-udev hook 01, after 00-preconfig), and the end of the dump (/etc/kdump/post.d/zz-e2e, after preconfig's).
check() {
    return 255
}

install() {
    # busybox's applets for the probes only, in a folder of their own (put first on PATH by the probes).
    inst /usr/bin/busybox /e2e/bin/busybox
    local a
    for a in awk wc basename cut hexdump pidof dmesg tr grep sed readlink cat ls; do
        ln_r /e2e/bin/busybox "/e2e/bin/$a"
    done
    inst /e2e/lib.sh
    inst_hook cmdline 99 "$moddir/before.sh"
    inst_hook pre-udev 01 "$moddir/after-preconfig.sh"
}
