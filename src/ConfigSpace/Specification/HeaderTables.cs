using Preconfig.ConfigSpace.Simulation;
using static Preconfig.ConfigSpace.Specification.BitAttribute;
using static Preconfig.ConfigSpace.Specification.Cite;

namespace Preconfig.ConfigSpace.Specification;

/// <summary>
/// Header types 0, 1 and 2 (PCI Local Bus 3.0 §6.1-§6.2, PCI-to-PCI Bridge 1.2 §3.2, PCIe 4.0 §7.5.1; CardBus from
/// the PC Card Standard). The common part (0x00-0x0f, interrupt line and pin) is shared.
/// </summary>
internal static class HeaderTables
{
    // PCI Express hardwires what does not apply to it (PCIe §7.5.1.1.3, §7.5.1.3.13): conventional-only bits are
    // optional RW on conventional PCI and read-only zero on PCI Express.
    private static FieldSpec ConventionalOnly(int low, int width, string name, string pci, string pcie, BitAttribute conventional = RW) =>
        F(low, width, name, conventional, $"{pci}; {pcie}").Except(When.Express, RO).IsOptional();

    private static readonly string CommandCite = $"{Pci("6.2.2")}; {Pcie("7.5.1.1.3")}";
    private static readonly string StatusCite = $"{Pci("6.2.3")}; {Pcie("7.5.1.1.4")}";

    private static RegisterSpec Command() => R(0x04, 2, "Command", CommandCite,
        F(0, 1, "I/O Space Enable", RW, CommandCite).IsOptional(),
        F(1, 1, "Memory Space Enable", RW, CommandCite).IsOptional(),
        F(2, 1, "Bus Master Enable", RW, CommandCite),
        ConventionalOnly(3, 1, "Special Cycle Enable", Pci("6.2.2"), Pcie("7.5.1.1.3")),
        ConventionalOnly(4, 1, "Memory Write and Invalidate Enable", Pci("6.2.2"), Pcie("7.5.1.1.3")),
        ConventionalOnly(5, 1, "VGA Palette Snoop", Pci("6.2.2"), Pcie("7.5.1.1.3")),
        F(6, 1, "Parity Error Response", RW, CommandCite),
        F(7, 1, "IDSEL Stepping/Wait Cycle Control", RO, CommandCite).Noting("hardwired to 0 since PCI 3.0"),
        F(8, 1, "SERR# Enable", RW, CommandCite),
        ConventionalOnly(9, 1, "Fast Back-to-Back Transactions Enable", Pci("6.2.2"), Pcie("7.5.1.1.3")),
        F(10, 1, "Interrupt Disable", RW, CommandCite),
        F(11, 5, "Reserved", RsvdP, CommandCite));

    private static RegisterSpec Status(int offset, string name, string cite, bool secondary) => R(offset, 2, name, cite,
        F(0, 1, secondary ? "Reserved" : "Immediate Readiness", secondary ? RsvdZ : RO, cite),
        F(1, 2, "Reserved", RsvdZ, cite),
        F(3, 1, secondary ? "Reserved" : "Interrupt Status", secondary ? RsvdZ : RO, cite),
        F(4, 1, secondary ? "Reserved" : "Capabilities List", secondary ? RsvdZ : RO, cite),
        F(5, 1, "66 MHz Capable", RO, cite),
        F(6, 1, "Reserved", RsvdZ, cite),
        F(7, 1, "Fast Back-to-Back Transactions Capable", RO, cite),
        F(8, 1, "Master Data Parity Error", RW1C, cite),
        F(9, 2, "DEVSEL Timing", RO, cite),
        F(11, 1, "Signaled Target Abort", RW1C, cite),
        F(12, 1, "Received Target Abort", RW1C, cite),
        F(13, 1, "Received Master Abort", RW1C, cite),
        F(14, 1, secondary ? "Received System Error" : "Signaled System Error", RW1C, cite),
        F(15, 1, "Detected Parity Error", RW1C, cite));

    private static readonly string BistCite = $"{Pci("6.2.4")}; {Pcie("7.5.1.1.10")}";

