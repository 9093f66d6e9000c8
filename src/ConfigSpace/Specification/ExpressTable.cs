using Preconfig.ConfigSpace.Registers;
using static Preconfig.ConfigSpace.Specification.BitAttribute;
using static Preconfig.ConfigSpace.Specification.Cite;

namespace Preconfig.ConfigSpace.Specification;

/// <summary>
/// The PCI Express capability (PCIe 4.0 §7.5.3): device, link, slot and root registers and their version-2 halves,
/// with the bits whose writability the spec ties to DevCap, DevCap2, LnkCap, LnkCap2, SltCap, SltCap2, RootCap and the
/// port type.
/// </summary>
internal static class ExpressTable
{
    private static Condition DevCap(uint mask, string text) => When.ExpressBit(PciExpress.DevCap, mask, $"DevCap {text}");
    private static Condition DevCap2(uint mask, string text) => When.Version2 & When.ExpressBit(PciExpress.DevCap2, mask, $"DevCap2 {text}");
    private static Condition LnkCap(uint mask, string text) => When.ExpressBit(PciExpress.LnkCap, mask, $"LnkCap {text}");
    private static Condition LnkCap2(uint mask, string text) => When.Version2 & When.ExpressBit(PciExpress.LnkCap2, mask, $"LnkCap2 {text}");
    private static Condition SltCap(uint mask, string text) => When.ExpressBit(PciExpress.SltCap, mask, $"SltCap {text}");

    /// <summary>Encodings of a 3-bit size field up to what DevCap says (128 << n bytes, n at most 5).</summary>
    private static readonly ValueRule PayloadUpToSupported = new("at most DevCap Max_Payload_Size Supported",
        (c, v) => v <= 5 && v <= (c.Function.Express(PciExpress.DevCap) & 7));
    private static readonly ValueRule SizeEncoding = new("128 to 4096 bytes (0-5)", (_, v) => v <= 5);

