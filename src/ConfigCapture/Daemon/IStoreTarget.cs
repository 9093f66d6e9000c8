namespace Preconfig.ConfigCapture.Daemon;

/// <summary>
/// Somewhere the daemon writes the encoded blob. A write must never tear: when it is interrupted the store still
/// holds its previous content (atomic replace for files, the alternate slot for reserved memory).
/// </summary>
public interface IStoreTarget
{
    /// <summary>The store as configured (<c>file:/var/lib/preconfig/handoff.pcfg</c>).</summary>
    string Spec { get; }

    void Write(ReadOnlySpan<byte> blob);
}