    private static IEnumerable<RegisterSpec> Common(int capabilityPointer)
    {
        yield return Whole(0x00, 2, "Vendor ID", RO, $"{Pci("6.2.1")}; {Pcie("7.5.1.1.1")}");
        yield return Whole(0x02, 2, "Device ID", RO, $"{Pci("6.2.1")}; {Pcie("7.5.1.1.2")}");
        yield return Command();
        yield return Status(0x06, "Status", StatusCite, secondary: false);
        yield return Whole(0x08, 4, "Revision ID and Class Code", RO, $"{Pci("6.2.1")}; {Pcie("7.5.1.1.5")}, {Pcie("7.5.1.1.6")}");
        yield return R(0x0c, 1, "Cache Line Size", $"{Pci("6.2.4")}; {Pcie("7.5.1.1.7")}",
            F(0, 8, "Cache Line Size", RW, $"{Pci("6.2.4")}; {Pcie("7.5.1.1.7")}").Noting("PCI Express: read-write for legacy software, no effect"));
        yield return R(0x0d, 1, "Latency Timer", $"{Pci("6.2.4")}; {Pcie("7.5.1.1.8")}",
            ConventionalOnly(0, 8, "Latency Timer", Pci("6.2.4"), Pcie("7.5.1.1.8")));
        yield return Whole(0x0e, 1, "Header Type", RO, $"{Pci("6.2.1")}; {Pcie("7.5.1.1.9")}");
        var bistCapable = When.OwnBit(0x0f, 0x80, "BIST Capable (bit 7) set", 1);
        yield return R(0x0f, 1, "BIST", BistCite,
            F(0, 4, "Completion Code", RO, BistCite),
            F(4, 2, "Reserved", RsvdP, BistCite),
            F(6, 1, "Start BIST", RO, BistCite).Except(bistCapable, BitAttribute.Action),
            F(7, 1, "BIST Capable", RO, BistCite));
        yield return Whole(capabilityPointer, 1, "Capabilities Pointer", RO, $"{Pci("6.7")}; {Pcie("7.5.1.1.11")}");
        yield return R(0x3c, 1, "Interrupt Line", $"{Pci("6.2.4")}; {Pcie("7.5.1.1.12")}",
            F(0, 8, "Interrupt Line", RW, $"{Pci("6.2.4")}; {Pcie("7.5.1.1.12")}"));
        yield return Whole(0x3d, 1, "Interrupt Pin", RO, $"{Pci("6.2.4")}; {Pcie("7.5.1.1.13")}");
    }

    /// <summary>
    /// A BAR: the address bits at and above its size are RW, the type bits HwInit (PCI 3.0 §6.2.5.1). The size is the
    /// device's: it comes from the function's BAR model (sysfs resource lines, or the alignment rule for dumps).
    /// </summary>
    private static RegisterSpec Bar(int offset, int index, string cite) =>
        R(offset, 4, $"Base Address {index}", cite, F(0, 32, "Base Address", RW, cite).IsResource())
            .ImplementedAs(new ImplementedBits("address bits at and above the BAR's size; space and type bits are HwInit; an unimplemented BAR reads 0",
                c => BarBits(c.Function, offset), HwInit));

    private static uint BarBits(FunctionFacts f, int offset)
    {
        foreach (var b in f.Bars)
        {
            if (b.Offset == offset) return b.LowWriteMask;
            if (b.Kind == BarKind.Memory64 && b.Offset + 4 == offset) return b.HighWriteMask;
        }
        return 0;
    }

    private static RegisterSpec Rom(int offset, string cite) =>
        R(offset, 4, "Expansion ROM Base Address", cite,
            F(0, 1, "Expansion ROM Enable", RW, cite).IsResource().Noting("a decode enable, but preinit treats the whole register as an assignment"),
            F(1, 10, "Reserved", RsvdP, cite),
            F(11, 21, "Expansion ROM Base Address", RW, cite).IsResource())
            .ImplementedAs(new ImplementedBits("enable and address bits at and above the ROM's size; an unimplemented ROM BAR reads 0",
                c => BarBits(c.Function, offset), RO));

