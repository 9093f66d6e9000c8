using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Matching;

namespace Preconfig.Preinit.Planning;

/// <summary>
/// The PCI tree as the capture kernel has it: every function present (matched or not, driver-bound ones included)
/// with the config bytes read now, each function's parent bridge (the bridge whose secondary bus it sits on, as the
/// kernel's <c>bus-&gt;self</c>), and every function below a bridge. The planner needs it for link partners (L1 PM
/// substates), the parent port's Max Payload Size and what a secondary bus reset reaches.
/// </summary>
internal sealed class BusTopology
{
    private sealed record Bridge(PciAddress Address, List<PciAddress> Below);

    private readonly Dictionary<PciAddress, byte[]> _config = [];
    // Keyed by the bus a bridge forwards to, as (domain, bus, 0.0).
    private readonly Dictionary<PciAddress, Bridge> _bridgeOfBus = [];
    private readonly Dictionary<PciAddress, List<PciAddress>> _below = [];

    public static BusTopology Build(IReadOnlyList<DeviceMatch> matches)
    {
        var t = new BusTopology();
        foreach (var m in matches)
        {
            if (m.Kind == MatchKind.Missing) continue;
            // What is read now; a function that could not be read is placed by its captured bytes.
            if ((m.Present ?? m.Record?.Config) is { Length: >= Header.Size } cfg) t._config[m.Address] = cfg;
        }
        foreach (var (address, cfg) in t._config)
        {
            if (ConfigBytes.HeaderKind(cfg) != HeaderType.Bridge) continue;
            byte secondary = cfg[Type1.SecondaryBus], subordinate = cfg[Type1.SubordinateBus];
            if (secondary == 0 || subordinate < secondary) continue;
            var below = new List<PciAddress>();
            foreach (var o in t._config.Keys)
                if (o.Domain == address.Domain && o.Bus >= secondary && o.Bus <= subordinate) below.Add(o);
            below.Sort();
            t._below[address] = below;
            t._bridgeOfBus.TryAdd(new PciAddress(address.Domain, secondary, 0, 0), new Bridge(address, below));
        }
        return t;
    }

    public byte[]? Config(PciAddress a) => _config.GetValueOrDefault(a);

    /// <summary>The bridge whose secondary bus the function is on, when that bridge is present.</summary>
    public PciAddress? Parent(PciAddress a) => _bridgeOfBus.TryGetValue(new PciAddress(a.Domain, a.Bus, 0, 0), out var b) ? b.Address : null;

    /// <summary>Every present function on the buses a bridge forwards to (its secondary through subordinate).</summary>
    public IReadOnlyList<PciAddress> Below(PciAddress bridge) => _below.TryGetValue(bridge, out var list) ? list : [];

    public IEnumerable<PciAddress> Bridges
    {
        get
        {
            var list = new List<PciAddress>(_below.Keys);
            list.Sort();
            return list;
        }
    }
}
