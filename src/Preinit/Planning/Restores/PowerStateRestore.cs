using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>
/// PM Control: no D-state change unless the policy asks (the kernel's pci_set_power_state() owns it). With
/// <see cref="Policy.ReplayPolicy.RestorePowerState"/> the captured state and PME Enable go back first, followed by the
/// spec's wait (10 ms when D3hot is either end, 200 µs for D2, PCI PM 1.2 table 5-6); leaving D3hot for D0 resets a
/// function whose No_Soft_Reset bit is clear, so everything after it is planned from scratch.
/// </summary>
internal sealed class PowerStateRestore() : CapabilityRestore(CapabilityId.PowerManagement, "PM (policy)",
    "PM Control power state and PME Enable, only with policy restorePowerState, then the spec's wait")
{
    /// <summary>The report's words for a function left in D3hot whose No_Soft_Reset is 0: the kernel powers it up
    /// before it restores anything (pci_pm_reset(), the resume path: pci_set_power_state(D0), then
    /// pci_restore_state()); a driver's pci_enable_device() moves it to D0 later, which resets it, and the kernel then
    /// writes back only the BARs (pci_restore_bars()).</summary>
    public const string VolatileInD3hot = "not restored for good: left in D3hot with No_Soft_Reset 0, and the move to D0 a driver makes "
        + "(pci_set_power_state()) resets the function and discards these writes (the kernel then writes back only the BARs); "
        + "policy restorePowerState moves it to firmware's D0 first, as the kernel powers up before pci_restore_state()";

    protected override void Restore(StepWriter w, Capability cap, PlanContext context)
    {
        var f = w.Function;
        var control = At(cap, PowerManagement.Ctrl, 2);
        if (!f.IsCaptured(control) || !f.Exists(control)) { f.NotCaptured(control); return; }
        uint now = f.Read(control), captured = f.ReadCaptured(control);
        int from = (int)(now & PowerManagement.CtrlStateMask), to = (int)(captured & PowerManagement.CtrlStateMask);
        if ((f.Policy.RestorePowerState ? to : from) == 3 && (now & PowerManagement.CtrlNoSoftReset) == 0)
            f.Notes.Add(VolatileInD3hot);
        if (!f.Policy.RestorePowerState)
        {
            if (from != to) f.Notes.Add($"power state D{from} now, D{to} captured: no D-state change (the kernel owns it; policy restorePowerState)");
            return;
        }
        var settle = from == to ? TimeSpan.Zero
            : from == 3 || to == 3 ? TimeSpan.FromMilliseconds(10)
            : from == 2 || to == 2 ? TimeSpan.FromMicroseconds(200) : TimeSpan.Zero;
        w.Restore(control, LeftAlone.PmControlKernelOwned, $"power state D{to} and PME enable (policy restorePowerState)",
            rw1c: PowerManagement.CtrlPmeStatus, settle: settle);
        if (from == 3 && to == 0 && (now & PowerManagement.CtrlNoSoftReset) == 0)
        {
            f.Notes.Add("D3hot to D0 resets this function (No_Soft_Reset clear): every register rewritten after it");
            f.AfterReset = true;
        }
    }

    public override void NotRestored(LeftAloneList list, ReadOnlySpan<byte> cfg, Capability cap)
    {
        if (!list.Policy.RestorePowerState)
            list.Add(cap, PowerManagement.Ctrl, 2, LeftAlone.PmControlKernelOwned, After.AsFound, LeftAlone.WhyPowerState, "restorePowerState: true");
        list.Add(cap, PowerManagement.Ctrl, 2, LeftAlone.PmControlData, After.AsFound, LeftAlone.WhyPmData);
        list.Add(cap, PowerManagement.Ctrl, 2, PowerManagement.CtrlPmeStatus, After.AsFound, LeftAlone.WhyPmeStatus);
    }
}
