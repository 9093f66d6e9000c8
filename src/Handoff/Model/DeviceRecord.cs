using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Handoff.Model;

/// <summary>How close to firmware state captured bytes are; lower is more pristine (merging prefers it).</summary>
public enum Pristineness
{
    /// <summary>Before any driver ran: a capture in the production initramfs, or the kernel's earlydump log.</summary>
    Firmware = 0,
    /// <summary>Live, but no driver is bound to the function.</summary>
    Undriven = 1,
    /// <summary>Live, with a driver bound: it may have changed registers.</summary>
    DriverBound = 2,
    /// <summary>Origin unknown (a dump file, a simulated machine).</summary>
    Unknown = 3,
}

/// <summary>Which source a byte range of a record's config came from.</summary>
public sealed record ConfigOrigin(int Offset, int Length, string Source, Pristineness Pristineness);

/// <summary>
/// One function as captured. Identity (vendor, device, class ...) is read from the config bytes, not stored twice.
/// </summary>
public sealed class DeviceRecord
{
    public required PciAddress Address { get; init; }

    /// <summary>The captured bytes: 64, 256 or 4096 of them.</summary>
    public required byte[] Config { get; init; }

    /// <summary>BARs, ROM and windows from sysfs <c>resource</c>, when the source had them (a live capture reads
    /// them for a function with a BAR or ROM register set: PciAccessSource.Kept).</summary>
    public IReadOnlyList<BarResource> Resources { get; init; } = [];

    /// <summary>The driver bound at capture time, if any.</summary>
    public string? Driver { get; init; }

    /// <summary>sysfs <c>reset_method</c> ("flr", "pm", "bus" ...), when known: blobs of earlier versions have it; a
    /// live capture no longer reads it (preinit resets by the capture kernel's own).</summary>
    public IReadOnlyList<string> ResetMethods { get; init; } = [];

    /// <summary>Where the bytes came from, range by range (one entry for a single-source capture).</summary>
    public IReadOnlyList<ConfigOrigin> Origins { get; init; } = [];

    /// <summary>The capture could read less than the device has (a non-root sysfs read gives 64 bytes).</summary>
    public bool Truncated { get; init; }

    public int CapturedLength => Config.Length;
    public ushort VendorId => ConfigBytes.VendorId(Config);
    public ushort DeviceId => ConfigBytes.DeviceId(Config);
    public byte Revision => ConfigBytes.Revision(Config);
    public uint ClassCode => ConfigBytes.ClassCode(Config);
    public HeaderType HeaderType => ConfigBytes.HeaderKind(Config);
    public ushort SubsystemVendorId => ConfigBytes.SubsystemVendorId(Config);
    public ushort SubsystemId => ConfigBytes.SubsystemId(Config);

    /// <summary>The least pristine part decides how far the whole record can be trusted.</summary>
    public Pristineness Pristineness
    {
        get
        {
            if (Origins.Count == 0) return Pristineness.Unknown;
            var most = Origins[0].Pristineness;
            foreach (var o in Origins)
                if (o.Pristineness > most) most = o.Pristineness;
            return most;
        }
    }

    public static bool IsValidLength(int length) => length is 64 or Header.StdConfigSize or Header.ExtConfigSize;
}