    public static StructureSpec Type0()
    {
        var regs = new List<RegisterSpec>(Common(0x34));
        for (int i = 0; i < 6; i++) regs.Add(Bar(0x10 + 4 * i, i, $"{Pci("6.2.5.1")}; {Pcie("7.5.1.2.1")}"));
        regs.Add(Whole(0x28, 4, "CardBus CIS Pointer", HwInit, $"{Pci("6.2.4")}; {Pcie("7.5.1.2.2")}"));
        regs.Add(Whole(0x2c, 2, "Subsystem Vendor ID", HwInit, $"{Pci("6.2.4")}; {Pcie("7.5.1.2.3")}"));
        regs.Add(Whole(0x2e, 2, "Subsystem ID", HwInit, $"{Pci("6.2.4")}; {Pcie("7.5.1.2.3")}"));
        regs.Add(Rom(0x30, $"{Pci("6.2.5.2")}; {Pcie("7.5.1.2.4")}"));
        regs.Add(Whole(0x3e, 1, "Min_Gnt", RO, $"{Pci("6.2.4")}; {Pcie("7.5.1.2.5")}"));
        regs.Add(Whole(0x3f, 1, "Max_Lat", RO, $"{Pci("6.2.4")}; {Pcie("7.5.1.2.5")}"));
        return new StructureSpec(StructureKey.Header(0), "Type 0 header (endpoint)", $"{Pci("6.1")}; {Pcie("7.5.1.2")}", Sorted(regs))
        {
            Note = "bytes 0x35-0x3b are reserved (read-only here)",
        };
    }

