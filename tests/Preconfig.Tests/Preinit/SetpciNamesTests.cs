using System.Globalization;
using System.Text.RegularExpressions;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning;
using Preconfig.Tests.Lspci;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// The setpci names the plan uses are computed from (capability, offset, width) and setpci's register table; the
/// oracle is the real setpci: its own table (<c>setpci --dumpregs</c>) and what it accepts, and where it resolves a
/// name to, on the real dumps (read through libpci's dump access method, nothing is written).
/// </summary>
public sealed class SetpciNamesTests
{
    private static string Setpci => File.Exists("/usr/bin/setpci") ? "/usr/bin/setpci" : "setpci";

    /// <summary>setpci --dumpregs: "cap pos w name" lines, cap blank (header), 2 hex digits (capability) or 4 (extended).</summary>
    private static List<(string Cap, int Offset, char Width, string Name)> DumpRegs()
    {
        var r = ExternalTool.Run(Setpci, "--dumpregs");
        Assert.Equal(0, r.ExitCode);
        var list = new List<(string, int, char, string)>();
        foreach (var line in r.Stdout.Split('\n').Skip(1))
        {
            if (line.Length < 10) continue;
            var m = Regex.Match(line, @"^(.{4}) ([0-9a-f]{2}) (.) (\S+)$");
            Assert.True(m.Success, $"unexpected --dumpregs line: {line}");
            list.Add((m.Groups[1].Value.Trim(), int.Parse(m.Groups[2].Value, NumberStyles.HexNumber), m.Groups[3].Value[0], m.Groups[4].Value));
        }
        return list;
    }

    [Fact]
    public void The_register_table_is_setpcis_own()
    {
        var regs = DumpRegs();
        Assert.True(regs.Count > 100, $"{regs.Count} names from setpci --dumpregs");
        var header = regs.Where(r => r.Cap.Length == 0).Select(r => $"{r.Name} {r.Offset:x2} {r.Width}").Order().ToList();
        var ours = SetpciRegisterTable.Header.Select(e => $"{e.Name} {e.Offset:x2} {"-BW?L"[e.Width]}").Order().ToList();
        Assert.Equal(header, ours);
        foreach (var r in regs.Where(r => r.Cap.Length > 0))
        {
            ushort id = ushort.Parse(r.Cap, NumberStyles.HexNumber);
            Assert.Equal(r.Name, SetpciNames.CapabilityBase(extended: r.Cap.Length == 4, id));
        }
    }

    [Fact]
    public void A_header_name_is_used_exactly_where_setpci_accepts_it()
    {
        string dump = RealDumps.PathOf("pciutils-tests/tree-fujitsu-p8010");
        var functions = LspciDumpReader.ReadFile(dump).Functions;
        // One function of each header type (the CardBus bridge at 1c:03.0 is the one type 2 among the dumps).
        var byType = functions.GroupBy(f => ConfigBytes.HeaderKind(f.Config)).ToDictionary(g => g.Key, g => g.First());
        Assert.Equal(3, byType.Count);
        foreach (var (type, f) in byType)
            foreach (var e in SetpciRegisterTable.Header)
            {
                bool accepted = ExternalTool.Run(Setpci, "-A", "dump", "-O", $"dump.name={dump}", "-s", f.Address.ToString(), e.Name).ExitCode == 0;
                string ours = SetpciNames.Header(e.Offset, e.Width, type);
                Assert.True(accepted == (ours == e.Name), $"{e.Name} on a type {(int)type} header: setpci {(accepted ? "accepts" : "refuses")} it, the plan would say {ours}");
            }
    }

    [Fact]
    public void A_capability_register_name_is_where_setpci_resolves_it_and_refused_where_setpci_refuses_it()
    {
        int checkedNames = 0;
        foreach (string name in new[] { "pciutils-tests/tree-fujitsu-p8010", "pciutils-tests/cap-dpc", "pciutils-tests/cap-l1-pm", "pciutils-tests/cap-ptm-1" })
        {
            string dump = RealDumps.PathOf(name);
            foreach (var f in LspciDumpReader.ReadFile(dump).Functions)
            {
                var type = ConfigBytes.HeaderKind(f.Config);
                foreach (var cap in CapabilityWalker.Walk(f.Config).Capabilities)
                {
                    string ours = SetpciNames.Capability(cap, 4, 2, type);
                    if (ours == SetpciNames.Offset(cap.Offset + 4, 2)) continue; // nothing to ask setpci
                    // A second capability with the same id is not the one setpci's name finds (the planner restores the first).
                    if (CapabilityWalker.Walk(f.Config).Capabilities.First(c => c.Extended == cap.Extended && c.Id == cap.Id) != cap) continue;
                    var r = ExternalTool.Run(Setpci, "-v", "-A", "dump", "-O", $"dump.name={dump}", "-s", f.Address.ToString(), ours);
                    Assert.True(r.ExitCode == 0, $"{name} {f.Address}: setpci refuses {ours}: {r.Stderr}");
                    Assert.Contains($"@{cap.Offset:x2}) @{cap.Offset + 4:x2}", r.Stdout);
                    checkedNames++;
                }
                if (type == HeaderType.CardBus)
                    foreach (var cap in CapabilityWalker.Walk(f.Config).Capabilities)
                    {
                        Assert.Equal(SetpciNames.Offset(cap.Offset + 4, 2), SetpciNames.Capability(cap, 4, 2, type));
                        string named = SetpciNames.CapabilityRegister(cap.Extended, cap.Id, 4, 2);
                        Assert.NotEqual(0, ExternalTool.Run(Setpci, "-A", "dump", "-O", $"dump.name={dump}", "-s", f.Address.ToString(), named).ExitCode);
                    }
            }
        }
        Assert.True(checkedNames > 20, $"{checkedNames} capability names checked");
    }
}
