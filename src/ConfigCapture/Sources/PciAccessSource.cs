using Preconfig.ConfigSpace;
using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Sources;

/// <summary>
/// Any <see cref="IPciAccess"/> as a source: every function enumerated, its whole config space read, and what the
/// backend knows of it (driver, reset methods, resources). The sysfs and simulated-machine sources are instances.
/// A function that disappears or fails to read mid-capture is a warning, not the end of the capture.
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
        foreach (var address in Access.EnumerateFunctions())
        {
            try
            {
                var config = Access.Open(address).ReadAll();
                var info = Access.Describe(address);
                devices.Add(new DeviceRecord
                {
                    Address = address,
                    Config = config,
                    Driver = info.Driver,
                    ResetMethods = info.ResetMethods,
                    Resources = info.Resources,
                    Origins = [new ConfigOrigin(0, config.Length, Description, judge(info))],
                });
            }
            catch (ConfigSpaceAccessException e)
            {
                warnings.Add($"{Description}: {e.Message}; function skipped");
            }
        }
        return new SourceCapture(Snapshot.Normalize(devices), warnings, system);
    }
}
