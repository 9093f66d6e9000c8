
namespace Preconfig.Tests.Sysfs;

public sealed class SysfsTreeWriterTests : IDisposable
{
    private readonly SysfsTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void A_tree_written_from_the_demo_machine_describes_every_function_as_the_machine_does()
    {
        var machine = SimulatedMachine.Load(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"));
        var first = machine.Functions.First();
        first.Driver = "snd_hda_intel";
        SysfsTreeWriter.Write(machine, _tree.FileSystem, _tree.Root);
        using var pci = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        Assert.Equal(machine.EnumerateFunctions(), pci.EnumerateFunctions());
        foreach (var f in machine.Functions)
        {
            var expected = machine.Describe(f.Address);
            var actual = pci.Describe(f.Address);
            Assert.Equal(expected.Driver, actual.Driver);
            Assert.Equal(expected.ResetMethods, actual.ResetMethods);
            Assert.Equal(expected.Resources, actual.Resources);
            Assert.Equal(f.Space.Snapshot(), pci.Open(f.Address).ReadAll());
        }
        Assert.Equal("snd_hda_intel", pci.Describe(first.Address).Driver);
    }

    [Fact]
    public void Attributes_use_the_kernels_text_formats()
    {
        var machine = SimulatedMachine.Load(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"));
        SysfsTreeWriter.Write(machine, _tree.FileSystem, _tree.Root);
        var bridge = PciAddress.Parse("0000:00:1c.0");
        Assert.Equal("0x8086\n", _tree.ReadAttribute(bridge, "vendor"));
        Assert.Equal("0x27d0\n", _tree.ReadAttribute(bridge, "device"));
        Assert.Equal("0x060400\n", _tree.ReadAttribute(bridge, "class"));
        Assert.Equal("0x02\n", _tree.ReadAttribute(bridge, "revision"));
        var lines = _tree.ReadAttribute(bridge, "resource").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(SysfsResources.BridgeLines, lines.Length);
        Assert.All(lines, l => Assert.Matches("^0x[0-9a-f]{16} 0x[0-9a-f]{16} 0x[0-9a-f]{16}$", l));
        var nic = PciAddress.Parse("0000:01:00.0");
        Assert.Equal(SysfsResources.EndpointLines, _tree.ReadAttribute(nic, "resource").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Matches("^0x[0-9a-f]{4}\n$", _tree.ReadAttribute(nic, "subsystem_vendor"));
        Assert.Matches("^[0-9]+\n$", _tree.ReadAttribute(nic, "irq"));
    }
}
