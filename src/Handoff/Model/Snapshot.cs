using Preconfig.ConfigSpace;

namespace Preconfig.Handoff.Model;

/// <summary>
/// Every PCI function's configuration space at one moment (ideally right after firmware), with where and when it was
/// taken. This is what crosses the crash. Devices are kept in address order, one record per address.
/// </summary>
public sealed class Snapshot
{
    /// <summary>
    /// The body version ("version") a blob written now carries; <see cref="FormatVersion"/> of a snapshot read from
    /// a body is that body's (1 for a blob of an earlier release or an export, docs/handoff-format.md).
    /// </summary>
    public const int CurrentFormatVersion = 2;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public DateTimeOffset CapturedAt { get; init; } = DateTimeOffset.UtcNow;
    public string HostName { get; init; } = "";
    public string KernelRelease { get; init; } = "";
    /// <summary><c>/proc/sys/kernel/random/boot_id</c> of the boot the capture belongs to.</summary>
    public string BootId { get; init; } = "";
    public string ToolVersion { get; init; } = "";
    /// <summary>The sources given to capture, as written (<c>sysfs</c>, <c>earlydump:kmsg</c> ...).</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];
    public IReadOnlyList<DeviceRecord> Devices { get; init; } = [];

    public DeviceRecord? Find(PciAddress address)
    {
        // Devices are sorted: binary search keeps lookups cheap on 1,000-function machines.
        int lo = 0, hi = Devices.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = Devices[mid].Address.CompareTo(address);
            if (c == 0) return Devices[mid];
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return null;
    }

    /// <summary>Orders and de-duplicates records by address (the later record for an address wins).</summary>
    public static IReadOnlyList<DeviceRecord> Normalize(IEnumerable<DeviceRecord> devices)
    {
        DeviceRecord[] list = new List<DeviceRecord>(devices).ToArray();
        // Sources list functions in address order, once each: then there is nothing to do (a capture of a thousand
        // functions spent 5% of its time in a SortedDictionary here).
        bool ordered = true;
        for (int i = 1; i < list.Length && ordered; i++) ordered = list[i - 1].Address < list[i].Address;
        if (ordered) return list;
        var byAddress = new SortedDictionary<PciAddress, DeviceRecord>();
        foreach (var d in list) byAddress[d.Address] = d;
        return [.. byAddress.Values];
    }
}
