using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Sources;

/// <summary>
/// Any <see cref="IPciAccess"/> as a source: every function enumerated, its whole config space read, and what the
/// backend knows of it (driver, reset methods, resources). The sysfs and simulated-machine sources are instances.
/// <para>
/// What goes wrong is reported and the rest captured: a function that vanishes between the listing and the read, a
/// config that cannot be read, side information that cannot be parsed (the record is kept without it). A sysfs reader
/// without CAP_SYS_ADMIN gets 64 bytes of a larger space: those records are flagged <see cref="DeviceRecord.Truncated"/>,
/// and one warning (not one per function) says how many and why.
/// </para>
/// </summary>
public sealed class PciAccessSource(IPciAccess access, string description, CaptureSystem? system = null,
    Func<PciFunctionInfo, Pristineness>? pristineness = null) : ISnapshotSource
{
    public IPciAccess Access { get; } = access;
    public string Description { get; } = description;

    /// <summary>Default: a bound driver may have changed registers; an unbound function is as firmware and the kernel's enumeration left it.</summary>
    public static Pristineness ByDriver(PciFunctionInfo info) => info.Driver is null ? Pristineness.Undriven : Pristineness.DriverBound;

    public SourceCapture Capture()
    {
        var judge = pristineness ?? ByDriver;
        var devices = new List<DeviceRecord>();
        var warnings = new List<string>();
        var truncated = new List<PciAddress>();
        int shortest = int.MaxValue;
        foreach (var address in Access.EnumerateFunctions())
        {
            byte[] config;
            bool cut;
            PciFunctionInfo info;
            try
            {
                var space = Access.Open(address);
                config = space.ReadAll();
                cut = space is SysfsConfigSpace { Truncated: true };
                info = Describe(address, warnings);
            }
            catch (DeviceRemovedException e)
            {
                warnings.Add($"{address}: removed while capturing ({e.Message}); not captured");
                continue;
            }
            catch (ConfigSpaceAccessException e)
            {
                warnings.Add($"{address}: config space unreadable ({e.Message}); not captured");
                continue;
            }
            if (!DeviceRecord.IsValidLength(config.Length))
            {
                warnings.Add($"{address}: config space reads {config.Length} bytes, not 64, 256 or 4096; not captured");
                continue;
            }
            if (cut)
            {
                truncated.Add(address);
                shortest = Math.Min(shortest, config.Length);
            }
            devices.Add(new DeviceRecord
            {
                Address = address,
                Config = config,
                Driver = info.Driver,
                ResetMethods = info.ResetMethods,
                Resources = info.Resources,
                Truncated = cut,
                Origins = [new ConfigOrigin(0, config.Length, Description, judge(info))],
            });
        }
        if (truncated.Count > 0)
            warnings.Add($"{Description}: {truncated.Count} of {devices.Count} functions captured truncated to {shortest} bytes " +
                "(the kernel gives a reader without CAP_SYS_ADMIN only the header; run as root for full config spaces), " +
                $"first {truncated[0]}");
        return new SourceCapture(Snapshot.Normalize(devices), warnings, system);
    }

    /// <summary>Driver, reset methods, resources; when they cannot be read the bytes are still good, so only warn.</summary>
    private PciFunctionInfo Describe(PciAddress address, List<string> warnings)
    {
        try { return Access.Describe(address); }
        catch (Exception e) when (e is IOException and not ConfigSpaceAccessException or UnauthorizedAccessException or InvalidDataException)
        {
            warnings.Add($"{address}: driver/reset_method/resource unreadable ({e.Message}); captured without them");
            return PciFunctionInfo.Unknown;
        }
    }
}
