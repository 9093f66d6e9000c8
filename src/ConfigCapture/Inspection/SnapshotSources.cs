using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Inspection;

/// <summary>
/// Snapshots from what the offline views read directly: an lspci dump, or any machine behind <see cref="IPciAccess"/>
/// (the simulator, sysfs). The CLI's INPUT forms go through the handoff InputLoader once it is on main.
/// </summary>
public static class SnapshotSources
{
    public static Snapshot FromDump(LspciDump dump) => new()
    {
        Sources = [$"lspci:{dump.Source}"],
        Devices = Snapshot.Normalize(dump.Functions.Select(f => new DeviceRecord
        {
            Address = f.Address,
            Config = f.Config,
            Origins = [new ConfigOrigin(0, f.Config.Length, $"lspci:{dump.Source}", Pristineness.Unknown)],
        })),
    };

    public static Snapshot FromAccess(IPciAccess access, string source)
    {
        var devices = new List<DeviceRecord>();
        foreach (var address in access.EnumerateFunctions())
        {
            var config = access.Open(address).ReadAll();
            var info = access.Describe(address);
            devices.Add(new DeviceRecord
            {
                Address = address,
                Config = config,
                Driver = info.Driver,
                ResetMethods = info.ResetMethods,
                Resources = info.Resources,
                Origins = [new ConfigOrigin(0, config.Length, source, Pristineness.Unknown)],
            });
        }
        return new Snapshot { Sources = [source], Devices = Snapshot.Normalize(devices) };
    }
}
