# The dracut scenario's machine (sourced by tests/e2e/kdump.sh): the default one with the dump disk (virtio-blk,
# the capture kernel's root file system) and the first kernel's image carrying dracut's kdump initramfs.
"$here/dracut/mkdracut.sh" "$cache" "$work" >&2 || { echo "e2e: FAIL dracut: building the dracut kdump initramfs (tests/e2e/dracut/mkdracut.sh)"; return 1; }
initrd="$work/first-dracut.gz"
devs+=(-drive if=none,id=dd0,file="$work/dracut-disk.img",format=raw -device virtio-blk-pci,drive=dd0,addr=06.0)
limit=600
