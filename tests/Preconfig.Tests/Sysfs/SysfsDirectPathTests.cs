using System.Globalization;
using System.Text;
using static Preconfig.Tests.Capture.EarlydumpLogs;

namespace Preconfig.Tests.Sysfs;

/// <summary>
/// On the real file system sysfs is read straight through libc (SysfsFile: fewer syscalls, no strings per
/// attribute); any other IFileSystem goes through System.IO.Abstractions. Both must give the same answers and the
/// same errors: these tests run each on the same tree and compare (and <see cref="SysfsBackendContract"/> holds each
/// to the tree's own values).
/// </summary>
public sealed class SysfsDirectPathTests : IDisposable
{
    private static readonly PciAddress Nic = PciAddress.Parse("0000:03:00.0"), Vga = PciAddress.Parse("0000:00:02.0"),
        Bare = PciAddress.Parse("0000:00:1f.3");
    private readonly SysfsTree _tree = new();

    public void Dispose() => _tree.Dispose();

    /// <summary>A config whose BARs hold <paramref name="bars"/> (BaseAddress0 on): a capture reads resource only then.</summary>
    private static byte[] WithBars(byte[] config, params uint[] bars)
    {
        for (int i = 0; i < bars.Length; i++) BitConverter.TryWriteBytes(config.AsSpan(0x10 + 4 * i), bars[i]);
        return config;
    }

    private void AddDescribedDevices()
    {
        _tree.AddDevice(Nic, WithBars(SysfsTree.Config(4096), 0xfbd00000, 0, 0, 0xe001));
        _tree.LinkDriver(Nic, "e1000e", "/");
        _tree.WriteAttribute(Nic, "reset_method", "flr  bus\n");
        _tree.WriteAttribute(Nic, "resource",
            "0x00000000fbd00000 0x00000000fbd1ffff 0x0000000000040200\n" +
            "0x0000000000000000 0x0000000000000000 0x0000000000000000\n\n" +
            "  0X000000000000E000   0x00e07f 0x0000000000040101\t\n" +
            "0x0000000000000000000000000000000000000001 0x0 0xffffffffffffffff");
        _tree.AddDevice(Vga, WithBars(SysfsTree.Config(256), 0xe000000c, 0));
        _tree.WriteAttribute(Vga, "boot_vga", "1\n");
        _tree.WriteAttribute(Vga, "resource", "0x00000000e0000000 0x00000000efffffff 0x000000000014220c\n");
        _tree.AddDevice(Bare, WithBars(SysfsTree.Config(256), 0xfed01000));
    }

    [Fact]
    public void Describe_gives_the_same_driver_reset_methods_resources_and_boot_vga_on_both_paths()
    {
        AddDescribedDevices();
        using var direct = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        using var general = new SysfsPciAccess(new GeneralFileSystem(), _tree.Root);
        foreach (var a in new[] { Nic, Vga, Bare })
        {
            var d = direct.Describe(a);
            var g = general.Describe(a);
            Assert.Equal(g.Driver, d.Driver);
            Assert.Equal(g.ResetMethods, d.ResetMethods);
            Assert.Equal(g.Resources, d.Resources);
            Assert.Equal(g.BootVga, d.BootVga);
        }
        var nic = direct.Describe(Nic);
        Assert.Equal("e1000e", nic.Driver);
        // A link target longer than the first buffer (512 bytes) still names the driver.
        string deep = string.Concat(Enumerable.Repeat("../", 200)) + "drivers/nvme";
        File.Delete(Path.Combine(_tree.DeviceDir(Nic), "driver"));
        File.CreateSymbolicLink(Path.Combine(_tree.DeviceDir(Nic), "driver"), deep);
        Assert.Equal("nvme", direct.Describe(Nic).Driver);
        Assert.Equal(general.Describe(Nic).Driver, direct.Describe(Nic).Driver);
        Assert.Equal(["flr", "bus"], nic.ResetMethods);
        Assert.Equal([new BarResource(0, 0xfbd00000, 0xfbd1ffff, 0x40200), new BarResource(1, 0, 0, 0),
            new BarResource(3, 0xe000, 0xe07f, 0x40101), new BarResource(4, 1, 0, ulong.MaxValue)], nic.Resources);
        Assert.True(direct.Describe(Vga).BootVga);
        Assert.Null(direct.Describe(Bare).BootVga);
    }

    [Fact]
    public void A_bad_resource_line_and_a_removed_function_are_the_same_errors_on_both_paths()
    {
        AddDescribedDevices();
        _tree.WriteAttribute(Nic, "resource", "0x0 0x0 0x0\n0x1 0x2\n");
        using var direct = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        using var general = new SysfsPciAccess(new GeneralFileSystem(), _tree.Root);
        var d = Assert.Throws<InvalidDataException>(() => direct.Describe(Nic));
        var g = Assert.Throws<InvalidDataException>(() => general.Describe(Nic));
        Assert.Equal(g.Message, d.Message);
        Assert.Contains("resource:2", d.Message);
        var gone = PciAddress.Parse("0000:09:00.0");
        Assert.Equal(Assert.Throws<DeviceRemovedException>(() => general.Describe(gone)).Message,
            Assert.Throws<DeviceRemovedException>(() => direct.Describe(gone)).Message);
    }

