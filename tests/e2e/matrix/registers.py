"""Names and boundaries of config-space registers, for grouping bytes into registers in the matrix check.
Only names and layout (from the PCI Local Bus, PCI-to-PCI Bridge, PCI PM and PCI Express specifications, named as
pciutils' lib/header.h and lspci name them); which bits are writable is never taken from here: the guest probes it."""


def u16(b, o):
    return b[o] | b[o + 1] << 8


def u32(b, o):
    return u16(b, o) | u16(b, o + 2) << 16


TYPE0 = [(0x00, 2, "VendorID"), (0x02, 2, "DeviceID"), (0x04, 2, "Command"), (0x06, 2, "Status"),
         (0x08, 1, "RevisionID"), (0x09, 3, "ClassCode"), (0x0c, 1, "CacheLineSize"), (0x0d, 1, "LatencyTimer"),
         (0x0e, 1, "HeaderType"), (0x0f, 1, "BIST")] + [(0x10 + 4 * i, 4, f"BAR{i}") for i in range(6)] + [
         (0x28, 4, "CardbusCIS"), (0x2c, 2, "SubsystemVendorID"), (0x2e, 2, "SubsystemID"), (0x30, 4, "ROMAddress"),
         (0x34, 1, "CapabilityList"), (0x35, 3, "Reserved35"), (0x38, 4, "Reserved38"), (0x3c, 1, "InterruptLine"),
         (0x3d, 1, "InterruptPin"), (0x3e, 1, "MinGnt"), (0x3f, 1, "MaxLat")]
TYPE1 = TYPE0[:10] + [(0x10, 4, "BAR0"), (0x14, 4, "BAR1"), (0x18, 1, "PrimaryBus"), (0x19, 1, "SecondaryBus"),
                      (0x1a, 1, "SubordinateBus"), (0x1b, 1, "SecLatencyTimer"), (0x1c, 1, "IoBase"), (0x1d, 1, "IoLimit"),
                      (0x1e, 2, "SecStatus"), (0x20, 2, "MemoryBase"), (0x22, 2, "MemoryLimit"),
                      (0x24, 2, "PrefMemoryBase"), (0x26, 2, "PrefMemoryLimit"), (0x28, 4, "PrefBaseUpper32"),
                      (0x2c, 4, "PrefLimitUpper32"), (0x30, 2, "IoBaseUpper16"), (0x32, 2, "IoLimitUpper16"),
                      (0x34, 1, "CapabilityList"), (0x35, 3, "Reserved35"), (0x38, 4, "ROMAddress"),
                      (0x3c, 1, "InterruptLine"), (0x3d, 1, "InterruptPin"), (0x3e, 2, "BridgeControl")]

CAP_NAMES = {0x01: "PM", 0x03: "VPD", 0x05: "MSI", 0x09: "VendorSpecific", 0x0c: "SHPC", 0x0d: "SSVID",
             0x10: "PCIe", 0x11: "MSIX", 0x12: "SATA", 0x13: "AF"}
ECAP_NAMES = {0x01: "AER", 0x02: "VC", 0x03: "DSN", 0x0b: "VendorSpecificExt", 0x0d: "ACS", 0x0e: "ARI",
              0x0f: "ATS", 0x10: "SRIOV", 0x15: "ResizableBAR", 0x18: "LTR", 0x19: "SecondaryPCIe",
              0x1d: "DPC", 0x1e: "L1SS", 0x1f: "PTM"}


def _pcie(b, p):
    flags = u16(b, p + 2)
    regs = [(0x02, 2, "Flags"), (0x04, 4, "DevCap"), (0x08, 2, "DevCtl"), (0x0a, 2, "DevSta"), (0x0c, 4, "LnkCap"),
            (0x10, 2, "LnkCtl"), (0x12, 2, "LnkSta")]
    v2, kind = flags & 0xf >= 2, (flags >> 4) & 0xf
    # Version 1 structures have the Slot registers only with a slot, the Root registers only on root ports/RCECs.
    if v2 or flags & 0x100 or kind in (4, 10):
        regs += [(0x14, 4, "SltCap"), (0x18, 2, "SltCtl"), (0x1a, 2, "SltSta")]
    if v2 or kind in (4, 10):
        regs += [(0x1c, 2, "RootCtl"), (0x1e, 2, "RootCap"), (0x20, 4, "RootSta")]
    if v2:
        regs += [(0x24, 4, "DevCap2"), (0x28, 2, "DevCtl2"), (0x2a, 2, "DevSta2"), (0x2c, 4, "LnkCap2"),
                 (0x30, 2, "LnkCtl2"), (0x32, 2, "LnkSta2"), (0x34, 4, "SltCap2"), (0x38, 2, "SltCtl2"),
                 (0x3a, 2, "SltSta2")]
    return regs


def _msi(b, p):
    fl = u16(b, p + 2)
    regs = [(0x02, 2, "Flags"), (0x04, 4, "AddressLo")]
    o = 0x08
    if fl & 0x80:
        regs.append((0x08, 4, "AddressHi"))
        o = 0x0c
    regs += [(o, 2, "Data"), (o + 2, 2, "ExtData")]
    if fl & 0x100:
        regs += [(o + 4, 4, "Mask"), (o + 8, 4, "Pending")]
    return regs


