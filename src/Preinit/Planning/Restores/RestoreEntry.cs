using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;
using Preconfig.Preinit.Planning.Rules;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>What a restore may look at beyond its own function: the bus, the functions planned before it (address
/// order: a parent bridge before what is below it) and the reset decisions.</summary>
internal sealed record PlanContext(BusTopology Bus, IReadOnlyDictionary<PciAddress, FunctionPlan> Planned, ResetTopology Resets);

/// <summary>One entry of <see cref="RestoreOrder"/>: a part of a function's restore, planned in the list's order.
/// <paramref name="Phase"/> is the phase of the steps it makes; <paramref name="Title"/> its name in the dry-run's phase
/// line and docs/preinit.md; <paramref name="Summary"/> what it writes, for docs/preinit.md's restore order.</summary>
internal abstract class RestoreEntry(StepPhase phase, string title, string summary)
{
    public StepPhase Phase => phase;
    public string Title => title;
    public string Summary => summary;

    public abstract void Plan(FunctionPlan f, PlanContext context);
}

/// <summary>
/// The restore of one capability: its steps, and what it adds to the function's quiesce, error status clearing and
/// <see cref="LeftAlone"/> list. A capability with no entry in <see cref="RestoreOrder"/> is left alone whole.
/// </summary>
internal abstract class CapabilityRestore : RestoreEntry
{
    private readonly bool _extended;
    private readonly ushort _id;

    protected CapabilityRestore(CapabilityId id, string title, string summary) : base(StepPhase.Capabilities, title, summary) => _id = (ushort)id;

    protected CapabilityRestore(ExtendedCapabilityId id, string title, string summary) : base(StepPhase.Capabilities, title, summary)
    {
        _extended = true;
        _id = (ushort)id;
    }

    /// <summary>Whether this entry restores <paramref name="cap"/>.</summary>
    public bool Restores(Capability cap) => cap.Extended == _extended && cap.Id == _id;

    /// <summary>The function's first capability with this id, as setpci's <c>CAP_EXP</c> finds it.</summary>
    public Capability? Find(CapabilityWalker.Result caps)
    {
        foreach (var c in caps.Capabilities)
            if (Restores(c)) return c;
        return null;
    }

    public sealed override void Plan(FunctionPlan f, PlanContext context)
    {
        if (Find(f.Caps) is { } cap) Restore(f.In(Phase), cap, context);
    }

    protected abstract void Restore(StepWriter w, Capability cap, PlanContext context);

    /// <summary>Stops what the capability lets the function do on its own (interrupts): nothing by default.</summary>
    public virtual void Quiesce(StepWriter w, Capability cap) { }

    /// <summary>Clears its stale write-1-to-clear error status: nothing by default.</summary>
    public virtual void ClearErrors(StepWriter w, Capability cap) { }

    /// <summary>Adds the bits of <paramref name="cap"/> it does not put back to their captured value.</summary>
    public virtual void NotRestored(LeftAloneList list, ReadOnlySpan<byte> cfg, Capability cap) { }

    protected static Reg At(Capability cap, int relative, int width) => Reg.In(cap, relative, width);

    /// <summary>The PCI Express port type, from the function's layout (null when it is not PCI Express).</summary>
    protected static PciExpressPortType? PortType(ReadOnlySpan<byte> cfg, CapabilityWalker.Result walk) => FunctionPlan.PortTypeOf(cfg, walk);
}
