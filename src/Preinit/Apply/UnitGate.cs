using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning;

namespace Preconfig.Preinit.Apply;

/// <summary>
/// Which deadline a step runs under, and whether a reset may start. A reset and the restore of every function it
/// reaches are one unit (<see cref="ResetUnit"/>): the unit's resets start only when the time left before the soft
/// deadline covers the worst wait of each first method (<see cref="ResetTimings.Worst"/>, a bridge's once) plus its
/// restore (<see cref="ResetTimings.PerRestoreStep"/> a step); once started, every step of the unit runs under the
/// hard deadline, so a function the reset reached has its BARs, windows and Command written back. A unit that may not
/// start is not reset at all, and its functions are still restored under the soft deadline. Outside units the soft
/// deadline rules.
/// </summary>
internal sealed class UnitGate
{
    private readonly ApplyOptions _options;
    private readonly IPciAccess _access;
    private readonly IReadOnlyList<PlanStep> _steps;
    private readonly Dictionary<int, ResetUnit> _byFirst = [];
    private ResetUnit? _current;
    private string? _refused;

    public UnitGate(ReplayPlan plan, IPciAccess access, ApplyOptions options)
    {
        (_options, _access, _steps) = (options, access, plan.Steps);
        foreach (var u in plan.Units) _byFirst[u.First] = u;
    }

    /// <summary>What the restore of the current unit is allowed (passed to each further reset method's start check).</summary>
    public TimeSpan RestoreAllowance { get; private set; }

    /// <summary>Why step <paramref name="i"/> (a reset step) is not started, or null.</summary>
    public string? Refused(int i)
    {
        if (_current is { } u && i >= u.End) (_current, _refused, RestoreAllowance) = (null, null, TimeSpan.Zero);
        if (_current is null && _byFirst.TryGetValue(i, out var unit))
        {
            _current = unit;
            RestoreAllowance = Restore(unit);
            var need = FirstWaits(unit) + RestoreAllowance;
            var left = _options.Deadline.Remaining;
            _refused = left < need
                ? $"reset not started: {Ms(left)} left before the deadline, the reset and the restore of {string.Join(", ", unit.Domain)} need up to {Ms(need)}"
                : null;
        }
        return _current is not null && _steps[i].Kind == StepKind.Reset ? _refused : null;
    }

    /// <summary>The deadline step <paramref name="i"/> runs under (call <see cref="Refused"/> first).</summary>
    public Deadline Deadline(int i) =>
        _current is not null && _refused is null ? _options.HardDeadline ?? Apply.Deadline.None : _options.Deadline;

    private TimeSpan Restore(ResetUnit unit)
    {
        int count = 0;
        for (int i = unit.First; i < unit.End; i++)
            if (_steps[i].Kind != StepKind.Reset) count++;
        return _options.Timings.PerRestoreStep * count;
    }

    /// <summary>The worst wait of each reset step's first method, a Secondary Bus Reset's once per unit.</summary>
    private TimeSpan FirstWaits(ResetUnit unit)
    {
        var total = TimeSpan.Zero;
        bool bridgeCounted = false;
        for (int i = unit.First; i < unit.End; i++)
        {
            if (_steps[i] is not { Kind: StepKind.Reset, ResetMethod: { } method } step) continue;
            if (method == "bridge")
            {
                if (bridgeCounted) continue;
                bridgeCounted = true;
                total += _options.Timings.Worst(method, step.ResetBridge is { } b && Conventional(b));
            }
            else total += _options.Timings.Worst(method);
        }
        return total;
    }

    /// <summary>A bridge without a PCI Express capability: the conventional waits apply.</summary>
    private bool Conventional(PciAddress bridge)
    {
        try { return CapabilityWalker.Walk(_access.Open(bridge).ReadAll()).Find(CapabilityId.Express) is null; }
        catch (Exception e) when (e is IOException or DeviceRemovedException) { return false; }
    }

    internal static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0} ms";
}
