using System.IO.Abstractions;
using Preconfig.Capture.Earlydump;
using Preconfig.Capture.Merge;
using Preconfig.Capture.Sysfs;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;
using Preconfig.Handoff.Stores;

namespace Preconfig.Capture.Sources;

/// <summary>Opens SOURCE specs and turns what they capture into a snapshot.</summary>
public static class SnapshotSources
{
    public static string ToolVersion { get; } =
        typeof(SnapshotSources).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Opens a source spec (cli-contract.md "Inputs"). Forms this build cannot read are <see cref="UnsupportedSourceException"/>s.</summary>
    /// <param name="includeVirtualFunctions">Capture SR-IOV virtual functions from sysfs too (left out by default: the
    /// capture kernel's SR-IOV set-up disables them and preinit never restores them).</param>
    public static ISnapshotSource Open(string text, IFileSystem fs, HandoffKey? key = null, bool includeVirtualFunctions = false) =>
        Open(SourceSpec.Parse(text), fs, key, includeVirtualFunctions);

    public static ISnapshotSource Open(SourceSpec spec, IFileSystem fs, HandoffKey? key = null, bool includeVirtualFunctions = false)
    {
        spec = spec.Resolve(fs);
        return spec.Kind switch
        {
            SourceKind.Lspci => new LspciSource(fs, spec.Argument, spec.Text.StartsWith("lspci:", StringComparison.Ordinal) ? spec.Text : "lspci:" + spec.Argument),
            SourceKind.Sim => new PciAccessSource(LoadMachine(fs, spec.Argument), spec.Text.StartsWith("sim:", StringComparison.Ordinal) ? spec.Text : "sim:" + spec.Argument),
            // Never with the key: the early snapshot is taken in the production initramfs, which must not carry the
            // key (only the kdump one does), so it is never signed. It is this boot's (boot id checked), in /run.
            SourceKind.Early => new EarlySource(new StoredSnapshotSource(HandoffStore.Parse(spec.Argument, fs), null, spec.Text),
                LiveSystem.ReadLine(fs, LiveSystem.BootIdPath)),
            SourceKind.Store => new StoredSnapshotSource(HandoffStore.Parse(spec.Argument, fs), key, spec.Text),
            SourceKind.Sysfs => new SysfsSource(fs, spec.Argument, spec.Text) { IncludeVirtualFunctions = includeVirtualFunctions },
            SourceKind.EarlyDump => new EarlydumpSource(spec.Argument, fs, spec.Text),
            _ => throw new UnsupportedSourceException($"source '{spec.Text}': not a source this build reads"),
        };
    }

    private static SimulatedMachine LoadMachine(IFileSystem fs, string path) =>
        fs.File.Exists(path) ? SimulatedMachine.Load(path) : throw new FileNotFoundException($"{path}: no such file", path);

    /// <summary>
    /// A snapshot of what the sources captured. Several sources are merged (<see cref="SourceMerger"/>: per function
    /// the most pristine bytes, completed by longer captures); where-and-when comes from the latest source that knows
    /// (a live one, rather than an early snapshot it completes).
    /// </summary>
    public static Snapshot Take(IReadOnlyList<ISnapshotSource> sources, out IReadOnlyList<string> warnings)
    {
        if (sources.Count == 0) throw new ArgumentException("no source given");
        var captures = sources.Select(s => s.Capture()).ToList();
        return Merge(sources.Select(s => s.Description).ToList(), captures, out warnings);
    }

    /// <summary>
    /// The snapshot of captures already taken (the daemon captures, then builds). A capture with no function at all
    /// is refused (<see cref="InvalidDataException"/>): written to a store it would replace a good snapshot with nothing.
    /// </summary>
    public static Snapshot Merge(IReadOnlyList<string> descriptions, IReadOnlyList<SourceCapture> captures, out IReadOnlyList<string> warnings)
    {
        if (captures.All(c => c.Devices.Count == 0))
        {
            var said = captures.SelectMany(c => c.Warnings).Take(3).ToList();
            throw new InvalidDataException($"no function captured from {string.Join(", ", descriptions)}" +
                (said.Count > 0 ? $": {string.Join("; ", said)}" : ""));
        }
        // More functions than a snapshot holds: the most useful ones rather than no handoff (SnapshotLimit).
        var virtualFunctions = captures.Where(c => c.VirtualFunctions is not null).SelectMany(c => c.VirtualFunctions!).ToHashSet();
        if (captures.Count == 1)
        {
            var fitted = SnapshotLimit.Fit(captures[0].Devices, virtualFunctions, out string? cut);
            warnings = cut is null ? captures[0].Warnings : [.. captures[0].Warnings, cut];
            return FromCapture(descriptions[0], captures[0] with { Devices = fitted });
        }
        var merged = SourceMerger.Merge(captures);
        var devices = SnapshotLimit.Fit(merged.Devices, virtualFunctions, out string? left);
        warnings = [.. captures.SelectMany(c => c.Warnings), .. merged.Warnings, .. left is null ? Array.Empty<string>() : [left]];
        var system = captures.Select(c => c.System).Where(s => s is not null).MaxBy(s => s!.CapturedAt);
        return FromCapture(descriptions, new SourceCapture(devices, warnings, system));
    }

    public static Snapshot FromCapture(string description, SourceCapture capture) => FromCapture([description], capture);

    public static Snapshot FromCapture(IReadOnlyList<string> descriptions, SourceCapture capture) => new()
    {
        CapturedAt = capture.System?.CapturedAt ?? DateTimeOffset.UtcNow,
        HostName = capture.System?.HostName ?? "",
        KernelRelease = capture.System?.KernelRelease ?? "",
        BootId = capture.System?.BootId ?? "",
        ToolVersion = ToolVersion,
        Sources = descriptions,
        Devices = Snapshot.Normalize(capture.Devices),
    };
}
