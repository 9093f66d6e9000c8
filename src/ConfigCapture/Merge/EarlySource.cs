using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Merge;

/// <summary>
/// The <c>early:FILE</c> source: a snapshot taken earlier in this boot (the production initramfs hook, before modules
/// bind). Its records count as <see cref="Pristineness.Firmware"/> unless they say a driver was already bound then.
/// A snapshot from another boot describes another firmware run: it is refused (with a warning), not merged.
/// </summary>
public static class EarlySource
{
    public static SourceCapture FromSnapshot(Snapshot snapshot, string argument, string? currentBootId)
    {
        string spec = "early:" + argument;
        if (!string.IsNullOrEmpty(snapshot.BootId) && !string.IsNullOrEmpty(currentBootId)
            && !string.Equals(snapshot.BootId.Trim(), currentBootId.Trim(), StringComparison.OrdinalIgnoreCase))
            return new SourceCapture(spec, [],
                [$"{argument}: taken in another boot (boot id {snapshot.BootId}, this boot is {currentBootId.Trim()}); not used"]);

        var devices = snapshot.Devices.Select(d =>
        {
            var level = d.Pristineness == Pristineness.DriverBound ? Pristineness.DriverBound : Pristineness.Firmware;
            return new DeviceRecord
            {
                Address = d.Address,
                Config = d.Config,
                Driver = d.Driver,
                ResetMethods = d.ResetMethods,
                Resources = d.Resources,
                Truncated = d.Truncated,
                Origins = [new ConfigOrigin(0, d.Config.Length, spec, level)],
            };
        }).ToList();
        return new SourceCapture(spec, devices, []);
    }
}