CAP_LAYOUT = {
    0x01: lambda b, p: [(0x02, 2, "Cap"), (0x04, 2, "Ctrl"), (0x06, 1, "BSE"), (0x07, 1, "Data")],
    0x05: _msi,
    0x11: lambda b, p: [(0x02, 2, "Flags"), (0x04, 4, "Table"), (0x08, 4, "PBA")],
    0x10: _pcie,
    0x0d: lambda b, p: [(0x04, 2, "SubsystemVendor"), (0x06, 2, "Subsystem")],
    0x0c: lambda b, p: [(0x02, 1, "DwordSelect"), (0x03, 1, "Pending"), (0x04, 4, "Data")],
    0x12: lambda b, p: [(0x02, 2, "Revision"), (0x04, 4, "Bar")],
    0x13: lambda b, p: [(0x02, 1, "Length"), (0x03, 1, "Cap"), (0x04, 1, "Ctrl"), (0x05, 1, "Status")],
}
ECAP_LAYOUT = {
    0x01: lambda root: [(0x04, 4, "UncorStatus"), (0x08, 4, "UncorMask"), (0x0c, 4, "UncorSeverity"),
                        (0x10, 4, "CorStatus"), (0x14, 4, "CorMask"), (0x18, 4, "Cap"), (0x1c, 16, "HeaderLog")] +
                       ([(0x2c, 4, "RootCommand"), (0x30, 4, "RootStatus"), (0x34, 4, "ErrorSourceId")] if root else []),
    0x03: lambda root: [(0x04, 8, "Serial")],
    0x0d: lambda root: [(0x04, 2, "Cap"), (0x06, 2, "Ctrl")],
    0x0e: lambda root: [(0x04, 2, "Cap"), (0x06, 2, "Ctrl")],
    0x0f: lambda root: [(0x04, 2, "Cap"), (0x06, 2, "Ctrl")],
    0x18: lambda root: [(0x04, 2, "MaxSnoopLatency"), (0x06, 2, "MaxNoSnoopLatency")],
    0x19: lambda root: [(0x04, 4, "LnkCtl3"), (0x08, 4, "LaneErrorStatus")],
    0x1d: lambda root: [(0x04, 2, "Cap"), (0x06, 2, "Ctrl"), (0x08, 2, "Status"), (0x0a, 2, "ErrorSourceId")],
    0x1e: lambda root: [(0x04, 4, "Cap"), (0x08, 4, "Ctl1"), (0x0c, 4, "Ctl2")],
    0x1f: lambda root: [(0x04, 4, "Cap"), (0x08, 4, "Ctrl")],
}


def capabilities(b):
    """[(offset, id, extended)] of the standard and extended lists, bounded against loops."""
    out = []
    if len(b) >= 0x40 and u16(b, 0x06) & 0x10:
        p, n = b[0x34] & 0xfc, 0
        while 0x40 <= p < 0x100 and n < 48:
            out.append((p, b[p], False))
            p, n = b[p + 1] & 0xfc, n + 1
    if len(b) > 0x100 and any(c[1] == 0x10 for c in out):
        p, n = 0x100, 0
        while 0x100 <= p <= len(b) - 4 and n < 96:
            h = u32(b, p)
            if h in (0, 0xffffffff):
                break
            out.append((p, h & 0xffff, True))
            nxt = (h >> 20) & 0xffc
            if nxt <= p:
                break
            p, n = nxt, n + 1
    return out


def pcie_type(b):
    for p, cid, ext in capabilities(b):
        if cid == 0x10 and not ext:
            return (u16(b, p + 2) >> 4) & 0xf
    return None


def registers(b):
    """Every register of function config b as (offset, width, name); bytes no structure names are grouped per
    dword as config[0xNN]. Capability headers are named <CAP>.Header."""
    regs = list(TYPE1 if b[0x0e] & 0x7f == 1 else TYPE0)
    root = pcie_type(b) in (4, 10)
    for p, cid, ext in capabilities(b):
        if ext:
            name = ECAP_NAMES.get(cid, f"ECAP_{cid:04x}")
            regs.append((p, 4, f"{name}.Header"))
            layout = ECAP_LAYOUT.get(cid)
            body = layout(root) if layout else []
        else:
            name = CAP_NAMES.get(cid, f"CAP_{cid:02x}")
            regs.append((p, 2, f"{name}.Header"))
            layout = CAP_LAYOUT.get(cid)
            body = layout(b, p) if layout else []
        regs += [(p + o, w, f"{name}.{n}") for o, w, n in body if p + o + w <= len(b)]
    taken = bytearray(len(b))
    out = []
    for o, w, n in sorted(regs):
        if o + w > len(b) or any(taken[o:o + w]):
            continue
        for i in range(o, o + w):
            taken[i] = 1
        out.append((o, w, n))
    for dw in range(0, len(b), 4):
        i = dw
        while i < dw + 4:
            if taken[i]:
                i += 1
                continue
            j = i
            while j < dw + 4 and not taken[j]:
                j += 1
            out.append((i, j - i, f"config[0x{i:x}]"))
            i = j
    return sorted(out)
