using static Preconfig.Tests.Capture.EarlydumpLogs;

namespace Preconfig.Tests.Sysfs;

/// <summary>
/// What a sysfs backend must do, run against both over the same sysfs-shaped temp trees (regular directories under
/// the temp directory, never the real /sys): <see cref="LibcBackendContractTests"/> (the real file system, read
/// straight through libc: what production runs on /sys) and <see cref="FileSystemBackendContractTests"/>
/// (System.IO.Abstractions, what any other IFileSystem gets), the capture's read (<see cref="SysfsFunctionReader"/>,
/// what every sysfs capture runs) included. Each picks its backend the way production does, by the
/// file system handed to <see cref="SysfsPciAccess"/>, <see cref="SysfsConfigSpace"/> and <see cref="SysfsSource"/>.
/// The expected values are the tree's own bytes and the kernel's sysfs formats.
/// </summary>
public abstract class SysfsBackendContract : IDisposable
{
    private static readonly PciAddress A = PciAddress.Parse("0000:00:1f.3"), B = PciAddress.Parse("0000:03:00.0"), C = PciAddress.Parse("0001:00:00.0");
    private readonly SysfsTree _tree = new();

    /// <summary>The file system whose backend <see cref="SysfsBackend.For"/> chooses.</summary>
    protected abstract IFileSystem FileSystem { get; }

    /// <summary>Whether that backend reads through libc.</summary>
    protected abstract bool ThroughLibc { get; }

    public void Dispose()
    {
        _tree.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void The_file_system_chooses_this_backend_once_for_the_access_and_the_capture()
    {
        _tree.AddDevice(B, SysfsTree.Config(256));
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root);
        Assert.Equal(ThroughLibc, pci.Backend.ThroughLibc);
        Assert.Equal(ThroughLibc, SysfsBackend.For(FileSystem) is LibcSysfsBackend);
    }

