# The device matrix in the CAPTURE kernel, sourced by guest/capture-init: what the crash left (config space and
# leftover DMA) before the boot hook, the same after it, then every driver loaded and every device used.
. /e2e/matrix/lib.sh
matrix_before_hook() {
  cfgprobe dump before
  mx_interrupts before
  mx_vmcore before
}
matrix_after_hook() {
  cfgprobe dump after
  mx_vmcore after
  mx_load_drivers capture
  mx_works capture
  dump_drivers capture
  mx_interrupts capture
}