    public static StructureSpec Type1()
    {
        var regs = new List<RegisterSpec>(Common(0x34));
        regs.Add(Bar(0x10, 0, $"{Bridge("3.2.5.1")}; {Pcie("7.5.1.3.1")}"));
        regs.Add(Bar(0x14, 1, $"{Bridge("3.2.5.1")}; {Pcie("7.5.1.3.1")}"));
        regs.Add(R(0x18, 1, "Primary Bus Number", $"{Bridge("3.2.5.2")}; {Pcie("7.5.1.3.2")}",
            F(0, 8, "Primary Bus Number", RW, $"{Bridge("3.2.5.2")}; {Pcie("7.5.1.3.2")}").IsResource()));
        regs.Add(R(0x19, 1, "Secondary Bus Number", $"{Bridge("3.2.5.3")}; {Pcie("7.5.1.3.3")}",
            F(0, 8, "Secondary Bus Number", RW, $"{Bridge("3.2.5.3")}; {Pcie("7.5.1.3.3")}").IsResource()));
        regs.Add(R(0x1a, 1, "Subordinate Bus Number", $"{Bridge("3.2.5.4")}; {Pcie("7.5.1.3.4")}",
            F(0, 8, "Subordinate Bus Number", RW, $"{Bridge("3.2.5.4")}; {Pcie("7.5.1.3.4")}").IsResource()));
        // A PCI Express port has no secondary PCI bus to time (PCIe §7.5.1.3.5); a PCIe-to-PCI bridge has one.
        string secLat = $"{Bridge("3.2.5.5")}; {Pcie("7.5.1.3.5")}";
        regs.Add(R(0x1b, 1, "Secondary Latency Timer", secLat, F(0, 8, "Secondary Latency Timer", RW, secLat).Except(When.ExpressPort, RO)));
        string io = $"{Bridge("3.2.5.6")}; {Pcie("7.5.1.3.6")}";
        regs.Add(R(0x1c, 1, "I/O Base", io, F(0, 4, "I/O Addressing Capability", RO, io), F(4, 4, "I/O Base Address[15:12]", RW, io).IsResource().IsOptional()));
        regs.Add(R(0x1d, 1, "I/O Limit", io, F(0, 4, "I/O Addressing Capability", RO, io), F(4, 4, "I/O Limit Address[15:12]", RW, io).IsResource().IsOptional()));
        string secStatus = $"{Bridge("3.2.5.7")}; {Pcie("7.5.1.3.7")}";
        regs.Add(Status(0x1e, "Secondary Status", secStatus, secondary: true));
        string mem = $"{Bridge("3.2.5.8")}; {Pcie("7.5.1.3.8")}";
        regs.Add(R(0x20, 2, "Memory Base", mem, F(0, 4, "Reserved", RO, mem), F(4, 12, "Memory Base Address[31:20]", RW, mem).IsResource()));
        regs.Add(R(0x22, 2, "Memory Limit", mem, F(0, 4, "Reserved", RO, mem), F(4, 12, "Memory Limit Address[31:20]", RW, mem).IsResource()));
        string pref = $"{Bridge("3.2.5.9")}; {Pcie("7.5.1.3.9")}";
        regs.Add(R(0x24, 2, "Prefetchable Memory Base", pref, F(0, 4, "Addressing Capability", RO, pref), F(4, 12, "Prefetchable Base Address[31:20]", RW, pref).IsResource().IsOptional()));
        regs.Add(R(0x26, 2, "Prefetchable Memory Limit", pref, F(0, 4, "Addressing Capability", RO, pref), F(4, 12, "Prefetchable Limit Address[31:20]", RW, pref).IsResource().IsOptional()));
        string prefUpper = $"{Bridge("3.2.5.10")}; {Pcie("7.5.1.3.10")}";
        var pref64 = new Condition("Prefetchable Memory Base bits 3:0 = 1 (64-bit)", c => (c.Function.U16(0x24) & 0xf) == 1);
        regs.Add(R(0x28, 4, "Prefetchable Base Upper 32 Bits", prefUpper, F(0, 32, "Prefetchable Base Address[63:32]", RO, prefUpper).Except(pref64, RW).IsResource()));
        regs.Add(R(0x2c, 4, "Prefetchable Limit Upper 32 Bits", prefUpper, F(0, 32, "Prefetchable Limit Address[63:32]", RO, prefUpper).Except(pref64, RW).IsResource()));
        string ioUpper = $"{Bridge("3.2.5.11")}; {Pcie("7.5.1.3.11")}";
        var io32 = new Condition("I/O Base bits 3:0 = 1 (32-bit I/O)", c => (c.Function.U8(0x1c) & 0xf) == 1);
        regs.Add(R(0x30, 2, "I/O Base Upper 16 Bits", ioUpper, F(0, 16, "I/O Base Address[31:16]", RO, ioUpper).Except(io32, RW).IsResource()));
        regs.Add(R(0x32, 2, "I/O Limit Upper 16 Bits", ioUpper, F(0, 16, "I/O Limit Address[31:16]", RO, ioUpper).Except(io32, RW).IsResource()));
        regs.Add(Rom(0x38, $"{Bridge("3.2.5.13")}; {Pcie("7.5.1.3.12")}"));
        regs.Add(BridgeControl());
        return new StructureSpec(StructureKey.Header(1), "Type 1 header (PCI-to-PCI bridge, Root and Switch Ports)", $"{Bridge("3.2")}; {Pcie("7.5.1.3")}", Sorted(regs))
        {
            Note = "bytes 0x35-0x37 are reserved (read-only here)",
        };
    }

    private static RegisterSpec BridgeControl()
    {
        string bc = $"{Bridge("3.2.5.18")}; {Pcie("7.5.1.3.13")}";
        // PCIe §7.5.1.3.13: Master Abort Mode, Fast Back-to-Back and the discard timers do not apply to a PCI Express
        // port and are hardwired to 0; a PCIe-to-PCI bridge has a PCI secondary bus and keeps them.
        FieldSpec PciOnly(int low, string name, BitAttribute a = RW) => F(low, 1, name, a, bc).Except(When.ExpressPort, RO);
        return R(0x3e, 2, "Bridge Control", bc,
            F(0, 1, "Parity Error Response Enable", RW, bc),
            F(1, 1, "SERR# Enable", RW, bc),
            F(2, 1, "ISA Enable", RW, bc).IsOptional(),
            F(3, 1, "VGA Enable", RW, bc).IsOptional(),
            F(4, 1, "VGA 16-bit Decode", RW, bc).IsOptional(),
            PciOnly(5, "Master Abort Mode"),
            F(6, 1, "Secondary Bus Reset", RW, bc).IsResetTrigger().Noting("setting it resets everything below the bridge"),
            PciOnly(7, "Fast Back-to-Back Transactions Enable").IsOptional(),
            PciOnly(8, "Primary Discard Timeout"),
            PciOnly(9, "Secondary Discard Timeout"),
            PciOnly(10, "Discard Timer Status", RW1C),
            PciOnly(11, "Discard Timer SERR# Enable"),
            F(12, 4, "Reserved", RsvdP, bc));
    }

