using Preconfig.ConfigSpace;
using Preconfig.Handoff.Model;

namespace Preconfig.Preinit.Loading;

/// <summary>
/// A snapshot read straight from any <see cref="IPciAccess"/> (a simulated machine, a sysfs tree): every function's
/// config bytes plus what Describe says. The capture component's sources do the production version of this; preinit
/// uses it for the demo, for tests and for <c>--from sim:FILE</c>.
/// </summary>
public static class AccessSnapshot
{
    public static Snapshot Capture(IPciAccess access, string source, DateTimeOffset? at = null)
    {
        var devices = new List<DeviceRecord>();
        foreach (var address in access.EnumerateFunctions())
        {
            var info = access.Describe(address);
            byte[] config = access.Open(address).ReadAll();
            devices.Add(new DeviceRecord
            {
                Address = address,
                Config = config,
                Resources = info.Resources,
                Driver = info.Driver,
                ResetMethods = info.ResetMethods,
                Origins = [new ConfigOrigin(0, config.Length, source, Pristineness.Unknown)],
            });
        }
        return new Snapshot
        {
            CapturedAt = at ?? DateTimeOffset.UtcNow,
            HostName = System.Environment.MachineName,
            Sources = [source],
            Devices = Snapshot.Normalize(devices),
        };
    }
}
