#!/bin/bash
# Test stand-in for kdump-utils' dracut module 99kdumpbase (rhkdump/kdump-utils, dracut/99kdumpbase), reduced to what
# its default target (dump_to_rootfs: the root file system, mounted by dracut at /sysroot) needs: /etc/kdump.conf,
# the core collector, /etc/kdump/post.d/* (kdump_install_pre_post_conf) and the dump script. The real module also
# needs systemd in the image (kdump-capture.service) and kdump-lib.sh, which Debian does not package; the name is
# the real one, so 90preconfig's `dracut_module_included "kdumpbase"` sees what it sees under mkdumprd.
check() {
    # kdump-utils: "kdumpctl sets this explicitly" (IN_KDUMP), and /etc/kdump.conf must exist.
    [[ -n $IN_KDUMP ]] && [[ -f /etc/kdump.conf ]] || return 1
    return 0
}

depends() {
    echo base shutdown
}

install() {
    inst /etc/kdump.conf
    inst_multiple makedumpfile mkdir mv sync date tr
    inst "$moddir/kdump.sh" /usr/bin/kdump.sh
    inst_hook pre-pivot 90 "$moddir/kdump-pre-pivot.sh"
    local f
    for f in /etc/kdump/post.d/*; do
        [[ -x $f ]] && inst "$f"
    done
}
