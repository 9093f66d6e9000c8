using BenchmarkDotNet.Attributes;
using Preconfig.Capture.Sources;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.Handoff.Blob;

namespace Preconfig.Bench.Capture;

/// <summary>
/// Capture, and capture + encode (snapshot, MessagePack body, Brotli, framed blob), of a 1,024-function simulated
/// machine made from real dumps. Target: capture + encode under 20 ms.
/// <c>dotnet run -c Release --project bench/Preconfig.Bench -- --filter '*CaptureBenchmarks*'</c>
/// </summary>
[MemoryDiagnoser]
public class CaptureBenchmarks
{
    private SimulatedMachine _machine = null!;

    [GlobalSetup]
    public void Setup() => _machine = BigMachine.Create(1024);

    [Benchmark]
    public int Capture() => new PciAccessSource(_machine, "sim").Capture().Devices.Count;

    [Benchmark]
    public int CaptureAndEncode()
    {
        var snapshot = SnapshotSources.Take([new PciAccessSource(_machine, "sim")], out _);
        return HandoffBlob.Write(snapshot).Length;
    }
}
