using Preconfig.ConfigSpace.Registers;
using static Preconfig.ConfigSpace.Specification.BitAttribute;
using static Preconfig.ConfigSpace.Specification.Cite;

namespace Preconfig.ConfigSpace.Specification;

/// <summary>
/// Extended capabilities (PCIe 4.0 §7.6-§7.9, §9.3.3, §10.5): AER, ACS, LTR, L1 PM Substates, DPC, PTM, ARI, SR-IOV,
/// ATS, PRI, PASID, and the read-only Device Serial Number and vendor-specific ones.
/// </summary>
internal static class ExtendedTables
{
    private static RegisterSpec Header() => Whole(0x00, 4, "Extended Capability Header", RO, Pcie("7.6.3"));

    private static FieldSpec[] Bits(string cite, BitAttribute defined, BitAttribute reserved, params (int Bit, string Name, string? Cite)[] bits)
    {
        var fields = new List<FieldSpec>();
        int next = 0;
        var byBit = new List<(int Bit, string Name, string? Cite)>(bits);
        StableSort.By(byBit, (a, b) => a.Bit.CompareTo(b.Bit));
        foreach (var (bit, name, c) in byBit)
        {
            if (bit > next) fields.Add(F(next, bit - next, "Reserved", reserved, cite));
            fields.Add(F(bit, 1, name, defined, c ?? cite));
            next = bit + 1;
        }
        if (next < 32) fields.Add(F(next, 32 - next, "Reserved", reserved, cite));
        return [.. fields];
    }

    // PCIe §7.8.4.2: the uncorrectable errors, the same bit in Status (RW1CS), Mask and Severity (RWS). Bits 27-31
    // are PCIe 6.0 additions.
    private static (int, string, string?)[] UncorrectableErrors(string cite) =>
    [
        (4, "Data Link Protocol Error", null), (5, "Surprise Down Error", null), (12, "Poisoned TLP Received", null),
        (13, "Flow Control Protocol Error", null), (14, "Completion Timeout", null), (15, "Completer Abort", null),
        (16, "Unexpected Completion", null), (17, "Receiver Overflow", null), (18, "Malformed TLP", null), (19, "ECRC Error", null),
        (20, "Unsupported Request Error", null), (21, "ACS Violation", null), (22, "Uncorrectable Internal Error", null),
        (23, "MC Blocked TLP", null), (24, "AtomicOp Egress Blocked", null), (25, "TLP Prefix Blocked Error", null),
        (26, "Poisoned TLP Egress Blocked", null), (27, "DMWr Request Egress Blocked", Pcie6(cite)), (28, "IDE Check Failed", Pcie6(cite)),
        (29, "Misrouted IDE TLP", Pcie6(cite)), (30, "PCRC Check Failed", Pcie6(cite)), (31, "TLP Translation Egress Blocked", Pcie6(cite)),
    ];

    private static readonly (int, string, string?)[] CorrectableErrors =
    [
        (0, "Receiver Error", null), (6, "Bad TLP", null), (7, "Bad DLLP", null), (8, "REPLAY_NUM Rollover", null),
        (12, "Replay Timer Timeout", null), (13, "Advisory Non-Fatal Error", null), (14, "Corrected Internal Error", null),
        (15, "Header Log Overflow", null),
    ];

