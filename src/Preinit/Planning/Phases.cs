namespace Preconfig.Preinit.Planning;

/// <summary>The three parts of the plan, run one after the other over every function: every quiesce, then every
/// reset, then the restores (bridges first).</summary>
internal enum PlanStage
{
    Quiesce,
    Reset,
    Restore,
}

/// <summary>A phase: the stage its steps run in and the line the dry-run prints when the phase starts.</summary>
internal sealed record PhaseInfo(StepPhase Phase, PlanStage Stage, string Title);

/// <summary>
/// The phases as data: where a step goes follows from its phase, not from which list a planner happened to be filling.
/// A function's restore steps run in the order <see cref="RestoreOrder"/> gives; the link partner's side of an L1 PM
/// substates restore sits in the downstream component's restore steps (<see cref="StepPhase.LinkPartner"/>).
/// </summary>
internal static class Phases
{
    public static readonly IReadOnlyList<PhaseInfo> All =
    [
        new(StepPhase.Quiesce, PlanStage.Quiesce, "quiesce: stop DMA and interrupts on every unbound endpoint"),
        new(StepPhase.Reset, PlanStage.Reset, "reset (policy)"),
        new(StepPhase.ClearErrors, PlanStage.Restore, "clear stale error status (write 1 to clear)"),
        new(StepPhase.Capabilities, PlanStage.Restore, $"capabilities: {RestoreOrder.CapabilityTitles}"),
        new(StepPhase.Header, PlanStage.Restore, "header, high dwords to low"),
        new(StepPhase.Command, PlanStage.Restore, "Command, last"),
        new(StepPhase.LinkPartner, PlanStage.Restore, "L1 PM substates of the link partner (pci_restore_aspm_l1ss_state order)"),
    ];

    public static PhaseInfo Of(StepPhase phase)
    {
        foreach (var p in All)
            if (p.Phase == phase) return p;
        throw new ArgumentOutOfRangeException(nameof(phase), phase, "no such phase");
    }
}
