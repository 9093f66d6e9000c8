using Preconfig.ConfigSpace;

namespace Preconfig.Preinit.Apply;

/// <summary>What a reset step reports back.</summary>
/// <param name="Abandoned">The request had not returned within its bound and was left running (a child process).</param>
public sealed record ResetOutcome(bool Succeeded, string Detail, bool Abandoned = false);

/// <summary>
/// How a reset is done: pluggable, so a deeper reset (one that verifies the reset took effect, or falls back to a
/// secondary bus reset of the port above) can replace the default without touching the planner or the applier.
/// </summary>
public interface IResetStep
{
    /// <param name="bound">How long the request may take: past it, an access that can (sysfs, through a child
    /// process) abandons it and says so.</param>
    ResetOutcome Reset(IPciAccess access, PciAddress address, string method, TimeSpan bound);
}

/// <summary>The default reset: sysfs <c>reset_method</c> + <c>reset</c> through <see cref="IPciAccess.RequestReset"/>,
/// then a check that the function still answers.</summary>
public sealed class AccessResetStep : IResetStep
{
    public static readonly AccessResetStep Instance = new();

    public ResetOutcome Reset(IPciAccess access, PciAddress address, string method, TimeSpan bound)
    {
        var result = access.RequestReset(address, method, bound);
        if (result.Abandoned) return new ResetOutcome(false, $"reset by {method}: {result.Status}", Abandoned: true);
        ushort vendor = access.Open(address).ReadWord(0);
        if (vendor == 0xffff) return new ResetOutcome(false, $"reset by {method}: the function no longer answers");
        return new ResetOutcome(result.Reported, $"reset by {method}: {result.Status}");
    }
}

/// <summary>The overall time budget: the apply stops before a step once it has passed. Time comes from a
/// <see cref="TimeProvider"/> so tests can move it.</summary>
public sealed class Deadline
{
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly TimeSpan _budget;

    public Deadline(TimeSpan budget, TimeProvider? time = null, long? startTimestamp = null)
    {
        _budget = budget;
        _time = time ?? TimeProvider.System;
        _start = startTimestamp ?? _time.GetTimestamp();
    }

    public static Deadline None => new(TimeSpan.MaxValue);
    public bool Expired => _budget != TimeSpan.MaxValue && Elapsed >= _budget;
    /// <summary>What is left of the budget (zero once expired; <see cref="TimeSpan.MaxValue"/> without a budget).</summary>
    public TimeSpan Remaining => _budget == TimeSpan.MaxValue ? TimeSpan.MaxValue : Elapsed >= _budget ? TimeSpan.Zero : _budget - Elapsed;
    public TimeSpan Elapsed => _time.GetElapsedTime(_start);
}

public sealed record ApplyOptions
{
    /// <summary>Extra writes after one that does not read back (bounded, as the kernel's retry for BARs).</summary>
    public int Retries { get; init; } = 3;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(1);
    public Deadline Deadline { get; init; } = Deadline.None;
    public IResetStep ResetStep { get; init; } = AccessResetStep.Instance;
    /// <summary>The soft deadline bounds what starts; once a reset has started, its unit (the reset and the restore of
    /// every function it reached) runs on to this one. None: the soft deadline is the only one.</summary>
    public Deadline? HardDeadline { get; init; }
    /// <summary>The waits around a reset (the kernel's figures and our bounds).</summary>
    public ResetTimings Timings { get; init; } = ResetTimings.Kernel;
    /// <summary>How the reset waits (tests move a fake clock instead of sleeping).</summary>
    public Action<TimeSpan> Sleep { get; init; } = Thread.Sleep;
    /// <summary>Called once per function, before its first error status write, with every register about to be
    /// cleared as read then: the evidence survives the clear (the runner logs it to the kernel log).</summary>
    public Action<PciAddress, IReadOnlyList<ClearedRegister>>? BeforeClearing { get; init; }
}
