using System.IO.Abstractions;
using Preconfig.ConfigCapture.Merge;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Sysfs;

/// <summary>
/// The <c>sysfs[:ROOT]</c> source: every function under <c>ROOT/devices</c>, read-only, full length where readable,
/// with the bound driver, <c>reset_method</c> and <c>resource</c>. A function with a driver is
/// <see cref="Pristineness.DriverBound"/> (its driver may have changed registers), else <see cref="Pristineness.Undriven"/>.
/// <para>
/// What goes wrong is reported and the rest captured: a function that vanishes between the listing and the read, a
/// config that cannot be read, attributes that cannot be parsed (the record is kept without them). A reader without
/// CAP_SYS_ADMIN gets 64 bytes of a larger space: those records are flagged <see cref="DeviceRecord.Truncated"/>, and
/// one warning (not one per function) says how many and why.
/// </para>
/// </summary>
public static class SysfsSource
{
    public const string DefaultRoot = SysfsConfigSpace.DefaultRoot;

    public static SourceCapture Capture(IFileSystem fileSystem, string root = DefaultRoot, string? spec = null)
    {
        using var access = new SysfsPciAccess(fileSystem, root, writable: false);
        return Capture(access, spec ?? (root == DefaultRoot ? "sysfs" : "sysfs:" + root));
    }

    /// <summary>Captures through any access; truncation is known for sysfs spaces (<see cref="SysfsConfigSpace.Truncated"/>).</summary>
    public static SourceCapture Capture(IPciAccess access, string spec)
    {
        var devices = new List<DeviceRecord>();
        var warnings = new List<string>();
        var truncated = new List<PciAddress>();
        int smallest = int.MaxValue;
        foreach (var address in access.EnumerateFunctions())
        {
            byte[] config;
            bool cut;
            try
            {
                var space = access.Open(address);
                config = space.ReadAll();
                cut = space is SysfsConfigSpace { Truncated: true };
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
                smallest = Math.Min(smallest, config.Length);
            }

            PciFunctionInfo info;
            try { info = access.Describe(address); }
            catch (DeviceRemovedException e)
            {
                warnings.Add($"{address}: removed while capturing ({e.Message}); not captured");
                continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // The bytes are good; only the side information is missing.
                warnings.Add($"{address}: driver/reset_method/resource unreadable ({e.Message}); captured without them");
                info = PciFunctionInfo.Unknown;
            }
            var level = info.Driver is null ? Pristineness.Undriven : Pristineness.DriverBound;
            devices.Add(new DeviceRecord
            {
                Address = address,
                Config = config,
                Driver = info.Driver,
                ResetMethods = info.ResetMethods,
                Resources = info.Resources,
                Truncated = cut,
                Origins = [new ConfigOrigin(0, config.Length, spec, level)],
            });
        }
        if (truncated.Count > 0)
            warnings.Add($"{spec}: {truncated.Count} of {devices.Count} functions captured truncated to {smallest} bytes " +
                $"(the kernel gives a reader without CAP_SYS_ADMIN only the header; run as root for full config spaces), " +
                $"first {truncated[0]}");
        return new SourceCapture(spec, devices, warnings);
    }
}
