using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Handoff.Model;

namespace Preconfig.FullEdition.Inspect;

/// <summary>
/// Reads an INPUT of the contract for inspect, diff and report through the handoff <see cref="InputLoader"/>
/// (blobs and stores by magic, lspci dumps, simulated machines); warnings go to stderr, the bytes are still shown.
/// </summary>
internal static class InspectionInputs
{
    public static Snapshot Load(string input)
    {
        var fs = new FileSystem();
        Snapshot snapshot;
        IReadOnlyList<string> warnings;
        if (IsSysfs(input, out string root))
        {
            // Read-only: the offline views never write to a live machine. (Until the capture work gives
            // SnapshotSources a sysfs form, this is where `sysfs` is read.)
            snapshot = SnapshotSources.Take([new PciAccessSource(new SysfsPciAccess(fs, root, writable: false), input)], out warnings);
        }
        else
        {
            var loaded = InputLoader.Load(input, fs);
            snapshot = loaded.Snapshot;
            warnings = loaded.Warnings;
        }
        foreach (var w in warnings) Console.Error.WriteLine($"preconfig: warning: {w}");
        return snapshot;
    }

    private static bool IsSysfs(string input, out string root)
    {
        root = input == "sysfs" ? SysfsConfigSpace.DefaultRoot : input.StartsWith("sysfs:", StringComparison.Ordinal) ? input["sysfs:".Length..] : "";
        return root.Length > 0;
    }
}
