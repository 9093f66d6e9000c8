using Preconfig.ConfigSpace;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Planning.Function;
using Preconfig.Preinit.Planning.Restores;
using Preconfig.Preinit.Planning.Rules;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Planning;

/// <summary>
/// Builds the replay in the kernel's order (pci_restore_state(), pci_restore_pcie_state(), pci_restore_config_space()):
/// quiesce every unbound endpoint (restored or not), optional resets, then each restored function (bridges first) in
/// <see cref="RestoreOrder"/>'s order. Each step is compared with what the register will hold at that point (the
/// present bytes, projected through the steps before it), so equal registers are not written and the dry-run lists
/// exactly what the apply writes. Nothing is written from a byte the capture does not hold, and what the kernel owns
/// is left to it (<see cref="LeftAlone"/>). Who is restored, quiesced or reset is decided by
/// <see cref="QuiesceRules"/> and <see cref="ResetRules"/>.
/// </summary>
public static class ReplayPlanner
{
    public static ReplayPlan Build(IReadOnlyList<DeviceMatch> matches, ReplayPolicy policy)
    {
        var bus = BusTopology.Build(matches);
        var resets = ResetTopology.Build(matches, policy, bus);
        // Address order: a parent bridge is planned before what is below it (link partners, Max Payload Size).
        var planned = new Dictionary<PciAddress, FunctionPlan>();
        var context = new PlanContext(bus, planned, resets);
        var quiesceOnly = new List<FunctionPlan>();
        var notQuiesced = new Dictionary<PciAddress, string>();
        var kernelOwned = new Dictionary<PciAddress, string>();
        var ordered = new List<DeviceMatch>(matches);
        ordered.Sort((a, b) => a.Address.CompareTo(b.Address));
        foreach (var m in ordered)
        {
            switch (QuiesceRules.Of(m, policy))
            {
                case Treatment.Restore:
                    planned[m.Address] = PlanRestore(m, policy, context);
                    break;
                case Treatment.LeftToKernel:
                    kernelOwned[m.Address] = QuiesceRules.KernelOwner(m, policy)!.Reason;
                    break;
                case Treatment.QuiesceOnly:
                    var q = new FunctionPlan(m, policy);
                    Quiesce.Plan(q, decodeOff: false);
                    quiesceOnly.Add(q);
                    break;
                default:
                    if (QuiesceRules.IsUnrestored(m) && QuiesceRules.WhyNotQuiesced(m, policy) is { } why) notQuiesced[m.Address] = why;
                    break;
            }
        }

        var restored = new List<FunctionPlan>(planned.Values);
        var quiet = new List<FunctionPlan>(restored);
        quiet.AddRange(quiesceOnly);
        quiet.Sort((a, b) => a.Address.CompareTo(b.Address));
        // Stop every endpoint's DMA and interrupts before anything else, then resets, then restore bridges before
        // the endpoints below them.
        var steps = new List<PlanStep>();
        foreach (var f in quiet) steps.AddRange(f.Steps(PlanStage.Quiesce));
        var units = Units(restored, steps);

        var notes = new Dictionary<PciAddress, IReadOnlyList<string>>(restored.Count);
        var leftOut = new Dictionary<PciAddress, IReadOnlyList<string>>();
        foreach (var f in restored)
        {
            notes.Add(f.Address, f.FinishNotes());
            if (f.LeftOut.Count > 0) leftOut.Add(f.Address, f.LeftOut);
        }
        var quiesceOnlyAddresses = new HashSet<PciAddress>();
        foreach (var q in quiesceOnly) quiesceOnlyAddresses.Add(q.Address);
        return new ReplayPlan
        {
            Steps = steps,
            Matches = matches,
            Notes = notes,
            QuiesceOnly = quiesceOnlyAddresses,
            NotQuiesced = notQuiesced,
            KernelOwned = kernelOwned,
            LeftOut = leftOut,
            Units = units,
        };
    }

