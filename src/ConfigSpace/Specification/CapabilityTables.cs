using Preconfig.ConfigSpace.Registers;
using static Preconfig.ConfigSpace.Specification.BitAttribute;
using static Preconfig.ConfigSpace.Specification.Cite;

namespace Preconfig.ConfigSpace.Specification;

/// <summary>
/// The capabilities in the standard list (PCI Local Bus 3.0 §6.7): Power Management, MSI, MSI-X, PCI Express, and the
/// read-only ones (Vendor-Specific, Bridge Subsystem Vendor ID).
/// </summary>
internal static class CapabilityTables
{
    private static RegisterSpec Header(string cite) => Whole(0x00, 2, "Capability ID and Next Capability Pointer", RO, cite);

    public static StructureSpec PowerManagement()
    {
        string pmc = $"{Pm("3.2.3")}; {Pcie("7.5.2.1")}", pmcsr = $"{Pm("3.2.4")}; {Pcie("7.5.2.2")}";
        var d1 = When.OwnBit(0x02, 0x0200, "PMC D1_Support (bit 9) set", 2);
        var d2 = When.OwnBit(0x02, 0x0400, "PMC D2_Support (bit 10) set", 2);
        var pme = When.OwnBit(0x02, 0xf800, "PMC PME_Support (bits 15:11) not 0", 2);
        var pmeD3Cold = When.OwnBit(0x02, 0x8000, "PMC PME_Support D3cold (bit 15) set", 2);
        // PM 1.2 §3.2.4: a write of a state the function does not support completes, the data is discarded.
        var states = new ValueRule("D0 or D3hot; D1/D2 only where PMC says the function supports them",
            (c, v) => v is 0 or 3 || (v == 1 && d1.Holds(c)) || (v == 2 && d2.Holds(c)));
        return new StructureSpec(StructureKey.Capability((int)CapabilityId.PowerManagement), "Power Management", $"{Pm("3.2")}; {Pcie("7.5.2")}",
        [
            Header(Pm("3.2.1")),
            Whole(0x02, 2, "Power Management Capabilities (PMC)", RO, pmc),
            R(0x04, 2, "Power Management Control/Status (PMCSR)", pmcsr,
                F(0, 2, "PowerState", RW, pmcsr).Allows(states, hardwareDiscardsOthers: true)
                    .Noting("D3hot to D0 with No_Soft_Reset clear resets the function (PM 1.2 §3.2.4, §5.4.1)"),
                F(2, 1, "Reserved", RsvdP, pmcsr),
                F(3, 1, "No_Soft_Reset", RO, pmcsr),
                F(4, 4, "Reserved", RsvdP, pmcsr),
                F(8, 1, "PME_En", RO, pmcsr).Except(pmeD3Cold, RWS).Except(pme, RW),
                F(9, 4, "Data_Select", RW, pmcsr).IsOptional().Noting("RO 0 where the Data register is not implemented"),
                F(13, 2, "Data_Scale", RO, pmcsr),
                F(15, 1, "PME_Status", RO, pmcsr).Except(pmeD3Cold, RW1CS).Except(pme, RW1C)),
            Whole(0x06, 1, "PMCSR_BSE Bridge Support Extensions", RO, Pm("3.2.5")),
            Whole(0x07, 1, "Data", RO, Pm("3.2.6")),
        ]);
    }