    public static StructureSpec Aer()
    {
        string us = Pcie("7.8.4.2"), um = Pcie("7.8.4.3"), sev = Pcie("7.8.4.4"), cs = Pcie("7.8.4.5"), cm = Pcie("7.8.4.6"),
            cap = Pcie("7.8.4.7"), rcmd = Pcie("7.8.4.9"), rsta = Pcie("7.8.4.10");
        var severity = Bits(sev, RWS, RsvdP, UncorrectableErrors("7.8.4.4"));
        // Severity defaults (PCIe §7.8.4.4): Data Link Protocol, Surprise Down, Flow Control Protocol, Receiver
        // Overflow, Malformed TLP and Uncorrectable Internal Error are fatal.
        foreach (var f in severity) if (f.Low is 4 or 5 or 13 or 17 or 18 or 22) f.ResetsTo(1);
        var corMask = Bits(cm, RWS, RsvdP, CorrectableErrors);
        foreach (var f in corMask) if (f.Low == 13) f.ResetsTo(1);   // Advisory Non-Fatal Error Mask defaults to 1
        var root = When.RootPortOrRcec;
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.Aer), "Advanced Error Reporting", Pcie("7.8.4"),
        [
            Header(),
            R(Registers.Aer.UncorStatus, 4, "Uncorrectable Error Status", us, Bits(us, RW1CS, RsvdZ, UncorrectableErrors("7.8.4.2"))),
            R(Registers.Aer.UncorMask, 4, "Uncorrectable Error Mask", um, Bits(um, RWS, RsvdP, UncorrectableErrors("7.8.4.3"))),
            R(Registers.Aer.UncorSeverity, 4, "Uncorrectable Error Severity", sev, severity),
            R(Registers.Aer.CorStatus, 4, "Correctable Error Status", cs, Bits(cs, RW1CS, RsvdZ, CorrectableErrors)),
            R(Registers.Aer.CorMask, 4, "Correctable Error Mask", cm, corMask),
            R(Registers.Aer.Cap, 4, "Advanced Error Capabilities and Control", cap,
                F(0, 5, "First Error Pointer", ROS, cap),
                F(5, 1, "ECRC Generation Capable", RO, cap),
                F(6, 1, "ECRC Generation Enable", RsvdP, cap).Except(When.OwnBit(Registers.Aer.Cap, 0x20, "ECRC Generation Capable (bit 5) set"), RWS),
                F(7, 1, "ECRC Check Capable", RO, cap),
                F(8, 1, "ECRC Check Enable", RsvdP, cap).Except(When.OwnBit(Registers.Aer.Cap, 0x80, "ECRC Check Capable (bit 7) set"), RWS),
                F(9, 1, "Multiple Header Recording Capable", RO, cap),
                F(10, 1, "Multiple Header Recording Enable", RsvdP, cap).Except(When.OwnBit(Registers.Aer.Cap, 0x200, "Multiple Header Recording Capable (bit 9) set"), RWS),
                F(11, 1, "TLP Prefix Log Present", ROS, cap),
                F(12, 1, "Completion Timeout Prefix/Header Log Capable", RO, cap),
                F(13, 19, "Reserved", RsvdP, cap)),
            Whole(Registers.Aer.HeaderLog, 16, "Header Log", ROS, Pcie("7.8.4.8")),
            R(Registers.Aer.RootCommand, 4, "Root Error Command", rcmd,
                F(0, 1, "Correctable Error Reporting Enable", RW, rcmd),
                F(1, 1, "Non-Fatal Error Reporting Enable", RW, rcmd),
                F(2, 1, "Fatal Error Reporting Enable", RW, rcmd),
                F(3, 29, "Reserved", RsvdP, rcmd)).OnlyWhen(root),
            R(Registers.Aer.RootStatus, 4, "Root Error Status", rsta,
                F(0, 1, "ERR_COR Received", RW1CS, rsta),
                F(1, 1, "Multiple ERR_COR Received", RW1CS, rsta),
                F(2, 1, "ERR_FATAL/NONFATAL Received", RW1CS, rsta),
                F(3, 1, "Multiple ERR_FATAL/NONFATAL Received", RW1CS, rsta),
                F(4, 1, "First Uncorrectable Fatal", RW1CS, rsta),
                F(5, 1, "Non-Fatal Error Messages Received", RW1CS, rsta),
                F(6, 1, "Fatal Error Messages Received", RW1CS, rsta),
                F(7, 20, "Reserved", RsvdZ, rsta),
                F(27, 5, "Advanced Error Interrupt Message Number", RO, rsta)).OnlyWhen(root),
            Whole(Registers.Aer.RootErrorSource, 4, "Error Source Identification", ROS, Pcie("7.8.4.11")).OnlyWhen(root),
        ]);
    }

    public static StructureSpec Acs()
    {
        string ctl = Pcie("7.7.7.3");
        Condition Cap(int bit, string name) => When.OwnBit(Registers.Acs.Cap, 1u << bit, $"ACS Capability {name} (bit {bit}) set", 2);
        FieldSpec Enable(int bit, string name) => F(bit, 1, $"{name} Enable", RO, ctl).Except(Cap(bit, name), RW);
        var enhanced = Cap(7, "ACS Enhanced Capability");
        var egress = Cap(5, "P2P Egress Control");
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.Acs), "Access Control Services", Pcie("7.7.7"),
        [
            Header(),
            Whole(Registers.Acs.Cap, 2, "ACS Capability", RO, Pcie("7.7.7.2")),
            R(Registers.Acs.Ctrl, 2, "ACS Control", ctl,
                Enable(0, "ACS Source Validation"),
                Enable(1, "ACS Translation Blocking"),
                Enable(2, "ACS P2P Request Redirect"),
                Enable(3, "ACS P2P Completion Redirect"),
                Enable(4, "ACS Upstream Forwarding"),
                Enable(5, "ACS P2P Egress Control"),
                Enable(6, "ACS Direct Translated P2P"),
                F(7, 1, "ACS I/O Request Blocking Enable", RsvdP, Pcie6("7.7.8.3")).Except(enhanced, RW),
                F(8, 2, "ACS DSP Memory Target Access Control", RsvdP, Pcie6("7.7.8.3")).Except(enhanced, RW),
                F(10, 2, "ACS USP Memory Target Access Control", RsvdP, Pcie6("7.7.8.3")).Except(enhanced, RW),
                F(12, 1, "ACS Unclaimed Request Redirect Control", RsvdP, Pcie6("7.7.8.3")).Except(enhanced, RW),
                F(13, 3, "Reserved", RsvdP, ctl)),
            // One bit per function the Egress Control Vector Size (Capability bits 15:8, 0 = 256) names; the first dword.
            R(0x08, 4, "Egress Control Vector", Pcie("7.7.7.4"), F(0, 32, "Egress Control Vector", RW, Pcie("7.7.7.4")))
                .OnlyWhen(egress)
                .ImplementedAs(new ImplementedBits("one bit per function of the Egress Control Vector Size", c =>
                {
                    uint n = (c.Own(Registers.Acs.Cap, 2) >> 8) & 0xff;
                    return n == 0 || n >= 32 ? 0xffffffffu : (1u << (int)n) - 1;
                }, RsvdP)),
        ]);
    }

    public static StructureSpec Ltr()
    {
        RegisterSpec Latency(int at, string name, string cite) => R(at, 2, name, cite,
            F(0, 10, $"{name} Value", RW, cite),
            F(10, 3, $"{name} Scale", RW, cite).Allows(new ValueRule("0-5 (1 ns to 33.5 s units; 6 and 7 are not permitted)", (_, v) => v <= 5)),
            F(13, 3, "Reserved", RsvdP, cite));
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.Ltr), "Latency Tolerance Reporting", Pcie("7.8.2"),
        [
            Header(),
            Latency(Registers.Ltr.MaxSnoopLatency, "Max Snoop Latency", Pcie("7.8.2.2")),
            Latency(Registers.Ltr.MaxNoSnoopLatency, "Max No-Snoop Latency", Pcie("7.8.2.3")),
        ]);
    }

    public static StructureSpec L1PmSubstates()
    {
        string c1 = Pcie("7.8.3.3"), c2 = Pcie("7.8.3.4");
        Condition Cap(int bit, string name) => When.OwnBit(Registers.L1PmSubstates.Cap, 1u << bit, $"L1 PM Substates Capabilities {name} (bit {bit}) set");
        var aspmL12 = Cap(2, "ASPM L1.2 Supported");
        var l12 = Cap(0, "PCI-PM L1.2 Supported") | aspmL12;
        var scale = new ValueRule("0-5 (6 and 7 are not permitted)", (_, v) => v <= 5);
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.L1PmSubstates), "L1 PM Substates", Pcie("7.8.3"),
        [
            Header(),
            Whole(Registers.L1PmSubstates.Cap, 4, "L1 PM Substates Capabilities", HwInit, Pcie("7.8.3.2")),
            R(Registers.L1PmSubstates.Ctl1, 4, "L1 PM Substates Control 1", c1,
                F(0, 1, "PCI-PM L1.2 Enable", RsvdP, c1).Except(Cap(0, "PCI-PM L1.2 Supported"), RW),
                F(1, 1, "PCI-PM L1.1 Enable", RsvdP, c1).Except(Cap(1, "PCI-PM L1.1 Supported"), RW),
                F(2, 1, "ASPM L1.2 Enable", RsvdP, c1).Except(aspmL12, RW),
                F(3, 1, "ASPM L1.1 Enable", RsvdP, c1).Except(Cap(3, "ASPM L1.1 Supported"), RW),
                F(4, 4, "Reserved", RsvdP, c1),
                F(8, 2, "Common_Mode_Restore_Time", RsvdP, c1).Except(l12, RW),
                F(10, 6, "Reserved", RsvdP, c1),
                F(16, 10, "LTR_L1.2_THRESHOLD_Value", RsvdP, c1).Except(aspmL12, RW),
                F(26, 3, "Reserved", RsvdP, c1),
                F(29, 3, "LTR_L1.2_THRESHOLD_Scale", RsvdP, c1).Except(aspmL12, RW).Allows(scale)),
            R(Registers.L1PmSubstates.Ctl2, 4, "L1 PM Substates Control 2", c2,
                F(0, 2, "T_POWER_ON Scale", RsvdP, c2).Except(l12, RW).Allows(new ValueRule("0-2 (3 is reserved)", (_, v) => v <= 2)),
                F(2, 1, "Reserved", RsvdP, c2),
                F(3, 5, "T_POWER_ON Value", RsvdP, c2).Except(l12, RW),
                F(8, 24, "Reserved", RsvdP, c2)),
        ]);
    }

    public static StructureSpec Dpc()
    {
        string ctl = Pcie("7.9.15.3"), sta = Pcie("7.9.15.4");
        Condition Cap(uint mask, string text) => When.OwnBit(Registers.Dpc.Cap, mask, $"DPC Capability {text}", 2);
        var rpExt = Cap(0x20, "RP Extensions for DPC (bit 5) set");
        var rpPio = new (int, string, string?)[] { (0, "Cfg UR Cpl", null), (1, "Cfg CA Cpl", null), (2, "Cfg CTO", null),
            (8, "I/O UR Cpl", null), (9, "I/O CA Cpl", null), (10, "I/O CTO", null), (16, "Mem UR Cpl", null), (17, "Mem CA Cpl", null), (18, "Mem CTO", null) };
        string pio = Pcie("7.9.15.6");
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.Dpc), "Downstream Port Containment", Pcie("7.9.15"),
        [
            Header(),
            Whole(Registers.Dpc.Cap, 2, "DPC Capability", RO, Pcie("7.9.15.2")),
            R(Registers.Dpc.Ctrl, 2, "DPC Control", ctl,
                F(0, 2, "DPC Trigger Enable", RW, ctl).Allows(new ValueRule("0-2 (3 is reserved)", (_, v) => v <= 2)),
                F(2, 1, "DPC Completion Control", RW, ctl),
                F(3, 1, "DPC Interrupt Enable", RW, ctl),
                F(4, 1, "DPC ERR_COR Enable", RW, ctl),
                F(5, 1, "Poisoned TLP Egress Blocking Enable", RsvdP, ctl).Except(Cap(0x40, "Poisoned TLP Egress Blocking Supported (bit 6) set"), RW),
                F(6, 1, "DPC Software Trigger", RsvdP, ctl).Except(Cap(0x80, "DPC Software Triggering Supported (bit 7) set"), BitAttribute.Action),
                F(7, 1, "DL_Active ERR_COR Enable", RsvdP, ctl).Except(Cap(0x1000, "DL_Active ERR_COR Signaling Supported (bit 12) set"), RW),
                F(8, 8, "Reserved", RsvdP, ctl)),
            R(Registers.Dpc.Status, 2, "DPC Status", sta,
                F(0, 1, "DPC Trigger Status", RW1CS, sta).Noting("set: the port is in containment, its link down"),
                F(1, 2, "DPC Trigger Reason", ROS, sta),
                F(3, 1, "DPC Interrupt Status", RW1CS, sta),
                F(4, 1, "DPC RP Busy", RsvdZ, sta).Except(rpExt, RO),
                F(5, 2, "DPC Trigger Reason Extension", ROS, sta),
                F(7, 1, "Reserved", RsvdZ, sta),
                F(8, 5, "RP PIO First Error Pointer", RsvdZ, sta).Except(rpExt, ROS),
                F(13, 3, "Reserved", RsvdZ, sta)),
            Whole(0x0a, 2, "DPC Error Source ID", ROS, Pcie("7.9.15.5")),
            R(0x0c, 4, "RP PIO Status", pio, Bits(pio, RW1CS, RsvdZ, rpPio)).OnlyWhen(rpExt),
            R(0x10, 4, "RP PIO Mask", Pcie("7.9.15.7"), Bits(Pcie("7.9.15.7"), RWS, RsvdP, rpPio)).OnlyWhen(rpExt),
            R(0x14, 4, "RP PIO Severity", Pcie("7.9.15.8"), Bits(Pcie("7.9.15.8"), RWS, RsvdP, rpPio)).OnlyWhen(rpExt),
            R(0x18, 4, "RP PIO SysError", Pcie("7.9.15.9"), Bits(Pcie("7.9.15.9"), RWS, RsvdP, rpPio)).OnlyWhen(rpExt),
            R(0x1c, 4, "RP PIO Exception", Pcie("7.9.15.10"), Bits(Pcie("7.9.15.10"), RWS, RsvdP, rpPio)).OnlyWhen(rpExt),
            Whole(0x20, 16, "RP PIO Header Log", ROS, Pcie("7.9.15.11")).OnlyWhen(rpExt),
        ]);
    }

    public static StructureSpec Ptm()
    {
        string ctl = Pcie("7.9.16.3");
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.Ptm), "Precision Time Measurement", Pcie("7.9.16"),
        [
            Header(),
            Whole(Registers.Ptm.Cap, 4, "PTM Capability", RO, Pcie("7.9.16.2")),
            R(Registers.Ptm.Ctrl, 4, "PTM Control", ctl,
                F(0, 1, "PTM Enable", RW, ctl),
                F(1, 1, "Root Select", RsvdP, ctl).Except(When.OwnBit(Registers.Ptm.Cap, 0x4, "PTM Root Capable (bit 2) set"), RW),
                F(2, 6, "Reserved", RsvdP, ctl),
                F(8, 8, "Effective Granularity", RsvdP, ctl).Except(When.OwnBit(Registers.Ptm.Cap, 0x1, "PTM Requester Capable (bit 0) set"), RW),
                F(16, 16, "Reserved", RsvdP, ctl)),
        ]);
    }

    public static StructureSpec Ari()
    {
        string ctl = Pcie("7.8.7.3");
        var mfvc = When.OwnBit(Registers.Ari.Cap, 0x1, "ARI Capability MFVC Function Groups Capability (bit 0) set", 2);
        var acs = When.OwnBit(Registers.Ari.Cap, 0x2, "ARI Capability ACS Function Groups Capability (bit 1) set", 2);
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.Ari), "Alternative Routing-ID Interpretation", Pcie("7.8.7"),
        [
            Header(),
            Whole(Registers.Ari.Cap, 2, "ARI Capability", RO, Pcie("7.8.7.2")),
            R(Registers.Ari.Ctrl, 2, "ARI Control", ctl,
                F(0, 1, "MFVC Function Groups Enable", RsvdP, ctl).Except(mfvc, RW),
                F(1, 1, "ACS Function Groups Enable", RsvdP, ctl).Except(acs, RW),
                F(2, 2, "Reserved", RsvdP, ctl),
                F(4, 3, "Function Group", RsvdP, ctl).Except(mfvc | acs, RW)
                    .Noting("the spec ties it to Function 0's capability bits; this table reads the function's own"),
                F(7, 9, "Reserved", RsvdP, ctl)),
        ]);
    }

    public static StructureSpec SrIov()
    {
        string ctl = Pcie("9.3.3.3"), sta = Pcie("9.3.3.4");
        var migration = When.OwnBit(0x04, 0x1, "SR-IOV Capabilities VF Migration Capable (bit 0) set");
        var regs = new List<RegisterSpec>
        {
            Header(),
            Whole(0x04, 4, "SR-IOV Capabilities", RO, Pcie("9.3.3.2")),
            R(0x08, 2, "SR-IOV Control", ctl,
                F(0, 1, "VF Enable", RW, ctl),
                F(1, 1, "VF Migration Enable", RsvdP, ctl).Except(migration, RW),
                F(2, 1, "VF Migration Interrupt Enable", RsvdP, ctl).Except(migration, RW),
                F(3, 1, "VF MSE", RW, ctl),
                F(4, 1, "ARI Capable Hierarchy", RW, ctl).Noting("implemented in the lowest-numbered PF only"),
                F(5, 1, "VF 10-Bit Tag Requester Enable", RsvdP, Pcie5("9.3.3.3"))
                    .Except(When.OwnBit(0x04, 0x4, "SR-IOV Capabilities VF 10-Bit Tag Requester Supported (bit 2) set"), RW),
                F(6, 10, "Reserved", RsvdP, ctl)),
            R(0x0a, 2, "SR-IOV Status", sta, F(0, 1, "VF Migration Status", RsvdZ, sta).Except(migration, RW1C), F(1, 15, "Reserved", RsvdZ, sta)),
            Whole(0x0c, 2, "InitialVFs", HwInit, Pcie("9.3.3.5")),
            Whole(0x0e, 2, "TotalVFs", HwInit, Pcie("9.3.3.6")),
            R(0x10, 2, "NumVFs", Pcie("9.3.3.7"), F(0, 16, "NumVFs", RW, Pcie("9.3.3.7"))
                .Allows(new ValueRule("at most TotalVFs", (c, v) => v <= c.Own(0x0e, 2)))),
            Whole(0x12, 2, "Function Dependency Link", RO, Pcie("9.3.3.8")),
            Whole(0x14, 2, "First VF Offset", RO, Pcie("9.3.3.9")),
            Whole(0x16, 2, "VF Stride", RO, Pcie("9.3.3.10")),
            Whole(0x1a, 2, "VF Device ID", RO, Pcie("9.3.3.11")),
            Whole(0x1c, 4, "Supported Page Sizes", RO, Pcie("9.3.3.12")),
            R(0x20, 4, "System Page Size", Pcie("9.3.3.13"), F(0, 32, "System Page Size", RW, Pcie("9.3.3.13"))
                .ResetsTo(1)
                .Allows(new ValueRule("exactly one page size Supported Page Sizes lists", (c, v) => v != 0 && (v & (v - 1)) == 0 && (v & c.Own(0x1c)) != 0))),
            Whole(0x3c, 4, "VF Migration State Array Offset", RO, Pcie("9.3.3.15")),
        };
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.SrIov), "Single Root I/O Virtualization", Pcie("9.3.3"), regs)
        {
            Note = "VF BAR0-5 (0x24-0x3b) are resources whose sizes a dump does not carry: modelled read-only",
        };
    }

    public static StructureSpec Ats()
    {
        string ctl = Pcie("10.5.1.3");
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.Ats), "Address Translation Services", Pcie("10.5.1"),
        [
            Header(),
            Whole(0x04, 2, "ATS Capability", RO, Pcie("10.5.1.2")),
            R(0x06, 2, "ATS Control", ctl,
                F(0, 5, "Smallest Translation Unit", RW, ctl),
                F(5, 10, "Reserved", RsvdP, ctl),
                F(15, 1, "Enable", RW, ctl)),
        ]);
    }

    public static StructureSpec Pri()
    {
        string ctl = Pcie("10.5.2.2"), sta = Pcie("10.5.2.3");
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.Pri), "Page Request Interface", Pcie("10.5.2"),
        [
            Header(),
            R(0x04, 2, "Page Request Control", ctl,
                F(0, 1, "Enable", RW, ctl),
                F(1, 1, "Reset", BitAttribute.Action, ctl),
                F(2, 14, "Reserved", RsvdP, ctl)),
            R(0x06, 2, "Page Request Status", sta,
                F(0, 1, "Response Failure", RW1C, sta),
                F(1, 1, "Unexpected Page Request Group Index", RW1C, sta),
                F(2, 6, "Reserved", RsvdZ, sta),
                F(8, 1, "Stopped", RO, sta),
                F(9, 6, "Reserved", RsvdZ, sta),
                F(15, 1, "PRG Response PASID Required", RO, sta)),
            Whole(0x08, 4, "Outstanding Page Request Capacity", RO, Pcie("10.5.2.4")),
            R(0x0c, 4, "Outstanding Page Request Allocation", Pcie("10.5.2.5"), F(0, 32, "Outstanding Page Request Allocation", RW, Pcie("10.5.2.5"))),
        ]);
    }

    public static StructureSpec Pasid()
    {
        string ctl = Pcie("7.8.8.3");
        return new StructureSpec(StructureKey.Extended((int)ExtendedCapabilityId.Pasid), "Process Address Space ID", Pcie("7.8.8"),
        [
            Header(),
            Whole(0x04, 2, "PASID Capability", RO, Pcie("7.8.8.2")),
            R(0x06, 2, "PASID Control", ctl,
                F(0, 1, "PASID Enable", RW, ctl),
                F(1, 1, "Execute Permission Enable", RsvdP, ctl).Except(When.OwnBit(0x04, 0x2, "PASID Capability Execute Permission Supported (bit 1) set", 2), RW),
                F(2, 1, "Privileged Mode Enable", RsvdP, ctl).Except(When.OwnBit(0x04, 0x4, "PASID Capability Privileged Mode Supported (bit 2) set", 2), RW),
                F(3, 13, "Reserved", RsvdP, ctl)),
        ]);
    }

    public static StructureSpec DeviceSerialNumber() =>
        new(StructureKey.Extended((int)ExtendedCapabilityId.Dsn), "Device Serial Number", Pcie("7.9.3"),
        [
            Header(),
            Whole(0x04, 4, "Serial Number (lower)", RO, Pcie("7.9.3.2")),
            Whole(0x08, 4, "Serial Number (upper)", RO, Pcie("7.9.3.2")),
        ]);

    public static StructureSpec VendorSpecificExtended() =>
        new(StructureKey.Extended((int)ExtendedCapabilityId.Vendor), "Vendor-Specific Extended", Pcie("7.9.5"),
        [Header(), Whole(0x04, 4, "Vendor-Specific Header", RO, Pcie("7.9.5.2"))])
        { Note = "the body is vendor-defined: modelled read-only" };

    public static StructureSpec DesignatedVendorSpecific() =>
        new(StructureKey.Extended((int)ExtendedCapabilityId.Dvsec), "Designated Vendor-Specific", Pcie("7.9.6"),
        [Header(), Whole(0x04, 4, "DVSEC Header 1", RO, Pcie("7.9.6.2")), Whole(0x08, 2, "DVSEC Header 2", RO, Pcie("7.9.6.3"))])
        { Note = "the body is vendor-defined: modelled read-only" };
}