    /// <summary>
    /// Appends the restores to <paramref name="steps"/> after the quiesce: bridges first (never in a reset domain:
    /// bridges are not reset, and a bridge is reset through only when every function below it is), then each reset
    /// domain as one unit (its resets, then its functions' restores), then every other endpoint's restore.
    /// </summary>
    private static List<ResetUnit> Units(List<FunctionPlan> restored, List<PlanStep> steps)
    {
        var domainOf = new Dictionary<PciAddress, PciAddress>();
        var bridgeOf = new Dictionary<PciAddress, PciAddress>();
        foreach (var f in restored)
            foreach (var s in f.Steps(PlanStage.Reset))
            {
                if (s.ResetBridge is { } b)
                    foreach (var a in s.ResetGroup) (domainOf[a], bridgeOf[a]) = (s.ResetGroup[0], b);
                domainOf.TryAdd(f.Address, f.Address);
            }
        foreach (var f in restored)
            if (f.IsBridge) steps.AddRange(f.Steps(PlanStage.Restore));
        var byKey = new SortedDictionary<PciAddress, List<FunctionPlan>>();
        foreach (var f in restored)
            if (domainOf.TryGetValue(f.Address, out var key))
            {
                if (!byKey.TryGetValue(key, out var list)) byKey[key] = list = [];
                list.Add(f);
            }
        var units = new List<ResetUnit>(byKey.Count);
        foreach (var (key, functions) in byKey)
        {
            int first = steps.Count;
            foreach (var f in functions) steps.AddRange(f.Steps(PlanStage.Reset));
            foreach (var f in functions)
                if (!f.IsBridge) steps.AddRange(f.Steps(PlanStage.Restore));
            var domain = new List<PciAddress>(functions.Count);
            foreach (var f in functions) domain.Add(f.Address);
            units.Add(new ResetUnit(first, steps.Count, bridgeOf.TryGetValue(key, out var b) ? b : null, domain));
        }
        foreach (var f in restored)
            if (!f.IsBridge && !domainOf.ContainsKey(f.Address)) steps.AddRange(f.Steps(PlanStage.Restore));
        return units;
    }

    /// <summary>A matched function: quiesced (endpoints), reset when the rules say so, then restored in order.</summary>
    private static FunctionPlan PlanRestore(DeviceMatch m, ReplayPolicy policy, PlanContext context)
    {
        var f = new FunctionPlan(m, policy);
        if (!f.IsBridge) Quiesce.Plan(f, decodeOff: true);
        PlanReset(f, context.Resets, m.Info?.ResetMethods ?? []);
        if (m.Record!.Truncated)
            f.Notes.Add($"capture truncated to {f.CapturedLength} bytes (read without CAP_SYS_ADMIN?): registers above 0x{f.CapturedLength - 1:x} left as found");
        foreach (var entry in RestoreOrder.Sequence) entry.Plan(f, context);
        return f;
    }

    private static void PlanReset(FunctionPlan f, ResetTopology topology, IReadOnlyList<string> offered)
    {
        if (topology.Methods(f.Address) is not { } plan)
        {
            if (topology.WhyNotReset(f.Address) is { } why) f.Notes.Add($"not reset: {why}");
            return;
        }
        f.Add(new PlanStep
        {
            Address = f.Address, Phase = StepPhase.Reset, Kind = StepKind.Reset, ResetMethods = plan.Methods,
            ResetBridge = plan.Bridge, ResetGroup = plan.Below, ResetOffered = offered,
            Description = $"reset by {string.Join(", else ", plan.Methods)} (policy){(ResetRules.Contains(offered, ConfigSpace.Sysfs.SysfsPciAccess.DeviceSpecificReset) ? ", each after the kernel's device_specific reset" : "")}, verified from config space",
        });
        f.AfterReset = true; // what the registers hold after it is unknown here: plan every restore write
    }
}
