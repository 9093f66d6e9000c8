using Preconfig.Preinit.Planning;
using Preconfig.Tests.Lspci;

namespace Preconfig.Tests.Preinit;

/// <summary>The restore order is one list (src/Preinit/Planning/RestoreOrder.cs): docs/preinit.md's section is
/// generated from it, and the dry-run's capabilities line names every capability the plan writes.</summary>
public sealed class RestoreOrderTests
{
    [Fact]
    public void Docs_preinit_md_restore_order_is_the_list_the_planner_walks() =>
        GeneratedSection("restore-order", "src/Preinit/Planning/RestoreOrder.cs (RestoreOrder.Markdown())", RestoreOrder.Markdown());

    [Fact]
    public void Docs_preinit_md_reset_waits_are_the_figures_the_apply_uses() =>
        GeneratedSection("reset-waits", "src/Preinit/Apply/ResetTimings.cs (ResetTimings.Markdown())", Preconfig.Preinit.Apply.ResetTimings.Kernel.Markdown());

    /// <summary>docs/preinit.md holds <paramref name="expected"/> between the section's generated-from markers.</summary>
    private static void GeneratedSection(string name, string source, string expected)
    {
        string begin = $"<!-- {name}: generated from {source}; tests/Preconfig.Tests/Preinit/RestoreOrderTests.cs checks it -->";
        string section = DocSection.Between("preinit.md", begin, $"<!-- end {name} -->");
        expected = expected.TrimEnd('\n');
        Assert.True(section == expected, $"docs/preinit.md's {name} is not the list; put this between the markers:\n{expected}");
    }

    /// <summary>The word the capabilities line must have for each capability setpci names (the test's own list).</summary>
    private static readonly Dictionary<string, string> Words = new()
    {
        ["CAP_PM"] = "PM", ["CAP_EXP"] = "PCI Express", ["CAP_MSI"] = "MSI", ["CAP_MSIX"] = "MSI-X", ["ECAP_AER"] = "AER",
        ["ECAP_LTR"] = "LTR", ["ECAP_L1PM"] = "L1 PM substates", ["ECAP_DPC"] = "DPC", ["ECAP_PTM"] = "PTM",
        ["ECAP_ACS"] = "ACS", ["ECAP_ARI"] = "ARI",
    };

    [Fact]
    public void The_dry_runs_capabilities_line_names_every_capability_the_plan_writes()
    {
        var policy = new Preconfig.Preinit.Policy.ReplayPolicy { RestorePowerState = true, RestoreAcs = true, RestoreAri = true };
        var written = new HashSet<string>();
        string? line = null;
        foreach (string dump in RealDumps.All())
        {
            var machine = SimulatedMachine.FromDump(Preconfig.ConfigSpace.Lspci.LspciDumpReader.ReadFile(dump));
            var snapshot = Preconfig.Preinit.Loading.AccessSnapshot.Capture(machine, "firmware");
            KernelRun.Dirty(machine, seed: 9);
            var plan = ReplayPlanner.Build(Preconfig.Preinit.Matching.DeviceMatcher.Match(snapshot, machine, policy), policy);
            // Registers named by offset (a CardBus bridge's capabilities, which setpci does not find) name no capability.
            foreach (var s in plan.Steps.Where(s => s.Phase == StepPhase.Capabilities && s.Register.Contains('+')))
                written.Add(s.Register.Split('+')[0]);
            line ??= SetpciScript.Render(plan).Split('\n').FirstOrDefault(l => l.StartsWith("# capabilities", StringComparison.Ordinal));
        }
        Assert.NotNull(line);
        Assert.Superset(new HashSet<string> { "CAP_PM", "ECAP_ACS", "ECAP_ARI", "CAP_EXP", "ECAP_AER" }, written);
        var items = line["# capabilities: ".Length..].Split(", ").Select(i => i.Replace(" (policy)", "", StringComparison.Ordinal)).ToHashSet();
        foreach (string register in written)
        {
            Assert.True(Words.TryGetValue(register, out var word), $"the plan writes {register}: add it to this test's list");
            Assert.True(items.Contains(word), $"the plan writes {register}, the dry-run's line does not name it: {line}");
        }
    }
}
