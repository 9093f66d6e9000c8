using Preconfig.Capture.Sources;
using Preconfig.Handoff.Model;

namespace Preconfig.Capture.Merge;

/// <summary>
/// The <c>early:FILE</c> source: a snapshot taken earlier in this boot (the production initramfs hook, before modules
/// bind), read by the handoff store reader. Its records count as <see cref="Pristineness.Firmware"/> unless they say
/// a driver was already bound then. A snapshot from another boot describes another firmware run: it is refused (with
/// a warning), not merged. So is one that is missing or unreadable: the early snapshot only improves on the live
/// sources beside it, and the daemon must start on a boot whose initramfs took none.
/// </summary>
public sealed class EarlySource(ISnapshotSource stored, string? currentBootId) : ISnapshotSource
{
    /// <summary>The snapshot as stored (what the offline views show for an <c>early:</c> input).</summary>
    public ISnapshotSource Stored { get; } = stored;
    public string Description => Stored.Description;

    public SourceCapture Capture()
    {
        SourceCapture stored;
        try
        {
            stored = Stored.Capture();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            return new SourceCapture([], [$"{Description}: no usable early snapshot ({e.Message}); not used"], null);
        }
        return Relabel(stored, Description, currentBootId);
    }

    public static SourceCapture Relabel(SourceCapture capture, string description, string? currentBootId)
    {
        string? bootId = capture.System?.BootId;
        if (!string.IsNullOrEmpty(bootId) && !string.IsNullOrEmpty(currentBootId)
            && !string.Equals(bootId.Trim(), currentBootId.Trim(), StringComparison.OrdinalIgnoreCase))
            return new SourceCapture([],
                [.. capture.Warnings, $"{description}: taken in another boot (boot id {bootId}, this boot is {currentBootId.Trim()}); not used"],
                capture.System);

        var devices = capture.Devices.Select(d => new DeviceRecord
        {
            Address = d.Address,
            Config = d.Config,
            Driver = d.Driver,
            ResetMethods = d.ResetMethods,
            Resources = d.Resources,
            Truncated = d.Truncated,
            Origins = [new ConfigOrigin(0, d.Config.Length, description,
                d.Pristineness == Pristineness.DriverBound ? Pristineness.DriverBound : Pristineness.Firmware)],
        }).ToList();
        return new SourceCapture(devices, capture.Warnings, capture.System);
    }
}
