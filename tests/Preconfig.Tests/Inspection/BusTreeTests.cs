using Preconfig.Inspection;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Tests.Inspection;

public class BusTreeTests
{
    private static string Shape(BusNode n) =>
        n.Children.Count == 0 ? n.Record.Address.ToString() : $"{n.Record.Address}({string.Join(" ", n.Children.Select(Shape))})";

    [Fact]
    public void AsusTreeFollowsBridgeBusNumbers()
    {
        // lspci -F tree-asus-p6t6 -t: 00:03.0 [02-05] -> 02:00.0 [03-05] -> 03:00.0 [04] -> 04:00.0, 03:02.0 [05];
        // 00:07.0 [06] -> 06:00.0, 06:00.1; 1c.1 [08] -> 08:00.0; 1c.2 [07] -> 07:00.0; root buses 00 and ff (QPI)
        var roots = BusTree.Build(InspectionTestData.Load("pciutils-tests/tree-asus-p6t6").Devices);
        var shapes = roots.Select(Shape).ToList();
        Assert.Contains("0000:00:03.0(0000:02:00.0(0000:03:00.0(0000:04:00.0) 0000:03:02.0))", shapes);
        Assert.Contains("0000:00:07.0(0000:06:00.0 0000:06:00.1)", shapes);
        Assert.Contains("0000:00:1c.1(0000:08:00.0)", shapes);
        Assert.Contains("0000:00:1c.2(0000:07:00.0)", shapes);
        Assert.Equal([0x00, 0xff], roots.Select(r => (int)r.Record.Address.Bus).Distinct().Order());
        Assert.Equal(53, Count(roots));
    }

    [Fact]
    public void NonsenseBusNumbersNeitherLoopNorLoseFunctions()
    {
        // Two bridges whose secondary buses point at each other's bus, and one pointing at its own bus.
        var devices = new[] { Bridge(1, 0, 2), Bridge(2, 0, 1), Bridge(3, 0, 3), Endpoint(2, 1) };
        var roots = BusTree.Build(Snapshot.Normalize(devices));
        Assert.Equal(4, Count(roots));
        Assert.Equal(4, roots.Select(Shape).SelectMany(s => s.Split('(', ')', ' ')).Count(s => s.Length > 0));
    }

    private static int Count(IEnumerable<BusNode> nodes) => nodes.Sum(n => 1 + Count(n.Children));

    private static DeviceRecord Bridge(byte bus, byte device, byte secondary)
    {
        var cfg = new byte[256];
        cfg[Header.HeaderType] = (byte)HeaderType.Bridge;
        cfg[Type1.PrimaryBus] = bus;
        cfg[Type1.SecondaryBus] = secondary;
        cfg[Type1.SubordinateBus] = secondary;
        return new DeviceRecord { Address = new PciAddress(0, bus, device, 0), Config = cfg };
    }

    private static DeviceRecord Endpoint(byte bus, byte device) => new() { Address = new PciAddress(0, bus, device, 0), Config = new byte[256] };
}
