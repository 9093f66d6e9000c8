using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>
/// L1 PM substates, as pci_restore_aspm_l1ss_state() (drivers/pci/pcie/aspm.c) does it, from the downstream component
/// (an endpoint or a switch upstream port) and only together with its link partner (the parent port, restored too):
/// ASPM off on both ends, L1.2 disabled downstream first, thresholds and T_POWER_ON without the L1.2 enables (upstream
/// first), then the enables (upstream first), then both LnkCtl back. The port alone is never restored. The port's
/// writes are <see cref="StepPhase.LinkPartner"/> steps in the downstream component's sequence, as in the kernel.
/// </summary>
internal sealed class L1SubstatesRestore() : CapabilityRestore(ExtendedCapabilityId.L1PmSubstates, "L1 PM substates",
    "with the link partner, in pci_restore_aspm_l1ss_state()'s order, from the downstream component")
{
    private const uint Ctl1Mask = 0xe3ffff0f, Ctl2Mask = 0x000000fb;

    protected override void Restore(StepWriter w, Capability cap, PlanContext context)
    {
        var f = w.Function;
        Reg ctl1 = At(cap, L1PmSubstates.Ctl1, 4), ctl2 = At(cap, L1PmSubstates.Ctl2, 4), both = At(cap, L1PmSubstates.Ctl1, 8);
        if (f.PortType is PciExpressPortType.RootPort or PciExpressPortType.Downstream or PciExpressPortType.PcieBridge)
        {
            if (f.IsCaptured(both) && f.Exists(ctl2) && (Differs(f, ctl1, Ctl1Mask) | Differs(f, ctl2, Ctl2Mask)))
                f.Notes.Add("L1 PM substates: restored only with the downstream component of the link (none restored below)");
            return;
        }
        var parentAddress = context.Bus.Parent(f.Address);
        FunctionPlan? p = parentAddress is { } pa && context.Planned.TryGetValue(pa, out var found) ? found : null;
        var pcap = p is null ? null : Find(p.Caps);
        string? why = parentAddress is null ? "no parent port present"
            : p is null ? $"its link partner {parentAddress} is not restored (driver bound, denied or not matched)"
            : pcap is null ? $"its link partner {parentAddress} has no L1 PM substates"
            : p.Caps.Find(CapabilityId.Express) is null || f.Caps.Find(CapabilityId.Express) is null ? "not PCI Express on both ends"
            : null;
        if (why is not null || p is null || pcap is not { } up)
        {
            f.Notes.Add($"L1 PM substates left as found: {why}");
            return;
        }
        Reg pctl1 = At(up, L1PmSubstates.Ctl1, 4), pctl2 = At(up, L1PmSubstates.Ctl2, 4);
        Reg lnk = At(f.Caps.Find(CapabilityId.Express)!.Value, PciExpress.LnkCtl, 2), plnk = At(p.Caps.Find(CapabilityId.Express)!.Value, PciExpress.LnkCtl, 2);
        if (!f.IsCaptured(both) || !p.IsCaptured(At(up, L1PmSubstates.Ctl1, 8)) || !f.Exists(ctl2) || !p.Exists(pctl2))
        {
            f.NotCaptured(both);
            return;
        }
        uint cl1 = f.ReadCaptured(ctl1) & Ctl1Mask, cl2 = f.ReadCaptured(ctl2) & Ctl2Mask;
        uint pl1 = p.ReadCaptured(pctl1) & Ctl1Mask, pl2 = p.ReadCaptured(pctl2) & Ctl2Mask;
        bool differs = Differs(f, ctl1, Ctl1Mask) || Differs(f, ctl2, Ctl2Mask) || Differs(p, pctl1, Ctl1Mask) || Differs(p, pctl2, Ctl2Mask);
        if (!differs && !f.AfterReset) return;

        const uint aspm = PciExpress.LnkCtlAspmMask, l12 = LeftAlone.L1ssL12Enables;
        uint clnk = f.Read(lnk), plnkNow = p.Read(plnk);
        bool window = ((clnk | plnkNow) & aspm) != 0;
        var down = w;
        var partner = p.In(StepPhase.LinkPartner, owner: f);
        if (window)
        {
            down.Write(lnk, 0, aspm, "ASPM off on both ends before L1 PM substates change (downstream)");
            partner.Write(plnk, 0, aspm, "ASPM off on both ends before L1 PM substates change (upstream)");
        }
        down.Write(ctl1, 0, l12, "L1.2 disabled on the downstream component first");
        partner.Write(pctl1, 0, l12, "then L1.2 disabled upstream");
        partner.Write(pctl2, pl2, Ctl2Mask, "L1 PM substates control 2 (T_POWER_ON), upstream");
        down.Write(ctl2, cl2, Ctl2Mask, "L1 PM substates control 2 (T_POWER_ON)");
        partner.Write(pctl1, pl1 & ~l12, Ctl1Mask, "L1.2 threshold and common-mode restore time without the L1.2 enables, upstream");
        down.Write(ctl1, cl1 & ~l12, Ctl1Mask, "L1.2 threshold and common-mode restore time without the L1.2 enables");
        if (((pl1 | cl1) & l12) != 0)
        {
            partner.Write(pctl1, pl1, Ctl1Mask, "L1 PM substates enables, upstream first");
            down.Write(ctl1, cl1, Ctl1Mask, "L1 PM substates enables");
        }
        if (window)
        {
            partner.Write(plnk, plnkNow & aspm, aspm, "ASPM back on the upstream end");
            down.Write(lnk, clnk & aspm, aspm, "ASPM back (LnkCtl itself is restored next)");
        }
    }

    /// <summary>The captured bits under <paramref name="mask"/> differ from what the register will hold.</summary>
    private static bool Differs(FunctionPlan f, Reg reg, uint mask) => ((f.ReadCaptured(reg) ^ f.Read(reg)) & mask) != 0;

    public override void NotRestored(LeftAloneList list, ReadOnlySpan<byte> cfg, Capability cap) =>
        list.Add(cap.Offset + L1PmSubstates.Ctl1, 8, 0, $"{list.Name(cap, L1PmSubstates.Ctl1, 4)}/+{L1PmSubstates.Ctl2:x}.l",
            After.FirmwareOrAsFound, LeftAlone.WhyL1ss, "both ends of the link restored");
}
