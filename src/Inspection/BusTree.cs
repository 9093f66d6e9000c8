using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Handoff.Model;

namespace Preconfig.Inspection;

/// <summary>One node of the bus tree: a function, and for a bridge the functions on its secondary bus.</summary>
public sealed class BusNode(DeviceRecord record)
{
    public DeviceRecord Record { get; } = record;
    public List<BusNode> Children { get; } = [];

    /// <summary>Secondary and subordinate bus numbers of a type 1 header (the bus range behind it), or null.</summary>
    public (byte Secondary, byte Subordinate)? BusRange =>
        Record.HeaderType == HeaderType.Bridge
            ? (ConfigBytes.U8(Record.Config, Type1.SecondaryBus), ConfigBytes.U8(Record.Config, Type1.SubordinateBus))
            : null;
}

/// <summary>
/// The bus tree from bridge bus numbers: a function belongs under the bridge (same domain) whose secondary bus is
/// its bus; functions on a bus no bridge leads to (the root buses, or buses firmware numbered oddly) are roots.
/// Defensive against captured nonsense: a bridge never adopts its own bus, and each function appears once.
/// </summary>
public static class BusTree
{
    public static IReadOnlyList<BusNode> Build(IReadOnlyList<DeviceRecord> devices)
    {
        var nodes = devices.Select(d => new BusNode(d)).ToList();
        var bridgeFor = new Dictionary<(int Domain, byte Bus), BusNode>();
        foreach (var n in nodes)
        {
            if (n.BusRange is not { } range) continue;
            if (range.Secondary == n.Record.Address.Bus || range.Secondary == 0) continue;   // unconfigured or self-referencing
            bridgeFor.TryAdd((n.Record.Address.Domain, range.Secondary), n);
        }
        var roots = new List<BusNode>();
        foreach (var n in nodes)
        {
            var key = (n.Record.Address.Domain, n.Record.Address.Bus);
            if (bridgeFor.TryGetValue(key, out var parent) && parent != n && !IsAncestor(n, parent, bridgeFor))
                parent.Children.Add(n);
            else roots.Add(n);
        }
        return roots;
    }

    // A bridge chain that leads back to the node would make a cycle: keep such a node at the root.
    private static bool IsAncestor(BusNode node, BusNode parent, Dictionary<(int, byte), BusNode> bridgeFor)
    {
        var seen = new HashSet<BusNode>();
        for (var p = parent; p is not null && seen.Add(p);)
        {
            if (p == node) return true;
            p = bridgeFor.TryGetValue((p.Record.Address.Domain, p.Record.Address.Bus), out var up) ? up : null;
        }
        return false;
    }
}