    public static StructureSpec Build()
    {
        string dc = Pcie("7.5.3.4"), ds = Pcie("7.5.3.5"), lc = Pcie("7.5.3.7"), ls = Pcie("7.5.3.8"), sc = Pcie("7.5.3.10"),
            ss = Pcie("7.5.3.11"), rc = Pcie("7.5.3.12"), rs = Pcie("7.5.3.14"), dc2 = Pcie("7.5.3.16"), lc2 = Pcie("7.5.3.19"),
            ls2 = Pcie("7.5.3.20");
        var flr = When.Type0 & DevCap(PciExpress.DevCapFlr, "Function Level Reset Capability (bit 28) set");
        var lbn = When.DownstreamPort & LnkCap(0x00200000, "Link Bandwidth Notification Capability (bit 21) set");
        var drs = When.DownstreamPort & LnkCap2(0x80000000, "DRS Supported (bit 31) set");
        var epr = DevCap2(0x03000000, "Emergency Power Reduction Supported (bits 25:24) not 0");
        var linkWide = When.NonZeroFunctionOfUpstreamDevice;
        var root = When.RootPortOrRcec;
        var rootPresent = new Condition("Root Port or Root Complex Event Collector", c => root.Holds(c));

        // ASPM Control may enable only the states LnkCap's ASPM Support (bits 11:10) lists (PCIe §7.5.3.7).
        var aspm = new ValueRule("only states LnkCap ASPM Support lists", (c, v) => (v & ~((c.Function.Express(PciExpress.LnkCap) >> 10) & 3)) == 0);
        // Completion Timeout Value: 0 (default range) or a value in a range DevCap2 bits 3:0 lists (PCIe §7.5.3.16).
        var timeout = new ValueRule("0 or a value inside a range DevCap2 Completion Timeout Ranges Supported lists", (c, v) =>
        {
            uint ranges = c.Function.Express(PciExpress.DevCap2) & 0xf;
            return v == 0 || (v is 1 or 2 && (ranges & 1) != 0) || (v is 5 or 6 && (ranges & 2) != 0)
                || (v is 9 or 10 && (ranges & 4) != 0) || (v is 13 or 14 && (ranges & 8) != 0);
        });
        // Target Link Speed: a speed LnkCap2's Supported Link Speeds vector lists, else at most LnkCap's maximum.
        var speeds = new ValueRule("a speed LnkCap2 Supported Link Speeds lists (at most LnkCap Max Link Speed without the vector)", (c, v) =>
        {
            uint vector = (c.Function.Express(PciExpress.LnkCap2) >> 1) & 0x7f;
            return v >= 1 && (vector != 0 ? v <= 7 && (vector & (1u << (int)(v - 1))) != 0 : v <= (c.Function.Express(PciExpress.LnkCap) & 0xf));
        });

        return new StructureSpec(StructureKey.Capability((int)CapabilityId.Express), "PCI Express", Pcie("7.5.3"),
        [
            Whole(0x00, 2, "Capability ID and Next Capability Pointer", RO, Pcie("7.5.3.1")),
            Whole(PciExpress.Flags, 2, "PCI Express Capabilities", HwInit, Pcie("7.5.3.2")),
            Whole(PciExpress.DevCap, 4, "DevCap", HwInit, Pcie("7.5.3.3")),
            R(PciExpress.DevCtl, 2, "DevCtl", dc,
                F(0, 1, "Correctable Error Reporting Enable", RW, dc),
                F(1, 1, "Non-Fatal Error Reporting Enable", RW, dc),
                F(2, 1, "Fatal Error Reporting Enable", RW, dc),
                F(3, 1, "Unsupported Request Reporting Enable", RW, dc),
                F(4, 1, "Enable Relaxed Ordering", RW, dc).ResetsTo(1).IsOptional(),
                F(5, 3, "Max_Payload_Size", RW, dc).Allows(PayloadUpToSupported),
                F(8, 1, "Extended Tag Field Enable", RO, dc).Except(DevCap(0x20, "Extended Tag Field Supported (bit 5) set"), RW),
                F(9, 1, "Phantom Functions Enable", RO, dc).Except(DevCap(0x18, "Phantom Functions Supported (bits 4:3) not 0"), RW),
                F(10, 1, "Aux Power PM Enable", RWS, dc).IsOptional(),
                F(11, 1, "Enable No Snoop", RW, dc).ResetsTo(1).IsOptional(),
                F(12, 3, "Max_Read_Request_Size", RW, dc).ResetsTo(2).Allows(SizeEncoding),
                F(15, 1, "Initiate Function Level Reset / Bridge Configuration Retry Enable", RsvdP, dc)
                    .Except(flr, BitAttribute.Action).Except(When.PcieToPciBridge, RW)),
            R(PciExpress.DevSta, 2, "DevSta", ds,
                F(0, 1, "Correctable Error Detected", RW1C, ds),
                F(1, 1, "Non-Fatal Error Detected", RW1C, ds),
                F(2, 1, "Fatal Error Detected", RW1C, ds),
                F(3, 1, "Unsupported Request Detected", RW1C, ds),
                F(4, 1, "AUX Power Detected", RO, ds),
                F(5, 1, "Transactions Pending", RO, ds),
                F(6, 1, "Emergency Power Reduction Detected", RsvdZ, ds).Except(epr, RW1C),
                F(7, 9, "Reserved", RsvdZ, ds)),
            Whole(PciExpress.LnkCap, 4, "LnkCap", HwInit, Pcie("7.5.3.6")).ReservedIf(When.NoLink),
            R(PciExpress.LnkCtl, 2, "LnkCtl", lc,
                F(0, 2, "ASPM Control", RW, lc).Allows(aspm),
                F(2, 1, "Reserved", RsvdP, lc),
                F(3, 1, "Read Completion Boundary", RW, lc).IsOptional().Except(When.RootPort, HwInit).Except(When.SwitchPort, RsvdP),
                F(4, 1, "Link Disable", RsvdP, lc).Except(When.DownstreamPort, RW),
                F(5, 1, "Retrain Link", RsvdP, lc).Except(When.DownstreamPort, BitAttribute.Action),
                F(6, 1, "Common Clock Configuration", RW, lc),
                F(7, 1, "Extended Synch", RW, lc),
                F(8, 1, "Enable Clock Power Management", RO, lc).Except(LnkCap(0x00040000, "Clock Power Management (bit 18) set"), RW),
                F(9, 1, "Hardware Autonomous Width Disable", RW, lc).IsOptional(),
                F(10, 1, "Link Bandwidth Management Interrupt Enable", RsvdP, lc).Except(lbn, RW),
                F(11, 1, "Link Autonomous Bandwidth Interrupt Enable", RsvdP, lc).Except(lbn, RW),
                F(12, 1, "Reserved", RsvdP, lc),
                F(13, 1, "Flit Mode Disable", RsvdP, Pcie6("7.5.3.7"))
                    .Except(When.ExpressBit(PciExpress.Flags, 0x8000, "PCI Express Capabilities Flit Mode Supported (bit 15) set"), RW),
                F(14, 2, "DRS Signaling Control", RsvdP, lc).Except(drs, RW))
                .ReservedIf(When.NoLink),
            R(PciExpress.LnkSta, 2, "LnkSta", ls,
                F(0, 4, "Current Link Speed", RO, ls),
                F(4, 6, "Negotiated Link Width", RO, ls),
                F(10, 1, "Undefined", RO, ls),
                F(11, 1, "Link Training", RO, ls),
                F(12, 1, "Slot Clock Configuration", HwInit, ls),
                F(13, 1, "Data Link Layer Link Active", RO, ls),
                F(14, 1, "Link Bandwidth Management Status", RsvdZ, ls).Except(lbn, RW1C),
                F(15, 1, "Link Autonomous Bandwidth Status", RsvdZ, ls).Except(lbn, RW1C))
                .ReservedIf(When.NoLink),
            Whole(PciExpress.SltCap, 4, "SltCap", HwInit, Pcie("7.5.3.9")).OnlyWhen(When.Slot),
            R(PciExpress.SltCtl, 2, "SltCtl", sc,
                F(0, 1, "Attention Button Pressed Enable", RO, sc).Except(SltCap(0x01, "Attention Button Present (bit 0) set"), RW),
                F(1, 1, "Power Fault Detected Enable", RO, sc).Except(SltCap(0x02, "Power Controller Present (bit 1) set"), RW),
                F(2, 1, "MRL Sensor Changed Enable", RO, sc).Except(SltCap(0x04, "MRL Sensor Present (bit 2) set"), RW),
                F(3, 1, "Presence Detect Changed Enable", RO, sc).Except(SltCap(0x40, "Hot-Plug Capable (bit 6) set"), RW),
                F(4, 1, "Command Completed Interrupt Enable", RO, sc)
                    .Except(SltCap(0x40, "Hot-Plug Capable (bit 6) set") & !SltCap(0x40000, "No Command Completed Support (bit 18) set"), RW),
                F(5, 1, "Hot-Plug Interrupt Enable", RO, sc).Except(SltCap(0x40, "Hot-Plug Capable (bit 6) set"), RW),
                F(6, 2, "Attention Indicator Control", RO, sc).Except(SltCap(0x08, "Attention Indicator Present (bit 3) set"), RW),
                F(8, 2, "Power Indicator Control", RO, sc).Except(SltCap(0x10, "Power Indicator Present (bit 4) set"), RW),
                F(10, 1, "Power Controller Control", RO, sc).Except(SltCap(0x02, "Power Controller Present (bit 1) set"), RW),
                F(11, 1, "Electromechanical Interlock Control", RO, sc).Except(SltCap(0x20000, "Electromechanical Interlock Present (bit 17) set"), BitAttribute.Action),
                F(12, 1, "Data Link Layer State Changed Enable", RO, sc).Except(LnkCap(0x00100000, "Data Link Layer Link Active Reporting Capable (bit 20) set"), RW),
                F(13, 1, "Auto Slot Power Limit Disable", RW, Pcie5("7.5.3.10")).IsOptional(),
                F(14, 1, "In-Band PD Disable", RsvdP, Pcie5("7.5.3.10"))
                    .Except(When.Version2 & When.ExpressBit(PciExpress.SltCap2, 0x1, "SltCap2 In-Band PD Disable Supported (bit 0) set"), RW),
                F(15, 1, "Reserved", RsvdP, sc))
                .OnlyWhen(When.Slot),
            R(PciExpress.SltSta, 2, "SltSta", ss,
                F(0, 1, "Attention Button Pressed", RsvdZ, ss).Except(SltCap(0x01, "Attention Button Present (bit 0) set"), RW1C),
                F(1, 1, "Power Fault Detected", RsvdZ, ss).Except(SltCap(0x02, "Power Controller Present (bit 1) set"), RW1C),
                F(2, 1, "MRL Sensor Changed", RsvdZ, ss).Except(SltCap(0x04, "MRL Sensor Present (bit 2) set"), RW1C),
                F(3, 1, "Presence Detect Changed", RW1C, ss),
                F(4, 1, "Command Completed", RsvdZ, ss)
                    .Except(SltCap(0x40, "Hot-Plug Capable (bit 6) set") & !SltCap(0x40000, "No Command Completed Support (bit 18) set"), RW1C),
                F(5, 1, "MRL Sensor State", RO, ss),
                F(6, 1, "Presence Detect State", RO, ss),
                F(7, 1, "Electromechanical Interlock Status", RO, ss),
                F(8, 1, "Data Link Layer State Changed", RsvdZ, ss).Except(LnkCap(0x00100000, "Data Link Layer Link Active Reporting Capable (bit 20) set"), RW1C),
                F(9, 7, "Reserved", RsvdZ, ss))
                .OnlyWhen(When.Slot),
            R(PciExpress.RootCtl, 2, "RootCtl", rc,
                F(0, 1, "System Error on Correctable Error Enable", RW, rc),
                F(1, 1, "System Error on Non-Fatal Error Enable", RW, rc),
                F(2, 1, "System Error on Fatal Error Enable", RW, rc),
                F(3, 1, "PME Interrupt Enable", RW, rc),
                F(4, 1, "CRS Software Visibility Enable", RO, rc)
                    .Except(When.ExpressBit(PciExpress.RootCap, 0x1, "RootCap CRS Software Visibility (bit 0) set"), RW),
                F(5, 11, "Reserved", RsvdP, rc))
                .OnlyWhen(rootPresent),
            Whole(PciExpress.RootCap, 2, "RootCap", RO, Pcie("7.5.3.13")).OnlyWhen(rootPresent),
            R(PciExpress.RootSta, 4, "RootSta", rs,
                F(0, 16, "PME Requester ID", RO, rs),
                F(16, 1, "PME Status", RW1C, rs),
                F(17, 1, "PME Pending", RO, rs),
                F(18, 14, "Reserved", RsvdZ, rs))
                .OnlyWhen(rootPresent),
            Whole(PciExpress.DevCap2, 4, "DevCap2", HwInit, Pcie("7.5.3.15")).OnlyWhen(When.Version2),
            R(PciExpress.DevCtl2, 2, "DevCtl2", dc2,
                F(0, 4, "Completion Timeout Value", RO, dc2).Except(DevCap2(0xf, "Completion Timeout Ranges Supported (bits 3:0) not 0"), RW).Allows(timeout),
                F(4, 1, "Completion Timeout Disable", RsvdP, dc2).Except(DevCap2(0x10, "Completion Timeout Disable Supported (bit 4) set"), RW),
                F(5, 1, "ARI Forwarding Enable", RsvdP, dc2).Except(DevCap2(0x20, "ARI Forwarding Supported (bit 5) set"), RW),
                F(6, 1, "AtomicOp Requester Enable", RsvdP, dc2).Except(When.EndpointType | When.RootPort, RW).IsOptional(),
                F(7, 1, "AtomicOp Egress Blocking", RsvdP, dc2).Except(DevCap2(0x40, "AtomicOp Routing Supported (bit 6) set"), RW),
                F(8, 1, "IDO Request Enable", RW, dc2).IsOptional(),
                F(9, 1, "IDO Completion Enable", RW, dc2).IsOptional(),
                F(10, 1, "LTR Mechanism Enable", RsvdP, dc2).Except(linkWide, RsvdP).Except(DevCap2(0x800, "LTR Mechanism Supported (bit 11) set"), RW),
                F(11, 1, "Emergency Power Reduction Request", RsvdP, dc2).Except(epr, RW),
                F(12, 1, "10-Bit Tag Requester Enable", RsvdP, dc2).Except(DevCap2(0x20000, "10-Bit Tag Requester Supported (bit 17) set"), RW),
                F(13, 2, "OBFF Enable", RsvdP, dc2).Except(DevCap2(0xc0000, "OBFF Supported (bits 19:18) not 0"), RW),
                F(15, 1, "End-End TLP Prefix Blocking", RsvdP, dc2)
                    .Except(When.RootOrSwitchPort & DevCap2(0x200000, "End-End TLP Prefix Supported (bit 21) set"), RW))
                .OnlyWhen(When.Version2),
            Whole(PciExpress.DevSta2, 2, "DevSta2", RsvdZ, Pcie("7.5.3.17")).OnlyWhen(When.Version2),
            Whole(PciExpress.LnkCap2, 4, "LnkCap2", HwInit, Pcie("7.5.3.18")).OnlyWhen(When.Version2).ReservedIf(When.NoLink),
            R(PciExpress.LnkCtl2, 2, "LnkCtl2", lc2,
                F(0, 4, "Target Link Speed", RWS, lc2).Except(linkWide, RsvdP).Allows(speeds).Noting("its reset value is the highest supported speed; sticky"),
                F(4, 1, "Enter Compliance", RWS, lc2).Except(linkWide, RsvdP),
                F(5, 1, "Hardware Autonomous Speed Disable", RWS, lc2).Except(linkWide, RsvdP).IsOptional(),
                F(6, 1, "Selectable De-emphasis", HwInit, lc2),
                F(7, 3, "Transmit Margin", RWS, lc2).Except(linkWide, RsvdP),
                F(10, 1, "Enter Modified Compliance", RWS, lc2).Except(linkWide, RsvdP),
                F(11, 1, "Compliance SOS", RWS, lc2).Except(linkWide, RsvdP),
                F(12, 4, "Compliance Preset/De-emphasis", RWS, lc2).Except(linkWide, RsvdP))
                .OnlyWhen(When.Version2).ReservedIf(When.NoLink),
            R(PciExpress.LnkSta2, 2, "LnkSta2", ls2,
                F(0, 1, "Current De-emphasis Level", RO, ls2),
                F(1, 1, "Equalization 8.0 GT/s Complete", ROS, ls2),
                F(2, 1, "Equalization 8.0 GT/s Phase 1 Successful", ROS, ls2),
                F(3, 1, "Equalization 8.0 GT/s Phase 2 Successful", ROS, ls2),
                F(4, 1, "Equalization 8.0 GT/s Phase 3 Successful", ROS, ls2),
                F(5, 1, "Link Equalization Request 8.0 GT/s", RsvdZ, ls2).Except(LnkCap2(0x8, "Supported Link Speeds includes 8.0 GT/s (bit 3)"), RW1CS),
                F(6, 1, "Retimer Presence Detected", ROS, ls2),
                F(7, 1, "Two Retimers Presence Detected", ROS, ls2),
                F(8, 2, "Crosslink Resolution", RO, ls2),
                F(10, 2, "Reserved", RsvdZ, ls2),
                F(12, 3, "Downstream Component Presence", RO, ls2),
                F(15, 1, "DRS Message Received", RsvdZ, ls2).Except(drs, RW1C))
                .OnlyWhen(When.Version2).ReservedIf(When.NoLink),
            Whole(PciExpress.SltCap2, 4, "SltCap2", HwInit, Pcie("7.5.3.21")).OnlyWhen(When.Version2),
            Whole(PciExpress.SltCtl2, 2, "SltCtl2", RsvdP, Pcie("7.5.3.22")).OnlyWhen(When.Version2),
            Whole(PciExpress.SltSta2, 2, "SltSta2", RsvdZ, Pcie("7.5.3.23")).OnlyWhen(When.Version2),
        ])
        { Note = "version 1: registers from DevCap2 on do not exist; the slot and root registers exist only where the port has them" };
    }
}
