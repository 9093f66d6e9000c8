using Preconfig.Inspection;

namespace Preconfig.Tests.Inspection;

/// <summary>
/// Field decoding against values computed by hand from the hex rows of real dumps (the comment beside each value
/// shows the bytes and the arithmetic; lspci -vvv agrees with each).
/// </summary>
public class FieldDecodingTests
{
    private static Dictionary<string, string> Fields(string dump, string address)
    {
        var record = InspectionTestData.Load(dump).Find(PciAddress.Parse(address))!;
        var result = new Dictionary<string, string>();
        foreach (var f in DeviceDecoder.Decode(record.Config)) result[f.Name] = f.Display;
        return result;
    }

    [Fact]
    public void HaswellRootPortDecodesAsComputedByHand()
    {
        var f = Fields("pciutils-tests/cap-aer-root", "00:02.0");
        // 04: 07 00 -> Command 0x0007: I/O, memory, bus master
        Assert.Equal("1", f["Command.Io"]);
        Assert.Equal("1", f["Command.BusMaster"]);
        Assert.Equal("0", f["Command.IntxDisable"]);
        // 06: 10 00 -> Status 0x0010: capability list, DEVSEL fast, no error
        Assert.Equal("1", f["Status.CapList"]);
        Assert.Equal("fast", f["Status.Devsel"]);
        Assert.Equal("0", f["Status.RecMasterAbort"]);
        // 0c: 10 -> 16 dwords = 64 bytes
        Assert.Equal("64", f["CacheLineSize"]);
        // 18: 00 03 03 -> primary 0, secondary 3, subordinate 3
        Assert.Equal("0x00", f["Bridge.PrimaryBus"]);
        Assert.Equal("0x03", f["Bridge.SecondaryBus"]);
        Assert.Equal("0x03", f["Bridge.SubordinateBus"]);
        // 1e: 00 20 -> secondary status 0x2000: received master abort (lspci <MAbort+)
        Assert.Equal("1", f["Bridge.SecStatus.RecMasterAbort"]);
        // 3e: 10 00 -> bridge control 0x0010: VGA 16-bit decode
        Assert.Equal("1", f["Bridge.Control.Vga16"]);
        Assert.Equal("0", f["Bridge.Control.BusReset"]);
        // 3d: 01 -> INTA
        Assert.Equal("INTA", f["InterruptPin"]);
        Assert.Equal("11", f["InterruptLine"]);
        // MSI at 60, flags 62: 02 01 -> 0x0102: disabled, QMASK 1 (2 vectors), QSIZE 0 (1), 32-bit, maskable
        Assert.Equal("0", f["MSI.Enable"]);
        Assert.Equal("2", f["MSI.Count"]);
        Assert.Equal("1", f["MSI.CountEnabled"]);
        Assert.Equal("0", f["MSI.64bit"]);
        Assert.Equal("1", f["MSI.Maskable"]);
        Assert.Equal("0x00000000", f["MSI.Mask"]);   // at 60 + 0c (32-bit layout)
        // Express at 90, flags 92: 42 00 -> version 2, type 4 (root port), no slot
        Assert.Equal("RootPort", f["PCIe.Flags.Type"]);
        Assert.Equal("0", f["PCIe.Flags.Slot"]);
        Assert.False(f.ContainsKey("PCIe.SltCtl.PresDet"));
        // DevCtl 98: 20 00 -> payload (0x20 >> 5) = 1 -> 256 bytes; read request 0 -> 128 bytes
        Assert.Equal("256", f["PCIe.DevCtl.MaxPayload"]);
        Assert.Equal("128", f["PCIe.DevCtl.MaxReadReq"]);
        Assert.Equal("0", f["PCIe.DevCtl.CorrErr"]);
        // LnkCtl a0: 40 00 -> ASPM disabled, common clock
        Assert.Equal("Disabled", f["PCIe.LnkCtl.ASPM"]);
        Assert.Equal("1", f["PCIe.LnkCtl.CommClk"]);
        // LnkSta a2: 83 70 -> 0x7083: speed 3 (8GT/s), width (0x080 >> 4) = 8, SlotClk, DLActive, BWMgmt
        Assert.Equal("8GT/s", f["PCIe.LnkSta.Speed"]);
        Assert.Equal("x8", f["PCIe.LnkSta.Width"]);
        Assert.Equal("1", f["PCIe.LnkSta.DLActive"]);
        // RootCtl ac: 00 00; root port registers exist
        Assert.Equal("0", f["PCIe.RootCtl.PMEIntEna"]);
        // DevCtl2 b8: 20 00 -> ARI forwarding, completion timeout 0 (50us-50ms)
        Assert.Equal("1", f["PCIe.DevCtl2.ARIFwd"]);
        Assert.Equal("50us-50ms", f["PCIe.DevCtl2.CompletionTimeout"]);
        Assert.Equal("0", f["PCIe.DevCtl2.LTR"]);
        // LnkCtl2 c0: 03 00 -> target speed 3 (8GT/s)
        Assert.Equal("8GT/s", f["PCIe.LnkCtl2.TargetSpeed"]);
        // PM at e0, control e4: 08 00 -> D0, No_Soft_Reset
        Assert.Equal("D0", f["PM.PowerState"]);
        Assert.Equal("1", f["PM.NoSoftReset"]);
        // ACS at 110, control 116: 1f 00 -> SrcValid TransBlk ReqRedir CmpltRedir UpstreamFwd
        Assert.Equal("1", f["ACS.Ctrl.SrcValid"]);
        Assert.Equal("1", f["ACS.Ctrl.UpstreamFwd"]);
        Assert.Equal("0", f["ACS.Ctrl.EgressCtrl"]);
        // AER at 148: severity DLP SDES FCP RxOF MalfTLP = bits 4 5 13 17 18 = 0x00062030; CorMask bit 13 (AdvNonFatalErr)
        Assert.Equal("0x00062030", f["AER.UncorSeverity"]);
        Assert.Equal("0x00000000", f["AER.UncorMask"]);
        Assert.Equal("0x00002000", f["AER.CorMask"]);
    }

