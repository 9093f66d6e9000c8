namespace Preconfig.Daemon;

/// <summary>
/// Somewhere the daemon writes the snapshot (encoding it as the store needs). A write must never tear: when it is interrupted the store still
/// holds its previous content (atomic replace for files, the alternate slot for reserved memory).
/// </summary>
public interface IStoreTarget
{
    /// <summary>The store as configured (<c>file:/var/lib/preconfig/handoff.pcfg</c>).</summary>
    string Spec { get; }

    /// <summary>Writes the snapshot; returns the bytes the store now holds for it.</summary>
    long Write(Preconfig.Handoff.Model.Snapshot snapshot);
}
