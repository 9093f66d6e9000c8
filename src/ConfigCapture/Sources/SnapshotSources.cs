using System.IO.Abstractions;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;
using Preconfig.Handoff.Stores;

namespace Preconfig.ConfigCapture.Sources;

/// <summary>Opens SOURCE specs and turns what they capture into a snapshot.</summary>
public static class SnapshotSources
{
    public static string ToolVersion { get; } =
        typeof(SnapshotSources).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Opens a source spec (cli-contract.md "Inputs"). Forms this build cannot read are <see cref="UnsupportedSourceException"/>s.</summary>
    public static ISnapshotSource Open(string text, IFileSystem fs, HandoffKey? key = null) => Open(SourceSpec.Parse(text), fs, key);

    public static ISnapshotSource Open(SourceSpec spec, IFileSystem fs, HandoffKey? key = null)
    {
        spec = spec.Resolve(fs);
        return spec.Kind switch
        {
            SourceKind.Lspci => new LspciSource(fs, spec.Argument, spec.Text.StartsWith("lspci:", StringComparison.Ordinal) ? spec.Text : "lspci:" + spec.Argument),
            SourceKind.Sim => new PciAccessSource(LoadMachine(fs, spec.Argument), spec.Text.StartsWith("sim:", StringComparison.Ordinal) ? spec.Text : "sim:" + spec.Argument),
            SourceKind.Early => new StoredSnapshotSource(HandoffStore.Parse(spec.Argument, fs), key, spec.Text),
            SourceKind.Store => new StoredSnapshotSource(HandoffStore.Parse(spec.Argument, fs), key, spec.Text),
            SourceKind.Sysfs => throw new UnsupportedSourceException($"source '{spec.Text}': live sysfs capture is not supported yet by this build (it comes with the capture work, issue 4)"),
            SourceKind.EarlyDump => throw new UnsupportedSourceException($"source '{spec.Text}': earlydump logs are not supported yet by this build (they come with the capture work, issue 4)"),
            _ => throw new UnsupportedSourceException($"source '{spec.Text}': not a source this build reads"),
        };
    }

    private static SimulatedMachine LoadMachine(IFileSystem fs, string path) =>
        fs.File.Exists(path) ? SimulatedMachine.Load(path) : throw new FileNotFoundException($"{path}: no such file", path);

    /// <summary>
    /// A snapshot of what the sources captured. One source for now: merging several (by pristineness, byte range
    /// by byte range) comes with the capture work (issue 4) and is refused rather than guessed at.
    /// </summary>
    public static Snapshot Take(IReadOnlyList<ISnapshotSource> sources, out IReadOnlyList<string> warnings)
    {
        if (sources.Count == 0) throw new ArgumentException("no source given");
        if (sources.Count > 1)
            throw new UnsupportedSourceException($"merging {sources.Count} sources is not supported yet by this build (give one --source)");
        var capture = sources[0].Capture();
        warnings = capture.Warnings;
        return FromCapture(sources[0].Description, capture);
    }

    public static Snapshot FromCapture(string description, SourceCapture capture) => new()
    {
        CapturedAt = capture.System?.CapturedAt ?? DateTimeOffset.UtcNow,
        HostName = capture.System?.HostName ?? "",
        KernelRelease = capture.System?.KernelRelease ?? "",
        BootId = capture.System?.BootId ?? "",
        ToolVersion = ToolVersion,
        Sources = [description],
        Devices = Snapshot.Normalize(capture.Devices),
    };
}