    [Fact]
    public void Listing_gives_every_function_in_order_over_several_reads_of_the_directory()
    {
        // 2,100 entries: more than one 32 KiB getdents64 read, in the directory's own (not sorted) order.
        var expected = new List<PciAddress>();
        for (int domain = 6; domain >= 0; domain--)
            for (int bus = 0; bus < 30; bus++)
                for (int f = 0; f < 10; f++)
                {
                    var a = new PciAddress(domain * 0x1000 + 7, (byte)(bus * 8), (byte)(f * 3), (byte)(f % 8));
                    Directory.CreateDirectory(_tree.DeviceDir(a));
                    expected.Add(a);
                }
        string devices = Path.Combine(_tree.Root, "devices");
        foreach (string odd in new[] { "not-a-device", "0000:00:1f.3x", "0000:00:20.0", "0000:00:1f.8", new string('0', 70) + ":00:00.0" })
            Directory.CreateDirectory(Path.Combine(devices, odd));
        File.WriteAllText(Path.Combine(devices, "0000:00:1e.0"), ""); // a file named like a function is listed, as lspci would
        expected.Add(PciAddress.Parse("0000:00:1e.0"));
        expected.Sort();
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root, writable: false);
        Assert.Equal(expected, pci.EnumerateFunctions());
    }

    [Fact]
    public void Listing_a_root_without_devices_names_the_root()
    {
        string root = Path.Combine(_tree.Root, "empty");
        Directory.CreateDirectory(root);
        using var pci = new SysfsPciAccess(FileSystem, root, writable: false);
        var e = Assert.Throws<DirectoryNotFoundException>(() => pci.EnumerateFunctions());
        Assert.Equal($"{Path.Combine(root, "devices")}: no such directory (is {root} a sysfs PCI root?)", e.Message);
    }

    [Fact]
    public void A_driver_link_longer_than_the_first_buffer_still_names_the_driver()
    {
        string dir = _tree.AddDevice(B, SysfsTree.Config(256));
        File.CreateSymbolicLink(Path.Combine(dir, "driver"), string.Concat(Enumerable.Repeat("../", 200)) + "drivers/nvme/");
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root);
        Assert.Equal("nvme", pci.Describe(B).Driver);
    }

    [Fact]
    public void Config_reads_give_the_files_bytes_and_writes_land_in_the_file_at_their_offset()
    {
        var real = RealDump("pciutils-tests/tree-asus-p6t6").Functions;
        foreach (var f in real) _tree.AddDevice(f.Address, f.Config);
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root);
        foreach (var f in real)
        {
            Assert.Equal(f.Config, pci.ReadConfig(f.Address));
            Assert.Equal(f.Config, pci.Open(f.Address).ReadAll());
            Assert.Equal(f.Config.Length, pci.OpenSysfs(f.Address).ReportedLength);
        }
        var first = real[0].Address;
        pci.Open(first).WriteDword(0x40, 0xdeadbeef);
        pci.Open(first).WriteByte(0x3c, 0x0b);
        var file = File.ReadAllBytes(Path.Combine(_tree.DeviceDir(first), "config"));
        Assert.Equal([0xef, 0xbe, 0xad, 0xde], file[0x40..0x44]);
        Assert.Equal(0x0b, file[0x3c]);
        Assert.Equal(0xdeadbeefu, pci.Open(first).ReadDword(0x40));
    }

    [Fact]
    public void A_capture_records_the_trees_bytes_driver_and_resources_and_warns_of_a_bad_resource_file()
    {
        var real = RealDump("pciutils-tests/tree-asus-p6t6").Functions;
        foreach (var f in real) _tree.AddDevice(f.Address, f.Config);
        var withBar = real.First(f => SysfsResources.HasBarOrRom(f.Config)).Address;
        var other = real.Last(f => SysfsResources.HasBarOrRom(f.Config)).Address;
        _tree.LinkDriver(withBar, "e1000e", "/");
        _tree.WriteAttribute(withBar, "resource", "0x00000000fbd00000 0x00000000fbd1ffff 0x0000000000040200\n");
        _tree.WriteAttribute(other, "resource", "not a resource line\n");

        var capture = new SysfsSource(FileSystem, _tree.Root, "sysfs").Capture();
        Assert.Equal(real.Select(f => f.Address).Order(), capture.Devices.Select(d => d.Address));
        foreach (var f in real) Assert.Equal(f.Config, capture.Devices.Single(d => d.Address == f.Address).Config);
        var nic = capture.Devices.Single(d => d.Address == withBar);
        Assert.Equal("e1000e", nic.Driver);
        Assert.Equal([new BarResource(0, 0xfbd00000, 0xfbd1ffff, 0x40200)], nic.Resources);
        Assert.All(capture.Devices.Where(d => d.Address != withBar), d => Assert.Null(d.Driver));
        var warning = Assert.Single(capture.Warnings);
        Assert.StartsWith($"{other}: driver/resource unreadable (", warning);
        Assert.Contains("resource:1", warning);
    }

    [Fact]
    public void A_capture_reads_every_function_in_order_on_several_threads_as_on_one()
    {
        var functions = RealDump("pciutils-tests/tree-asus-p6t6").Functions;
        for (int domain = 0; domain < 3; domain++)
            foreach (var f in functions) _tree.AddDevice(InDomain(f.Address, domain), f.Config);
        int withBar = functions.ToList().FindIndex(f => SysfsResources.HasBarOrRom(f.Config));
        _tree.WriteAttribute(InDomain(functions[withBar].Address, 2), "resource", "0x1000 0x1fff 0x100\n");
        _tree.LinkDriver(InDomain(functions[withBar].Address, 1), "ahci");
        // Not read: a capture keeps no reset methods (PciAccessSource.Kept).
        _tree.WriteAttribute(InDomain(functions[5].Address, 2), "reset_method", "flr\n");
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root, writable: false);
        var addresses = pci.EnumerateFunctions();
        var one = SysfsFunctionReader.ReadAll(pci.Backend, _tree.Root, addresses, PciAccessSource.Kept, threads: 1);
        foreach (int threads in new[] { 2, 3, 7 })
        {
            var many = SysfsFunctionReader.ReadAll(pci.Backend, _tree.Root, addresses, PciAccessSource.Kept, threads);
            Assert.Equal(one.Length, many.Length);
            for (int i = 0; i < one.Length; i++)
            {
                Assert.Equal(one[i].Config, many[i].Config);
                Assert.Equal(one[i].Info.Resources, many[i].Info.Resources);
                Assert.Equal((one[i].Truncated, one[i].Info.Driver, one[i].Failure, one[i].InfoWarning),
                    (many[i].Truncated, many[i].Info.Driver, many[i].Failure, many[i].InfoWarning));
            }
        }
        for (int i = 0; i < one.Length; i++) Assert.Equal(functions[i % functions.Count].Config, one[i].Config);
        Assert.Equal([new BarResource(0, 0x1000, 0x1fff, 0x100)], one[2 * functions.Count + withBar].Info.Resources);
        Assert.Equal("ahci", one[functions.Count + withBar].Info.Driver);
        Assert.All(one, r => Assert.Empty(r.Info.ResetMethods));
    }

    private static PciAddress InDomain(PciAddress a, int domain) => new(domain, a.Bus, a.Device, a.Function);

    [Fact]
    public void A_capture_reports_a_function_gone_before_its_read_and_one_reading_all_ones_as_removed()
    {
        _tree.AddDevice(A, SysfsTree.Config(256));
        _tree.AddDevice(B, Enumerable.Repeat((byte)0xff, 256).ToArray()); // what a removed function answers
        Directory.CreateDirectory(_tree.DeviceDir(C)); // listed, its config gone by the read
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root, writable: false);
        var reads = pci.ReadFunctions(pci.EnumerateFunctions(), PciAccessSource.Kept);
        Assert.Equal(SysfsTree.Config(256), reads[0].Config);
        Assert.Equal((null, null, false), (reads[0].Failure, reads[0].InfoWarning, reads[0].Removed));
        string config(PciAddress a) => Path.Combine(_tree.DeviceDir(a), "config");
        Assert.Equal((null, true, $"{config(B)} reads vendor 0xffff: the function was removed"), (reads[1].Config, reads[1].Removed, reads[1].Failure));
        Assert.Equal((null, true, $"{config(C)} is gone: the function was removed"), (reads[2].Config, reads[2].Removed, reads[2].Failure));
    }

    [Fact]
    public void Enumerates_address_entries_in_order_and_ignores_others()
    {
        _tree.AddDevice(C, SysfsTree.Config(256));
        _tree.AddDevice(B, SysfsTree.Config(256));
        _tree.AddDevice(A, SysfsTree.Config(256));
        Directory.CreateDirectory(Path.Combine(_tree.Root, "devices", "not-a-device"));
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root);
        Assert.Equal([A, B, C], pci.EnumerateFunctions());
        Assert.Equal("sysfs:" + _tree.Root, pci.Description);
    }

    [Fact]
    public void Open_shares_one_handle_per_function_and_reopens_a_removed_one()
    {
        string dir = _tree.AddDevice(B, SysfsTree.Config(256));
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root);
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
        _tree.AddDevice(B, SysfsTree.Config(256));
        _tree.LinkDriver(B, "nvme");
        _tree.WriteAttribute(B, "reset_method", "flr bus\n");
        _tree.WriteAttribute(B, "resource",
            "0x00000000fb000000 0x00000000fb003fff 0x0000000000140204\n" +
            "0x0000000000000000 0x0000000000000000 0x0000000000000000\n" +
            "0x000000000000e000 0x000000000000e07f 0x0000000000040101\n");
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root);
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
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root);
        var info = pci.Describe(B);
        Assert.Null(info.Driver);
        Assert.Empty(info.ResetMethods);
        Assert.Empty(info.Resources);
        _tree.WriteAttribute(B, "resource", "0x0 0x0 0x0\nbogus\n");
        var e = Assert.Throws<InvalidDataException>(() => pci.Describe(B));
        Assert.Contains("resource:2", e.Message);
        Assert.Throws<DeviceRemovedException>(() => pci.Describe(A));
    }

    /// <summary>B offering <paramref name="methods"/> in reset_method, its attribute writes recorded, not made.</summary>
    private (SysfsPciAccess Pci, List<(string, string)> Writes) RecordingResets(string methods)
    {
        _tree.AddDevice(B, SysfsTree.Config(256));
        _tree.WriteAttribute(B, "reset_method", methods + "\n");
        _tree.WriteAttribute(B, "reset", "");
        var pci = new SysfsPciAccess(FileSystem, _tree.Root);
        var writes = new List<(string, string)>();
        pci.AttributeWriteSeam = (path, text) => { writes.Add((Path.GetFileName(path), text)); return null; };
        return (pci, writes);
    }

    [Fact]
    public void RequestReset_selects_the_method_resets_and_restores_the_previous_list()
    {
        var (pci, writes) = RecordingResets("flr bus");
        using var access = pci;
        var result = pci.RequestReset(B, "bus");
        Assert.True(result.Reported);
        Assert.Equal([("reset_method", "bus"), ("reset", "1"), ("reset_method", "flr bus")], writes);

        pci.AttributeWriteSeam = null; // the real writes, into the temp tree
        Assert.True(pci.RequestReset(B, "flr").Reported);
        Assert.Equal("1", _tree.ReadAttribute(B, "reset"));
        Assert.Equal("flr bus", _tree.ReadAttribute(B, "reset_method"));
    }

    [Fact]
    public void A_device_specific_reset_offered_stays_first_in_what_is_written()
    {
        // drivers/pci/pci.c: pci_reset_fn_methods[] ranks device_specific first, __pci_reset_function_locked() tries
        // reset_method in order, and reset_method_store() warns "Device-specific reset disabled/de-prioritized by
        // user" when a written list does not start with it. quirks.c's own resets (nvme_disable_and_flr() for Samsung
        // a802/a804, delay_250ms_after_flr() for Intel 0953/0a54) must run: the list written keeps it first.
        var (pci, writes) = RecordingResets("device_specific flr bus");
        using var access = pci;
        Assert.True(pci.RequestReset(B, "flr").Reported);
        Assert.Equal([("reset_method", "device_specific flr"), ("reset", "1"), ("reset_method", "device_specific flr bus")], writes);
        writes.Clear();
        Assert.True(pci.RequestReset(B, "device_specific").Reported);
        Assert.Equal(("reset_method", "device_specific"), writes[0]);
    }

    [Fact]
    public void A_failed_reset_write_is_reported_not_thrown_and_the_list_is_still_restored()
    {
        _tree.AddDevice(B, SysfsTree.Config(256));
        _tree.WriteAttribute(B, "reset_method", "flr pm\n");
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root);
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
        using var pci = new SysfsPciAccess(FileSystem, _tree.Root);
        var writes = new List<string>();
        pci.AttributeWriteSeam = (path, text) => { writes.Add(Path.GetFileName(path)); return "Invalid argument (EINVAL)"; };
        var result = pci.RequestReset(B, "acpi");
        Assert.False(result.Reported);
        Assert.Contains("EINVAL", result.Status);
        Assert.Equal(["reset_method"], writes);
        Assert.False(pci.RequestReset(A, "flr").Reported); // no such node: reported, not thrown
    }

    [Fact]
    public void A_64_byte_file_is_a_complete_64_byte_space_and_reads_past_it_are_out_of_range()
    {
        string dir = _tree.AddDevice(B, SysfsTree.Config(64));
        using var space = new SysfsConfigSpace(FileSystem, _tree.Root, B);
        Assert.Equal(64, space.Length);
        Assert.Equal(64, space.ReportedLength);
        Assert.False(space.Truncated);
        Assert.Throws<ArgumentOutOfRangeException>(() => space.ReadDword(0x40));
        Assert.True(Directory.Exists(dir));
    }

    [Fact]
    public void A_read_only_handle_refuses_writes_and_leaves_the_file_alone()
    {
        var config = SysfsTree.Config(256);
        string dir = _tree.AddDevice(B, config);
        using var space = new SysfsConfigSpace(FileSystem, _tree.Root, B, writable: false);
        Assert.False(space.Writable);
        var e = Assert.Throws<ConfigSpaceAccessException>(() => space.WriteWord(0x04, 0x0007));
        Assert.Contains("read-only", e.Message);
        Assert.Equal(config, File.ReadAllBytes(Path.Combine(dir, "config")));
    }

    [Fact]
    public void Writes_must_be_1_2_or_4_bytes_at_their_alignment()
    {
        _tree.AddDevice(B, SysfsTree.Config(256));
        using var space = new SysfsConfigSpace(FileSystem, _tree.Root, B);
        Assert.Throws<ArgumentException>(() => space.Write(0x04, new byte[3]));
        Assert.Throws<ArgumentException>(() => space.WriteDword(0x06, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => space.WriteDword(0x100, 1));
    }

    [Fact]
    public void A_missing_node_is_a_removed_device()
    {
        var e = Assert.Throws<DeviceRemovedException>(() => new SysfsConfigSpace(FileSystem, _tree.Root, B));
        Assert.Contains("0000:03:00.0", e.Message);
    }

    [Fact]
    public void A_function_whose_vendor_reads_ffff_is_removed_at_open()
    {
        _tree.AddDevice(B, Enumerable.Repeat((byte)0xff, 256).ToArray());
        Assert.Throws<DeviceRemovedException>(() => new SysfsConfigSpace(FileSystem, _tree.Root, B));
    }

    [Fact]
    public void A_function_that_starts_reading_all_ones_after_open_is_removed_but_an_all_ones_register_is_not()
    {
        string dir = _tree.AddDevice(B, SysfsTree.Config(256));
        using var space = new SysfsConfigSpace(FileSystem, _tree.Root, B);
        space.WriteDword(0x10, 0xffffffff);
        Assert.Equal(0xffffffffu, space.ReadDword(0x10)); // vendor still answers: a register that reads all ones
        File.WriteAllBytes(Path.Combine(dir, "config"), Enumerable.Repeat((byte)0xff, 256).ToArray());
        var e = Assert.Throws<DeviceRemovedException>(() => space.ReadDword(0x10));
        Assert.Equal(0x10, e.Offset);
        Assert.True(space.Removed);
    }
}

