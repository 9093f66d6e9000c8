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
        if (SourceSpec.Parse(input) is { Kind: SourceKind.Sysfs } sysfs)
        {
            // Read-only: the offline views never write to a live machine. The bytes alone, as every other INPUT is
            // viewed: not SysfsSource, which adds the live system's host, kernel and boot id for a capture.
            snapshot = SnapshotSources.Take([new PciAccessSource(new SysfsPciAccess(fs, sysfs.Argument, writable: false), input)], out warnings);
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
}