    public static StructureSpec Msi()
    {
        string mc = $"{Pci("6.8.1.3")}; {Pcie("7.7.1.2")}";
        var is64 = When.OwnBit(Registers.Msi.Flags, Registers.Msi.Flags64Bit, "64 bit Address Capable (Message Control bit 7)", 2);
        var masking = When.OwnBit(Registers.Msi.Flags, Registers.Msi.FlagsMaskBit, "Per-Vector Masking Capable (Message Control bit 8)", 2);
        var extData = When.OwnBit(Registers.Msi.Flags, 0x0200, "Extended Message Data Capable (Message Control bit 9)", 2);
        var mme = new ValueRule("at most Multiple Message Capable", (c, v) => v <= 5 && v <= ((c.Own(Registers.Msi.Flags, 2) >> 1) & 7));
        // PCI 3.0 §6.8.1.7: one mask (and pending) bit per vector the function can request; the rest are reserved.
        var vectors = new ImplementedBits("one bit per vector Multiple Message Capable allows (1, 2, 4 ... 32)",
            c => ((c.Own(Registers.Msi.Flags, 2) >> 1) & 7) is var n && n >= 5 ? 0xffffffffu : (1u << (1 << (int)n)) - 1, RsvdP);
        RegisterSpec Data(int at) => R(at, 2, "Message Data", $"{Pci("6.8.1.6")}; {Pcie("7.7.1.5")}",
            F(0, 16, "Message Data", RW, $"{Pci("6.8.1.6")}; {Pcie("7.7.1.5")}"));
        RegisterSpec ExtData(int at) => R(at, 2, "Extended Message Data", Pcie("7.7.1.6"),
            F(0, 16, "Extended Message Data", RsvdP, Pcie("7.7.1.6")).Except(extData, RW));
        RegisterSpec Mask(int at) => R(at, 4, "Mask Bits", $"{Pci("6.8.1.7")}; {Pcie("7.7.1.7")}",
            F(0, 32, "Mask Bits", RW, $"{Pci("6.8.1.7")}; {Pcie("7.7.1.7")}")).ImplementedAs(vectors);
        RegisterSpec Pending(int at) => Whole(at, 4, "Pending Bits", RO, $"{Pci("6.8.1.8")}; {Pcie("7.7.1.8")}");
        return new StructureSpec(StructureKey.Capability((int)CapabilityId.Msi), "MSI", $"{Pci("6.8.1")}; {Pcie("7.7.1")}",
        [
            Header(Pci("6.8.1.1")),
            R(Registers.Msi.Flags, 2, "Message Control", mc,
                F(0, 1, "MSI Enable", RW, mc),
                F(1, 3, "Multiple Message Capable", RO, mc),
                F(4, 3, "Multiple Message Enable", RW, mc).Allows(mme),
                F(7, 1, "64 bit Address Capable", RO, mc),
                F(8, 1, "Per-Vector Masking Capable", RO, mc),
                F(9, 1, "Extended Message Data Capable", RO, Pcie("7.7.1.2")),
                F(10, 1, "Extended Message Data Enable", RsvdP, Pcie("7.7.1.2")).Except(extData, RW),
                F(11, 5, "Reserved", RsvdP, mc)),
            R(Registers.Msi.AddressLo, 4, "Message Address", $"{Pci("6.8.1.4")}; {Pcie("7.7.1.3")}",
                F(0, 2, "Reserved", RsvdP, $"{Pci("6.8.1.4")}; {Pcie("7.7.1.3")}"),
                F(2, 30, "Message Address", RW, $"{Pci("6.8.1.4")}; {Pcie("7.7.1.3")}")),
            // The layout after the address depends on 64-bit addressing and per-vector masking.
            R(Registers.Msi.AddressHi, 4, "Message Upper Address", $"{Pci("6.8.1.5")}; {Pcie("7.7.1.4")}",
                F(0, 32, "Message Upper Address", RW, $"{Pci("6.8.1.5")}; {Pcie("7.7.1.4")}")).OnlyWhen(is64),
            Data(Registers.Msi.Data32).OnlyWhen(!is64),
            ExtData(Registers.Msi.Data32 + 2).OnlyWhen(!is64),
            Data(Registers.Msi.Data64).OnlyWhen(is64),
            ExtData(Registers.Msi.Data64 + 2).OnlyWhen(is64),
            Mask(Registers.Msi.Mask32).OnlyWhen(!is64 & masking),
            Pending(Registers.Msi.Pending32).OnlyWhen(!is64 & masking),
            Mask(Registers.Msi.Mask64).OnlyWhen(is64 & masking),
            Pending(Registers.Msi.Pending64).OnlyWhen(is64 & masking),
        ]);
    }

    public static StructureSpec MsiX()
    {
        string mc = $"{Pci("6.8.2.3")}; {Pcie("7.7.2.2")}";
        return new StructureSpec(StructureKey.Capability((int)CapabilityId.MsiX), "MSI-X", $"{Pci("6.8.2")}; {Pcie("7.7.2")}",
        [
            Header(Pci("6.8.2.1")),
            R(Registers.MsiX.Flags, 2, "Message Control", mc,
                F(0, 11, "Table Size", RO, mc),
                F(11, 3, "Reserved", RsvdP, mc),
                F(14, 1, "Function Mask", RW, mc),
                F(15, 1, "MSI-X Enable", RW, mc)),
            Whole(Registers.MsiX.Table, 4, "Table Offset/Table BIR", RO, $"{Pci("6.8.2.4")}; {Pcie("7.7.2.3")}"),
            Whole(Registers.MsiX.Pba, 4, "PBA Offset/PBA BIR", RO, $"{Pci("6.8.2.5")}; {Pcie("7.7.2.4")}"),
        ])
        { Note = "the MSI-X table and PBA live in BAR memory, not in config space" };
    }

    public static StructureSpec VendorSpecific() =>
        new(StructureKey.Capability((int)CapabilityId.Vendor), "Vendor-Specific", $"{Pci("6.7")}; {Pcie("7.9.4")}",
        [
            Header(Pcie("7.9.4")),
            Whole(0x02, 1, "Capability Length", RO, Pcie("7.9.4")),
        ])
        { Note = "the body is vendor-defined: modelled read-only" };

    private const string SsvidCite = "PCI Local Bus 3.0 §H (Appendix H: capability ID 0Dh, bridge Subsystem Vendor ID)";

    public static StructureSpec BridgeSubsystemVendor() =>
        new(StructureKey.Capability((int)CapabilityId.SubsystemVendor), "Bridge Subsystem Vendor ID", SsvidCite,
        [
            Header(SsvidCite),
            Whole(0x04, 2, "Subsystem Vendor ID", HwInit, SsvidCite),
            Whole(0x06, 2, "Subsystem ID", HwInit, SsvidCite),
        ]);

}
