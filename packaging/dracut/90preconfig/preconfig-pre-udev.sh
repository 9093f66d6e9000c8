#!/bin/sh
# dracut pre-udev hook (sourced by dracut's init, so no "exit" here): runs before udev loads any driver.
[ -x /usr/lib/preconfig/preconfig-boot ] && /usr/lib/preconfig/preconfig-boot
