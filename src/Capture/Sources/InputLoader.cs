using System.IO.Abstractions;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;
using Preconfig.Handoff.Stores;

namespace Preconfig.Capture.Sources;

/// <summary>An INPUT turned into a snapshot, with warnings, and the blob's details when it came from a store.</summary>
public sealed record LoadedInput(Snapshot Snapshot, string Description, IReadOnlyList<string> Warnings, StoreLoadResult? Stored);

/// <summary>
/// Turns any INPUT of the contract into a <see cref="Snapshot"/>: a blob or store (<c>file:</c>, <c>devmem:</c>,
/// <c>initrd:</c>, <c>early:</c>, or a plain path recognised by its magic) as stored, with its own metadata; a dump
/// or machine (<c>lspci:</c>, <c>sim:</c>, a plain path recognised by content) as a fresh snapshot of it.
/// The verbs inspect, diff, report, export and preinit share this.
/// </summary>
public static class InputLoader
{
    public static LoadedInput Load(string input, IFileSystem fs, HandoffKey? key = null)
    {
        var spec = SourceSpec.Parse(input).Resolve(fs);
        var source = SnapshotSources.Open(spec, fs, key);
        // early:FILE is viewed as stored; relabelling it for a merge is the capture's business.
        if (source is Merge.EarlySource { Stored: StoredSnapshotSource early }) source = early;
        if (source is StoredSnapshotSource stored)
        {
            var capture = stored.Capture();
            return new LoadedInput(stored.Loaded!.Blob.Snapshot, input, capture.Warnings, stored.Loaded);
        }
        var snapshot = SnapshotSources.Take([source], out var warnings);
        return new LoadedInput(snapshot, source.Description, warnings, null);
    }
}
