using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>AER masks, severity, ECRC and header-log enables and (root ports, RCECs) the root error reporting enables,
/// as pci_restore_aer_state() writes them; its write-1-to-clear status registers are cleared, never restored.</summary>
internal sealed class AerRestore() : CapabilityRestore(ExtendedCapabilityId.Aer, "AER",
    "uncorrectable mask and severity, correctable mask, ECRC and header-log enables, root error reporting enables")
{
    protected override void Restore(StepWriter w, Capability cap, PlanContext context)
    {
        w.Restore(At(cap, Aer.UncorMask, 4), 0xffffffff, "AER uncorrectable error mask");
        w.Restore(At(cap, Aer.UncorSeverity, 4), 0xffffffff, "AER uncorrectable error severity");
        w.Restore(At(cap, Aer.CorMask, 4), 0xffffffff, "AER correctable error mask");
        w.Restore(At(cap, Aer.Cap, 4), Aer.CapEcrcGenEnable | Aer.CapEcrcCheckEnable | 0x400, "AER ECRC and header-log enables");
        if (w.Function.IsRootPortOrRcec)
            w.Restore(At(cap, Aer.RootCommand, 4), 0x7, "AER root error reporting enables");
    }

    public override void ClearErrors(StepWriter w, Capability cap)
    {
        w.Clear(At(cap, Aer.UncorStatus, 4), 0xffffffff, "clear stale AER uncorrectable status");
        w.Clear(At(cap, Aer.CorStatus, 4), 0xffffffff, "clear stale AER correctable status");
        if (w.Function.IsRootPortOrRcec)
            w.Clear(At(cap, Aer.RootStatus, 4), 0x7f, "clear stale AER root status");
    }

    public override void NotRestored(LeftAloneList list, ReadOnlySpan<byte> cfg, Capability cap)
    {
        list.ErrorStatus(cap, Aer.UncorStatus, 4, 0xffffffff);
        list.ErrorStatus(cap, Aer.CorStatus, 4, 0xffffffff);
        if (PortType(cfg, list.Walk) is PciExpressPortType.RootPort or PciExpressPortType.RootComplexEventCollector)
            list.ErrorStatus(cap, Aer.RootStatus, 4, 0x7f);
    }
}
