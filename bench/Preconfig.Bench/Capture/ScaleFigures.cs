using System.Diagnostics;
using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.Capture.Sysfs;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Handoff.Blob;

namespace Preconfig.Bench.Capture;

/// <summary>
/// <c>scale N [VF_SHARE] [RUNS]</c> (issue 24 item 8): a sysfs tree of N functions, VF_SHARE of them (default 0.9)
/// SR-IOV virtual functions (a <c>physfn</c> link; bytes of a real 4 KiB endpoint, device ID changed), the rest
/// real functions from <see cref="BigMachine"/>; then medians of capture (read + snapshot) and encode, and the blob
/// size, with VFs left out (the default) and with VFs included (cut at the 8,192-function limit).
/// </summary>
public static class ScaleFigures
{
    public static int Run(string[] args)
    {
        int n = int.Parse(args[0]);
        double share = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 0.9;
        int runs = args.Length > 2 ? int.Parse(args[2]) : 5;
        string root = Directory.CreateTempSubdirectory("preconfig-scale-").FullName;
        try
        {
            int vfs = (int)(n * share);
            var sw = Stopwatch.StartNew();
            var machine = BigMachine.Create(n - vfs);
            SysfsTreeWriter.Write(machine, new FileSystem(), root);
            var pf = machine.Functions.First(f => f.Space.Snapshot() is { Length: 4096 } c && ConfigBytes.HeaderKind(c) == Preconfig.ConfigSpace.Registers.HeaderType.Normal);
            var vf = pf.Space.Snapshot();
            vf[2] ^= 0x01;
            for (int i = 0; i < vfs; i++)
            {
                var a = new PciAddress(0x8000 + i / 65536, (byte)(i / 256 % 256), (byte)(i / 8 % 32), (byte)(i % 8));
                string dir = Path.Combine(root, "devices", a.ToString());
                Directory.CreateDirectory(dir);
                File.WriteAllBytes(Path.Combine(dir, "config"), vf);
                File.CreateSymbolicLink(Path.Combine(dir, "physfn"), Path.Combine("..", pf.Address.ToString()));
            }
            Console.WriteLine($"tree: {n} functions ({vfs} VFs) written in {sw.Elapsed.TotalSeconds:F1} s");
            foreach (bool include in new[] { false, true })
            {
                var capture = new List<double>();
                var encode = new List<double>();
                int kept = 0, bytes = 0;
                string? cut = null;
                for (int r = 0; r < runs; r++)
                {
                    sw.Restart();
                    var snapshot = SnapshotSources.Take([new SysfsSource(new FileSystem(), root) { IncludeVirtualFunctions = include }], out var warnings);
                    capture.Add(sw.Elapsed.TotalMilliseconds);
                    sw.Restart();
                    bytes = HandoffBlob.Write(snapshot).Length;
                    encode.Add(sw.Elapsed.TotalMilliseconds);
                    kept = snapshot.Devices.Count;
                    cut = warnings.FirstOrDefault(w => w.Contains("more than the") || w.Contains("left out"));
                }
                Console.WriteLine($"VFs {(include ? "included" : "left out")}: {kept} functions in the snapshot, blob {bytes} B; " +
                    $"capture median {Median(capture):F1} ms, encode median {Median(encode):F1} ms");
                if (cut is not null) Console.WriteLine("  warning: " + cut);
            }
            return 0;
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
}
