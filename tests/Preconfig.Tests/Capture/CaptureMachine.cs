using static Preconfig.Tests.Capture.EarlydumpLogs;

namespace Preconfig.Tests.Capture;

/// <summary>
/// A real machine (tree-asus-p6t6: bridges, 4 KiB PCI Express spaces) as a sysfs-shaped temp tree, a scratch
/// directory beside it, and what the kernel does to it later: bind drivers, change registers. Never the real /sys.
/// </summary>
internal sealed class CaptureMachine : IDisposable
{
    public CaptureMachine(bool skipFirst = false)
    {
        Functions = [.. RealDump("pciutils-tests/tree-asus-p6t6").Functions.Select(f => (f.Address, f.Config))];
        foreach (var (a, c) in Functions.Skip(skipFirst ? 1 : 0)) Tree.AddDevice(a, c);
    }

    public SysfsTree Tree { get; } = new();
    public TempDir Dir { get; } = new();
    public List<(PciAddress Address, byte[] Config)> Functions { get; }
    public string Root => Tree.Root;

    /// <summary>Links <c>driver</c> as the kernel does when a driver binds.</summary>
    public void BindDriver(PciAddress a, string driver)
    {
        string dir = Path.Combine(Tree.Root, "drivers", driver);
        Directory.CreateDirectory(dir);
        File.CreateSymbolicLink(Path.Combine(Tree.DeviceDir(a), "driver"), dir);
    }

    /// <summary>A driver's work: its config bytes change (Bus Master on) and it is bound. Returns the firmware bytes.</summary>
    public byte[] DriverRan(PciAddress a, string driver)
    {
        var firmware = Functions.Single(f => f.Address == a).Config;
        var live = (byte[])firmware.Clone();
        live[0x04] |= 0x04;
        Tree.AddDevice(a, live);
        BindDriver(a, driver);
        return firmware;
    }

    public void Dispose()
    {
        Tree.Dispose();
        Dir.Dispose();
    }
}
