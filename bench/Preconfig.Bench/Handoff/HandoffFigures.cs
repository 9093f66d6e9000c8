using System.Diagnostics;
using System.IO.Abstractions;
using BenchmarkDotNet.Attributes;
using Preconfig.Capture.Sources;
using Preconfig.ConfigSpace;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;

namespace Preconfig.Bench.Handoff;

/// <summary>
/// Blob figures: size per device for each real dump (the target: at most 150 bytes per 4 KiB device), and the
/// medians of encode+frame and read+verify on a 1024-device snapshot (target: under 5 ms each).
/// <c>dotnet run -c Release --project bench/Preconfig.Bench -- handoff [DUMPS_DIR]</c> prints them (Stopwatch
/// medians); <c>-- --filter '*HandoffBlob*'</c> runs the same two operations under BenchmarkDotNet.
/// </summary>
public static class HandoffFigures
{
    public static string DefaultDumps => Environment.GetEnvironmentVariable("PRECONFIG_REAL_DUMPS") ?? Path.Combine(RepoRoot(), "fixtures", "real-dumps");

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Preconfig.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }

    public static int Run(string[] args)
    {
        string dir = args.Length > 0 ? args[0] : DefaultDumps;
        var fs = new FileSystem();
        Console.WriteLine($"{"fixture",-58} {"devs",5} {"4K",4} {"raw B",8} {"none",8} {"deflate",8} {"brotli",8} {"B/dev",7} {"B/dev 4K-only",13}");
        long totalBlob = 0, totalDevs = 0;
        foreach (string file in DumpFiles(dir))
        {
            Snapshot s;
            try { s = SnapshotSources.Take([new LspciSource(fs, file)], out _); }
            catch (FormatException e) { Console.WriteLine($"{Path.GetRelativePath(dir, file)}: skipped: {e.Message}"); continue; }
            int ext = s.Devices.Count(d => d.Config.Length == 4096);
            long raw = s.Devices.Sum(d => (long)d.Config.Length);
            int none = HandoffBlob.Write(s, new BlobWriteOptions { Compression = BlobCompression.None }).Length;
            int deflate = HandoffBlob.Write(s, new BlobWriteOptions { Compression = BlobCompression.Deflate }).Length;
            int brotli = HandoffBlob.Write(s, new BlobWriteOptions { Compression = BlobCompression.Brotli }).Length;
            int auto = HandoffBlob.Write(s).Length;
            string extOnly = "";
            if (ext > 0 && ext < s.Devices.Count)
            {
                var only = new Snapshot { Sources = s.Sources, ToolVersion = s.ToolVersion, Devices = [.. s.Devices.Where(d => d.Config.Length == 4096)] };
                extOnly = $"{(double)HandoffBlob.Write(only).Length / ext,13:F1}";
            }
            else if (ext > 0) extOnly = $"{(double)auto / ext,13:F1}";
            totalBlob += auto; totalDevs += s.Devices.Count;
            Console.WriteLine($"{Path.GetRelativePath(dir, file),-58} {s.Devices.Count,5} {ext,4} {raw,8} {none,8} {deflate,8} {brotli,8} {(double)auto / s.Devices.Count,7:F1} {extOnly}");
        }
        var all4k = AllDevices(dir).Where(c => c.Length == 4096).ToList();
        var one = Renumber(all4k, all4k.Count, "lspci:real-dumps");
        int oneBlob = HandoffBlob.Write(one).Length;
        Console.WriteLine($"every 4 KiB device of the fixtures in one snapshot: {all4k.Count} devices, blob {oneBlob} B, {(double)oneBlob / all4k.Count:F1} B/device (brotli {(double)HandoffBlob.Write(one, new BlobWriteOptions { Compression = BlobCompression.Brotli }).Length / all4k.Count:F1})");
        var every = AllDevices(dir).ToList();
        var oneAll = Renumber(every, every.Count, "lspci:real-dumps");
        Console.WriteLine($"every device of the fixtures in one snapshot: {every.Count} devices, {(double)HandoffBlob.Write(oneAll).Length / every.Count:F1} B/device");
        Console.WriteLine($"all fixtures: {totalDevs} devices, {totalBlob} blob bytes, {(double)totalBlob / Math.Max(1, totalDevs):F1} B/device (each file its own blob, header included)");

        var big = Build1024(dir);
        var blob = HandoffBlob.Write(big);
        Console.WriteLine($"1024-device snapshot: {big.Devices.Count(d => d.Config.Length == 4096)} of 4 KiB, raw {big.Devices.Sum(d => d.Config.Length)} B, blob {blob.Length} B ({(double)blob.Length / 1024:F1} B/device)");
        double enc = Median(() => HandoffBlob.Write(big, new BlobWriteOptions { Sequence = 7 }));
        double dec = Median(() => HandoffBlob.Read(blob));
        Console.WriteLine($"encode+frame median {enc:F3} ms; read+verify median {dec:F3} ms (target < 5 ms each)");
        if (Environment.GetEnvironmentVariable("HANDOFF_DETAIL") == "1")
        {
            var body = SnapshotBody.Encode(big);
            Console.WriteLine($"body {body.Length} B");
            Console.WriteLine($"body encode {Median(() => SnapshotBody.Encode(big)):F3} ms, body decode {Median(() => SnapshotBody.Decode(body)):F3} ms");
            foreach (var snap in new[] { one, big })
            {
                var bd = SnapshotBody.Encode(snap);
                foreach (int q in new[] { 1, 3, 4, 5, 6, 9, 11 })
                {
                    var dst = new byte[bd.Length + 1000];
                    System.IO.Compression.BrotliEncoder.TryCompress(bd, dst, out int wr, q, 22);
                    Console.WriteLine($"brotli q{q}: {wr} B ({(double)wr / snap.Devices.Count:F1}/dev) {Median(() => System.IO.Compression.BrotliEncoder.TryCompress(bd, dst, out _, q, 22)):F3} ms");
                }
                foreach (var lvl in new[] { System.IO.Compression.CompressionLevel.Fastest, System.IO.Compression.CompressionLevel.Optimal, System.IO.Compression.CompressionLevel.SmallestSize })
                {
                    byte[] Z() { var ms = new MemoryStream(); using (var z = new System.IO.Compression.DeflateStream(ms, lvl, true)) z.Write(bd); return ms.ToArray(); }
                    Console.WriteLine($"deflate {lvl}: {Z().Length} B ({(double)Z().Length / snap.Devices.Count:F1}/dev) {Median(() => Z()):F3} ms");
                }
            }
            foreach (var c in new[] { BlobCompression.None, BlobCompression.Deflate, BlobCompression.Brotli })
            {
                var b = HandoffBlob.Write(big, new BlobWriteOptions { Compression = c });
                Console.WriteLine($"{c}: {b.Length} B, frame {Median(() => HandoffBlob.Frame(body, new BlobWriteOptions { Compression = c })):F3} ms, read {Median(() => HandoffBlob.ReadBody(b)):F3} ms");
            }
        }
        return 0;
    }

    private static IEnumerable<string> DumpFiles(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".md", StringComparison.Ordinal) && !f.EndsWith(".bin", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>Every function's config bytes in every real dump, in file order.</summary>
    public static IEnumerable<byte[]> AllDevices(string dir)
    {
        var fs = new FileSystem();
        foreach (string file in DumpFiles(dir))
        {
            IReadOnlyList<DeviceRecord> devices;
            try { devices = SnapshotSources.Take([new LspciSource(fs, file)], out _).Devices; }
            catch (FormatException) { continue; }
            foreach (var d in devices) yield return d.Config;
        }
    }

    /// <summary>1024 functions made of the real dumps' devices (4 KiB ones first), renumbered to distinct addresses.</summary>
    public static Snapshot Build1024(string dir) =>
        Renumber([.. AllDevices(dir).OrderByDescending(c => c.Length)], 1024, "sysfs");

    /// <summary><paramref name="count"/> functions cycling through <paramref name="pool"/>, at distinct addresses.</summary>
    public static Snapshot Renumber(IReadOnlyList<byte[]> pool, int count, string source)
    {
        var devices = new List<DeviceRecord>(count);
        for (int i = 0; i < count; i++)
        {
            var config = pool[i % pool.Count];
            devices.Add(new DeviceRecord
            {
                Address = new PciAddress(0, (byte)(i >> 5), (byte)(i & 31), 0),
                Config = config,
                Origins = [new ConfigOrigin(0, config.Length, source, Pristineness.Undriven)],
            });
        }
        return new Snapshot { HostName = "bench", KernelRelease = "6.12.0", BootId = Guid.Empty.ToString(), Sources = [source], Devices = Snapshot.Normalize(devices) };
    }

    private static double Median(Action action)
    {
        // Warm up long enough for tiered JIT to promote the hot loops (tier-0 code measures several times slower).
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 40 || warm.ElapsedMilliseconds < 2000; i++) action();
        var times = new double[41];
        for (int i = 0; i < times.Length; i++)
        {
            long t = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }
}

[MemoryDiagnoser]
public class HandoffBlobBenchmarks
{
    private Snapshot _snapshot = null!;
    private byte[] _blob = null!;

    [GlobalSetup]
    public void Setup()
    {
        _snapshot = HandoffFigures.Build1024(HandoffFigures.DefaultDumps);
        _blob = HandoffBlob.Write(_snapshot);
    }

    [Benchmark] public byte[] EncodeAndFrame1024() => HandoffBlob.Write(_snapshot);
    [Benchmark] public DecodedBlob ReadAndVerify1024() => HandoffBlob.Read(_blob);
}
