using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Handoff.Model;

namespace Preconfig.Capture.Sources;

/// <summary>
/// Any <see cref="IPciAccess"/> as a source: every function enumerated, its whole config space read, and of what the
/// backend knows of it what adds to the bytes (<see cref="Kept"/>), in one <see cref="IPciAccess.ReadFunctions"/>. The
/// sysfs and simulated-machine sources are instances.
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

    /// <summary>
    /// What a capture keeps of <see cref="IPciAccess.Describe(PciAddress, FunctionInfoParts)"/> for a function whose
    /// config space is <paramref name="config"/>: only what adds to the bytes, and on sysfs each part is a file to
    /// open per function. The driver, always (it is the record's pristineness). The resources only where a BAR or
    /// the ROM register reads non-zero (<see cref="SysfsResources.HasBarOrRom"/>): what they add is sizes; addresses
    /// and a bridge's windows are in config space. Never the reset methods: preinit resets by the capture kernel's own
    /// (read there, at replay), so the production kernel's were carried for nothing.
    /// </summary>
    public static FunctionInfoParts Kept(ReadOnlySpan<byte> config) =>
        FunctionInfoParts.Driver | (SysfsResources.HasBarOrRom(config) ? FunctionInfoParts.Resources : 0);

    /// <summary>Whether a function is an SR-IOV virtual function (sysfs: a <c>physfn</c> link); null: none is.</summary>
    internal Func<PciAddress, bool>? IsVirtualFunction { get; init; }

    /// <summary>Capture virtual functions too. Off by default: the capture kernel's SR-IOV set-up disables them and
    /// preinit never restores them, and a host with thousands of them would overflow a snapshot.</summary>
    public bool IncludeVirtualFunctions { get; init; }

    public SourceCapture Capture()
    {
        var judge = pristineness ?? ByDriver;
        var devices = new List<DeviceRecord>();
        var warnings = new List<string>();
        var truncated = new List<PciAddress>();
        int shortest = int.MaxValue;
        IReadOnlyList<PciAddress> addresses = Access.EnumerateFunctions();
        HashSet<PciAddress> virtualFunctions = IsVirtualFunction is null ? [] : addresses.Where(IsVirtualFunction).ToHashSet();
        if (virtualFunctions.Count > 0 && !IncludeVirtualFunctions)
        {
            warnings.Add($"{Description}: {virtualFunctions.Count} SR-IOV virtual functions (physfn) left out, first {virtualFunctions.Min()}: " +
                "the capture kernel disables SR-IOV and preinit does not restore them");
            addresses = [.. addresses.Where(a => !virtualFunctions.Contains(a))];
            virtualFunctions.Clear();
        }
        var reads = Access.ReadFunctions(addresses, Kept);
        for (int i = 0; i < addresses.Count; i++)
        {
            var address = addresses[i];
            var read = reads[i];
            if (read.InfoWarning is not null)
                warnings.Add($"{address}: driver/resource unreadable ({read.InfoWarning}); captured without them");
            if (read.Config is not { } config)
            {
                warnings.Add(read.Removed
                    ? $"{address}: removed while capturing ({read.Failure}); not captured"
                    : $"{address}: config space unreadable ({read.Failure}); not captured");
                continue;
            }
            if (!DeviceRecord.IsValidLength(config.Length))
            {
                warnings.Add($"{address}: config space reads {config.Length} bytes, not 64, 256 or 4096; not captured");
                continue;
            }
            if (read.Truncated)
            {
                truncated.Add(address);
                shortest = Math.Min(shortest, config.Length);
            }
            devices.Add(new DeviceRecord
            {
                Address = address,
                Config = config,
                Driver = read.Info.Driver,
                ResetMethods = read.Info.ResetMethods,
                Resources = read.Info.Resources,
                Truncated = read.Truncated,
                Origins = [new ConfigOrigin(0, config.Length, Description, judge(read.Info))],
            });
        }
        if (truncated.Count > 0)
            warnings.Add($"{Description}: {truncated.Count} of {devices.Count} functions captured truncated to {shortest} bytes " +
                "(the kernel gives a reader without CAP_SYS_ADMIN only the header; run as root for full config spaces), " +
                $"first {truncated[0]}");
        return new SourceCapture(Snapshot.Normalize(devices), warnings, system) { VirtualFunctions = virtualFunctions };
    }
}
