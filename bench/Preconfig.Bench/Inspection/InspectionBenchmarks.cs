using BenchmarkDotNet.Attributes;
using Preconfig.Inspection;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.Handoff.Model;

namespace Preconfig.Bench.Inspection;

/// <summary>
/// The work of inspect and diff on 1,024 functions, in process (loading the input excluded: that is the blob
/// reader's or the dump reader's cost). The whole-process figures with the AOT binary: bench/scripts/inspect_bench.py.
/// Functions are the real pciutils test dumps, copied under new addresses; the "dirty" side has Bus Master on,
/// Interrupt Line changed and Received Master Abort set on every function.
/// </summary>
[MemoryDiagnoser]
public class InspectionBenchmarks
{
    private Snapshot _a = null!, _b = null!;
    private PciIds _ids = null!;
    private IReadOnlyList<FunctionSummary> _summaries = null!;

    [GlobalSetup]
    public void Setup()
    {
        string dumps = Path.Combine(FindRoot(), "..", "shared", "fixtures", "real-dumps", "pciutils-tests");
        var configs = Directory.EnumerateFiles(dumps).Order(StringComparer.Ordinal)
            .SelectMany(f => LspciDumpReader.ReadFile(f).Functions).Select(f => f.Config).ToList();
        var a = new List<DeviceRecord>();
        var b = new List<DeviceRecord>();
        for (int i = 0; i < 1024; i++)
        {
            var address = new PciAddress(0, (byte)(1 + i / 32), (byte)(i % 32), 0);
            byte[] config = configs[i % configs.Count], dirty = (byte[])config.Clone();
            dirty[0x04] |= 0x04;
            dirty[0x07] |= 0x20;
            dirty[0x3c] ^= 0x0a;
            a.Add(new DeviceRecord { Address = address, Config = config });
            b.Add(new DeviceRecord { Address = address, Config = dirty });
        }
        _a = new Snapshot { Devices = a };
        _b = new Snapshot { Devices = b };
        _ids = PciIds.System();
        _summaries = FunctionSummary.Build(_a, _ids);
    }

    [Benchmark] public int Summaries() => FunctionSummary.Build(_a, _ids).Count;
    [Benchmark] public int Table() { var w = new StringWriter(); InspectText.WriteTable(w, _summaries); return w.GetStringBuilder().Length; }
    [Benchmark] public int Json() => InspectionJson.Serialize(InspectionJson.Devices(_summaries)).Length;
    [Benchmark] public int DiffDirty() => SnapshotDiff.Compare(_a, _b).Changes.Count;
    [Benchmark] public int DiffSame() => SnapshotDiff.Compare(_a, _a).Changes.Count;

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Preconfig.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Preconfig.sln not found");
    }
}