    [Fact]
    public void Config_space_reads_writes_and_errors_are_the_same_on_both_paths()
    {
        _tree.AddDevice(Nic, SysfsTree.Config(4096));
        _tree.AddDevice(Vga, SysfsTree.Config(64));
        using var direct = new SysfsPciAccess(_tree.FileSystem, _tree.Root);
        using var general = new SysfsPciAccess(new GeneralFileSystem(), _tree.Root);
        foreach (var a in new[] { Nic, Vga })
        {
            var d = direct.OpenSysfs(a);
            var g = general.OpenSysfs(a);
            Assert.Equal((g.Length, g.ReportedLength, g.Writable), (d.Length, d.ReportedLength, d.Writable));
            Assert.Equal(g.ReadAll(), d.ReadAll());
        }
        direct.Open(Nic).WriteDword(0x100, 0xdeadbeef);
        Assert.Equal(0xdeadbeefu, general.Open(Nic).ReadDword(0x100));
        general.Open(Nic).WriteWord(0x04, 0x0406);
        Assert.Equal(0x0406, direct.Open(Nic).ReadWord(0x04));
        var gone = PciAddress.Parse("0000:09:00.0");
        Assert.Equal(Assert.Throws<DeviceRemovedException>(() => general.Open(gone)).Message,
            Assert.Throws<DeviceRemovedException>(() => direct.Open(gone)).Message);
    }

    [Fact]
    public void A_capture_records_the_same_through_libc_as_through_System_IO_Abstractions()
    {
        foreach (var f in RealDump("pciutils-tests/tree-asus-p6t6").Functions) _tree.AddDevice(f.Address, f.Config);
        AddDescribedDevices();
        _tree.WriteAttribute(Bare, "resource", "not a resource line\n"); // kept without it, with a warning, on both
        var fast = new SysfsSource(_tree.FileSystem, _tree.Root, "sysfs").Capture();
        using var access = new SysfsPciAccess(new GeneralFileSystem(), _tree.Root, writable: false);
        var general = new PciAccessSource(access, "sysfs").Capture();

        Assert.Equal(general.Warnings, fast.Warnings);
        Assert.Single(fast.Warnings);
        Assert.Equal(general.Devices.Count, fast.Devices.Count);
        for (int i = 0; i < fast.Devices.Count; i++) Preconfig.Tests.Handoff.HandoffTestData.AssertSame(general.Devices[i], fast.Devices[i]);
    }

    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(0xabcd, 0xfe, 31, 7)]
    [InlineData(0x10000, 1, 2, 3)]
    [InlineData(0x7fffffff, 0xff, 0x1f, 0)]
    public void Paths_name_the_function_as_sysfs_and_PciAddress_do(int domain, int bus, int device, int function)
    {
        var address = new PciAddress(domain, (byte)bus, (byte)device, (byte)function);
        var path = new SysfsPath();
        Assert.Equal($"/r/devices/{address}/config\0", Encoding.UTF8.GetString(path.At("/r", address).Attribute("config"u8)));
        Assert.Equal($"/r/devices/{address}/x\0", Encoding.UTF8.GetString(path.At("/r/", address).Attribute("x"u8)));
    }

    /// <summary>The parser this one replaced (string split, ulong.TryParse), kept here as the oracle.</summary>
    private static IReadOnlyList<BarResource> ReferenceParse(string text, string where)
    {
        var list = new List<BarResource>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || !Hex(parts[0], out ulong start) || !Hex(parts[1], out ulong end) || !Hex(parts[2], out ulong flags))
                throw new InvalidDataException($"{where}:{i + 1}: expected 'start end flags' in hex, got '{line}'");
            list.Add(new BarResource(i, start, end, flags));
        }
        return list;

        static bool Hex(string s, out ulong value)
        {
            value = 0;
            return s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                && ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
    }

    [Fact]
    public void Resource_parsing_agrees_with_the_parser_it_replaced_on_random_text()
    {
        var random = new Random(15);
        string[] pieces = ["0x", "0X", "0", "1", "f", "F", "a", "g", "x", " ", "  ", "\t", "\r", "\n", "\n",
            "0000000000000000", "ffffffffffffffff", "0x0000000000000000 0x0000000000000000 0x0000000000000000\n",
            "0x00000000fbd00000 0x00000000fbd1ffff 0x0000000000040200\n", "-", "+"];
        for (int n = 0; n < 5000; n++)
        {
            var text = new StringBuilder();
            int count = random.Next(1, 14);
            for (int i = 0; i < count; i++) text.Append(pieces[random.Next(pieces.Length)]);
            string s = text.ToString();
            IReadOnlyList<BarResource>? expected = null, actual = null;
            string? expectedError = null, actualError = null;
            try { expected = ReferenceParse(s, "f"); } catch (InvalidDataException e) { expectedError = e.Message; }
            try { actual = SysfsPciAccess.ParseResources(Encoding.UTF8.GetBytes(s), "f"); } catch (InvalidDataException e) { actualError = e.Message; }
            Assert.True(expectedError == actualError, $"'{s}': '{expectedError}' vs '{actualError}'");
            if (expected is not null) Assert.Equal(expected, actual);
        }
    }
}
