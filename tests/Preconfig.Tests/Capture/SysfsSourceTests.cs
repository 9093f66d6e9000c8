using static Preconfig.Tests.Capture.EarlydumpLogs;

namespace Preconfig.Tests.Capture;

public sealed class SysfsSourceTests : IDisposable
{
    private readonly SysfsTree _tree = new();

    public void Dispose() => _tree.Dispose();

    /// <summary>Every function of a real dump (bridges, 4 KiB PCI Express spaces) as a sysfs tree.</summary>
    private List<(PciAddress Address, byte[] Config)> AddRealMachine(string dump = "pciutils-tests/tree-asus-p6t6")
    {
        var functions = RealDump(dump).Functions.Select(f => (f.Address, f.Config)).ToList();
        foreach (var (a, c) in functions) _tree.AddDevice(a, c);
        return functions;
    }

    [Fact]
    public void Captures_every_function_with_its_bytes_driver_and_resources_and_not_the_reset_methods()
    {
        var functions = AddRealMachine();
        Assert.Contains(functions, f => f.Config.Length == 4096);
        Assert.Contains(functions, f => ConfigBytes.HeaderKind(f.Config) == Preconfig.ConfigSpace.Registers.HeaderType.Bridge);
        // resource is read where a BAR or the ROM is set (PciAccessSource.Kept).
        var nic = functions.Last(f => SysfsResources.HasBarOrRom(f.Config)).Address;
        string drivers = Path.Combine(_tree.Root, "drivers", "e1000e");
        Directory.CreateDirectory(drivers);
        // A relative link, as sysfs has them.
        File.CreateSymbolicLink(Path.Combine(_tree.DeviceDir(nic), "driver"), Path.Combine("..", "..", "drivers", "e1000e"));
        _tree.WriteAttribute(nic, "reset_method", "flr bus\n");
        _tree.WriteAttribute(nic, "resource",
            "0x00000000fbd00000 0x00000000fbd1ffff 0x0000000000040200\n0x0000000000000000 0x0000000000000000 0x0000000000000000\n");

        var source = new SysfsSource(_tree.FileSystem, _tree.Root);
        var capture = source.Capture();

        Assert.Empty(capture.Warnings);
        Assert.Equal("sysfs:" + _tree.Root, source.Description);
        Assert.NotNull(capture.System);
        Assert.Equal(functions.Select(f => f.Address).Order(), capture.Devices.Select(d => d.Address));
        foreach (var (a, c) in functions)
        {
            var d = capture.Devices.Single(d => d.Address == a);
            Assert.Equal(c, d.Config);
            Assert.False(d.Truncated);
            var expected = a == nic ? Pristineness.DriverBound : Pristineness.Undriven;
            Assert.Equal([new ConfigOrigin(0, c.Length, source.Description, expected)], d.Origins);
        }
        var n = capture.Devices.Single(d => d.Address == nic);
        Assert.Equal("e1000e", n.Driver);
        // Preinit resets by the capture kernel's reset_method: the production kernel's is not read.
        Assert.Empty(n.ResetMethods);
        Assert.Equal(new BarResource(0, 0xfbd00000, 0xfbd1ffff, 0x40200), n.Resources[0]);
    }

    [Fact]
    public void Resource_is_read_only_where_a_BAR_or_the_ROM_register_is_set()
    {
        var functions = AddRealMachine();
        var bare = functions.First(f => !SysfsResources.HasBarOrRom(f.Config));
        var barred = functions.First(f => SysfsResources.HasBarOrRom(f.Config));
        const string Line = "0x0000000000001000 0x0000000000001fff 0x0000000000040200\n";
        _tree.WriteAttribute(bare.Address, "resource", Line);
        _tree.WriteAttribute(barred.Address, "resource", Line);

        // The fast path (the real file system) and the general one agree.
        var fast = new SysfsSource(_tree.FileSystem, _tree.Root).Capture();
        using var access = new SeamAccess(_tree);
        var general = new PciAccessSource(access, "sysfs").Capture();
        foreach (var capture in new[] { fast, general })
        {
            Assert.Empty(capture.Devices.Single(d => d.Address == bare.Address).Resources);
            Assert.Equal([new BarResource(0, 0x1000, 0x1fff, 0x40200)], capture.Devices.Single(d => d.Address == barred.Address).Resources);
        }
    }

