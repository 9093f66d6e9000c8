using BenchmarkDotNet.Attributes;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.Handoff.Model;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Loading;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Planning;
using Preconfig.Preinit.Policy;

namespace Preconfig.Bench.Preinit;

/// <summary>
/// Match + plan + apply on the simulator, per device: the bundled 16-function machine, dirtied afresh before every
/// invocation. Divide the mean by <see cref="Functions"/> for the apply time per device (the report prints both).
/// <see cref="Resets"/> = true runs the same with <c>{"reset": "if-supported"}</c> (every endpoint reset by FLR, bus or
/// its parent bridge, each verified): the cost of the reset machinery itself. The bus-reset waits (2 ms hold, 100 ms
/// settle) are not slept here; on hardware they and the kernel's own (up to ~1 s for a bus reset) dominate, bounded by
/// the deadline.
/// <c>dotnet run -c Release --project bench/Preconfig.Bench -- --filter '*PreinitApply*'</c>
/// </summary>
[MemoryDiagnoser]
public class PreinitApplyBenchmark
{
    private string _machinePath = "";
    private Snapshot _snapshot = null!;
    private SimulatedMachine _machine = null!;

    public int Functions { get; private set; }

    private static readonly ReplayPolicy ResetAll = ReplayPolicy.Parse("""{"reset": "if-supported"}""");

    [Params(false, true)]
    public bool Resets { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "fixtures", "machines", "demo.json");
            if (File.Exists(candidate)) { _machinePath = candidate; break; }
        }
        var firmware = SimulatedMachine.Load(_machinePath);
        _snapshot = AccessSnapshot.Capture(firmware, "bench");
        Functions = firmware.Count;
    }

    [IterationSetup]
    public void Dirty()
    {
        _machine = SimulatedMachine.Load(_machinePath);
        KernelRun.Dirty(_machine, 1);
    }

    [Benchmark(Description = "match+plan+apply, 16 dirtied functions")]
    public int MatchPlanApply()
    {
        var policy = Resets ? ResetAll : ReplayPolicy.Default;
        var plan = ReplayPlanner.Build(DeviceMatcher.Match(_snapshot, _machine, policy), policy);
        return ReplayApplier.Apply(plan, _machine, new ApplyOptions { RetryDelay = TimeSpan.Zero, Sleep = _ => { } }).Count;
    }
}
