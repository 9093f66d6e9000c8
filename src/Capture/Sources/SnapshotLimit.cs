using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;

namespace Preconfig.Capture.Sources;

/// <summary>
/// What a snapshot keeps when a host has more functions than one holds (<see cref="SnapshotBody.MaxDevices"/>):
/// rather than no handoff at all, the functions that matter most to the capture kernel, in this order (one list,
/// <see cref="Order"/>, that the code, the docs and the tests follow), each rank in address order, and a warning
/// saying how many of each rank were left out and where the cut fell.
/// </summary>
public static class SnapshotLimit
{
    /// <summary>Ranks kept first to last. Bridges first: their windows and bus numbers route everything below them;
    /// then physical functions (endpoints); SR-IOV virtual functions last: the capture kernel's SR-IOV set-up
    /// disables them and preinit never restores them (docs/preinit.md).</summary>
    public static readonly string[] Order = ["bridge", "physical function", "virtual function"];

    public static IReadOnlyList<DeviceRecord> Fit(IReadOnlyList<DeviceRecord> devices, IReadOnlySet<PciAddress>? virtualFunctions,
        out string? warning, int limit = SnapshotBody.MaxDevices)
    {
        warning = null;
        if (devices.Count <= limit) return devices;
        int Rank(DeviceRecord d) => virtualFunctions?.Contains(d.Address) == true ? 2 : d.HeaderType is HeaderType.Bridge or HeaderType.CardBus ? 0 : 1;
        var ranked = devices.OrderBy(Rank).ThenBy(d => d.Address).ToList();
        var kept = ranked.Take(limit).OrderBy(d => d.Address).ToList();
        var left = ranked.Skip(limit).ToList();
        var counts = left.GroupBy(Rank).OrderBy(g => g.Key).Select(g => $"{g.Count()} {Order[g.Key]}{(g.Count() == 1 ? "" : "s")}");
        warning = $"{devices.Count} functions, more than the {limit} a snapshot holds: left out {left.Count} ({string.Join(", ", counts)}; " +
            $"from {left.Min(d => d.Address)} to {left.Max(d => d.Address)}); bridges and physical functions are kept first";
        return kept;
    }
}