    [Fact]
    public void Truncated_64_byte_reads_are_flagged_and_warned_once()
    {
        var functions = AddRealMachine();
        using var access = new SeamAccess(_tree, limit: 64);
        var capture = new PciAccessSource(access, "sysfs").Capture();

        Assert.Equal(functions.Count, capture.Devices.Count);
        Assert.All(capture.Devices, d =>
        {
            Assert.Equal(64, d.Config.Length);
            Assert.True(d.Truncated);
            Assert.Equal(functions.Single(f => f.Address == d.Address).Config[..64], d.Config);
        });
        var warning = Assert.Single(capture.Warnings);
        Assert.Contains($"{functions.Count} of {functions.Count} functions captured truncated to 64 bytes", warning);
        Assert.Contains("CAP_SYS_ADMIN", warning);
    }

    [Fact]
    public void A_function_that_vanishes_after_the_listing_is_reported_and_the_rest_captured()
    {
        var functions = AddRealMachine();
        var gone = functions[3].Address;
        using var access = new SeamAccess(_tree, vanishAfterListing: gone);
        var capture = new PciAccessSource(access, "sysfs").Capture();

        Assert.Equal(functions.Count - 1, capture.Devices.Count);
        Assert.DoesNotContain(capture.Devices, d => d.Address == gone);
        var w = Assert.Single(capture.Warnings);
        Assert.StartsWith($"{gone}: removed while capturing", w);
    }

    [Fact]
    public void An_unreadable_config_is_reported_and_the_rest_captured()
    {
        var functions = AddRealMachine();
        var bad = functions[1].Address;
        // EIO, as a device that stopped answering gives (chmod would not stop root, who runs these tests).
        using var access = new SeamAccess(_tree, eioFor: bad);
        var capture = new PciAccessSource(access, "sysfs").Capture();
        Assert.Equal(functions.Count - 1, capture.Devices.Count);
        var w = Assert.Single(capture.Warnings);
        Assert.StartsWith($"{bad}: config space unreadable", w);
        Assert.Contains("EIO", w);
    }

    [Fact]
    public void A_malformed_resource_file_keeps_the_bytes_and_says_so()
    {
        var functions = AddRealMachine();
        var (a, config) = functions.First(f => SysfsResources.HasBarOrRom(f.Config));
        _tree.WriteAttribute(a, "resource", "garbage\n");
        var capture = new SysfsSource(_tree.FileSystem, _tree.Root).Capture();
        Assert.Equal(functions.Count, capture.Devices.Count);
        Assert.Equal(config, capture.Devices.Single(d => d.Address == a).Config);
        Assert.Contains("captured without them", Assert.Single(capture.Warnings));
    }

    [Fact]
    public void A_missing_root_is_an_error_naming_it()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => new SysfsSource(_tree.FileSystem, Path.Combine(_tree.Root, "nope")).Capture());
        Assert.Contains("nope", e.Message);
    }

    /// <summary>
    /// The real sysfs access over the temp tree, with the kernel's behaviours a regular file cannot show: a
    /// non-root reader's 64-byte limit, and a function removed between the listing and the read.
    /// </summary>
    private sealed class SeamAccess(SysfsTree tree, int? limit = null, PciAddress? vanishAfterListing = null, PciAddress? eioFor = null) : IPciAccess, IDisposable
    {
        private readonly SysfsPciAccess _inner = new(tree.FileSystem, tree.Root, writable: false);
        private readonly List<SysfsConfigSpace> _spaces = [];

        public string Description => _inner.Description;

        public IReadOnlyList<PciAddress> EnumerateFunctions()
        {
            var list = _inner.EnumerateFunctions();
            if (vanishAfterListing is { } gone) Directory.Delete(tree.DeviceDir(gone), recursive: true);
            return list;
        }

        public IConfigSpace Open(PciAddress address)
        {
            if (limit is null && eioFor is null) return _inner.Open(address);
            var space = new SysfsConfigSpace(tree.FileSystem, tree.DeviceDir(address), address, false,
                s => new KernelLikeStream(s)
                {
                    ReadableLimit = limit,
                    ReadFailure = address == eioFor ? () => KernelLikeStream.Errno(5, "Input/output error") : null,
                });
            _spaces.Add(space);
            return space;
        }

        public PciFunctionInfo Describe(PciAddress address) => _inner.Describe(address);
        public ResetRequestResult RequestReset(PciAddress address, string method) => throw new InvalidOperationException("capture never resets");

        public void Dispose()
        {
            foreach (var s in _spaces) s.Dispose();
            _inner.Dispose();
        }
    }
}
