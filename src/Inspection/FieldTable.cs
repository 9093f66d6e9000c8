using Preconfig.ConfigSpace.Registers;
using static Preconfig.Inspection.FieldFormat;

namespace Preconfig.Inspection;

/// <summary>
/// The one table that drives decoding, diff and display: every register replay touches (and the identity and
/// capability registers a reader wants beside them), with named fields. Offsets come from Registers/ (pciutils'
/// lib/header.h names); field names are the ones lspci -vvv prints where it prints one (DevCtl MaxReadReq, LnkCtl
/// ASPM), and the header.h bit names otherwise (Command.BusMaster, Status.RecMasterAbort).
/// </summary>
public static class FieldTable
{
    private static readonly string[] PowerStates = ["D0", "D1", "D2", "D3hot"];
    private static readonly string[] Devsel = ["fast", "medium", "slow", "reserved"];
    private static readonly string[] InterruptPins = ["none", "INTA", "INTB", "INTC", "INTD"];
    private static readonly string[] Aspm = ["Disabled", "L0s", "L1", "L0s L1"];
    private static readonly string[] Rcb = ["64", "128"];
    private static readonly string[] Indicator = ["reserved", "On", "Blink", "Off"];
    private static readonly string[] LinkSpeed = ["", "2.5GT/s", "5GT/s", "8GT/s", "16GT/s", "32GT/s", "64GT/s"];
    private static readonly string[] Obff = ["Disabled", "ViaMessageA", "ViaMessageB", "ViaWAKE#"];
    private static readonly string[] PortTypes =
        ["Endpoint", "LegacyEndpoint", "", "", "RootPort", "Upstream", "Downstream", "PCIe-PCI", "PCI-PCIe", "RCiEP", "RCEC"];

    // PCI_EXP_DEVCTL2_COMP_TIMEOUT values as lspci prints them (cap_express_dev2_timeout_value).
    private static readonly string[] CompletionTimeout =
        ["50us-50ms", "50us-100us", "1ms-10ms", "", "", "16ms-55ms", "65ms-210ms", "", "", "260ms-900ms", "1s-3.5s", "", "", "4s-13s", "17s-64s", ""];

    // Declared after the name arrays above: static initializers run in text order and Build() reads them.
    public static IReadOnlyList<RegisterDef> Registers { get; } = Build();

    /// <summary>Every field, in table order.</summary>
    public static IReadOnlyList<FieldDef> Fields { get; } = [.. Registers.SelectMany(r => r.Fields)];

    /// <summary>Every distinct field name, in table order; <see cref="FieldDef.NameIndex"/> points here.</summary>
    public static IReadOnlyList<string> Names { get; } = IndexNames();

