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
    private readonly Dictionary<PciAddress, byte[]> _config = [];
    private readonly Dictionary<(int Domain, int Bus), PciAddress> _bridgeOfBus = [];
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
            t._bridgeOfBus.TryAdd((address.Domain, secondary), address);
            t._below[address] = [.. t._config.Keys.Where(o => o.Domain == address.Domain && o.Bus >= secondary && o.Bus <= subordinate).Order()];
        }
        return t;
    }

    public byte[]? Config(PciAddress a) => _config.GetValueOrDefault(a);

    /// <summary>The bridge whose secondary bus the function is on, when that bridge is present.</summary>
    public PciAddress? Parent(PciAddress a) => _bridgeOfBus.TryGetValue((a.Domain, a.Bus), out var p) ? p : null;

    /// <summary>Every present function on the buses a bridge forwards to (its secondary through subordinate).</summary>
    public IReadOnlyList<PciAddress> Below(PciAddress bridge) => _below.TryGetValue(bridge, out var list) ? list : [];

    public IEnumerable<PciAddress> Bridges => _below.Keys.Order();
}
