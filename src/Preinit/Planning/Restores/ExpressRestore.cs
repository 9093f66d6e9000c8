using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>
/// The PCI Express control registers, as pci_restore_pcie_state() writes them: DevCtl, LnkCtl, SltCtl, RootCtl, then
/// (capability version 2) DevCtl2, LnkCtl2, SltCtl2, each only where the port type has it.
/// </summary>
internal sealed class ExpressRestore() : CapabilityRestore(CapabilityId.Express, "PCI Express",
    "DevCtl, LnkCtl, SltCtl, RootCtl, DevCtl2, LnkCtl2, SltCtl2 (pci_restore_pcie_state())")
{
    protected override void Restore(StepWriter w, Capability cap, PlanContext context)
    {
        var f = w.Function;
        ushort flags = ConfigBytes.U16(f.Layout, cap.Offset + PciExpress.Flags);
        int version = flags & PciExpress.FlagsVersionMask;
        var type = (PciExpressPortType)((flags & PciExpress.FlagsTypeMask) >> 4);
        bool slot = (flags & PciExpress.FlagsSlot) != 0;
        bool link = version >= 2 || type is not (PciExpressPortType.RootIntegratedEndpoint or PciExpressPortType.RootComplexEventCollector);

        RestoreDevCtl(w, cap, type, context);
        if (link)
        {
            var lnkCtl = At(cap, PciExpress.LnkCtl, 2);
            uint lnkCtlMask = 0xffff & ~LeftAlone.LnkCtlNever;
            if (f.IsCaptured(lnkCtl) && (f.ReadCaptured(lnkCtl) & PciExpress.LnkCtlDisable) != 0)
            {
                f.Notes.Add("refused: snapshot LnkCtl has Link Disable set; the link is left up");
                lnkCtlMask &= ~(uint)PciExpress.LnkCtlDisable;
            }
            w.Restore(lnkCtl, lnkCtlMask, "PCIe LnkCtl");
        }
        if (slot) w.Restore(At(cap, PciExpress.SltCtl, 2), 0x7fff, "PCIe SltCtl");
        if (type is PciExpressPortType.RootPort or PciExpressPortType.RootComplexEventCollector)
            w.Restore(At(cap, PciExpress.RootCtl, 2), 0x001f, "PCIe RootCtl");
        if (version < 2) return;
        var devCtl2 = At(cap, PciExpress.DevCtl2, 2);
        uint devCtl2Mask = f.Policy.RestoreAri ? 0xffffu : 0xffff & ~LeftAlone.DevCtl2AriForwarding;
        if (!f.Policy.RestoreAri && f.IsCaptured(devCtl2) && f.Exists(devCtl2)
            && ((f.ReadCaptured(devCtl2) ^ f.Read(devCtl2)) & LeftAlone.DevCtl2AriForwarding) != 0)
            f.Notes.Add("DevCtl2 ARI Forwarding Enable differs from the capture: left to the kernel (pci_configure_ari; policy restoreAri)");
        w.Restore(devCtl2, devCtl2Mask, "PCIe DevCtl2");
        if (link) w.Restore(At(cap, PciExpress.LnkCtl2, 2), 0xffff, "PCIe LnkCtl2");
        if (slot) w.Restore(At(cap, PciExpress.SltCtl2, 2), 0xffff, "PCIe SltCtl2");
    }

    /// <summary>
    /// DevCtl as captured, except: Initiate FLR is never written (bit 15 outside PCIe-to-PCI bridges, where it is
    /// Bridge Configuration Retry Enable), and Max Payload Size stays what the kernel set at enumeration
    /// (pci_configure_mps: the parent port's), lowered to the parent port's when larger, never raised.
    /// </summary>
    private static void RestoreDevCtl(StepWriter w, Capability cap, PciExpressPortType type, PlanContext context)
    {
        var f = w.Function;
        var devCtl = At(cap, PciExpress.DevCtl, 2);
        if (!f.Exists(devCtl)) return;
        const uint mpsBits = LeftAlone.DevCtlMaxPayload;
        int mps = (int)(f.Read(devCtl) & mpsBits) >> 5;
        if (ParentMps(f, context) is { } parentMps && parentMps < mps)
        {
            f.Notes.Add($"Max Payload Size lowered to the parent port's {128 << parentMps} bytes (was {128 << mps})");
            mps = parentMps;
        }
        f.FinalMps = mps;
        uint mask = type == PciExpressPortType.PciBridge ? 0xffffu : 0xffff & ~LeftAlone.DevCtlInitiateFlr;
        if (!f.IsCaptured(devCtl)) { f.NotCaptured(devCtl); return; }
        uint captured = f.ReadCaptured(devCtl);
        if (type != PciExpressPortType.PciBridge && (captured & LeftAlone.DevCtlInitiateFlr) != 0)
            f.Notes.Add("refused: snapshot DevCtl has Initiate FLR set; that bit is never written");
        if ((int)(captured & mpsBits) >> 5 != mps)
            f.Notes.Add($"Max Payload Size kept at {128 << mps} bytes (the kernel's, from the parent port), captured {128 << (int)((captured & mpsBits) >> 5)}");
        uint value = (captured & ~mpsBits) | (uint)(mps << 5);
        w.Write(devCtl, value & mask, mask, "PCIe DevCtl");
    }

    /// <summary>The parent port's Max Payload Size after the replay, when the parent is a PCI Express port.</summary>
    private static int? ParentMps(FunctionPlan f, PlanContext context)
    {
        if (context.Bus.Parent(f.Address) is not { } parent) return null;
        if (context.Planned.TryGetValue(parent, out var p)) return p.FinalMps;
        if (context.Bus.Config(parent) is not { } cfg || CapabilityWalker.Walk(cfg).Find(CapabilityId.Express) is not { } exp) return null;
        int at = exp.Offset + PciExpress.DevCtl;
        return at + 2 <= cfg.Length ? (int)(ConfigBytes.U16(cfg, at) & LeftAlone.DevCtlMaxPayload) >> 5 : null;
    }

    public override void ClearErrors(StepWriter w, Capability cap) =>
        // Bits 3:0 are the errors (PCI_EXP_DEVSTA_CED..URD); Emergency Power Reduction Detected (bit 6, RW1C) is a
        // power status the crash did not cause: written as 0, left as found and logged with the rest.
        w.Clear(At(cap, PciExpress.DevSta, 2), PciExpress.DevStaErrorBits, "clear stale DevSta errors", keep: PciExpress.DevStaEmergencyPowerReduction);

    public override void NotRestored(LeftAloneList list, ReadOnlySpan<byte> cfg, Capability cap)
    {
        ushort flags = ConfigBytes.U16(cfg, cap.Offset + PciExpress.Flags);
        var type = (PciExpressPortType)((flags & PciExpress.FlagsTypeMask) >> 4);
        if (type != PciExpressPortType.PciBridge)
            list.Add(cap, PciExpress.DevCtl, 2, LeftAlone.DevCtlInitiateFlr, After.AsFound, LeftAlone.WhyInitiateFlr);
        list.Add(cap, PciExpress.DevCtl, 2, LeftAlone.DevCtlMaxPayload, After.KernelValue, LeftAlone.WhyMaxPayload);
        list.ErrorStatus(cap, PciExpress.DevSta, 2, PciExpress.DevStaErrorBits);
        list.Add(cap, PciExpress.LnkCtl, 2, LeftAlone.LnkCtlNever, After.AsFound, LeftAlone.WhyRetrain);
        list.Add(cap, PciExpress.LnkCtl, 2, PciExpress.LnkCtlDisable, After.FirmwareOrAsFound, LeftAlone.WhyLinkDisable, "captured as 0");
        if (!list.Policy.RestoreAri && (flags & PciExpress.FlagsVersionMask) >= 2)
            list.Add(cap, PciExpress.DevCtl2, 2, LeftAlone.DevCtl2AriForwarding, After.AsFound, LeftAlone.WhyAriForwarding, "restoreAri: true");
    }
}
