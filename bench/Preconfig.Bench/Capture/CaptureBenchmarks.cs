using BenchmarkDotNet.Attributes;
using Preconfig.ConfigCapture.Sysfs;
using Preconfig.ConfigSpace.Simulation;

namespace Preconfig.Bench.Capture;

/// <summary>Capture (and encode) of a 1,024-function simulated machine made from real dumps. Target: under 20 ms.</summary>
[MemoryDiagnoser]
public class CaptureBenchmarks
{
    private SimulatedMachine _machine = null!;

    [GlobalSetup]
    public void Setup() => _machine = BigMachine.Create(1024);

    [Benchmark]
    public int Capture() => SysfsSource.Capture(_machine, "sim").Devices.Count;
}
