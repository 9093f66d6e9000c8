using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;
using Preconfig.Handoff.Stores;

namespace Preconfig.Daemon;

/// <summary>The daemon's pipeline from its settings: the sources and stores by spec, the key.</summary>
public static class DaemonPipelines
{
    /// <summary>Opens every source and store up front, so a bad spec or key stops the daemon before it reports ready.</summary>
    public static DaemonPipeline Create(DaemonSettings settings, IFileSystem fs)
    {
        var key = settings.KeyFile is null ? null : HandoffKey.Load(fs, settings.KeyFile);
        var stores = settings.Stores.Select(s => (IStoreTarget)new HandoffStoreTarget(HandoffStore.Parse(s, fs), key)).ToList();
        var sources = settings.Sources.Select(s => SnapshotSources.Open(s, fs, key)).ToList();
        return new DaemonPipeline(sources, stores);
    }

    /// <summary>The roots of the sysfs sources: what the daemon polls for device changes.</summary>
    public static IReadOnlyList<string> WatchedRoots(IEnumerable<string> sources) =>
        [.. sources.Select(SourceSpec.Parse).Where(s => s.Kind == SourceKind.Sysfs).Select(s => s.Argument).Distinct()];
}

/// <summary>A handoff store (file, devmem, initrd) as a daemon store: encodes and saves the snapshot, signed when keyed.</summary>
public sealed class HandoffStoreTarget(HandoffStore store, HandoffKey? key) : IStoreTarget
{
    public string Spec => store.Spec;

    public long Write(Snapshot snapshot) => store.Save(snapshot, key).BlobLength;
}
