using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Specification;
using Preconfig.Preinit.Loading;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Planning;
using Preconfig.Preinit.Policy;
using Preconfig.Tests.Preinit;

namespace Preconfig.Tests.Simulation;

/// <summary>
/// Where the specification table (the simulator's oracle) and the replay planner disagree, over every function of
/// every dump: bits the spec makes writable that the planner never writes, and bits the planner writes that the spec
/// makes read-only or reserved on that function. Each disagreement is listed with why it is right (or harmless).
/// </summary>
public sealed class SpecTableVsPlannerTests
{
    /// <summary>How a register's bits disagree.</summary>
    public enum Kind
    {
        /// <summary>Writable per the spec, never written by the planner.</summary>
        NotWritten,
        /// <summary>Written by the planner, read-only, reserved or an action per the spec on the functions that have them.</summary>
        WrittenButNotWritable,
    }

    public sealed record Disagreement(string Structure, string Register, Kind Kind, uint Bits, string Why);

    /// <summary>
    /// The expected disagreements. NotWritten entries are the policy (src/Preinit/Planning/LeftAlone.cs, which the crash
    /// tests' PolicyExceptions derive from); the
    /// WrittenButNotWritable ones are all harmless for one reason: the planner writes the captured value of the
    /// register through its mask, and a bit the device cannot change reads the same in the capture and now, so the
    /// device sees its own value written back (RsvdP asks exactly that of software).
    /// </summary>
    public static readonly IReadOnlyList<Disagreement> Expected =
    [
        // Policy: what the planner deliberately does not write (PolicyExceptions names the same bits).
        new("Address Translation Services", "ATS Control", Kind.NotWritten, 0x801f, NotRestored),
        new("Page Request Interface", "Outstanding Page Request Allocation", Kind.NotWritten, 0xffffffff, NotRestored),
        new("Page Request Interface", "Page Request Control", Kind.NotWritten, 0x1, NotRestored),
        new("Process Address Space ID", "PASID Control", Kind.NotWritten, 0x7, NotRestored),
        new("Single Root I/O Virtualization", "NumVFs", Kind.NotWritten, 0xffff, NotRestored),
        new("Single Root I/O Virtualization", "SR-IOV Control", Kind.NotWritten, 0x39, NotRestored),
        new("Single Root I/O Virtualization", "System Page Size", Kind.NotWritten, 0xffffffff, NotRestored),
        new("Power Management", "Power Management Control/Status (PMCSR)", Kind.NotWritten, 0x1f03,
            "LeftAlone: PowerState and PME_En are the kernel's (policy restorePowerState), Data_Select selects what the read-only Data register shows"),
        new("Access Control Services", "ACS Control", Kind.NotWritten, 0x1f, "LeftAlone: the kernel sets ACS by its IOMMU policy (policy restoreAcs)"),
        new("Alternative Routing-ID Interpretation", "ARI Control", Kind.NotWritten, 0x72, "LeftAlone: the kernel's pci_configure_ari() (policy restoreAri)"),
        new("PCI Express", "DevCtl2", Kind.NotWritten, 0x20, "LeftAlone: ARI Forwarding Enable is set by pci_configure_ari() (policy restoreAri)"),
        new("L1 PM Substates", "L1 PM Substates Control 1", Kind.NotWritten, 0xe3ff030f,
            "LeftAlone: restored only with the link partner (a port whose device below has no L1 PM substates, a device whose port has none)"),
        new("L1 PM Substates", "L1 PM Substates Control 2", Kind.NotWritten, 0xfb, "as Control 1"),
        new(T1, "Bridge Control", Kind.NotWritten, 0x40, "Secondary Bus Reset: never written (docs/preinit.md: masks never cover it)"),
        new(T2, "Bridge Control", Kind.NotWritten, 0x7ef, CardBus),

        // Harmless: the captured value of a bit the function cannot change is written back (see the summary).
        new("Advanced Error Reporting", "Advanced Error Capabilities and Control", Kind.WrittenButNotWritable, 0x540, "ECRC and multiple-header enables without the matching Capable bit (RsvdP); mask 0x540"),
        new("Advanced Error Reporting", "Correctable Error Mask", Kind.WrittenButNotWritable, 0xffff0e3e, "reserved bits (RsvdP); the mask is the whole dword"),
        new("Advanced Error Reporting", "Uncorrectable Error Mask", Kind.WrittenButNotWritable, 0xfcf, "reserved bits (RsvdP); the mask is the whole dword"),
        new("Advanced Error Reporting", "Uncorrectable Error Severity", Kind.WrittenButNotWritable, 0xfcf, "reserved bits (RsvdP); the mask is the whole dword"),
        new("L1 PM Substates", "L1 PM Substates Control 1", Kind.WrittenButNotWritable, 0xfc00, "bits 15:10 are RsvdP; mask 0xe3ffff0f covers them"),
        new("MSI", "Mask Bits", Kind.WrittenButNotWritable, 0xfffffffe, "mask bits of vectors beyond Multiple Message Capable (RsvdP); mask 0xffffffff"),
        new("PCI Express", "DevCtl", Kind.WrittenButNotWritable, 0x300, "Extended Tag and Phantom Functions enables where DevCap does not offer them (RO 0)"),
        new("PCI Express", "DevCtl2", Kind.WrittenButNotWritable, 0xfcdf, "DevCtl2 fields whose DevCap2 support bit is clear, or that do not apply to the port type (RsvdP); mask 0xffdf"),
        new("PCI Express", "LnkCtl", Kind.WrittenButNotWritable, 0xefdb, "LnkCtl of functions without a Link (RCiEP, RCEC: all RsvdP), Link Disable and bandwidth interrupts outside Downstream Ports, Clock PM without LnkCap support"),
        new("PCI Express", "LnkCtl2", Kind.WrittenButNotWritable, 0xffff, "LnkCtl2 of functions without a Link and of functions other than 0 of a multi-function device (RsvdP), Selectable De-emphasis (HwInit); mask 0xffff"),
        new("PCI Express", "RootCtl", Kind.WrittenButNotWritable, 0x10, "CRS Software Visibility Enable without RootCap support (RO 0)"),
        new("PCI Express", "SltCtl", Kind.WrittenButNotWritable, 0x5fff, "slot features SltCap does not list (RO 0), Electromechanical Interlock Control (an action reading 0: 0 is written)"),
        new("PCI Express", "SltCtl2", Kind.WrittenButNotWritable, 0xffff, "SltCtl2 has no field in PCIe 4.0 (RsvdP); mask 0xffff"),
        new("Precision Time Measurement", "PTM Control", Kind.WrittenButNotWritable, 0xff02, "Root Select without PTM Root Capable, Effective Granularity without PTM Requester Capable (RsvdP); mask 0xff03"),
        new(T0, "Command", Kind.WrittenButNotWritable, 0x2b8, "Special Cycles, MWI, VGA Snoop, Stepping, Fast Back-to-Back: hardwired 0 on PCI Express (and Stepping since PCI 3.0); mask 0x7ff"),
        new(T0, "Latency Timer", Kind.WrittenButNotWritable, 0xff, "hardwired 0 on PCI Express (PCIe 4.0 §7.5.1.1.8)"),
        new(T1, "Bridge Control", Kind.WrittenButNotWritable, 0xba0, "Master Abort Mode, Fast Back-to-Back, discard timers: hardwired 0 on PCI Express ports; mask 0x0bbf"),
        new(T1, "Command", Kind.WrittenButNotWritable, 0x2b8, "as on type 0"),
        new(T1, "Latency Timer", Kind.WrittenButNotWritable, 0xff, "hardwired 0 on PCI Express"),
        new(T1, "Prefetchable Base Upper 32 Bits", Kind.WrittenButNotWritable, 0xffffffff, "32-bit prefetchable windows: the upper halves are RO 0; the kernel (and preinit) always rewrite them"),
        new(T1, "Prefetchable Limit Upper 32 Bits", Kind.WrittenButNotWritable, 0xffffffff, "as the base"),
        new(T1, "Secondary Latency Timer", Kind.WrittenButNotWritable, 0xff, "hardwired 0 on PCI Express ports (PCIe 4.0 §7.5.1.3.5)"),
        new(T2, "Command", Kind.WrittenButNotWritable, 0x80, "Stepping: hardwired 0 since PCI 3.0"),
    ];

