using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>
/// Stale error status, cleared before anything is restored (policy clearErrorStatus): Status, Secondary Status, then
/// each restored capability's (<see cref="CapabilityRestore.ClearErrors"/>: DevSta, AER) in <see cref="RestoreOrder"/>'s
/// order. The only writes of ones into write-1-to-clear bits; the apply logs what it finds first.
/// </summary>
internal sealed class ErrorStatusClear() : RestoreEntry(StepPhase.ClearErrors, "clear stale error status",
    "Status, Secondary Status, DevSta, AER uncorrectable, correctable and root status: the only writes of ones into write-1-to-clear bits (policy clearErrorStatus)")
{
    public override void Plan(FunctionPlan f, PlanContext context)
    {
        if (!f.Policy.ClearErrorStatus) return;
        var w = f.In(Phase);
        w.Clear(Reg.Header(Header.Status, 2), (uint)Status.ErrorBits, "clear stale error status");
        if (f.Type == HeaderType.Bridge)
            w.Clear(Reg.Header(Type1.SecStatus, 2), (uint)Status.ErrorBits, "clear stale secondary error status");
        foreach (var c in RestoreOrder.Capabilities)
            if (c.Find(f.Caps) is { } cap) c.ClearErrors(w, cap);
    }
}
