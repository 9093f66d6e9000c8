using Preconfig.Preinit.Demo;
using Preconfig.Preinit.Loading;

namespace Preconfig.Tests.Preinit;

public sealed class DemoTests() : TempDirectoryTest("preinit-demo-")
{

    [Fact]
    public void TheDemoTellsTheStoryOnTheBundledMachineAndLeavesTheFixtureAlone()
    {
        string fixture = Path.Combine(RepoPaths.Fixtures, "machines", "demo.json");
        string before = File.ReadAllText(fixture);
        Snapshot? stored = null;
        var demo = DemoScenario.Run(new FileSystem(), fixture, Dir, (s, _) => { stored = s; return ("memory", ""); },
            (_, _) => new LoadedSnapshot(stored!, "memory", 1));

        Assert.Equal(before, File.ReadAllText(fixture));
        Assert.Equal(SimulatedMachine.Load(fixture).Count, demo.Rows.Count);
        // The ISA/LPC bridge (class 0601) is the kernel's (legacy serial console, TPM, IPMI behind it): left as the
        // crash left it, Bus Master included (issue 20: the demo used to end with its Bus Master off).
        var isa = demo.Rows.Single(r => r.Address.ToString() == "0000:00:1f.0");
        Assert.Equal("left-to-kernel", isa.Outcome.Outcome);
        Assert.Equal(isa.Crashed, isa.After);
        Assert.True(isa.After.BusMaster);
        Assert.All(demo.Rows.Where(r => r != isa), r => Assert.Equal("restored", r.Outcome.Outcome));
        foreach (var r in demo.Rows.Where(r => r != isa))
        {
            Assert.Equal(0, r.After.ErrorBits);
            Assert.True(r.Crashed.BusMaster);
            Assert.Equal(r.Firmware.InterruptLine, r.After.InterruptLine);
            Assert.Equal(r.Firmware.DevCtl, r.After.DevCtl);
            Assert.NotEqual(true, r.After.Msi);
            Assert.NotEqual(true, r.After.MsiX);
            if (r.Kind is not ("root port" or "PCI bridge")) Assert.False(r.After.BusMaster);
        }
        string table = DemoTable.Render(demo, color: false);
        Assert.DoesNotContain("\u001b[", table);
        Assert.Contains("BusMaster", table);
        Assert.Contains("+→+→-", table);
        Assert.Contains(File.ReadAllLines(Path.Combine(Dir, "kmsg")), l => l.StartsWith("<5>preconfig: preinit: 15 restored", StringComparison.Ordinal) && l.Contains("1 left to the kernel", StringComparison.Ordinal));
        Assert.Contains("\u001b[32m", DemoTable.Render(demo, color: true));
    }
}
