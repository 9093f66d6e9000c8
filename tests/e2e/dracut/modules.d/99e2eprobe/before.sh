#!/bin/sh
# dracut cmdline hook 99 (sourced; runs before every pre-udev hook): config space as the crash left it.
(
    . /e2e/lib.sh
    PATH=/e2e/bin:$PATH
    mark STAGE capture mode=dracut uptime_ms=$(now_ms) vmcore=$([ -e /proc/vmcore ] && echo yes || echo no) \
        handoff=$([ -e /etc/preconfig/handoff.pcfg ] && echo yes || echo no)
    dump_cfg before
)
