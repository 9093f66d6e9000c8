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
/// What the reset policy costs preinit itself on the simulator: match + plan + apply on the bundled 16-function
/// machine (dirtied afresh each invocation) without resets (baseline) and with <c>{"reset": "if-supported"}</c>
/// (every endpoint reset by FLR, bus or its parent bridge, each verified). The bus-reset waits (2 ms hold, 100 ms
/// settle) are not slept here: on hardware those waits and the kernel's own (up to ~1 s for a bus reset) dominate,
/// and they are bounded by the deadline.
/// <c>dotnet run -c Release --project bench/Preconfig.Bench -- --filter '*PreinitReset*'</c>
/// </summary>
[MemoryDiagnoser]
public class PreinitResetBenchmark
{
    private string _machinePath = "";
    private Snapshot _snapshot = null!;
    private SimulatedMachine _machine = null!;
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
        _snapshot = AccessSnapshot.Capture(SimulatedMachine.Load(_machinePath), "bench");
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
