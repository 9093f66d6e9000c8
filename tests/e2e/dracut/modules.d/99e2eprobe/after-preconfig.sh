#!/bin/sh
# dracut pre-udev hook 01 (sourced; 90preconfig's is 00): preinit has run; udevd must not be running yet and no
# module loaded (dracut's init starts udevd after the pre-udev hooks; only udev loads driver modules).
(
    . /e2e/lib.sh
    PATH=/e2e/bin:$PATH
    udevd=$(pidof systemd-udevd udevd)
    mark PREUDEV uptime_ms=$(now_ms) udevd=${udevd:-none} modules=$(wc -l < /proc/modules) \
        report=$([ -s /run/preconfig/preinit.json ] && echo yes || echo no)
    [ -s /run/preconfig/preinit.json ] && mark REPORT "$(tr -d '\n' < /run/preconfig/preinit.json)"
    dump_cfg after
    dump_drivers after
)