    [Fact]
    public void PlxDownstreamPortWithSlotDecodesAsComputedByHand()
    {
        var f = Fields("pciutils-tests/cap-dpc", "05:01.0");
        // 04: 07 05 -> 0x0507: I/O, memory, bus master, SERR, INTx disable
        Assert.Equal("1", f["Command.Serr"]);
        Assert.Equal("1", f["Command.IntxDisable"]);
        // MSI at 48, flags 4a: 87 01 -> 0x0187: enabled, QMASK 3 (8 vectors), 64-bit, maskable
        Assert.Equal("1", f["MSI.Enable"]);
        Assert.Equal("8", f["MSI.Count"]);
        Assert.Equal("1", f["MSI.64bit"]);
        // Express at 68, flags 6a: 62 01 -> version 2, type 6 (downstream), slot implemented
        Assert.Equal("Downstream", f["PCIe.Flags.Type"]);
        // DevSta 72: 09 00 -> correctable error and unsupported request detected
        Assert.Equal("1", f["PCIe.DevSta.CorrErr"]);
        Assert.Equal("1", f["PCIe.DevSta.UnsupReq"]);
        // SltCtl 80: f8 11 -> 0x11f8: PresDet CmdCplt HPIrq, AttnInd 3 (Off), PwrInd 1 (On), power on, LinkChg
        Assert.Equal("1", f["PCIe.SltCtl.PresDet"]);
        Assert.Equal("1", f["PCIe.SltCtl.HPIrq"]);
        Assert.Equal("0", f["PCIe.SltCtl.AttnBtn"]);
        Assert.Equal("Off", f["PCIe.SltCtl.AttnInd"]);
        Assert.Equal("On", f["PCIe.SltCtl.PwrInd"]);
        Assert.Equal("0", f["PCIe.SltCtl.PowerOff"]);
        Assert.Equal("1", f["PCIe.SltCtl.LinkChg"]);
        // No root registers on a switch port.
        Assert.False(f.ContainsKey("PCIe.RootCtl.PMEIntEna"));
    }

    [Fact]
    public void EveryFieldNameIsUniquePerDefinitionAndFormatsAreOneToOne()
    {
        foreach (var field in FieldTable.Fields)
        {
            // Two different values must never print the same: diff relies on it.
            uint max = field.Mask >> field.Shift;
            int limit = (int)Math.Min(max, 64);
            var seen = new HashSet<string>();
            for (uint v = 0; v <= limit; v++) Assert.True(seen.Add(field.Display(v)), $"{field.Name}: {v} prints like another value");
        }
        // The same name is defined twice only where a register moves (MSI data and mask follow 64-bit addressing)
        // or where header types 0 and 1 both have it (BAR0, BAR1, ROM).
        var twice = FieldTable.Fields.GroupBy(f => f.Name).Where(g => g.Count() > 1).Select(g => g.Key).Order();
        Assert.Equal(["BAR0", "BAR1", "MSI.Data", "MSI.Mask", "ROM"], twice);
    }

    [Fact]
    public void DeviceViewPrintsLspciLikeLines()
    {
        var snapshot = InspectionTestData.Load("pciutils-tests/cap-dpc");
        var f = FunctionSummary.Build(snapshot.Find(PciAddress.Parse("05:01.0"))!, new PciIds(null), "test");
        var w = new StringWriter();
        InspectText.WriteDevice(w, f);
        string text = w.ToString();
        Assert.Contains("\tCommand: Io+ Memory+ BusMaster+", text);
        Assert.Contains("\tCapabilities: [68] Express (v2) Downstream\n", text);
        Assert.Contains("\t\tSltCtl: AttnBtn- PwrFlt- MRL- PresDet+ CmdCplt+ HPIrq+ AttnInd=Off PwrInd=On PowerOff- Interlock- LinkChg+\n", text);
        Assert.Contains("\tBus: PrimaryBus=0x05 SecondaryBus=", text);
        Assert.Contains("Memory behind bridge: ", text);
    }
}
