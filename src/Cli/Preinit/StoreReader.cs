using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.Handoff.Blob;
using Preconfig.Preinit.Loading;

namespace Preconfig.Cli.Preinit;

/// <summary>Turns a <c>--from</c> spec into a snapshot through the shared <see cref="InputLoader"/>: a blob store
/// (<c>FILE</c>, <c>file:</c>, <c>devmem:</c>, <c>initrd:</c>; each falls back to its older slot on its own), or a
/// source read now (<c>sim:FILE</c>, <c>sysfs:ROOT</c>, <c>lspci:FILE</c>) for tests and the demo. With a key a blob
/// must be signed with it.</summary>
internal static class StoreReader
{
    public static LoadedSnapshot Read(IFileSystem fs, string spec, HandoffKey? key)
    {
        var loaded = InputLoader.Load(spec, fs, key);
        var warnings = new List<string>(loaded.Warnings);
        if (loaded.Stored?.Problems is { } problems) warnings.AddRange(problems);
        return new LoadedSnapshot(loaded.Snapshot, loaded.Stored?.Location ?? loaded.Description, loaded.Stored?.Blob.Info.Sequence ?? 0, warnings,
            SignatureChecked: loaded.Stored?.Blob.SignatureChecked ?? false);
    }
}
