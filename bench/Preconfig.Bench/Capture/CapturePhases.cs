using System.Diagnostics;
using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.Capture.Sysfs;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Stores;

namespace Preconfig.Bench.Capture;

/// <summary><c>capture-phases ROOT [RUNS]</c>: medians of each phase of a sysfs capture (read, snapshot, encode, store) in-process.</summary>
public static class CapturePhases
{
    public static int Run(string[] args)
    {
        string root = args[0];
        int runs = args.Length > 1 ? int.Parse(args[1]) : 20;
        var fs = new FileSystem();
        string store = Path.Combine(Path.GetTempPath(), "capture-phases.pcfg");
        var t = new Dictionary<string, List<double>> { ["read"] = [], ["snapshot"] = [], ["encode"] = [], ["store"] = [] };
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            var source = new SysfsSource(fs, root);
            var capture = source.Capture();
            t["read"].Add(sw.Elapsed.TotalMilliseconds); sw.Restart();
            var snapshot = SnapshotSources.FromCapture(source.Description, capture);
            t["snapshot"].Add(sw.Elapsed.TotalMilliseconds); sw.Restart();
            var blob = HandoffBlob.Write(snapshot);
            t["encode"].Add(sw.Elapsed.TotalMilliseconds); sw.Restart();
            HandoffStore.Parse("file:" + store, fs).Save(snapshot);
            t["store"].Add(sw.Elapsed.TotalMilliseconds);
            if (i == 0) Console.WriteLine($"{capture.Devices.Count} functions, blob {blob.Length} bytes");
        }
        foreach (var (k, v) in t) Console.WriteLine($"{k,-9} median {v.Order().ElementAt(v.Count / 2):F2} ms");
        return 0;
    }
}