/// <summary>The contract through libc: the real file system.</summary>
public sealed class LibcBackendContractTests : SysfsBackendContract
{
    protected override IFileSystem FileSystem { get; } = new FileSystem();
    protected override bool ThroughLibc => true;
}

/// <summary>The contract through System.IO.Abstractions: the real disk behind an IFileSystem that is not FileSystem.</summary>
public sealed class FileSystemBackendContractTests : SysfsBackendContract
{
    protected override IFileSystem FileSystem { get; } = new GeneralFileSystem();
    protected override bool ThroughLibc => false;
}

/// <summary>The real file system, but not of type FileSystem: <see cref="SysfsBackend.For"/> gives it the System.IO.Abstractions backend.</summary>
internal sealed class GeneralFileSystem : IFileSystem
{
    private readonly FileSystem _fs = new();
    public IFile File => _fs.File;
    public IDirectory Directory => _fs.Directory;
    public IFileInfoFactory FileInfo => _fs.FileInfo;
    public IFileStreamFactory FileStream => _fs.FileStream;
    public IPath Path => _fs.Path;
    public IDirectoryInfoFactory DirectoryInfo => _fs.DirectoryInfo;
    public IDriveInfoFactory DriveInfo => _fs.DriveInfo;
    public IFileSystemWatcherFactory FileSystemWatcher => _fs.FileSystemWatcher;
    public IFileVersionInfoFactory FileVersionInfo => _fs.FileVersionInfo;
    public IRandomAccess RandomAccess => _fs.RandomAccess;
}