    private static List<string> IndexNames()
    {
        var names = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var f in Fields)
        {
            if (!index.TryGetValue(f.Name, out int i)) { i = names.Count; index[f.Name] = i; names.Add(f.Name); }
            f.NameIndex = i;
        }
        return names;
    }

    private static FieldDef Bit(string name, uint mask) => new(name, mask, Flag, null);
    private static FieldDef Bits(string name, uint mask, FieldFormat format = Number, string[]? names = null) => new(name, mask, format, names);

    private static RegisterDef Reg(FieldScope scope, ushort cap, string name, int offset, int width, params FieldDef[] fields) =>
        new(name, name, scope, cap, offset, width, null, null, fields);

    private static RegisterDef Whole(FieldScope scope, ushort cap, string name, int offset, int width, FieldFormat format = Hex,
        Func<DecodeContext, bool>? applies = null, string? line = null, string[]? names = null)
    {
        uint mask = width == 4 ? 0xffffffffu : (1u << (width * 8)) - 1;
        return new RegisterDef(name, name, scope, cap, offset, width, applies, line, [new FieldDef("", mask, format, names)]);
    }

    private static RegisterDef Hdr(string name, int offset, int width, FieldFormat format = Hex, string? line = null) =>
        Whole(FieldScope.Header, 0, name, offset, width, format, line: line);

    private static IReadOnlyList<RegisterDef> Build()
    {
        const FieldScope H = FieldScope.Header, T0 = FieldScope.Type0, T1 = FieldScope.Type1, T2 = FieldScope.Type2;
        const FieldScope C = FieldScope.Capability, X = FieldScope.ExtendedCapability;
        ushort pm = (ushort)CapabilityId.PowerManagement, msi = (ushort)CapabilityId.Msi, msix = (ushort)CapabilityId.MsiX;
        ushort exp = (ushort)CapabilityId.Express;
        ushort aer = (ushort)ExtendedCapabilityId.Aer, acs = (ushort)ExtendedCapabilityId.Acs, ltr = (ushort)ExtendedCapabilityId.Ltr;
        ushort ari = (ushort)ExtendedCapabilityId.Ari, l1pm = (ushort)ExtendedCapabilityId.L1PmSubstates;
        ushort ptm = (ushort)ExtendedCapabilityId.Ptm, dpc = (ushort)ExtendedCapabilityId.Dpc;

        var list = new List<RegisterDef>
        {
            // Identity: not written by replay, but a change here means a different device.
            Hdr("VendorId", Header.VendorId, 2, line: "Id"),
            Hdr("DeviceId", Header.DeviceId, 2, line: "Id"),
            Hdr("Revision", Header.RevisionId, 1, line: "Id"),
            Whole(H, 0, "ProgIf", Header.ClassProg, 1, line: "Class"),
            Whole(H, 0, "Class", Header.ClassDevice, 2, line: "Class"),
            Reg(H, 0, "Command", Header.Command, 2,
                Bit(nameof(Command.Io), (uint)Command.Io), Bit(nameof(Command.Memory), (uint)Command.Memory),
                Bit(nameof(Command.BusMaster), (uint)Command.BusMaster), Bit(nameof(Command.Special), (uint)Command.Special),
                Bit(nameof(Command.Invalidate), (uint)Command.Invalidate), Bit(nameof(Command.VgaPalette), (uint)Command.VgaPalette),
                Bit(nameof(Command.Parity), (uint)Command.Parity), Bit(nameof(Command.Wait), (uint)Command.Wait),
                Bit(nameof(Command.Serr), (uint)Command.Serr), Bit(nameof(Command.Fast), (uint)Command.Fast),
                Bit(nameof(Command.IntxDisable), (uint)Command.IntxDisable), Bits("Reserved", 0xf800, Hex)),
            Reg(H, 0, "Status", Header.Status, 2, StatusBits(includeCapList: true)),
            Hdr("CacheLineSize", Header.CacheLineSize, 1, Times4, line: "Latency"),
            Hdr("LatencyTimer", Header.LatencyTimer, 1, Number, line: "Latency"),
            Reg(H, 0, "HeaderType", Header.HeaderType, 1,
                Bits("Layout", Header.HeaderTypeMask), Bit("MultiFunction", Header.HeaderTypeMultiFunction)),
            Hdr("BIST", Header.Bist, 1),
            Hdr("InterruptLine", Header.InterruptLine, 1, Number, line: "Interrupt"),
            Whole(H, 0, "InterruptPin", Header.InterruptPin, 1, Named, line: "Interrupt", names: InterruptPins),
        };

        for (int i = 0; i < Type0.BarCount; i++)
            list.Add(Whole(T0, 0, $"BAR{i}", Type0.BaseAddress0 + 4 * i, 4));
        list.Add(Whole(T0, 0, "CardbusCIS", Type0.CardbusCis, 4));
        list.Add(Whole(T0, 0, "SubsystemVendorId", Type0.SubsystemVendorId, 2, line: "Subsystem"));
        list.Add(Whole(T0, 0, "SubsystemId", Type0.SubsystemId, 2, line: "Subsystem"));
        list.Add(Whole(T0, 0, "ROM", Type0.RomAddress, 4));
        list.Add(Whole(T0, 0, "MinGnt", Type0.MinGnt, 1, Number, line: "Latency"));
        list.Add(Whole(T0, 0, "MaxLat", Type0.MaxLat, 1, Number, line: "Latency"));

        for (int i = 0; i < Type1.BarCount; i++)
            list.Add(Whole(T1, 0, $"BAR{i}", Type1.BaseAddress0 + 4 * i, 4));
        list.Add(Whole(T1, 0, "Bridge.PrimaryBus", Type1.PrimaryBus, 1, line: "Bus"));
        list.Add(Whole(T1, 0, "Bridge.SecondaryBus", Type1.SecondaryBus, 1, line: "Bus"));
        list.Add(Whole(T1, 0, "Bridge.SubordinateBus", Type1.SubordinateBus, 1, line: "Bus"));
        list.Add(Whole(T1, 0, "Bridge.SecLatencyTimer", Type1.SecLatencyTimer, 1, Number, line: "Bus"));
        list.Add(Whole(T1, 0, "Bridge.IoBase", Type1.IoBase, 1, line: "I/O window"));
        list.Add(Whole(T1, 0, "Bridge.IoLimit", Type1.IoLimit, 1, line: "I/O window"));
        list.Add(Whole(T1, 0, "Bridge.IoBaseUpper16", Type1.IoBaseUpper16, 2, line: "I/O window"));
        list.Add(Whole(T1, 0, "Bridge.IoLimitUpper16", Type1.IoLimitUpper16, 2, line: "I/O window"));
        list.Add(Reg(T1, 0, "Bridge.SecStatus", Type1.SecStatus, 2, StatusBits(includeCapList: false)));
        list.Add(Whole(T1, 0, "Bridge.MemoryBase", Type1.MemoryBase, 2, line: "Memory window"));
        list.Add(Whole(T1, 0, "Bridge.MemoryLimit", Type1.MemoryLimit, 2, line: "Memory window"));
        list.Add(Whole(T1, 0, "Bridge.PrefMemoryBase", Type1.PrefMemoryBase, 2, line: "Prefetchable window"));
        list.Add(Whole(T1, 0, "Bridge.PrefMemoryLimit", Type1.PrefMemoryLimit, 2, line: "Prefetchable window"));
        list.Add(Whole(T1, 0, "Bridge.PrefBaseUpper32", Type1.PrefBaseUpper32, 4, line: "Prefetchable window"));
        list.Add(Whole(T1, 0, "Bridge.PrefLimitUpper32", Type1.PrefLimitUpper32, 4, line: "Prefetchable window"));
        list.Add(Whole(T1, 0, "ROM", Type1.RomAddress, 4));
        list.Add(Reg(T1, 0, "Bridge.Control", Type1.BridgeControl, 2,
            Bit(nameof(BridgeControl.Parity), (uint)BridgeControl.Parity), Bit(nameof(BridgeControl.Serr), (uint)BridgeControl.Serr),
            Bit(nameof(BridgeControl.NoIsa), (uint)BridgeControl.NoIsa), Bit(nameof(BridgeControl.Vga), (uint)BridgeControl.Vga),
            Bit(nameof(BridgeControl.Vga16), (uint)BridgeControl.Vga16), Bit(nameof(BridgeControl.MasterAbort), (uint)BridgeControl.MasterAbort),
            Bit(nameof(BridgeControl.BusReset), (uint)BridgeControl.BusReset), Bit(nameof(BridgeControl.FastBack), (uint)BridgeControl.FastBack),
            Bit(nameof(BridgeControl.PriDiscardTimer), (uint)BridgeControl.PriDiscardTimer),
            Bit(nameof(BridgeControl.SecDiscardTimer), (uint)BridgeControl.SecDiscardTimer),
            Bit(nameof(BridgeControl.DiscardTimerStatus), (uint)BridgeControl.DiscardTimerStatus),
            Bit(nameof(BridgeControl.DiscardTimerSerrEn), (uint)BridgeControl.DiscardTimerSerrEn), Bits("Reserved", 0xf000, Hex)));

        list.Add(Whole(T2, 0, "CardBus.SocketBase", Type2.SocketBase, 4));
        list.Add(Whole(T2, 0, "CardBus.PrimaryBus", Type2.PrimaryBus, 1, line: "Bus"));
        list.Add(Whole(T2, 0, "CardBus.CardBus", Type2.CardBus, 1, line: "Bus"));
        list.Add(Whole(T2, 0, "CardBus.SubordinateBus", Type2.SubordinateBus, 1, line: "Bus"));
        list.Add(Whole(T2, 0, "CardBus.LatencyTimer", Type2.LatencyTimer, 1, Number, line: "Bus"));
        list.Add(Whole(T2, 0, "CardBus.MemoryBase0", Type2.MemoryBase0, 4, line: "Memory window 0"));
        list.Add(Whole(T2, 0, "CardBus.MemoryLimit0", Type2.MemoryLimit0, 4, line: "Memory window 0"));
        list.Add(Whole(T2, 0, "CardBus.MemoryBase1", Type2.MemoryBase1, 4, line: "Memory window 1"));
        list.Add(Whole(T2, 0, "CardBus.MemoryLimit1", Type2.MemoryLimit1, 4, line: "Memory window 1"));
        list.Add(Whole(T2, 0, "CardBus.IoBase0", Type2.IoBase0, 4, line: "I/O window 0"));
        list.Add(Whole(T2, 0, "CardBus.IoLimit0", Type2.IoLimit0, 4, line: "I/O window 0"));
        list.Add(Whole(T2, 0, "CardBus.IoBase1", Type2.IoBase1, 4, line: "I/O window 1"));
        list.Add(Whole(T2, 0, "CardBus.IoLimit1", Type2.IoLimit1, 4, line: "I/O window 1"));
        list.Add(Whole(T2, 0, "CardBus.BridgeControl", Type2.BridgeControl, 2));

        // Power management: the power state replay must not leave behind.
        list.Add(new RegisterDef("PM.Ctrl", "PM", C, pm, PowerManagement.Ctrl, 2, null, "PM",
        [
            Bits("PowerState", PowerManagement.CtrlStateMask, Named, PowerStates), Bit("NoSoftReset", PowerManagement.CtrlNoSoftReset),
            Bit("PMEEnable", PowerManagement.CtrlPmeEnable), Bit("PMEStatus", PowerManagement.CtrlPmeStatus),
        ]));

        // MSI: fields named MSI.Enable, MSI.Count ... (the register is Message Control).
        list.Add(new RegisterDef("MSI.Flags", "MSI", C, msi, Msi.Flags, 2, null, "MSI",
        [
            Bit("Enable", Msi.FlagsEnable), Bits("Count", Msi.FlagsQmask, Pow2), Bits("CountEnabled", Msi.FlagsQsize, Pow2),
            Bit("64bit", Msi.Flags64Bit), Bit("Maskable", Msi.FlagsMaskBit),
        ]));
        list.Add(Whole(C, msi, "MSI.AddressLo", Msi.AddressLo, 4, line: "MSI address"));
        list.Add(Whole(C, msi, "MSI.AddressHi", Msi.AddressHi, 4, applies: c => c.Msi64Bit, line: "MSI address"));
        list.Add(Whole(C, msi, "MSI.Data", Msi.Data32, 2, applies: c => !c.Msi64Bit, line: "MSI address"));
        list.Add(Whole(C, msi, "MSI.Data", Msi.Data64, 2, applies: c => c.Msi64Bit, line: "MSI address"));
        list.Add(Whole(C, msi, "MSI.Mask", Msi.Mask32, 4, applies: c => c.MsiMaskBit && !c.Msi64Bit, line: "MSI mask"));
        list.Add(Whole(C, msi, "MSI.Mask", Msi.Mask64, 4, applies: c => c.MsiMaskBit && c.Msi64Bit, line: "MSI mask"));

        list.Add(new RegisterDef("MSIX.Flags", "MSIX", C, msix, MsiX.Flags, 2, null, "MSI-X",
            [Bit("Enable", MsiX.FlagsEnable), Bit("FunctionMask", MsiX.FlagsMaskAll), Bits("TableSize", MsiX.FlagsTableSize, Plus1)]));
        list.Add(Whole(C, msix, "MSIX.Table", MsiX.Table, 4, line: "MSI-X table"));
        list.Add(Whole(C, msix, "MSIX.PBA", MsiX.Pba, 4, line: "MSI-X table"));

        list.Add(Reg(C, exp, "PCIe.Flags", PciExpress.Flags, 2,
            Bits("Version", PciExpress.FlagsVersionMask), Bits("Type", PciExpress.FlagsTypeMask, Named, PortTypes),
            Bit("Slot", PciExpress.FlagsSlot), Bits("IRQ", 0x3e00)));
        list.Add(Reg(C, exp, "PCIe.DevCap", PciExpress.DevCap, 4,
            Bits("MaxPayload", 0x7, Bytes128), Bit("FLReset", PciExpress.DevCapFlr), Bits("Other", ~(0x7u | PciExpress.DevCapFlr), Hex)));
        list.Add(Reg(C, exp, "PCIe.DevCtl", PciExpress.DevCtl, 2,
            Bit("CorrErr", PciExpress.DevCtlCere), Bit("NonFatalErr", PciExpress.DevCtlNfere), Bit("FatalErr", PciExpress.DevCtlFere),
            Bit("UnsupReq", PciExpress.DevCtlUrre), Bit("RlxdOrd", PciExpress.DevCtlRelaxedOrdering),
            Bits("MaxPayload", PciExpress.DevCtlPayloadMask, Bytes128), Bit("ExtTag", PciExpress.DevCtlExtTag),
            Bit("PhantFunc", PciExpress.DevCtlPhantom), Bit("AuxPwr", PciExpress.DevCtlAuxPower), Bit("NoSnoop", PciExpress.DevCtlNoSnoop),
            Bits("MaxReadReq", PciExpress.DevCtlReadRqMask, Bytes128),
            // Initiate FLR on endpoints, Bridge Configuration Retry Enable on PCIe-to-PCI bridges: one bit.
            Bit("FLReset", PciExpress.DevCtlFlReset)));
        list.Add(Reg(C, exp, "PCIe.DevSta", PciExpress.DevSta, 2,
            Bit("CorrErr", 0x1), Bit("NonFatalErr", 0x2), Bit("FatalErr", 0x4), Bit("UnsupReq", 0x8), Bit("AuxPwr", 0x10),
            Bit("TransPend", PciExpress.DevStaTransactionsPending)));
        list.Add(LinkReg("PCIe.LnkCap", PciExpress.LnkCap, 4,
            Bits("Speed", 0xf, Named, LinkSpeed), Bits("Width", 0x3f0, FieldFormat.Width), Bits("ASPM", 0xc00, Named, Aspm),
            Bits("Port", 0xff000000), Bits("Other", 0x00fff000, Hex)));
        list.Add(LinkReg("PCIe.LnkCtl", PciExpress.LnkCtl, 2,
            Bits("ASPM", PciExpress.LnkCtlAspmMask, Named, Aspm), Bits("RCB", PciExpress.LnkCtlRcb, Named, Rcb),
            Bit("LnkDisable", PciExpress.LnkCtlDisable), Bit("Retrain", PciExpress.LnkCtlRetrain),
            Bit("CommClk", PciExpress.LnkCtlCommonClock), Bit("ExtSynch", PciExpress.LnkCtlExtSync),
            Bit("ClockPM", PciExpress.LnkCtlClockPm), Bit("AutWidDis", PciExpress.LnkCtlHwAutoWidthDisable),
            Bit("BWInt", PciExpress.LnkCtlBwMgmtIntEnable), Bit("AutBWInt", PciExpress.LnkCtlAutoBwIntEnable)));
        list.Add(LinkReg("PCIe.LnkSta", PciExpress.LnkSta, 2,
            Bits("Speed", 0xf, Named, LinkSpeed), Bits("Width", 0x3f0, FieldFormat.Width), Bit("TrErr", 0x400), Bit("Train", 0x800),
            Bit("SlotClk", 0x1000), Bit("DLActive", 0x2000), Bit("BWMgmt", 0x4000), Bit("ABWMgmt", 0x8000)));
        list.Add(Whole(C, exp, "PCIe.SltCap", PciExpress.SltCap, 4, applies: c => c.HasSlot));
        list.Add(new RegisterDef("PCIe.SltCtl", "PCIe.SltCtl", C, exp, PciExpress.SltCtl, 2, c => c.HasSlot, null,
        [
            Bit("AttnBtn", 0x1), Bit("PwrFlt", 0x2), Bit("MRL", 0x4), Bit("PresDet", 0x8), Bit("CmdCplt", 0x10), Bit("HPIrq", 0x20),
            Bits("AttnInd", 0xc0, Named, Indicator), Bits("PwrInd", 0x300, Named, Indicator), Bit("PowerOff", 0x400),
            Bit("Interlock", 0x800), Bit("LinkChg", 0x1000),
        ]));
        list.Add(new RegisterDef("PCIe.SltSta", "PCIe.SltSta", C, exp, PciExpress.SltSta, 2, c => c.HasSlot, null,
        [
            Bit("AttnBtn", 0x1), Bit("PowerFlt", 0x2), Bit("MRLChg", 0x4), Bit("PresDetChg", 0x8), Bit("CmdCplt", 0x10),
            Bit("MRLOpen", 0x20), Bit("PresDet", 0x40), Bit("Interlock", 0x80), Bit("LinkChg", 0x100),
        ]));
        list.Add(new RegisterDef("PCIe.RootCtl", "PCIe.RootCtl", C, exp, PciExpress.RootCtl, 2, c => c.HasRootRegisters, null,
            [Bit("ErrCorrectable", 0x1), Bit("ErrNonFatal", 0x2), Bit("ErrFatal", 0x4), Bit("PMEIntEna", 0x8), Bit("CRSVisible", 0x10)]));
        list.Add(Whole(C, exp, "PCIe.RootCap", PciExpress.RootCap, 2, applies: c => c.HasRootRegisters));
        list.Add(Whole(C, exp, "PCIe.RootSta", PciExpress.RootSta, 4, applies: c => c.HasRootRegisters));
        list.Add(Whole(C, exp, "PCIe.DevCap2", PciExpress.DevCap2, 4, applies: c => c.HasExpressV2));
        list.Add(new RegisterDef("PCIe.DevCtl2", "PCIe.DevCtl2", C, exp, PciExpress.DevCtl2, 2, c => c.HasExpressV2, null,
        [
            Bits("CompletionTimeout", 0xf, Named, CompletionTimeout), Bit("TimeoutDis", 0x10), Bit("ARIFwd", 0x20),
            Bit("AtomicOpsReq", 0x40), Bit("AtomicOpsEgressBlock", 0x80), Bit("IDOReq", 0x100), Bit("IDOCompl", 0x200),
            Bit("LTR", PciExpress.DevCtl2LtrEnable), Bit("EmergencyPowerReduction", 0x800), Bit("10BitTagReq", 0x1000),
            Bits("OBFF", 0x6000, Named, Obff), Bit("EETLPPrefixBlk", 0x8000),
        ]));
        list.Add(Whole(C, exp, "PCIe.LnkCap2", PciExpress.LnkCap2, 4, applies: c => c.HasExpressV2 && c.HasLink));
        list.Add(new RegisterDef("PCIe.LnkCtl2", "PCIe.LnkCtl2", C, exp, PciExpress.LnkCtl2, 2, c => c.HasExpressV2 && c.HasLink, null,
        [
            Bits("TargetSpeed", 0xf, Named, LinkSpeed), Bit("EnterCompliance", 0x10), Bit("HWAutSpeedDis", 0x20),
            Bit("SelectableDeEmph", 0x40), Bits("TransmitMargin", 0x380), Bit("EnterModifiedCompliance", 0x400),
            Bit("ComplianceSOS", 0x800), Bits("CompliancePreset", 0xf000),
        ]));
        list.Add(Whole(C, exp, "PCIe.LnkSta2", PciExpress.LnkSta2, 2, applies: c => c.HasExpressV2 && c.HasLink));
        list.Add(Whole(C, exp, "PCIe.SltCtl2", PciExpress.SltCtl2, 2, applies: c => c.HasExpressV2 && c.HasSlot));

        list.Add(Whole(X, aer, "AER.UncorStatus", Aer.UncorStatus, 4, line: "AER uncorrectable"));
        list.Add(Whole(X, aer, "AER.UncorMask", Aer.UncorMask, 4, line: "AER uncorrectable"));
        list.Add(Whole(X, aer, "AER.UncorSeverity", Aer.UncorSeverity, 4, line: "AER uncorrectable"));
        list.Add(Whole(X, aer, "AER.CorStatus", Aer.CorStatus, 4, line: "AER correctable"));
        list.Add(Whole(X, aer, "AER.CorMask", Aer.CorMask, 4, line: "AER correctable"));
        list.Add(Reg(X, aer, "AER.Cap", Aer.Cap, 4,
            Bits("FirstErrPtr", 0x1f, Hex), Bit("ECRCGenCap", 0x20), Bit("ECRCGenEn", Aer.CapEcrcGenEnable), Bit("ECRCChkCap", 0x80),
            Bit("ECRCChkEn", Aer.CapEcrcCheckEnable), Bit("MultHdrRecCap", 0x200), Bit("MultHdrRecEn", 0x400),
            Bit("TLPPfxPres", 0x800), Bit("HdrLogCap", 0x1000)));
        list.Add(new RegisterDef("AER.RootCmd", "AER.RootCmd", X, aer, Aer.RootCommand, 4, c => c.HasRootRegisters, null,
            [Bit("CERptEn", 0x1), Bit("NFERptEn", 0x2), Bit("FERptEn", 0x4)]));
        list.Add(Whole(X, aer, "AER.RootSta", Aer.RootStatus, 4, applies: c => c.HasRootRegisters));
        list.Add(Whole(X, aer, "AER.ErrorSrc", Aer.RootErrorSource, 4, applies: c => c.HasRootRegisters));

        list.Add(Whole(X, acs, "ACS.Cap", Acs.Cap, 2));
        list.Add(Reg(X, acs, "ACS.Ctrl", Acs.Ctrl, 2,
            Bit("SrcValid", 0x1), Bit("TransBlk", 0x2), Bit("ReqRedir", 0x4), Bit("CmpltRedir", 0x8), Bit("UpstreamFwd", 0x10),
            Bit("EgressCtrl", 0x20), Bit("DirectTrans", 0x40), Bits("Other", 0xff80, Hex)));

        list.Add(Whole(X, ltr, "LTR.MaxSnoop", Ltr.MaxSnoopLatency, 2, LtrLatency, line: "LTR"));
        list.Add(Whole(X, ltr, "LTR.MaxNoSnoop", Ltr.MaxNoSnoopLatency, 2, LtrLatency, line: "LTR"));
        list.Add(Reg(X, ari, "ARI.Ctrl", Ari.Ctrl, 2, Bit("MFVC", 0x1), Bit("ACS", 0x2), Bits("FunctionGroup", 0x70), Bits("Other", 0xff8c, Hex)));
        list.Add(Whole(X, l1pm, "L1PM.Ctl1", L1PmSubstates.Ctl1, 4, line: "L1PM"));
        list.Add(Whole(X, l1pm, "L1PM.Ctl2", L1PmSubstates.Ctl2, 4, line: "L1PM"));
        list.Add(Reg(X, ptm, "PTM.Ctrl", Ptm.Ctrl, 4, Bit("Enabled", 0x1), Bit("RootSelected", 0x2), Bits("Granularity", 0xff00), Bits("Other", 0xffff00fc, Hex)));
        list.Add(Whole(X, dpc, "DPC.Ctrl", Dpc.Ctrl, 2));
        list.Add(Whole(X, dpc, "DPC.Status", Dpc.Status, 2));
        return list;

        RegisterDef LinkReg(string name, int offset, int width, params FieldDef[] fields) =>
            new(name, name, C, exp, offset, width, c => c.HasLink, null, fields);
    }

    /// <summary>PCI_STATUS and the bridge's secondary status share their bits (Capabilities List only in the first).</summary>
    private static FieldDef[] StatusBits(bool includeCapList)
    {
        var bits = new List<FieldDef>
        {
            Bit(nameof(Status.ImmReady), (uint)Status.ImmReady), Bit(nameof(Status.Interrupt), (uint)Status.Interrupt),
        };
        if (includeCapList) bits.Add(Bit(nameof(Status.CapList), (uint)Status.CapList));
        bits.AddRange(
        [
            Bit(nameof(Status.Mhz66), (uint)Status.Mhz66), Bit(nameof(Status.Udf), (uint)Status.Udf),
            Bit(nameof(Status.FastBack), (uint)Status.FastBack), Bit(nameof(Status.Parity), (uint)Status.Parity),
            Bits("Devsel", (uint)Status.DevselMask, Named, Devsel), Bit(nameof(Status.SigTargetAbort), (uint)Status.SigTargetAbort),
            Bit(nameof(Status.RecTargetAbort), (uint)Status.RecTargetAbort), Bit(nameof(Status.RecMasterAbort), (uint)Status.RecMasterAbort),
            Bit(nameof(Status.SigSystemError), (uint)Status.SigSystemError), Bit(nameof(Status.DetectedParity), (uint)Status.DetectedParity),
            Bits("Reserved", includeCapList ? 0x6u : 0x16u, Hex),
        ]);
        return [.. bits];
    }
}