    private const string NotRestored = "docs/preinit.md Known limits: ATS/PRI/PASID and SR-IOV state are not restored";
    private const string CardBus = "CardBus bridges: the replay restores only Command, Interrupt Line, the two Latency Timers and Cache Line Size (HeaderRegisters.CardBus); yenta_socket programs the rest";
    private const string T0 = "Type 0 header (endpoint)", T1 = "Type 1 header (PCI-to-PCI bridge, Root and Switch Ports)", T2 = "Type 2 header (CardBus bridge)";

    /// <summary>The planner's coverage: per function, the union of its restore steps' masks per config byte.</summary>
    private static List<Disagreement> Compute()
    {
        var found = new Dictionary<(string, string, Kind), uint>();
        foreach (var dump in SimulatedCrash.AllDumps())
        {
            var machine = SimulatedMachine.FromDump(DirtyEverythingPropertyTests.Dump(dump));
            var snapshot = AccessSnapshot.Capture(machine, "sim:test");
            // Make every register differ from the capture so the planner plans every step it has (a step equal to
            // the present value is left out): flip every byte but identity, capability structure and resources.
            foreach (var f in machine.Functions)
            {
                var attrs = f.Space.Masks.Attributes;
                var cfg = f.Space.Snapshot();
                var keep = KeepBytes(attrs, cfg.Length);
                for (int i = 0; i < cfg.Length; i++) if (!keep[i]) cfg[i] ^= 0xff;
                f.Space.Poke(0, cfg);
            }
            // Nothing left to the kernel (docs/preinit.md "Left to the kernel"): what is compared is what a restore writes.
            var everyFunction = ReplayPolicy.Parse("""{"notKernelOwned": ["class:03", "class:06", "class:08"]}""");
            var plan = ReplayPlanner.Build(DeviceMatcher.Match(snapshot, machine, everyFunction), everyFunction);
            foreach (var f in machine.Functions)
            {
                var attrs = f.Space.Masks.Attributes;
                var covered = new byte[f.Space.Length];
                foreach (var s in plan.StepsFor(f.Address).Where(s => s.Kind == StepKind.Write && s.Phase != StepPhase.Quiesce))
                    for (int i = 0; i < s.Width; i++) covered[s.Offset + i] |= (byte)(s.Check >> (8 * i));
                foreach (var r in attrs.Registers)
                {
                    if (r.ResourceBits != 0 || r.Width > 4) continue;
                    uint p = 0;
                    for (int i = 0; i < r.Width; i++) p |= (uint)covered[r.Offset + i] << (8 * i);
                    uint w = r.Writable;
                    Add(found, r, Kind.NotWritten, w & ~p);
                    Add(found, r, Kind.WrittenButNotWritable, p & ~w & ~r.WriteOneToClear);
                }
            }
        }
        return [.. found.Select(kv => new Disagreement(kv.Key.Item1, kv.Key.Item2, kv.Key.Item3, kv.Value, ""))
            .OrderBy(d => d.Structure, StringComparer.Ordinal).ThenBy(d => d.Register, StringComparer.Ordinal).ThenBy(d => d.Kind)];
    }

