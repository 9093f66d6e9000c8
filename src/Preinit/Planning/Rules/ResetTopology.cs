using Preconfig.ConfigSpace;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Planning.Rules;

/// <summary>
/// Which functions get a reset step and by which methods. A reset reaches more than the function asked for when
/// it is the "bridge" method (a Secondary Bus Reset through the parent bridge's Bridge Control): every function on
/// the buses below that bridge. So it is planned only when the parent bridge is present, its slot is not hot-plug
/// capable (pciehp would take the link going down for a removal), every function below it offers "bus" in the
/// capture kernel's <c>reset_method</c> (the kernel's own judgement that a bus reset is safe for it: it leaves "bus"
/// out for <c>PCI_DEV_FLAGS_NO_BUS_RESET</c> devices and for functions sharing their bus, pci_parent_bus_reset()),
/// neither the bridge nor anything below it is in <see cref="KernelResetQuirks"/>, and every function below it gets a
/// reset step of its own (matched, an endpoint, allowed by the policy, with a method it can use): each of those is
/// restored from scratch after the resets. Otherwise the bridge method is not used.
/// </summary>
internal sealed class ResetTopology
{
    public sealed record Plan(IReadOnlyList<string> Methods, PciAddress? Bridge, IReadOnlyList<PciAddress> Below);

    private readonly Dictionary<PciAddress, Plan> _plans = [];
    private readonly Dictionary<PciAddress, string> _whyNot = [];

    public Plan? Methods(PciAddress a) => _plans.GetValueOrDefault(a);

    public string? WhyNotReset(PciAddress a) => _whyNot.GetValueOrDefault(a);

    public static ResetTopology Build(IReadOnlyList<DeviceMatch> matches, ReplayPolicy policy, BusTopology bus)
    {
        var t = new ResetTopology();
        if (!policy.ResetsAnything) return t;
        // What each function may use before any bridge is considered.
        var wanted = new Dictionary<PciAddress, (IReadOnlyList<string> Preferred, IReadOnlyList<string> Offered)>();
        var offered = new Dictionary<PciAddress, IReadOnlyList<string>>();
        foreach (var m in matches)
        {
            offered[m.Address] = m.Info?.ResetMethods ?? [];
            if (ResetRules.MayReset(m, policy, out string? why, out var preferred)) wanted[m.Address] = (preferred, m.Info?.ResetMethods ?? []);
            else if (why is not null) t._whyNot[m.Address] = why;
        }

        // Bridges whose Secondary Bus Reset may be used, narrowed until every function below each of them gets a
        // reset step (that step may itself depend on a bridge: the set shrinks until it holds).
        var bridgeWhy = new Dictionary<PciAddress, string>();
        var allowed = new HashSet<PciAddress>();
        foreach (var b in bus.Bridges)
        {
            if (ResetRules.WhyBridgeNeverResets(b, bus.Config(b)) is { } why) bridgeWhy[b] = why;
            else allowed.Add(b);
        }
        // The preferred methods the function can use, in the policy's order, each once: "bridge" while its parent
        // bridge is allowed, any other one the function offers.
        IReadOnlyList<string> MethodsOf(PciAddress a)
        {
            if (!wanted.TryGetValue(a, out var w)) return [];
            var usable = new List<string>();
            foreach (string method in w.Preferred)
            {
                bool parentAllowed = bus.Parent(a) is { } parent && allowed.Contains(parent);
                if (ResetRules.CanUse(method, w.Offered, parentAllowed) && !usable.Contains(method)
                    && (bus.Config(a) is not { } cfg || KernelResetQuirks.WhyNot(cfg, method) is null)) usable.Add(method);
            }
            return usable;
        }
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var b in new List<PciAddress>(allowed))
                foreach (var a in bus.Below(b))
                {
                    string? why = ResetRules.WhyNotBelowBridgeReset(a, b, offered.GetValueOrDefault(a, []), bus.Config(a))
                        ?? (MethodsOf(a).Count > 0 ? null : $"{a} below {b} is not being reset");
                    if (why is null) continue;
                    allowed.Remove(b);
                    bridgeWhy[b] = why;
                    changed = true;
                    break;
                }
        }

        foreach (var (a, w) in wanted)
        {
            var methods = MethodsOf(a);
            var parent = bus.Parent(a);
            if (methods.Count == 0)
            {
                string bridgeNote = ResetRules.Contains(w.Preferred, ResetRules.BridgeMethod)
                    ? $"; parent bridge reset: {(parent is { } p ? bridgeWhy.GetValueOrDefault(p, "not possible") : "no parent bridge present")}" : "";
                var quirks = new List<string>();
                foreach (string method in w.Preferred)
                    if (method != ResetRules.BridgeMethod && bus.Config(a) is { } cfg && KernelResetQuirks.WhyNot(cfg, method) is { } q && !quirks.Contains(q)) quirks.Add(q);
                string quirkNote = quirks.Count == 0 ? "" : "; " + string.Join("; ", quirks);
                t._whyNot[a] = $"no allowed reset method offered (offered: {(w.Offered.Count == 0 ? "none" : string.Join(' ', w.Offered))}; allowed: {string.Join(' ', w.Preferred)}{bridgeNote}{quirkNote})";
                continue;
            }
            bool viaBridge = ResetRules.Contains(methods, ResetRules.BridgeMethod);
            t._plans[a] = new Plan(methods, viaBridge ? parent : null, viaBridge ? bus.Below(parent!.Value) : []);
        }
        return t;
    }
}
