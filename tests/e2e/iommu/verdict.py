"""The IOMMU variety scenarios' assertions (dma-{none,preinit}-{amd,scalable,virtio}-iommu), called by check.py's
dma- branch; the vmcore comparison and preinit's report are check.py's own. What each IOMMU's driver prints in a
kdump kernel comes from the kernel sources (drivers/iommu/...), cited per kind; the log is the oracle, not preconfig."""
import re

KINDS = {
    # drivers/iommu/amd/init.c: early_enable_iommus() copies the old device table when translation was left on
    # (copy_device_table(), "Copied DEV table from previous kernel."), or resets every IOMMU when it cannot;
    # amd/iommu.c: amd_iommu_report_page_fault() / iommu_print_event() log "Event logged [IO_PAGE_FAULT ...]".
    "amd-iommu": {
        "label": "AMD-Vi",
        # QEMU 7.2 cannot run it: the e1000e behind its AMD-Vi never completes a DMA (first kernel: no frame received,
        # "NETDEV WATCHDOG: ... transmit queue 0 timed out" every 5 s), with intremap on and off alike. The pair asserts
        # that evidence and what the capture kernel does with the old device table; it fails the day QEMU runs it.
        "qemu_limit": r"e1000e 0000:01:00\.0 \S+: NETDEV WATCHDOG: .*transmit queue 0 timed out",
        "takeover": [r"Translation is already enabled", r"Copied DEV table from previous kernel",
                     r"Failed to copy DEV table from previous kernel"],
        "fault": r"AMD-Vi: Event logged \[(IO_PAGE_FAULT|INVALID_DEVICE_REQUEST|DEV_TAB_HARDWARE_ERROR)"},
    # drivers/iommu/intel/iommu.c: init_dmars() -> copy_translation_tables() ("Translation was enabled for %s but we
    # are not in kdump mode" / "Copied translation tables from previous kernel for %s"); scalable mode's copy is the
    # 2022 fix (copy_context_table() with ext/PASID tables); intel/dmar.c: dmar_fault_dump_ptes / dmar_fault_do_one.
    "scalable": {
        "label": "VT-d scalable mode",
        "takeover": [r"Copied translation tables from previous kernel", r"Failed to copy translation tables",
                     r"Translation was enabled", r"Translation already enabled"],
        "fault": r"DMAR: \[(DMA (Read|Write)|INTR-REMAP)"},
    # drivers/iommu/virtio-iommu.c: viommu_probe() resets and sets up the device anew (no kdump path at all);
    # viommu_fault_handler() logs "%s fault from EP %u at %#llx" for each fault event. Debian 12's kernel 6.1 is
    # built without it (CONFIG_VIRTIO_IOMMU, CONFIG_ACPI_VIOT not set in its config-6.1.0-*-amd64): no guest driver,
    # so the test asserts the device is there (QEMU's virtio-iommu-pci, 1af4:1057 at 00:06.0) and nothing translates.
    "virtio-iommu": {
        "label": "virtio-iommu",
        "guest_driver": False,
        "device": ("0000:00:06.0", 0x1AF4, 0x1057),
        "takeover": [r"virtio_iommu \S+: input address", r"virtio_iommu \S+: .*domain", r"VIOT"],
        "fault": r"virtio_iommu .*fault"},
}


def kind(scenario):
    for k in KINDS:
        if k in scenario:
            return k
    return None


def capture_log(text):
    """Kernel lines of the capture kernel: the serial log from the crash on, and its dmesg (E2E:KLOG) at the end."""
    i = text.find("E2E:CRASH")
    part = text[i:] if i >= 0 else ""
    klog = [l.split("E2E:KLOG ", 1)[1] for l in part.split("\n") if "E2E:KLOG " in l]
    # The dmesg is printed twice with preconfig (after the vmcore comparison, after the driver): the last print.
    last = [l.split(" ", 1)[1] for l in klog if l.startswith("driver ")] or [l.split(" ", 1)[-1] for l in klog]
    return part, last


def words(rec):
    return dict(w.split("=", 1) for w in rec.split(" ") if "=" in w)


def check(scenario, text, recs, cfg, figures, need):
    k = kind(scenario)
    spec = KINDS[k]
    figures["iommu"] = spec["label"]
    first = words(next((r for r in recs if r.startswith("IOMMU first")), ""))
    if spec.get("guest_driver", True):
        need(first.get("nic_group"), f"{spec['label']}: the DMA NIC is in no IOMMU group in the first kernel "
             "(the IOMMU is not translating)")
    else:
        addr, vendor, dev = spec["device"]
        b = cfg.get("fw", {}).get(addr)
        need(b is not None and (b[0] | b[1] << 8, b[2] | b[3] << 8) == (vendor, dev),
             f"{spec['label']}: no {vendor:04x}:{dev:04x} at {addr} in the guest")
        need(first.get("iommus") == "0" and not first.get("nic_group"),
             f"{spec['label']}: an IOMMU driver bound in a kernel said to have none ({first})")
        figures["iommu"] = f"{spec['label']} (device present, no driver in this kernel: DMA untranslated)"
    part, klog = capture_log(text)
    lines = klog or part.split("\n")
    took = [l.strip() for l in lines if any(re.search(p, l) for p in spec["takeover"])]
    figures["iommu_msgs"] = "|".join(dict.fromkeys(re.sub(r"^\[[ 0-9.]+\] ", "", l)[:70] for l in took[:3])) or "none"
    faults = [l for l in lines if re.search(spec["fault"], l)]
    figures["faults"] = len(faults)
    cap = [r for r in recs if r.startswith("IOMMU capture")]
    figures["capture_iommu"] = cap[0].split(" ", 2)[2] if cap else None
    net = [r for r in recs if r.startswith("NET capture")]
    m = re.search(r"rx_packets=(\d+)", net[0]) if net else None
    figures["capture_rx_frames"] = int(m.group(1)) if m else 0
    if "preinit" in scenario:
        need(figures["capture_rx_frames"] > 0, f"{spec['label']}: the NIC's driver received nothing after preinit")
    return faults


def check_limit(scenario, text, recs, figures, need):
    """A kind QEMU 7.2 cannot run (KINDS[kind]["qemu_limit"]): the evidence, and the capture kernel's takeover."""
    spec = KINDS[kind(scenario)]
    figures["iommu"] = spec["label"]
    first = words(next((r for r in recs if r.startswith("IOMMU first")), ""))
    need(first.get("nic_group"), f"{spec['label']}: the DMA NIC is in no IOMMU group in the first kernel")
    net = next((r for r in recs if r.startswith("NET first")), "")
    rx = int(words(net).get("rx_packets", "0") or 0)
    stalls = [l for l in text[:max(text.find("E2E:CRASH"), 0)].split("\n") if re.search(spec["qemu_limit"], l)]
    figures["first_rx_frames"] = rx
    figures["tx_timeouts"] = len(stalls)
    need(rx == 0 and stalls, f"{spec['label']}: QEMU now runs the NIC behind it (rx={rx}): make this pair a real "
         "leftover-DMA check like the others")
    part, klog = capture_log(text)
    lines = klog or part.split("\n")
    took = [l.strip() for l in lines if any(re.search(p, l) for p in spec["takeover"])]
    figures["iommu_msgs"] = "|".join(dict.fromkeys(re.sub(r"^\[[ 0-9.]+\] ", "", l)[:70] for l in took[:3])) or "none"
    need(took, f"{spec['label']}: the capture kernel printed nothing about the crashed kernel's tables")
    figures["faults"] = len([l for l in lines if re.search(spec["fault"], l)])
    need("E2E:DONE" in text, "capture kernel did not finish")