    private static void Add(Dictionary<(string, string, Kind), uint> found, ResolvedRegister r, Kind kind, uint bits)
    {
        if (bits == 0) return;
        var key = (r.Structure.Name, r.Spec.Name, kind);
        found[key] = found.GetValueOrDefault(key) | bits;
    }

    /// <summary>Bytes the flip leaves alone: identity, Status (its capability list bit), capability headers, resources.</summary>
    private static bool[] KeepBytes(FunctionAttributes attrs, int length)
    {
        var keep = new bool[length];
        foreach (var r in attrs.Registers)
        {
            bool header = r.Structure.Key.Kind == StructureKind.Header;
            bool identity = header && r.Spec.Fields.All(f => f.Attribute is BitAttribute.RO or BitAttribute.HwInit) && r.Spec.Offset != Header.Status;
            if (identity || r.ResourceBits != 0 || (header && r.Spec.Offset == Header.Status) || r.Spec.Offset == 0)
                for (int i = 0; i < r.Width; i++) keep[r.Offset + i] = true;
        }
        foreach (var s in attrs.Structures)
            for (int i = 0; i < (s.Key.Kind == StructureKind.ExtendedCapability ? 4 : s.Key.Kind == StructureKind.Capability ? 2 : 0); i++)
                if (s.Offset + i < length) keep[s.Offset + i] = true;
        keep[Header.HeaderType] = true;
        return keep;
    }

    [Fact]
    public void Every_expected_disagreement_says_why() =>
        Assert.All(Expected, d => Assert.False(string.IsNullOrWhiteSpace(d.Why), $"{d.Structure} {d.Register}: no reason"));

    [Fact]
    public void The_preinit_assembly_never_references_the_specification_table_or_the_simulators_masks()
    {
        string path = typeof(ReplayPlanner).Assembly.Location;
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        var referenced = md.TypeReferences.Select(h => md.GetTypeReference(h)).Select(t => $"{md.GetString(t.Namespace)}.{md.GetString(t.Name)}").ToList();
        Assert.Contains(referenced, t => t.StartsWith("Preconfig.ConfigSpace.", StringComparison.Ordinal)); // the scan sees ConfigSpace types
        Assert.DoesNotContain(referenced, t => t.StartsWith("Preconfig.ConfigSpace.Specification.", StringComparison.Ordinal));
        Assert.DoesNotContain("Preconfig.ConfigSpace.Simulation.WriteMasks", referenced);
        Assert.DoesNotContain("Preconfig.ConfigSpace.Simulation.Dirt", referenced);
    }

    [Fact]
    public void Every_disagreement_between_the_table_and_the_planner_is_listed_with_its_reason()
    {
        var actual = Compute();
        string Show(IEnumerable<Disagreement> ds) => string.Join("\n", ds.Select(d => $"  (\"{d.Structure}\", \"{d.Register}\", Kind.{d.Kind}, 0x{d.Bits:x}),"));
        var expected = Expected.Select(d => d with { Why = "" })
            .OrderBy(d => d.Structure, StringComparer.Ordinal).ThenBy(d => d.Register, StringComparer.Ordinal).ThenBy(d => d.Kind).ToList();
        Assert.True(expected.SequenceEqual(actual), $"table vs planner, found:\n{Show(actual)}");
    }
}
