using Preconfig.ConfigSpace;
using Preconfig.Preinit.Planning.Restores;

namespace Preconfig.Preinit.Planning;

/// <summary>
/// The order a restored function's registers are written in, as the kernel's pci_restore_state() does it
/// (drivers/pci/pci.c): error status cleared first, then the capabilities (pci_restore_pcie_state(): LTR latencies
/// before LTR Enable in DevCtl2, L1 PM substates before the PCI Express control registers, as
/// pci_restore_aspm_l1ss_state() is called from it; then DPC, PTM, AER; ACS and ARI by policy; MSI and MSI-X with their
/// enables off), then the header from high dwords to low, then Command last. This list is the one place that order
/// is written: the planner walks it, <see cref="LeftAlone"/> takes the restored capabilities from it, the dry-run's
/// phase line lists them, and docs/preinit.md's "Restore order" is generated from it (a test checks it). The
/// simulator's kernel restore and the specification table keep their own lists: they are the oracles this is tested
/// against.
/// </summary>
public static class RestoreOrder
{
    internal static readonly IReadOnlyList<RestoreEntry> Sequence =
    [
        new ErrorStatusClear(),
        new PowerStateRestore(),
        new LtrRestore(),
        new L1SubstatesRestore(),
        new ExpressRestore(),
        new DpcRestore(),
        new PtmRestore(),
        new AerRestore(),
        new AcsRestore(),
        new AriRestore(),
        new MsiRestore(),
        new MsiXRestore(),
        new HeaderRestore(),
        new CommandRestore(),
    ];

    /// <summary>The capability restores, in order.</summary>
    internal static readonly IReadOnlyList<CapabilityRestore> Capabilities = CapabilitiesOf(Sequence);

    /// <summary>"PM (policy), LTR, L1 PM substates, …": the capabilities' names in order (the dry-run's phase line).</summary>
    public static string CapabilityTitles
    {
        get
        {
            var titles = new List<string>();
            foreach (var c in Capabilities) titles.Add(c.Title);
            return string.Join(", ", titles);
        }
    }

    /// <summary>Whether preinit restores any register of this capability (some only by policy); every other one is
    /// left alone.</summary>
    public static bool Restores(Capability cap) => For(cap) is not null;

    internal static CapabilityRestore? For(Capability cap)
    {
        foreach (var c in Capabilities)
            if (c.Restores(cap)) return c;
        return null;
    }

    /// <summary>docs/preinit.md's "Restore order" section, as generated from this list (a test holds the file to it).</summary>
    public static string Markdown()
    {
        var sb = new System.Text.StringBuilder();
        int n = 1;
        foreach (var e in Sequence)
            sb.Append(n++).Append(". **").Append(e.Title).Append("** (phase `").Append(e.Phase).Append("`): ").Append(e.Summary).Append('\n');
        return sb.ToString();
    }

    private static List<CapabilityRestore> CapabilitiesOf(IReadOnlyList<RestoreEntry> sequence)
    {
        var list = new List<CapabilityRestore>();
        foreach (var e in sequence)
            if (e is CapabilityRestore c) list.Add(c);
        return list;
    }
}
