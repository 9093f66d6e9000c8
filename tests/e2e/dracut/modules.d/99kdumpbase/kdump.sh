#!/bin/sh
# What kdump-utils' dracut/99kdumpbase/kdump.sh does for its default target (dump_fs "$NEWROOT"): the vmcore into
# <root>/<path>/<HOST_IP>-<DATEDIR>/ (vmcore-incomplete, renamed when the core collector succeeded), then every
# /etc/kdump/post.d/* with the collector's exit status (do_kdump_post).
KDUMP_PATH=/var/crash
CORE_COLLECTOR="makedumpfile -l --message-level 7 -d 31"
while read -r key value; do
    case "$key" in
        path) KDUMP_PATH=$value ;;
        core_collector) CORE_COLLECTOR=$value ;;
    esac
done < /etc/kdump.conf
DATEDIR=$(date +%Y-%m-%d-%T)
HOST_IP=127.0.0.1
dir=$(echo "/sysroot/$KDUMP_PATH/$HOST_IP-$DATEDIR/" | tr -s /)
echo "kdump: saving to $dir" > /dev/console
mkdir -p "$dir"
# shellcheck disable=SC2086
$CORE_COLLECTOR /proc/vmcore "$dir/vmcore-incomplete" > /dev/console 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
    sync
    mv "$dir/vmcore-incomplete" "$dir/vmcore"
fi
echo "kdump: saving vmcore complete (exit $rc)" > /dev/console
for file in /etc/kdump/post.d/*; do
    [ -x "$file" ] || continue
    "$file" "$rc" || echo "kdump: $file exited with $? status" > /dev/console
done
sync
