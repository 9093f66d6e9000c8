using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;
using Preconfig.Handoff.Stores;

namespace Preconfig.Capture.Sources;

/// <summary>
/// <c>early:FILE</c>, or any store: the devices of a snapshot taken earlier, with their own origins and the system
/// they were taken on. Problems with a store's other slot are warnings.
/// </summary>
public sealed class StoredSnapshotSource(HandoffStore store, HandoffKey? key, string description) : ISnapshotSource
{
    public HandoffStore Store { get; } = store;
    public string Description { get; } = description;

    /// <summary>The last load (after <see cref="Capture"/>).</summary>
    public StoreLoadResult? Loaded { get; private set; }

    public SourceCapture Capture()
    {
        Loaded = Store.Load(key);
        var s = Loaded.Blob.Snapshot;
        return new SourceCapture(s.Devices, Loaded.Problems, new CaptureSystem(s.HostName, s.KernelRelease, s.BootId, s.CapturedAt));
    }
}
