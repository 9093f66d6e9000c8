using Preconfig.Inspection;

namespace Preconfig.Tests.Inspection;

public class PciIdsTests
{
    private const string Sample = """
        # comment
        8086  Intel Corporation
        	1234  Some Device
        		1028 0001  Dell subsystem
        	2f04  Xeon E7 v3/Xeon E5 v3/Core i7 PCI Express Root Port 2
        10de  NVIDIA Corporation
        	0a65  GT218 [GeForce 210]
        C 06  Bridge
        	00  Host bridge
        	04  PCI bridge
        		00  Normal decode
        C 0c  Serial bus controller
        	03  USB controller
        """;

    [Fact]
    public void LooksUpVendorsDevicesAndClasses()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, Sample.Replace("\r", ""));
            var ids = new PciIds(path);
            Assert.Equal("Intel Corporation", ids.Vendor(0x8086));
            Assert.Equal("Xeon E7 v3/Xeon E5 v3/Core i7 PCI Express Root Port 2", ids.Device(0x8086, 0x2f04));
            Assert.Equal("GT218 [GeForce 210]", ids.Device(0x10de, 0x0a65));
            Assert.Null(ids.Device(0x8086, 0x0001));   // the subsystem line's id is not a device
            Assert.Null(ids.Device(0x10de, 0x1234));    // another vendor's device
            Assert.Null(ids.Vendor(0x1af4));
            Assert.Equal("PCI bridge", ids.Class(0x060400));
            Assert.Equal("Serial bus controller", ids.Class(0x0c8000));   // unknown subclass: the base class
            Assert.Null(ids.Class(0xff0000));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void WithoutTheFileEveryLookupIsNullAndViewsPrintHex()
    {
        var ids = new PciIds(Path.Combine(Path.GetTempPath(), "no-such-pci.ids"));
        Assert.Null(ids.Vendor(0x8086));
        var snapshot = InspectionTestData.Load("pciutils-tests/cap-aer-root");
        var f = FunctionSummary.Build(snapshot.Devices[0], ids, "x");
        Assert.Equal("8086", f.VendorText);
        Assert.StartsWith("Device ", f.DeviceText);
        Assert.StartsWith("Class ", f.ClassText);
    }

    [Fact]
    public void TheSystemDatabaseNamesARealDevice()
    {
        // Debian's pciutils ships pci.ids (scripts/install-deps.sh installs pciutils).
        var ids = PciIds.System();
        Assert.NotNull(ids.Path);
        Assert.Equal("Intel Corporation", ids.Vendor(0x8086));
        Assert.Contains("PCI Express Root Port", ids.Device(0x8086, 0x2f04));
    }
}
