using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.ConfigSpace.Lspci;

namespace Preconfig.Bench.Capture;

/// <summary>
/// <c>capture-check BLOB LSPCI</c>: does a capture hold, for every function, the bytes <c>lspci -xxxx</c> printed
/// from the same tree? Same set of functions, same bytes over the length both have (lspci prints 256 bytes for a
/// function whose extended space it cannot read; the capture may hold 4096). Exit 0 when equal, 1 with the first
/// differences otherwise.
/// </summary>
public static class CaptureCheck
{
    public static int Run(string[] args)
    {
        if (args.Length != 2) { Console.Error.WriteLine("usage: capture-check BLOB LSPCI-XXXX-OUTPUT"); return 2; }
        var snapshot = InputLoader.Load(args[0], new FileSystem()).Snapshot;
        var dump = LspciDumpReader.ReadFile(args[1]);
        var problems = new List<string>();
        if (dump.Problems.Count > 0) problems.Add($"lspci output has problems: {dump.Problems[0]}");
        var byAddress = snapshot.Devices.ToDictionary(d => d.Address);
        foreach (var f in dump.Functions)
        {
            if (!byAddress.Remove(f.Address, out var d)) { problems.Add($"{f.Address}: lspci has it, the capture does not"); continue; }
            int n = Math.Min(f.Config.Length, d.Config.Length);
            int at = f.Config.AsSpan(0, n).CommonPrefixLength(d.Config.AsSpan(0, n));
            if (at < n) problems.Add($"{f.Address}: differs at 0x{at:x}: lspci {f.Config[at]:x2}, capture {d.Config[at]:x2}");
            else if (f.Config.Length != d.Config.Length) problems.Add($"{f.Address}: lspci shows {f.Config.Length} bytes, the capture holds {d.Config.Length}");
        }
        foreach (var a in byAddress.Keys) problems.Add($"{a}: the capture has it, lspci does not");
        if (problems.Count == 0)
        {
            long bytes = dump.Functions.Sum(f => (long)f.Config.Length);
            Console.WriteLine($"same bytes: {dump.Functions.Count} functions, {bytes} bytes, identical in the capture and in lspci -xxxx");
            return 0;
        }
        foreach (var p in problems.Take(20)) Console.WriteLine("DIFFERENT: " + p);
        Console.WriteLine($"{problems.Count} differences");
        return 1;
    }
}
