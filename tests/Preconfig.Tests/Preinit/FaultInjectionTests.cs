using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Planning;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

public class FaultInjectionTests
{
    private static SimulatedCrash Crash() =>
        SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, "pciutils-tests/tree-asus-p6t6")).Dirty(seed: 5);

    /// <summary>An endpoint whose Command register the dirty run changed (every endpoint: Bus Master went on).</summary>
    private static PciAddress Endpoint(SimulatedCrash crash, int skip = 0) =>
        crash.Machine.Functions.Where(f => ConfigBytes.HeaderKind(crash.Firmware[f.Address]) == HeaderType.Normal && Owned.None(crash.Machine, f.Address)).Skip(skip).First().Address;

    [Fact]
    public void AWriteThatNeverSticksIsReportedFailedAfterTheBoundedRetriesAndTheOthersAreStillRestored()
    {
        var crash = Crash();
        var victim = Endpoint(crash);
        var space = crash.Machine[victim].Space;
        space.Faults.StuckDwords.Add(Header.Command); // Command never takes a write
        var report = crash.Preinit();

        var outcome = crash.Outcome(victim);
        Assert.Equal(PreinitReport.Failed, outcome.Outcome);
        Assert.Contains("COMMAND", outcome.Reason);
        // Quiesce and the final Command each tried 1 + 3 retries, no more.
        var commandResults = crash.Results.Where(r => r.Step.Address == victim && r.Step.Register == "COMMAND").ToList();
        Assert.All(commandResults, r => { Assert.Equal(StepOutcome.Failed, r.Outcome); Assert.Equal(4, r.Writes); });
        Assert.Equal(4 * commandResults.Count, space.Writes.Count(w => w.Offset == Header.Command));
        // Its other registers and every other function are back.
        Assert.Equal(crash.Firmware[victim][Header.InterruptLine], space.Snapshot()[Header.InterruptLine]);
        foreach (var f in crash.Machine.Functions.Where(f => f.Address != victim))
        {
            Assert.Empty(crash.Differences(f.Address));
            Assert.Equal(Owned.Outcome(crash.Machine, f.Address), crash.Outcome(f.Address).Outcome);
        }
    }

    [Fact]
    public void ASlowDeviceThatNeedsRetriesIsRestoredWithinTheBound()
    {
        var crash = Crash();
        var victim = Endpoint(crash);
        crash.Machine[victim].Space.Faults.RetriesNeeded = 2;
        crash.Preinit();
        Assert.Equal(PreinitReport.Restored, crash.Outcome(victim).Outcome);
        Assert.Empty(crash.Differences(victim));
        Assert.True(crash.Outcome(victim).Writes > crash.Results.Count(r => r.Step.Address == victim && r.Outcome == StepOutcome.Done));
    }

    [Fact]
    public void AFunctionThatVanishesMidReplayStopsOnlyItsOwnSteps()
    {
        var crash = Crash();
        var victim = Endpoint(crash);
        crash.Machine[victim].Space.Faults.VanishAfterWrites = 2;
        crash.Preinit();
        var outcome = crash.Outcome(victim);
        Assert.Equal(PreinitReport.Failed, outcome.Outcome);
        Assert.Contains("gone", outcome.Reason);
        // Nothing more was written to it once it was gone (the write that made it vanish is the third).
        Assert.Equal(3, crash.Machine[victim].Space.Writes.Count);
        foreach (var f in crash.Machine.Functions.Where(f => f.Address != victim))
            Assert.Empty(crash.Differences(f.Address));
    }

    [Fact]
    public void EioIsReportedAndTheRestContinues()
    {
        var crash = Crash();
        var victim = Endpoint(crash, skip: 1);
        crash.Preinit(beforeApply: () => crash.Machine[victim].Space.Faults.IoError = true);
        var outcome = crash.Outcome(victim);
        Assert.Equal(PreinitReport.Failed, outcome.Outcome);
        Assert.Contains("EIO", outcome.Reason);
        foreach (var f in crash.Machine.Functions.Where(f => f.Address != victim))
            Assert.Empty(crash.Differences(f.Address));
    }

    [Fact]
    public void TheDeadlineStopsCleanlyAndReportsWhatWasNotDone()
    {
        var crash = Crash();
        var report = crash.Preinit(options: new ApplyOptions { RetryDelay = TimeSpan.Zero, Deadline = new Deadline(TimeSpan.Zero) });
        Assert.All(crash.Results, r => Assert.Equal(StepOutcome.NotDone, r.Outcome));
        Assert.All(crash.Machine.Functions, f => Assert.Empty(f.Space.Writes));
        var withSteps = crash.Plan!.Steps.Select(s => s.Address).Distinct().ToList();
        Assert.NotEmpty(withSteps);
        foreach (var a in withSteps)
        {
            Assert.Equal(PreinitReport.Failed, crash.Outcome(a).Outcome);
            Assert.Contains("not done (deadline reached)", crash.Outcome(a).Reason);
        }
    }

    /// <summary>Time that moves one millisecond each time it is read.</summary>
    private sealed class SteppingTime : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks += TimeSpan.TicksPerMillisecond;
    }

    [Fact]
    public void ADeadlineReachedMidwayHasQuiescedEveryEndpointFirstAndReportsTheRest()
    {
        var crash = Crash();
        var time = new SteppingTime();
        var matches = Preconfig.Preinit.Matching.DeviceMatcher.Match(crash.Snapshot, crash.Machine, Preconfig.Preinit.Policy.ReplayPolicy.Default);
        int quiesce = ReplayPlanner.Build(matches, Preconfig.Preinit.Policy.ReplayPolicy.Default).Steps.Count(s => s.Phase == StepPhase.Quiesce);
        // Expire just after the quiesce steps (each step reads the clock once when nothing needs a retry).
        crash.Preinit(options: new ApplyOptions { RetryDelay = TimeSpan.Zero, Deadline = new Deadline(TimeSpan.FromMilliseconds(quiesce * 2 + 1), time) });
        var done = crash.Results.TakeWhile(r => r.Outcome != StepOutcome.NotDone).ToList();
        Assert.True(done.Count >= quiesce, $"{done.Count} done, {quiesce} quiesce steps");
        Assert.All(crash.Results.Take(quiesce), r => Assert.Equal(StepPhase.Quiesce, r.Step.Phase));
        Assert.Contains(crash.Results, r => r.Outcome == StepOutcome.NotDone);
        Assert.All(crash.Results.SkipWhile(r => r.Outcome != StepOutcome.NotDone), r => Assert.Equal(StepOutcome.NotDone, r.Outcome));
        foreach (var f in crash.Machine.Functions.Where(f => ConfigBytes.HeaderKind(crash.Firmware[f.Address]) == HeaderType.Normal && Owned.None(crash.Machine, f.Address)))
            Assert.False(f.Space.DmaAllowed, $"{f.Address}: DMA still allowed after the quiesce");
        Assert.Contains(crash.Report!.Devices, d => d.Outcome == PreinitReport.Failed && d.Reason.Contains("deadline reached"));
    }
}