    public static StructureSpec Type2()
    {
        string cb = CardBus;
        var regs = new List<RegisterSpec>(Common(0x14));
        regs.Add(R(0x10, 4, "CardBus Socket/ExCA Base Address", cb, F(0, 12, "Reserved", RO, cb), F(12, 20, "Base Address", RW, cb).IsResource()));
        regs.Add(Status(0x16, "Secondary Status", cb, secondary: true));
        regs.Add(R(0x18, 1, "PCI Bus Number", cb, F(0, 8, "PCI Bus Number", RW, cb).IsResource()));
        regs.Add(R(0x19, 1, "CardBus Bus Number", cb, F(0, 8, "CardBus Bus Number", RW, cb).IsResource()));
        regs.Add(R(0x1a, 1, "Subordinate Bus Number", cb, F(0, 8, "Subordinate Bus Number", RW, cb).IsResource()));
        regs.Add(R(0x1b, 1, "CardBus Latency Timer", cb, F(0, 8, "CardBus Latency Timer", RW, cb)));
        for (int i = 0; i < 2; i++)
        {
            regs.Add(R(0x1c + 8 * i, 4, $"Memory Base {i}", cb, F(0, 12, "Reserved", RO, cb), F(12, 20, "Memory Base", RW, cb).IsResource()));
            regs.Add(R(0x20 + 8 * i, 4, $"Memory Limit {i}", cb, F(0, 12, "Reserved", RO, cb), F(12, 20, "Memory Limit", RW, cb).IsResource()));
            regs.Add(R(0x2c + 8 * i, 4, $"I/O Base {i}", cb, F(0, 2, "I/O Addressing Capability", RO, cb), F(2, 30, "I/O Base", RW, cb).IsResource()));
            regs.Add(R(0x30 + 8 * i, 4, $"I/O Limit {i}", cb, F(0, 2, "Reserved", RO, cb), F(2, 30, "I/O Limit", RW, cb).IsResource()));
        }
        regs.Add(R(0x3e, 2, "Bridge Control", cb,
            F(0, 1, "Parity Error Response Enable", RW, cb),
            F(1, 1, "SERR# Enable", RW, cb),
            F(2, 1, "ISA Enable", RW, cb),
            F(3, 1, "VGA Enable", RW, cb),
            F(4, 1, "Reserved", RsvdP, cb),
            F(5, 1, "Master Abort Mode", RW, cb),
            F(6, 1, "CardBus Reset", RW, cb).IsResetTrigger().Noting("setting it resets the card"),
            F(7, 1, "IREQ/INT Enable", RW, cb),
            F(8, 1, "Memory 0 Prefetch Enable", RW, cb),
            F(9, 1, "Memory 1 Prefetch Enable", RW, cb),
            F(10, 1, "Write Posting Enable", RW, cb),
            F(11, 5, "Reserved", RsvdP, cb)));
        regs.Add(Whole(0x40, 2, "Subsystem Vendor ID", HwInit, cb));
        regs.Add(Whole(0x42, 2, "Subsystem ID", HwInit, cb));
        regs.Add(R(0x44, 4, "16-bit PC Card Legacy Mode Base Address", cb, F(0, 32, "Legacy Mode Base Address", RW, cb).IsResource()));
        return new StructureSpec(StructureKey.Header(2), "Type 2 header (CardBus bridge)", cb, Sorted(regs))
        {
            Note = "CardBus is not in the PCI, bridge or PCI Express specifications this table is written from; its entries follow the register layout only",
        };
    }

    private static List<RegisterSpec> Sorted(List<RegisterSpec> regs)
    {
        var sorted = new List<RegisterSpec>(regs);
        StableSort.By(sorted, (a, b) => a.Offset.CompareTo(b.Offset));
        return sorted;
    }
}
