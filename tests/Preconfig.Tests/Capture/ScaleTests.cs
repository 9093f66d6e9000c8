namespace Preconfig.Tests.Capture;

/// <summary>
/// issue 24 item 8: a host with more functions than a snapshot holds (8,192) still gets a handoff. SR-IOV virtual
/// functions (the kernel links each to its PF as <c>physfn</c>, drivers/pci/iov.c) are left out by default; past the
/// limit bridges and physical functions are kept first, and a warning says what was left out. sysfs-shaped temp trees.
/// </summary>
public sealed class ScaleTests : IDisposable
{
    private readonly SysfsTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private static PciAddress At(int i) => new(0, (byte)(1 + i / 256), (byte)(i / 8 % 32), (byte)(i % 8));

    /// <summary><paramref name="functions"/> functions; the last <paramref name="bridges"/> are bridges (at the end of
    /// address order, where a plain cut would fall), and <paramref name="vfs"/> VFs before them.</summary>
    private (List<PciAddress> Bridges, List<PciAddress> Vfs) Build(int functions, int vfs, int bridges)
    {
        var pf = At(0);
        var config = SysfsTree.Config(256);
        var bridge = SysfsTree.Config(256);
        bridge[0x0e] = 1;
        var (b, v) = (new List<PciAddress>(), new List<PciAddress>());
        for (int i = 0; i < functions; i++)
        {
            var a = At(i);
            bool isBridge = i >= functions - bridges, isVf = !isBridge && i >= functions - bridges - vfs;
            string dir = _tree.AddDevice(a, isBridge ? bridge : config);
            if (isBridge) b.Add(a);
            if (isVf)
            {
                File.CreateSymbolicLink(Path.Combine(dir, "physfn"), Path.Combine("..", pf.ToString()));
                v.Add(a);
            }
        }
        return (b, v);
    }

    [Fact]
    public void Virtual_functions_are_left_out_by_default_and_the_rest_fits()
    {
        var (_, vfs) = Build(9000, vfs: 1200, bridges: 16);
        var snapshot = SnapshotSources.Take([new SysfsSource(_tree.FileSystem, _tree.Root)], out var warnings);
        Assert.Equal(7800, snapshot.Devices.Count);
        Assert.DoesNotContain(snapshot.Devices, d => vfs.Contains(d.Address));
        Assert.Contains(warnings, w => w.Contains("1200 SR-IOV virtual functions (physfn) left out"));
        Assert.Equal(7800, HandoffBlob.Read(HandoffBlob.Write(snapshot, new BlobWriteOptions())).Snapshot.Devices.Count);
    }

    [Fact]
    public void Past_the_limit_bridges_and_physical_functions_are_kept_first_and_the_warning_says_what_was_left_out()
    {
        var (bridges, vfs) = Build(9000, vfs: 1200, bridges: 16);
        var source = new SysfsSource(_tree.FileSystem, _tree.Root) { IncludeVirtualFunctions = true };
        var snapshot = SnapshotSources.Take([source], out var warnings);

        Assert.Equal(SnapshotBody.MaxDevices, snapshot.Devices.Count);
        var kept = snapshot.Devices.Select(d => d.Address).ToHashSet();
        Assert.All(bridges, b => Assert.Contains(b, kept));
        Assert.Equal(9000 - 1200, kept.Count(a => !vfs.Contains(a)));        // every physical function and bridge
        Assert.Equal(8192 - 7800, kept.Count(vfs.Contains));
        Assert.Equal(kept.Order(), snapshot.Devices.Select(d => d.Address)); // still in address order
        var w = Assert.Single(warnings, w => w.Contains("more than the 8192"));
        Assert.Contains("9000 functions", w);
        Assert.Contains("left out 808 (808 virtual functions;", w);
        Assert.Equal(SnapshotBody.MaxDevices, HandoffBlob.Read(HandoffBlob.Write(snapshot, new BlobWriteOptions())).Snapshot.Devices.Count);
    }

    [Fact]
    public void Without_virtual_functions_the_bridges_at_the_end_of_the_bus_order_are_still_kept()
    {
        var (bridges, _) = Build(8300, vfs: 0, bridges: 8);
        var snapshot = SnapshotSources.Take([new SysfsSource(_tree.FileSystem, _tree.Root)], out var warnings);
        Assert.Equal(SnapshotBody.MaxDevices, snapshot.Devices.Count);
        Assert.All(bridges, b => Assert.Contains(snapshot.Devices, d => d.Address == b));
        Assert.Contains(warnings, w => w.Contains("left out 108 (108 physical functions;"));
    }

    /// <summary>The switch that keeps them: the capture verb's <c>--include-vfs</c> and the daemon's
    /// <c>includeVirtualFunctions</c>; without it the same tree's VFs are left out (the kernel's physfn link is the oracle).</summary>
    [Fact]
    public void The_capture_verb_and_the_daemon_include_virtual_functions_when_asked()
    {
        var (_, vfs) = Build(40, vfs: 12, bridges: 2);
        var fs = _tree.FileSystem;
        string blob = Path.Combine(Path.GetTempPath(), $"preconfig-vfs-{Guid.NewGuid():N}.pcfg");
        try
        {
            Assert.Equal(0, Preconfig.Cli.Capture.CaptureCommand.Run(["sysfs:" + _tree.Root], [blob], null, fs, includeVirtualFunctions: true));
            var all = HandoffBlob.Read(File.ReadAllBytes(blob)).Snapshot.Devices.Select(d => d.Address).ToHashSet();
            Assert.Equal(40, all.Count);
            Assert.Superset(vfs.ToHashSet(), all);
            Assert.Equal(0, Preconfig.Cli.Capture.CaptureCommand.Run(["sysfs:" + _tree.Root], [blob], null, fs));
            Assert.Equal(28, HandoffBlob.Read(File.ReadAllBytes(blob)).Snapshot.Devices.Count);
        }
        finally { File.Delete(blob); }

        foreach (var (flag, expected) in new[] { ("true", 40), ("false", 28) })
        {
            var settings = Preconfig.Daemon.DaemonSettings.From(Configuration(flag), sources: ["sysfs:" + _tree.Root]);
            var pipeline = Preconfig.Daemon.DaemonPipelines.Create(settings, fs);
            Assert.Equal(expected, SnapshotSources.Take(pipeline.Sources, out _).Devices.Count);
        }
        var e = Assert.Throws<InvalidDataException>(() => Preconfig.Daemon.DaemonSettings.From(Configuration("\"yes\"")));
        Assert.Contains("includeVirtualFunctions is 'yes'", e.Message);
    }

    /// <summary>The daemon's configuration as a file holding <c>includeVirtualFunctions</c> (and one store).</summary>
    private Microsoft.Extensions.Configuration.IConfiguration Configuration(string flag)
    {
        string file = Path.Combine(_tree.Root, $"preconfig-{Guid.NewGuid():N}.json");  // beside devices/, removed with the tree
        File.WriteAllText(file, $$"""{ "includeVirtualFunctions": {{flag}}, "stores": ["file:/nowhere.pcfg"] }""");
        return Preconfig.Daemon.DaemonHost.LoadConfiguration(Path.GetFullPath(file), [], new Dictionary<string, string?>());
    }
}
