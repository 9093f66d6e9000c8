using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Sysfs;

namespace Preconfig.Tests.Sysfs;

public sealed class SysfsPciAccessTests : IDisposable
{
    private static readonly PciAddress A = PciAddress.Parse("0000:00:1f.3"), B = PciAddress.Parse("0000:03:00.0"), C = PciAddress.Parse("0001:00:00.0");
    private readonly SysfsTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Enumerates_address_entries_in_order_and_ignores_others()
    {
        _tree.AddDevice(C, SysfsTree.Config(256));
        _tree.AddDevice(B, SysfsTree.Config(256));
        _tree.AddDevice(A, SysfsTree.Config(256));
        Directory.CreateDirectory(Path.Combine(_tree.Root, "devices", "not-a-device"));
        using var pci = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        Assert.Equal([A, B, C], pci.EnumerateFunctions());
        Assert.Equal("sysfs:" + _tree.Root, pci.Description);
    }

    [Fact]
    public void Open_shares_one_handle_per_function_and_reopens_a_removed_one()
    {
        string dir = _tree.AddDevice(B, SysfsTree.Config(256));
        using var pci = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        var first = pci.Open(B);
        Assert.Same(first, pci.Open(B));
        File.WriteAllBytes(Path.Combine(dir, "config"), Enumerable.Repeat((byte)0xff, 256).ToArray());
        Assert.Throws<DeviceRemovedException>(() => first.ReadDword(8));
        Directory.Delete(dir, true);
        Assert.Throws<DeviceRemovedException>(() => pci.Open(B));
        _tree.AddDevice(B, SysfsTree.Config(256, device: 0x5678));
        Assert.Equal(0x5678, pci.Open(B).ReadWord(2));
    }

    [Fact]
    public void Describe_reads_driver_link_reset_methods_and_resources()
    {
        string dir = _tree.AddDevice(B, SysfsTree.Config(256));
        Directory.CreateDirectory(Path.Combine(_tree.Root, "drivers", "nvme"));
        File.CreateSymbolicLink(Path.Combine(dir, "driver"), "../../drivers/nvme");
        _tree.WriteAttribute(B, "reset_method", "flr bus\n");
        _tree.WriteAttribute(B, "resource",
            "0x00000000fb000000 0x00000000fb003fff 0x0000000000140204\n" +
            "0x0000000000000000 0x0000000000000000 0x0000000000000000\n" +
            "0x000000000000e000 0x000000000000e07f 0x0000000000040101\n");
        using var pci = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        var info = pci.Describe(B);
        Assert.Equal("nvme", info.Driver);
        Assert.Equal(["flr", "bus"], info.ResetMethods);
        Assert.Equal(3, info.Resources.Count);
        Assert.Equal(new BarResource(0, 0xfb000000, 0xfb003fff, 0x140204), info.Resources[0]);
        Assert.Equal(0x4000ul, info.Resources[0].Size);
        Assert.Equal(0ul, info.Resources[1].Size);
        Assert.Equal(0x80ul, info.Resources[2].Size);
        Assert.Null(info.BootVga);
        _tree.WriteAttribute(B, "boot_vga", "1\n");
        Assert.True(pci.Describe(B).BootVga);
        _tree.WriteAttribute(B, "boot_vga", "0\n");
        Assert.False(pci.Describe(B).BootVga);
    }

    [Fact]
    public void Describe_without_driver_or_reset_method_is_empty_and_a_bad_resource_line_is_named()
    {
        _tree.AddDevice(B, SysfsTree.Config(256));
        using var pci = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        var info = pci.Describe(B);
        Assert.Null(info.Driver);
        Assert.Empty(info.ResetMethods);
        Assert.Empty(info.Resources);
        _tree.WriteAttribute(B, "resource", "0x0 0x0 0x0\nbogus\n");
        var e = Assert.Throws<InvalidDataException>(() => pci.Describe(B));
        Assert.Contains("resource:2", e.Message);
        Assert.Throws<DeviceRemovedException>(() => pci.Describe(A));
    }

    [Fact]
    public void RequestReset_selects_the_method_resets_and_restores_the_previous_list()
    {
        _tree.AddDevice(B, SysfsTree.Config(256));
        _tree.WriteAttribute(B, "reset_method", "flr bus\n");
        _tree.WriteAttribute(B, "reset", "");
        using var pci = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        var writes = new List<(string, string)>();
        pci.AttributeWriteSeam = (path, text) => { writes.Add((Path.GetFileName(path), text)); return null; };
        var result = pci.RequestReset(B, "bus");
        Assert.True(result.Reported);
        Assert.Equal([("reset_method", "bus"), ("reset", "1"), ("reset_method", "flr bus")], writes);

        pci.AttributeWriteSeam = null; // the real writes, into the temp tree
        Assert.True(pci.RequestReset(B, "flr").Reported);
        Assert.Equal("1", _tree.ReadAttribute(B, "reset"));
        Assert.Equal("flr bus", _tree.ReadAttribute(B, "reset_method"));
    }

    [Fact]
    public void A_failed_reset_write_is_reported_not_thrown_and_the_list_is_still_restored()
    {
        _tree.AddDevice(B, SysfsTree.Config(256));
        _tree.WriteAttribute(B, "reset_method", "flr pm\n");
        using var pci = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        // No "reset" attribute: the write fails for real (ENOENT).
        var result = pci.RequestReset(B, "pm");
        Assert.False(result.Reported);
        Assert.Contains("reset=1: No such file or directory (ENOENT)", result.Status);
        Assert.Equal("flr pm", _tree.ReadAttribute(B, "reset_method"));

        var writes = new List<(string, string)>();
        pci.AttributeWriteSeam = (path, text) =>
        {
            writes.Add((Path.GetFileName(path), text));
            return Path.GetFileName(path) == "reset" ? "Inappropriate ioctl for device (ENOTTY)" : null;
        };
        result = pci.RequestReset(B, "flr");
        Assert.False(result.Reported);
        Assert.Contains("ENOTTY", result.Status);
        Assert.Equal(("reset_method", "flr pm"), writes[^1]);
    }

    [Fact]
    public void An_unsupported_method_is_refused_without_touching_reset()
    {
        _tree.AddDevice(B, SysfsTree.Config(256));
        using var pci = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        var writes = new List<string>();
        pci.AttributeWriteSeam = (path, text) => { writes.Add(Path.GetFileName(path)); return "Invalid argument (EINVAL)"; };
        var result = pci.RequestReset(B, "acpi");
        Assert.False(result.Reported);
        Assert.Contains("EINVAL", result.Status);
        Assert.Equal(["reset_method"], writes);
        Assert.False(pci.RequestReset(A, "flr").Reported); // no such node: reported, not thrown
    }
}
