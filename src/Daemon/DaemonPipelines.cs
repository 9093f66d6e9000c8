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
        var previous = PreviousKey(settings.KeyFile, fs);
        var stores = settings.Stores.Select(s => (IStoreTarget)new HandoffStoreTarget(WithPrevious(HandoffStore.Parse(s, fs), previous), key)).ToList();
        var sources = settings.Sources.Select(s => SnapshotSources.Open(s, fs, key, settings.IncludeVirtualFunctions)).ToList();
        return new DaemonPipeline(sources, stores);
    }

    /// <summary>The key a rotation keeps beside the current one (<see cref="HandoffKey.PreviousPath"/>), when there is one
    /// to read: the loaded capture kernel may still verify only with it.</summary>
    private static HandoffKey? PreviousKey(string? keyFile, IFileSystem fs)
    {
        if (keyFile is null || !fs.File.Exists(HandoffKey.PreviousPath(keyFile))) return null;
        try { return HandoffKey.Load(fs, HandoffKey.PreviousPath(keyFile)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException) { return null; }
    }

    private static HandoffStore WithPrevious(HandoffStore store, HandoffKey? previous)
    {
        if (store is DevMemStore devmem && previous is not null) devmem.PreviousKeys = [previous];
        return store;
    }

    /// <summary>The roots of the sysfs sources: what the daemon polls for device changes.</summary>
    public static IReadOnlyList<string> WatchedRoots(IEnumerable<string> sources) =>
        [.. sources.Select(SourceSpec.Parse).Where(s => s.Kind == SourceKind.Sysfs).Select(s => s.Argument).Distinct()];
}

/// <summary>A handoff store (file, devmem, initrd) as a daemon store: encodes and saves the snapshot, signed when keyed.</summary>
public sealed class HandoffStoreTarget(HandoffStore store, HandoffKey? key) : IStoreTarget
{
    public string Spec => store.Spec;
    public HandoffStore Store => store;

    public long Write(Snapshot snapshot) => store.Save(snapshot, key).BlobLength;
}
